"""How IAM entities live in the store, and how they are found, named and shown.

Every entity is one `Record` in the caller's account:

    kind          id          lookup                  data
    iam_user      AIDA...     ACCOUNT/<name lower>    UserName, Path, UserId, PermissionsBoundary,
                                                      InlinePolicies, AttachedPolicies, Groups (ids)
    iam_group     AGPA...     ACCOUNT/<name lower>    GroupName, Path, GroupId, InlinePolicies,
                                                      AttachedPolicies
    iam_role      AROA...     ACCOUNT/<name lower>    RoleName, Path, RoleId, AssumeRolePolicyDocument,
                                                      Description, MaxSessionDuration,
                                                      PermissionsBoundary, InlinePolicies, AttachedPolicies
    iam_policy    ANPA...     ACCOUNT/<name lower>    PolicyName, Path, PolicyId, Description,
                                                      DefaultVersionId, NextVersion, Versions,
                                                      AttachmentCount, PermissionsBoundaryUsageCount
    access_key    AKIA...     AKIA...                 UserId, Status, Secret (SecretBox token)
    sts_session   ASIA...     ASIA...                 see `sessions.py`
    iam_generation  "account"   (none)                Generation

IAM names are unique per account without regard to case ("Alice" and "alice" are
one user), and the store's `lookup` is unique per kind: keying it by the lower-cased
name makes that rule the store's, atomic under concurrent creates. The id is the
entity's unique id, so a rename (UpdateUser) changes the name, ARN and lookup while
group memberships and access keys, which hold ids, stay put.

Inline policies are `{name lower: {"PolicyName", "PolicyDocument"}}`; attached
policies a list of managed policy ARNs; documents are kept as the caller sent them.

The account's generation counts every IAM write; the caller directory keys its
cache of principals' policy sets by it, so that a change is seen by the next call
without re-reading every policy on every call.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from codeconn.service.call import Call
from codeconn.service.iam.errors import DeleteConflict, NoSuchEntity
from codeconn.domain.ids import (
    GROUP_ID_PREFIX,
    ROLE_ID_PREFIX,
    USER_ID_PREFIX,
    iam_arn,
)
from codeconn.store import Reader, Record, Tx

USER = "iam_user"
GROUP = "iam_group"
ROLE = "iam_role"
POLICY = "iam_policy"
ACCESS_KEY = "access_key"
SESSION = "sts_session"
GENERATION = "iam_generation"


@dataclass(frozen=True)
class EntityKind:
    """What differs between users, groups and roles, so that one function serves the three."""

    kind: str  # store kind
    noun: str  # "user": in ARNs and in AWS's messages
    title: str  # "User": in the request and response members (UserName, UserId)
    id_prefix: str
    inline_size_limit: int  # aggregate size of the entity's inline policies, non-whitespace characters
    managed_quota: str  # the quota named when more than MAX_ATTACHED policies are attached

    @property
    def name_field(self) -> str:
        return f"{self.title}Name"

    @property
    def id_field(self) -> str:
        return f"{self.title}Id"


USERS = EntityKind(USER, "user", "User", USER_ID_PREFIX, 2048, "PoliciesPerUser")
GROUPS = EntityKind(GROUP, "group", "Group", GROUP_ID_PREFIX, 5120, "PoliciesPerGroup")
ROLES = EntityKind(ROLE, "role", "Role", ROLE_ID_PREFIX, 10240, "PoliciesPerRole")
ENTITY_KINDS = {kind.noun: kind for kind in (USERS, GROUPS, ROLES)}

MAX_ATTACHED = 10
"""Managed policies attached to one user, group or role (AWS's default quota)."""


def name_key(account: str, name: str) -> str:
    """The `lookup` of an IAM entity: its account and its name without regard to case."""
    return f"{account}/{name.lower()}"


def find(reader: Reader, kind: EntityKind, account: str, name: str) -> Record | None:
    """The user, group or role called `name` (in any case) in `account`, or None."""
    return reader.get_by_lookup(kind.kind, name_key(account, name))


def missing(kind: EntityKind, name: str) -> NoSuchEntity:
    """NoSuchEntity in AWS's words: "The user with name alice cannot be found." """
    return NoSuchEntity(f"The {kind.noun} with name {name} cannot be found.")


def require(reader: Reader, kind: EntityKind, account: str, name: str) -> Record:
    """The entity called `name`; NoSuchEntity when there is none."""
    record = find(reader, kind, account, name)
    if record is None:
        raise missing(kind, name)
    return record


def moved(record: Record, now: datetime, account: str, kind: EntityKind, path: str, name: str) -> Record:
    """`record` renamed and/or moved to another path: new name, ARN and lookup; id, tags and links stay."""
    arn = iam_arn(account, kind.noun, path, name)
    data = {**record.data, kind.name_field: name, "Path": path}
    return replace(record, arn=arn, name=name, lookup=name_key(account, name), data=data, updated_at=now)


def presumed_arn(kind: EntityKind, account: str, name: str, record: Record | None) -> str:
    """The entity's ARN, or the ARN it would have at path / (what AccessDenied names for a missing one)."""
    return record.arn if record is not None else iam_arn(account, kind.noun, "/", name)


def new_record(account: str, kind: str, id: str, arn: str, name: str, data: dict[str, Any], now: datetime,
               lookup: str | None) -> Record:
    return Record(account_id=account, kind=kind, id=id, arn=arn, name=name, data=data, created_at=now,
                  updated_at=now, lookup=lookup)


def changed(record: Record, now: datetime, **data: Any) -> Record:
    """`record` with `data` merged into its data and `updated_at` moved to now."""
    return replace(record, data={**record.data, **data}, updated_at=now)


@contextmanager
def changing(call: Call) -> Iterator[Tx]:
    """A write transaction on the caller's account that counts one more IAM generation on success."""
    with call.store.transaction(call.account_id) as tx:
        yield tx
        bump_generation(tx, call.now)


def generation(reader: Reader) -> int:
    """The account's IAM generation: 0 before the first IAM write."""
    record = reader.get(GENERATION, "account")
    return int(record.data["Generation"]) if record is not None else 0


def bump_generation(tx: Tx, now: datetime) -> int:
    record = tx.get(GENERATION, "account")
    if record is None:
        tx.insert(new_record(tx.account_id, GENERATION, "account", f"arn:aws:iam::{tx.account_id}:codeconn/generation",
                             "generation", {"Generation": 1}, now, None))
        return 1
    count = int(record.data["Generation"]) + 1
    tx.update(changed(record, now, Generation=count))
    return count


def boundary_out(record: Record) -> dict[str, Any]:
    """`PermissionsBoundary` for an output, when the entity has one."""
    arn = record.data.get("PermissionsBoundary")
    if not arn:
        return {}
    return {"PermissionsBoundary": {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                    "PermissionsBoundaryArn": arn}}


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


def user_out(record: Record, tags: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A `User` structure; tags only where AWS returns them (GetUser, CreateUser)."""
    out: dict[str, Any] = {"Path": record.data["Path"], "UserName": record.name, "UserId": record.id,
                           "Arn": record.arn, "CreateDate": record.created_at, **boundary_out(record)}
    if tags:
        out["Tags"] = tag_list(tags)
    return out


def group_out(record: Record) -> dict[str, Any]:
    return {"Path": record.data["Path"], "GroupName": record.name, "GroupId": record.id, "Arn": record.arn,
            "CreateDate": record.created_at}


def all_records(reader: Reader, kind: str) -> list[Record]:
    """Every record of `kind` in the reader's account, in creation order (IAM accounts are small)."""
    return list(reader.list(kind).records)


def under_path(reader: Reader, kind: str, prefix: str | None) -> list[Record]:
    """The entities of `kind` whose path starts with `prefix` (default `/`), by name as IAM lists them."""
    records = [r for r in all_records(reader, kind) if r.data["Path"].startswith(prefix or "/")]
    records.sort(key=lambda r: r.name.lower())
    return records


def refuse_delete_with_policies(record: Record) -> None:
    """IAM's DeleteConflict for an entity that still has inline or attached policies."""
    if record.data["InlinePolicies"]:
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if record.data["AttachedPolicies"]:
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
