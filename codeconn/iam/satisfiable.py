"""Can a statement ever match? Overlap of globs and ARNs, and conditions that exclude each other.

The linter's `never-matches` findings rest on these: each answers only when the
answer is certain (no variables, no IfExists, no set operators reach here), so a
finding is never a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from codeconn.iam.conditions import OPERATORS
from codeconn.iam.document import Condition
from codeconn.iam.wildcards import split_arn

# ARN service segments that name the same resources: the service was renamed,
# and connections keep the ARN of the prefix they were created under.
ARN_SERVICE_ALIASES: dict[str, frozenset[str]] = {
    "codestar-connections": frozenset({"codeconnections"}),
    "codeconnections": frozenset({"codestar-connections"}),
}
VARIABLE = re.compile(r"\$\{[^}]*\}")


def globs_intersect(a: str, b: str) -> bool:
    """Whether some string matches both IAM globs: a walk over pairs of positions (product NFA)."""
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        ca, cb = a[i] if i < len(a) else "", b[j] if j < len(b) else ""
        if not ca and not cb:
            return True
        if ca == "*":
            stack.append((i + 1, j))
        if cb == "*":
            stack.append((i, j + 1))
        if ca and cb and (ca in "*?" or cb in "*?" or ca == cb):
            stack.append((i if ca == "*" else i + 1, j if cb == "*" else j + 1))
    return False


def arn_overlaps(resource: str, template: str) -> bool:
    """Whether a Resource pattern can match some ARN of a catalog template, segment by segment.

    Policy variables and the template's `${...}` placeholders stand for anything.
    """
    pattern, shape = VARIABLE.sub("*", resource), VARIABLE.sub("*", template)
    p, t = split_arn(pattern), split_arn(shape)
    if p is None or t is None:
        return globs_intersect(pattern, shape)
    services = {t[2], *ARN_SERVICE_ALIASES.get(t[2], ())}
    return (any(globs_intersect(p[2], s) for s in services)
            and all(globs_intersect(x, y) for x, y in zip(p[:2] + p[3:], t[:2] + t[3:])))


def null_conflict(conditions: list[Condition]) -> tuple[str, str] | None:
    """`Null: true` (key absent) with an operator that is false when the key is absent."""
    absent = next((c for c in conditions if c.base == "Null" and all(v.lower() == "true" for v in c.values)), None)
    if absent is None:
        return None
    for c in conditions:
        if c.base == "Null":
            continue
        needs_key = c.set_operator == "ForAnyValue" or (
            c.set_operator is None and not c.if_exists and not OPERATORS[c.base].negated)
        if needs_key:
            return absent.path, (f"Null true requires {c.key} to be absent, but {c.operator} ({c.path}) "
                                 "requires it present: the statement never matches")
    return None


def string_conflict(conditions: list[Condition]) -> tuple[str, str] | None:
    """StringEquals fixes the exact value; another operator on the key rejecting them all."""
    equals = next((c for c in conditions if c.base == "StringEquals"), None)
    if equals is None:
        return None
    candidates = set(equals.values)
    for c in conditions:
        if c is equals:
            continue
        spec = OPERATORS[c.base]
        assert spec.build is not None  # Null is filtered out by the caller
        tests: list[Callable[[str], bool]] = [spec.build(v, frozenset()) for v in c.values]
        candidates = {v for v in candidates if any(t(v) for t in tests) != spec.negated}
        if not candidates:
            return equals.path, (f"{equals.key} must be one of {', '.join(equals.values)}, which "
                                 f"{c.operator} ({c.path}) rejects: the statement never matches")
    return None


def range_conflict(conditions: list[Condition], family: str,
                    read: Callable[[str], float | None]) -> tuple[str, str] | None:
    """Numeric or Date bounds (values in one operator are OR'd) that leave no value."""
    mine = [c for c in conditions if OPERATORS[c.base].family == family]
    lo, lo_in, hi, hi_in = -math.inf, False, math.inf, False
    equals: set[float] | None = None
    excluded: set[float] = set()
    for c in mine:
        numbers = [read(v) for v in c.values]
        if any(n is None for n in numbers):
            return None
        values = [n for n in numbers if n is not None]
        suffix = c.base[len(family):]
        if suffix == "NotEquals":
            excluded.update(values)
        elif suffix == "Equals":
            equals = set(values)
        elif suffix.startswith("LessThan"):
            bound, inclusive = max(values), suffix.endswith("Equals")
            if bound < hi or (bound == hi and not inclusive):
                hi, hi_in = bound, inclusive
        else:
            bound, inclusive = min(values), suffix.endswith("Equals")
            if bound > lo or (bound == lo and not inclusive):
                lo, lo_in = bound, inclusive
    if equals is None and math.isinf(lo) and math.isinf(hi):  # nothing that requires a value
        return None

    def inside(x: float) -> bool:
        return (x > lo or (x == lo and lo_in)) and (x < hi or (x == hi and hi_in)) and x not in excluded

    if equals is not None:
        possible = any(inside(x) for x in equals)
    else:
        possible = lo < hi or (lo == hi and lo_in and hi_in and lo not in excluded)
    if possible:
        return None
    said = "; ".join(f"{c.operator} {', '.join(c.values)}" for c in mine)
    return mine[0].path, f"no value of {mine[0].key} satisfies {said}: the statement never matches"
