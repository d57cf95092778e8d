"""benchmarks/iam.py: the JSON contract, every engine agreeing with the expected decisions,
and the IAM rules the Cedar translation must keep (those the workload does not exercise)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "iam.py"
ENGINES = ["codeconn", "cedarpy", "principalmapper"]
PRINCIPAL = "arn:aws:iam::111122223333:role/PipelineRole"
CONNECTION = "arn:aws:codestar-connections:us-west-2:111122223333:connection/0a1b"
USE = "codestar-connections:UseConnection"


def run_benchmark(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, check=False)


@pytest.mark.slow
def test_every_engine_decides_the_workload_as_expected() -> None:
    done = run_benchmark("--limit", "300", "--repeat", "1", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)

    assert [r["engine"] for r in report["results"]] == ENGINES
    for result in report["results"]:
        assert set(result) >= {"engine", "decisions_per_second", "agree", "total"}
        assert isinstance(result["decisions_per_second"], (int, float)) and result["decisions_per_second"] > 0
        assert result["total"] == 300
        # The expected decisions were agreed by three independent engines; each engine here must match them all.
        assert result["agree"] == result["total"], (result["engine"], report["disagreements"].get(result["engine"]))
    assert set(report["ratios"]) == {"codeconn/cedarpy", "codeconn/principalmapper"}


def test_an_unreadable_workload_is_reported_not_raised(tmp_path: Path) -> None:
    done = run_benchmark("--workload", str(tmp_path / "missing.json"), "--json")
    assert done.returncode == 2
    assert "missing.json" in done.stderr and done.stdout == ""


# -- the Cedar translation -----------------------------------------------------------------

@pytest.fixture
def cedar(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    pytest.importorskip("cedarpy")
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    return importlib.import_module("engines.cedar")


def cedar_decision(cedar: ModuleType, statements: list[dict[str, Any]], *, action: str = USE,
                   resource: str = CONNECTION, context: dict[str, Any] | None = None,
                   account: str = "111122223333") -> str:
    """Translate `statements` as the role's one identity policy and let Cedar decide one request."""
    import cedarpy

    from engines.workload import RawRequest

    model = cedar.translate(PRINCIPAL, "111122223333", [("p", {"Version": "2012-10-17", "Statement": statements})])
    entities = cedarpy.Entities.from_json_str(json.dumps([{"uid": {"type": cedar.PRINCIPAL_TYPE, "id": PRINCIPAL},
                                                           "attrs": {}, "parents": []}]))
    request = cedar.cedar_request(model, RawRequest(PRINCIPAL, action, resource, account, context or {}))
    return cedar.decision_of(cedarpy.is_authorized(request, cedarpy.PolicySet.from_str(model.text), entities))


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def deny_if(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": USE, "Resource": "*", "Condition": condition}


@pytest.mark.parametrize(("condition", "context", "expect"), [
    pytest.param({"StringNotLike": {"codestar-connections:BranchName": "feature/*"}}, {}, "explicitDeny",
                 id="a missing key makes a negated operator true"),
    pytest.param({"StringEquals": {"codestar-connections:BranchName": "main"}}, {}, "allowed",
                 id="a missing key makes a positive operator false"),
    pytest.param({"StringEqualsIfExists": {"codestar-connections:BranchName": "main"}}, {}, "explicitDeny",
                 id="IfExists makes a missing key true"),
    pytest.param({"StringEquals": {"codestar-connections:branchname": ["dev", "main"]}},
                 {"codestar-connections:BranchName": "main"}, "explicitDeny",
                 id="key names are case-insensitive and a list of values is OR'd"),
    pytest.param({"StringNotEquals": {"codestar-connections:BranchName": ["dev", "main"]}},
                 {"codestar-connections:BranchName": "main"}, "allowed",
                 id="a negated operator's values are NOR'd"),
    pytest.param({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}, {}, "explicitDeny",
                 id="ForAllValues is true for a missing key"),
    pytest.param({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "env"]}}, {"aws:TagKeys": ["x", "env"]},
                 "explicitDeny", id="ForAnyValue matches one of several request values"),
    pytest.param({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, {"aws:TagKeys": ["team", "x"]},
                 "allowed", id="ForAllValues needs every request value listed"),
    pytest.param({"Null": {"codestar-connections:BranchName": "true"}}, {}, "explicitDeny",
                 id="Null true matches a missing key"),
])
def test_condition_rules_survive_translation(cedar: ModuleType, condition: dict[str, Any],
                                             context: dict[str, Any], expect: str) -> None:
    assert cedar_decision(cedar, [ALLOW_ALL, deny_if(condition)], context=context) == expect


