"""The page machinery: sessions, CSRF, security headers, templates, and errors shown as pages.

Every console route is a `PageHandler`: a plain function of a `Page` (the request,
its form, the session, the signed-in `Actor`) that returns a Response. `Web.route`
wraps it: the form is read on the event loop (bounded), then the handler runs in a
worker thread (the service layer blocks), and

- a POST must carry the session's CSRF token (`csrf`), else 403 and nothing runs
  (the server's guard has already refused cross-site requests by Origin and
  Sec-Fetch-Site; the token also stops a same-site page of another port);
- a page that needs a principal sends a visitor without one to the sign-in page;
  on loopback with the default key a browser on this machine is signed in as the
  default account's root at once (unless it has just signed out);
- a ServiceError or WireError becomes the error page (`problems.problem_for`: a
  denial shows its decision's explanation), with the error's status;
- every answer carries the strict headers of `SECURITY_HEADERS`: no inline script
  or style, no framing, nothing cached, no referrer to other sites.

Templates are Jinja2 with autoescaping on for every template: every value is escaped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from codeconn.auth.errors import CredentialsRejected
from codeconn.console.calls import Actor, ConsoleCalls
from codeconn.console.parts import ConsoleParts
from codeconn.console.problems import Problem, problem_for
from codeconn.console.sessions import COOKIE_NAME, SIGNED_OUT_COOKIE, Session, SessionStore
from codeconn.service.call import Caller
from codeconn.service.errors import ServiceError
from codeconn.wire.errors import WireError

PREFIX = "/console"
SIGN_IN = f"{PREFIX}/sign-in"
MAX_FORM_FIELDS = 50
MAX_FORM_BYTES = 64 * 1024

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
"""No inline script or style anywhere. (No form-action: signing in with a provider is a form post
that the server answers with a redirect to the provider's own authorization page.)"""

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # not no-referrer: with it, a form post sends `Origin: null`
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass
class Page:
    """One request as a handler sees it."""

    web: Web
    request: Request
    session: Session
    form: Mapping[str, str] = field(default_factory=dict)
    actor: Actor | None = None

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query_params

    def arg(self, name: str) -> str:
        """A form field (POST) or query parameter (GET); empty when absent."""
        return (self.form.get(name) if self.request.method == "POST" else self.query.get(name)) or ""

    def signed_in(self) -> Actor:
        assert self.actor is not None, "a page that needs a principal is routed with signed_in=True"
        return self.actor

    def run(self, service: str, operation: str, params: Mapping[str, Any],
            region: str | None = None) -> dict[str, Any]:
        """The API operation, as the signed-in principal."""
        return self.web.calls.run(self.signed_in(), service, operation, params, region)

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        return self.web.render(template, self, status, **values)


PageHandler = Callable[[Page], Response]


def redirect(path: str, **query: str) -> Response:
    """303 See Other: after a form post, the browser GETs the next page."""
    return RedirectResponse(f"{path}?{urlencode(query)}" if query else path, status_code=303)


class Web:
    """Renders pages and wraps handlers (see the module docstring)."""

    def __init__(self, parts: ConsoleParts) -> None:
        self.parts = parts
        self.calls = ConsoleCalls(parts)
        self.sessions = SessionStore(parts.secrets, timedelta(seconds=parts.settings.session_seconds))
        self.templates = Environment(loader=PackageLoader("codeconn.console", "templates"), autoescape=True,
                                     undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    # --- rendering ----------------------------------------------------------------------------

    def render(self, template: str, page: Page | None, status: int = 200, **values: Any) -> Response:
        principal = None
        if page is not None and page.actor is not None:
            caller = page.actor.caller
            principal = caller.principal.session_arn or caller.principal.arn
        html = self.templates.get_template(template).render(
            prefix=PREFIX, csrf=page.session.csrf if page is not None else "", principal=principal,
            region=self.parts.settings.region, **values)
        return HTMLResponse(html, status_code=status)

    def problem(self, page: Page | None, problem: Problem) -> Response:
        return self.render("problem.html", page, problem.status, problem=problem)

    # --- the wrapper --------------------------------------------------------------------------

    def route(self, handler: PageHandler, *, signed_in: bool = True) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            form: dict[str, str] = {}
            if request.method == "POST":
                form = await read_form(request)
            response = await run_in_threadpool(self.serve, handler, request, form, signed_in)
            return secured(response)

        return endpoint

    def serve(self, handler: PageHandler, request: Request, form: dict[str, str], signed_in: bool) -> Response:
        now = self.parts.clock()
        session = self.sessions.find(request.cookies.get(COOKIE_NAME), now)
        fresh = session is None
        if session is None:
            automatic = self._automatic_key(request)
            if signed_in and automatic is None:
                return redirect(SIGN_IN, next=request.url.path)
            session = self.sessions.new(now, automatic)
        page = Page(self, request, session, form)
        if request.method == "POST" and not session.csrf_matches(form.get("csrf")):
            response = self.problem(page, Problem(
                code="InvalidCsrfToken", status=403,
                message="This form's CSRF token is missing or stale, so nothing was done. Reload the page and "
                        "submit it again."))
            return self.with_session(response, session) if fresh else response
        if signed_in:
            actor = self.actor(request, session)
            if actor is None:
                self.sessions.end(session)
                return self.without_session(redirect(SIGN_IN, next=request.url.path))
            page.actor = actor
        try:
            response = handler(page)
        except (ServiceError, WireError) as error:
            response = self.problem(page, problem_for(error))
        return self.with_session(response, session) if fresh and not _sets_session(response) else response

    async def hooked(self, request: Request, handler: Callable[[Page], Response | None]) -> Response | None:
        """`handler` for a signed-in session (no new session, no form); None without one.

        For the OAuth callback: a GET that arrives from the provider, whose State (bound
        to the session and to its principal, good once) is what proves it was asked for.
        """
        return await run_in_threadpool(self._hooked, request, handler)

    def _hooked(self, request: Request, handler: Callable[[Page], Response | None]) -> Response | None:
        session = self.sessions.find(request.cookies.get(COOKIE_NAME), self.parts.clock())
        actor = self.actor(request, session) if session is not None else None
        if session is None or actor is None:
            return None
        return handler(Page(self, request, session, {}, actor))

    def actor(self, request: Request, session: Session) -> Actor | None:
        """The session's principal, as its access key finds it now; None when the key is gone or expired."""
        if session.access_key_id is None:
            return None
        directory = self.parts.directory
        credentials = directory.credentials(session.access_key_id)
        if credentials is None:
            return None
        try:
            caller = directory.caller(credentials)
        except CredentialsRejected:
            return None
        return actor_of(request, caller)

    def _automatic_key(self, request: Request) -> str | None:
        """The default key, for a loopback browser of a loopback server that has not just signed out."""
        key = self.parts.settings.default_key
        if key is None or request.cookies.get(SIGNED_OUT_COOKIE) or not _loopback(request):
            return None
        return key

    # --- the cookie ---------------------------------------------------------------------------

    def with_session(self, response: Response, session: Session) -> Response:
        response.set_cookie(COOKIE_NAME, self.sessions.cookie(session), max_age=self.parts.settings.session_seconds,
                            path="/", httponly=True, samesite="lax", secure=self.parts.settings.secure_cookies)
        return response

    def without_session(self, response: Response, *, signed_out: bool = False) -> Response:
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
        if signed_out:
            response.set_cookie(SIGNED_OUT_COOKIE, "1", max_age=self.parts.settings.session_seconds, path=PREFIX,
                                httponly=True, samesite="lax", secure=self.parts.settings.secure_cookies)
        return response


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form of at most MAX_FORM_BYTES and MAX_FORM_FIELDS; anything else is an empty form
    (which then fails its CSRF check: nothing runs)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return {}
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}
    return dict(pairs)


def actor_of(request: Request, caller: Caller) -> Actor:
    """The caller with the browser request's address, user agent and transport (aws:SourceIp, ...)."""
    client = request.client
    return Actor(caller=caller, source_ip=client.host if client else "",
                 user_agent=request.headers.get("user-agent", ""), secure=request.url.scheme == "https")


def _sets_session(response: Response) -> bool:
    """Whether a handler already set the session cookie (signing in starts a new session)."""
    mine = f"{COOKIE_NAME}=".encode()
    return any(name == b"set-cookie" and value.startswith(mine) for name, value in response.raw_headers)


def secured(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _loopback(request: Request) -> bool:
    client = request.client
    if client is None:
        return False
    try:
        return ipaddress.ip_address(client.host).is_loopback
    except ValueError:
        return False


__all__ = ["CONTENT_SECURITY_POLICY", "PREFIX", "SECURITY_HEADERS", "SIGN_IN", "Page", "PageHandler", "Web",
           "actor_of", "redirect", "secured"]
