"""StartOAuthHandshake, GetIndividualAccessToken, GetInstallationUrl: a person's credential for a provider.

The OAuth 2.0 authorization-code flow (RFC 6749 §4.1) as handshake-api.md has it:

1. StartOAuthHandshake makes a fresh, unguessable State bound to the caller (its
   aws:userid), and, where the provider supports it, a PKCE S256 verifier (RFC
   7636). Both stay on the server (the State as its SHA-256, the verifier
   encrypted) for STATE_LIFETIME; the caller gets the provider's authorization URL.
2. The provider sends the person's browser to codeconn's `/oauth/callback` with a
   code and the State (`codeconn.server.callback` shows them).
3. GetIndividualAccessToken takes the code with its State, once: the State is
   deleted in the transaction that reads it, so a second use finds nothing. The
   code is exchanged (with the verifier), the credential checked with the
   provider's current-user call, stored encrypted, and named by an opaque TokenId.

A personal access token skips 1-2 (checked with current_user before it is
stored); a provider in local mode needs neither code nor token. A State or TokenId
of another principal, an expired or a used one, is ResourceNotFoundException.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from codeconn.domain.arns import CONNECTION
from codeconn.domain.handshake import (
    HANDSHAKE_STATE,
    OAUTH,
    PROVIDER_TOKEN,
    STATE_LIFETIME,
    HandshakeState,
    ProviderToken,
    seal_credential,
    state_id,
)
from codeconn.domain.lifecycle import HostStatus
from codeconn.providers.base import Credential, CredentialKind, Provider, ProviderError
from codeconn.providers.oauth import code_challenge, new_code_verifier
from codeconn.service.call import Call
from codeconn.service.connections.provider_directory import (
    ProviderDirectory,
    host_endpoint,
    no_such,
    provider_errors,
    provider_for,
)
from codeconn.service.connections.resources import key, lookup, without_none
from codeconn.service.errors import InvalidInputException
from codeconn.store import Secret

STATE_BYTES = 32  # 43 characters of base64url: within the OAuthState shape's 16..256
TOKEN_ID_BYTES = 24


def caller_id(call: Call) -> str:
    """Who a State or TokenId belongs to: the caller's aws:userid (a role session's own id), in its account."""
    return f"{call.account_id}:{call.caller.userid}"


def authorize_provider(call: Call, params: dict[str, Any]) -> None:
    """The ProviderType row of the table: the action on `*` with <prefix>:ProviderType."""
    call.authorize(context=without_none({key(call, "ProviderType"): params.get("ProviderType")}))


def start_oauth_handshake(call: Call, params: dict[str, Any], *, providers: ProviderDirectory) -> dict[str, Any]:
    """StartOAuthHandshake: the provider's authorization URL and a fresh State bound to the caller."""
    authorize_provider(call, params)
    provider_type, provider, host = provider_for(call, providers, params.get("ProviderType"), params.get("HostArn"))
    if params.get("ConnectionArn"):
        lookup(call, CONNECTION, params["ConnectionArn"]).require()
    state = secrets.token_urlsafe(STATE_BYTES)
    verifier = new_code_verifier() if provider.supports_pkce else None
    with provider_errors(provider_type):
        try:
            url = provider.authorization_url(state=state, redirect_uri=providers.redirect_uri,
                                             code_challenge=code_challenge(verifier) if verifier else None)
        except ProviderError as error:
            raise InvalidInputException(f"{provider_type} has no OAuth flow here ({error}): call "
                                        "GetIndividualAccessToken without a code") from None
    started = HandshakeState(id=state_id(state), account_id=call.account_id, purpose=OAUTH,
                             principal_arn=caller_id(call), provider_type=provider_type,
                             expires_at=call.now + STATE_LIFETIME, created_at=call.now,
                             host_arn=host.arn if host else None, connection_arn=params.get("ConnectionArn"),
                             verifier_ciphertext=call.secrets.encrypt(verifier) if verifier else None)
    with call.store.transaction(call.account_id) as tx:
        tx.insert(started.to_record())
    return {"AuthorizationUrl": url, "State": state}


