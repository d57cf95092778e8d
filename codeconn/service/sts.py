"""STS operations: GetCallerIdentity and AssumeRole.

GetCallerIdentity is never denied, as in AWS: it answers who signed the request.

AssumeRole is decided by the engine in one evaluation, the role's trust policy as
the resource-based policy (kind TRUST) and the caller's own policies as the
identity side, which gives AWS's logic: within the account a trust policy that
names the caller allows on its own, one that names the account leaves it to the
caller's identity-based policies; across accounts both must allow. The request's
condition keys are those the reference lists for sts:AssumeRole (session name,
external id, source identity, session tags, the role's tags). Session tags also
need sts:TagSession, a source identity sts:SetSourceIdentity, both on the role.

An account root may not assume roles, as in AWS (STS answers AccessDenied,
"Roles may not be assumed by root accounts."): the root creates a user and its
access key, and the user assumes the role.

The session is stored in the role's account (`codeconn.service.iam.sessions`);
its permissions are the role's, narrowed by the session policies (Policy,
PolicyArns). DurationSeconds runs from 900 seconds to the role's
MaxSessionDuration (3600 by default), and to one hour when a role session
assumes a role (role chaining).
"""

from __future__ import annotations

from typing import Any

from codeconn.domain.ids import split_iam_arn
from codeconn.domain.principals import ROLES, Role
from codeconn.iam import (
    IMPLICIT_DENY,
    Decision,
    PolicyKind,
    PrincipalType,
    parse_policy,
)
from codeconn.iam.catalog import IamCatalog
from codeconn.service.call import Call
from codeconn.service.errors import AccessDenied
from codeconn.service.iam import access, sessions
from codeconn.service.iam.documents import check_document, policy_size
from codeconn.service.iam.errors import (
    PackedPolicyTooLarge,
    ValidationError,
)
from codeconn.service.iam.managed import check_policy_arn
from codeconn.service.iam.model import find
from codeconn.service.iam.tags import request_tags
from codeconn.service.registry import Registry
from codeconn.service.tagging import request_tag_context

DEFAULT_DURATION = 3600
CHAINED_MAX_DURATION = 3600
PACKED_POLICY_LIMIT = 2048
"""Session policy characters (whitespace excluded) that fit AWS's packed size; PackedPolicySize is a percentage."""

