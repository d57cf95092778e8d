"""Request validation: each modelled constraint, AWS's message text, ECMA patterns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import Shape, ShapeResolver

from codeconn.wire.errors import WireError
from codeconn.wire.model import default_service_models
from codeconn.wire.validate import (
    PATTERN_MATCHING,
    VALIDATION_ERRORS,
    ValidationError,
    ValidationException,
    compile_pattern,
    find_problems,
    validate,
)

UUID = "6053346f-8a33-4edb-9397-10394d8c1e8c"
HOST = "arn:aws:codeconnections:us-east-1:123456789012:host/my-host-28aef605"


def input_of(service: str, operation: str) -> Shape:
    shape = default_service_models().services[service].operation_model(operation).input_shape
    assert shape is not None
    return shape


# Constraints botocore's models do not exercise on input (maps with bounds, blobs,
# unions, doubles), as a model of our own: data, like the real ones.
SYNTHETIC = ShapeResolver(
    {
        "Input": {
            "type": "structure",
            "members": {
                "Labels": {"shape": "Labels"},
                "Payload": {"shape": "Payload"},
                "Choice": {"shape": "Choice"},
                "Ratio": {"shape": "Ratio"},
                "At": {"shape": "At"},
                "Enabled": {"shape": "Enabled"},
                "Names": {"shape": "Names"},
            },
        },
        "Labels": {"type": "map", "key": {"shape": "LabelKey"}, "value": {"shape": "Count"}, "min": 1, "max": 2},
        "LabelKey": {"type": "string", "min": 1, "max": 3, "pattern": "^[a-z]+$"},
        "Count": {"type": "integer", "min": 0, "max": 9},
        "Payload": {"type": "blob", "max": 4},
        "Choice": {
            "type": "structure",
            "union": True,
            "members": {"A": {"shape": "LabelKey"}, "B": {"shape": "Count"}},
        },
        "Ratio": {"type": "double", "min": 0.5, "max": 1.5},
        "At": {"type": "timestamp"},
        "Enabled": {"type": "boolean"},
        "Names": {"type": "list", "member": {"shape": "LabelKey"}, "min": 1},
    }
).get_shape_by_name("Input")

ENUM = "[Bitbucket, GitHub, GitHubEnterpriseServer, GitLab, GitLabSelfManaged, AzureDevOps, GitHubEnterpriseCloudDataResidency]"
CREATE = input_of("codeconnections", "CreateConnection")
LIST = input_of("codeconnections", "ListConnections")
LINK = input_of("codeconnections", "GetRepositoryLink")
USER = input_of("iam", "CreateUser")
PASSWORD = input_of("iam", "ChangePassword")


def msg(path: str, value: str | None, constraint: str) -> str:
    shown = "" if value is None else f" {value}"
    return f"Value{shown} at '{path}' failed to satisfy constraint: {constraint}"


CASES = [
    pytest.param(CREATE, {"ConnectionName": "my-connection", "ProviderType": "GitHub"}, "json", [], id="valid"),
    pytest.param(CREATE, {}, "json", [msg("connectionName", "null", "Member must not be null")], id="required"),
    pytest.param(
        CREATE,
        {"ConnectionName": "x" * 33},
        "json",
        [msg("connectionName", f"'{'x' * 33}'", "Member must have length less than or equal to 32")],
        id="string max length",
    ),
    pytest.param(
        CREATE,
        {"ConnectionName": ""},
        "json",
        [msg("connectionName", "''", "Member must have length greater than or equal to 1")],
        id="string min length",
    ),
    pytest.param(
        CREATE,
        {"ConnectionName": "c", "ProviderType": "SVN"},
        "json",
        [msg("providerType", "'SVN'", f"Member must satisfy enum value set: {ENUM}")],
        id="enum",
    ),
    pytest.param(
        CREATE,
        {"ConnectionName": "c", "HostArn": "not-an-arn"},
        "json",
        [
            msg(
                "hostArn",
                "'not-an-arn'",
                "Member must satisfy regular expression pattern: "
                "arn:aws(-[\\w]+)*:(codestar-connections|codeconnections):.+:[0-9]{12}:host\\/.+",
            )
        ],
        id="pattern",
    ),
    pytest.param(
        CREATE,
        {"ConnectionName": "c", "HostArn": f"see {HOST} here"},
        "json",
        [],
        id="Smithy patterns are not anchored (JSON family)",
    ),
    pytest.param(
        LINK,
        {"RepositoryLinkId": UUID + "\n"},
        "json",
        [
            msg(
                "repositoryLinkId",
                f"'{UUID}\n'",
                "Member must satisfy regular expression pattern: "
                "^[0-9a-fA-F]{8}\\b-[0-9a-fA-F]{4}\\b-[0-9a-fA-F]{4}\\b-[0-9a-fA-F]{4}\\b-[0-9a-fA-F]{12}$",
            )
        ],
        id="ECMA $ is the very end, not before a final newline",
    ),
    pytest.param(
        CREATE,
        {"ConnectionName": "c", "Tags": [{"Key": "k" * 129, "Value": "v"}]},
        "json",
        [msg("tags.1.member.key", f"'{'k' * 129}'", "Member must have length less than or equal to 128")],
        id="list element member path",
    ),
    pytest.param(
        CREATE,
        {"ConnectionName": "c", "Tags": [{"Key": "k", "Value": "v"}] * 201},
        "json",
        [
            msg(
                "tags",
                "'[" + ", ".join(["{Key=k, Value=v}"] * 201) + "]'",
                "Member must have length less than or equal to 200",
            )
        ],
        id="list max length",
    ),
    pytest.param(
        CREATE,
        {"ConnectionName": "c", "Tags": [{"Value": "v"}]},
        "json",
        [msg("tags.1.member.key", "null", "Member must not be null")],
        id="required inside a list element",
    ),
    pytest.param(
        LIST,
        {"MaxResults": 101},
        "json",
        [msg("maxResults", "'101'", "Member must have value less than or equal to 100")],
        id="integer max",
    ),
    pytest.param(
        LIST,
        {"MaxResults": -1},
        "json",
        [msg("maxResults", "'-1'", "Member must have value greater than or equal to 0")],
        id="integer min",
    ),
    pytest.param(
        CREATE,
        {"ConnectionName": 5},
        "json",
        [msg("connectionName", "'5'", "Member must be of type string")],
        id="type string",
    ),
    pytest.param(
        LIST,
        {"MaxResults": True},
        "json",
        [msg("maxResults", "'true'", "Member must be of type integer")],
        id="a boolean is not an integer",
    ),
    pytest.param(
        CREATE,
        {"ConnectionName": "c", "Tags": {"Key": "k"}},
        "json",
        [msg("tags", "'{Key=k}'", "Member must be of type list")],
        id="type list",
    ),
    pytest.param(
        CREATE,
        {"Tags": "x", "ConnectionName": "x" * 40, "ProviderType": "SVN"},
        "json",
        [
            msg("providerType", "'SVN'", f"Member must satisfy enum value set: {ENUM}"),
            msg("connectionName", f"'{'x' * 40}'", "Member must have length less than or equal to 32"),
            msg("tags", "'x'", "Member must be of type list"),
        ],
        id="every problem gathered, in the model's member order",
    ),
    pytest.param(
        USER,
        {"UserName": "my user"},
        "query",
        [msg("userName", "'my user'", "Member must satisfy regular expression pattern: [\\w+=,.@-]+")],
        id="Query family matches patterns in full",
    ),
    pytest.param(USER, {"UserName": "my user"}, "json", [], id="the same pattern found inside the value (JSON family)"),
    pytest.param(
        USER,
        {"UserName": "José"},
        "query",
        [msg("userName", "'José'", "Member must satisfy regular expression pattern: [\\w+=,.@-]+")],
        id="ECMA \\w is ASCII",
    ),
    pytest.param(
        USER,
        {"UserName": "bob", "Tags": [{"Key": "Équipe", "Value": "données ü 1"}]},
        "query",
        [],
        id="\\p{L} \\p{Z} \\p{N} are Unicode categories",
    ),
    pytest.param(
        USER,
        {"UserName": "bob", "Tags": [{"Key": "a!b", "Value": "v"}]},
        "query",
        [
            msg(
                "tags.1.member.key",
                "'a!b'",
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
            )
        ],
        id="character outside the Unicode categories",
    ),
    pytest.param(
        PASSWORD,
        {"OldPassword": "", "NewPassword": "p\x01"},
        "query",
        [
            msg("oldPassword", None, "Member must have length greater than or equal to 1"),
            msg(
                "oldPassword",
                None,
                "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
            ),
            msg(
                "newPassword",
                None,
                "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
            ),
        ],
        id="sensitive values are not echoed",
    ),
    pytest.param(
        SYNTHETIC,
        {"Labels": {}},
        "json",
        [msg("labels", "'{}'", "Member must have length greater than or equal to 1")],
        id="map min size",
    ),
    pytest.param(
        SYNTHETIC,
        {"Labels": {"a": 1, "b": 2, "c": 3}},
        "json",
        [msg("labels", "'{a=1, b=2, c=3}'", "Member must have length less than or equal to 2")],
        id="map max size",
    ),
    pytest.param(
        SYNTHETIC,
        {"Labels": {"ABCD": 10}},
        "json",
        [
            msg(
                "labels",
                "'ABCD'",
                "Map keys must satisfy constraint: [Member must have length less than or equal to 3]",
            ),
            msg(
                "labels",
                "'ABCD'",
                "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: ^[a-z]+$]",
            ),
            msg("labels.ABCD", "'10'", "Member must have value less than or equal to 9"),
        ],
        id="map keys and values",
    ),
    pytest.param(
        SYNTHETIC,
        {"Payload": b"12345"},
        "json",
        [msg("payload", None, "Member must have length less than or equal to 4")],
        id="blob length, value not echoed",
    ),
    pytest.param(
        SYNTHETIC,
        {"Choice": {"A": "a", "B": 1}},
        "json",
        [msg("choice", None, "Member must have exactly one member set")],
        id="union with two members",
    ),
    pytest.param(SYNTHETIC, {"Choice": {"B": 1}}, "json", [], id="union with one member"),
    pytest.param(
        SYNTHETIC,
        {"Ratio": 2.0},
        "json",
        [msg("ratio", "'2.0'", "Member must have value less than or equal to 1.5")],
        id="double max",
    ),
    pytest.param(SYNTHETIC, {"Ratio": 1}, "json", [], id="an integer is a double"),
    pytest.param(
        SYNTHETIC,
        {"At": "yesterday"},
        "json",
        [msg("at", "'yesterday'", "Member must be of type timestamp")],
        id="type timestamp",
    ),
    pytest.param(
        SYNTHETIC, {"At": datetime(2024, 1, 1, tzinfo=UTC), "Enabled": False}, "json", [], id="timestamp and boolean"
    ),
    pytest.param(
        SYNTHETIC,
        {"Enabled": "true"},
        "json",
        [msg("enabled", "'true'", "Member must be of type boolean")],
        id="type boolean",
    ),
    pytest.param(
        SYNTHETIC,
        {"Names": ["a", None]},
        "json",
        [msg("names.2.member", "null", "Member must not be null")],
        id="null list element",
    ),
]


@pytest.mark.parametrize(("shape", "params", "family", "expected"), CASES)
def test_constraints(shape: Shape, params: dict[str, Any], family: Any, expected: list[str]) -> None:
    assert [str(problem) for problem in find_problems(shape, params, family)] == expected


@pytest.mark.parametrize(
    ("family", "error"),
    [
        pytest.param("json", ValidationException, id="JSON family"),
        pytest.param("query", ValidationError, id="Query family"),
    ],
)
def test_validate_raises_once_with_every_problem_in_aws_words(family: Any, error: type[WireError]) -> None:
    with pytest.raises(error) as raised:
        validate(CREATE, {"ConnectionName": "x" * 33, "ProviderType": "SVN"}, family)
    assert (raised.value.code, raised.value.status) == (error.__name__, 400)
    assert raised.value.message == (
        f"2 validation errors detected: Value 'SVN' at 'providerType' failed to satisfy constraint: Member must "
        f"satisfy enum value set: {ENUM}; Value '{'x' * 33}' at 'connectionName' failed to satisfy constraint: "
        "Member must have length less than or equal to 32"
    )


def test_one_problem_is_singular() -> None:
    with pytest.raises(ValidationException) as raised:
        validate(CREATE, {})
    assert raised.value.message.startswith("1 validation error detected: Value null at 'connectionName'")
    assert len(raised.value.problems) == 1


def test_valid_input_and_no_input_shape_pass_quietly() -> None:
    validate(CREATE, {"ConnectionName": "c"})
    validate(None, {})


def test_every_family_has_an_error_and_a_pattern_rule() -> None:
    assert set(VALIDATION_ERRORS) == set(PATTERN_MATCHING) == {"json", "query"}


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        pytest.param(r"^\d+$", "١٢", False, id="\\d is ASCII digits"),
        pytest.param(r"^\w+$", "é", False, id="\\w is ASCII word characters"),
        pytest.param(r"^\s$", "\u00a0", True, id="\\s is Unicode white space"),
        pytest.param(r"^\S$", "\u00a0", False, id="\\S excludes Unicode white space"),
        pytest.param(r"^[\s]$", "\u3000", True, id="\\s inside a class"),
        pytest.param(r"^a$", "a\n", False, id="$ only at the very end"),
        pytest.param(r"^.$", "\r", False, id=". excludes CR"),
        pytest.param(r"^.$", "\u2028", False, id=". excludes LINE SEPARATOR"),
        pytest.param(r"^[.$]+$", ".$", True, id=". and $ are literal in a class"),
        pytest.param(r"^\p{L}+$", "Ωmega", True, id="\\p{L} letters"),
        pytest.param(r"^\p{Lu}$", "a", False, id="\\p{Lu} upper case only"),
        pytest.param(r"^\P{N}+$", "abc", True, id="\\P{N} not a number"),
        pytest.param(r"^\P{N}+$", "a1", False, id="\\P{N} rejects a digit"),
        pytest.param(r"^[\p{N}]+$", "Ⅻ٣", True, id="\\p{N} inside a class, letter numbers and Arabic digits"),
        pytest.param(r"[\u0020-\u00FF]+", "\x01a", True, id="\\u escapes, not anchored"),
        pytest.param(r"^\/\-$", "/-", True, id="identity escapes"),
    ],
)
def test_ecma_patterns(pattern: str, value: str, matches: bool) -> None:
    assert bool(compile_pattern(pattern).search(value)) is matches


def test_unsupported_unicode_properties_are_errors_not_passes() -> None:
    with pytest.raises(ValueError):
        compile_pattern(r"\p{Script=Latin}")
    with pytest.raises(ValueError):
        compile_pattern(r"[\P{L}]")


def test_every_pattern_of_the_hosted_models_compiles() -> None:
    for service in default_service_models().services.values():
        for name in service.shape_names:
            pattern = service.shape_for(name).metadata.get("pattern")
            if pattern is not None:
                compile_pattern(pattern)
