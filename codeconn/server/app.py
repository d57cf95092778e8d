"""The ASGI application: the health check, any routes added by other parts, and the AWS endpoint.

    app = create_app(config, store=store, secrets=secrets, directory=directory,
                     authorizer=authorizer, registry=build_registry(), audit=AuditLog(path),
                     service_models=ServiceModels.load(), iam_catalog=IamCatalog.load())

Everything concrete arrives by argument (the store, the caller directory, the
authorizer, the handlers, the audit sink, the service models the protocols route
by, the IAM catalog handlers read, the clock), so tests build the same app
with in-memory twins and the runner with the real ones. Every path not claimed by
an earlier route is the AWS endpoint: all four services share it, as they share
one `--endpoint-url`.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from codeconn import __version__
from codeconn.iam.catalog import IamCatalog
from codeconn.server.audit import AuditSink
from codeconn.server.config import ServeConfig
from codeconn.server.edge import Clock, Edge, Incoming, utc_now
from codeconn.service.call import Authorize, CallerDirectory
from codeconn.service.registry import Registry
from codeconn.store import SecretBox, Store
from codeconn.wire.model import ServiceModels
from codeconn.wire.sigv4 import HttpRequest

HEALTH_PATH = "/_codeconn/health"
AWS_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def create_app(config: ServeConfig, *, store: Store, secrets: SecretBox, directory: CallerDirectory,
               authorizer: Authorize, registry: Registry, audit: AuditSink, service_models: ServiceModels,
               iam_catalog: IamCatalog, clock: Clock = utc_now, routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The server's ASGI app. `routes` (console pages, git over HTTP) are matched before the AWS endpoint.

    The caller owns `store` and `audit` and closes them after the app stops.
    """
    edge = Edge(config, store=store, secrets=secrets, directory=directory, authorizer=authorizer,
                registry=registry, audit=audit, service_models=service_models,
                iam_catalog=iam_catalog, clock=clock)

    async def health(request: Request) -> Response:
        healthy = await run_in_threadpool(_store_answers, store)
        body = {"status": "ok" if healthy else "unavailable", "service": "codeconn", "version": __version__,
                "accountId": config.account_id, "region": config.region, "iam": config.iam.value}
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def aws(request: Request) -> Response:
        incoming = Incoming(await _http_request(request), source_ip=request.client.host if request.client else "",
                            secure=request.url.scheme == "https")
        status, headers, body = await run_in_threadpool(edge.handle, incoming)
        return Response(body, status_code=status, headers=headers)

    app = Starlette(routes=[
        Route(HEALTH_PATH, health, methods=["GET"]),
        *routes,
        Route("/{path:path}", aws, methods=AWS_METHODS),
    ])
    app.state.edge = edge
    app.state.config = config
    return app


async def _http_request(request: Request) -> HttpRequest:
    """The request as SigV4 needs it: path and query exactly as sent, every header, the body bytes."""
    scope = request.scope
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope["path"]
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
    return HttpRequest.build(request.method, path, scope.get("query_string", b"").decode("latin-1"), headers,
                             await request.body())


def _store_answers(store: Store) -> bool:
    """Whether the database can be read (a replica behind a load balancer reports 503 when not)."""
    try:
        with store.read():
            return True
    except Exception:  # noqa: BLE001 - any failure to read is "unavailable"
        return False


__all__ = ["AWS_METHODS", "HEALTH_PATH", "create_app"]
