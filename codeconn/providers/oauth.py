"""OAuth 2.0 pieces every provider shares: PKCE S256 (RFC 7636) and reading a token response (RFC 6749 §5).

The service keeps the State and the PKCE verifier on its side of the handshake;
an adapter only puts the challenge in its authorization URL and the verifier in
its token request. A token response becomes a `Credential` whose token and
refresh token are `Secret`s from the moment they are parsed.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from codeconn.providers.base import Credential, CredentialKind, ProviderError, ProviderRefused
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

    `scope` is left out when there is none (GitHub Apps take their permissions
    from the app, not from scopes).
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
                                   error: type[ProviderError] = ProviderRefused) -> Credential:
    """The `Credential` a token endpoint's JSON answer grants; an `{"error": ...}` answer raises `error`.

    Some providers (GitHub) answer a refused code or refresh token with 200 and an
    error body, so the body is checked whatever the status was. The message keeps
    the provider's `error` code and description, which never contain the token.
    """
    if not isinstance(body, Mapping):
        raise ProviderRefused(f"{provider}'s token endpoint answered something other than a JSON object")
    if "error" in body or not isinstance(body.get("access_token"), str):
        code = body.get("error", "no access_token")
        description = body.get("error_description")
        raise error(f"{provider} refused the token request: {code}" + (f" ({description})" if description else ""))
    refresh = body.get("refresh_token")
    expires_in = body.get("expires_in")
    expires_at = None
    if isinstance(expires_in, int) or (isinstance(expires_in, str) and expires_in.isdigit()):
        expires_at = now + timedelta(seconds=int(expires_in))  # absent when the token does not expire
    return Credential(kind=CredentialKind.OAUTH, token=Secret(body["access_token"]),
                      refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
                      expires_at=expires_at)


__all__ = [
    "authorization_url",
    "code_challenge",
    "credential_from_token_response",
    "new_code_verifier",
]
