"""How the handshake reaches code hosts: a small protocol the composition root fills.

The service never imports a concrete adapter: `codeconn.server.components` builds
`codeconn.providers.config.Providers` (one provider per type, and one per host)
and hands it to the handshake handlers when they are registered. This module is
the service's side of that seam: the `ProviderDirectory` protocol, the provider a
request names (a provider type, or a host through its HostArn), and one place
where a provider's errors become the API's errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from codeconn.domain.arns import HOST
from codeconn.domain.connections import Host
from codeconn.domain.handshake import HOST_APP, HostApp
from codeconn.providers.base import (
    Provider,
    ProviderAuthFailed,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRefused,
)
from codeconn.providers.hosts import HostEndpoint, RegisteredApp
from codeconn.service.call import Call
from codeconn.service.connections.resources import lookup
from codeconn.service.errors import (
    InvalidInputException,
    ResourceNotFoundException,
    ResourceUnavailableException,
    ServiceError,
    ThrottlingException,
)
from codeconn.store import Secret


class ProviderDirectory(Protocol):
    """The providers of this server, by provider type or by host."""

    redirect_uri: str
    """codeconn's own OAuth callback (`/oauth/callback` on the server), sent as redirect_uri."""

    def for_type(self, provider_type: str) -> Provider: ...

    def for_host(self, host: HostEndpoint) -> Provider: ...

    def host_ready(self, host: HostEndpoint) -> bool:
        """A `file://` host whose directory exists (it becomes AVAILABLE)."""
        ...

    def app_registration_url(self, host: HostEndpoint, *, state: str, name: str) -> str: ...

    def register_app(self, host: HostEndpoint, code: str) -> RegisteredApp: ...


ERRORS: dict[type[ProviderError], type[ServiceError]] = {
    ProviderAuthFailed: InvalidInputException,
    ProviderNotFound: InvalidInputException,
    ProviderRefused: InvalidInputException,
    ProviderRateLimited: ThrottlingException,
    ProviderError: ResourceUnavailableException,
}
"""A provider's error (the most specific class listed) as the API answers it."""


@contextmanager
def provider_errors(provider_type: str) -> Iterator[None]:
    """Answer a provider's failure as the API's error; its message never holds a secret."""
    try:
        yield
    except ProviderError as error:
        answer = next(ERRORS[cls] for cls in type(error).__mro__ if cls in ERRORS)
        raise answer(f"{provider_type}: {error}") from None


def host_endpoint(call: Call, host: Host) -> HostEndpoint:
    """The host as the providers see it, with the app registered on it (secrets decrypted into `Secret`s)."""
    with call.store.read(call.account_id) as reader:
        record = reader.get(HOST_APP, host.id)
    app = None
    if record is not None and record.data.get("HostArn") == host.arn:
        stored = HostApp.from_record(record)
        app = RegisteredApp(app_id=stored.app_id, slug=stored.slug, client_id=stored.client_id,
                            client_secret=Secret(call.secrets.decrypt(stored.client_secret_ciphertext)),
                            private_key=Secret(call.secrets.decrypt(stored.private_key_ciphertext)))
    return HostEndpoint(provider_type=host.provider_type, endpoint=host.provider_endpoint, app=app)


def find_host(call: Call, host_arn: str) -> Host:
    """The host `host_arn` names in the caller's account and Region; ResourceNotFoundException if none."""
    return Host.from_record(lookup(call, HOST, host_arn).require())


def provider_for(call: Call, directory: ProviderDirectory, provider_type: str | None,
                 host_arn: str | None) -> tuple[str, Provider, Host | None]:
    """(provider type, provider, host) for a request naming a provider type and maybe a host."""
    if host_arn:
        host = find_host(call, host_arn)
        if provider_type and provider_type != host.provider_type:
            raise InvalidInputException(f"ProviderType {provider_type} does not match the provider type "
                                        f"{host.provider_type} of host {host_arn}.")
        return host.provider_type, directory.for_host(host_endpoint(call, host)), host
    if not provider_type:
        raise InvalidInputException("Either ProviderType or HostArn must be specified.")
    return provider_type, directory.for_type(provider_type), None


def no_such(what: str, name: str) -> ServiceError:
    """The one answer for a State or TokenId that is unknown, expired, used, or another principal's."""
    return ResourceNotFoundException(f"{what} {name} does not exist")


__all__ = [
    "ERRORS",
    "ProviderDirectory",
    "find_host",
    "host_endpoint",
    "no_such",
    "provider_errors",
    "provider_for",
]
