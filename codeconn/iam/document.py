"""The parsed form of a policy document: frozen values, evaluated and linted as-is.

Values keep the author's spelling (lint reports them); matching is done on the
compiled form (`compiled.py`), built from these once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class PolicyKind(str, Enum):
    """Where a policy sits in AWS's evaluation logic; the value is AWS's wording."""

    IDENTITY = "identity-based policy"
    RESOURCE = "resource-based policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"
    SCP = "service control policy"
    RCP = "resource control policy"
    TRUST = "role trust policy"

    @property
    def with_article(self) -> str:
        """The kind as a sentence names it: "an identity-based policy", "a session policy"."""
        return f"{'an' if self.value[0] in 'aeiou' else 'a'} {self.value}"

    @property
    def names_principals(self) -> bool:
        """Resource-based and trust policies say who; the others must not."""
        return self in (PolicyKind.RESOURCE, PolicyKind.TRUST)


class Effect(str, Enum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True)
class Principals:
    """A Principal or NotPrincipal element: `wildcard` for `"*"`, else values per type."""

    wildcard: bool
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    """One key of one operator block: `"ForAnyValue:StringLike": {"aws:TagKeys": [...]}`."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    base: str  # canonical operator name without qualifier or IfExists, e.g. "StringLike"
    set_operator: str | None  # "ForAllValues", "ForAnyValue" or None
    if_exists: bool
    key: str  # as written
    values: tuple[str, ...]  # JSON scalars rendered as IAM compares them
    path: str  # JSON path of the key, for messages


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: Effect
    actions: tuple[str, ...] | None  # None when the statement uses NotAction
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None  # None when absent (trust policies) or NotResource used
    not_resources: tuple[str, ...] | None
    principal: Principals | None
    not_principal: Principals | None
    conditions: tuple[Condition, ...]
    path: str  # "Statement[2]", or "Statement" when the policy has a single statement object


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy document, named so that decisions can say which one decided."""

    name: str
    kind: PolicyKind
    version: str
    id: str | None
    statements: tuple[Statement, ...]
