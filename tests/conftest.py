"""Shared fixtures: build policies and decide requests in one line.

The fixtures are session-scoped plain functions (they hold no state), so that
hypothesis tests may use them too: hypothesis refuses function-scoped fixtures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from codeconn.iam import Decision, Policy, PolicyKind, PolicySet, evaluate, make_request, parse_policy

ACCOUNT = "111122223333"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
CONNECTION = f"arn:aws:codestar-connections:us-west-2:{ACCOUNT}:connection/0a1b"
USE = "codestar-connections:UseConnection"

MakePolicy = Callable[..., Policy]
Decide = Callable[..., Decision]


def _make_policy(*statements: Mapping[str, Any], kind: PolicyKind = PolicyKind.IDENTITY, name: str = "policy",
                 version: str | None = "2012-10-17") -> Policy:
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return parse_policy(document, name=name, kind=kind)


def _decide(identity: Sequence[Policy] = (), *, principal: str = USER, action: str = USE,
            resource: str = CONNECTION, context: Mapping[str, Any] | None = None,
            resource_account: str | None = None, resource_policy: Policy | None = None,
            **policy_set: Any) -> Decision:
    request = make_request(principal=principal, action=action, resource=resource, context=context,
                           resource_account=resource_account)
    return evaluate(PolicySet(identity=tuple(identity), resource=resource_policy, **policy_set), request)


@pytest.fixture(scope="session")
def make_policy() -> MakePolicy:
    """`make_policy(stmt, ..., kind=PolicyKind.IDENTITY, name="policy", version="2012-10-17")`."""
    return _make_policy


@pytest.fixture(scope="session")
def decide() -> Decide:
    """`decide([identity policies], principal=, action=, resource=, context=, resource_policy=, boundaries=, ...)`.

    Defaults: IAM user alice in 111122223333 calling UseConnection on a connection of
    the same account. `resource` is the request's resource; the resource-based policy is
    `resource_policy`; other keyword arguments go to PolicySet.
    """
    return _decide


@pytest.fixture(scope="session")
def condition_holds(make_policy: MakePolicy, decide: Decide) -> Callable[..., bool]:
    """Whether one Condition block lets an Allow statement apply to a request with `context`."""

    def holds(condition: Mapping[str, Any], context: Mapping[str, Any] | None = None, *,
              principal: str = USER, version: str = "2012-10-17") -> bool:
        policy = make_policy({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition},
                             version=version)
        return decide([policy], principal=principal, context=context).allowed

    return holds
