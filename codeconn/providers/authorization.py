"""How a remote adapter's request authenticates, and how its secrets stay out of messages and logs.

`Auth` is built by the adapter at the moment of a call (never stored by the HTTP
client) and carries, besides the header, every plaintext to scrub from what is
shown: the token, or the password and its Basic encoding.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from codeconn.providers.base import Credential, ProviderAuthFailed
from codeconn.store import Secret


@dataclass(frozen=True, slots=True)
class Auth:
    """How one request authenticates: the header sent, and the plaintexts to scrub from anything shown."""

    header: str
    value: Secret
    secrets: tuple[Secret, ...]

    @classmethod
    def bearer(cls, token: Secret) -> Auth:
        """`Authorization: Bearer <token>` (RFC 6750)."""
        return cls("Authorization", Secret("Bearer " + token.reveal()), (token,))

    @classmethod
    def basic(cls, username: str, password: Secret) -> Auth:
        """`Authorization: Basic base64(username:password)` (RFC 7617); the encoded form is scrubbed too."""
        value = basic_authorization(username, password)
        return cls("Authorization", value, (password, Secret(value.reveal().removeprefix("Basic "))))

    def headers(self) -> dict[str, str]:
        return {self.header: self.value.reveal()}


def bearer(token: Secret) -> dict[str, str]:
    """`Authorization: Bearer <token>` as a header dict, for callers that pass plain headers."""
    return Auth.bearer(token).headers()


def basic_authorization(username: str, password: Secret) -> Secret:
    """The value of `Authorization: Basic base64(username:password)`, kept a Secret (for git remotes' headers)."""
    pair = f"{username}:{password.reveal()}".encode()
    return Secret("Basic " + base64.b64encode(pair).decode("ascii"))


def require_token(credential: Credential, provider: str) -> Secret:
    """The credential's token; a credential without one (local mode's) is ProviderAuthFailed."""
    if credential.token is None:
        raise ProviderAuthFailed(f"{provider} needs a token, and the credential has none")
    return credential.token


def scrub(text: str, secrets: Sequence[Secret]) -> str:
    """`text` with every non-empty plaintext of `secrets` replaced by `***`."""
    for secret in secrets:
        plain = secret.reveal()
        if plain:
            text = text.replace(plain, "***")
    return text


__all__ = ["Auth", "basic_authorization", "bearer", "require_token", "scrub"]
