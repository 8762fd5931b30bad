"""Run directories appear whole or not at all, even when a signal arrives as they are put in
place."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import FrameType

import pytest

from sim.experiment import rundir


class Interrupted(BaseException):
    pass


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted


def _old_run(target: Path) -> Path:
    """A run directory quorumsim wrote earlier (only its own files, a summary with a manifest)."""
    target.mkdir()
    (target / "summary.json").write_text('{"manifest": {"version": "0"}}')
    (target / "requests.csv").write_text("old")
    return target


def test_a_failed_body_leaves_the_target_as_it_was(tmp_path: Path) -> None:
    target = _old_run(tmp_path / "run")
    with pytest.raises(ValueError), rundir.atomic_directory(target) as staging:
        (staging / "summary.json").write_text("{}")
        raise ValueError("the run failed")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert sorted(p.name for p in target.iterdir()) == ["requests.csv", "summary.json"]
    assert (target / "requests.csv").read_text() == "old"


def test_a_signal_while_the_directory_is_put_in_place_comes_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopped sweep worker (SIGTERM) or Ctrl-C between the renames used to leave the old
    directory moved away or the new one half in place; the signal now waits for the renames."""
    put_in_place = rundir._put_in_place

    def signalled_first(staging: Path, target: Path) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # undeferred, its handler would raise right here
        put_in_place(staging, target)

    monkeypatch.setattr(rundir, "_put_in_place", signalled_first)
    target = _old_run(tmp_path / "run")
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        with pytest.raises(Interrupted), rundir.atomic_directory(target) as staging:
            (staging / "summary.json").write_text("{}")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no .partial, no .old
    assert [p.name for p in target.iterdir()] == ["summary.json"]
