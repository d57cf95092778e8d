"""`GET /oauth/callback`: where a provider sends the browser back with a code and the State.

The redirect_uri of every OAuth flow codeconn starts (StartOAuthHandshake) and the
redirect_url of the GitHub App manifest (StartAppRegistrationHandshake). The page
completes nothing by itself: it shows the `code` and `state` (HTML-escaped, never
cached, never logged) for the caller who started the flow to pass to
GetIndividualAccessToken (or RegisterAppCode), signed as themselves; the State is
bound to that caller, so a code shown to anyone else is of no use to them. A
provider's `error` answer is shown instead. When the console started the flow
(the State is in the browser's console session), the console finishes it instead
and answers with its own page (`callback_routes(hook)`).

A provider's redirect is a cross-site top-level navigation: `_Guard` lets a GET
of this one path through the cross-site check (it still checks the Host), since
the page reads nothing and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

CALLBACK_PATH = "/oauth/callback"
MAX_SHOWN = 2048  # the AuthorizationCode shape's maximum
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>codeconn: {title}</title></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def _field(label: str, value: str) -> str:
    return f"<p>{escape(label)}: <code id=\"{escape(label.lower())}\">{escape(value[:MAX_SHOWN])}</code></p>"


async def oauth_callback(request: Request) -> Response:
    """Show the code and State (or the provider's error) to the person who started the flow."""
    query = request.query_params
    code, state, error = query.get("code", ""), query.get("state", ""), query.get("error", "")
    if error:
        body = _field("Error", error) + _field("Description", query.get("error_description", ""))
        return HTMLResponse(_PAGE.format(title="the provider refused", body=body), status_code=400, headers=HEADERS)
    if not code or not state:
        body = "<p>This page expects a code and a state from a code host.</p>"
        return HTMLResponse(_PAGE.format(title="nothing to complete", body=body), status_code=400, headers=HEADERS)
    body = (_field("Code", code) + _field("State", state)
            + "<p>Complete the handshake with GetIndividualAccessToken (Code and State), or RegisterAppCode for "
              "a host's app registration, signed as the principal that started it. The code works once.</p>")
    return HTMLResponse(_PAGE.format(title="code received", body=body), headers=HEADERS)


CallbackHook = Callable[[Request], Awaitable[Response | None]]
"""Asked first: its page for a flow it started (the console), or None to show the code and State."""


def callback_routes(hook: CallbackHook | None = None) -> list[Route]:
    """The route `create_app` serves before the AWS endpoint; `hook` is asked before the page is shown."""
    if hook is None:
        return [Route(CALLBACK_PATH, oauth_callback, methods=["GET"])]

    async def callback(request: Request) -> Response:
        answer = await hook(request)
        return answer if answer is not None else await oauth_callback(request)

    return [Route(CALLBACK_PATH, callback, methods=["GET"])]


__all__ = ["CALLBACK_PATH", "CallbackHook", "callback_routes", "oauth_callback"]
