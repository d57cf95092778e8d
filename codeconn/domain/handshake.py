"""The handshake's own records: a started flow's State, a stored provider token, a host's registered app.

    handshake_state   id = SHA-256 of the State (the State itself is never stored),
                      name = the purpose ("oauth" or "app-registration")
        {"PrincipalArn", "ProviderType", "HostArn"?, "ConnectionArn"?, "VerifierCiphertext"?, "ExpiresAt"}
    provider_token    id = the TokenId, name = the provider user's login
        {"PrincipalArn", "ProviderType", "HostArn"?, "ProviderUser", "CredentialCiphertext", "ExpiresAt"?}
    host_app          id = the host's id, name = the app's slug
        {"HostArn", "AppId", "Slug", "ClientId", "ClientSecretCiphertext", "PrivateKeyCiphertext"}

None of them has an AWS ARN: each is named by `internal_arn`. A State and a
TokenId belong to the principal that made them (`PrincipalArn`): another
principal who presents one is told it does not exist. A State is good for one
use within STATE_LIFETIME. Everything secret (the PKCE verifier, the provider
credential, an app's client secret and private key) is SecretBox ciphertext, and
every value here keeps its ciphertext out of `repr`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from codeconn.domain.arns import internal_arn
from codeconn.providers.base import Credential, CredentialKind
from codeconn.store import Record, Secret, SecretBox

HANDSHAKE_STATE = "handshake_state"
PROVIDER_TOKEN = "provider_token"
HOST_APP = "host_app"

STATE_LIFETIME = timedelta(minutes=10)
"""How long a State (and its PKCE verifier) may be used after the flow started (handshake-api.md)."""

OAUTH = "oauth"
APP_REGISTRATION = "app-registration"


def state_id(state: str) -> str:
    """The record id of a State: its SHA-256, so that the store never holds a usable State."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def _optional(**fields: object) -> dict[str, object]:
    return {name: value for name, value in fields.items() if value is not None}


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class HandshakeState:
    """A started OAuth flow or app registration, waiting for its code."""

    id: str
    account_id: str
    purpose: str
    principal_arn: str
    provider_type: str
    expires_at: datetime
    created_at: datetime
    host_arn: str | None = None
    connection_arn: str | None = None
    verifier_ciphertext: str | None = field(default=None, repr=False)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    @classmethod
    def from_record(cls, record: Record) -> HandshakeState:
        data = record.data
        return cls(id=record.id, account_id=record.account_id, purpose=record.name,
                   principal_arn=data["PrincipalArn"], provider_type=data["ProviderType"],
                   expires_at=datetime.fromisoformat(data["ExpiresAt"]), created_at=record.created_at,
                   host_arn=data.get("HostArn"), connection_arn=data.get("ConnectionArn"),
                   verifier_ciphertext=data.get("VerifierCiphertext"))

    def to_record(self) -> Record:
        data = {"PrincipalArn": self.principal_arn, "ProviderType": self.provider_type,
                "ExpiresAt": self.expires_at.isoformat(),
                **_optional(HostArn=self.host_arn, ConnectionArn=self.connection_arn,
                            VerifierCiphertext=self.verifier_ciphertext)}
        return Record(account_id=self.account_id, kind=HANDSHAKE_STATE, id=self.id,
                      arn=internal_arn(self.account_id, HANDSHAKE_STATE, self.id), name=self.purpose, data=data,
                      created_at=self.created_at, updated_at=self.created_at)


