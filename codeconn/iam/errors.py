"""Errors raised by the IAM engine.

    IamError
    ├── PolicySyntaxError   a policy document is malformed (every fault, with its JSON path)
    └── RequestError        a request cannot be evaluated (bad principal, context value)
"""

from __future__ import annotations

from dataclasses import dataclass


class IamError(Exception):
    """Base class of everything the engine raises on bad input."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault in a policy document, located by its JSON path (`Statement[1].Effect`)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PolicySyntaxError(IamError):
    """A policy document is malformed; carries every fault found, not just the first."""

    def __init__(self, problems: list[Problem], policy_name: str | None = None) -> None:
        self.problems = tuple(problems)
        self.policy_name = policy_name
        where = f"policy {policy_name!r}: " if policy_name else ""
        super().__init__(where + "; ".join(str(p) for p in self.problems))


class RequestError(IamError):
    """A request cannot be evaluated: the message names the field at fault."""
