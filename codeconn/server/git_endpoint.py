"""The git endpoint: smart HTTP at `/git/<connection-id>/<owner>/<name>.git`, decided by UseConnection.

    GET  .../info/refs?service=git-upload-pack | git-receive-pack
    POST .../git-upload-pack
    POST .../git-receive-pack

Each request is, in order: authenticated (`git_auth`: HTTP Basic, the access key id
and a SigV4-derived password over the repository path; anything wrong is a bare 401
with `WWW-Authenticate: Basic realm="codeconn"`), its connection found in the
caller's account, authorized as the caller through the server's authorizer with a
`Call` built as the edge builds one (UseConnection under the connection ARN's own
prefix, with ProviderAction, ProviderPermissionsRequired, FullRepositoryId, OwnerId,
RepositoryName and, for a push, BranchName), checked AVAILABLE, and only then served
by `git_backend` (the real git for local repositories, the provider's git URL with
the connection's credential for remote ones).

What is decided (README, "The git endpoint"):

- `info/refs` for either service, and `git-upload-pack`: GitPull (read_only). The
  receive-pack advertisement only lists refs, which is what GitPull allows.
- `git-receive-pack`: the ref update commands are read before anything reaches git
  (`git_pktline`), and GitPush (read_write) is decided for every ref, BranchName the
  branch's name (`refs/heads/x` -> `x`) or the tag's (`refs/tags/v1` -> `v1`). If any
  one is denied, the push is refused whole: the rest of the request is read and
  dropped, and the client gets receive-pack's own report with every ref rejected and
  the AccessDenied message, which git prints as `remote: ...`. A request without
  updates (the lone flush-pkt git sends to probe before streaming a large push)
  updates nothing and decides nothing: it goes to git as it is.

Pipeline triggers: after a push has been answered, each branch it moved
(`refs/heads/<branch>` to a commit, deletions aside) is reported to the server's
`ChangeSink` (`pipelines.triggers`), if it has one, as a `SourceChange` naming the
connection. For a local repository only what git actually wrote is reported (the
branch's head is read back with `git for-each-ref`); a remote provider's push is
reported as the client asked for it. The report runs once git has written its
whole answer but before the response's last (empty) chunk, so the client's `git push`
returns with its pipelines already started; it is bounded (`REPORT_WAIT_SECONDS`:
past that the push is answered and the report finishes on its own), and the
starter only records an execution, so a push never waits on a pipeline's run.

Every decision goes to the audit log, with the ProviderAction, repository and branch,
in one line per request. The sync work (the store, the authorizer) runs in worker
threads; the event loop only moves bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio.to_thread
from starlette.types import Message, Receive, Scope, Send

from codeconn.domain.arns import CONNECTION, parse_arn
from codeconn.domain.connections import Connection
from codeconn.domain.lifecycle import ConnectionStatus
from codeconn.iam.catalog import IamCatalog
from codeconn.pipelines.changes import SourceChange
from codeconn.pipelines.triggers import ChangeSink
from codeconn.pipelines.watcher import branch_heads
from codeconn.providers.base import GitRemote, ProviderAction, ProviderError, ProviderNotFound, ProviderRefused
from codeconn.server.audit import AuditDecision, AuditRecord, AuditSink
from codeconn.server.git_auth import GitAuthenticator
from codeconn.server.git_backend import GitRequest, send_bytes, send_plain, serve_local, serve_remote
from codeconn.server.git_pktline import PktLineError, PushCommands, read_commands, refusal_report
from codeconn.server.git_remotes import GitRemotes
from codeconn.service.call import Authorize, Call, Caller
from codeconn.clock import Clock
from codeconn.service.errors import AccessDenied, ServiceError
from codeconn.store import SecretBox, Store

GIT_PREFIX = "/git/"
SERVICES = ("git-upload-pack", "git-receive-pack")
_ROUTES = {("GET", "info/refs"), ("POST", "git-upload-pack"), ("POST", "git-receive-pack")}
REFUSED_CONTENT_TYPE = "application/x-git-receive-pack-result"
REPORT_WAIT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class GitPath:
    connection_id: str
    owner: str
    name: str
    suffix: str

    @property
    def repository_path(self) -> str:
        """What the password signs: the repository's path, whatever the request under it."""
        return f"/git/{self.connection_id}/{self.owner}/{self.name}.git"

    @property
    def full_id(self) -> str:
        return f"{self.owner}/{self.name}"


