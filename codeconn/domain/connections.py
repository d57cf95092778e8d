"""Connection, Host and RepositoryLink: the connections services' resources, and their records.

Each type reads itself from a `Record` (`from_record`) and writes itself back
(`to_record`) in the layout the store has always held:

    connection       id = the UUID in the ARN, name = ConnectionName, lookup = <account>:<name>
        {"ProviderType", "ConnectionStatus", "OwnerAccountId", "Region", "HostArn"?, "ProviderEndpoint"?,
         "ProviderTokenCiphertext"?, "InstallationId"?, "InstallationOwnerId"?, "TokenId"?, "StatusReason"?}
    host             id = <name>-<8 hex digits> as in AWS's ARNs, name = Name, no lookup
        {"ProviderType", "ProviderEndpoint", "Status", "Region", "VpcConfiguration"?, "StatusSettlesAt"?,
         "StatusMessage"?}
    repository_link  id = the UUID in the ARN, name = <owner>/<repository>,
                     lookup = <region>:<connection id>:<owner>/<repository> in lower case
        {"ConnectionArn", "OwnerId", "RepositoryName", "ProviderType", "Region", "EncryptionKeyArn"?}

The lookups make the store's unique constraint carry two rules: a connection's
name is unique in its account, and a repository is linked once per connection in
a Region. Fields marked ? are left out of the record when they have no value.

The provider token is SecretBox ciphertext written by the handshake; it is never
part of a view (`repr` hides it too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from codeconn.domain.arns import CONNECTION, HOST, REPOSITORY_LINK, resource_id
from codeconn.domain.lifecycle import ConnectionStatus, HostStatus, host_status
from codeconn.store import Record

TOKEN_FIELD = "ProviderTokenCiphertext"
"""The connection record field holding the provider token, as SecretBox ciphertext."""

SETTLES_AT = "StatusSettlesAt"
"""The host record field holding when a VPC_CONFIG_INITIALIZING host becomes PENDING."""


def _optional(**fields: Any) -> dict[str, Any]:
    """The fields that have a value (a record leaves the others out)."""
    return {name: value for name, value in fields.items() if value is not None}


def connection_name_key(account_id: str, region: str, name: str) -> str:
    """A connection's lookup: names are unique in an account's Region (store migration 2 made it so)."""
    return f"{account_id}:{region}:{name}"


def repository_key(region: str, connection_id: str, owner: str, repository: str) -> str:
    """A repository link's lookup: a repository is linked once per connection in a Region, in any case."""
    return f"{region}:{connection_id}:{owner.lower()}/{repository.lower()}"


@dataclass(frozen=True, slots=True)
class Connection:
    """A connection to a provider: PENDING until its handshake completes."""

    arn: str
    name: str
    account_id: str
    provider_type: str
    status: ConnectionStatus
    region: str
    created_at: datetime
    updated_at: datetime
    host_arn: str | None = None
    provider_endpoint: str | None = None
    token_ciphertext: str | None = field(default=None, repr=False)
    installation_id: str | None = None  # set by UpdateConnectionInstallation
    installation_owner_id: str | None = None  # the installation's OwnerId: OwnerAccountId once bound
    token_id: str | None = None  # the handshake's TokenId the credential came from
    status_reason: str | None = None  # why the connection is in ERROR

    @property
    def id(self) -> str:
        return resource_id(self.arn)

    @property
    def owner_account_id(self) -> str:
        """OwnerAccountId: the installation's OwnerId once the handshake bound one, else the account."""
        return self.installation_owner_id or self.account_id

    @classmethod
    def from_record(cls, record: Record) -> Connection:
        data = record.data
        return cls(arn=record.arn, name=record.name, account_id=record.account_id,
                   provider_type=data["ProviderType"], status=ConnectionStatus(data["ConnectionStatus"]),
                   region=data["Region"], created_at=record.created_at, updated_at=record.updated_at,
                   host_arn=data.get("HostArn"), provider_endpoint=data.get("ProviderEndpoint"),
                   token_ciphertext=data.get(TOKEN_FIELD), installation_id=data.get("InstallationId"),
                   installation_owner_id=data.get("InstallationOwnerId"), token_id=data.get("TokenId"),
                   status_reason=data.get("StatusReason"))

    def to_record(self) -> Record:
        data = {"ProviderType": self.provider_type, "ConnectionStatus": self.status.value,
                "OwnerAccountId": self.account_id, "Region": self.region,
                **_optional(HostArn=self.host_arn, ProviderEndpoint=self.provider_endpoint,
                            InstallationId=self.installation_id, InstallationOwnerId=self.installation_owner_id,
                            TokenId=self.token_id, StatusReason=self.status_reason,
                            **{TOKEN_FIELD: self.token_ciphertext})}
        return Record(account_id=self.account_id, kind=CONNECTION.kind, id=self.id, arn=self.arn, name=self.name,
                      data=data, created_at=self.created_at, updated_at=self.updated_at,
                      lookup=connection_name_key(self.account_id, self.region, self.name))