@dataclass(frozen=True, slots=True)
class ProviderToken:
    """A provider credential the handshake checked and stored, named by an opaque TokenId."""

    id: str
    account_id: str
    principal_arn: str
    provider_type: str
    provider_user: str
    credential_ciphertext: str = field(repr=False)
    created_at: datetime
    host_arn: str | None = None
    expires_at: datetime | None = None

    @classmethod
    def from_record(cls, record: Record) -> ProviderToken:
        data = record.data
        return cls(id=record.id, account_id=record.account_id, principal_arn=data["PrincipalArn"],
                   provider_type=data["ProviderType"], provider_user=data["ProviderUser"],
                   credential_ciphertext=data["CredentialCiphertext"], created_at=record.created_at,
                   host_arn=data.get("HostArn"), expires_at=_time(data.get("ExpiresAt")))

    def to_record(self) -> Record:
        data = {"PrincipalArn": self.principal_arn, "ProviderType": self.provider_type,
                "ProviderUser": self.provider_user, "CredentialCiphertext": self.credential_ciphertext,
                **_optional(HostArn=self.host_arn,
                            ExpiresAt=self.expires_at.isoformat() if self.expires_at else None)}
        return Record(account_id=self.account_id, kind=PROVIDER_TOKEN, id=self.id,
                      arn=internal_arn(self.account_id, PROVIDER_TOKEN, self.id), name=self.provider_user,
                      data=data, created_at=self.created_at, updated_at=self.created_at)


@dataclass(frozen=True, slots=True)
class HostApp:
    """The app codeconn registered on a self-managed host (GitHub Enterprise Server: a GitHub App)."""

    host_id: str
    account_id: str
    host_arn: str
    app_id: str
    slug: str
    client_id: str
    client_secret_ciphertext: str = field(repr=False)
    private_key_ciphertext: str = field(repr=False)
    created_at: datetime

    @classmethod
    def from_record(cls, record: Record) -> HostApp:
        data = record.data
        return cls(host_id=record.id, account_id=record.account_id, host_arn=data["HostArn"], app_id=data["AppId"],
                   slug=record.name, client_id=data["ClientId"],
                   client_secret_ciphertext=data["ClientSecretCiphertext"],
                   private_key_ciphertext=data["PrivateKeyCiphertext"], created_at=record.created_at)

    def to_record(self) -> Record:
        data = {"HostArn": self.host_arn, "AppId": self.app_id, "ClientId": self.client_id,
                "ClientSecretCiphertext": self.client_secret_ciphertext,
                "PrivateKeyCiphertext": self.private_key_ciphertext}
        return Record(account_id=self.account_id, kind=HOST_APP, id=self.host_id,
                      arn=internal_arn(self.account_id, HOST_APP, self.host_id), name=self.slug, data=data,
                      created_at=self.created_at, updated_at=self.created_at)


# --- a credential at rest -------------------------------------------------------------------


def seal_credential(box: SecretBox, credential: Credential) -> str:
    """`credential` as one SecretBox ciphertext (kind, token, refresh token, expiry, user name)."""
    plain = {"kind": credential.kind.value,
             **_optional(token=credential.token.reveal() if credential.token else None,
                         refresh_token=credential.refresh_token.reveal() if credential.refresh_token else None,
                         expires_at=credential.expires_at.isoformat() if credential.expires_at else None,
                         username=credential.username)}
    return box.encrypt(Secret(json.dumps(plain)))


def open_credential(box: SecretBox, ciphertext: str) -> Credential:
    """The credential `seal_credential` sealed; its secrets are `Secret`s again."""
    plain = json.loads(box.decrypt(ciphertext))
    token, refresh = plain.get("token"), plain.get("refresh_token")
    return Credential(kind=CredentialKind(plain["kind"]), token=Secret(token) if token else None,
                      refresh_token=Secret(refresh) if refresh else None, expires_at=_time(plain.get("expires_at")),
                      username=plain.get("username"))


__all__ = [
    "APP_REGISTRATION",
    "HANDSHAKE_STATE",
    "HOST_APP",
    "OAUTH",
    "PROVIDER_TOKEN",
    "STATE_LIFETIME",
    "HandshakeState",
    "HostApp",
    "ProviderToken",
    "open_credential",
    "seal_credential",
    "state_id",
]
