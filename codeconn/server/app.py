"""The ASGI application: the health check, any routes added by other parts, and the AWS endpoint.

    app = create_app(config, store=store, secrets=secrets, directory=directory,
                     authorizer=authorizer, registry=build_registry(), audit=AuditLog(path),
                     service_models=ServiceModels.load(), iam_catalog=IamCatalog.load())

Everything concrete arrives by argument (the store, the caller directory, the
authorizer, the handlers, the audit sink, the service models the protocols route
by, the IAM catalog handlers read, the clock), so tests build the same app
with in-memory twins and the runner with the real ones. Every path not claimed by
an earlier route is the AWS endpoint: all four services share it, as they share
one `--endpoint-url`. `/oauth/callback` (`server.callback`) is where code hosts send
the browser back during the handshake; the console's pages (`/console/`, built by
`console_mount` over these same components) finish there the flows they started.

Before any route, `_Guard` refuses a request whose Host is not the server's, a
cross-site browser request or preflight (`origin.OriginPolicy`) and an HTTP method
the endpoint does not take (OPTIONS, TRACE, lowercase `post`, ...); the edge
answers each in the protocol family's shape and audits it. A path no other route
claims goes from there straight to the AWS endpoint (`workers.AwsEndpoint`), which
reads at most the protocol's body limit plus one byte, within `Limits.body_timeout`,
and works on the request in a worker thread, taking turns (`workers.Workers`),
or on the event loop itself when nothing it does there can block the loop
(`limits.OnLoop`).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from codeconn import __version__
from codeconn.iam.catalog import IamCatalog
from codeconn.pipelines.triggers import ChangeSink
from codeconn.server.audit import AuditSink
from codeconn.server.callback import CALLBACK_PATH, callback_routes
from codeconn.server.config import ServeConfig
from codeconn.server.console_mount import build_console, local_providers
from codeconn.server.edge import Clock, Edge, utc_now
from codeconn.server.git_auth import GitAuthenticator
from codeconn.server.git_endpoint import GitEndpoint
from codeconn.server.git_remotes import GitRemotes, LocalGitRemotes
from codeconn.server.origin import OriginPolicy
from codeconn.server.workers import AwsEndpoint, Workers, lowered_headers, send_answer
from codeconn.service.call import Authorize, CallerDirectory
from codeconn.service.connections.provider_directory import ProviderDirectory
from codeconn.service.registry import Registry
from codeconn.store import SecretBox, Store
from codeconn.wire.model import ServiceModels
from codeconn.wire.errors import AuthFailure, MethodNotAllowed, WireError, error_for
from codeconn.wire.protocols import detect

HEALTH_PATH = "/_codeconn/health"
HEALTH_PROBE_ARN = "arn:aws:codeconn:::health-probe"  # never a record's: the health check's read finds nothing
AWS_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
GIT_PATH = "/git/{git_path:path}"


def create_app(config: ServeConfig, *, store: Store, secrets: SecretBox, directory: CallerDirectory,
               authorizer: Authorize, registry: Registry, audit: AuditSink, service_models: ServiceModels,
               iam_catalog: IamCatalog, clock: Clock = utc_now, routes: Sequence[BaseRoute] = (),
               git_remotes: GitRemotes | None = None, providers: ProviderDirectory | None = None,
               source_changes: ChangeSink | None = None) -> Starlette:
    """The server's ASGI app. `routes` (more pages) are matched before the AWS endpoint.

    The git endpoint (`/git/...`, `git_endpoint`) reaches repositories through
    `git_remotes` (default: local mode under `<data-dir>/repositories`), and reports
    the branches a push moved to `source_changes` (pipeline triggers; None: nowhere).
    The console (`/console/`, `console_mount`) reaches code hosts through `providers`
    (default: every provider type in local mode there); `/oauth/callback` asks it first.

    The caller owns `store` and `audit` and closes them after the app stops.
    """
    edge = Edge(config, store=store, secrets=secrets, directory=directory, authorizer=authorizer,
                registry=registry, audit=audit, service_models=service_models,
                iam_catalog=iam_catalog, clock=clock)
    workers = Workers(edge, config.limits.worker_threads, running=config.running_requests,
                      on_loop=config.on_loop)

    async def health(request: Request) -> Response:
        if request.method != "GET":  # answered, like any refusal, in an AWS shape
            return await workers.response(request.scope, b"", MethodNotAllowed())
        healthy = await run_in_threadpool(_store_answers, store)
        body = {"status": "ok" if healthy else "unavailable", "service": "codeconn", "version": __version__,
                "accountId": config.account_id, "region": config.region, "iam": config.iam.value}
        return JSONResponse(body, status_code=200 if healthy else 503)

    git = GitEndpoint(store=store, secrets=secrets, authorizer=authorizer, audit=audit, iam_catalog=iam_catalog,
                      authenticator=GitAuthenticator(directory, service_models.regions.get("codestar-connections", ())),
                      remotes=git_remotes or LocalGitRemotes(config.repositories_root), clock=clock,
                      changes=source_changes)
    console = build_console(config, store=store, secrets=secrets, directory=directory, authorizer=authorizer,
                            registry=registry, audit=audit, service_models=service_models, iam_catalog=iam_catalog,
                            providers=providers or local_providers(config), clock=clock)
    claimed = [
        Route(HEALTH_PATH, health, methods=AWS_METHODS),
        *callback_routes(console.callback_hook),
        Route(GIT_PATH, git),
        *console.routes(),
        *routes,
    ]
    endpoint = AwsEndpoint(workers, config.limits.body_timeout)
    app = Starlette(routes=[*claimed, Route("/{path:path}", endpoint, methods=AWS_METHODS)])
    app.add_middleware(_Guard, policy=OriginPolicy.for_server(config.host, config.allowed_hosts), workers=workers,
                       aws=endpoint, claimed=_literal_prefixes(claimed))
    app.state.edge = edge
    app.state.console = console
    app.state.config = config
    return app


class _Guard:
    """Refuses, before any route, foreign Hosts, cross-site browser requests and methods the endpoint lacks.

    A request whose path no other route could claim (it starts with none of their
    literal prefixes: `claimed`, or None when a route has no path to tell) goes
    straight to the AWS endpoint, `aws`, which Starlette's router would reach last:
    every API call skips the routing and exception layers (issue 13).
    """

    def __init__(self, app: ASGIApp, policy: OriginPolicy, workers: Workers, aws: AwsEndpoint,
                 claimed: tuple[str, ...] | None) -> None:
        self.app = app
        self.policy = policy
        self.workers = workers
        self._aws = aws if claimed is not None else None  # None: every request goes through the router
        self._claimed = claimed or ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = lowered_headers(scope)
            problem = self._problem(scope, headers)
            if problem is not None:
                await send_answer(send, await self.workers.answer(scope, b"", problem))
                return
            if self._aws is not None and not scope["path"].startswith(self._claimed):
                await self._aws.serve(scope, receive, send, headers)
                return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope, headers: dict[str, str]) -> WireError | None:
        method: str = scope["method"]
        navigation = method == "GET" and scope.get("path") == CALLBACK_PATH
        refusal = self.policy.refusal(method, headers, navigation=navigation)
        if refusal is not None:
            return error_for(detect(headers).FAMILY, AuthFailure.ACCESS_DENIED, refusal)
        if method not in AWS_METHODS:  # methods are case-sensitive (RFC 9110): `post` is not POST
            return MethodNotAllowed(f"The method {method[:40]} is not allowed against this resource.")
        return None


def _literal_prefixes(routes: Sequence[BaseRoute]) -> tuple[str, ...] | None:
    """What every path `routes` match starts with: each route's path up to its first parameter.
    None when a route has no path (a Host route): then only the router can tell."""
    prefixes = []
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            return None
        prefixes.append(path.split("{", 1)[0] or "/")
    return tuple(prefixes)


def _store_answers(store: Store) -> bool:
    """Whether the database can be read (a replica behind a load balancer reports 503 when not).

    One real, indexed query: opening a read sends nothing to PostgreSQL (psycopg
    begins a transaction with its first statement), so an empty read proved nothing."""
    try:
        with store.read(single_statement=True) as reader:
            reader.get_by_arn(HEALTH_PROBE_ARN)
            return True
    except Exception:  # noqa: BLE001 - any failure to read is "unavailable"
        return False


__all__ = ["AWS_METHODS", "HEALTH_PATH", "create_app"]
