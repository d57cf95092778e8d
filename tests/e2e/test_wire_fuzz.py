"""Issue 7: a wire fuzzer over every operation of every protocol, signed and unsigned.

Every request must answer (a timeout detects a hang) with a status below 500 (an
operation codeconn does not implement may answer 501 NotImplemented, its modelled
refusal) and, when it fails, with an AWS error body in the protocol's shape; the
server must be healthy after. First a sweep sends each operation of each protocol
an empty and a wrong-typed input, signed and unsigned; then hypothesis sends
random inputs drawn from the operations' shapes (wrong types, lone surrogates,
pattern-stalling ARNs, deep nesting and junk bodies among them). At least 2,000
requests in all.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import cbor2
import httpx
import pytest
from botocore.model import OperationModel, Shape
from hardening_wire import CBOR_PATH, FORM, HANG, JSON_10, aws_error, signed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from real_server import RealServer, real_server

from codeconn.service.operations import build_registry
from codeconn.wire.model import default_service_models

pytestmark = pytest.mark.slow

MINIMUM_REQUESTS = 2000
RANDOM_EXAMPLES = 1000
CONTENT_TYPES = ("application/x-amz-json-1.0", "application/x-amz-json-1.1", "application/cbor", "text/xml")


def _operations() -> list[tuple[str, OperationModel]]:
    catalog = default_service_models()
    json_ops = {id(op): op for op in catalog.targets.values()}
    found = [("json", op) for op in json_ops.values()]
    found += [("cbor", op) for op in {id(op): op for op in catalog.rpc_paths.values()}.values()]
    found += [("query", op) for op in {id(op): op for op in catalog.actions.values()}.values()]
    return sorted(found, key=lambda item: (item[0], item[1].service_model.service_name, item[1].name))


OPERATIONS = _operations()
REGISTRY = build_registry()


# --- encoding an input for each protocol ------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for index, (key, item) in enumerate(value.items(), 1):
            if prefix and not key[:1].isupper():  # a map: entries
                _flatten(f"{prefix}.entry.{index}.key", key, out)
                _flatten(f"{prefix}.entry.{index}.value", item, out)
            else:
                _flatten(f"{prefix}.{key}" if prefix else key, item, out)
    elif isinstance(value, list):
        if not value:
            out.append((prefix, ""))
        for index, item in enumerate(value, 1):
            _flatten(f"{prefix}.member.{index}", item, out)
    elif isinstance(value, bool):
        out.append((prefix, "true" if value else "false"))
    elif isinstance(value, datetime):
        out.append((prefix, value.isoformat()))
    elif isinstance(value, bytes):
        out.append((prefix, base64.b64encode(value).decode()))
    else:
        out.append((prefix, str(value)))


def build(url: str, protocol: str, operation: OperationModel, params: Any, *, sign: bool,
          junk: bytes | None = None) -> httpx.Request:
    service = operation.service_model
    signing = service.signing_name
    if protocol == "json":
        headers = {"Content-Type": JSON_10, "X-Amz-Target": f"{service.metadata['targetPrefix']}.{operation.name}"}
        body = junk if junk is not None else json.dumps(_plain(params)).encode()
        path = "/"
    elif protocol == "cbor":
        headers = {"Content-Type": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor"}
        body = junk if junk is not None else cbor2.dumps(params, datetime_as_timestamp=True)
        path = CBOR_PATH + operation.name
    else:
        fields: list[tuple[str, str]] = [("Action", operation.name), ("Version", service.api_version)]
        _flatten("", params, fields)
        form = "&".join(f"{quote(key, errors='surrogatepass')}={quote(value, errors='surrogatepass')}"
                        for key, value in fields)
        headers = {"Content-Type": FORM}
        body = junk if junk is not None else form.encode()
        path = "/"
    if sign:
        return signed("POST", url + path, service=signing, headers=headers, body=body)
    return httpx.Request("POST", url + path, headers=headers, content=body)


# --- strategies from the shapes -----------------------------------------------------------------

TEXT = st.one_of(st.text(max_size=30), st.text(st.characters(codec=None), max_size=8),
                 st.just("arn:aws:" * 300), st.just("a" * 3000 + "!"))


def value_for(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    wrong = st.one_of(st.integers(), st.text(max_size=5), st.booleans(), st.none())
    if depth > 3:
        return wrong
    if kind == "structure":
        members = {name: value_for(member, depth + 1) for name, member in shape.members.items()}
        exact = st.fixed_dictionaries({}, optional=members)  # type: ignore[arg-type]
    elif kind == "list":
        exact = st.lists(value_for(shape.member, depth + 1), max_size=3)  # type: ignore[attr-defined]
    elif kind == "map":
        exact = st.dictionaries(st.text(max_size=8), value_for(shape.value, depth + 1),  # type: ignore[attr-defined]
                                max_size=3)
    elif kind == "string":
        exact = st.one_of(TEXT, st.sampled_from(shape.enum)) if shape.enum else TEXT  # type: ignore[attr-defined]
    elif kind in ("integer", "long", "short", "byte"):
        exact = st.integers(-(2**40), 2**40)
    elif kind in ("float", "double"):
        exact = st.floats(allow_nan=False, allow_infinity=False)
    elif kind == "boolean":
        exact = st.booleans()
    elif kind == "timestamp":
        exact = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
    else:
        exact = st.binary(max_size=16)
    return st.one_of(exact, exact, exact, wrong)


JUNK = st.one_of(st.binary(max_size=64), st.just(b"[" * 5000), st.just(b'{"a":' * 3000),
                 st.just(b"\xa1\x61a" + b"\x81" * 3000), st.just(b"a." * 5000 + b"=1"))


@st.composite
def fuzz_request(draw: st.DrawFn) -> tuple[str, OperationModel, Any, bool, bytes | None]:
    protocol, operation = draw(st.sampled_from(OPERATIONS))
    shape = operation.input_shape
    params = draw(value_for(shape)) if shape is not None else {}
    junk = draw(st.one_of(st.none(), st.none(), st.none(), JUNK))
    return protocol, operation, params if isinstance(params, dict) else {}, draw(st.booleans()), junk


# --- the test -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with real_server(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


class Checker:
    def __init__(self, server: RealServer) -> None:
        self.server = server
        self.client = httpx.Client(timeout=HANG)
        self.sent = 0

    def check(self, protocol: str, operation: OperationModel, request: httpx.Request) -> None:
        response = self.client.send(request)  # a hang fails with httpx's timeout
        self.sent += 1
        where = f"{protocol} {operation.service_model.service_name}:{operation.name}"
        assert response.headers.get("content-type", "").startswith(CONTENT_TYPES) or (
            response.status_code == 200 and not response.content), (where, response.headers, response.content[:200])
        if response.status_code >= 300:
            code = aws_error(response)
            implemented = REGISTRY.get(operation.service_model.service_name, operation.name) is not None
            assert response.status_code < 500 or (response.status_code == 501 and code == "NotImplemented"
                                                  and not implemented), (where, response.status_code, code,
                                                                         response.content[:300])


def test_fuzz_every_operation_of_every_protocol(server: RealServer) -> None:
    checker = Checker(server)
    with checker.client:
        for protocol, operation in OPERATIONS:
            for sign in (True, False):
                checker.check(protocol, operation, build(server.url, protocol, operation, {}, sign=sign))
                wrong = {name: ["wrong", {"type": 1}] for name in (operation.input_shape.members
                                                                     if operation.input_shape else ())}
                checker.check(protocol, operation, build(server.url, protocol, operation, wrong, sign=sign))

        @settings(max_examples=RANDOM_EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(fuzz_request())
        def random_requests(case: tuple[str, OperationModel, Any, bool, bytes | None]) -> None:
            protocol, operation, params, sign, junk = case
            checker.check(protocol, operation, build(server.url, protocol, operation, params, sign=sign, junk=junk))

        random_requests()
    assert checker.sent >= MINIMUM_REQUESTS
    health = httpx.get(server.url + "/_codeconn/health", timeout=HANG)
    assert health.status_code == 200 and health.json()["status"] == "ok"
