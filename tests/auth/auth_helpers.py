"""Helpers for the auth tests: hand-made callers and calls, and the IAM bench's folder on sys.path.

The bench lives beside the IAM handler tests (tests/service/iam/iam_bench.py); its
folder is put on sys.path here so that both suites build callers as the server does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "service" / "iam"))

from iam_bench import ACCOUNT, NOW

from codeconn.iam import Policy, PolicyKind, PolicySet, parse_policy, parse_principal
from codeconn.service.call import Authorize, Call, Caller

MakeCall = Callable[..., Call]


def policy(*statements: dict[str, Any], kind: PolicyKind = PolicyKind.IDENTITY, name: str = "p") -> Policy:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name=name, kind=kind)


def caller(principal: str = f"arn:aws:iam::{ACCOUNT}:user/alice", identity: Sequence[Policy] = (),
           boundaries: Sequence[Policy] = (), tags: dict[str, str] | None = None, version: str = "") -> Caller:
    parsed = parse_principal(principal)
    return Caller(principal=parsed, account_id=parsed.account or ACCOUNT, access_key_id="AKIATEST",
                  userid="AIDATESTTESTTESTTEST1" if parsed.account else ACCOUNT,
                  policies=PolicySet(identity=tuple(identity), boundaries=tuple(boundaries)), tags=tags or {},
                  is_root=principal.endswith(":root"), policy_version=version)


def make_call(who: Caller, authorizer: Authorize, **extra: Any) -> Call:
    """A call with no store, for deciding only."""
    fields: dict[str, Any] = {"service": "codeconnections", "operation": "ListConnections", "region": "eu-west-1",
                              "now": NOW, "request_id": "r", "store": None, "secrets": None, "iam_catalog": None,
                              "source_ip": "203.0.113.7", "secure_transport": True, "user_agent": "aws-cli/2"}
    fields.update(extra)
    return Call(caller=who, authorizer=authorizer, **fields)
