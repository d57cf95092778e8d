"""Start the server, say where it listens, and stop it cleanly on SIGINT or SIGTERM.

`run(config, factory)` checks the configuration, creates the data directory, binds
the socket itself (so a busy port is a clear error before anything else starts,
and port 0 reports the port it got), builds the components, opens the audit log,
and serves with uvicorn until a signal. Then in-flight requests finish, the audit
log and the store are closed, and `run` returns normally: uvicorn's habit of
re-raising the signal after a graceful stop is switched off, so the process exits
0 and anything after `run` still happens.

uvicorn's access log is off: a presigned URL's query string carries the
signature and any session token, and a log line must never hold a secret.
"""

from __future__ import annotations

import gc
import signal
import socket
import sys
import threading
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Protocol, TextIO

import uvicorn
from sqlalchemy.engine import make_url
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from codeconn import __version__
from codeconn.iam.catalog import IamCatalog
from codeconn.server.app import create_app
from codeconn.server.audit import AuditLog, AuditSink
from codeconn.server.config import DEFAULT_HOST, DEFAULT_PORT, WELL_KNOWN_CREDENTIALS, ServeConfig
from codeconn.server.edge import Edge
from codeconn.server.errors import ListenError
from codeconn.server.git_remotes import GitRemotes
from codeconn.server.limits import Limits
from codeconn.server.pipeline_wiring import PipelineTriggers
from codeconn.server.protocol import protocol_class
from codeconn.service.call import Authorize, CallerDirectory
from codeconn.service.connections.provider_directory import ProviderDirectory
from codeconn.service.registry import Registry
from codeconn.store import SecretBox, Store
from codeconn.wire.model import ServiceModels

GRACEFUL_SHUTDOWN_SECONDS = 10
HANDLED_SIGNALS = ("SIGINT", "SIGTERM")


@dataclass
class Components:
    """What `create_app` needs besides the config and the audit sink; `close` releases the store.

    The service models and the IAM catalog are loaded once here, with the rest, and
    handed down: nothing on the request path reads a process-wide catalog.
    """

    store: Store
    secrets: SecretBox
    directory: CallerDirectory
    authorizer: Authorize
    registry: Registry
    service_models: ServiceModels
    iam_catalog: IamCatalog
    on_close: Callable[[], None] | None = None  # e.g. the providers' HTTP connection pools
    git_remotes: GitRemotes | None = None  # the git endpoint's providers (default: local repositories)
    providers: ProviderDirectory | None = None  # the console's (default: every provider type local)
    background: Callable[[AuditSink], Background] | None = None  # the pipeline worker, given the audit log
    triggers: PipelineTriggers | None = None  # pipeline triggers (None: pushes and new commits start nothing)

    def close(self) -> None:
        try:
            if self.triggers is not None:
                self.triggers.stop()
            if self.on_close is not None:
                self.on_close()
        finally:
            self.store.close()


class Background(Protocol):
    """Work the server runs beside its requests (the pipeline worker): started once it listens, stopped first."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 10.0) -> None: ...


ComponentsFactory = Callable[[ServeConfig], Components]


def run(config: ServeConfig, factory: ComponentsFactory, *, out: TextIO | None = None,
        routes: Sequence[BaseRoute] = ()) -> None:
    """Serve until SIGINT or SIGTERM; ServerError (nothing started) when the config or the address is unusable."""
    config.check()
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    listener = bind(config.host, config.port)
    try:
        components = factory(replace(config, port=listener.getsockname()[1]))  # port 0: the one bound
        try:
            with AuditLog(config.audit_path, max_bytes=config.audit_max_bytes, keep=config.audit_keep) as audit:
                app = create_app(config, store=components.store, secrets=components.secrets,
                                 directory=components.directory, authorizer=components.authorizer,
                                 registry=components.registry, audit=audit,
                                 service_models=components.service_models, iam_catalog=components.iam_catalog,
                                 routes=routes, git_remotes=components.git_remotes,
                                 providers=components.providers,
                                 source_changes=components.triggers.dispatcher if components.triggers else None)
                server = Server(uvicorn_config(app, config.limits),
                                on_started=lambda port: banner(config, port, out))
                background = components.background(audit) if components.background is not None else None
                if background is not None:
                    background.start()
                if components.triggers is not None:
                    components.triggers.start()
                settle_heap()
                try:
                    server.run(sockets=[listener])
                finally:
                    if components.triggers is not None:
                        components.triggers.stop()
                    if background is not None:
                        background.stop(GRACEFUL_SHUTDOWN_SECONDS)
        finally:
            components.close()
    finally:
        listener.close()
    _print(out, "codeconn stopped.")


def settle_heap() -> None:
    """Put what the server built at start (service models, the IAM catalog, compiled
    policies: some 100,000 objects) out of the cyclic collector's reach. Each full
    collection walked them all, stopping every request for up to 70 ms: most of the
    API's p99 at 16 connections (issue 13). They live as long as the process anyway."""
    gc.collect()
    gc.freeze()


