"""uvicorn's HTTP/1.1 protocol (h11), bounded in time and count, and answering in AWS's shapes.

uvicorn alone waits forever for a request's headers (a client that connects and
sends nothing, or half a request line, holds a descriptor for good: 2,000 of them
exhausted the usual 1,024), and answers malformed framing in plain text. So each
connection here:

- must deliver a request's line and headers within `Limits.header_timeout` of
  connecting or of the previous response, or is closed;
- is refused when `Limits.max_connections` are already open: ServiceUnavailable
  (503, in the AWS Query shape, since nothing says which protocol it would speak)
  and closed at once, so the server's descriptors never run out;
- that breaks HTTP framing (h11's RemoteProtocolError: a bad request line, headers
  too large, a malformed Content-Length or chunk) is answered by the edge as a 400
  in the protocol family's shape the headers read so far name, and audited.

`protocol_class(limits, edge)` makes the class uvicorn instantiates per connection.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from codeconn.server.edge import Edge, Incoming
from codeconn.server.limits import Limits
from codeconn.wire.errors import ServiceUnavailable, WireError
from codeconn.wire.model import QUERY
from codeconn.wire.protocols import PROTOCOLS
from codeconn.wire.sigv4 import HttpRequest


class MalformedRequest(WireError):
    """The bytes are not an HTTP/1.1 request (h11 could not read them)."""

    code = "MalformedRequest"
    status = 400
    default_message = "The request is not a well-formed HTTP/1.1 request."


class GuardedH11Protocol(H11Protocol):
    """H11Protocol with a header timeout, a connection cap and AWS-shaped framing errors."""

    limits: ClassVar[Limits] = Limits()
    edge: ClassVar[Edge | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._head = bytearray()  # the start of the request being read, to name its family if it is malformed

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refuse_connection()
            return
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if len(self._head) < self.limits.max_header_bytes:
            self._head += data[: self.limits.max_header_bytes - len(self._head)]
        super().data_received(data)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a request's headers arrived: its body has its own timeout
            self._disarm_header_timer()

    def on_response_complete(self) -> None:
        self._head.clear()
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()

    def send_400_response(self, msg: str) -> None:
        """A framing error, answered (and audited) by the edge in the shape the headers name."""
        if self.edge is None:
            super().send_400_response(msg)
            return
        incoming = Incoming(HttpRequest.build("POST", "/", "", _loose_headers(bytes(self._head))),
                            source_ip=self.client[0] if self.client else "", problem=MalformedRequest())
        status, response_headers, body = self.edge.handle(incoming)
        self._write_and_close(status, response_headers, body)

    # --- helpers ------------------------------------------------------------------------

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _refuse_connection(self) -> None:
        error = ServiceUnavailable()
        status, headers, body = PROTOCOLS[QUERY].serialize_error(None, error.code, error.message, status=error.status,
                                                                 request_id=str(uuid.uuid4()))
        self._write_and_close(status, headers, body)

    def _write_and_close(self, status: int, headers: dict[str, str], body: bytes) -> None:
        """One response written straight to the transport (no request cycle), then the connection closed."""
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            pairs = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
            pairs += [(b"content-length", str(len(body)).encode()), (b"connection", b"close")]
            try:
                self.transport.write(self.conn.send(h11.Response(status_code=status, headers=pairs)) or b"")
                self.transport.write(self.conn.send(h11.Data(data=body)) or b"")
                self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
            except h11.LocalProtocolError:
                pass
        self.transport.close()


def _loose_headers(head: bytes) -> list[tuple[str, str]]:
    """`Name: value` lines of a request h11 could not read, as far as they go (enough to name its family)."""
    lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return [(name.strip(), value.strip()) for name, sep, value in (line.partition(":") for line in lines) if sep]


def protocol_class(limits: Limits, edge: Edge | None = None) -> type[GuardedH11Protocol]:
    """The protocol class for one server: its limits, and the edge that answers framing errors."""
    return type("BoundH11Protocol", (GuardedH11Protocol,), {"limits": limits, "edge": edge})


__all__ = ["GuardedH11Protocol", "MalformedRequest", "protocol_class"]
