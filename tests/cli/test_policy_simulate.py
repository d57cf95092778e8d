"""`codeconn policy simulate`: rows, decisions and reasons, typed context, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codeconn.cli import app

ACCOUNT = "111122223333"
OTHER = "444455556666"
CONNECTION = f"arn:aws:codestar-connections:us-west-2:{ACCOUNT}:connection/0a1b"
USE = "codestar-connections:UseConnection"
GET = "codestar-connections:GetConnection"
CREATE = "codestar-connections:CreateConnection"

PIPELINE_ROLE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "AllowUse", "Effect": "Allow", "Action": [USE, GET], "Resource": "*"},
    {"Sid": "DenyPushToMain", "Effect": "Deny", "Action": USE, "Resource": "*", "Condition": {"StringEquals": {
        "codestar-connections:ProviderAction": "GitPush", "codestar-connections:BranchName": "main"}}},
]}
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}
ONLY_GET = {"Version": "2012-10-17", "Statement": [{"Sid": "OnlyGet", "Effect": "Allow", "Action": GET, "Resource": "*"}]}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Policy files by name, written to a temporary folder."""
    out = {}
    for name, document in {"role.json": PIPELINE_ROLE, "all.json": ALLOW_ALL, "get.json": ONLY_GET}.items():
        (tmp_path / name).write_text(json.dumps(document))
        out[name] = str(tmp_path / name)
    return out


def simulate(*args: str, columns: int | None = None) -> Any:
    env = {"COLUMNS": str(columns)} if columns else None
    return CliRunner(env=env).invoke(app, ["policy", "simulate", *args])


def results(*args: str) -> list[dict[str, Any]]:
    result = simulate(*args, "--json")
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)["results"]
    return rows


# -- rows and decisions ------------------------------------------------------------------------

def test_json_has_one_result_per_action_and_resource_with_the_promised_fields(files: dict[str, str]) -> None:
    rows = results("--policy", files["role.json"], "-a", USE, "-a", CREATE, "-r", CONNECTION, "-r", "*")
    assert [(r["action"], r["resource"]) for r in rows] == [(USE, CONNECTION), (USE, "*"), (CREATE, CONNECTION),
                                                           (CREATE, "*")]
    for row in rows:
        assert set(row) == {"action", "resource", "principal", "decision", "matched", "deniedBy", "reason",
                            "missingContextKeys", "nearMisses"}
    assert rows[0]["matched"] == [{"policy": "role.json", "sid": "AllowUse", "effect": "Allow", "kind": "identity"}]
    assert (rows[0]["decision"], rows[0]["deniedBy"], rows[0]["reason"]) == ("allowed", None, "allowed")


