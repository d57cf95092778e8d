"""Customer managed policies and their versions.

CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, CreatePolicyVersion,
GetPolicyVersion, ListPolicyVersions, DeletePolicyVersion, SetDefaultPolicyVersion.

A managed policy keeps up to five versions (v1, v2, ...: numbers are never
reused); the default one is what applies wherever the policy is attached. As in
AWS, a policy still attached (or used as a permissions boundary) cannot be
deleted, nor can one that has versions besides its default, nor the default
version itself. AWS managed policies can be read and attached, not changed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from codeconn.domain.ids import POLICY_ID_PREFIX, unique_id
from codeconn.domain.policies import MAX_VERSIONS, ManagedPolicy, PolicyVersion, aws_managed_policies
from codeconn.domain.principals import POLICY
from codeconn.service.call import Call
from codeconn.service.iam import access
from codeconn.service.iam.documents import check_document, check_managed_size, encoded
from codeconn.service.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
)
from codeconn.service.iam.managed import policy_out, present, resolve
from codeconn.service.iam.model import all_records, changing
from codeconn.service.iam.pages import page
from codeconn.service.iam.tags import apply_tags, request_tags
from codeconn.service.registry import Registry
from codeconn.store import Conflict, Reader


def _version_out(version_id: str, version: PolicyVersion, default: str, *, document: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"VersionId": version_id, "IsDefaultVersion": version_id == default,
                           "CreateDate": version.created_at}
    if document:
        out["Document"] = encoded(version.document)
    return out


def _customer(policy: ManagedPolicy) -> ManagedPolicy:
    """The policy, if it is a customer managed one; InvalidInput for an AWS managed policy, which cannot change."""
    if policy.aws_managed:
        raise InvalidInput(f"Policy {policy.arn} is an AWS managed policy and cannot be changed.")
    return policy


def _lookup(reader: Reader, arn: str) -> tuple[ManagedPolicy | None, dict[str, str]]:
    found = resolve(reader, arn)
    tags = reader.tags(found.arn) if found is not None and not found.aws_managed else {}
    return found, tags


def create_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name, path, document = params["PolicyName"], params.get("Path") or "/", params["PolicyDocument"]
    tags = request_tags(params.get("Tags"))
    policy = ManagedPolicy(account_id=call.account_id, id=unique_id(POLICY_ID_PREFIX), name=name, path=path,
                           default_version_id="v1", versions={"v1": PolicyVersion(document, call.now)},
                           created_at=call.now, updated_at=call.now, description=params.get("Description") or "")
    access.authorize(call, "CreatePolicy", policy.arn, request_tags=tags)
    if tags:
        access.authorize(call, "TagPolicy", policy.arn, request_tags=tags)
    check_document(document, name=name)
    check_managed_size(document)
    with changing(call) as tx:
        try:
            tx.insert(policy.to_record())
        except Conflict:  # the name's lookup key is taken: IAM names are unique in any case
            raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.") \
                from None
        apply_tags(tx, policy.arn, tags)
    return {"Policy": policy_out(policy, tags)}


def get_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["PolicyArn"]
    with call.store.read(call.account_id) as reader:
        found, tags = _lookup(reader, arn)
    access.authorize(call, "GetPolicy", arn, resource_tags=tags)
    return {"Policy": policy_out(present(found, arn), tags)}


def list_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    access.authorize(call, "ListPolicies", "*")
    scope, prefix = params.get("Scope") or "All", params.get("PathPrefix") or "/"
    usage = params.get("PolicyUsageFilter")
    with call.store.read(call.account_id) as reader:
        local = [ManagedPolicy.from_record(record) for record in all_records(reader, POLICY)]
    policies = (aws_managed_policies() if scope in ("All", "AWS") else []) + (local if scope in ("All", "Local") else [])
    policies = [p for p in policies if p.path.startswith(prefix)]
    if params.get("OnlyAttached") or usage:
        policies = [p for p in policies if not p.aws_managed and _in_use(p, usage)]
    policies.sort(key=lambda p: p.name.lower())
    items, more = page(policies, params)
    return {"Policies": [policy_out(p) for p in items], **more}


def _in_use(policy: ManagedPolicy, usage: str | None) -> bool:
    attached, boundary = policy.attachment_count > 0, policy.boundary_usage_count > 0
    return {"PermissionsPolicy": attached, "PermissionsBoundary": boundary}.get(usage or "", attached or boundary)


def delete_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["PolicyArn"]
    with changing(call) as tx:
        found, tags = _lookup(tx, arn)
        access.authorize(call, "DeletePolicy", arn, resource_tags=tags)
        policy = _customer(present(found, arn))
        if policy.in_use:
            raise DeleteConflict("Cannot delete a policy attached to entities.")
        if len(policy.versions) > 1:
            raise DeleteConflict("This policy has more than one version. Before you delete a policy, you must delete "
                                 "the policy's versions. The default version is deleted with the policy.")
        tx.delete(POLICY, policy.id)
    return {}


def create_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn, document = params["PolicyArn"], params["PolicyDocument"]
    with changing(call) as tx:
        found, tags = _lookup(tx, arn)
        access.authorize(call, "CreatePolicyVersion", arn, resource_tags=tags)
        policy = _customer(present(found, arn))
        check_document(document, name=policy.name)
        check_managed_size(document)
        if len(policy.versions) >= MAX_VERSIONS:
            raise LimitExceeded(f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new "
                                "version, you must delete an existing version.")
        policy, version_id = policy.with_version(document, call.now, make_default=bool(params.get("SetAsDefault")))
        tx.update(policy.to_record())
    return {"PolicyVersion": _version_out(version_id, policy.versions[version_id], policy.default_version_id,
                                          document=False)}


def _version(call: Call, params: dict[str, Any], operation: str) -> tuple[ManagedPolicy, PolicyVersion]:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    with call.store.read(call.account_id) as reader:
        found, tags = _lookup(reader, arn)
    access.authorize(call, operation, arn, resource_tags=tags)
    found = present(found, arn)
    version = found.versions.get(version_id)
    if version is None:
        raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
    return found, version


def get_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    policy, version = _version(call, params, "GetPolicyVersion")
    return {"PolicyVersion": _version_out(params["VersionId"], version, policy.default_version_id)}


def list_policy_versions(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["PolicyArn"]
    with call.store.read(call.account_id) as reader:
        found, tags = _lookup(reader, arn)
    access.authorize(call, "ListPolicyVersions", arn, resource_tags=tags)
    found = present(found, arn)
    versions = sorted(found.versions.items(), key=lambda item: int(item[0][1:]), reverse=True)
    items, more = page(versions, params)
    return {"Versions": [_version_out(version_id, version, found.default_version_id, document=False)
                         for version_id, version in items], **more}


def delete_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    with changing(call) as tx:
        found, tags = _lookup(tx, arn)
        access.authorize(call, "DeletePolicyVersion", arn, resource_tags=tags)
        policy = _customer(present(found, arn))
        versions = dict(policy.versions)
        if version_id not in versions:
            raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
        if version_id == policy.default_version_id:
            raise DeleteConflict("Cannot delete the default version of a policy.")
        del versions[version_id]
        tx.update(replace(policy, versions=versions, updated_at=call.now).to_record())
    return {}


def set_default_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    with changing(call) as tx:
        found, tags = _lookup(tx, arn)
        access.authorize(call, "SetDefaultPolicyVersion", arn, resource_tags=tags)
        policy = _customer(present(found, arn))
        if version_id not in policy.versions:
            raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
        tx.update(replace(policy, default_version_id=version_id, updated_at=call.now).to_record())
    return {}


def register(registry: Registry) -> None:
    for name, handler in (("CreatePolicy", create_policy), ("GetPolicy", get_policy),
                          ("ListPolicies", list_policies), ("DeletePolicy", delete_policy),
                          ("CreatePolicyVersion", create_policy_version), ("GetPolicyVersion", get_policy_version),
                          ("ListPolicyVersions", list_policy_versions),
                          ("DeletePolicyVersion", delete_policy_version),
                          ("SetDefaultPolicyVersion", set_default_policy_version)):
        registry.add(("iam",), name, handler)
