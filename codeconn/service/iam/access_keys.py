"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey.

A key is an `access_key` record whose `lookup` is the key id, so the caller
directory finds it from any account; the secret is encrypted with the SecretBox
before it reaches the record and is returned exactly once, by CreateAccessKey.
An inactive key is unknown to the directory. A user holds at most two keys.
Without UserName the operations act on the calling user, as AWS's do.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from codeconn.domain.ids import access_key_id, secret_access_key
from codeconn.domain.principals import ACCESS_KEY, ACTIVE, MAX_KEYS_PER_USER, USERS, AccessKey, User
from codeconn.iam import PrincipalType
from codeconn.service.call import Call
from codeconn.service.iam import access
from codeconn.service.iam.errors import (
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from codeconn.service.iam.model import changing, find, missing, presumed_arn
from codeconn.service.iam.pages import page
from codeconn.service.registry import Registry


def _user_name(call: Call, params: dict[str, Any]) -> str:
    name = params.get("UserName")
    if name:
        return str(name)
    principal = call.caller.principal
    if principal.type is PrincipalType.USER and principal.name:
        return principal.name
    if principal.type is PrincipalType.ROOT:
        raise InvalidInput("codeconn keeps the root user's key in its configuration: specify UserName.")
    raise ValidationError("Must specify userName when calling with non-User credentials")


def _key_out(key: AccessKey, user: User) -> dict[str, Any]:
    return {"UserName": user.name, "AccessKeyId": key.id, "Status": key.status, "CreateDate": key.created_at}


def create_access_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = _user_name(call, params)
    secret = secret_access_key()
    with changing(call) as tx:
        user = find(tx, USERS, call.account_id, name)
        access.authorize(call, "CreateAccessKey", presumed_arn(USERS, call.account_id, name, user),
                         resource_tags=tx.tags(user.arn) if user else {})
        if user is None:
            raise missing(USERS, name)
        if tx.count(ACCESS_KEY, where={"UserId": user.id}) >= MAX_KEYS_PER_USER:
            raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}")
        key = AccessKey(id=access_key_id(), account_id=call.account_id, user_id=user.id, status=ACTIVE,
                        created_at=call.now, updated_at=call.now, secret_ciphertext=call.secrets.encrypt(secret))
        tx.insert(key.to_record())
    return {"AccessKey": {**_key_out(key, user), "SecretAccessKey": secret}}


def list_access_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = _user_name(call, params)
    with call.store.read(call.account_id) as reader:
        user = find(reader, USERS, call.account_id, name)
        tags = reader.tags(user.arn) if user else {}
        records = reader.list(ACCESS_KEY, where={"UserId": user.id}).records if user else ()
        keys = [AccessKey.from_record(record) for record in records]
    access.authorize(call, "ListAccessKeys", presumed_arn(USERS, call.account_id, name, user), resource_tags=tags)
    if user is None:
        raise missing(USERS, name)
    items, more = page(keys, params)
    return {"AccessKeyMetadata": [_key_out(key, user) for key in items], **more}


def _change_key(call: Call, params: dict[str, Any], operation: str, status: str | None) -> dict[str, Any]:
    name, key_id = _user_name(call, params), params["AccessKeyId"]
    with changing(call) as tx:
        user = find(tx, USERS, call.account_id, name)
        access.authorize(call, operation, presumed_arn(USERS, call.account_id, name, user),
                         resource_tags=tx.tags(user.arn) if user else {})
        if user is None:
            raise missing(USERS, name)
        record = tx.get(ACCESS_KEY, key_id)
        key = AccessKey.from_record(record) if record is not None else None
        if key is None or key.user_id != user.id:
            raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
        if status is None:
            tx.delete(ACCESS_KEY, key_id)
        else:
            tx.update(replace(key, status=status, updated_at=call.now).to_record())
    return {}


def update_access_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _change_key(call, params, "UpdateAccessKey", params["Status"])


def delete_access_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _change_key(call, params, "DeleteAccessKey", None)


def register(registry: Registry) -> None:
    for name, handler in (("CreateAccessKey", create_access_key), ("ListAccessKeys", list_access_keys),
                          ("UpdateAccessKey", update_access_key), ("DeleteAccessKey", delete_access_key)):
        registry.add(("iam",), name, handler)
