"""OAuth 2.0 as every remote adapter speaks it: PKCE S256 (RFC 7636), the authorization-code grant with refresh
tokens (RFC 6749), and `OAuthHandshake`, the handshake half of an adapter.

The service keeps the State and the PKCE verifier on its side of the handshake;
an adapter only puts the challenge in its authorization URL and the verifier in
its token request (where the provider accepts PKCE). A token response becomes a
`Credential` whose token and refresh token are `Secret`s from the moment they are
parsed. The providers differ only in URLs, client authentication and PKCE, which
a subclass of `OAuthHandshake` names.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from codeconn.clock import Clock
from codeconn.providers.base import (
    Credential,
    CredentialKind,
    ProviderAuthFailed,
    ProviderError,
    ProviderRefused,
    ProviderSettings,
    ProviderUnavailable,
)
from codeconn.providers.authorization import Auth
from codeconn.providers.http import ProviderHttp
from codeconn.store import Secret

VERIFIER_BYTES = 48  # 64 characters of base64url: within RFC 7636's 43..128


def new_code_verifier() -> str:
    """A fresh, unguessable PKCE code_verifier (RFC 7636 §4.1)."""
    return secrets.token_urlsafe(VERIFIER_BYTES)


def code_challenge(verifier: str) -> str:
    """The S256 code_challenge of `verifier`: BASE64URL(SHA256(ASCII(verifier))) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(endpoint: str, *, client_id: str, redirect_uri: str, state: str, scopes: tuple[str, ...],
                      code_challenge: str | None, extra: Mapping[str, str] | None = None) -> str:
    """`endpoint?client_id&redirect_uri&response_type=code&scope&state[&code_challenge&code_challenge_method=S256]`.

    `scope` is left out when there is none (GitHub Apps and Bitbucket consumers
    take their permissions from the app, not from scopes).
    """
    params = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "state": state}
    if scopes:
        params["scope"] = " ".join(scopes)
    if code_challenge is not None:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    params.update(extra or {})
    return f"{endpoint}?{urlencode(params)}"


def credential_from_token_response(body: Any, *, provider: str, now: datetime,
                                   error: type[ProviderError] = ProviderRefused,
                                   previous_refresh: Secret | None = None) -> Credential:
    """The `Credential` a token endpoint's JSON answer grants (RFC 6749 §5.1); an `{"error": ...}` answer raises
    `error`, an answer without an access token ProviderUnavailable.

    Some providers (GitHub) answer a refused code or refresh token with 200 and an
    error body, so the body is checked whatever the status was. The message keeps
    the provider's `error` code and description, which never contain the token. A
    refresh answer without a new refresh token keeps `previous_refresh` (§6 lets the
    server reuse it).
    """
    if isinstance(body, Mapping) and "error" in body:
        code, description = body.get("error"), body.get("error_description")
        raise error(f"{provider} refused the token request: {code}" + (f" ({description})" if description else ""))
    if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise ProviderUnavailable(f"{provider}: the token endpoint answered without an access_token")
    refresh = body.get("refresh_token")
    return Credential(kind=CredentialKind.OAUTH, token=Secret(body["access_token"]),
                      refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else previous_refresh,
                      expires_at=_expires_at(body.get("expires_in"), now))


def _expires_at(seconds: Any, now: datetime) -> datetime | None:
    """When an access token expires (`expires_in` seconds); None when the token does not expire."""
    try:
        return None if seconds is None else now + timedelta(seconds=float(seconds))
    except (TypeError, ValueError, OverflowError):
        return None


class OAuthHandshake:
    """The handshake half of a remote adapter: authorization URL, code exchange and refresh.

    A subclass names its endpoints (`authorize_path`/`token_path` after `web_url`)
    and, where its token endpoint differs from the RFC's form-encoded client
    credentials, overrides `_token_fields` / `_token_auth`.
    """

    supports_pkce = True
    has_installations = False
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"

    def __init__(self, settings: ProviderSettings, http: ProviderHttp, now: Clock, *, web_url: str,
                 default_scopes: tuple[str, ...] = ()) -> None:
        self.provider_type = settings.provider_type
        self.web_url = web_url.rstrip("/")
        self.client_id = settings.client_id
        self.client_secret = settings.client_secret
        self.scopes = settings.scopes or default_scopes
        self.http = http
        self.now = now

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self.http.close()

    def authorization_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        """The provider's authorization endpoint with client_id, redirect_uri, scope, state and, where accepted, PKCE.

        A provider that does not accept PKCE is sent none: the service keeps the
        verifier unused, and the State still binds the answer to the caller.
        """
        return authorization_url(f"{self.web_url}{self.authorize_path}", client_id=self._client_id(),
                                 redirect_uri=redirect_uri, state=state, scopes=self.scopes,
                                 code_challenge=code_challenge if self.supports_pkce else None)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> Credential:
        """The token endpoint's grant_type=authorization_code, with the PKCE verifier where accepted."""
        verifier = Secret(code_verifier) if code_verifier and self.supports_pkce else None
        body = self._token({"grant_type": "authorization_code", "code": Secret(code), "redirect_uri": redirect_uri,
                            "code_verifier": verifier})
        return credential_from_token_response(body, provider=self.provider_type, now=self.now())

    def refresh(self, credential: Credential) -> Credential:
        """The token endpoint's grant_type=refresh_token.

        A refused refresh (RFC 6749 §5.2 `invalid_grant`: revoked, expired or used)
        means the connection's credential is gone, so it is ProviderAuthFailed and
        the service puts the connection in ERROR.
        """
        if credential.kind is not CredentialKind.OAUTH or credential.refresh_token is None:
            raise ProviderAuthFailed(f"{self.provider_type}: the credential has no refresh token; authorize again")
        try:
            body = self._token({"grant_type": "refresh_token", "refresh_token": credential.refresh_token})
        except ProviderRefused as error:
            raise ProviderAuthFailed(str(error)) from None
        return credential_from_token_response(body, provider=self.provider_type, now=self.now(),
                                              error=ProviderAuthFailed, previous_refresh=credential.refresh_token)

    def _client_id(self) -> str:
        if not self.client_id:
            raise ProviderRefused(f"{self.provider_type}: no OAuth client_id is configured for this provider")
        return self.client_id

    def _token(self, values: Mapping[str, str | Secret | None]) -> Any:
        """One token request. A 401 there (`invalid_client`) is about codeconn's client, not a user's
        credential, so it is a refusal: the caller of exchange_code learns the configuration is wrong."""
        fields = {**self._token_fields(), **values}
        try:
            return self.http.post_json(f"{self.web_url}{self.token_path}", auth=self._token_auth(),
                                       headers={"Accept": "application/json"},
                                       data={key: value for key, value in fields.items() if value is not None})
        except ProviderAuthFailed as error:
            raise ProviderRefused(str(error)) from None

    def _token_fields(self) -> Mapping[str, str | Secret | None]:
        """The client's credentials in the form body (RFC 6749 §2.3.1's alternative to Basic)."""
        return {"client_id": self._client_id(), "client_secret": self.client_secret}

    def _token_auth(self) -> Auth | None:
        return None


__all__ = [
    "OAuthHandshake",
    "authorization_url",
    "code_challenge",
    "credential_from_token_response",
    "new_code_verifier",
]