@contextmanager
def serving_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0, *,
                      start_timeout: float = 10.0, stop_timeout: float = 15.0) -> Generator[str, None, None]:
    """Serve `app` from a background thread until the block ends; yields the endpoint URL.

    For embedding and for tests that want the real HTTP path in-process: the wait
    for the server to listen and the wait for it to stop are both bounded, and the
    socket is always released.
    """
    listener = bind(host, port)
    config = getattr(getattr(app, "state", None), "config", None)
    server = Server(uvicorn_config(app, config.limits if isinstance(config, ServeConfig) else Limits()))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        if not server.ready.wait(start_timeout):
            raise ListenError(f"the server did not start within {start_timeout} s")
        yield endpoint_url(host, listener.getsockname()[1])
    finally:
        server.stop()
        thread.join(stop_timeout)
        listener.close()
        if thread.is_alive():
            raise ListenError(f"the server did not stop within {stop_timeout} s")


def uvicorn_config(app: ASGIApp, limits: Limits | None = None) -> uvicorn.Config:
    """uvicorn as the server wants it: quiet, no access log, no proxy headers trusted, bounded shutdown.

    HTTP/1.1 is `protocol.GuardedH11Protocol` with `limits` (header timeout, connection
    cap, AWS-shaped framing errors answered by the app's edge, when it has one).
    """
    limits = limits or Limits()
    edge = getattr(getattr(app, "state", None), "edge", None)
    return uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False, server_header=False,
                          timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS, lifespan="off",
                          http=protocol_class(limits, edge if isinstance(edge, Edge) else None),
                          timeout_keep_alive=limits.keep_alive_timeout,
                          h11_max_incomplete_event_size=limits.max_header_bytes)


class Server(uvicorn.Server):
    """uvicorn's server, telling `on_started` the bound port, and not re-raising the signal that stopped it."""

    def __init__(self, config: uvicorn.Config, *, on_started: Callable[[int], None] | None = None) -> None:
        super().__init__(config)
        self._on_started = on_started
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            port = bound_port(self, sockets)
            if self._on_started is not None:
                self._on_started(port)
            self.ready.set()

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        wanted = [getattr(signal, name) for name in HANDLED_SIGNALS if hasattr(signal, name)]
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in wanted}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        """Ask the server to finish (what a signal does), from any thread."""
        self.should_exit = True


def bound_port(server: uvicorn.Server, sockets: list[socket.socket] | None) -> int:
    """The port actually listened on (the one the OS chose for port 0)."""
    for listener in sockets or []:
        return int(listener.getsockname()[1])
    for each in server.servers:
        for listener in each.sockets or []:
            return int(listener.getsockname()[1])
    raise ListenError("the server started without a listening socket")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host`:`port`; ListenError saying why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        listener = socket.socket(family, kind, proto)
    except OSError as error:
        raise ListenError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(2048)
    except OSError as error:
        listener.close()
        raise ListenError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return listener


def endpoint_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def banner(config: ServeConfig, port: int, out: TextIO | None = None) -> None:
    """Where the server listens, as whom to call it, where its data goes: printed once it listens."""
    url = endpoint_url(config.host, port)
    lines = [
        f"codeconn {__version__} listening on {url}",
        f"  account {config.account_id}, default region {config.region} (every Region is served), "
        f"IAM {config.iam.value}",
        f"  {_credentials_line(config)}",
        f"  data directory {config.data_dir} (database: {_database(config)}; audit log: {config.audit_path})",
        "  try: " + ("" if url == endpoint_url(DEFAULT_HOST, DEFAULT_PORT) else f"CODECONN_ENDPOINT_URL={url} ")
        + "codeconn aws codeconnections list-connections",
        f"  console: {url}/console/",
        "Stop with Ctrl+C (SIGINT) or SIGTERM.",
    ]
    _print(out, "\n".join(lines))


def _credentials_line(config: ServeConfig) -> str:
    if config.root_credentials is None:
        return "no root key: sign with an IAM user's access key"
    if config.root_credentials == WELL_KNOWN_CREDENTIALS:
        key, secret = WELL_KNOWN_CREDENTIALS
        return (f"default credentials: AWS_ACCESS_KEY_ID={key} AWS_SECRET_ACCESS_KEY={secret} "
                f"(the root of account {config.account_id}; loopback only)")
    return (f"root access key {config.root_credentials[0]} of account {config.account_id} "
            "(secret from CODECONN_ROOT_SECRET_ACCESS_KEY)")


def _database(config: ServeConfig) -> str:
    if config.database_url is None:
        return "SQLite in the data directory"
    try:
        return make_url(config.database_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - never let a banner detail stop the server
        return "the given --database-url"


def _print(out: TextIO | None, text: str) -> None:
    print(text, file=out or sys.stdout, flush=True)


__all__ = [
    "GRACEFUL_SHUTDOWN_SECONDS",
    "Components",
    "ComponentsFactory",
    "Server",
    "banner",
    "bind",
    "bound_port",
    "endpoint_url",
    "run",
    "uvicorn_config",
]
