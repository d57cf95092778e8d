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

from codeconn.providers._rest import Auth, Clock, RestClient, expires_at
from codeconn.providers.base import (
    Credential,
    CredentialKind,
    ProviderAuthFailed,
    ProviderRefused,
    ProviderSettings,
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


class OAuthHandshake:
    """The handshake half of a remote adapter: authorization URL, code exchange and refresh.

    A subclass names its endpoints (`authorize_url`/`token_url` after `web_url`) and,
    where its token endpoint differs from the RFC's form-encoded client credentials,
    overrides `_token_fields` / `_token_auth`.
    """

    supports_pkce = True
    has_installations = False
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"

    def __init__(self, settings: ProviderSettings, http: RestClient, now: Clock, *, web_url: str,
                 default_scopes: tuple[str, ...] = ()) -> None:
        self.provider_type = settings.provider_type
        self.web_url = (settings.web_url or web_url).rstrip("/")
        self.client_id = settings.client_id
        self.client_secret = settings.client_secret
        self.scopes = settings.scopes or default_scopes
        self.http = http
        self.now = now

    def authorization_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        """The provider's authorization endpoint with client_id, redirect_uri, scope, state and, where accepted, PKCE."""
        return authorize_url(f"{self.web_url}{self.authorize_path}", self.client_id, self.provider_type,
                             state=state, redirect_uri=redirect_uri, scopes=self.scopes,
                             code_challenge=code_challenge, pkce=self.supports_pkce)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> Credential:
        """The token endpoint's grant_type=authorization_code, with the PKCE verifier where accepted."""
        verifier = Secret(code_verifier) if code_verifier and self.supports_pkce else None
        body = self._token({"grant_type": "authorization_code", "code": Secret(code), "redirect_uri": redirect_uri,
                            "code_verifier": verifier})
        return token_credential(body, self.now(), self.provider_type)

    def refresh(self, credential: Credential) -> Credential:
        """The token endpoint's grant_type=refresh_token; a refusal is ProviderAuthFailed."""
        return refresh_credential(
            credential, self.provider_type,
            lambda refresh_token: self._token({"grant_type": "refresh_token", "refresh_token": refresh_token}),
            self.now())

    def _token(self, values: Mapping[str, str | Secret | None]) -> Any:
        """One token request. A 401 there (`invalid_client`) is about codeconn's client, not a user's
        credential, so it is a refusal: the caller of exchange_code learns the configuration is wrong."""
        try:
            return self.http.json("POST", f"{self.web_url}{self.token_path}", auth=self._token_auth(),
                                  form=form({**self._token_fields(), **values}))
        except ProviderAuthFailed as error:
            raise ProviderRefused(str(error)) from None

    def _token_fields(self) -> Mapping[str, str | Secret | None]:
        """The client's credentials in the form body (RFC 6749 §2.3.1's alternative to Basic)."""
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def _token_auth(self) -> Auth | None:
        return None


__all__ = ["OAuthHandshake", "authorize_url", "form", "refresh_credential", "required_token", "token_credential"]
