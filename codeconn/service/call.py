"""One API call as the service layer sees it: who, where, when, and the means to decide.

The server edge builds a `Call` after it has verified the signature and found
the caller; handlers read it and call `call.authorize(...)` for every action
they perform (the operation's own, and PassConnection / UseConnection where
the authorization map asks for them). Every decision is kept on the call so
that the edge can write the audit line when the call ends.

The request context every decision of the call shares is built once, with the
call (`Call.request_base`): the global keys the IAM User Guide says every request
carries and that codeconn can know. Who is calling (aws:PrincipalArn,
aws:PrincipalAccount, aws:PrincipalType, aws:username, aws:PrincipalIsAWSService,
which the engine derives from the principal; aws:userid and aws:PrincipalTag/<key>),
when (aws:CurrentTime, aws:EpochTime: the call's `now`, read once by the edge, so
every decision sees the same instant), from where and how (aws:SourceIp,
aws:SecureTransport, aws:UserAgent, aws:RequestedRegion), and that no AWS service
calls on the principal's behalf (aws:ViaAWSService: false). Each decision adds only
its own keys to it (see `codeconn.auth.context`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Protocol

from codeconn.iam import Decision, Policy, PolicySet, Principal, RequestBase, request_base
from codeconn.iam.catalog import IamCatalog
from codeconn.store import SecretBox, Store
from codeconn.wire.sigv4 import Credentials


class IamMode(str, Enum):
    """`--iam`: enforce (deny means AccessDenied), audit (allow, but record would-be denials), off."""

    ENFORCE = "enforce"
    AUDIT = "audit"
    OFF = "off"


@dataclass(frozen=True)
class Caller:
    """The authenticated principal of a call.

    `policies` holds what applies to this principal itself (identity-based
    policies, permissions boundary, session policy); the organization's SCPs and
    RCPs are added by the authorizer. `tags` are the principal's tags (user or
    role tags, and session tags), which become aws:PrincipalTag/<key>.
    """

    principal: Principal
    account_id: str
    access_key_id: str | None
    userid: str
    policies: PolicySet
    tags: Mapping[str, str] = field(default_factory=dict)
    is_root: bool = False
    policy_version: str = ""  # changes whenever any of `policies` changes; keys compiled caches

    @functools.cached_property
    def request_base(self) -> RequestBase:
        """The caller's own keys (`caller_keys`, and those the engine derives from the principal),
        normalised once: the directory hands out one Caller for request after request."""
        return request_base(principal=self.principal, context=caller_keys(self))


@dataclass(frozen=True)
class DecisionRecord:
    """One authorization decided during a call, for the audit log."""

    action: str
    resource: str
    decision: Decision
    enforced: bool  # False when --iam audit let a denial through


class CallerDirectory(Protocol):
    """Who holds an access key: the server edge's one way to find the caller.

    `credentials` answers the SigV4 verifier (None for an unknown key); only after
    the signature checks out does the edge ask `caller` for the principal, its
    policies and tags.
    """

    def credentials(self, access_key_id: str) -> Credentials | None: ...

    def caller(self, credentials: Credentials) -> Caller: ...


class Authorize(Protocol):
    """Decides one action for a call, records it on the call, raises AccessDenied when denied.

    `resource_policy` (a resource-based or role trust policy) is None unless the action has one.
    """

    def __call__(self, call: Call, action: str, resource: str, *, context: Mapping[str, Any] | None = None,
                 resource_tags: Mapping[str, str] | None = None, resource_account: str | None = None,
                 resource_policy: Policy | None = None) -> Decision: ...

    def organization(self) -> tuple[Sequence[Sequence[Policy]], Sequence[Sequence[Policy]]]:
        """The SCP and RCP levels every call meets (for SimulatePrincipalPolicy); empty when there are none."""
        ...


@dataclass
class Call:
    """Everything a handler may use; nothing else (no globals, no HTTP)."""

    service: str  # endpoint the request was sent to: "codestar-connections", "codeconnections", "iam", "sts"
    operation: str
    region: str
    caller: Caller
    now: datetime
    request_id: str
    store: Store
    secrets: SecretBox
    authorizer: Authorize
    iam_catalog: IamCatalog  # the IAM reference (which keys an action supports), loaded once with the components
    source_ip: str = "127.0.0.1"
    secure_transport: bool = False
    user_agent: str = ""
    decisions: list[DecisionRecord] = field(default_factory=list)
    decision_details: dict[int, dict[str, str]] = field(default_factory=dict)
    """What a decision was for, by its index in `decisions`, for its audit line (a PassConnection's
    pipeline and action: keys `pipeline`, `pipelineExecutionId`, `actionName`)."""
    request_base: RequestBase = field(init=False, repr=False, compare=False)
    """The caller's keys (`Caller.request_base`) and the request's (`request_keys`): every decision's base."""

    def __post_init__(self) -> None:
        # The global keys are typed by construction: no catalog check is needed here.
        self.request_base = self.caller.request_base.extended(request_keys(self))

    @property
    def account_id(self) -> str:
        return self.caller.account_id

    def authorize(self, action: str | None = None, resource: str = "*", *, context: Mapping[str, Any] | None = None,
                  resource_tags: Mapping[str, str] | None = None, resource_account: str | None = None,
                  resource_policy: Policy | None = None) -> Decision:
        """Decide `<service>:<action>` (default: this operation) on `resource`; AccessDenied if denied.

        `context` holds the service's condition keys for this request (and aws:RequestTag/...,
        aws:TagKeys); `resource_tags` become aws:ResourceTag/<key>. The global keys of
        the caller and the request are the call's `request_base`. `resource_policy` is the
        resource's own policy (a role's trust policy for sts:AssumeRole), evaluated with
        the caller's as AWS's same- and cross-account logic says.
        """
        qualified = action if action and ":" in action else f"{self.service}:{action or self.operation}"
        return self.authorizer(self, qualified, resource, context=context, resource_tags=resource_tags,
                               resource_account=resource_account, resource_policy=resource_policy)


def caller_keys(caller: Caller) -> dict[str, Any]:
    """The global keys that come with the caller: aws:userid, aws:PrincipalTag/<key>."""
    return {"aws:userid": caller.userid, **{f"aws:PrincipalTag/{key}": value for key, value in caller.tags.items()}}


def request_keys(call: Call) -> dict[str, Any]:
    """The global keys that come with the request: when, from where, how."""
    now = call.now.astimezone(UTC)
    keys: dict[str, Any] = {
        "aws:CurrentTime": now.replace(tzinfo=None, microsecond=0).isoformat() + "Z",  # strftime's %Y-%m-%dT%H:%M:%SZ
        "aws:EpochTime": int(now.timestamp()),
        "aws:SourceIp": call.source_ip,
        "aws:SecureTransport": call.secure_transport,
        "aws:RequestedRegion": call.region,
        "aws:ViaAWSService": False,
    }
    if call.user_agent:
        keys["aws:UserAgent"] = call.user_agent
    return keys
