"""The hosted service models: routing tables, error lookups, the shape walker."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
from pathlib import Path

import pytest

# --- example values -----------------------------------------------------------------
from botocore_peer import (
    example,
)

from codeconn.wire.model import (
    HOSTED_SERVICES,
    ServiceModels,
    default_service_models,
    error_shape,
    error_status,
    from_wire,
    namespace_of,
    protocols_of,
    to_wire,
    walk,
)
from codeconn.wire.protocols import detect
from codeconn.wire.validate import find_problems


def test_every_example_satisfies_its_shape() -> None:
    catalog = default_service_models()
    for service in catalog.services.values():
        for name in service.operation_names:
            operation = service.operation_model(name)
            for shape in (operation.input_shape, operation.output_shape):
                if shape is not None:
                    assert find_problems(shape, example(shape)) == [], f"{service.service_name}.{name}"


# --- the catalog ------------------------------------------------------------------


def test_catalog_holds_the_hosted_services_with_their_protocols() -> None:
    catalog = default_service_models()
    assert tuple(catalog.services) == HOSTED_SERVICES
    speaks = {name: protocols_of(service) for name, service in catalog.services.items()}
    assert speaks == {
        "codestar-connections": ("json",),
        "codeconnections": ("smithy-rpc-v2-cbor", "json"),
        "iam": ("query",),
        "sts": ("query",),
        "codepipeline": ("smithy-rpc-v2-cbor", "json"),
    }


@pytest.mark.parametrize(
    ("target", "service", "operation"),
    [
        pytest.param(
            "com.amazonaws.codeconnections.CodeConnections_20231201.CreateConnection",
            "codeconnections",
            "CreateConnection",
            id="long form (botocore)",
        ),
        pytest.param(
            "CodeConnections_20231201.CreateConnection", "codeconnections", "CreateConnection", id="short form (Go, JS)"
        ),
        pytest.param(
            "com.amazonaws.codestar.connections.CodeStar_connections_20191201.ListHosts",
            "codestar-connections",
            "ListHosts",
            id="codestar long form",
        ),
        pytest.param(
            "CodeStar_connections_20191201.ListHosts", "codestar-connections", "ListHosts", id="codestar short form"
        ),
    ],
)
def test_targets_name_json_operations(target: str, service: str, operation: str) -> None:
    found = default_service_models().targets[target]
    assert (found.service_model.service_name, found.name) == (service, operation)


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("CodeConnections_20231201.NoSuchOperation", id="unknown operation"),
        pytest.param("CreateConnection", id="operation without prefix"),
        pytest.param("codeconnections.CreateConnection", id="endpoint prefix is not a target prefix"),
        pytest.param("AmazonIdentityManagement.CreateUser", id="query service has no targets"),
    ],
)
def test_unknown_targets_are_absent(target: str) -> None:
    assert target not in default_service_models().targets


@pytest.mark.parametrize(
    "segment",
    [
        pytest.param("com.amazonaws.codeconnections.CodeConnections_20231201", id="absolute shape id (botocore)"),
        pytest.param("CodeConnections_20231201", id="shape name (the spec's client form)"),
    ],
)
def test_rpc_paths_accept_both_service_segments(segment: str) -> None:
    assert default_service_models().rpc_paths[(segment, "GetConnection")].name == "GetConnection"


def test_only_codeconnections_and_codepipeline_speak_rpc_v2_cbor() -> None:
    services = {operation.service_model.service_name for operation in default_service_models().rpc_paths.values()}
    assert services == {"codeconnections", "codepipeline"}


def test_query_actions_are_keyed_by_version() -> None:
    actions = default_service_models().actions
    assert actions[("2010-05-08", "CreateUser")].service_model.service_name == "iam"
    assert actions[("2011-06-15", "AssumeRole")].service_model.service_name == "sts"
    assert ("2011-06-15", "CreateUser") not in actions


def test_namespace_comes_from_the_target_prefix() -> None:
    services = default_service_models().services
    assert namespace_of(services["codeconnections"]) == "com.amazonaws.codeconnections"
    assert namespace_of(services["codestar-connections"]) == "com.amazonaws.codestar.connections"
    assert namespace_of(services["iam"]) is None


def test_data_paths_can_add_operations_to_a_model(tmp_path: Path) -> None:
    extras = tmp_path / "codeconnections" / "2023-12-01" / "service-2.sdk-extras.json"
    extras.parent.mkdir(parents=True)
    operation = {"name": "StartOAuthHandshake", "http": {"method": "POST", "requestUri": "/"}}
    extras.write_text(json.dumps({"version": 1.0, "merge": {"operations": {"StartOAuthHandshake": operation}}}))
    catalog = ServiceModels.load(["codeconnections"], data_paths=[str(tmp_path)])
    assert catalog.targets["CodeConnections_20231201.StartOAuthHandshake"].name == "StartOAuthHandshake"
    assert ("CodeConnections_20231201", "StartOAuthHandshake") in catalog.rpc_paths


# --- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "code", "shape_name", "status"),
    [
        pytest.param("iam", "NoSuchEntity", "NoSuchEntityException", 404, id="IAM by wire code"),
        pytest.param("iam", "NoSuchEntityException", "NoSuchEntityException", 404, id="IAM by shape name"),
        pytest.param("codeconnections", "ResourceNotFoundException", "ResourceNotFoundException", 404, id="httpStatus"),
        pytest.param(
            "codestar-connections", "ResourceNotFoundException", "ResourceNotFoundException", 400, id="no trait"
        ),
        pytest.param("sts", "ExpiredTokenException", "ExpiredTokenException", 400, id="STS code equals name"),
    ],
)
def test_error_shapes_by_name_or_code(service: str, code: str, shape_name: str, status: int) -> None:
    shape = error_shape(default_service_models().services[service], code)
    assert shape is not None and shape.name == shape_name
    assert error_status(shape) == status


def test_unmodelled_errors_have_no_shape_and_default_status() -> None:
    service = default_service_models().services["codeconnections"]
    assert error_shape(service, "ValidationException") is None
    assert error_shape(None, "AccessDenied") is None
    assert error_status(None) == 400


# --- walking ------------------------------------------------------------------------


def test_walk_converts_leaves_and_drops_unknown_and_null_members() -> None:
    shape = default_service_models().services["codeconnections"].operation_model("CreateConnection").input_shape
    value = {"ConnectionName": "c", "Tags": [{"Key": "k", "Value": "v"}], "Unknown": 1, "HostArn": None}
    walked = walk(shape, value, lambda leaf, item: item.upper() if isinstance(item, str) else item, to_wire)
    assert walked == {"ConnectionName": "C", "Tags": [{"Key": "K", "Value": "V"}]}


def test_walk_passes_through_values_of_the_wrong_kind() -> None:
    shape = default_service_models().services["codeconnections"].operation_model("CreateConnection").input_shape
    assert walk(shape, {"Tags": "not a list"}, lambda leaf, item: item, from_wire) == {"Tags": "not a list"}
    assert walk(shape, ["not", "a", "structure"], lambda leaf, item: item, from_wire) == ["not", "a", "structure"]


# --- module surfaces -----------------------------------------------------------------

MODULES = (
    "codeconn.wire.model",
    "codeconn.wire.validate",
    "codeconn.wire.protocols",
    "codeconn.wire.protocols.json10",
    "codeconn.wire.protocols.rpcv2cbor",
    "codeconn.wire.protocols.query",
)


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_every_public_name(name: str) -> None:
    module = importlib.import_module(name)
    tree = ast.parse(inspect.getsource(module))
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    public = {attr for attr in defined if not attr.startswith("_")} - {"__all__"}
    assert public == set(module.__all__)


@pytest.mark.parametrize(
    ("headers", "protocol"),
    [
        pytest.param({"Smithy-Protocol": "rpc-v2-cbor"}, "smithy-rpc-v2-cbor", id="Smithy-Protocol header"),
        pytest.param({"smithy-protocol": "rpc-v2-cbor", "X-Amz-Target": "x"}, "smithy-rpc-v2-cbor", id="CBOR wins"),
        pytest.param({"Content-Type": "application/cbor"}, "smithy-rpc-v2-cbor", id="CBOR content type"),
        pytest.param({"X-Amz-Target": "CodeConnections_20231201.ListHosts"}, "json", id="X-Amz-Target header"),
        pytest.param({"Content-Type": "application/x-amz-json-1.0"}, "json", id="JSON without target"),
        pytest.param({"Content-Type": "application/x-www-form-urlencoded"}, "query", id="form"),
        pytest.param({}, "query", id="nothing: a GET with a query string"),
    ],
)
def test_detect_reads_the_protocol_from_headers(headers: dict[str, str], protocol: str) -> None:
    assert detect(headers).NAME == protocol
