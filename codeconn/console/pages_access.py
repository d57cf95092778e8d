"""Signing in and out: an access key pair checked once, then only its id kept, on the server.

The secret access key (and a session token, for temporary credentials) is compared
with what the caller directory holds, in constant time, exactly as the SigV4 check
uses it; it is then dropped: it is never stored, logged, echoed into a page or put
in the cookie. Afterwards every page finds the principal from the key id, so a key
deleted or expired since ends the session. A sign-in always starts a new session
(a new id and CSRF token), and signing out deletes the record.
"""

from __future__ import annotations

import hmac

from starlette.responses import Response

from codeconn.console.problems import Problem
from codeconn.console.sessions import SIGNED_OUT_COOKIE
from codeconn.console.web import PREFIX, SIGN_IN, Page, redirect

HOME = f"{PREFIX}/connections"


def sign_in_form(page: Page) -> Response:
    """The form: access key id, secret access key, and a session token for temporary credentials."""
    return page.render("sign_in.html", next=_next(page.arg("next")), failed=False)


def sign_in(page: Page) -> Response:
    """Check the key pair; on success a fresh session for its key id, then the page asked for."""
    key_id, secret, token = page.form.get("access_key_id", ""), page.form.get("secret_access_key", ""), \
        page.form.get("session_token", "")
    credentials = page.web.parts.directory.credentials(key_id) if key_id else None
    good = credentials is not None and hmac.compare_digest(credentials.secret_key.encode(), secret.encode()) and (
        hmac.compare_digest((credentials.session_token or "").encode(), token.encode()))
    if not good:
        return page.render("sign_in.html", status=403, next=_next(page.form.get("next", "")), failed=True)
    web = page.web
    web.sessions.end(page.session)
    session = web.sessions.new(web.parts.clock(), key_id)
    response = web.with_session(redirect(_next(page.form.get("next", ""))), session)
    response.delete_cookie(SIGNED_OUT_COOKIE, path=PREFIX)
    return response


def sign_out(page: Page) -> Response:
    page.web.sessions.end(page.session)
    return page.web.without_session(redirect(SIGN_IN), signed_out=True)


def home(page: Page) -> Response:
    return redirect(HOME)


def _next(path: str) -> str:
    """Where to go after signing in: a console page only (never another site)."""
    return path if path.startswith(f"{PREFIX}/") and not path.startswith("//") and "\\" not in path else HOME


def not_found(page: Page) -> Response:
    return page.web.problem(page, Problem(code="NotFound", status=404, message="There is no such console page."))


__all__ = ["HOME", "home", "not_found", "sign_in", "sign_in_form", "sign_out"]
