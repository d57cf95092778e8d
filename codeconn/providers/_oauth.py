"""The OAuth 2.0 pieces the GitLab, Bitbucket and Azure DevOps adapters share (RFC 6749, RFC 7636).

Each of those providers speaks the authorization-code grant with a refresh token, and
answers its token endpoint with the RFC 6749 §5.1 members; they differ only in URLs,
client authentication and whether PKCE is accepted, which the adapters supply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from codeconn.providers._rest import expires_at
from codeconn.providers.base import (
    Credential,
    CredentialKind,
    ProviderAuthFailed,
    ProviderRefused,
    ProviderUnavailable,
)
from codeconn.store import Secret


def authorize_url(endpoint: str, client_id: str | None, provider: str, *, state: str, redirect_uri: str,
                  scopes: tuple[str, ...], code_challenge: str | None, pkce: bool) -> str:
    """The authorization request of RFC 6749 §4.1.1, with the S256 challenge of RFC 7636 §4.3 where accepted.

    A provider that does not accept PKCE is sent none: the service keeps the
    verifier unused, and the State still binds the answer to the caller.
    """
    if not client_id:
        raise ProviderRefused(f"{provider}: no OAuth client_id is configured for this provider")
    params = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "state": state}
    if scopes:
        params["scope"] = " ".join(scopes)
    if pkce and code_challenge:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    return f"{endpoint}?{urlencode(params)}"


def token_credential(body: Any, now: datetime, provider: str, *, previous_refresh: Secret | None = None) -> Credential:
    """The credential of a token endpoint's answer (RFC 6749 §5.1).

    A refresh answer without a new refresh token keeps the previous one (§6 lets the
    server reuse it).
    """
    if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise ProviderUnavailable(f"{provider}: the token endpoint answered without an access_token")
    refresh = body.get("refresh_token")
    return Credential(kind=CredentialKind.OAUTH, token=Secret(body["access_token"]),
                      refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else previous_refresh,
                      expires_at=expires_at(body, now))


def refresh_credential(credential: Credential, provider: str,
                       exchange: Callable[[Secret], Any], now: datetime) -> Credential:
    """A fresh credential from `credential`'s refresh token, through `exchange` (the provider's token call).

    A refused refresh (RFC 6749 §5.2 `invalid_grant`: revoked, expired or used) means the
    connection's credential is gone, so it becomes ProviderAuthFailed and the service
    puts the connection in ERROR.
    """
    if credential.kind is not CredentialKind.OAUTH or credential.refresh_token is None:
        raise ProviderAuthFailed(f"{provider}: the credential has no refresh token; authorize again")
    try:
        body = exchange(credential.refresh_token)
    except ProviderRefused as error:
        raise ProviderAuthFailed(str(error)) from None
    return token_credential(body, now, provider, previous_refresh=credential.refresh_token)


def required_token(credential: Credential, provider: str) -> Secret:
    """The credential's token; a credential without one (local mode's) cannot reach a remote provider."""
    if credential.token is None:
        raise ProviderAuthFailed(f"{provider}: the credential holds no token")
    return credential.token


def form(values: Mapping[str, str | Secret | None]) -> dict[str, str | Secret]:
    """A token request's form without its absent members."""
    return {key: value for key, value in values.items() if value is not None}


__all__ = ["authorize_url", "form", "refresh_credential", "required_token", "token_credential"]
