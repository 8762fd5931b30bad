"""Bad scenario files: each gives exit 2, the right line and key path, no traceback, and no
run directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario import ScenarioError, load_scenario

runner = CliRunner()

# (case id, file text, expected "LINE:COL: key.path: ..." fragment of the first problem)
CASES = [
    ("empty-file", "", "1:1: the file is empty"),
    ("only-comment", "# nothing\n", "1:1: the file is empty"),
    ("top-level-list", "- name: x\n", "1:1: a scenario is a mapping of keys, not a list"),
    ("top-level-string", "hello\n", "1:1: a scenario is a mapping of keys, not a string"),
    ("yaml-syntax", "name: x\ncluster: {nodes: 3\n", ":3:1: YAML syntax"),
    ("bad-indent", "name: x\ncluster:\n  nodes: 3\n protocol: seed\n", ":4:2: YAML syntax"),
    ("tab-indent", "name: x\ncluster:\n\tnodes: 3\n", ":3:1: YAML syntax"),
    (
        "duplicate-key",
        "name: x\nseed: 1\nseed: 2\n",
        ":3:1: duplicate key 'seed' (first written at line 2)",
    ),
    ("missing-name", "seed: 3\n", ":1:1: name: required key is missing"),
    ("bad-name", "name: 'has spaces'\n", ":1:7: name: string should match pattern"),
    (
        "unknown-top-key",
        "name: x\ndurtion: 5s\n",
        ":2:1: durtion: unknown key (allowed: name, description, seed, duration, cluster, network, workload, faults, checks, sweep, output); did you mean `duration`?",
    ),
    (
        "unknown-cluster-key",
        "name: x\ncluster:\n  node: 3\n",
        ":3:3: cluster.node: unknown key (allowed: nodes, protocol, params, processing, disk_write, durability, unsafe, timer_jitter, clock_drift); did you mean `nodes`?",
    ),
    (
        "unknown-network-key",
        "name: x\nnetwork:\n  latencey: 5ms\n",
        ":3:3: network.latencey: unknown key",
    ),
    (
        "unknown-dist-key",
        "name: x\nnetwork:\n  latency: {dist: lognormal, median: 5ms, sigm: 0.4}\n",
        ":3:43: network.latency.sigm: unknown key (allowed: dist, median, sigma); did you mean `sigma`?",
    ),
    (
        "unknown-link-key",
        "name: x\ncluster: {nodes: 3}\nnetwork:\n  links:\n    - {from: n1, to: n2, latncy: 5ms}\n",
        ":5:26: network.links[0].latncy: unknown key",
    ),
    (
        "unknown-workload-key",
        "name: x\nworkload:\n  client: 2\n",
        ":3:3: workload.client: unknown key",
    ),
    ("unknown-checks-key", "name: x\nchecks: {safe: true}\n", ":2:10: checks.safe: unknown key"),
    (
        "unknown-param",
        "name: x\ncluster:\n  protocol: seed\n  params: {quorom: majority}\n",
        ":4:12: cluster.params.quorom: unknown key",
    ),
    (
        "unknown-protocol",
        "name: x\ncluster: {protocol: rafft}\n",
        ":2:21: cluster.protocol: unknown protocol 'rafft'",
    ),
    ("nodes-wrong-type", "name: x\ncluster: {nodes: three}\n", ":2:18: cluster.nodes:"),
    (
        "nodes-zero",
        "name: x\ncluster: {nodes: 0}\n",
        ":2:18: cluster.nodes: input should be greater than or equal to 1",
    ),
    (
        "repeated-node-names",
        "name: x\ncluster: {nodes: [a, b, a]}\n",
        ":2:18: cluster.nodes: node names must be unique; repeated: a",
    ),
    (
        "bad-duration-unit",
        "name: x\nduration: 5 parsecs\n",
        ":2:11: duration: not a duration: '5 parsecs'",
    ),
    ("negative-duration", "name: x\nduration: -5s\n", ":2:11: duration: not a duration"),
    (
        "negative-number-duration",
        "name: x\ncluster: {processing: -1}\n",
        ":2:23: cluster.processing: a duration must be finite and >= 0",
    ),
    ("zero-duration", "name: x\nduration: 0\n", ":2:11: duration: duration must be > 0"),
    (
        "boolean-duration",
        "name: x\nworkload: {think: yes}\n",
        ":2:19: workload.think: a duration, not a boolean",
    ),
    ("bad-rate", "name: x\nworkload: {rate: fast}\n", ":2:18: workload.rate: not a rate: 'fast'"),
    (
        "probability-above-one",
        "name: x\nnetwork: {loss: 1.5}\n",
        ":2:17: network.loss: input should be less than or equal to 1",
    ),
    (
        "negative-probability",
        "name: x\nnetwork: {duplicate: -0.1}\n",
        ":2:22: network.duplicate: input should be greater than or equal to 0",
    ),
    (
        "unknown-dist",
        "name: x\nnetwork:\n  latency: {dist: gamma, mean: 5}\n",
        ":3:12: network.latency: unknown distribution",
    ),
    (
        "uniform-low-above-high",
        "name: x\nnetwork:\n  latency: {dist: uniform, low: 9ms, high: 2ms}\n",
        ":3:12: network.latency: low (9.0 ms) must be <= high (2.0 ms)",
    ),
    (
        "missing-dist-field",
        "name: x\nnetwork:\n  latency: {dist: exponential}\n",
        ":3:12: network.latency.mean: required key is missing",
    ),
    (
        "bad-ordering",
        "name: x\nnetwork: {ordering: lifo}\n",
        ":2:21: network.ordering: input should be 'unordered' or 'fifo', got 'lifo'",
    ),
    (
        "list-where-mapping",
        "name: x\ncluster: [3, seed]\n",
        ":2:10: cluster: input should be a valid dictionary",
    ),
    (
        "mapping-where-list",
        "name: x\nnetwork:\n  links: {from: n1}\n",
        ":3:10: network.links: input should be a valid list",
    ),
    (
        "unknown-node-in-link",
        "name: x\ncluster: {nodes: 3}\nnetwork:\n  links:\n    - {from: n1, to: n9, latency: 5ms}\n",
        ":5:22: network.links[0].to: unknown node 'n9' (allowed: n1, n2, n3)",
    ),
    (
        "unknown-target",
        "name: x\ncluster: {nodes: 3}\nworkload: {target: n7}\n",
        ":3:20: workload.target: unknown node 'n7'",
    ),
    (
        "bad-mode",
        "name: x\nworkload: {mode: half-open}\n",
        ":2:18: workload.mode: input should be 'closed' or 'open'",
    ),
    (
        "empty-mix",
        "name: x\nworkload: {mix: {}}\n",
        ":2:17: workload.mix: mix needs at least one operation",
    ),
    (
        "unknown-op-in-mix",
        "name: x\nworkload: {mix: {increment: 1}}\n",
        ":2:18: workload.mix.increment: input should be 'write', 'read', 'cas', 'append' or 'delete'",
    ),
    (
        "bad-expect",
        "name: x\nchecks: {expect: maybe}\n",
        ":2:18: checks.expect: input should be 'safe' or 'unsafe'",
    ),
    (
        "seed-negative",
        "name: x\nseed: -1\n",
        ":2:7: seed: input should be greater than or equal to 0",
    ),
    (
        "sweep-bad-key",
        "name: x\nsweep:\n  grid: {'cluster nodes': [3]}\n",
        ":3:9: sweep.grid: 'cluster nodes' is not a dotted key",
    ),
    (
        "quorum-zero",
        "name: x\ncluster:\n  params: {quorum: 0}\n",
        ":3:20: cluster.params.quorum: input should be 'article' or 'majority', got 0; or input should be greater than or equal to 1",
    ),
    (
        "quorum-above-cluster",
        "name: x\ncluster:\n  nodes: 3\n  params: {quorum: 9}\n",
        ":4:20: cluster.params.quorum: a quorum of 9 nodes can never form in a cluster of 3, so nothing would ever commit (at most 3)",
    ),
    (
        "article-quorum-on-one-node",
        "name: x\ncluster: {nodes: 1}\n",
        ":2:10: cluster.params.quorum: `article` waits for len(peers)//2 + 1 = 1 acknowledgment and a single node has no peers, so nothing would ever commit (on one node: majority, or 1)",
    ),
    (
        "workload-starts-after-the-end",
        "name: x\nduration: 5s\nworkload: {start: 6s}\n",
        ":3:19: workload.start: 6000 ms is not before the end of the run (5000 ms), so no client would ever issue an operation",
    ),
    (
        "inverted-election-timeout-beside-bad-heartbeat",
        "name: x\ncluster:\n  protocol: raft\n  params: {heartbeat: soon, election_timeout: [300ms, 150ms]}\n",
        ":4:11: cluster.params: election_timeout must be [min, max] with 0 < min <= max, got (300.0, 150.0)",
    ),
]


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "scenario.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_there_are_at_least_thirty_cases() -> None:
    """The issue asks for at least 30 kinds of bad file."""
    assert len(CASES) + 4 >= 30


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_file_is_pinned_to_its_place(tmp_path: Path, text: str, expected: str) -> None:
    """load_scenario names the file, line, column and key of the problem."""
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = [str(p) for p in caught.value.problems]
    assert any(line.startswith(str(path)) and expected in line for line in lines), lines


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_file_exits_2_without_traceback_or_output(
    tmp_path: Path, text: str, expected: str
) -> None:
    """`quorumsim run` exits 2, prints the problem on stderr, and writes no run directory."""
    path = _write(tmp_path, text)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()


def test_missing_file(tmp_path: Path) -> None:
    """A path that does not exist."""
    result = runner.invoke(app, ["run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "nope.yaml: no such file" in result.stderr


def test_directory_instead_of_file(tmp_path: Path) -> None:
    """A directory where a file belongs."""
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory, not a scenario file" in result.stderr


def test_non_utf8_bytes(tmp_path: Path) -> None:
    """A Latin-1 byte is pinned to its line and column."""
    path = _write(tmp_path, b"name: x\ndescription: caf\xe9\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2:17: not UTF-8 text" in result.stderr


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Three independent mistakes give three lines, in one run."""
    path = _write(tmp_path, "name: x\nduration: soon\nnetwork: {loss: 2}\nworkload: {mode: x}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    paths = [p.path for p in caught.value.problems]
    assert paths == ["duration", "network.loss", "workload.mode"]


def test_override_errors_name_the_override(tmp_path: Path) -> None:
    """A bad --set is reported against the override, not a line of the file."""
    path = _write(tmp_path, "name: x\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides=["network.loss=2"])
    assert str(caught.value.problems[0]).startswith("--set network.loss=2: network.loss:")


def test_zip_rows_are_validated_together(tmp_path: Path) -> None:
    """Zip values valid only with their partners pass; a bad row is named by its index."""
    good = "cluster: {nodes: 3, protocol: raft}\nsweep:\n  zip:\n    cluster.protocol: [seed, raft]\n    cluster.params: [{quorum: majority}, {heartbeat: 20ms}]\n"
    load_scenario(_write(tmp_path, "name: x\n" + good))
    bad = good.replace("{heartbeat: 20ms}", "{quorum: majority}")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_write(tmp_path, "name: x\n" + bad))
    [problem] = caught.value.problems
    assert problem.path == "sweep.zip.cluster.protocol[1]"
    assert "cluster.params.quorum: unknown key" in problem.message


def _at(text: str, needle: str, nth: int = 1) -> str:
    """LINE:COL of the nth occurrence of ``needle`` in ``text`` (1-based, as the loader counts)."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return f"{line}:{index - (text.rfind(chr(10), 0, index) + 1) + 1}"


MANY_PROBLEMS = """\
name: many-problems
seed: 1
seed: 2
cluster:
  nodes: 3
  protocol: raft
  params: {heartbeat: soon, election_timeout: [300ms, 150ms], max_batch: 0}
network:
  loss: 1.5
  links:
    - {from: n1, to: n4}
workload:
  clients: many
  target: n7
faults:
  - {at: later, crash: n1}
  - {at: 1s, crash: n9}
  - {at: 2s, partition: [[n1, n2], [n2, n3]]}
"""


def test_one_file_shows_every_problem_of_every_stage(tmp_path: Path) -> None:
    """YAML, type, range, protocol-parameter, cross-field, node-name, fault and overlap problems
    all appear in one report, each at its place: none hides another."""
    path = _write(tmp_path, MANY_PROBLEMS)
    text = MANY_PROBLEMS
    expected = [
        (_at(text, "seed", 2), "", "duplicate key 'seed' (first written at line 2)"),
        (_at(text, "soon"), "cluster.params.heartbeat", "not a duration: 'soon'"),
        (_at(text, "0}"), "cluster.params.max_batch", "input should be greater than or equal to 1"),
        (
            _at(text, "{heartbeat"),
            "cluster.params",
            "election_timeout must be [min, max] with 0 < min <= max, got (300.0, 150.0)",
        ),
        (_at(text, "1.5"), "network.loss", "input should be less than or equal to 1"),
        (_at(text, "n4"), "network.links[0].to", "unknown node 'n4' (allowed: n1, n2, n3)"),
        (_at(text, "many\n"), "workload.clients", "input should be a valid integer"),
        (_at(text, "n7"), "workload.target", "unknown node 'n7' (allowed: leader, any, n1,"),
        (_at(text, "later"), "faults[0].at", "not a duration: 'later'"),
        (_at(text, "n9"), "faults[1].crash", "unknown node 'n9' (allowed: leader,"),
        (
            _at(text, "[n2, n3]"),
            "faults[2].partition[1]",
            "n2 is already in group 1; groups must not overlap",
        ),
    ]
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    found = [(p.where, p.path, p.message) for p in caught.value.problems]
    for where, key, message in expected:
        matches = [f for f in found if f[:2] == (f"{path}:{where}", key) and message in f[2]]
        assert matches, (where, key, message, found)
    assert len(found) == len(expected), found


def test_every_problem_is_also_shown_by_validate(tmp_path: Path) -> None:
    """`quorumsim validate` prints one line per problem of the file above and exits 2."""
    path = _write(tmp_path, MANY_PROBLEMS)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 11
    assert all(line.startswith(f"{path}:") for line in result.stderr.splitlines())


def test_problems_are_listed_in_file_order(tmp_path: Path) -> None:
    """Cross checks found late (a fault's node) still come out in the order of their lines."""
    path = _write(
        tmp_path,
        "name: x\nfaults:\n  - {at: 1s, crash: n9}\nworkload: {clients: many}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [p.path for p in caught.value.problems] == ["faults[0].crash", "workload.clients"]


@pytest.mark.parametrize(
    "text",
    [
        "workload: {clients: 0}\n",
        "workload: {ops: 0}\n",
        "workload: {mode: open, rate: 0}\n",
        "workload: {clients: 0, start: 1h}\n",
        "cluster: {nodes: 3, params: {quorum: 3}}\n",
        "cluster: {nodes: 1, params: {quorum: majority}}\n",
        "cluster: {nodes: 1, params: {quorum: 1}}\n",
        "cluster: {nodes: 1, protocol: raft}\n",
        "checks: {live: true}\n",
        "workload: {clients: 0}\nchecks: {live: true}\n",  # nothing asked: not stalled
    ],
)
def test_setups_that_can_progress_or_need_no_workload_are_accepted(
    tmp_path: Path, text: str
) -> None:
    """No workload is fine for election experiments; a reachable quorum is fine."""
    load_scenario(_write(tmp_path, "name: x\n" + text))


def test_seed_reports_a_quorum_the_cluster_cannot_form() -> None:
    """The protocol hook names the parameter and the cluster size; a reachable one is silent."""
    from sim.protocols.seed.protocol import SeedParams

    [(key, message)] = SeedParams(quorum=4).check_cluster(("a", "b", "c"))
    assert key == "quorum" and "cluster of 3" in message
    assert SeedParams(quorum=3).check_cluster(("a", "b", "c")) == []
    assert SeedParams(quorum="article").check_cluster(("a", "b")) == []
