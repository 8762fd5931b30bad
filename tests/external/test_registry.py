"""Protocols from outside the package: `module:Class` paths and the `quorumsim.protocols` entry
points, found on demand, listed by `quorumsim protocols`, and every way one can be wrong reported
as a one-line problem at `cluster.protocol`."""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.engine.simulation import Simulation
from sim.protocols import registry
from sim.protocols.registry import BadProtocol, get_protocol, protocol_names, protocol_problem
from sim.protocols.seed import Seed
from sim.scenario import ScenarioError
from tests.conftest import make_scenario

runner = CliRunner()

GOOD = '''
from pydantic import Field
from sim.protocols.base import OK, Protocol, ProtocolParams

class EchoParams(ProtocolParams):
    delay: float = Field(default=1.0, description="how long a node sits on a request")
    label: str = Field(description="a name it does nothing with")

class Echo(Protocol):
    """Answers every request ok after `delay` ms, deciding it first."""
    Params = EchoParams

    def __init__(self, params, node_id, nodes):
        super().__init__(params, node_id, nodes)
        self.waiting, self.decided = [], 0

    def on_request(self, ctx, request):
        self.waiting.append(request)
        ctx.set_timer("answer", self.params.delay)

    def on_timer(self, ctx, name):
        for request in self.waiting:
            self.decided += 1
            ctx.decide((ctx.node_id, self.decided), request)
            ctx.reply(request, OK)
        self.waiting.clear()

def helper():
    pass

class NotAProtocol:
    Params = EchoParams

class NoParams(Protocol):
    pass
'''


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path holding `ext_good` (above) and whatever a test writes next to it."""
    (tmp_path / "ext_good.py").write_text(GOOD)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("ext_")]:
        del sys.modules[name]
    for name in [n for n in registry._LOADED if "ext_" in n or n.startswith("test-")]:
        del registry._LOADED[name]


@pytest.fixture
def fake_entry_points(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Installed packages declaring the entry points a test gives (instead of the real ones)."""

    def install(**points: str | list[str]) -> None:
        made = [
            EntryPoint(name, value, registry.ENTRY_POINT_GROUP)
            for name, values in points.items()
            for value in ([values] if isinstance(values, str) else values)
        ]
        monkeypatch.setattr(registry, "entry_points", lambda group: made)
        monkeypatch.setattr(registry, "_CONFLICTS", {})
        registry._entry_points.cache_clear()

    yield install
    registry._entry_points.cache_clear()


def cluster(protocol: str, **params: object) -> dict[str, object]:
    return {"nodes": 3, "protocol": protocol, "params": params}


@pytest.mark.usefixtures("modules")
def test_a_module_path_runs_with_its_own_parameters() -> None:
    """`ext_good:Echo` is imported on demand, its parameters validated and filled in by its
    own model, and it runs: every request answered ok."""
    scenario = make_scenario(
        cluster=cluster("ext_good:Echo", label="x"), workload={"clients": 2, "ops": 20}
    )
    assert scenario.cluster.params == {"delay": 1.0, "label": "x"}
    assert get_protocol("ext_good:Echo").__name__ == "Echo"
    simulation = Simulation(scenario).run()
    assert [row[-1] for row in simulation.recorder.requests] == ["ok"] * 20
    with pytest.raises(ScenarioError) as error:
        make_scenario(cluster=cluster("ext_good:Echo", label="x", dealy=2))
    assert "cluster.params.dealy: unknown key (allowed: delay, label)" in str(error.value)