def parse_git_path(path: str) -> GitPath | None:
    """`/git/<id>/<owner>/<name>.git/<suffix>`, or None for anything else."""
    if not path.startswith(GIT_PREFIX):
        return None
    parts = path[len(GIT_PREFIX):].split("/", 3)
    if len(parts) != 4 or not parts[2].endswith(".git") or len(parts[2]) <= 4:
        return None
    connection_id, owner, repository, suffix = parts
    if not connection_id or not owner or any(p in (".", "..") for p in (owner, repository[:-4])):
        return None
    return GitPath(connection_id, owner, repository[:-4], suffix)


@dataclass
class _Trace:
    """What one git request decided, for its audit line."""

    request_id: str
    now: datetime
    operation: str
    access_key_id: str | None = None
    caller: Caller | None = None
    call: Call | None = None
    connection: str | None = None
    branches: dict[int, str] = field(default_factory=dict)  # decision index -> BranchName
    provider_action: ProviderAction | None = None
    error_code: str | None = None
    local_repository: Path | None = None  # set once a local repository has served the request


class GitEndpoint:
    """The ASGI app for `/git/...`; everything concrete arrives by argument, as for `create_app`."""

    def __init__(self, *, store: Store, secrets: SecretBox, authenticator: GitAuthenticator, authorizer: Authorize,
                 audit: AuditSink, iam_catalog: IamCatalog, remotes: GitRemotes, clock: Clock,
                 provider_timeout: float = 30.0, changes: ChangeSink | None = None) -> None:
        self._store = store
        self._secrets = secrets
        self._authenticator = authenticator
        self._authorizer = authorizer
        self._audit = audit
        self._iam_catalog = iam_catalog
        self._remotes = remotes
        self._clock = clock
        self._provider_timeout = provider_timeout
        self._changes = changes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        path = parse_git_path(scope["path"])
        method: str = scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        service = parse_qs(query).get("service", [""])[0]
        if path is None or (method, path.suffix) not in _ROUTES or (
                path.suffix == "info/refs" and service not in SERVICES):
            await send_plain(send, 404, "Not found: codeconn serves git smart HTTP at "
                                        "/git/<connection-id>/<owner>/<name>.git")
            return
        push = path.suffix == "git-receive-pack"
        trace = _Trace(str(uuid.uuid4()), self._clock(), "GitPush" if push else "GitPull")
        client = scope.get("client")
        source_ip = client[0] if client else ""
        status = 500
        try:
            status = await self._serve(scope, receive, send, path, headers, query, trace, source_ip, push)
        except ConnectionError:  # the client went away mid-request: nothing to answer
            status, trace.error_code = 499, "ClientClosedRequest"
        finally:
            await anyio.to_thread.run_sync(self._write_audit, trace, path, status, source_ip, headers)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, path: GitPath, headers: Mapping[str, str],
                     query: str, trace: _Trace, source_ip: str, push: bool) -> int:
        authorization = headers.get("authorization")
        host = headers.get("host", "")
        caller = await anyio.to_thread.run_sync(
            lambda: self._authenticator.authenticate(authorization, path=path.repository_path, host=host,
                                                     now=trace.now))
        if caller is None:
            trace.error_code = "Unauthorized"
            await send_plain(send, 401, "Authentication failed.", {"www-authenticate": 'Basic realm="codeconn"'})
            return 401
        trace.caller, trace.access_key_id = caller, caller.access_key_id
        found = await anyio.to_thread.run_sync(self._connection, caller, path.connection_id)
        if found is None:
            trace.error_code = "ResourceNotFoundException"
            await send_plain(send, 404, f"Connection {path.connection_id} does not exist in account "
                                        f"{caller.account_id}.")
            return 404
        connection, tags = found
        trace.connection = connection.arn
        trace.call = self._call(caller, connection, trace, source_ip, headers.get("user-agent", ""))
        body = _body(receive)
        if push:
            return await self._push(send, path, headers, query, trace, connection, tags, body, caller)
        trace.provider_action = ProviderAction.GIT_PULL
        denied = await anyio.to_thread.run_sync(
            lambda: self._decide(trace, connection, tags, path, ProviderAction.GIT_PULL, None))
        if denied is not None:
            trace.error_code = "AccessDeniedException"
            await send_plain(send, 403, denied)
            return 403
        return await self._forward(send, path, headers, query, trace, connection, body, caller, source_ip)

    async def _push(self, send: Send, path: GitPath, headers: Mapping[str, str], query: str, trace: _Trace,
                    connection: Connection, tags: Mapping[str, str], body: AsyncIterator[bytes],
                    caller: Caller) -> int:
        trace.provider_action = ProviderAction.GIT_PUSH
        if headers.get("content-encoding", "identity") not in ("identity", ""):
            trace.error_code = "InvalidRequest"
            await send_plain(send, 415, "codeconn takes pushes without Content-Encoding.")
            return 415
        try:
            commands, rest = await read_commands(body)
        except PktLineError as error:
            trace.error_code = "InvalidRequest"
            await send_plain(send, 400, f"Not a push: {error}.")
            return 400
        reasons, message = await anyio.to_thread.run_sync(
            lambda: self._decide_push(trace, connection, tags, path, commands))
        if reasons:
            trace.error_code = "AccessDeniedException"
            async for _ in body:  # the client sends its pack before it reads the answer: drop it
                pass
            await send_bytes(send, REFUSED_CONTENT_TYPE, refusal_report(commands, reasons, message))
            return 200

        async def replayed() -> AsyncIterator[bytes]:
            yield commands.raw
            if rest:
                yield rest
            async for chunk in body:
                yield chunk

        client_ip = trace.call.source_ip if trace.call is not None else ""
        if self._changes is not None and commands.updates:
            send = self._reporting(send, trace, connection, path, commands)
        return await self._forward(send, path, headers, query, trace, connection, replayed(), caller, client_ip)

    def _reporting(self, send: Send, trace: _Trace, connection: Connection, path: GitPath,
                   commands: PushCommands) -> Send:
        """`send`, reporting the push's moved branches before the last chunk of a 200 answer (bounded)."""
        status: list[int] = []

        async def reporting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            elif (message["type"] == "http.response.body" and not message.get("more_body", False)
                  and status == [200]):
                status.append(0)  # reported: once
                with anyio.move_on_after(REPORT_WAIT_SECONDS):
                    await anyio.to_thread.run_sync(self._report_push, trace, connection, path, commands,
                                                   abandon_on_cancel=True)
            await send(message)
        return reporting_send

    async def _forward(self, send: Send, path: GitPath, headers: Mapping[str, str], query: str, trace: _Trace,
                       connection: Connection, body: AsyncIterator[bytes], caller: Caller, source_ip: str) -> int:
        if connection.status is not ConnectionStatus.AVAILABLE:
            trace.error_code = "InvalidInputException"
            await send_plain(send, 409, f"Connection {connection.arn} is {connection.status.value}: git needs an "
                                        "AVAILABLE connection. Complete the connection's handshake first.")
            return 409
        assert trace.call is not None  # every request that reaches here has been decided as a call
        try:
            remote: GitRemote = await anyio.to_thread.run_sync(self._remotes.git_remote, trace.call, connection,
                                                               path.owner, path.name)
        except (ProviderNotFound, ProviderRefused):
            trace.error_code = "ResourceNotFoundException"
            await send_plain(send, 404, f"Repository {path.full_id} not found through {connection.arn}.")
            return 404
        except ProviderError as error:
            trace.error_code = "ProviderError"
            await send_plain(send, 502, f"The provider failed: {error}")
            return 502
        except ServiceError as error:  # the connection's credential refused (now in ERROR), or throttled
            trace.error_code = error.code
            await send_plain(send, 502, f"{error.code}: {error.message}")
            return 502
        request = GitRequest(method="POST" if path.suffix != "info/refs" else "GET", suffix=path.suffix,
                             query=query, headers=headers,
                             remote_user=caller.principal.session_arn or caller.principal.arn, remote_addr=source_ip)
        local = remote.local_path
        if local is not None:
            trace.local_repository = local
            await serve_local(local, request, body, send)
        else:
            await serve_remote(remote, request, body, send, timeout=self._provider_timeout)
        return 200

    # -- the sync parts (worker threads) ------------------------------------------------------

    def _connection(self, caller: Caller, connection_id: str) -> tuple[Connection, dict[str, str]] | None:
        with self._store.read(caller.account_id) as reader:
            record = reader.get(CONNECTION.kind, connection_id)
            if record is None:
                return None
            return Connection.from_record(record), reader.tags(record.arn)

    def _call(self, caller: Caller, connection: Connection, trace: _Trace, source_ip: str, user_agent: str) -> Call:
        arn = parse_arn(connection.arn)
        return Call(service=arn.service if arn is not None else "codestar-connections", operation="UseConnection",
                    region=connection.region, caller=caller, now=trace.now, request_id=trace.request_id,
                    store=self._store, secrets=self._secrets, authorizer=self._authorizer,
                    iam_catalog=self._iam_catalog, source_ip=source_ip, secure_transport=False,
                    user_agent=user_agent)

    def _decide(self, trace: _Trace, connection: Connection, tags: Mapping[str, str], path: GitPath,
                action: ProviderAction, branch: str | None) -> str | None:
        """One UseConnection decision; the AccessDenied message when denied (None when allowed)."""
        call = trace.call
        assert call is not None
        prefix = call.service
        context: dict[str, Any] = {
            f"{prefix}:ProviderAction": action.value,
            f"{prefix}:ProviderPermissionsRequired": action.permissions_required,
            f"{prefix}:FullRepositoryId": path.full_id,
            f"{prefix}:OwnerId": path.owner,
            f"{prefix}:RepositoryName": path.name,
        }
        if branch is not None:
            context[f"{prefix}:BranchName"] = branch
            trace.branches[len(call.decisions)] = branch
        try:
            call.authorize("UseConnection", connection.arn, context=context, resource_tags=tags)
        except AccessDenied as denied:
            return str(denied.args[0]) if denied.args else "AccessDeniedException"
        return None

    def _decide_push(self, trace: _Trace, connection: Connection, tags: Mapping[str, str], path: GitPath,
                     commands: PushCommands) -> tuple[dict[str, str], str]:
        """GitPush for every ref: the denied refs with their reason, and the message git shows."""
        reasons: dict[str, str] = {}
        messages: list[str] = []
        for update in commands.updates:
            denied = self._decide(trace, connection, tags, path, ProviderAction.GIT_PUSH, update.branch_name)
            if denied is not None:
                reasons[update.ref] = "AccessDeniedException"
                messages.append(f"AccessDeniedException ({update.ref}): {denied}")
        if reasons:
            messages.append("codeconn refused the whole push: nothing was written.")
        return reasons, "\n".join(messages)

    def _report_push(self, trace: _Trace, connection: Connection, path: GitPath, commands: PushCommands) -> None:
        """Each branch the push moved, to the change sink (see the module docstring)."""
        if self._changes is None:
            return
        moved = [u for u in commands.updates if u.ref.startswith("refs/heads/") and u.new.strip("0")]
        if not moved:
            return
        try:
            heads = branch_heads(trace.local_repository) if trace.local_repository is not None else None
        except ProviderError:  # the heads cannot be read back: report nothing rather than guess
            return
        for update in moved:
            if heads is not None and heads.get(update.branch_name) != update.new:
                continue  # git refused this ref (not a fast-forward, say): nothing changed
            self._changes.report(SourceChange(
                provider_type=connection.provider_type, host_arn=connection.host_arn,
                full_repository_id=path.full_id, branch=update.branch_name, commit_id=update.new,
                previous_commit_id=update.old if update.old.strip("0") else None, connection_arn=connection.arn))

    def _write_audit(self, trace: _Trace, path: GitPath, status: int, source_ip: str,
                     headers: Mapping[str, str]) -> None:
        call, caller = trace.call, trace.caller
        decisions = tuple(
            AuditDecision(d.action, d.resource, d.decision.decision, d.enforced,
                          tuple(m.to_json() for m in d.decision.matched),
                          tuple(miss.to_json() for miss in d.decision.near_misses),
                          provider_action=trace.provider_action.value if trace.provider_action else None,
                          repository=path.full_id, branch=trace.branches.get(index))
            for index, d in enumerate(call.decisions if call is not None else ()))
        record = AuditRecord(
            time=trace.now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{trace.now.microsecond // 1000:03d}Z",
            request_id=trace.request_id, status=status, service="git", operation=trace.operation,
            action=f"{call.service}:UseConnection" if call is not None else None, resource=trace.connection,
            principal=(caller.principal.session_arn or caller.principal.arn) if caller is not None else None,
            account_id=caller.account_id if caller is not None else None, access_key_id=trace.access_key_id,
            region=call.region if call is not None else None, source_ip=source_ip,
            user_agent=headers.get("user-agent"),
            request_parameters={"connectionId": path.connection_id, "repository": path.full_id,
                                 "request": path.suffix},
            decisions=decisions, error_code=trace.error_code)
        self._audit.write(record)


def _body(receive: Receive) -> AsyncIterator[bytes]:
    """The request body as it arrives, chunk by chunk (never held whole)."""
    async def chunks() -> AsyncIterator[bytes]:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionError("the client went away")
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return
    return chunks()


__all__ = ["GIT_PREFIX", "GitEndpoint", "GitPath", "parse_git_path"]