@pytest.mark.parametrize("extra, decision, denied_by, reason", [
    pytest.param(["-c", "codestar-connections:ProviderAction=GitPush", "-c", "codestar-connections:BranchName=main"],
                 "explicitDeny", "identity", "with an explicit deny in an identity-based policy",
                 id="explicit deny in the identity policy"),
    pytest.param(["-c", "codestar-connections:ProviderAction=GitPush", "-c", "codestar-connections:BranchName=dev"],
                 "allowed", None, "allowed", id="push to another branch"),
    pytest.param(["--permissions-boundary", "get.json"], "implicitDeny", "boundary",
                 "because no permissions boundary allows the action", id="the boundary does not allow"),
    pytest.param(["--session-policy", "get.json", "--principal", f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s"],
                 "implicitDeny", "session", "because no session policy allows the action",
                 id="the session policy does not allow"),
    pytest.param(["--scp", "all.json", "--scp", "get.json"], "implicitDeny", "scp",
                 "because no service control policy allows the action", id="one SCP level does not allow"),
    pytest.param(["--scp", "all.json", "--scp", "all.json,get.json"], "allowed", None, "allowed",
                 id="policies of one level are comma-separated"),
    pytest.param(["--rcp", "get.json"], "implicitDeny", "rcp", "because no resource control policy allows the action",
                 id="an RCP level does not allow"),
])
def test_the_decision_says_which_kind_of_policy_denied(files: dict[str, str], extra: list[str], decision: str,
                                                       denied_by: str | None, reason: str) -> None:
    folder = str(Path(files["role.json"]).parent)
    extra = [",".join(f"{folder}/{p}" for p in a.split(",")) if a.endswith(".json") else a for a in extra]
    [row] = results("--policy", files["role.json"], "-a", USE, "-r", CONNECTION, *extra)
    assert (row["decision"], row["deniedBy"], row["reason"]) == (decision, denied_by, reason)


def test_the_default_caller_is_in_the_resources_account(files: dict[str, str]) -> None:
    rows = results("--policy", files["role.json"], "-a", GET, "-r", CONNECTION, "-r", "*")
    assert [r["principal"] for r in rows] == [f"arn:aws:iam::{ACCOUNT}:user/simulated",
                                              "arn:aws:iam::123456789012:user/simulated"]
    assert all(r["decision"] == "allowed" for r in rows)


def test_a_caller_from_another_account_needs_the_resource_policy(tmp_path: Path, files: dict[str, str]) -> None:
    resource_policy = tmp_path / "resource.yaml"
    resource_policy.write_text(f"""
Version: 2012-10-17
Statement:
  - Sid: LetOtherAccountGet
    Effect: Allow
    Principal: {{AWS: "arn:aws:iam::{OTHER}:root"}}
    Action: {GET}
    Resource: "*"
""")
    caller = ["--principal", f"arn:aws:iam::{OTHER}:user/bob", "--policy", files["role.json"], "-r", CONNECTION]
    [without] = results(*caller, "-a", GET)
    [with_it] = results(*caller, "-a", GET, "--resource-policy", str(resource_policy))
    assert (without["decision"], without["deniedBy"]) == ("implicitDeny", "resource")
    assert with_it["decision"] == "allowed"
    assert {m["kind"] for m in with_it["matched"]} == {"identity", "resource"}


def test_a_service_principal_is_its_service_name(tmp_path: Path) -> None:
    resource_policy = tmp_path / "resource.json"
    resource_policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": USE, "Resource": "*"}]}))
    [row] = results("--principal", "codepipeline.amazonaws.com", "--resource-policy", str(resource_policy),
                    "-a", USE, "-r", CONNECTION)
    assert row["decision"] == "allowed"


# -- context -----------------------------------------------------------------------------------

def tag_keys_policy(tmp_path: Path) -> str:
    path = tmp_path / "tags.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": CREATE,
        "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]},
                                       "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}]}))
    return str(path)


@pytest.mark.parametrize("context, decision", [
    pytest.param(["-c", "aws:TagKeys=team,env", "-c", "aws:MultiFactorAuthAge=60"], "allowed",
                 id="declared types: a list key and a number"),
    pytest.param(["-c", "aws:TagKeys=team", "-c", "aws:TagKeys=owner", "-c", "aws:MultiFactorAuthAge=60"],
                 "implicitDeny", id="repeating a key adds values"),
    pytest.param(["-c", "aws:TagKeys=team:stringList", "-c", "aws:MultiFactorAuthAge=60:numeric"], "allowed",
                 id="explicit types"),
    pytest.param(["--context-entry", "ContextKeyName=aws:TagKeys,ContextKeyValues=team,env,ContextKeyType=stringList",
                  "--context-entry", "ContextKeyName=aws:MultiFactorAuthAge,ContextKeyValues=60,ContextKeyType=numeric"],
                 "allowed", id="simulate-custom-policy shorthand"),
    pytest.param(["--context-entry", json.dumps([
        {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["team", "env"], "ContextKeyType": "stringList"},
        {"ContextKeyName": "aws:MultiFactorAuthAge", "ContextKeyValues": ["60"], "ContextKeyType": "numeric"}])],
                 "allowed", id="simulate-custom-policy JSON"),
])
def test_context_values_are_typed(tmp_path: Path, context: list[str], decision: str) -> None:
    [row] = results("--policy", tag_keys_policy(tmp_path), "-a", CREATE, *context)
    assert row["decision"] == decision


@pytest.mark.parametrize("context, message", [
    pytest.param(["-c", "aws:CurrentTime=yesterday"],
                 "context key 'aws:CurrentTime': 'yesterday' is not an ISO 8601 date or epoch seconds (Date)",
                 id="a Date key"),
    pytest.param(["-c", "aws:SourceIp=10.0.0.1,10.0.0.2"], "context key 'aws:SourceIp' takes one value (IPAddress), got 2",
                 id="a single-valued key"),
    pytest.param(["-c", "aws:MultiFactorAuthAge=soon:numeric"], "'soon' is not a number (Numeric)",
                 id="an explicit type"),
    pytest.param(["-c", "aws:SourceIp"], "--context 'aws:SourceIp': expected KEY=VALUE[,VALUE...][:TYPE]",
                 id="no value"),
    pytest.param(["--context-entry", "ContextKeyName=k,ContextKeyValues=v,ContextKeyType=text"],
                 "unknown type 'text'", id="an unknown type"),
    pytest.param(["--context-entry", "Name=k"], "expected ContextKeyName=KEY,ContextKeyValues=V1,V2",
                 id="not shorthand"),
])
def test_a_bad_context_value_exits_2_naming_the_key(files: dict[str, str], context: list[str], message: str) -> None:
    result = simulate("--policy", files["role.json"], "-a", USE, *context)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


# -- exit codes and bad input ----------------------------------------------------------------------

@pytest.mark.parametrize("args, code", [
    pytest.param(["-a", GET], 0, id="allowed"),
    pytest.param(["-a", CREATE], 0, id="denied without --fail-on-deny"),
    pytest.param(["-a", GET, "--fail-on-deny"], 0, id="all allowed with --fail-on-deny"),
    pytest.param(["-a", GET, "-a", CREATE, "--fail-on-deny"], 1, id="one denied with --fail-on-deny"),
])
def test_exit_codes(files: dict[str, str], args: list[str], code: int) -> None:
    assert simulate("--policy", files["role.json"], *args).exit_code == code


def test_a_malformed_policy_exits_2_with_the_json_path_of_each_fault(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Alow", "Action": GET, "Resource": "*"}, {"Effect": "Allow", "Action": GET}]}))
    broken = tmp_path / "broken.yaml"
    broken.write_text("Statement: [")
    result = simulate("--policy", str(bad), "--scp", f"{broken},{tmp_path / 'missing.json'}", "-a", GET)
    assert result.exit_code == 2
    assert result.stdout == ""
    for line in (f"error: {bad}: Statement[0].Effect: must be \"Allow\" or \"Deny\", not 'Alow'",
                 f"error: {bad}: Statement[1].Resource: missing required field (Resource or NotResource)",
                 f"error: {broken}: not valid YAML",
                 f"error: {tmp_path / 'missing.json'}: cannot read: No such file or directory"):
        assert line in result.stderr


@pytest.mark.parametrize("args, message", [
    pytest.param(["-a", "UseConnection"], "action 'UseConnection' is not of the form service:action", id="action"),
    pytest.param(["-a", GET, "--principal", "bob"], "principal 'bob' is not an IAM or STS ARN", id="principal"),
])
def test_a_request_that_cannot_be_made_exits_2(files: dict[str, str], args: list[str], message: str) -> None:
    result = simulate("--policy", files["role.json"], *args)
    assert result.exit_code == 2 and message in result.stderr


def test_an_action_missing_from_the_catalog_is_warned_about(files: dict[str, str]) -> None:
    result = simulate("--policy", files["role.json"], "-a", "codestar-connections:UseConnections")
    assert result.exit_code == 0
    assert "warning: codestar-connections:UseConnections is not an action of codestar-connections" in result.stderr


# -- the table -----------------------------------------------------------------------------------------

def test_the_table_shows_decision_deciding_statements_and_why(files: dict[str, str]) -> None:
    result = simulate("--policy", files["role.json"], "-a", USE, "-a", CREATE, "-r", CONNECTION,
                      "-c", "codestar-connections:ProviderAction=GitPush", "-c", "codestar-connections:BranchName=main",
                      columns=250)
    out = result.stdout
    assert f"principal: arn:aws:iam::{ACCOUNT}:user/simulated" in out
    use_row = next(line for line in out.splitlines() if USE in line)
    assert "explicitDeny" in use_row and "role.json/DenyPushToMain" in use_row
    assert "explicit deny in an identity-based policy" in use_row
    create_row = next(line for line in out.splitlines() if CREATE in line)
    assert "implicitDeny" in create_row and "no identity-based policy allows" in create_row


def test_an_implicit_deny_names_the_keys_the_nearly_matching_statement_wanted(tmp_path: Path) -> None:
    """The README's example policy, asked about without FullRepositoryId: what was missing is said."""
    example = Path(__file__).resolve().parents[2] / "examples" / "read-only-pipeline-role" / "pipeline-role.json"
    (row,) = results("--policy", str(example), "-a", USE, "-r", CONNECTION,
                     "-c", "codestar-connections:ProviderAction=GitPull")
    assert row["decision"] == "implicitDeny"
    assert row["missingContextKeys"] == ["codestar-connections:ProviderPermissionsRequired",
                                         "codestar-connections:FullRepositoryId"]
    assert [m["sid"] for m in row["nearMisses"]] == ["ReadApprovedRepositories"]
