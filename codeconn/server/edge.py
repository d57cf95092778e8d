"""One AWS API request, from bytes to bytes: protocol, signature, caller, handler, audit.

    detect the protocol from the headers
    route and decode (X-Amz-Target, the RPC v2 path, or Action/Version)
    verify SigV4 for the family and service routed to (scope service, region, clock)
    find the caller for the verified key
    validate the parameters against the operation's input shape
    run the handler with a `Call`; serialize its output
    write one audit line, whatever happened

Routing and decoding come before the signature check because the Query
protocol's `Action` lives in the body and the signature's scope must be checked
against the service routed to; a routing or decoding error is still only
reported once the request is authenticated, as AWS reports it. Every exception
becomes the protocol's error shape in `_fail`, through `errors.answer_for`.

`Edge.handle` is synchronous and thread-safe: the app runs it in a worker thread,
because the service layer and the store block. `Edge.handle_on_loop` answers a
request on the event loop itself (in a greenlet, with PostgreSQL) when what it
does there never blocks the loop (`server.workers`).
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.model import OperationModel, ServiceModel

from codeconn.auth.errors import CredentialsRejected
from codeconn.iam.catalog import IamCatalog
from codeconn.server.audit import AuditDecision, AuditRecord, AuditSink, pipeline_details
from codeconn.server.config import ServeConfig
from codeconn.server.errors import INTERNAL_FAILURE, OperationNotImplemented, answer_for, is_expected
from codeconn.server.limits import OnLoop
from codeconn.server.no_wait import NotOnLoop, NoWaiting
from codeconn.server.scrub import scrub
from codeconn.service.call import Authorize, Call, Caller, CallerDirectory
from codeconn.clock import Clock, utc_now
from codeconn.service.registry import Registry
from codeconn.store import SecretBox, Store
from codeconn.wire.errors import WireError, error_for
from codeconn.wire.headers import Headers
from codeconn.wire.model import Response, ServiceModels
from codeconn.wire.protocols import Codec, detect
from codeconn.wire.sigv4 import (
    HttpRequest,
    SignedRequest,
    authenticate,
    parse_authorization,
)
from codeconn.wire.validate import validate

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """A request as it reached the server, with what the HTTP layer knows about the peer.

    `problem` is what the HTTP layer already refused the request for (a foreign Host,
    a cross-site browser, a body too large or too slow, a method the endpoint lacks):
    the edge answers it in the protocol's shape, and audits it, without reading on.
    """

    request: HttpRequest
    source_ip: str = "127.0.0.1"
    secure: bool = False
    problem: WireError | None = None


@dataclass
class _Trace:
    """What is known about a request so far; the audit line is written from it."""

    request_id: str
    now: datetime
    operation: OperationModel | None = None
    params: dict[str, Any] | None = None
    access_key_id: str | None = None
    region: str | None = None
    caller: Caller | None = None
    call: Call | None = None
    error_code: str | None = None

    @property
    def service(self) -> ServiceModel | None:
        return self.operation.service_model if self.operation is not None else None


class Edge:
    """Answers AWS API requests with the given directory, authorizer, handlers, store and audit sink."""

    def __init__(self, config: ServeConfig, *, store: Store, secrets: SecretBox, directory: CallerDirectory,
                 authorizer: Authorize, registry: Registry, audit: AuditSink, service_models: ServiceModels,
                 iam_catalog: IamCatalog, clock: Clock = utc_now) -> None:
        self._config = config
        self._store = store
        self._secrets = secrets
        self._directory = directory
        self._authorizer = authorizer
        self._registry = registry
        self._audit = audit
        self._clock = clock
        self._service_models = service_models
        self._iam_catalog = iam_catalog

    def handle(self, incoming: Incoming) -> Response:
        """The response to `incoming`; never raises for anything the request or a handler does."""
        response = self._handle(incoming, on_loop=OnLoop.NOTHING)
        assert response is not None
        return response

    def handle_on_loop(self, incoming: Incoming, on_loop: OnLoop) -> Response | None:
        """`handle`, for the event loop (`server.workers`); None, with nothing written nor audited,
        when the request must be answered in a worker thread instead.

        A handler that reaches a code host (`Registry.is_remote`) is never run here.
        With `OnLoop.NO_WAIT` the handler gets the store without its waits
        (`server.no_wait`): one whose first write transaction would wait for another writer
        is dropped before anything is begun (later ones wait). With `OnLoop.STORE` it gets
        the store itself, whose every wait is awaited on the loop (`SqlStore`'s loop engine).
        """
        if on_loop is OnLoop.NOTHING:
            return None
        return self._handle(incoming, on_loop=on_loop)

    def _handle(self, incoming: Incoming, *, on_loop: OnLoop) -> Response | None:
        request = incoming.request
        trace = _Trace(request_id=str(uuid.uuid4()), now=self._clock())
        headers = Headers.first_values(request.headers)  # names lower-cased once, by HttpRequest.build
        codec = detect(headers)
        try:
            if incoming.problem is not None:
                raise incoming.problem
            response = self._answer(incoming, codec, headers, trace, on_loop=on_loop)
        except NotOnLoop if on_loop is not OnLoop.NOTHING else ():  # raised only to a run on the loop
            return None
        except Exception as error:  # noqa: BLE001 - every failure is answered, in the protocol's shape
            response = self._fail(error, codec, trace)
        self._write_audit(incoming, codec, trace, response[0])
        return response

    # --- the steps ----------------------------------------------------------------------

    def _answer(self, incoming: Incoming, codec: Codec, headers: Mapping[str, str], trace: _Trace, *,
                on_loop: OnLoop) -> Response:
        request = incoming.request
        unroutable = self._route(codec, request, headers, trace)
        service = trace.service
        if trace.operation is not None and not self._may_run(trace.operation, on_loop):
            raise NotOnLoop(trace.operation.name)
        verified = authenticate(request, self._directory.credentials, trace.now, family=codec.FAMILY,
                                service=service.signing_name if service is not None else None,
                                regions=self._regions(service))
        trace.access_key_id, trace.region = verified.access_key_id, verified.region
        if unroutable is not None:
            raise unroutable
        assert trace.operation is not None and service is not None and trace.params is not None
        try:
            trace.caller = self._directory.caller(verified.credentials)
        except CredentialsRejected as rejected:  # the key expired or vanished since the signature check
            raise error_for(codec.FAMILY, rejected.failure) from None
        validate(trace.operation.input_shape, trace.params, codec.FAMILY)
        handler = self._registry.get(service.service_name, trace.operation.name)
        if handler is None:
            raise OperationNotImplemented(
                f"codeconn does not implement {service.service_name}:{trace.operation.name}.")
        trace.call = Call(
            service=service.service_name, operation=trace.operation.name, region=verified.region,
            caller=trace.caller, now=trace.now, request_id=trace.request_id,
            store=NoWaiting(self._store) if on_loop is OnLoop.NO_WAIT else self._store,
            secrets=self._secrets, authorizer=self._authorizer, iam_catalog=self._iam_catalog, source_ip=incoming.source_ip,
            secure_transport=incoming.secure, user_agent=request.header("user-agent") or "",
        )
        output = handler(trace.call, trace.params)
        return codec.serialize_response(trace.operation, output, trace.request_id)

    def _may_run(self, operation: OperationModel, on_loop: OnLoop) -> bool:
        """Whether the operation may run where `on_loop` says: anywhere but on the loop, a remote one."""
        return on_loop is OnLoop.NOTHING or not self._registry.is_remote(operation.service_model.service_name,
                                                                          operation.name)

    def _route(self, codec: Codec, request: HttpRequest, headers: Mapping[str, str],
               trace: _Trace) -> WireError | None:
        """Find and decode the operation into `trace`; the routing error is returned, to raise after auth."""
        path = f"{request.path}?{request.query_string}" if request.query_string else request.path
        try:
            trace.operation, trace.params = codec.parse_request(request.method, path, headers, request.body,
                                                                self._service_models)
        except WireError as error:
            return error
        return None

    def _regions(self, service: ServiceModel | None) -> tuple[str, ...] | None:
        """The Regions a request may be signed for: every Region the service's endpoint data lists
        (all served at once, each kept apart by the service layer); any, for a global service."""
        if service is None:
            return None
        return self._service_models.regions.get(service.service_name)

    def _fail(self, error: Exception, codec: Codec, trace: _Trace) -> Response:
        """The one place an exception becomes a response, in the protocol's error shape."""
        try:
            return self._error_response(error, codec, trace)
        except Exception:  # noqa: BLE001 - even a failure to answer is answered, and audited
            trace.error_code = INTERNAL_FAILURE.code
            return codec.serialize_error(None, INTERNAL_FAILURE.code, INTERNAL_FAILURE.message,
                                         status=INTERNAL_FAILURE.status, request_id=trace.request_id)

    def _error_response(self, error: Exception, codec: Codec, trace: _Trace) -> Response:
        service = trace.service
        answer = answer_for(error, codec.FAMILY, service)
        if not is_expected(error):
            where = f"{service.service_name}:{trace.operation.name}" if service and trace.operation else "routing"
            # The stack, not the message: an unexpected error's text may carry anything, a token included.
            _log.error("request %s: unexpected %s in %s\n%s", trace.request_id, type(error).__name__, where,
                       "".join(traceback.format_tb(error.__traceback__)))
        trace.error_code = answer.code
        return codec.serialize_error(service, answer.code, answer.message, status=answer.status,
                                     fields=answer.fields or None, request_id=trace.request_id)

    # --- the audit line -----------------------------------------------------------------

    def _write_audit(self, incoming: Incoming, codec: Codec, trace: _Trace, status: int) -> None:
        try:
            try:
                record = self._record(incoming, codec, trace, status)
            except Exception:  # noqa: BLE001 - a record that cannot be made still leaves a line
                record = AuditRecord(time=_timestamp(trace.now), request_id=trace.request_id, status=status,
                                     source_ip=incoming.source_ip, error_code=trace.error_code)
            self._audit.write(record)
        except Exception as error:  # noqa: BLE001 - the answer stands; a lost audit line is reported
            _log.error("request %s: the audit line could not be written (%s)", trace.request_id,
                       type(error).__name__)

    def _record(self, incoming: Incoming, codec: Codec, trace: _Trace, status: int) -> AuditRecord:
        claimed = _claimed(incoming.request, codec) if trace.access_key_id is None else None
        service = trace.service
        service_name = service.service_name if service is not None else claimed.service if claimed else None
        operation = trace.operation.name if trace.operation is not None else None
        caller = trace.caller
        details = trace.call.decision_details if trace.call is not None else {}
        decisions = tuple(
            AuditDecision(d.action, d.resource, d.decision.decision, d.enforced,
                          tuple(m.to_json() for m in d.decision.matched),
                          tuple(miss.to_json() for miss in d.decision.near_misses),
                          **pipeline_details(details.get(index, {})))
            for index, d in enumerate(trace.call.decisions if trace.call is not None else ()))
        params = None
        if trace.params is not None and trace.operation is not None:
            params = scrub(trace.operation.input_shape, trace.params)
        return AuditRecord(
            time=_timestamp(trace.now), request_id=trace.request_id, status=status,
            service=service_name, operation=operation,
            action=f"{service_name}:{operation}" if service_name and operation else None,
            resource=decisions[0].resource if decisions else None,
            principal=(caller.principal.session_arn or caller.principal.arn) if caller is not None else None,
            account_id=caller.account_id if caller is not None else None,
            access_key_id=trace.access_key_id or (claimed.access_key_id if claimed else None),
            region=trace.region or (claimed.region if claimed else None),
            source_ip=incoming.source_ip, user_agent=incoming.request.header("user-agent"),
            request_parameters=params, decisions=decisions, error_code=trace.error_code,
        )


def _claimed(request: HttpRequest, codec: Codec) -> SignedRequest | None:
    """Who the request says it is, unverified: for the audit line of a request that failed to authenticate."""
    try:
        return parse_authorization(request, family=codec.FAMILY)
    except WireError:
        return None


def _timestamp(moment: datetime) -> str:
    """2026-01-02T03:04:05.678Z (isoformat, at a third of strftime's cost)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


__all__ = ["Clock", "Edge", "Incoming", "utc_now"]
