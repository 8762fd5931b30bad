"""Hostile scenario files: alias bombs, self-containing aliases, deep nesting and endless or huge
files are refused with exit 2 and a position, within a second, never expanded first."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.loader import MAX_BYTES
from sim.scenario.yaml_positions import MAX_DEPTH, MAX_NODES

runner = CliRunner()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail instead of hanging when the code under test regresses into expanding the input."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def billion_laughs(levels: int = 9) -> str:
    """Nine levels of nine aliases each: 9**9 (387 million) strings once expanded."""
    lines = ["name: bomb", "description: &a [x, x, x, x, x, x, x, x, x]"]
    names = "abcdefghijklmnopqrstuvwxyz"
    for level in range(1, levels):
        aliases = ", ".join([f"*{names[level - 1]}"] * 9)
        lines.append(f"{names[level]}: &{names[level]} [{aliases}]")
    return "\n".join(lines) + "\n"


def first_alias_past_budget(text: str) -> tuple[int, int]:
    """Line and column of the alias at which the expanded node count first exceeds MAX_NODES:
    a brute-force count over the bomb's lines (each line's list: 1 + 9 * its alias's size)."""
    total, sizes = 1, {}  # the root mapping
    for number, line in enumerate(text.splitlines(), start=1):
        _, _, rest = line.partition(": ")
        total += 2  # the key and its value's list (or the scalar `name`)
        if not rest.startswith("&"):
            continue
        anchor = rest[1:].split(" ")[0]
        size = 1
        for col, char in enumerate(line, start=1):
            if char == "*":
                alias_size = sizes[line[col]]
                total += alias_size
                size += alias_size
                if total > MAX_NODES:
                    return number, col
            elif char == "x" and line[col - 2] in "[ ":
                total += 1
                size += 1
        sizes[anchor] = size
    raise AssertionError("the bomb stays within the budget")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_alias_bomb_is_refused_quickly_at_the_alias(tmp_path: Path) -> None:
    """The nine-level billion laughs is refused in under a second, pointing at the alias that
    crossed the budget (not after expanding it: that took minutes and over 1 GB)."""
    text = billion_laughs()
    path = write(tmp_path, text)
    line, col = first_alias_past_budget(text)
    with deadline(20), pytest.raises(ScenarioError) as caught:
        start = time.perf_counter()
        try:
            load_scenario(path)
        finally:
            elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    [problem] = caught.value.problems
    assert str(problem).startswith(f"{path}:{line}:{col}: alias *e ")
    assert f"more than {MAX_NODES} values" in problem.message


def test_alias_bomb_exits_2_from_the_command_line(tmp_path: Path) -> None:
    """`quorumsim validate bomb.yaml` prints one positioned line and exits 2."""
    path = write(tmp_path, billion_laughs())
    line, col = first_alias_past_budget(billion_laughs())
    with deadline(20):
        result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:{line}:{col}: alias *e ")
    assert "Traceback" not in result.stderr + result.stdout


def test_small_aliases_still_work(tmp_path: Path) -> None:
    """Aliases and merge keys well inside the budget load as before."""
    path = write(
        tmp_path,
        "name: x\ncluster: {nodes: &names [a, b, c]}\n"
        "network:\n  links:\n    - &slow {from: a, to: *names, latency: 5ms}\n"
        "    - {<<: *slow, from: b}\n",
    )
    scenario = load_scenario(path)
    assert [link.src for link in scenario.network.links] == [["a"], ["b"]]
    assert scenario.network.links[1].dst == ["a", "b", "c"]


def test_too_many_written_values_are_refused(tmp_path: Path) -> None:
    """The budget counts written values too: a list one past it is refused at that item."""
    samples = ", ".join(["1"] * MAX_NODES)
    path = write(
        tmp_path, f"name: x\nnetwork:\n  latency: {{dist: empirical, samples: [{samples}]}}\n"
    )
    with deadline(20), pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    [problem] = caught.value.problems
    assert str(problem).startswith(f"{path}:3:")
    assert f"more than {MAX_NODES} values" in problem.message


def test_alias_inside_its_own_anchor(tmp_path: Path) -> None:
    """`&a [*a]`, a list that contains itself, is refused at the alias (was a RecursionError)."""
    path = write(tmp_path, "name: x\ndescription: &a [1, *a]\n")
    with deadline(20):
        result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:2:21: alias *a is inside its own anchor &a")
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("depth", [MAX_DEPTH, 500, 100_000])
def test_deep_nesting_is_refused(tmp_path: Path, depth: int) -> None:
    """Lists nested past MAX_DEPTH are refused at the first list too deep (100 000 levels was a
    RecursionError; libyaml may refuse first, beyond its own 1000 levels)."""
    path = write(tmp_path, "name: x\ndescription: " + "[" * depth + "]" * depth + "\n")
    with deadline(20):
        result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    col = len("description: ") + MAX_DEPTH  # the root mapping is level 1, `[` number k level k+1
    if depth < 1000:
        assert result.stderr == f"{path}:2:{col}: nested deeper than {MAX_DEPTH} levels " + (
            f"(at most {MAX_DEPTH})\n"
        )
    assert result.stderr.startswith(f"{path}:2:")
    assert "Traceback" not in result.stderr + result.stdout


def test_nesting_up_to_the_limit_is_read(tmp_path: Path) -> None:
    """A value nested exactly MAX_DEPTH levels deep (the root counted) loads."""
    depth = MAX_DEPTH - 1
    path = write(tmp_path, "name: x\ndescription: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    [problem] = caught.value.problems
    assert problem.path == "description"  # a type error: the nesting itself was accepted


def test_aliases_cannot_nest_past_the_depth_limit(tmp_path: Path) -> None:
    """Aliases of aliases, each shallow, still may not build a value deeper than MAX_DEPTH."""
    lines = ["name: x", "a0: &a0 [[[[[[[[[[1]]]]]]]]]]"]
    lines += [f"a{i}: &a{i} [[[[[[[[[[*a{i - 1}]]]]]]]]]]" for i in range(1, 10)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    with deadline(20), pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    [problem] = caught.value.problems
    assert f"nested deeper than {MAX_DEPTH} levels" in problem.message
    assert str(problem).startswith(f"{path}:8:")  # a6 would reach 73 levels


def test_oversized_file_is_refused_by_its_size(tmp_path: Path) -> None:
    """A file one byte over MAX_BYTES (sparse: nothing to read) is refused by name."""
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.truncate(MAX_BYTES + 1)
    with deadline(20):
        result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: larger than {MAX_BYTES // 2**20} MiB")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_file_is_read_only_up_to_the_limit() -> None:
    """A file with no end (its size says 0) is refused after MAX_BYTES, not read forever."""
    with deadline(20):
        result = runner.invoke(app, ["validate", "/dev/zero"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"/dev/zero: larger than {MAX_BYTES // 2**20} MiB")
