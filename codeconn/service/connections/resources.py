"""Finding the resource a request names, and authorizing on it before anything is written.

Every operation on an existing resource runs the same three steps:

1. read the record and its tags in one statement (`lookup`, `lookup_id`);
2. authorize on the ARN the request named, with the tags as aws:ResourceTag/*:
   a caller who may not touch an ARN learns nothing about it, not even whether
   it exists, which is AWS's order (AccessDenied before ResourceNotFound);
3. inside the write transaction, `recheck` that the record is still there and
   still carries the tags that were authorized; a change in between raises
   TagsChanged, so a decision is never applied to a resource other than the
   one it was made for. `register` runs the handler again from step 1 (a few
   times at most) before the caller sees a ConcurrentModificationException.

Authorization happens outside transactions because an authorizer may read the
store itself, and a thread holding a transaction may not open a read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from codeconn.domain.arns import ResourceKind, parse_arn, resource_arn
from codeconn.domain.quotas import Quota
from codeconn.service.call import Call
from codeconn.service.errors import (
    ConcurrentModificationException,
    LimitExceededException,
    ResourceNotFoundException,
    error_class,
)
from codeconn.store import Reader, Record, Tx


@dataclass(frozen=True, slots=True)
class Found:
    """What a request's ARN or id names: the ARN to authorize on, the record (if any), its tags."""

    kind: ResourceKind
    arn: str
    record: Record | None
    tags: dict[str, str] = field(default_factory=dict)

    def require(self) -> Record:
        """The record; ResourceNotFoundException if there is none."""
        if self.record is None:
            raise ResourceNotFoundException(f"{self.kind.noun} {self.arn} does not exist")
        return self.record


def find_id(reader: Reader, call: Call, kind: ResourceKind, resource_id: str) -> Record | None:
    """The record with this id in the caller's account and Region."""
    record = reader.get(kind.kind, resource_id)
    if record is None or record.data.get("Region") != call.region:
        return None
    return record


def lookup(call: Call, kind: ResourceKind, arn: str) -> Found:
    """The resource `arn` names, read with its tags in one statement (so from one snapshot)."""
    with call.store.read(call.account_id, single_statement=True) as reader:
        tagged = _tagged(reader, call, kind, arn)
    return Found(kind, arn, *tagged) if tagged is not None else Found(kind, arn, None)


def lookup_id(call: Call, kind: ResourceKind, resource_id: str) -> Found:
    """The resource with this id; its ARN is the stored one, or the one this endpoint would give it."""
    with call.store.read(call.account_id, single_statement=True) as reader:
        tagged = reader.get_with_tags(kind.kind, resource_id)
    if tagged is None or tagged[0].data.get("Region") != call.region:
        return Found(kind, arn_for(call, kind, resource_id), None)
    return Found(kind, tagged[0].arn, *tagged)


def _tagged(reader: Reader, call: Call, kind: ResourceKind, arn: str) -> tuple[Record, dict[str, str]] | None:
    """The record whose ARN is exactly `arn`, in the caller's account and Region, with its tags."""
    parsed = parse_arn(arn)
    if (parsed is None or parsed.resource_type != kind.arn_type or parsed.account != call.account_id
            or parsed.region != call.region):
        return None
    tagged = reader.get_with_tags(kind.kind, parsed.resource_id)
    return tagged if tagged is not None and tagged[0].arn == arn else None


def authorize_on(call: Call, found: Found, action: str | None = None,
                 context: Mapping[str, Any] | None = None) -> None:
    """Authorize `action` (default: the operation) on the resource, its tags as aws:ResourceTag/*."""
    call.authorize(action, found.arn, context=context, resource_tags=found.tags)


TagsChanged = error_class(
    "TagsChanged", "The resource's tags changed between authorization and the write; nothing was written.",
    ConcurrentModificationException, module=__name__, code=ConcurrentModificationException.code)


def recheck(tx: Tx, found: Found) -> Record:
    """The record as the transaction sees it; it must still exist and carry the authorized tags."""
    record = found.require()
    tagged = tx.get_with_tags(record.kind, record.id)
    if tagged is None or tagged[0].arn != record.arn:
        raise ResourceNotFoundException(f"{found.kind.noun} {found.arn} does not exist")
    current, tags = tagged
    if tags != found.tags:
        raise TagsChanged(
            f"The tags of {found.arn} changed while the request was being authorized. Retry the request.")
    return current


def arn_for(call: Call, kind: ResourceKind, resource_id: str) -> str:
    """The ARN of a resource created (or named by id) through the endpoint and Region `call` was sent to."""
    return resource_arn(call.service, call.region, call.account_id, kind, resource_id)


def check_quota(tx: Reader, call: Call, quota: Quota) -> None:
    """LimitExceededException when one more resource would pass `quota` in the call's Region; call it
    inside the write transaction, which serialises the account's writes."""
    if not quota.allows_one_more(tx.count(quota.kind.kind, where=quota.scope(call.region))):
        raise LimitExceededException(quota.exceeded(call.region))


def key(call: Call, name: str) -> str:
    """A service condition key under the prefix of the endpoint called (`codeconnections:ProviderType`)."""
    return f"{call.service}:{name}"


def without_none(entries: Mapping[str, Any]) -> dict[str, Any]:
    """The entries that have a value: AWS leaves a context key out when the request has no value for it."""
    return {name: value for name, value in entries.items() if value is not None}


__all__ = [
    "Found",
    "TagsChanged",
    "arn_for",
    "authorize_on",
    "check_quota",
    "find_id",
    "key",
    "lookup",
    "lookup_id",
    "recheck",
    "without_none",
]
