"""The console's routes under `/console/`, and its static files; what the server mounts.

    console = Console(parts)
    routes = console.routes()              # matched before the AWS endpoint
    callback = console.callback_hook       # asked first by /oauth/callback

Static files (the style sheet) are read from the package once and served with the
same strict headers as the pages; there is no build step.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from codeconn.console import pages_access, pages_audit, pages_connections, pages_hosts, pages_pipelines
from codeconn.console import pages_repositories
from codeconn.console.parts import ConsoleParts
from codeconn.console.web import PREFIX, Page, PageHandler, Web, secured

GET, POST = ["GET"], ["POST"]

PAGES: tuple[tuple[str, PageHandler, list[str], bool], ...] = (
    # path, handler, methods, needs a signed-in principal
    ("/sign-in", pages_access.sign_in_form, GET, False),
    ("/sign-in", pages_access.sign_in, POST, False),
    ("/sign-out", pages_access.sign_out, POST, False),
    ("/", pages_access.home, GET, True),
    ("/connections", pages_connections.connections, GET, True),
    ("/connection", pages_connections.connection, GET, True),
    ("/connection/handshake", pages_connections.handshake, GET, True),
    ("/connection/oauth", pages_connections.start_oauth, POST, True),
    ("/connection/token", pages_connections.take_token, POST, True),
    ("/connection/install", pages_connections.installations, GET, True),
    ("/connection/install", pages_connections.install, POST, True),
    ("/repositories", pages_repositories.repositories, GET, True),
    ("/hosts", pages_hosts.hosts, GET, True),
    ("/host", pages_hosts.host, GET, True),
    ("/host/set-up", pages_hosts.set_up, POST, True),
    ("/pipelines", pages_pipelines.pipelines, GET, True),
    ("/pipeline", pages_pipelines.pipeline, GET, True),
    ("/audit", pages_audit.audit, GET, True),
)
"""Every page: one row each."""

STATIC: dict[str, str] = {"console.css": "text/css; charset=utf-8"}
"""The static files, with their content types (a name missing here is not served)."""


class Console:
    """The console's pages over `parts` (the server's own components)."""

    def __init__(self, parts: ConsoleParts) -> None:
        self.web = Web(parts)
        self._static = {name: (files("codeconn.console").joinpath("static", name).read_bytes(), kind)
                        for name, kind in STATIC.items()}

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [Route(f"{PREFIX}{path}", self.web.route(handler, signed_in=signed_in),
                                         methods=methods) for path, handler, methods, signed_in in PAGES]
        routes.append(Route(PREFIX, self.web.route(pages_access.home), methods=GET))
        routes.append(Route(f"{PREFIX}/static/{{name}}", self.static, methods=GET))
        routes.append(Route(f"{PREFIX}/{{rest:path}}", self.web.route(pages_access.not_found, signed_in=False),
                            methods=["GET", "POST"]))
        return routes

    async def static(self, request: Request) -> Response:
        found = self._static.get(request.path_params["name"])
        if found is None:
            return secured(Response("Not found", status_code=404, media_type="text/plain"))
        body, kind = found
        response = secured(Response(body, media_type=kind))
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    async def callback_hook(self, request: Request) -> Response | None:
        """`/oauth/callback` asks this first: a State this browser's session started is finished here."""
        returns: tuple[Callable[[Web, Page], Response | None], ...] = (pages_connections.oauth_return,
                                                                        pages_hosts.app_return)
        web = self.web
        response = await web.hooked(request, lambda page: next(
            (answer for answer in (back(web, page) for back in returns) if answer is not None), None))
        return secured(response) if response is not None else None


__all__ = ["GET", "PAGES", "POST", "STATIC", "Console"]
