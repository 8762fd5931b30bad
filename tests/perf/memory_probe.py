"""Run by test_memory in a fresh interpreter: ``python -m tests.perf.memory_probe OPS`` prints
the peak bytes that Python allocated (tracemalloc: numpy's arrays included) during a run of the
quick-start scenario of OPS operations, summary and tables included."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

from sim import load_scenario, run

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ops = int(sys.argv[1])
    scenario = load_scenario(
        ROOT / "scenarios" / "quickstart.yaml", overrides=["duration=3h", f"workload.ops={ops}"]
    )
    run(scenario.model_copy(update={"duration": 50.0}))  # (imports and caches, not counted)
    tracemalloc.start()
    result = run(scenario)
    _, peak = tracemalloc.get_traced_memory()
    assert result.summary["ops"]["ok"] == ops
    print(peak)


if __name__ == "__main__":
    main()
