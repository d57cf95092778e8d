"""IAM's users, groups and roles, and access keys: typed, with their records and limits.

Every entity is one `Record` in its account:

    kind          id          lookup                  data
    iam_user      AIDA...     ACCOUNT/<name lower>    UserName, Path, UserId, PermissionsBoundary,
                                                      InlinePolicies, AttachedPolicies, Groups (ids)
    iam_group     AGPA...     ACCOUNT/<name lower>    GroupName, Path, GroupId, InlinePolicies,
                                                      AttachedPolicies
    iam_role      AROA...     ACCOUNT/<name lower>    RoleName, Path, RoleId, AssumeRolePolicyDocument,
                                                      Description, MaxSessionDuration,
                                                      PermissionsBoundary, InlinePolicies, AttachedPolicies
    access_key    AKIA...     AKIA...                 UserId, Status, Secret (SecretBox token)

(managed policies: `policies.py`; role sessions: `codeconn.service.iam.sessions`.)

IAM names are unique per account without regard to case ("Alice" and "alice" are
one user), and the store's `lookup` is unique per kind: keying it by the lower-cased
name makes that rule the store's, atomic under concurrent creates. The id is the
entity's unique id, so a rename (UpdateUser) changes the name, ARN and lookup while
group memberships and access keys, which hold ids, stay put.

Inline policies are kept as `{name lower: {"PolicyName", "PolicyDocument"}}`, attached
policies as a list of managed policy ARNs; documents as the caller sent them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar, Generic, Self, TypeVar

from codeconn.domain.ids import GROUP_ID_PREFIX, ROLE_ID_PREFIX, USER_ID_PREFIX, iam_arn
from codeconn.store import Record

USER = "iam_user"
GROUP = "iam_group"
ROLE = "iam_role"
POLICY = "iam_policy"
ACCESS_KEY = "access_key"
SESSION = "sts_session"


E = TypeVar("E", bound="Entity")


@dataclass(frozen=True)
class EntityKind(Generic[E]):
    """What differs between users, groups and roles, so that one function serves the three."""

    kind: str  # store kind
    noun: str  # "user": in ARNs and in AWS's messages
    title: str  # "User": in the request and response members (UserName, UserId)
    id_prefix: str
    inline_size_limit: int  # aggregate size of the entity's inline policies, non-whitespace characters
    managed_quota: str  # the quota named when more than MAX_ATTACHED policies are attached
    entity: type[E] = field(repr=False, compare=False)  # the typed entity its records hold

    @property
    def name_field(self) -> str:
        return f"{self.title}Name"

    @property
    def id_field(self) -> str:
        return f"{self.title}Id"

    def from_record(self, record: Record) -> E:
        """The entity a record of this kind holds."""
        return self.entity.from_record(record)


MAX_ATTACHED = 10
"""Managed policies attached to one user, group or role (AWS's default quota)."""

MAX_GROUPS_PER_USER = 10
MAX_KEYS_PER_USER = 2
DEFAULT_MAX_SESSION_DURATION = 3600
"""A role's MaxSessionDuration when its creator gives none (one hour)."""


def name_key(account: str, name: str) -> str:
    """The `lookup` of an IAM entity: its account and its name without regard to case."""
    return f"{account}/{name.lower()}"


@dataclass(frozen=True, slots=True)
class InlinePolicy:
    """A policy embedded in one user, group or role."""

    name: str
    document: str


@dataclass(frozen=True)
class Entity:
    """What users, groups and roles share: a name at a path, inline and attached policies."""

    kind: ClassVar[EntityKind[Any]]  # set below, once the kinds exist

    account_id: str
    id: str
    name: str
    path: str
    created_at: datetime
    updated_at: datetime
    inline_policies: Mapping[str, InlinePolicy]  # by lower-cased name
    attached_policies: tuple[str, ...]  # managed policy ARNs

    @property
    def arn(self) -> str:
        return iam_arn(self.account_id, self.kind.noun, self.path, self.name)

    @property
    def boundary(self) -> str | None:
        """The permissions boundary's ARN (a group has none)."""
        return None

    def moved(self, path: str, name: str, now: datetime) -> Self:
        """This entity renamed and/or moved to another path: new name, ARN and lookup; id and links stay."""
        return replace(self, path=path, name=name, updated_at=now)

    def with_inline(self, policies: Mapping[str, InlinePolicy], now: datetime) -> Self:
        return replace(self, inline_policies=dict(policies), updated_at=now)

    def with_attached(self, arns: tuple[str, ...], now: datetime) -> Self:
        return replace(self, attached_policies=arns, updated_at=now)

    def _own_data(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_record(cls, record: Record) -> Self:
        raise NotImplementedError

    def to_record(self) -> Record:
        data = {self.kind.name_field: self.name, "Path": self.path, self.kind.id_field: self.id,
                **self._own_data(),
                "InlinePolicies": {key: {"PolicyName": policy.name, "PolicyDocument": policy.document}
                                   for key, policy in self.inline_policies.items()},
                "AttachedPolicies": list(self.attached_policies)}
        return Record(account_id=self.account_id, kind=self.kind.kind, id=self.id, arn=self.arn, name=self.name,
                      data=data, created_at=self.created_at, updated_at=self.updated_at,
                      lookup=name_key(self.account_id, self.name))

    @staticmethod
    def _common(record: Record) -> dict[str, Any]:
        data = record.data
        return {"account_id": record.account_id, "id": record.id, "name": record.name, "path": data["Path"],
                "created_at": record.created_at, "updated_at": record.updated_at,
                "inline_policies": {key: InlinePolicy(policy["PolicyName"], policy["PolicyDocument"])
                                    for key, policy in data["InlinePolicies"].items()},
                "attached_policies": tuple(data["AttachedPolicies"])}


@dataclass(frozen=True)
class User(Entity):
    """An IAM user; its group memberships are kept here, the side read on every call."""

    permissions_boundary: str | None = None
    groups: tuple[str, ...] = ()  # group ids

    @property
    def boundary(self) -> str | None:
        return self.permissions_boundary

    def _own_data(self) -> dict[str, Any]:
        return {"PermissionsBoundary": self.permissions_boundary, "Groups": list(self.groups)}

    @classmethod
    def from_record(cls, record: Record) -> Self:
        return cls(**cls._common(record), permissions_boundary=record.data.get("PermissionsBoundary"),
                   groups=tuple(record.data["Groups"]))


@dataclass(frozen=True)
class Group(Entity):
    """An IAM group: its members are the users whose `groups` name it."""

    @classmethod
    def from_record(cls, record: Record) -> Self:
        return cls(**cls._common(record))


@dataclass(frozen=True)
class Role(Entity):
    """An IAM role: its trust policy says who may assume it; MaxSessionDuration caps its sessions."""

    trust_policy: str = ""  # AssumeRolePolicyDocument
    description: str = ""
    max_session_duration: int = DEFAULT_MAX_SESSION_DURATION
    permissions_boundary: str | None = None

    @property
    def boundary(self) -> str | None:
        return self.permissions_boundary

    def _own_data(self) -> dict[str, Any]:
        return {"AssumeRolePolicyDocument": self.trust_policy, "Description": self.description,
                "MaxSessionDuration": self.max_session_duration, "PermissionsBoundary": self.permissions_boundary}

    @classmethod
    def from_record(cls, record: Record) -> Self:
        data = record.data
        return cls(**cls._common(record), trust_policy=data["AssumeRolePolicyDocument"],
                   description=data["Description"], max_session_duration=data["MaxSessionDuration"],
                   permissions_boundary=data.get("PermissionsBoundary"))


USERS = EntityKind(USER, "user", "User", USER_ID_PREFIX, 2048, "PoliciesPerUser", User)
GROUPS = EntityKind(GROUP, "group", "Group", GROUP_ID_PREFIX, 5120, "PoliciesPerGroup", Group)
ROLES = EntityKind(ROLE, "role", "Role", ROLE_ID_PREFIX, 10240, "PoliciesPerRole", Role)
User.kind, Group.kind, Role.kind = USERS, GROUPS, ROLES
ENTITY_KINDS: dict[str, EntityKind[Any]] = {kind.noun: kind for kind in (USERS, GROUPS, ROLES)}
"""Users, groups and roles by the noun in their ARNs."""


def access_key_arn(account: str, key_id: str) -> str:
    """The store's ARN for a key record (keys have no ARN in AWS; the store needs a unique one)."""
    return f"arn:aws:iam::{account}:access-key/{key_id}"


ACTIVE = "Active"


@dataclass(frozen=True, slots=True)
class AccessKey:
    """A user's long-term access key; its secret is SecretBox ciphertext, never shown (`repr` hides it)."""

    id: str  # the access key id, AKIA...
    account_id: str
    user_id: str
    status: str  # Active | Inactive
    created_at: datetime
    updated_at: datetime
    secret_ciphertext: str = field(repr=False, default="")

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    @classmethod
    def from_record(cls, record: Record) -> AccessKey:
        data = record.data
        return cls(id=record.id, account_id=record.account_id, user_id=data["UserId"], status=data["Status"],
                   created_at=record.created_at, updated_at=record.updated_at, secret_ciphertext=data["Secret"])

    def to_record(self) -> Record:
        return Record(account_id=self.account_id, kind=ACCESS_KEY, id=self.id,
                      arn=access_key_arn(self.account_id, self.id), name=self.id,
                      data={"UserId": self.user_id, "Status": self.status, "Secret": self.secret_ciphertext},
                      created_at=self.created_at, updated_at=self.updated_at, lookup=self.id)


__all__ = [
    "ACCESS_KEY",
    "ACTIVE",
    "DEFAULT_MAX_SESSION_DURATION",
    "ENTITY_KINDS",
    "GROUP",
    "GROUPS",
    "MAX_ATTACHED",
    "MAX_GROUPS_PER_USER",
    "MAX_KEYS_PER_USER",
    "POLICY",
    "ROLE",
    "ROLES",
    "SESSION",
    "USER",
    "USERS",
    "AccessKey",
    "Entity",
    "EntityKind",
    "Group",
    "InlinePolicy",
    "Role",
    "User",
    "access_key_arn",
    "name_key",
]