@pytest.mark.parametrize(("pattern", "resource", "expect"), [
    pytest.param("arn:aws:codestar-connections:*:111122223333:connection/*", CONNECTION, "allowed",
                 id="a wildcard matches within its ARN segment"),
    pytest.param("arn:aws:codestar-connections*::111122223333:connection/0a1b",
                 "arn:aws:codestar-connections:us-west-2::111122223333:connection/0a1b", "implicitDeny",
                 id="a wildcard does not reach across a colon into the next segment"),
    pytest.param("arn:aws:s3:::acme/*", "arn:aws:s3:::acme/a:b", "allowed",
                 id="a wildcard in the resource part reaches across colons"),
])
def test_resource_patterns_match_segment_by_segment(cedar: ModuleType, pattern: str, resource: str,
                                                    expect: str) -> None:
    allow = {"Effect": "Allow", "Action": "*", "Resource": pattern}
    assert cedar_decision(cedar, [allow], resource=resource) == expect


def test_actions_match_without_regard_to_case(cedar: ModuleType) -> None:
    allow = {"Effect": "Allow", "Action": ["CodeStar-Connections:Use*"], "Resource": "*"}
    assert cedar_decision(cedar, [allow], action="codestar-connections:USECONNECTION") == "allowed"


def test_across_accounts_only_a_deny_decides(cedar: ModuleType) -> None:
    deny = deny_if({"StringEquals": {"codestar-connections:BranchName": "main"}})
    other = "444455556666"
    assert cedar_decision(cedar, [ALLOW_ALL, deny], account=other) == "implicitDeny"
    assert cedar_decision(cedar, [ALLOW_ALL, deny], account=other,
                  context={"codestar-connections:BranchName": "main"}) == "explicitDeny"


@pytest.mark.parametrize(("statement", "context"), [
    pytest.param({"Effect": "Allow", "Action": "s3:GetObjec?", "Resource": "*"}, {}, id="? in an action"),
    pytest.param({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::a?c"}, {}, id="? in a resource"),
    pytest.param({"Effect": "Allow", "Action": "*", "Resource": "*",
                  "Condition": {"StringLike": {"codestar-connections:BranchName": "ma?n"}}}, {}, id="? in StringLike"),
    pytest.param({"Effect": "Allow", "Action": "*", "Resource": "*",
                  "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": "t*"}}}, {}, id="a set operator over like"),
    pytest.param({"Effect": "Allow", "Action": "*", "Resource": "*",
                  "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}}, {}, id="an operator outside the table"),
    pytest.param({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::${aws:username}/*"}, {},
                 id="a policy variable"),
    pytest.param({"Effect": "Allow", "Action": "*", "Resource": "*",
                  "Condition": {"StringLike": {"codestar-connections:BranchName": "m*"}}},
                 {"codestar-connections:BranchName": ["main", "dev"]}, id="several values for a single-valued read"),
])
def test_what_cedar_cannot_say_is_refused(cedar: ModuleType, statement: dict[str, Any],
                                          context: dict[str, Any]) -> None:
    with pytest.raises(cedar.CedarTranslationError):
        cedar_decision(cedar, [statement], context=context)
