"""The AWS service models codeconn hosts, loaded at run time from botocore's data.

botocore ships each service's Smithy-derived model (`data/<service>/<version>/
service-2.json`): operations, input and output shapes with their constraints, and
error shapes with their codes and HTTP statuses. The wire layer reads requests and
writes responses by walking those shapes, so nothing about an operation is written
twice. This module loads the models once into a `ServiceModels` whose tables answer the
three routing questions the protocols ask:

- AWS JSON 1.0: which operation does `X-Amz-Target` name? Both the long form the
  model's `targetPrefix` gives (`com.amazonaws.codeconnections.CodeConnections_20231201.
  CreateConnection`, what botocore sends) and the short form (`CodeConnections_20231201.
  CreateConnection`, what the Go and JS SDKs send) are accepted.
- Smithy RPC v2 CBOR: which operation does `/service/{service}/operation/{op}` name?
  The spec has clients send the service shape's name (`CodeConnections_20231201`) and
  asks servers to accept the absolute shape id with `#` as `.` too, which is what
  botocore sends (`com.amazonaws.codeconnections.CodeConnections_20231201`).
- AWS Query: which operation do the form fields `Action` and `Version` name?

A service speaks the protocols its model's `metadata.protocols` lists (falling back to
`metadata.protocol`), so CodeConnections answers on both RPC v2 CBOR and JSON 1.0.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from botocore.regions import EndpointResolver

HOSTED_SERVICES: tuple[str, ...] = ("codestar-connections", "codeconnections", "iam", "sts", "codepipeline")
"""The botocore service names codeconn answers for."""

MODEL_EXTRAS = str(Path(__file__).resolve().parent / "models")
"""botocore data path adding the handshake operations to both connections models (models/README.md):
the server loads it (`ServiceModels.load(data_paths=[MODEL_EXTRAS])`), `codeconn aws` puts it on AWS_DATA_PATH."""

Response = tuple[int, dict[str, str], bytes]
"""(HTTP status, headers, body): what every protocol's serializers return."""

JSON = "json"
RPC_V2_CBOR = "smithy-rpc-v2-cbor"
QUERY = "query"


def protocols_of(service: ServiceModel) -> tuple[str, ...]:
    """The wire protocols `service` speaks, as its model lists them (botocore's names)."""
    listed = service.metadata.get("protocols") or [service.metadata["protocol"]]
    return tuple(listed)


def namespace_of(service: ServiceModel) -> str | None:
    """The Smithy namespace of the service shape (`com.amazonaws.codeconnections`).

    The model keeps it only inside `targetPrefix`, the service's absolute shape id
    with `#` written as `.`; where that prefix is the bare shape name (CodePipeline's
    `CodePipeline_20150709`) the namespace is AWS's `com.amazonaws.<endpointPrefix>`.
    Query services have none.
    """
    prefix = service.metadata.get("targetPrefix")
    if prefix and "." not in prefix:  # CodePipeline's prefix is the bare shape name: Smithy's AWS namespace
        return f"com.amazonaws.{service.metadata['endpointPrefix']}"
    return prefix.rsplit(".", 1)[0] if prefix else None


