"""Console sessions: a record kept on the server, named by a signed, encrypted, expiring cookie.

The cookie holds only a random session id, encrypted and authenticated with the
server's secret key (the `SecretBox`: Fernet, AES-CBC with HMAC-SHA256), and its
expiry; it is HttpOnly and SameSite=Lax. The record on the server holds the
signed-in access key id (never its secret: the secret is checked once, at sign-in,
and dropped), the CSRF token every form carries, and the handshake in progress
(an OAuth State's connection, the TokenId a provider sign-in gave). Records live
in the server process: a restart signs everyone out, and signing out deletes the
record, so a copied cookie is worth nothing afterwards.

A visitor who is not signed in still gets a session (no principal) so that the
sign-in form carries a CSRF token too.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from codeconn.store import SecretBox, StoreError

COOKIE_NAME = "codeconn_console"
SIGNED_OUT_COOKIE = "codeconn_console_signed_out"
MAX_SESSIONS = 10_000


@dataclass
class Session:
    """One browser's session; `access_key_id` None until signed in."""

    id: str
    csrf: str
    expires_at: datetime
    access_key_id: str | None = None
    oauth_states: dict[str, str] = field(default_factory=dict)  # OAuth State -> connection ARN
    app_states: dict[str, str] = field(default_factory=dict)  # app registration State -> host ARN
    tokens: dict[str, str] = field(default_factory=dict)  # connection ARN -> TokenId

    def csrf_matches(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf.encode(), (given or "").encode())


class SessionStore:
    """The server's session records, and the cookie that names one."""

    def __init__(self, box: SecretBox, lifetime: timedelta) -> None:
        self._box = box
        self.lifetime = lifetime
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def new(self, now: datetime, access_key_id: str | None = None) -> Session:
        """A fresh session (a new id and CSRF token: a sign-in never keeps the id it came with)."""
        session = Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32),
                          expires_at=now + self.lifetime, access_key_id=access_key_id)
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                self._sweep(now)
            self._sessions[session.id] = session
        return session

    def find(self, cookie: str | None, now: datetime) -> Session | None:
        """The live session `cookie` names; None for a missing, forged, expired or ended one."""
        if not cookie:
            return None
        try:
            payload = json.loads(self._box.decrypt(cookie))
            session_id, expires = str(payload["id"]), datetime.fromisoformat(payload["exp"])
        except (StoreError, ValueError, KeyError, TypeError):
            return None
        if expires <= now:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None or session.expires_at <= now:
            return None
        return session

    def end(self, session: Session) -> None:
        with self._lock:
            self._sessions.pop(session.id, None)

    def cookie(self, session: Session) -> str:
        """The cookie's value: the session id and expiry, encrypted and signed with the server's key."""
        return self._box.encrypt(json.dumps({"id": session.id, "exp": session.expires_at.isoformat()}))

    def _sweep(self, now: datetime) -> None:
        for session_id in [k for k, s in self._sessions.items() if s.expires_at <= now]:
            del self._sessions[session_id]
        while len(self._sessions) >= MAX_SESSIONS:  # still full: the oldest go first
            del self._sessions[next(iter(self._sessions))]


__all__ = ["COOKIE_NAME", "SIGNED_OUT_COOKIE", "Session", "SessionStore"]
