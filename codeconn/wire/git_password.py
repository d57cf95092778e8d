"""The git endpoint's password: a SigV4-derived, time-limited signature over the repository path.

AWS's CodeCommit credential helper (`git-remote-codecommit`, `aws codecommit
credential-helper`) answers git with the access key id as the username
(`<AccessKeyId>%<SessionToken>` for temporary credentials) and, as the password,
`<timestamp>Z<signature>`: the SigV4 signature, with the key derived for the day,
Region and service, of the canonical request

    GIT\n<path>\n\nhost:<host>\n\nhost\n

where `<path>` is the repository's path on the server and `<host>` the Host git
connects to. The string to sign carries the timestamp as `YYYYMMDDTHHMMSS` (no Z:
the helper puts the Z between timestamp and signature). codeconn does the same with
the service name `codestar-connections` (the connection ARN's original prefix, the
one UseConnection is decided under), so a password made for CodeCommit is no
password here. The server accepts a password within `MAX_PASSWORD_SKEW` of its
clock, either way (SigV4's 15 minutes): older is expired, whoever replays it.

Pure functions over strings, shared by the helper (`codeconn git-credential`) and
the endpoint (`codeconn.server.git_auth`).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from codeconn.wire.sigv4_canonical import CredentialScope, signature, signing_key, string_to_sign

GIT_SIGNING_SERVICE = "codestar-connections"
MAX_PASSWORD_SKEW = timedelta(minutes=15)
SESSION_SEPARATOR = "%"
_STAMP_FORMAT = "%Y%m%dT%H%M%S"
_PASSWORD = re.compile(r"(\d{8}T\d{6})Z([0-9a-f]{64})")


def git_canonical_request(path: str, host: str) -> str:
    """CodeCommit's canonical request for git: method GIT, the path, no query, the host as the one signed header."""
    return f"GIT\n{path}\n\nhost:{host}\n\nhost\n"


def git_password(*, secret_key: str, path: str, host: str, region: str, now: datetime) -> str:
    """The password the helper gives git: `<YYYYMMDDTHHMMSS>Z<hex signature>`."""
    stamp = now.astimezone(UTC).strftime(_STAMP_FORMAT)
    return f"{stamp}Z{_sign(secret_key, path, host, region, stamp)}"


def git_username(access_key_id: str, session_token: str | None) -> str:
    """The username: the access key id, and for temporary credentials `%` and the session token."""
    return f"{access_key_id}{SESSION_SEPARATOR}{session_token}" if session_token else access_key_id


@dataclass(frozen=True, slots=True)
class GitUsername:
    access_key_id: str
    session_token: str | None


def parse_git_username(username: str) -> GitUsername:
    key, separator, token = username.partition(SESSION_SEPARATOR)
    return GitUsername(key, token if separator else None)


def check_git_password(password: str, *, secret_key: str, path: str, host: str, regions: tuple[str, ...],
                       now: datetime) -> bool:
    """Whether `password` is a signature of `path` at `host` by `secret_key`, made within the skew of `now`.

    Any of `regions` may have been the one signed for (the helper signs for the
    Region of its AWS configuration; every Region is served). Compared in constant time.
    """
    match = _PASSWORD.fullmatch(password)
    if match is None:
        return False
    stamp, sent = match.groups()
    try:
        signed_at = datetime.strptime(stamp, _STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return False
    if abs(now.astimezone(UTC) - signed_at) > MAX_PASSWORD_SKEW:
        return False
    found = False
    for region in regions:  # every one is computed: the time taken says nothing about the Region
        found |= hmac.compare_digest(_sign(secret_key, path, host, region, stamp).encode(), sent.encode())
    return found


def _sign(secret_key: str, path: str, host: str, region: str, stamp: str) -> str:
    scope = CredentialScope(stamp[:8], region, GIT_SIGNING_SERVICE)
    return signature(signing_key(secret_key, scope), string_to_sign(stamp, scope, git_canonical_request(path, host)))


__all__ = [
    "GIT_SIGNING_SERVICE",
    "MAX_PASSWORD_SKEW",
    "GitUsername",
    "check_git_password",
    "git_canonical_request",
    "git_password",
    "git_username",
    "parse_git_username",
]
