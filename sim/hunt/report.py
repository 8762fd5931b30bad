"""The hunt directory: what was searched, what was found, and the minimal scenario.

| file | content |
|---|---|
| ``seeds.csv`` | one row per seed run: ``seed, kinds, events, wall_s, error`` |
| ``hunt.json`` | the hunt's settings, the bad seeds, the shrink's before and after |
| ``minimal.yaml`` | the shrunk scenario (a normal scenario file), commented with what went |
| ``run/`` | its run directory, traced: violation.md for a safety violation, replay.html |

The directory is built beside its place and renamed into it, as a run directory is.
"""

from __future__ import annotations

import csv
import json
import shlex
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from sim.experiment.run import RunResult, run
from sim.experiment.rundir import atomic_directory
from sim.hunt.search import HuntProgress
from sim.hunt.shrink import Shrunk
from sim.outputs import is_run_dir
from sim.scenario import Scenario, scenario_from_dict

HUNT_FILES = frozenset({"seeds.csv", "hunt.json", "minimal.yaml", "run"})


def is_hunt_dir(directory: Path) -> bool:
    """A directory `write_hunt` wrote: its files only, and its hunt.json."""
    try:
        names = {entry.name for entry in directory.iterdir()}
    except OSError:
        return False
    if "hunt.json" not in names or not names <= HUNT_FILES:
        return False
    return "run" not in names or is_run_dir(directory / "run")


def minimal_yaml(shrunk: Shrunk, source: str, seed: int) -> str:
    """minimal.yaml: the scenario, with only the keys it sets, under a comment saying where it
    came from and what the shrinker took away."""
    scenario = shrunk.scenario
    data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if scenario_from_dict(data) != scenario:  # (defaults that do not load back the same)
        data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    lines = [
        f"# Shrunk by `quorumsim hunt` from {source}, seed {seed}: it shows {shrunk.target}.",
        f"# Before: {shrunk.before.text()}.",
        f"# After:  {shrunk.after.text()}.",
        f"# {shrunk.runs} runs in {shrunk.wall_s:.1f} s. Taken away, in order:",
        *(f"#   - {line}" for line in shrunk.removed or ["nothing (it was minimal)"]),
    ]
    if not shrunk.exact:
        lines.append("#   (the nemesis's faults did not reproduce it written out: kept as is)")
    if "faults" in data:
        data["faults"] = [_readable(entry) for entry in data["faults"]]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=False, width=100)
    return "\n".join(lines) + "\n" + body


def write_hunt(
    target: Path,
    source: str,
    scenario: Scenario,
    state: HuntProgress,
    shrunk: Shrunk | None,
    argv: list[str] | None,
) -> RunResult | None:
    """Write the hunt directory at ``target``; returns the minimal scenario's run, if any."""
    result: RunResult | None = None
    with atomic_directory(target, ours=is_hunt_dir) as staging:
        _write_seeds(staging / "seeds.csv", state.rows)
        record: dict[str, Any] = {
            "file": source,
            "scenario": scenario.name,
            "seeds": len(state.rows),
            "first_seed": scenario.seed,
            "found": [
                {"seed": f.seed, "kinds": f.kinds, "wall_s": round(f.wall_s, 3), "error": f.error}
                for f in state.found
            ],
            "argv": argv,
        }
        if shrunk is not None:
            seed = shrunk.scenario.seed
            (staging / "minimal.yaml").write_text(
                minimal_yaml(shrunk, source, seed), encoding="utf-8"
            )
            result = run(shrunk.scenario, out=staging / "run", trace=True)
            _write_replay(staging / "run")
            record["shrink"] = {
                "target": shrunk.target,
                "before": asdict(shrunk.before),
                "after": asdict(shrunk.after),
                "removed": shrunk.removed,
                "runs": shrunk.runs,
                "wall_s": round(shrunk.wall_s, 3),
                "exact": shrunk.exact,
            }
        with (staging / "hunt.json").open("w", encoding="utf-8") as file:
            json.dump(record, file, indent=2)
            file.write("\n")
    return result


def _readable(entry: dict[str, Any]) -> dict[str, Any]:
    """A fault as a person writes it: ``at``, the kind's key, then the rest (``for`` last)."""
    first = {key: entry[key] for key in ("at",) if key in entry}
    rest = {key: value for key, value in entry.items() if key not in ("at", "for")}
    last = {"for": entry["for"]} if "for" in entry else {}
    return {**first, **rest, **last}


def reproduce_command(directory: Path) -> str:
    return shlex.join(["quorumsim", "run", str(directory / "minimal.yaml"), "--trace"])


def _write_seeds(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["seed", "kinds", "events", "wall_s", "error"])
        for row in rows:
            kinds = " ".join(row["kinds"])
            writer.writerow(
                [row["seed"], kinds, row["events"], f"{row['wall_s']:.3f}", row["error"]]
            )


def _write_replay(run_dir: Path) -> None:
    """replay.html beside violation.md, when this version has the replay page."""
    try:
        from sim.replay.page import replay_html
    except ImportError:
        return
    try:
        page = replay_html(run_dir)
    except Exception:  # the replay is a convenience: a page that cannot be made is left out
        return
    (run_dir / "replay.html").write_text(page, encoding="utf-8")
