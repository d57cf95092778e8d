"""The request context of a call: the global aws: keys, then the service's keys and the resource's tags.

The global keys are those the IAM User Guide says every request carries (and
that codeconn can know): who is calling (aws:PrincipalArn, aws:PrincipalAccount,
aws:PrincipalType, aws:PrincipalTag/<key>, aws:userid, aws:username for IAM
users), when (aws:CurrentTime, aws:EpochTime), from where and how
(aws:SourceIp, aws:SecureTransport, aws:UserAgent, aws:RequestedRegion), and
that no AWS service is calling on the principal's behalf
(aws:PrincipalIsAWSService, aws:ViaAWSService: false). The time is the call's
`now`, read once by the edge, so every decision of one call sees the same instant.

The handler's keys come next and the resource's tags (aws:ResourceTag/<key>)
last; a handler cannot override the caller's identity keys, since those are
what policies trust.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from codeconn.iam import PrincipalType
from codeconn.service.call import Call

_IDENTITY_KEYS = frozenset({"aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid",
                            "aws:username", "aws:principalisawsservice"})


def global_keys(call: Call) -> dict[str, Any]:
    """The aws: keys every request of this call carries."""
    caller = call.caller
    principal = caller.principal
    now = call.now.astimezone(UTC)
    keys: dict[str, Any] = {
        "aws:PrincipalArn": principal.arn,
        "aws:PrincipalType": principal.type.value,
        "aws:userid": caller.userid,
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": int(now.timestamp()),
        "aws:SourceIp": call.source_ip,
        "aws:SecureTransport": call.secure_transport,
        "aws:RequestedRegion": call.region,
        "aws:PrincipalIsAWSService": False,
        "aws:ViaAWSService": False,
    }
    if principal.account:
        keys["aws:PrincipalAccount"] = principal.account
    if principal.type is PrincipalType.USER and principal.name:
        keys["aws:username"] = principal.name
    if call.user_agent:
        keys["aws:UserAgent"] = call.user_agent
    for key, value in caller.tags.items():
        keys[f"aws:PrincipalTag/{key}"] = value
    return keys


def request_context(call: Call, context: Mapping[str, Any] | None,
                    resource_tags: Mapping[str, str] | None) -> dict[str, Any]:
    """Global keys, the handler's keys (identity keys excepted), then aws:ResourceTag/<key>."""
    merged = global_keys(call)
    for key, value in (context or {}).items():
        if key.lower() not in _IDENTITY_KEYS:
            merged[key] = value
    for key, value in (resource_tags or {}).items():
        merged[f"aws:ResourceTag/{key}"] = value
    return merged
