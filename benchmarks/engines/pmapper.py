"""principalmapper's local policy simulator (NCC Group's PMapper) as a benchmark engine.

PMapper answers one question: does this policy have a statement with this Effect that
matches the action, resource and context (`policy_has_matching_statement`)? AWS's rule
for identity-based policies is composed from that: a matching Deny in any policy
decides (explicitDeny), else a matching Allow in any (allowed), else implicitDeny. Across
accounts AWS also needs the resource's own policy to allow, and there is none, so there
an Allow does not count. The policy documents are passed as written; PMapper reads them raw.
"""

from __future__ import annotations

import collections
import collections.abc
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from codeconn.iam import ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY
from engines import Prepared
from engines.workload import RawRequest, Workload

NAME = "principalmapper"

Matcher = Callable[[Any, str, str, str, Any], bool]


def import_simulator() -> tuple[Matcher, type]:
    """PMapper's statement matcher and its CaseInsensitiveDict.

    principalmapper 1.1.5 imports `Mapping` and `MutableMapping` from `collections`,
    where Python 3.10 removed them; they are aliased back (only when missing) first.
    """
    for name in ("Mapping", "MutableMapping", "Sequence", "Iterable", "Callable"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    from principalmapper.querying.local_policy_simulation import policy_has_matching_statement
    from principalmapper.util.case_insensitive_dict import CaseInsensitiveDict

    return policy_has_matching_statement, CaseInsensitiveDict


def pmapper_context(context: Mapping[str, Any], case_insensitive_dict: type) -> Any:
    """The request context as PMapper reads it: a CaseInsensitiveDict of key -> value.

    PMapper takes a single value as a string and a multivalued one as a list of strings
    (its `_listify_string` wraps a string), and substitutes `${key}` in Resource patterns
    with the string, so values must be strings; numbers and booleans become IAM's
    spelling of them.
    """
    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    return case_insensitive_dict({
        key: [text(v) for v in value] if isinstance(value, list) else text(value)
        for key, value in context.items()
    })


def prepare(workload: Workload) -> Prepared:
    matches, case_insensitive_dict = import_simulator()
    documents = [document for _name, document in workload.identity_policies]

    account = workload.principal_account

    def request(raw: RawRequest) -> tuple[str, str, Any, bool]:
        same_account = account is None or raw.resource_account is None or raw.resource_account == account
        return raw.action, raw.resource, pmapper_context(raw.context, case_insensitive_dict), same_account

    def decide_all(requests: Sequence[tuple[str, str, Any, bool]]) -> list[str]:
        out = []
        for action, resource, context, same_account in requests:
            if any(matches(d, "Deny", action, resource, context) for d in documents):
                out.append(EXPLICIT_DENY)
            elif same_account and any(matches(d, "Allow", action, resource, context) for d in documents):
                out.append(ALLOWED)
            else:
                out.append(IMPLICIT_DENY)
        return out

    return Prepared(NAME, [request(r) for r in workload.requests], decide_all)
