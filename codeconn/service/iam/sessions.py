"""Role sessions (assumed-role credentials) as the store keeps them.

An `sts_session` record lives in the role's account:

    id = lookup = ASIA... (the access key id)
    data: RoleId, RoleArn, RoleName, SessionName, Secret and Token (SecretBox tokens),
          Expiration (ISO 8601), Policy (inline session policy or None), PolicyArns,
          Tags (session tags), SourceIdentity

The secret and the session token are encrypted at rest and given to the caller
once, in AssumeRole's answer. The role is referred to by id, so a role deleted and
re-created under the same name does not inherit the old sessions; a session whose
role is gone keeps no permissions. Expired sessions are purged a few at a time
whenever a new one is issued.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from codeconn.domain.ids import (
    SESSION_KEY_PREFIX,
    access_key_id,
    assumed_role_arn,
    secret_access_key,
    session_token,
)
from codeconn.domain.principals import SESSION, Role
from codeconn.iam import Principal, parse_principal
from codeconn.service.iam.model import new_record
from codeconn.store import Record, SecretBox, Tx

PURGE_BATCH = 20
PURGE_AFTER = timedelta(hours=1)
"""Sessions expired longer than this are deleted (an hour keeps ExpiredToken answers for late callers)."""


@dataclass(frozen=True)
class IssuedSession:
    """What AssumeRole hands out once. `repr` hides the secret and the token."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    assumed_role_arn: str
    assumed_role_id: str

    def __repr__(self) -> str:
        return (f"IssuedSession(access_key_id={self.access_key_id!r}, assumed_role_arn={self.assumed_role_arn!r}, "
                f"expiration={self.expiration.isoformat()!r}, secret=***, token=***)")


def issue(tx: Tx, secrets: SecretBox, *, role: Role, session_name: str, duration: int, now: datetime,
          policy: str | None = None, policy_arns: tuple[str, ...] = (), tags: dict[str, str] | None = None,
          source_identity: str | None = None) -> IssuedSession:
    """Store a new session of `role` (in the role's account's transaction `tx`) and return its credentials."""
    _purge(tx, now)
    key_id, secret, token = access_key_id(SESSION_KEY_PREFIX), secret_access_key(), session_token()
    expiration = now + timedelta(seconds=duration)
    arn = assumed_role_arn(role.account_id, role.name, session_name)
    data: dict[str, Any] = {
        "RoleId": role.id, "RoleArn": role.arn, "RoleName": role.name, "SessionName": session_name,
        "Secret": secrets.encrypt(secret), "Token": secrets.encrypt(token), "Expiration": expiration.isoformat(),
        "Policy": policy, "PolicyArns": list(policy_arns), "Tags": dict(tags or {}),
        "SourceIdentity": source_identity,
    }
    tx.insert(new_record(role.account_id, SESSION, key_id, f"arn:aws:sts::{role.account_id}:session/{key_id}",
                         session_name, data, now, key_id))
    return IssuedSession(key_id, secret, token, expiration, arn, f"{role.id}:{session_name}")


def expiration(session: Record) -> datetime:
    return datetime.fromisoformat(session.data["Expiration"])


def principal(session: Record) -> Principal:
    """The session as the engine sees it: its assumed-role ARN, and its role's ARN with the role's path."""
    data = session.data
    parsed = parse_principal(assumed_role_arn(session.account_id, data["RoleName"], data["SessionName"]))
    return replace(parsed, arn=data["RoleArn"], role_arn=data["RoleArn"],
                   service_linked=":role/aws-service-role/" in data["RoleArn"])


def _purge(tx: Tx, now: datetime) -> None:
    for record in tx.list(SESSION, limit=PURGE_BATCH).records:
        if expiration(record) + PURGE_AFTER < now:
            tx.delete(SESSION, record.id)
