"""Problems in a scenario file, each pinned to a place a person can open in an editor."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    where: str  # "FILE:LINE:COL" or "--set KEY=VALUE"
    path: str  # dotted key path, "" for the whole file
    message: str

    def __str__(self) -> str:
        return (
            f"{self.where}: {self.path}: {self.message}"
            if self.path
            else f"{self.where}: {self.message}"
        )


class ScenarioError(ValueError):
    """Bad input: one or more problems, all reported at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
