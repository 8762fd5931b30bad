"""The tutorial's example, examples/primary_backup, as a user runs it: by module path with its
folder on PYTHONPATH, and installed with pip into a venv of its own (found through its entry
point), through `run`, `validate`, `protocols` and `sweep --workers 2`; and sweeps whose workers
must import it by name (a process pool, spawned processes, a Dask cluster)."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim import scenario_from_dict, sweep
from sim.experiment.sweep import process_pool
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "primary_backup"
SCENARIO = EXAMPLE / "scenario.yaml"


def quorumsim(
    *args: str, python: Path | str = sys.executable, pythonpath: str | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``python -m sim ARGS`` (the `quorumsim` command) in ``cwd``, where nothing is importable."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    command = [str(python), "-m", "sim", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def requests_csv(directory: Path) -> list[dict[str, str]]:
    with (directory / "requests.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_run_by_module_path_with_the_folder_on_pythonpath(tmp_path: Path) -> None:
    """`protocol: primary_backup:PrimaryBackup` runs: linearizable and replica-safe, nothing
    answered ok while the primary is down (2 to 2.5 s), answers again after its restart."""
    out = tmp_path / "run"
    done = quorumsim(
        "run", str(SCENARIO), "--out", str(out), "--quiet", pythonpath=str(EXAMPLE), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["protocol"] == "primary_backup:PrimaryBackup"
    assert summary["linearizable"] is True and summary["safety"]["ok"] is True
    ok = [float(r["completed_ms"]) for r in requests_csv(out) if r["outcome"] == "ok"]
    assert len(ok) > 1000
    assert not [t for t in ok if 2001 < t < 2500]
    assert [t for t in ok if t > 2500]


def test_run_without_the_folder_on_the_path_is_bad_input(tmp_path: Path) -> None:
    """Not importable: exit 2, one line naming the file, line, key and what to do."""
    done = quorumsim("run", str(SCENARIO), "--out", str(tmp_path / "run"), cwd=tmp_path)
    lines = SCENARIO.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "protocol: primary_backup" in text)
    column = lines[line - 1].index("primary_backup") + 1
    assert done.returncode == 2
    assert done.stderr == (
        f"{SCENARIO}:{line}:{column}: cluster.protocol: cannot import 'primary_backup' for "
        "protocol 'primary_backup:PrimaryBackup': no module named 'primary_backup' (install "
        "its package, or put its folder on PYTHONPATH)\n"
    )
    assert not (tmp_path / "run").exists()


# --- installed with pip ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the example installed by pip, as a user would install it.

    The venv reaches quorumsim and its dependencies (and pip and hatchling, to build the example
    without a network) through a .pth file that adds this interpreter's site-packages as a site
    directory: a venv's ``--system-site-packages`` would give the base Python's instead, which
    has none of them. What pip installs goes into the new venv alone."""
    root = tmp_path_factory.mktemp("installed")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = sysconfig.get_path("purelib")
    Path(purelib, "parent-venv.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    source = root / "source"  # (a copy: building leaves nothing in the repository)
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__"))
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
    subprocess.run([*install, "--no-build-isolation", str(source)], check=True, timeout=300)
    return python


def test_installed_example_is_listed_with_its_parameters(venv_python: Path, tmp_path: Path) -> None:
    """`protocols` lists the entry point's protocol, where it comes from, each parameter with
    its default and meaning; the main venv, without the package, does not list it."""
    done = quorumsim("protocols", python=venv_python, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listing = done.stdout.split("primary-backup  ", 1)[1]
    assert "Primary-backup replication" in listing
    assert "entry point primary_backup:PrimaryBackup of package quorumsim-primary-backup" in listing
    assert "retry = 20.0" in listing and 'acks = "all"' in listing
    assert "how often the primary resends" in " ".join(listing.split())
    assert "primary-backup" not in quorumsim("protocols", cwd=tmp_path).stdout


def test_installed_example_validates_and_runs_by_its_name(
    venv_python: Path, tmp_path: Path
) -> None:
    """`protocol: primary-backup` validates (its parameters checked by its own model) and
    runs; a parameter it does not have is bad input, named by its key."""
    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    data["cluster"]["protocol"] = "primary-backup"
    named = tmp_path / "named.yaml"
    named.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    done = quorumsim("validate", str(named), str(SCENARIO), python=venv_python, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"ok {named}\nok {SCENARIO}\n"
    out = tmp_path / "run"
    done = quorumsim(
        "run", str(named), "--set", "workload.clients=2", "--out", str(out), "--quiet",
        python=venv_python, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "summary.json").read_text())["protocol"] == "primary-backup"
    data["cluster"]["params"]["retries"] = 3
    named.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    done = quorumsim("validate", str(named), python=venv_python, cwd=tmp_path)
    assert done.returncode == 2
    assert "cluster.params.retries: unknown key (allowed: retry, acks)" in done.stderr


def test_installed_example_sweeps_on_two_workers(venv_python: Path, tmp_path: Path) -> None:
    """`sweep --workers 2` runs every point with the installed protocol, each run safe."""
    out = tmp_path / "sweep"
    done = quorumsim(
        "sweep", str(EXAMPLE / "sweep.yaml"), "--workers", "2", "--out", str(out), "--quiet",
        python=venv_python, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with (out / "runs.csv").open(encoding="utf-8") as file:
        runs = list(csv.DictReader(file))
    assert len(runs) == 8 and {r["status"] for r in runs} == {"ok"}
    assert {r["cluster.params.acks"] for r in runs} == {"all", "majority"}


# --- workers that import the protocol by name ---------------------------------------------------


def small_sweep() -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLE / "sweep.yaml").read_text(encoding="utf-8"))
    data["cluster"]["protocol"] = "primary_backup:PrimaryBackup"
    data["duration"] = "300ms"
    return data


def sweep_on(executor: Executor) -> None:
    result = sweep(scenario_from_dict(small_sweep()), executor)
    assert result.ok and len(result.runs) == 8, result.runs.get("error")


@pytest.fixture
def on_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example importable in this process only: on sys.path, not on PYTHONPATH."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.delenv("PYTHONPATH", raising=False)


@pytest.mark.usefixtures("on_sys_path")
def test_process_pool_workers_import_a_module_path_protocol() -> None:
    """The sweep's own process pool runs a `module:Class` protocol found on sys.path."""
    with process_pool(2) as pool:
        sweep_on(pool)


@pytest.mark.usefixtures("on_sys_path")
def test_spawned_workers_import_a_module_path_protocol() -> None:
    """Spawned workers (the start method elsewhere than Linux) import it afresh, by name, from
    the sys.path the parent passes them."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        sweep_on(pool)


@pytest.mark.usefixtures("on_sys_path")
def test_dask_workers_import_a_module_path_protocol() -> None:
    """A Dask LocalCluster's worker processes import it by name too."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        sweep_on(client.get_executor())