BAD = {
    "no-such-module": (
        None,
        "ext_missing:Echo",
        "cannot import 'ext_missing' for protocol 'ext_missing:Echo': no module named "
        "'ext_missing' (install its package, or put its folder on PYTHONPATH)",
    ),
    "its-dependency-missing": (
        "import numpy\nimport ext_absent_dependency\n",
        "ext_dep:Echo",
        "cannot import 'ext_dep' for protocol 'ext_dep:Echo': ModuleNotFoundError: No module "
        "named 'ext_absent_dependency' (ext_dep.py:2)",
    ),
    "raises-on-import": (
        "x = 1\n\nraise RuntimeError('no config file')\n",
        "ext_raises:Echo",
        "cannot import 'ext_raises' for protocol 'ext_raises:Echo': RuntimeError: no config "
        "file (ext_raises.py:3)",
    ),
    "exits-on-import": (
        "import sys\nsys.exit(3)\n",
        "ext_exits:Echo",
        "cannot import 'ext_exits' for protocol 'ext_exits:Echo': SystemExit: 3 (ext_exits.py:2)",
    ),
    "syntax-error": (
        "def f(:\n    pass\n",
        "ext_syntax:Echo",
        "cannot import 'ext_syntax' for protocol 'ext_syntax:Echo': SyntaxError: invalid syntax "
        "(ext_syntax.py, line 1)",
    ),
    "no-such-class": (
        None,
        "ext_good:Ecoh",
        "module 'ext_good' has no 'Ecoh' (its protocol classes: Echo); did you mean `Echo`?",
    ),
    "a-function": (
        None,
        "ext_good:helper",
        "'ext_good:helper' is a function, not a protocol class (a subclass of "
        "sim.protocols.base.Protocol)",
    ),
    "not-a-protocol": (
        None,
        "ext_good:NotAProtocol",
        "'ext_good:NotAProtocol' is not a subclass of sim.protocols.base.Protocol",
    ),
    "no-parameter-model": (
        None,
        "ext_good:NoParams",
        "'ext_good:NoParams' has no parameter model (a class attribute `Params`, a subclass of "
        "sim.protocols.base.ProtocolParams)",
    ),
    "not-a-path": (
        None,
        "ext good:Echo",
        "'ext good:Echo' is not a `module:Class` path (a dotted module name, a colon, a class "
        "name, e.g. `my_protocols.paxos:Paxos`)",
    ),
    "unknown-name": (None, "rafft", "unknown protocol 'rafft' (known: "),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_protocol_is_one_line_at_cluster_protocol(case: str, modules: Path) -> None:
    """Each way a protocol name can be wrong: exit 2, one line at the value of
    `cluster.protocol` saying why, no traceback, within a second."""
    source, protocol, message = BAD[case]
    if source is not None:
        (modules / f"{protocol.split(':')[0]}.py").write_text(source)
    file = modules / "scenario.yaml"
    file.write_text(f"name: x\ncluster: {{protocol: '{protocol}'}}\n")
    started = time.perf_counter()
    result = runner.invoke(app, ["validate", str(file)])
    assert time.perf_counter() - started < 1.0
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{file}:2:21: cluster.protocol: {message}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_the_unknown_name_message_lists_and_suggests() -> None:
    """An unknown name lists the known ones, the module path form, and the nearest name."""
    assert protocol_problem("rafft") == (
        f"unknown protocol 'rafft' (known: {', '.join(protocol_names())}; or `module:Class` for "
        "a class on the Python path); did you mean `raft`?"
    )


# --- entry points ------------------------------------------------------------------------------


def test_entry_points_are_imported_only_when_named(fake_entry_points, modules: Path) -> None:
    """Listing names reads metadata only; a built-in name never looks further; the broken
    package is found out when, and only when, its name is used."""
    (modules / "ext_boom.py").write_text("raise OSError('x')\n")
    fake_entry_points(**{"test-good": "ext_good:Echo", "test-boom": "ext_boom:Echo"})
    assert {"test-good", "test-boom", "seed"} <= set(protocol_names())
    assert get_protocol("seed") is Seed
    assert "ext_boom" not in sys.modules and "ext_good" not in sys.modules
    assert get_protocol("test-good").__name__ == "Echo"
    with pytest.raises(BadProtocol, match=r"protocol 'test-boom' \(entry point ext_boom:Echo of"):
        get_protocol("test-boom")


@pytest.mark.usefixtures("modules")
def test_an_entry_point_runs_from_a_scenario(fake_entry_points) -> None:
    """`protocol: test-good` names the entry point's class, validated by its model."""
    fake_entry_points(**{"test-good": "ext_good:Echo"})
    scenario = make_scenario(cluster=cluster("test-good", label="y", delay="2"))
    assert scenario.cluster.params == {"delay": 2.0, "label": "y"}


def test_a_name_two_packages_declare_is_refused(fake_entry_points) -> None:
    """Two packages giving one name two classes: neither is picked, the problem names both."""
    fake_entry_points(**{"test-twice": ["one.mod:A", "two.mod:B"]})
    assert protocol_problem("test-twice") == (
        "protocol 'test-twice' is declared by two packages: one.mod:A (an installed package) and "
        "two.mod:B (an installed package); uninstall one"
    )


def test_a_built_in_name_wins_over_an_entry_point(fake_entry_points) -> None:
    """A package cannot replace `seed` by declaring the name."""
    fake_entry_points(seed="nowhere.at.all:Seed")
    assert get_protocol("seed") is Seed


# --- quorumsim protocols -----------------------------------------------------------------------


def test_protocols_lists_every_protocol_with_its_origin_and_parameters() -> None:
    """Built-ins and quorumsim's own entry point, each with where it comes from and each
    parameter's default and description."""
    result = runner.invoke(app, ["protocols"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert text.count("(built in)") == 4  # fpaxos, multipaxos, raft, seed
    assert "(entry point sim.process.seed:SeedProcess of package quorumsim)" in text
    process = text.split("seed-process ", 1)[1]
    assert 'quorum = "article"' in process and "timeout = none" in process
    assert "give up on a proposal without its quorum" in process


@pytest.mark.usefixtures("modules")
def test_protocols_shows_a_module_path_and_reports_the_broken(fake_entry_points) -> None:
    """`protocols NAME...` shows those named, a required parameter as such; a name that does
    not load is a line on stderr and exit 2, after the others are shown."""
    fake_entry_points(**{"test-broken": "ext_nowhere:X"})
    result = runner.invoke(app, ["protocols", "ext_good:Echo", "test-broken"])
    assert result.exit_code == 2
    assert "ext_good:Echo  Answers every request ok after `delay` ms" in result.stdout
    assert "delay = 1.0" in result.stdout and "label = (required)" in result.stdout
    assert result.stderr == textwrap.dedent(
        """\
        protocol 'test-broken' (entry point ext_nowhere:X of an installed package): cannot \
import 'ext_nowhere': no module named 'ext_nowhere' (install its package, or put its folder on \
PYTHONPATH)
        """
    )