def take_state(call: Call, state: str, purpose: str) -> HandshakeState:
    """The caller's State, deleted as it is read (single use); ResourceNotFoundException otherwise."""
    with call.store.transaction(call.account_id) as tx:
        record = tx.get(HANDSHAKE_STATE, state_id(state))
        if record is None:
            raise no_such("State", "(given)")
        started = HandshakeState.from_record(record)
        if started.principal_arn != caller_id(call) or started.purpose != purpose:
            raise no_such("State", "(given)")  # another's: nothing is revealed, nothing consumed
        tx.delete(HANDSHAKE_STATE, record.id)
    if started.expired(call.now):
        raise no_such("State", "(given)")
    return started


def get_individual_access_token(call: Call, params: dict[str, Any], *,
                                providers: ProviderDirectory) -> dict[str, Any]:
    """GetIndividualAccessToken: a code (with its State), a personal access token, or local mode -> TokenId."""
    authorize_provider(call, params)
    provider_type, provider, host = provider_for(call, providers, params.get("ProviderType"), params.get("HostArn"))
    code, state, pat = params.get("Code"), params.get("State"), params.get("PersonalAccessToken")
    if code and pat:
        raise InvalidInputException("Give either Code and State or PersonalAccessToken, not both.")
    if bool(code) != bool(state):
        raise InvalidInputException("Code and State go together.")
    if code and state:
        started = take_state(call, state, OAUTH)
        if started.provider_type != provider_type or started.host_arn != (host.arn if host else None):
            raise InvalidInputException("The State was issued for another provider.")
        verifier = call.secrets.decrypt(started.verifier_ciphertext) if started.verifier_ciphertext else None
        with provider_errors(provider_type):
            credential = provider.exchange_code(code=code, redirect_uri=providers.redirect_uri,
                                                code_verifier=verifier)
    elif pat:
        credential = Credential(kind=CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret(pat))
    else:
        credential = _local_credential(provider, provider_type)
    with provider_errors(provider_type):
        user = provider.current_user(credential)
    if host is not None and providers.host_ready(host_endpoint(call, host)) and host.status is not HostStatus.AVAILABLE:
        with call.store.transaction(call.account_id) as tx:
            tx.update(replace(host, status=HostStatus.AVAILABLE, updated_at=call.now).to_record())
    token = ProviderToken(id=secrets.token_urlsafe(TOKEN_ID_BYTES), account_id=call.account_id,
                          principal_arn=caller_id(call), provider_type=provider_type, provider_user=user.login,
                          credential_ciphertext=seal_credential(call.secrets, credential), created_at=call.now,
                          host_arn=host.arn if host else None, expires_at=credential.expires_at)
    with call.store.transaction(call.account_id) as tx:
        tx.insert(token.to_record())
    return {"TokenId": token.id, "ProviderUser": user.login,
            **({"ExpiresAt": credential.expires_at} if credential.expires_at else {})}


def _local_credential(provider: Provider, provider_type: str) -> Credential:
    """Local mode's credential (no secret); a remote provider needs a code or a token instead."""
    credential = Credential(kind=CredentialKind.LOCAL)
    try:
        provider.current_user(credential)
    except ProviderError:
        raise InvalidInputException(f"{provider_type} needs Code and State (from StartOAuthHandshake) or "
                                    "PersonalAccessToken.") from None
    return credential


def get_installation_url(call: Call, params: dict[str, Any], *, providers: ProviderDirectory) -> dict[str, Any]:
    """GetInstallationUrl: where the provider's app is installed (GitHub App), else where access is granted."""
    authorize_provider(call, params)
    provider_type, provider, _ = provider_for(call, providers, params.get("ProviderType"), params.get("HostArn"))
    with provider_errors(provider_type):
        return {"InstallationUrl": provider.installation_url()}


def find_token(call: Call, token_id: str) -> ProviderToken:
    """The caller's stored token `token_id`; another principal's is ResourceNotFoundException."""
    with call.store.read(call.account_id) as reader:
        record = reader.get(PROVIDER_TOKEN, token_id)
    if record is None:
        raise no_such("TokenId", token_id)
    token = ProviderToken.from_record(record)
    if token.principal_arn != caller_id(call):
        raise no_such("TokenId", token_id)
    return token


__all__ = [
    "authorize_provider",
    "caller_id",
    "find_token",
    "get_individual_access_token",
    "get_installation_url",
    "start_oauth_handshake",
    "take_state",
]
