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

SyncConfigurationStillExistsException = error_class(
    "SyncConfigurationStillExistsException", "A repository link still has sync configurations.", ServiceError,
    module=__name__)
SyncBlockerDoesNotExistException = error_class(
    "SyncBlockerDoesNotExistException", "UpdateSyncBlocker names no blocker.", ServiceError, module=__name__)
UnsupportedProviderTypeException = error_class(
    "UnsupportedProviderTypeException", "A provider type that cannot be used this way.", ServiceError,
    module=__name__)


__all__ = [
    "SyncBlockerDoesNotExistException",
    "SyncConfigurationStillExistsException",
    "UnsupportedProviderTypeException",
]
