"""The picture of a check: the page's embedded data says what the search found, the page is
self-contained, and a run's violation.md links to it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.checks.formats import read_operations
from sim.checks.linearizability import check_operations
from sim.checks.picture import MARKER, picture_data, render
from sim.cli import app
from tests.conftest import SCENARIOS

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def page_data(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="picture-data">(.*?)</script>', page, re.DOTALL
    )
    assert match is not None
    return json.loads(match.group(1))


def by_line(key: dict) -> dict[int, dict]:
    return {op["line"]: op for op in key["ops"]}


def test_the_page_marks_the_prefix_the_stuck_op_and_the_states(tmp_path: Path) -> None:
    """Knossos-style history: write 1 then write 5 linearize, the read of 7 cannot follow, the
    read of 5 still needs 5; the register's state after each prefix op is on it."""
    out = tmp_path / "picture.html"
    result = runner.invoke(app, ["check", str(DATA / "knossos-style.edn"), "--html", str(out)])
    assert result.exit_code == 1, result.output
    assert f"picture: {out}" in result.output
    page = out.read_text()
    assert page.startswith(MARKER + "\n")
    (key,) = page_data(page)["keys"]
    assert (key["key"], key["ok"], key["linearized"], key["state"]) == ("register", False, 2, 5)
    ops = by_line(key)
    assert (ops[3]["order"], ops[3]["state"], ops[3]["what"]) == (1, 1, "write 1")
    assert (ops[7]["order"], ops[7]["state"]) == (2, 5)
    assert ops[6]["stuck"] and ops[6]["order"] is None and "another value" in ops[6]["why"]
    assert key["needing"] == [ops[11]["id"]]
    assert not ops[11]["stuck"] and ops[11]["order"] is None


def test_the_kv_page_shows_the_models_states(tmp_path: Path) -> None:
    """Porcupine's c01-bad: key 7's prefix ends with the value "x 0 0 yx 0 3 y"."""
    history = read_operations(DATA / "porcupine-c01-bad.txt")
    result = check_operations(history.operations, history.model)
    data = picture_data(history.operations, result, "c01-bad", history.model)
    failed = [key for key in data["keys"] if not key["ok"]]
    assert [key["key"] for key in failed] == ["7"]
    (key,) = failed
    assert key["state_name"] == "value"
    ordered = sorted((op for op in key["ops"] if op["order"]), key=lambda op: op["order"])
    assert [op["state"] for op in ordered] == ["", "x 0 0 y", "x 0 0 yx 0 3 y"]
    assert [op["line"] for op in key["ops"] if op["stuck"]] == [59]
    assert all(k["ok"] for k in data["keys"] if k is not key)  # the other keys, drawn too


def test_a_value_cannot_end_the_script(tmp_path: Path) -> None:
    """A history value holding </script> stays data: the page has one data script, intact."""
    path = tmp_path / "h.edn"
    path.write_text(
        '{:process 0, :type :invoke, :f :write, :value "</script><b>x"}\n'
        '{:process 0, :type :ok, :f :write, :value "</script><b>x"}\n'
        "{:process 1, :type :invoke, :f :read, :value nil}\n"
        "{:process 1, :type :ok, :f :read, :value 3}\n"
    )
    history = read_operations(path)
    page = render(picture_data(history.operations, check_operations(history.operations), "h"))
    assert page.count("</script>") == 2  # the data's and the code's ends, nothing else
    (key,) = page_data(page)["keys"]
    assert 'write "</script><b>x"' in [op["what"] for op in key["ops"]]


def test_the_page_fetches_nothing() -> None:
    """No URL the browser would load: no src, no href, no import, no fetch."""
    history = read_operations(DATA / "knossos-style.edn")
    page = render(picture_data(history.operations, check_operations(history.operations), "k"))
    assert not re.search(
        r"\b(src|href)\s*=|@import|fetch\(|XMLHttpRequest|https?://(?!www\.w3\.org/2000/svg)", page
    )


def test_check_html_refuses_a_file_it_did_not_write(tmp_path: Path) -> None:
    """--html onto a user's file: exit 2 before checking, the file left as it was."""
    theirs = tmp_path / "notes.html"
    theirs.write_text("<p>mine</p>\n")
    result = runner.invoke(app, ["check", str(DATA / "jepsen.log"), "--html", str(theirs)])
    assert result.exit_code == 2
    assert "is a file quorumsim did not write" in result.output
    assert theirs.read_text() == "<p>mine</p>\n"


def test_a_non_linearizable_run_links_its_picture(tmp_path: Path) -> None:
    """seed-stale-read's violation.md links linearizability.html, written beside it."""
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "run",
            str(SCENARIOS / "seed-stale-read.yaml"),
            "--quiet",
            "--set",
            "duration=300ms",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code in (0, 1), result.output
    assert "[linearizability.html](linearizability.html)" in (out / "violation.md").read_text()
    data = page_data((out / "linearizability.html").read_text())
    assert not data["ok"] and all(not key["ok"] for key in data["keys"][:2])
    again = runner.invoke(
        app,
        [
            "run",
            str(SCENARIOS / "seed-stale-read.yaml"),
            "--quiet",
            "--set",
            "duration=300ms",
            "--out",
            str(out),
        ],
    )
    assert again.exit_code in (0, 1), again.output  # the directory, picture and all, is ours


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv"], "--format 'csv': unknown (one of auto, jsonl, edn, porcupine-kv)"),
        (
            ["--format", "porcupine-kv"],
            "knossos-style.edn:3: no :key (every op of a key-value history",
        ),
    ],
)
def test_check_format_bad_input(args: list[str], message: str) -> None:
    """A wrong --format is bad input, exit 2, with the file and line."""
    result = runner.invoke(app, ["check", str(DATA / "knossos-style.edn"), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_an_undecided_key_is_not_drawn_as_linearizable() -> None:
    """A key the time limit left undecided has the verdict unknown, not linearizable."""
    from sim.checks.linearizability import KeyUnknown, LinearizabilityResult

    history = read_operations(DATA / "jepsen.log")
    result = LinearizabilityResult(
        ok=False,
        operations=len(history.operations),
        keys=1,
        unknown=(KeyUnknown(key="register", operations=7, linearized=3, explored=10),),
    )
    (key,) = picture_data(history.operations, result, "log", history.model)["keys"]
    assert (key["verdict"], key["ok"]) == ("unknown", False)