@dataclass(frozen=True, slots=True)
class Host:
    """Where an installed provider runs; its status settles with the clock (`status_at`)."""

    arn: str
    id: str
    name: str
    account_id: str
    provider_type: str
    provider_endpoint: str
    status: HostStatus  # as stored; `status_at` says what it is at a given time
    region: str
    created_at: datetime
    updated_at: datetime
    vpc_configuration: Mapping[str, Any] | None = None
    settles_at: datetime | None = None
    status_message: str | None = None

    def status_at(self, now: datetime) -> HostStatus:
        """The host's status at `now` (a VPC configuration being initialized settles into PENDING)."""
        return host_status(self.status, self.settles_at, now)

    @classmethod
    def from_record(cls, record: Record) -> Host:
        data = record.data
        settles_at = data.get(SETTLES_AT)
        return cls(arn=record.arn, id=record.id, name=record.name, account_id=record.account_id,
                   provider_type=data["ProviderType"], provider_endpoint=data["ProviderEndpoint"],
                   status=HostStatus(data["Status"]), region=data["Region"], created_at=record.created_at,
                   updated_at=record.updated_at, vpc_configuration=data.get("VpcConfiguration"),
                   settles_at=datetime.fromisoformat(settles_at) if settles_at else None,
                   status_message=data.get("StatusMessage"))

    def to_record(self) -> Record:
        data = {"ProviderType": self.provider_type, "ProviderEndpoint": self.provider_endpoint,
                "Status": self.status.value, "Region": self.region,
                **_optional(VpcConfiguration=dict(self.vpc_configuration) if self.vpc_configuration else None,
                            StatusMessage=self.status_message,
                            **{SETTLES_AT: self.settles_at.isoformat() if self.settles_at else None})}
        return Record(account_id=self.account_id, kind=HOST.kind, id=self.id, arn=self.arn, name=self.name,
                      data=data, created_at=self.created_at, updated_at=self.updated_at)


@dataclass(frozen=True, slots=True)
class RepositoryLink:
    """One repository (owner and name) linked through a connection, for Git sync to watch."""

    arn: str
    account_id: str
    connection_arn: str
    owner_id: str
    repository_name: str
    provider_type: str
    region: str
    created_at: datetime
    updated_at: datetime
    encryption_key_arn: str | None = None

    @property
    def id(self) -> str:
        return resource_id(self.arn)

    @property
    def name(self) -> str:
        return f"{self.owner_id}/{self.repository_name}"

    @property
    def lookup(self) -> str:
        return repository_key(self.region, resource_id(self.connection_arn), self.owner_id, self.repository_name)

    @classmethod
    def from_record(cls, record: Record) -> RepositoryLink:
        data = record.data
        return cls(arn=record.arn, account_id=record.account_id, connection_arn=data["ConnectionArn"],
                   owner_id=data["OwnerId"], repository_name=data["RepositoryName"],
                   provider_type=data["ProviderType"], region=data["Region"], created_at=record.created_at,
                   updated_at=record.updated_at, encryption_key_arn=data.get("EncryptionKeyArn"))

    def to_record(self) -> Record:
        data = {"ConnectionArn": self.connection_arn, "OwnerId": self.owner_id,
                "RepositoryName": self.repository_name, "ProviderType": self.provider_type, "Region": self.region,
                **_optional(EncryptionKeyArn=self.encryption_key_arn)}
        return Record(account_id=self.account_id, kind=REPOSITORY_LINK.kind, id=self.id, arn=self.arn,
                      name=self.name, data=data, created_at=self.created_at, updated_at=self.updated_at,
                      lookup=self.lookup)


__all__ = [
    "SETTLES_AT",
    "TOKEN_FIELD",
    "Connection",
    "Host",
    "RepositoryLink",
    "connection_name_key",
    "repository_key",
]