@dataclass(frozen=True)
class ServiceModels:
    """The hosted service models and the routing tables the protocols look up."""

    services: Mapping[str, ServiceModel]
    targets: Mapping[str, OperationModel]
    """X-Amz-Target (long and short form) -> operation, for services speaking JSON 1.0."""
    rpc_paths: Mapping[tuple[str, str], OperationModel]
    """(service segment, operation segment) -> operation, for services speaking RPC v2 CBOR."""
    actions: Mapping[tuple[str, str], OperationModel]
    """(Version, Action) -> operation, for services speaking AWS Query."""
    regions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Service -> the Regions of the `aws` partition it is offered in (empty: a global service)."""

    @classmethod
    def load(cls, names: Iterable[str] = HOSTED_SERVICES, data_paths: Iterable[str] = ()) -> ServiceModels:
        """Load `names` from botocore's bundled data, with `data_paths` searched first.

        `data_paths` use botocore's own layout, so a directory holding
        `codeconnections/2023-12-01/service-2.sdk-extras.json` can add operations to a
        model (the console's handshake operations) without copying the model. The
        user's `~/.aws/models` is deliberately not searched: what the server speaks
        must not depend on who runs it.
        """
        loader = Loader(
            extra_search_paths=[*data_paths, Loader.BUILTIN_DATA_PATH],
            include_default_search_paths=False,
        )
        services = {name: ServiceModel(loader.load_service_model(name, "service-2"), name) for name in names}
        targets: dict[str, OperationModel] = {}
        rpc_paths: dict[tuple[str, str], OperationModel] = {}
        actions: dict[tuple[str, str], OperationModel] = {}
        for service in services.values():
            speaks = protocols_of(service)
            prefix = service.metadata.get("targetPrefix", "")
            short = prefix.rsplit(".", 1)[-1]
            for name in service.operation_names:
                operation = service.operation_model(name)
                if JSON in speaks:
                    targets[f"{prefix}.{name}"] = targets[f"{short}.{name}"] = operation
                if RPC_V2_CBOR in speaks:
                    qualified = f"{namespace_of(service)}.{short}"  # the absolute shape id, `#` as `.`
                    rpc_paths[(prefix, name)] = rpc_paths[(short, name)] = rpc_paths[(qualified, name)] = operation
                if QUERY in speaks:
                    actions[(service.api_version, name)] = operation
        return cls(services, targets, rpc_paths, actions, _regions(loader, services))


REGIONS_OF_RENAMED: Mapping[str, str] = {"codeconnections": "codestar-connections"}
"""A renamed service offered where its former name is: botocore's endpoint data lists no
Regions for codeconnections (its endpoints come from rules), and AWS renamed CodeStar
Connections to CodeConnections in every Region it was offered in."""


def _regions(loader: Loader, services: Mapping[str, ServiceModel]) -> dict[str, tuple[str, ...]]:
    """Each regional service's Regions in the `aws` partition, from botocore's endpoint data."""
    resolver = EndpointResolver(loader.load_data("endpoints"))
    regions: dict[str, tuple[str, ...]] = {}
    for name, service in services.items():
        if service.metadata.get("globalEndpoint"):
            continue
        endpoint_prefix = service.metadata.get("endpointPrefix", name)
        listed = resolver.get_available_endpoints(endpoint_prefix, "aws")
        if not listed and name in REGIONS_OF_RENAMED:
            former = REGIONS_OF_RENAMED[name]
            listed = resolver.get_available_endpoints(services[former].metadata.get("endpointPrefix", former)
                                                      if former in services else former, "aws")
        if listed:
            regions[name] = tuple(sorted(listed))
    return regions


@functools.cache
def default_service_models() -> ServiceModels:
    """The catalog of `HOSTED_SERVICES` from botocore's data, loaded once per process."""
    return ServiceModels.load()


@functools.cache
def served_service_models() -> ServiceModels:
    """What `codeconn serve` speaks: botocore's models with the handshake operations (MODEL_EXTRAS)."""
    return ServiceModels.load(data_paths=[MODEL_EXTRAS])


@functools.cache
def _error_shapes(service: ServiceModel) -> Mapping[str, StructureShape]:
    table: dict[str, StructureShape] = {}
    for shape in service.error_shapes:
        table[shape.name] = table[shape.error_code] = shape
    return table


def error_shape(service: ServiceModel | None, code: str) -> StructureShape | None:
    """The modelled error `code` names in `service`, by shape name or by wire code.

    IAM's `NoSuchEntityException` goes on the wire as `NoSuchEntity` (its
    `error.code`); either name finds it. None when the code is not modelled.
    """
    return _error_shapes(service).get(code) if service is not None else None


def error_status(shape: Shape | None, default: int = 400) -> int:
    """The HTTP status of a modelled error: its `error.httpStatusCode`, else `default`."""
    if shape is None:
        return default
    status: int = shape.metadata.get("error", {}).get("httpStatusCode", default)
    return status


# --- walking a value along a shape ------------------------------------------------

Scalar = Callable[[Shape, Any], Any]
"""Converts one leaf value (string, number, boolean, blob, timestamp) for its shape."""
KeyMap = Callable[[str, Shape], tuple[str, str]]
"""(member name, member shape) -> (key to read, key to write)."""


def wire_name(name: str, member: Shape) -> str:
    """The key a structure member has on the wire: its `locationName`, else its name."""
    wire: str = member.serialization.get("name", name)
    return wire


def from_wire(name: str, member: Shape) -> tuple[str, str]:
    """KeyMap for reading a request: wire keys in, member names out."""
    return wire_name(name, member), name


def to_wire(name: str, member: Shape) -> tuple[str, str]:
    """KeyMap for writing a response: member names in, wire keys out."""
    return name, wire_name(name, member)


def walk(shape: Shape, value: Any, scalar: Scalar, keys: KeyMap) -> Any:
    """Rebuild `value` along `shape`, converting every leaf with `scalar`.

    Structures keep only modelled members (unknown keys are dropped, as AWS's JSON
    services drop them) and drop members whose value is null. A value whose kind does
    not fit its shape (a string where a list belongs) is returned unchanged, so the
    validator can name it rather than the decoder failing on the first one.
    """
    if value is None:
        return None
    walker = _WALKERS.get(shape.type_name)
    if walker is None or getattr(shape, "is_document_type", False):
        return scalar(shape, value) if walker is None else value
    return walker(shape, value, scalar, keys)


def _walk_structure(shape: Any, value: Any, scalar: Scalar, keys: KeyMap) -> Any:
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        source, target = keys(name, member)
        converted = walk(member, value.get(source), scalar, keys)
        if converted is not None:
            out[target] = converted
    return out


def _walk_list(shape: Any, value: Any, scalar: Scalar, keys: KeyMap) -> Any:
    if not isinstance(value, (list, tuple)):
        return value
    return [walk(shape.member, item, scalar, keys) for item in value]


def _walk_map(shape: Any, value: Any, scalar: Scalar, keys: KeyMap) -> Any:
    if not isinstance(value, Mapping):
        return value
    return {key: walk(shape.value, item, scalar, keys) for key, item in value.items()}


_WALKERS: dict[str, Callable[[Any, Any, Scalar, KeyMap], Any]] = {
    "structure": _walk_structure,
    "list": _walk_list,
    "map": _walk_map,
}


__all__ = [
    "HOSTED_SERVICES",
    "JSON",
    "QUERY",
    "REGIONS_OF_RENAMED",
    "RPC_V2_CBOR",
    "ServiceModels",
    "KeyMap",
    "Response",
    "Scalar",
    "default_service_models",
    "served_service_models",
    "MODEL_EXTRAS",
    "error_shape",
    "error_status",
    "from_wire",
    "namespace_of",
    "protocols_of",
    "to_wire",
    "walk",
    "wire_name",
]
