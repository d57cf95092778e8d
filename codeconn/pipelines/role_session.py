"""Assuming the pipeline's role, as CodePipeline does before it runs an action.

The role must exist and its trust policy must allow `codepipeline.amazonaws.com`
to call sts:AssumeRole: that is decided by the server's authorizer, as a call whose
caller is the service principal and whose resource policy is the trust policy.
The session that results is a `Caller` as the caller directory would build for an
AssumeRole session (the role's policies and permissions boundary, the role's tags
as principal tags), named `arn:aws:sts::<account>:assumed-role/<role>/<session>`:
every provider call of the action is then decided as that caller. No credentials
are issued: the session never leaves the worker.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from codeconn.domain.ids import assumed_role_arn, split_iam_arn
from codeconn.domain.principals import ROLES, Role, name_key
from codeconn.iam import PolicyKind, PolicySet, parse_policy, parse_principal
from codeconn.pipelines.runtime import Runtime
from codeconn.service.call import Call, Caller
from codeconn.service.errors import AccessDenied
from codeconn.service.iam.model import generation
from codeconn.service.iam.principals import for_role

SERVICE_PRINCIPAL = "codepipeline.amazonaws.com"


class RoleUnusable(Exception):
    """The pipeline's role cannot be assumed; the message is the action's error message."""


def service_call(runtime: Runtime, caller: Caller, *, service: str, operation: str, region: str,
                 now: datetime) -> Call:
    """A Call made by the worker (no HTTP request): `caller` acts, decisions are kept on it."""
    return Call(service=service, operation=operation, region=region, caller=caller, now=now,
                request_id=str(uuid.uuid4()), store=runtime.store, secrets=runtime.secrets,
                authorizer=runtime.authorizer, iam_catalog=runtime.iam_catalog, source_ip="127.0.0.1",
                user_agent="codepipeline.amazonaws.com")


def assume_pipeline_role(runtime: Runtime, role_arn: str, session_name: str, region: str, now: datetime) -> Caller:
    """The role's session as a Caller; RoleUnusable with the reason when the role is missing or does not trust us."""
    parts = split_iam_arn(role_arn, "role")
    if parts is None:
        raise RoleUnusable(f"The role {role_arn} is not a role ARN: CodePipeline cannot assume it.")
    account, _, name = parts
    with runtime.store.read(account) as reader:
        record = reader.get_by_lookup(ROLES.kind, name_key(account, name))
        if record is None or record.arn != role_arn:
            raise RoleUnusable(f"CodePipeline is not authorized to perform AssumeRole on role {role_arn}: "
                               "the role does not exist.")
        role = Role.from_record(record)
        policies = for_role(reader, record).policies
        role_tags = reader.tags(role.arn)
        current = generation(reader)
    service = Caller(principal=parse_principal(SERVICE_PRINCIPAL), account_id=account, access_key_id=None,
                     userid=SERVICE_PRINCIPAL, policies=PolicySet(), policy_version=SERVICE_PRINCIPAL)
    trust = parse_policy(role.trust_policy, name=f"{role.arn} trust policy", kind=PolicyKind.TRUST)
    call = service_call(runtime, service, service="sts", operation="AssumeRole", region=region, now=now)
    try:
        call.authorize("sts:AssumeRole", role.arn, context={"sts:RoleSessionName": session_name},
                       resource_tags=role_tags, resource_account=account, resource_policy=trust)
    except AccessDenied:
        raise RoleUnusable(f"CodePipeline is not authorized to perform AssumeRole on role {role_arn}: its trust "
                           f"policy does not allow {SERVICE_PRINCIPAL} to assume it.") from None
    parsed = parse_principal(assumed_role_arn(account, role.name, session_name))
    principal = replace(parsed, arn=role.arn, role_arn=role.arn,
                        service_linked=":role/aws-service-role/" in role.arn)
    return Caller(principal=principal, account_id=account, access_key_id=None,
                  userid=f"{role.id}:{session_name}", policies=policies, tags=role_tags,
                  policy_version=f"{account}:{role.id}:pipeline:{current}")


__all__ = ["SERVICE_PRINCIPAL", "RoleUnusable", "assume_pipeline_role", "service_call"]
