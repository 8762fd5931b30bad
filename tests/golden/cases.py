"""The golden runs: a few scenarios, traced and untraced, seed and Raft, with faults. Their
deterministic files' SHA-256 digests are kept in ``digests.json``; a refactor that must not
change behaviour leaves them equal.

To update them on purpose (and say why in the commit message)::

    .venv/bin/python -m tests.golden.cases
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from sim import load_scenario, run

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parents[1] / "scenarios"
DIGESTS = HERE / "digests.json"

# Every file a run writes that is a function of the scenario and seed alone (summary.json has
# the wall time and the manifest; scenario.yaml lists every key, so it changes as keys are added).
FILES = (
    "requests.csv",
    "decisions.csv",
    "elections.csv",
    "faults.csv",
    "history.jsonl",
    "trace.jsonl",
)

CASES: dict[str, tuple[str, list[str], bool]] = {
    # name: (scenario file, overrides, traced)
    "quickstart": ("quickstart.yaml", ["duration=2s"], False),
    "quickstart-traced": ("quickstart.yaml", ["duration=1s"], True),
    "seed-reorder-traced": ("seed-reorder.yaml", ["duration=1s"], True),
    "seed-nemesis": ("fault-nemesis.yaml", ["duration=3s"], False),
    "raft-lan": ("raft-5-lan.yaml", ["duration=8s"], False),
    "raft-lan-traced": ("raft-5-lan.yaml", ["duration=7s"], True),
    "raft-leader-crash": ("raft-leader-crash.yaml", ["duration=10s"], False),
    "raft-wan": ("raft-wan.yaml", ["duration=5s"], False),
}


def digests_of(name: str, workdir: Path) -> dict[str, str]:
    """Run one case into ``workdir/name`` and digest its deterministic files."""
    file, overrides, traced = CASES[name]
    out = workdir / name
    run(load_scenario(SCENARIOS / file, overrides=overrides), out=out, trace=traced)
    return {
        f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in FILES if (out / f).is_file()
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        table = {name: digests_of(name, Path(work)) for name in CASES}
    DIGESTS.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{DIGESTS}: {len(table)} runs")


if __name__ == "__main__":
    main()
