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

from typing import Any

from codeconn.service.call import Call
from codeconn.service.iam import access, counts
from codeconn.service.iam.documents import check_document, check_managed_size, encoded
from codeconn.service.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
)
from codeconn.domain.ids import POLICY_ID_PREFIX, iam_arn, unique_id
from codeconn.service.iam.managed import (
    ManagedPolicy,
    aws_managed_policies,
    policy_out,
    present,
    resolve,
    version_date,
)
from codeconn.service.iam.model import (
    POLICY,
    all_records,
    changed,
    changing,
    name_key,
    new_record,
)
from codeconn.service.iam.pages import page
from codeconn.service.iam.tags import apply_tags, request_tags
from codeconn.service.registry import Registry
from codeconn.store import Conflict, Reader, Record

MAX_VERSIONS = 5


def _version_out(version_id: str, version: dict[str, Any], default: str, *, document: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"VersionId": version_id, "IsDefaultVersion": version_id == default,
                           "CreateDate": version_date(version)}
    if document:
        out["Document"] = encoded(version["Document"])
    return out


def _versions(policy: ManagedPolicy) -> dict[str, dict[str, Any]]:
    if policy.record is None:
        return {"v1": {"Document": policy.document, "CreateDate": "2015-02-06T18:39:46+00:00"}}
    versions: dict[str, dict[str, Any]] = policy.record.data["Versions"]
    return versions


def _customer(policy: ManagedPolicy) -> Record:
    """The policy's record; InvalidInput for an AWS managed policy, which cannot be changed."""
    if policy.record is None:
        raise InvalidInput(f"Policy {policy.arn} is an AWS managed policy and cannot be changed.")
    return policy.record


def _lookup(reader: Reader, arn: str) -> tuple[ManagedPolicy | None, dict[str, str]]:
    found = resolve(reader, arn)
    tags = reader.tags(found.record.arn) if found is not None and found.record is not None else {}
    return found, tags


def create_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name, path, document = params["PolicyName"], params.get("Path") or "/", params["PolicyDocument"]
    tags = request_tags(params.get("Tags"))
    arn = iam_arn(call.account_id, "policy", path, name)
    access.authorize(call, "CreatePolicy", arn, request_tags=tags)
    if tags:
        access.authorize(call, "TagPolicy", arn, request_tags=tags)
    check_document(document, name=name)
    check_managed_size(document)
    with changing(call) as tx:
        data = {"PolicyName": name, "Path": path, "PolicyId": unique_id(POLICY_ID_PREFIX),
                "Description": params.get("Description") or "", "DefaultVersionId": "v1", "NextVersion": 2,
                "Versions": {"v1": {"Document": document, "CreateDate": call.now.isoformat()}},
                counts.ATTACHMENTS: 0, counts.BOUNDARY_USES: 0}
        record = new_record(call.account_id, POLICY, data["PolicyId"], arn, name, data, call.now,
                            name_key(call.account_id, name))
        try:
            tx.insert(record)
        except Conflict:
            raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.") \
                from None
        apply_tags(tx, arn, tags)
        created = resolve(tx, arn)
    assert created is not None
    return {"Policy": policy_out(created, tags)}


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
        local = [p for p in (resolve(reader, r.arn) for r in all_records(reader, POLICY)) if p is not None]
    policies = (aws_managed_policies() if scope in ("All", "AWS") else []) + (local if scope in ("All", "Local") else [])
    policies = [p for p in policies if p.path.startswith(prefix)]
    if params.get("OnlyAttached") or usage:
        policies = [p for p in policies if p.record is not None and _in_use(p.record, usage)]
    policies.sort(key=lambda p: p.name.lower())
    items, more = page(policies, params)
    return {"Policies": [policy_out(p) for p in items], **more}


def _in_use(record: Record, usage: str | None) -> bool:
    attached, boundary = int(record.data[counts.ATTACHMENTS]) > 0, int(record.data[counts.BOUNDARY_USES]) > 0
    return {"PermissionsPolicy": attached, "PermissionsBoundary": boundary}.get(usage or "", attached or boundary)


