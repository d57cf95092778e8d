"""Near misses: the allow statements that would have allowed a denied request but for a few things.

A statement is a near miss when its Action matched the request: what it then
lacked (its Principal, its Resource, each unmet condition) is what a policy
author needs to see, and a condition whose key the request did not carry is the
commonest cause (a pipeline role's policy that wants FullRepositoryId, asked
about without one). Each condition is tested on its own, with the predicate the
statement was compiled with, so the explanation cannot disagree with the decision.
"""

from __future__ import annotations

from collections.abc import Iterable

from codeconn.iam.compiled import CompiledStatement
from codeconn.iam.decision import NearMiss, UnmetCondition
from codeconn.iam.request import Request


def near_misses(allows: Iterable[CompiledStatement], request: Request) -> tuple[NearMiss, ...]:
    """Each of `allows` (the allow statements whose Action matched) that did not apply, and why."""
    found: list[NearMiss] = []
    for stmt in allows:
        named = stmt.principal is None or stmt.principal(request.principal) is not None
        resource = stmt.resource is None or bool(stmt.resource(request))
        unmet = tuple(UnmetCondition(c.operator, c.key, c.path, absent=c.key.lower() not in request.context)
                      for c, predicate in stmt.conditions if not predicate(request.context))
        if not named or not resource or unmet:
            found.append(NearMiss(stmt.matched, named, resource, unmet))
    return tuple(found)


__all__ = ["near_misses"]
