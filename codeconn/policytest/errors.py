"""Errors raised while reading policy test files, policy files and simulated context.

    PolicyTestError
    ├── DocumentError     a file cannot be read, or is not valid JSON / YAML
    ├── CaseFileError     a policy test file cannot be read or is malformed (every fault)
    └── ContextError      a simulated context entry is malformed or has a value of the wrong type

All of them are bad input: the CLI turns each into exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class PolicyTestError(Exception):
    """Base class of everything this package raises on bad input."""


class DocumentError(PolicyTestError):
    """A file cannot be read or decoded; `path` and `reason` are kept apart for callers that re-word."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True, slots=True)
class CaseProblem:
    """One fault in a test file, located by file, case and field (a JSON path inside the case).

    `index` is the case's position in `cases` and `name` its name, so the fault can be
    found either way; both are None for faults of the file as a whole.
    """

    file: str
    index: int | None
    name: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.index is not None:
            parts.append(f"cases[{self.index}]" + (f" ({self.name!r})" if self.name else ""))
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class CaseFileError(PolicyTestError):
    """A test file cannot be read or is malformed; carries every fault found, not just the first."""

    def __init__(self, problems: list[CaseProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ContextError(PolicyTestError):
    """A context entry given to the simulator is malformed; the message names the option and the key."""
