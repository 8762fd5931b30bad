"""How fast the linearizability checker is, and how much memory it takes, at 10k to 1M operations.

    python -m benchmarks.bench_linearizability [--quick] [--seed N] [--model NAME]...

Each history is made by simulating a linearizable object: clients run closed loops with
lognormal latencies, each operation takes effect at a random instant inside its interval, and a
few end ``info`` (half of those took effect, half did not; the client then continues as a new
process, as in Jepsen). The ``store`` rows are a register store of reads, writes and cas: every
write and cas writes a fresh value, and one row makes a late read return the value before the
one it saw, to time the search of a history that is not linearizable. The other models' rows
(kv, list-append, set, queue) run their own operations on fresh values; the models whose reads
return a whole string, list or set get more keys, so that what a read returns stays short (as
Jepsen's list-append rotates its keys).

The history is written to a temporary ``history.jsonl``; reading and checking it run in a fresh
process, whose peak resident set size (VmHWM on Linux, else ``ru_maxrss``) minus its size before
reading is the memory the checker needed. That measures what a user sees, costs nothing while
it runs (unlike tracemalloc, which slows allocation-heavy code several times over), and counts
the Operation objects and the search's cache alike. Results go to
``benchmarks/results-linearizability.json`` (not with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.memory import peak_rss_mb

RESULTS = Path(__file__).with_name("results-linearizability.json")
MIX = {"read": 0.5, "write": 0.3, "cas": 0.2}
FUNCTIONS = list(MIX)
INFO_RATE = 0.002

# (model, operations, clients, keys, stale read injected)
CASES = [
    ("store", 10_000, 5, 10, False),
    ("store", 10_000, 20, 1000, False),
    ("store", 100_000, 5, 10, False),
    ("store", 100_000, 20, 10, False),
    ("store", 100_000, 20, 1000, False),
    ("store", 100_000, 20, 10, True),
    ("store", 100_000, 20, 1, False),
    ("store", 1_000_000, 20, 10, False),
    ("store", 1_000_000, 20, 1000, False),
    ("kv", 10_000, 20, 100, False),
    ("kv", 100_000, 20, 1000, False),
    ("kv", 1_000_000, 20, 10_000, False),
    ("list-append", 10_000, 20, 100, False),
    ("list-append", 100_000, 20, 1000, False),
    ("list-append", 1_000_000, 20, 10_000, False),
    ("set", 10_000, 20, 100, False),
    ("set", 100_000, 20, 1000, False),
    ("set", 1_000_000, 20, 10_000, False),
    # A queue's search is exponential in the enqueues concurrent with each other: with 10 keys
    # (two ops in flight per key) 2000 operations do not finish in a minute. So: more keys.
    ("queue", 10_000, 20, 100, False),
    ("queue", 100_000, 20, 100, False),
    ("queue", 1_000_000, 20, 1000, False),
]
# Each model's operations and their weights (store: MIX).
MODEL_MIX = {
    "kv": {"get": 0.5, "put": 0.2, "append": 0.3},
    "list-append": {"read": 0.5, "append": 0.5},
    "set": {"read": 0.5, "add": 0.5},
    "queue": {"enqueue": 0.5, "dequeue": 0.5},
}


@dataclass(frozen=True)
class Row:
    model: str
    operations: int
    clients: int
    keys: int
    stale_read: bool
    info_ops: int
    read_s: float
    check_s: float
    check_cpu_s: float  # the checking process's CPU time: less skewed by other work
    peak_rss_mb: float  # the checking process's peak, minus its size before reading
    linearizable: bool


def _timing(
    rng: np.random.Generator, ops: int, clients: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Closed-loop clients: invoke, complete and effect times, which ops end info, processes."""
    assert ops % clients == 0, "clients run the same number of operations"
    shape = (clients, ops // clients)
    latency = rng.lognormal(mean=0.0, sigma=0.6, size=shape)  # ms; median 1 ms
    complete = np.cumsum(latency + rng.exponential(0.2, size=shape), axis=1)
    invoke = complete - latency
    effect = invoke + rng.random(shape) * latency
    info = rng.random(shape) < INFO_RATE
    # A client whose op ended info continues under a new process id.
    process = np.arange(clients)[:, None] + clients * (np.cumsum(info, axis=1) - info)
    return invoke, complete, effect, info, process


def write_history(path: Path, ops: int, clients: int, keys: int, stale: bool, seed: int) -> int:
    """Simulate a linearizable register store, write its history; return how many ops ended info."""
    rng = np.random.default_rng(seed)
    invoke, complete, effect, info, process = _timing(rng, ops, clients)
    shape = invoke.shape
    store = _Store(
        f=rng.choice(len(MIX), p=list(MIX.values()), size=ops).tolist(),
        key=rng.integers(keys, size=ops).tolist(),
        invoke=invoke.ravel().tolist(),
        complete=np.where(info, np.inf, complete).ravel().tolist(),
        took_effect=(~info | (rng.random(shape) < 0.5)).ravel().tolist(),
        fresh_expected=(rng.random(ops) < 0.5).tolist(),
        keys=keys,
    )
    store.run(np.argsort(effect, axis=None).tolist())
    if stale:
        store.make_a_read_stale()
    events = sorted(
        [(t, n, "invoke") for n, t in enumerate(store.invoke)]
        + [(t, n, "end") for n, t in enumerate(complete.ravel().tolist())]
    )
    processes, infos = process.ravel().tolist(), info.ravel().tolist()
    with open(path, "w") as out:
        for when, n, kind in events:
            f = FUNCTIONS[store.f[n]]
            if kind == "invoke":
                value = None if f == "read" else store.value[n]
            else:
                kind = "info" if infos[n] else "fail" if n in store.failed else "ok"
                value = store.value[n]
            line = {
                "process": processes[n],
                "type": kind,
                "f": f,
                "key": f"k{store.key[n]}",
                "value": value,
                "time": round(when, 6),
            }
            out.write(json.dumps(line) + "\n")
    return sum(infos)


def write_model_history(
    path: Path, model: str, ops: int, clients: int, keys: int, seed: int
) -> int:
    """Simulate a linearizable object of ``model`` (not store), write its history; return how many
    ops ended info."""
    rng = np.random.default_rng(seed)
    invoke, complete, effect, info, process = _timing(rng, ops, clients)
    mix = MODEL_MIX[model]
    names = list(mix)
    fs = [names[i] for i in rng.choice(len(mix), p=list(mix.values()), size=ops).tolist()]
    key = rng.integers(keys, size=ops).tolist()
    infos = info.ravel().tolist()
    took_effect = (~info | (rng.random(invoke.shape) < 0.5)).ravel().tolist()
    inputs: list[object] = [f"{n}," if model == "kv" else n for n in range(ops)]
    outputs: list[object] = [None] * ops
    apply = _APPLY[model]
    objects: dict[int, object] = {}
    for n in np.argsort(effect, axis=None).tolist():
        if took_effect[n]:
            outputs[n] = apply(objects, key[n], fs[n], inputs[n])
    events = sorted(
        [(t, n, "invoke") for n, t in enumerate(invoke.ravel().tolist())]
        + [(t, n, "end") for n, t in enumerate(complete.ravel().tolist())]
    )
    processes = process.ravel().tolist()
    with open(path, "w") as out:
        for when, n, kind in events:
            reads = fs[n] in ("get", "read", "dequeue")
            if kind == "invoke":
                value = None if reads else inputs[n]
            else:
                kind = "info" if infos[n] else "ok"
                value = outputs[n] if reads else inputs[n]
            line = {
                "process": processes[n],
                "type": kind,
                "f": fs[n],
                "key": f"k{key[n]}",
                "value": value,
                "time": round(when, 6),
            }
            out.write(json.dumps(line) + "\n")
    return sum(infos)


def _apply_kv(objects: dict[int, Any], key: int, f: str, value: Any) -> Any:
    if f == "get":
        return objects.get(key, "")
    objects[key] = objects.get(key, "") + value if f == "append" else value
    return None


def _apply_list(objects: dict[int, Any], key: int, f: str, value: Any) -> Any:
    items = objects.setdefault(key, [])
    if f == "read":
        return list(items)
    items.append(value)
    return None


def _apply_set(objects: dict[int, Any], key: int, f: str, value: Any) -> Any:
    items = objects.setdefault(key, set())
    if f == "read":
        return sorted(items)
    items.add(value)
    return None


def _apply_queue(objects: dict[int, Any], key: int, f: str, value: Any) -> Any:
    items = objects.setdefault(key, deque())
    if f == "dequeue":
        return items.popleft() if items else None
    items.append(value)
    return None


_APPLY: dict[str, Callable[[dict[int, Any], int, str, Any], Any]] = {
    "kv": _apply_kv,
    "list-append": _apply_list,
    "set": _apply_set,
    "queue": _apply_queue,
}


class _Store:
    """The register store itself: applies ops in the order they take effect."""

    def __init__(
        self,
        *,
        f: list[int],
        key: list[int],
        invoke: list[float],
        complete: list[float],
        took_effect: list[bool],
        fresh_expected: list[bool],
        keys: int,
    ) -> None:
        self.f, self.key, self.invoke, self.complete = f, key, invoke, complete
        self.took_effect, self.fresh_expected = took_effect, fresh_expected
        self.value: list[object] = [None] * len(f)  # a write's value, a cas's pair, a read's result
        self.failed: set[int] = set()
        # Per key: the last two values that took effect, and the ops that wrote them.
        self.current: list[int | None] = [None] * keys
        self.before: list[int | None] = [None] * keys
        self.writer: list[int | None] = [None] * keys
        self.before_writer: list[int | None] = [None] * keys
        self.stale_reads: list[tuple[int, int | None]] = []  # (read, a value it cannot return)

    def run(self, order: list[int]) -> None:
        next_value = 0
        for n in order:
            k = self.key[n]
            f = FUNCTIONS[self.f[n]]
            current = self.current[k]
            if f == "read":
                self.value[n] = current
                self._note_stale_read(n, k)
                continue
            next_value += 1
            if f == "write":
                self.value[n] = next_value
            else:
                expected = current if self.fresh_expected[n] else self.before[k]
                self.value[n] = [expected, next_value]
                if expected != current:
                    self.failed.add(n)
                    continue
            if self.took_effect[n]:
                self.before[k], self.before_writer[k] = current, self.writer[k]
                self.current[k], self.writer[k] = next_value, n

    def _note_stale_read(self, n: int, k: int) -> None:
        """Returning the value before the current one is surely stale when the current one's
        write completed before the read began and the one before completed before that write."""
        writer, before_writer = self.writer[k], self.before_writer[k]
        if writer is None or self.complete[writer] >= self.invoke[n]:
            return
        if before_writer is None or self.complete[before_writer] < self.invoke[writer]:
            self.stale_reads.append((n, self.before[k]))

    def make_a_read_stale(self) -> None:
        """Make the last read that can be made stale return the value before the current one."""
        n, before = self.stale_reads[-1]
        self.value[n] = before


def measure(path: str, model: str) -> tuple[float, float, float, float, bool]:
    """Read and check a history file: (read s, check s, check CPU s, peak RSS growth in MB,
    verdict).

    Meant to run in a fresh process, so that the peak belongs to this work alone. The store's
    rows call the checker with its defaults, so that this runs on the checker before models too.
    """
    from sim.checks.history import read_history
    from sim.checks.linearizability import check_operations

    before = peak_rss_mb()
    start = time.perf_counter()
    if model == "store":
        ops = read_history(path)
    else:
        from sim.checks.models import get_model

        ops = read_history(path, functions=get_model(model).functions)
    read = time.perf_counter()
    cpu = time.process_time()
    result = check_operations(ops) if model == "store" else check_operations(ops, model)
    done, cpu_done = time.perf_counter(), time.process_time()
    return read - start, done - read, cpu_done - cpu, peak_rss_mb() - before, result.ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k operations only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", action="append", help="only this model's rows (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go")
    args = parser.parse_args()
    cases = [
        case
        for case in CASES
        if (not args.quick or case[1] == 10_000) and (not args.model or case[0] in args.model)
    ]
    rows = []
    print(
        f"{'model':<11} {'ops':>9} {'clients':>7} {'keys':>6} {'history':<12} {'info':>5} "
        f"{'read s':>7} {'check s':>8} {'cpu s':>6} {'peak MB':>8}  verdict"
    )
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        for model, ops, clients, keys, stale in cases:
            path = Path(tmp) / "history.jsonl"
            if model == "store":
                info = write_history(path, ops, clients, keys, stale, args.seed)
            else:
                info = write_model_history(path, model, ops, clients, keys, args.seed)
            with spawn.Pool(1) as pool:
                read_s, check_s, cpu_s, peak, ok = pool.apply(measure, (str(path), model))
            row = Row(model, ops, clients, keys, stale, info, read_s, check_s, cpu_s, peak, ok)
            rows.append(row)
            history = "stale read" if stale else "linearizable"
            print(
                f"{model:<11} {ops:>9,} {clients:>7} {keys:>6} {history:<12} {info:>5} "
                f"{read_s:>7.2f} {check_s:>8.2f} {cpu_s:>6.2f} {peak:>8.0f}  "
                f"{'ok' if ok else 'NOT linearizable'}",
                flush=True,
            )
    report = {
        "seed": args.seed,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_after": os.getloadavg()[0],  # other work on the machine skews the times
        "rows": [asdict(row) for row in rows],
    }
    if not args.quick:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
