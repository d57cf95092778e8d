"""The connections services' own error shapes, beyond the service layer's common ones.

    ServiceError (codeconn.service.errors)
    ├── SyncConfigurationStillExistsException   a repository link still has sync configurations
    ├── SyncBlockerDoesNotExistException        UpdateSyncBlocker names no blocker
    └── UnsupportedProviderTypeException        a provider type that cannot be used this way

The names are the models' error shapes, so the edge answers them with the
model's HTTP status and botocore raises the modelled exception class.
"""

from __future__ import annotations

from codeconn.service.errors import ServiceError, error_class


def _connections(code: str, doc: str) -> type[ServiceError]:
    return error_class(code, doc, ServiceError, module=__name__)


SyncConfigurationStillExistsException = _connections(
    "SyncConfigurationStillExistsException", "A repository link still has sync configurations.")
SyncBlockerDoesNotExistException = _connections(
    "SyncBlockerDoesNotExistException", "UpdateSyncBlocker names no blocker.")
UnsupportedProviderTypeException = _connections(
    "UnsupportedProviderTypeException", "A provider type that cannot be used this way.")


__all__ = [
    "SyncBlockerDoesNotExistException",
    "SyncConfigurationStillExistsException",
    "UnsupportedProviderTypeException",
]