def delete_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["PolicyArn"]
    with changing(call) as tx:
        found, tags = _lookup(tx, arn)
        access.authorize(call, "DeletePolicy", arn, resource_tags=tags)
        record = _customer(present(found, arn))
        if record.data[counts.ATTACHMENTS] or record.data[counts.BOUNDARY_USES]:
            raise DeleteConflict("Cannot delete a policy attached to entities.")
        if len(record.data["Versions"]) > 1:
            raise DeleteConflict("This policy has more than one version. Before you delete a policy, you must delete "
                                 "the policy's versions. The default version is deleted with the policy.")
        tx.delete(POLICY, record.id)
    return {}


def create_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn, document = params["PolicyArn"], params["PolicyDocument"]
    with changing(call) as tx:
        found, tags = _lookup(tx, arn)
        access.authorize(call, "CreatePolicyVersion", arn, resource_tags=tags)
        record = _customer(present(found, arn))
        check_document(document, name=record.name)
        check_managed_size(document)
        versions = dict(record.data["Versions"])
        if len(versions) >= MAX_VERSIONS:
            raise LimitExceeded(f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new "
                                "version, you must delete an existing version.")
        number = record.data["NextVersion"]
        version_id = f"v{number}"
        versions[version_id] = {"Document": document, "CreateDate": call.now.isoformat()}
        default = version_id if params.get("SetAsDefault") else record.data["DefaultVersionId"]
        tx.update(changed(record, call.now, Versions=versions, NextVersion=number + 1, DefaultVersionId=default))
    return {"PolicyVersion": _version_out(version_id, versions[version_id], default, document=False)}


def _version(call: Call, params: dict[str, Any], operation: str) -> tuple[ManagedPolicy, dict[str, Any]]:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    with call.store.read(call.account_id) as reader:
        found, tags = _lookup(reader, arn)
    access.authorize(call, operation, arn, resource_tags=tags)
    found = present(found, arn)
    version = _versions(found).get(version_id)
    if version is None:
        raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
    return found, version


def get_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    policy, version = _version(call, params, "GetPolicyVersion")
    return {"PolicyVersion": _version_out(params["VersionId"], version, policy.default_version)}


def list_policy_versions(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["PolicyArn"]
    with call.store.read(call.account_id) as reader:
        found, tags = _lookup(reader, arn)
    access.authorize(call, "ListPolicyVersions", arn, resource_tags=tags)
    found = present(found, arn)
    versions = sorted(_versions(found).items(), key=lambda item: int(item[0][1:]), reverse=True)
    items, more = page(versions, params)
    return {"Versions": [_version_out(v, data, found.default_version, document=False) for v, data in items], **more}


def delete_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    with changing(call) as tx:
        found, tags = _lookup(tx, arn)
        access.authorize(call, "DeletePolicyVersion", arn, resource_tags=tags)
        record = _customer(present(found, arn))
        versions = dict(record.data["Versions"])
        if version_id not in versions:
            raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
        if version_id == record.data["DefaultVersionId"]:
            raise DeleteConflict("Cannot delete the default version of a policy.")
        del versions[version_id]
        tx.update(changed(record, call.now, Versions=versions))
    return {}


def set_default_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    with changing(call) as tx:
        found, tags = _lookup(tx, arn)
        access.authorize(call, "SetDefaultPolicyVersion", arn, resource_tags=tags)
        record = _customer(present(found, arn))
        if version_id not in record.data["Versions"]:
            raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
        tx.update(changed(record, call.now, DefaultVersionId=version_id))
    return {}


def register(registry: Registry) -> None:
    for name, handler in (("CreatePolicy", create_policy), ("GetPolicy", get_policy),
                          ("ListPolicies", list_policies), ("DeletePolicy", delete_policy),
                          ("CreatePolicyVersion", create_policy_version), ("GetPolicyVersion", get_policy_version),
                          ("ListPolicyVersions", list_policy_versions),
                          ("DeletePolicyVersion", delete_policy_version),
                          ("SetDefaultPolicyVersion", set_default_policy_version)):
        registry.add(("iam",), name, handler)