# A trust policy that trusts nobody: what a role that does not exist offers, so that
# asking for it is an AccessDenied (as AWS answers) and not a NoSuchEntity.
_TRUSTS_NOBODY = parse_policy({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": {"AWS": "*"}, "NotAction": "*"}]}, name="no-such-role", kind=PolicyKind.TRUST)


def get_caller_identity(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    principal = call.caller.principal
    return {"UserId": call.caller.userid, "Account": call.account_id,
            "Arn": principal.session_arn or principal.arn}


def _duration(call: Call, params: dict[str, Any], role: Role | None) -> int:
    duration = params.get("DurationSeconds") or DEFAULT_DURATION
    if call.caller.principal.type is PrincipalType.ROLE_SESSION and duration > CHAINED_MAX_DURATION:
        raise ValidationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
                              "role chaining.")
    if role is not None and duration > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    return int(duration)


def _session_policy(params: dict[str, Any]) -> tuple[str | None, tuple[str, ...], int | None]:
    """(inline session policy, managed session policy ARNs, PackedPolicySize percentage or None)."""
    document = params.get("Policy")
    arns = tuple(entry["arn"] for entry in params.get("PolicyArns") or () if entry.get("arn"))
    for arn in arns:
        check_policy_arn(arn)
    if document is None and not arns:
        return None, (), None
    size = 0
    if document is not None:
        check_document(document, PolicyKind.SESSION, name="session-policy")
        size = policy_size(document)
    size += sum(len(arn) for arn in arns)
    if size > PACKED_POLICY_LIMIT:
        raise PackedPolicyTooLarge(f"Packed policy consumes {size * 100 // PACKED_POLICY_LIMIT}% of allotted space, "
                                   "please use smaller policy.")
    return document, arns, size * 100 // PACKED_POLICY_LIMIT


def _context(catalog: IamCatalog, params: dict[str, Any], tags: dict[str, str],
             role_tags: dict[str, str]) -> dict[str, Any]:
    offered: dict[str, Any] = {"sts:RoleSessionName": params["RoleSessionName"], **request_tag_context(tags)}
    for member, key in (("ExternalId", "sts:ExternalId"), ("SourceIdentity", "sts:SourceIdentity")):
        if params.get(member):
            offered[key] = params[member]
    if params.get("TransitiveTagKeys"):
        offered["sts:TransitiveTagKeys"] = list(params["TransitiveTagKeys"])
    for key, value in role_tags.items():
        offered[f"iam:ResourceTag/{key}"] = value
    return access.supported_keys(catalog, "sts:AssumeRole", offered)


def assume_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role_arn, session_name = params["RoleArn"], params["RoleSessionName"]
    parts = split_iam_arn(role_arn, "role")
    if parts is None or not parts[0].isdigit():
        raise ValidationError(f"{role_arn} is invalid")
    account, _, name = parts
    if call.caller.is_root:
        raise AccessDenied(principal_arn=call.caller.principal.arn, action="sts:AssumeRole", resource=role_arn,
                           decision=Decision(IMPLICIT_DENY, (), PolicyKind.TRUST),
                           message="Roles may not be assumed by root accounts.")
    with call.store.read(account) as reader:
        role = find(reader, ROLES, account, name)
        role = role if role is not None and role.arn == role_arn else None
        role_tags = reader.tags(role.arn) if role is not None else {}
    tags = request_tags(params.get("Tags"))
    trust = (parse_policy(role.trust_policy, name=f"{role.arn} trust policy", kind=PolicyKind.TRUST)
             if role is not None else _TRUSTS_NOBODY)

    def authorize(action: str, context: dict[str, Any]) -> None:
        call.authorize(action, role_arn, context=context, resource_tags=role_tags, resource_account=account,
                       resource_policy=trust)

    authorize("sts:AssumeRole", _context(call.iam_catalog, params, tags, role_tags))
    if tags:
        authorize("sts:TagSession",
                  access.supported_keys(call.iam_catalog, "sts:TagSession", request_tag_context(tags)))
    if params.get("SourceIdentity"):
        authorize("sts:SetSourceIdentity", {"sts:SourceIdentity": params["SourceIdentity"]})
    duration = _duration(call, params, role)
    policy, policy_arns, packed = _session_policy(params)
    if role is None:  # refused above in enforce mode; audit and off let the request reach here
        principal = call.caller.principal
        raise AccessDenied(principal_arn=principal.session_arn or principal.arn, action="sts:AssumeRole",
                           resource=role_arn, decision=Decision(IMPLICIT_DENY, (), PolicyKind.TRUST))
    with call.store.transaction(account) as tx:
        issued = sessions.issue(tx, call.secrets, role=role, session_name=session_name, duration=duration,
                                now=call.now, policy=policy, policy_arns=policy_arns, tags=tags,
                                source_identity=params.get("SourceIdentity"))
    out: dict[str, Any] = {
        "Credentials": {"AccessKeyId": issued.access_key_id, "SecretAccessKey": issued.secret_access_key,
                        "SessionToken": issued.session_token, "Expiration": issued.expiration},
        "AssumedRoleUser": {"AssumedRoleId": issued.assumed_role_id, "Arn": issued.assumed_role_arn},
    }
    if packed is not None:
        out["PackedPolicySize"] = packed
    if params.get("SourceIdentity"):
        out["SourceIdentity"] = params["SourceIdentity"]
    return out


def register(registry: Registry) -> None:
    """Add the STS operations to `registry`."""
    registry.add(("sts",), "GetCallerIdentity", get_caller_identity)
    registry.add(("sts",), "AssumeRole", assume_role)
