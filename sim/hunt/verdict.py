"""What went wrong in a run, as a short list of kinds: the run's *signature*.

A kind is a safety violation's kind (``agreement``, ``election_safety``, ...), ``linearizability``,
``liveness`` (with ``checks.live``), or ``error`` (the simulation raised). An empty signature is a
run that went as the scenario expects. A teaching scenario (``checks.expect: unsafe``) is hunted
for runs that stay safe: their signature is ``["safe"]``.
"""

from __future__ import annotations

from typing import Any

from sim.scenario.model import Scenario

ERROR = "error"
LIVENESS = "liveness"


def signature(scenario: Scenario, summary: dict[str, Any]) -> list[str]:
    """The kinds of what went wrong in a run of ``scenario`` that wrote ``summary``, first
    found first, each once."""
    kinds: list[str] = []
    for violation in summary["safety"]["violations"]:
        if violation["kind"] not in kinds:
            kinds.append(violation["kind"])
    if summary["linearizable"] is False:
        kinds.append("linearizability")
    if scenario.checks.expect == "unsafe":
        kinds = [] if kinds else ["safe"]
    if scenario.checks.live and not summary["liveness"]["live"]:
        kinds.append(LIVENESS)
    return kinds


def matches(target: str, kinds: list[str]) -> bool:
    """Whether a run of signature ``kinds`` went wrong the way ``target`` names."""
    return target in kinds
