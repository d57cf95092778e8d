"""How IAM entities are found, named and shown, and how an IAM write is counted.

The entities themselves (users, groups, roles, managed policies, access keys),
their record layouts and their limits are `codeconn.domain.principals` and
`codeconn.domain.policies`; handlers find them here as typed values, decide, and
write `entity.to_record()` back. Role sessions are `sessions.py`'s.

The account's generation counts every IAM write (an `iam_generation` record,
id "account", data {"Generation": n}); the caller directory keys its cache of
principals' policy sets by it, so that a change is seen by the next call
without re-reading every policy on every call.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from codeconn.domain.ids import iam_arn
from codeconn.domain.principals import (  # the kinds the caller directory reads, re-exported for it
    ACCESS_KEY,
    ROLES,
    SESSION,
    USERS,
    Entity,
    EntityKind,
    Group,
    User,
    name_key,
)
from codeconn.service.call import Call
from codeconn.service.errors import IamError
from codeconn.service.iam.errors import DeleteConflict, NoSuchEntity
from codeconn.service.tagging import tag_list
from codeconn.store import Reader, Record, Tx

GENERATION = "iam_generation"

E = TypeVar("E", bound=Entity)


def find(reader: Reader, kind: EntityKind[E], account: str, name: str) -> E | None:
    """The user, group or role called `name` (in any case) in `account`, or None."""
    record = reader.get_by_lookup(kind.kind, name_key(account, name))
    return kind.from_record(record) if record is not None else None


def missing(kind: EntityKind[Any], name: str) -> IamError:
    """NoSuchEntity in AWS's words: "The user with name alice cannot be found." """
    return NoSuchEntity(f"The {kind.noun} with name {name} cannot be found.")


def require(reader: Reader, kind: EntityKind[E], account: str, name: str) -> E:
    """The entity called `name`; NoSuchEntity when there is none."""
    found = find(reader, kind, account, name)
    if found is None:
        raise missing(kind, name)
    return found


def presumed_arn(kind: EntityKind[Any], account: str, name: str, entity: Entity | None) -> str:
    """The entity's ARN, or the ARN it would have at path / (what AccessDenied names for a missing one)."""
    return entity.arn if entity is not None else iam_arn(account, kind.noun, "/", name)


def new_record(account: str, kind: str, id: str, arn: str, name: str, data: dict[str, Any], now: datetime,
               lookup: str | None) -> Record:
    return Record(account_id=account, kind=kind, id=id, arn=arn, name=name, data=data, created_at=now,
                  updated_at=now, lookup=lookup)


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


def account_generation(reader: Reader, account_id: str) -> int:
    """`account_id`'s IAM generation, from a reader of any account (found by the record's ARN)."""
    record = reader.get_by_arn(_generation_arn(account_id))
    return int(record.data["Generation"]) if record is not None else 0


def _generation_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:codeconn/generation"


def bump_generation(tx: Tx, now: datetime) -> int:
    record = tx.get(GENERATION, "account")
    if record is None:
        tx.insert(new_record(tx.account_id, GENERATION, "account", _generation_arn(tx.account_id),
                             "generation", {"Generation": 1}, now, None))
        return 1
    count = int(record.data["Generation"]) + 1
    tx.update(replace(record, data={**record.data, "Generation": count}, updated_at=now))
    return count


def boundary_out(entity: Entity) -> dict[str, Any]:
    """`PermissionsBoundary` for an output, when the entity has one."""
    if not entity.boundary:
        return {}
    return {"PermissionsBoundary": {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                    "PermissionsBoundaryArn": entity.boundary}}


def user_out(user: User, tags: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A `User` structure; tags only where AWS returns them (GetUser, CreateUser)."""
    out: dict[str, Any] = {"Path": user.path, "UserName": user.name, "UserId": user.id, "Arn": user.arn,
                           "CreateDate": user.created_at, **boundary_out(user)}
    if tags:
        out["Tags"] = tag_list(tags)
    return out


def group_out(group: Group) -> dict[str, Any]:
    return {"Path": group.path, "GroupName": group.name, "GroupId": group.id, "Arn": group.arn,
            "CreateDate": group.created_at}


def all_records(reader: Reader, kind: str) -> list[Record]:
    """Every record of `kind` in the reader's account, in creation order (IAM accounts are small)."""
    return list(reader.list(kind).records)


def all_of(reader: Reader, kind: EntityKind[E]) -> list[E]:
    """Every user, group or role of the reader's account, in creation order."""
    return [kind.from_record(record) for record in all_records(reader, kind.kind)]


def under_path(reader: Reader, kind: EntityKind[E], prefix: str | None) -> list[E]:
    """The entities whose path starts with `prefix` (default `/`), by name as IAM lists them."""
    found = [e for e in all_of(reader, kind) if e.path.startswith(prefix or "/")]
    found.sort(key=lambda e: e.name.lower())
    return found


def refuse_delete_with_policies(entity: Entity) -> None:
    """IAM's DeleteConflict for an entity that still has inline or attached policies."""
    if entity.inline_policies:
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if entity.attached_policies:
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")


__all__ = [
    "ACCESS_KEY",
    "GENERATION",
    "ROLES",
    "SESSION",
    "USERS",
    "all_of",
    "all_records",
    "boundary_out",
    "account_generation",
    "bump_generation",
    "changing",
    "find",
    "generation",
    "group_out",
    "missing",
    "new_record",
    "presumed_arn",
    "refuse_delete_with_policies",
    "require",
    "under_path",
    "user_out",
]
