"""StartAppRegistrationHandshake and RegisterAppCode: codeconn's app registered on a self-managed host.

For a GitHub Enterprise Server host, the GitHub App manifest flow
(`codeconn.providers.github_apps`): StartAppRegistrationHandshake answers the
host's `/settings/apps/new` URL with codeconn's manifest and a State bound to the
caller (single use, STATE_LIFETIME); the host sends the person back to
`/oauth/callback` with a code; RegisterAppCode converts the code into the app
(id, slug, client id, client secret, private key), stores the two secrets
encrypted (`codeconn.domain.handshake.HostApp`), and the host becomes AVAILABLE.
Its connections then use that app for their OAuth flow and installations.

Both are authorized on `*` with <prefix>:HostArn, as the table says.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from codeconn.domain.handshake import (
    APP_REGISTRATION,
    STATE_LIFETIME,
    HandshakeState,
    HostApp,
    state_id,
)
from codeconn.domain.lifecycle import HostStatus
from codeconn.service.call import Call
from codeconn.service.connections.handshake import STATE_BYTES, caller_id, take_state
from codeconn.service.connections.hosts import host_view
from codeconn.service.connections.provider_directory import (
    ProviderDirectory,
    find_host,
    host_endpoint,
    provider_errors,
)
from codeconn.service.connections.resources import key
from codeconn.service.errors import InvalidInputException

APP_NAME_PREFIX = "codeconn"


def _authorize(call: Call, params: dict[str, Any]) -> None:
    call.authorize(context={key(call, "HostArn"): params["HostArn"]})


def start_app_registration_handshake(call: Call, params: dict[str, Any], *,
                                     providers: ProviderDirectory) -> dict[str, Any]:
    """StartAppRegistrationHandshake: the host's app registration URL and a State bound to the caller."""
    _authorize(call, params)
    host = find_host(call, params["HostArn"])
    state = secrets.token_urlsafe(STATE_BYTES)
    with provider_errors(host.provider_type):
        url = providers.app_registration_url(host_endpoint(call, host), state=state,
                                             name=f"{APP_NAME_PREFIX}-{host.id}"[:34])
    started = HandshakeState(id=state_id(state), account_id=call.account_id, purpose=APP_REGISTRATION,
                             principal_arn=caller_id(call), provider_type=host.provider_type,
                             expires_at=call.now + STATE_LIFETIME, created_at=call.now, host_arn=host.arn)
    with call.store.transaction(call.account_id) as tx:
        tx.insert(started.to_record())
    return {"RegistrationUrl": url, "State": state}


def register_app_code(call: Call, params: dict[str, Any], *, providers: ProviderDirectory) -> dict[str, Any]:
    """RegisterAppCode: the registration code becomes the host's app (secrets encrypted); the host is AVAILABLE."""
    _authorize(call, params)
    host = find_host(call, params["HostArn"])
    started = take_state(call, params["State"], APP_REGISTRATION)
    if started.host_arn != host.arn:
        raise InvalidInputException("The State was issued for another host.")
    with provider_errors(host.provider_type):
        app = providers.register_app(host_endpoint(call, host), params["Code"])
    stored = HostApp(host_id=host.id, account_id=call.account_id, host_arn=host.arn, app_id=app.app_id,
                     slug=app.slug, client_id=app.client_id,
                     client_secret_ciphertext=call.secrets.encrypt(app.client_secret),
                     private_key_ciphertext=call.secrets.encrypt(app.private_key), created_at=call.now)
    available = replace(host, status=HostStatus.AVAILABLE, status_message=None, updated_at=call.now)
    with call.store.transaction(call.account_id) as tx:
        tx.delete(stored.to_record().kind, host.id)  # a registration again replaces the app
        tx.insert(stored.to_record())
        tx.update(available.to_record())
    return {"Host": host_view(available, call)}


__all__ = ["register_app_code", "start_app_registration_handshake"]
