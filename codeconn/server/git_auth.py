"""Who is calling the git endpoint: HTTP Basic with an access key and a SigV4-derived password.

The username is the access key id (`<AccessKeyId>%<SessionToken>` for temporary
credentials), the password CodeCommit's kind of signature over the repository path
and the Host (`codeconn.wire.git_password`). The keys are the API's: the server's
caller directory answers for them, and the caller it returns is the one every API
call of that key would have. A wrong key, token, signature or host, a password older
or newer than 15 minutes, expired session credentials: all are the same answer,
None, and the endpoint's same bare 401, so that nothing tells which part was wrong.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import UTC, datetime

from codeconn.auth.errors import CredentialsRejected
from codeconn.service.call import Caller, CallerDirectory
from codeconn.wire.git_password import check_git_password, parse_git_username


class GitAuthenticator:
    """Checks git's Basic credentials against the caller directory; `regions` are those a password may be signed for."""

    def __init__(self, directory: CallerDirectory, regions: tuple[str, ...]) -> None:
        self._directory = directory
        self._regions = regions

    def authenticate(self, authorization: str | None, *, path: str, host: str, now: datetime) -> Caller | None:
        """The caller, or None for anything short of a valid, current password for `path` at `host`."""
        if not authorization or not host:
            return None
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, separator, password = decoded.partition(":")
        if not separator:
            return None
        sent = parse_git_username(username)
        credentials = self._directory.credentials(sent.access_key_id)
        if credentials is None:
            return None
        stored = credentials.session_token
        if (stored is not None or sent.session_token is not None) and (
                stored is None or sent.session_token is None
                or not hmac.compare_digest(stored.encode(), sent.session_token.encode())):
            return None
        if credentials.expires_at is not None and now >= credentials.expires_at.astimezone(UTC):
            return None
        if not check_git_password(password, secret_key=credentials.secret_key, path=path, host=host,
                                  regions=self._regions, now=now):
            return None
        try:
            return self._directory.caller(credentials)
        except CredentialsRejected:
            return None


__all__ = ["GitAuthenticator"]
