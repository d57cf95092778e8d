"""One corpus through every door (library, CLI, SimulateCustomPolicy, enforcement) agrees; issue 14's example.

Every case of the project's policy test corpus (`corpus.CORPUS`: tests/data/engine,
the examples, the benchmark workload) is decided by the library
(`codeconn.policytest.run_cases`); each other door must give the same decision for
every case it can express, and a case it cannot express must be excluded by one of
the reasons in that door's table below, so that nothing drifts silently:

- the CLI (`codeconn policy test --json` over every file) expresses every case;
- `iam:SimulateCustomPolicy` on a real `codeconn serve` process, through boto3,
  cases batched by policies, caller, context and resource owner (one call per
  action, its resources in ResourceArns, pages followed); the whole workload runs
  (no sample);
- enforcement: the case's caller as a real IAM user of the server (its identity
  policies inline, its boundary as a managed policy set as the boundary) calling
  the real connections operation that performs the case's action with the case's
  context. Only CreateConnection (both service prefixes) is such an operation in
  the corpus today; ListConnections is in the table and acts on
  `connection/*`, which no corpus case asks about.

A caller that SimulateCustomPolicy cannot name (it takes only an IAM user's ARN) is
simulated as a user of the same account and name when its decision cannot depend on
who it is: it is a role session or federated user (not a service-linked role), no
resource-based policy applies, and no policy mentions a principal key or a policy
variable (`PRINCIPAL_WORDS`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from corpus import ROOT, CorpusCase, load_corpus
from serve_process import ServeProcess, serve
from typer.testing import CliRunner

from codeconn.cli import app
from codeconn.iam import PrincipalType

pytestmark = pytest.mark.slow

SERVER_ACCOUNT = "111122223333"  # the corpus's own account: its users can be the server's
REGION = "us-east-1"

# -- what each door cannot express, and why --------------------------------------------------------

CUSTOM_POLICY_CANNOT: dict[str, str] = {
    "session policy": "SimulateCustomPolicy has no session policy input (AWS: PolicyInputList policies "
                      "'cannot be \"scope-down\" policies'), and its caller is an IAM user, which has no session",
    "resource control policies": "the API takes SCP levels (OrderedOrganizationPolicyInputList) but no RCPs",
    "caller": "CallerArn takes only an IAM user's ARN (AWS), and this caller's decision depends on who it is: "
              "the root, a service, an anonymous or web-identity caller, a service-linked role, or a session "
              "whose policies (a resource-based policy, a principal key, a policy variable) look at the caller",
}

ENFORCEMENT_CANNOT: dict[str, str] = {
    "no operation": "no codeconn operation performs this action on this resource (UseConnection and "
                    "PassConnection are asked by code-host and pipeline paths codeconn does not serve yet; "
                    "s3, codepipeline and the corpus's iam cases name resources no IAM operation acts on)",
    "parameter value": "the context value is not one the operation's API accepts (ProviderType is an enum of "
                       "the model), so the call is refused before anything is decided",
    "organization": "the server's SCPs and RCPs are fixed when it starts (--org-policies); the cases with "
                    "their own are decided through SimulateCustomPolicy and the library",
    "session policy": "a session policy needs an AssumeRole with Policy, whose caller then is the session",
    "resource policy": "connections have no resource-based policy",
    "caller": "the caller must be (or stand for, as for SimulateCustomPolicy) a user of the server's account",
    "boundary documents": "IAM sets one managed policy as a boundary; the case reads several documents as one",
}

PRINCIPAL_WORDS = ("${", "aws:principal", "aws:userid", "aws:username", "aws:sourceidentity",
                   "aws:federatedprovider", "aws:rolesessionname", "aws:tokenissuetime", "aws:multifactor")
MAPPABLE = frozenset({PrincipalType.ROLE_SESSION, PrincipalType.FEDERATED_USER})


def simulated_caller(case: CorpusCase) -> str | None:
    """The IAM user ARN that stands for the case's caller, or None when none can."""
    principal = case.case.request.principal
    if principal.type is PrincipalType.USER:
        return principal.arn
    if (principal.type in MAPPABLE and not principal.service_linked and case.case.policies.resource is None
            and not any(word in case.text for word in PRINCIPAL_WORDS)):
        name = (principal.role_arn or principal.arn).rsplit("/", 1)[-1]
        return f"arn:aws:iam::{principal.account}:user/{name}"
    return None


def resource_owner(case: CorpusCase) -> str | None | bool:
    """ResourceOwner for the case (None: leave it out), or False when the case's account contradicts its ARN."""
    request = case.case.request
    parts = request.resource.split(":", 5)
    named = parts[4] if len(parts) == 6 and parts[0] == "arn" else ""
    if named:
        return None if request.resource_account == named else False
    return f"arn:aws:iam::{request.resource_account}:root" if request.resource_account else None


# -- SimulateCustomPolicy -----------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    """Cases that one SimulateCustomPolicy call per action can decide together."""

    params: dict[str, Any]
    cases: list[CorpusCase]


def custom_policy_door(case: CorpusCase) -> tuple[tuple[Any, ...], dict[str, Any]] | str:
    """(batch key, the call's parameters but ActionNames and ResourceArns), or why the door cannot."""
    policies = case.case.policies
    if policies.session:
        return "session policy"
    if policies.rcps:
        return "resource control policies"
    caller = simulated_caller(case)
    if caller is None:
        return "caller"
    owner = resource_owner(case)
    if owner is False:
        return "account"
    context = case.context
    params: dict[str, Any] = {
        "PolicyInputList": case.documents_of("identityPolicies"), "CallerArn": caller,
        "ContextEntries": [{"ContextKeyName": k, "ContextKeyValues": v} for k, v in context.items()]}
    if policies.boundaries:
        params["PermissionsBoundaryPolicyInputList"] = case.documents_of("permissionBoundaries")
    if case.resource_policy is not None:
        params["ResourcePolicy"] = case.resource_policy
    if policies.scps:
        params["OrderedOrganizationPolicyInputList"] = [
            {"ServiceControlPolicyInputList": level} for level in case.levels_of("serviceControlPolicies")]
    if owner:
        params["ResourceOwner"] = owner
    key = (case.file, id(policies), caller, json.dumps(context, sort_keys=True), owner,
           case.case.request.action)
    return key, params


def batches(corpus: list[CorpusCase]) -> tuple[list[Batch], dict[str, list[CorpusCase]]]:
    grouped: dict[tuple[Any, ...], Batch] = {}
    excluded: dict[str, list[CorpusCase]] = defaultdict(list)
    for case in corpus:
        door = custom_policy_door(case)
        if isinstance(door, str):
            excluded[door].append(case)
            continue
        key, params = door
        grouped.setdefault(key, Batch(params, [])).cases.append(case)
    return list(grouped.values()), dict(excluded)


CHUNK = 200  # ResourceArns per call, to keep each request small


def simulate(iam: Any, batch: Batch) -> dict[tuple[str, str], str]:
    """(action, resource) -> EvalDecision for every case of the batch, pages followed."""
    action = batch.cases[0].case.request.action
    resources = sorted({c.case.request.resource for c in batch.cases})
    decisions: dict[tuple[str, str], str] = {}
    for start in range(0, len(resources), CHUNK):
        marker: dict[str, str] = {}
        while True:
            out = iam.simulate_custom_policy(**batch.params, ActionNames=[action],
                                             ResourceArns=resources[start:start + CHUNK], MaxItems=1000, **marker)
            for result in out["EvaluationResults"]:
                decisions[(result["EvalActionName"], result["EvalResourceName"])] = result["EvalDecision"]
            if not out["IsTruncated"]:
                break
            marker = {"Marker": out["Marker"]}
    return decisions


# -- enforcement --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Operation:
    """A connections operation that performs an action: the resource it asks about and its keys as parameters."""

    name: str
    resource: Callable[[str], str]  # service prefix -> the resource it authorizes on
    parameters: dict[str, str]  # condition key (without prefix, lower case) -> request parameter
    fixed: Callable[[int], dict[str, Any]]  # the call's serial number -> the other parameters it needs


OPERATIONS: dict[str, Operation] = {
    "createconnection": Operation("CreateConnection", lambda prefix: "*", {"providertype": "ProviderType"},
                                  lambda serial: {"ConnectionName": f"corpus-{serial}"}),
    "listconnections": Operation("ListConnections",
                                 lambda prefix: f"arn:aws:{prefix}:{REGION}:{SERVER_ACCOUNT}:connection/*",
                                 {"providertypefilter": "ProviderTypeFilter"}, lambda serial: {}),
}
PREFIXES = ("codestar-connections", "codeconnections")


def enforcement_door(case: CorpusCase) -> tuple[Operation, str, dict[str, Any]] | str:
    """(operation, service prefix, its parameters), or why the case cannot be enforced for real."""
    policies = case.case.policies
    caller = simulated_caller(case)
    if policies.scps or policies.rcps:
        return "organization"
    if policies.session:
        return "session policy"
    if policies.resource is not None:
        return "resource policy"
    if caller is None or f":{SERVER_ACCOUNT}:" not in caller:
        return "caller"
    if len(policies.boundaries) > 1:
        return "boundary documents"
    request = case.case.request
    prefix, _, name = request.action.lower().partition(":")
    operation = OPERATIONS.get(name) if prefix in PREFIXES else None
    if operation is None or operation.resource(prefix) != request.resource:
        return "no operation"
    params: dict[str, Any] = {}
    for key, values in case.context.items():
        key_prefix, _, key_name = key.lower().partition(":")
        parameter = operation.parameters.get(key_name) if key_prefix == prefix else None
        if parameter is None or len(values) != 1:
            return "context"
        if not _accepted(prefix, operation.name, parameter, values[0]):
            return "parameter value"
        params[parameter] = values[0]
    return operation, prefix, params


_MODELS = {prefix: botocore.session.get_session().get_service_model(prefix) for prefix in PREFIXES}


def _accepted(prefix: str, operation: str, parameter: str, value: str) -> bool:
    member = _MODELS[prefix].operation_model(operation).input_shape.members[parameter]
    return not member.enum or value in member.enum


class Principals:
    """IAM users of the server, each set up with one case's policies before it calls."""

    def __init__(self, server: ServeProcess) -> None:
        self.server = server
        self.iam = server.client("iam")
        self.keys: dict[str, tuple[str, str]] = {}
        self.boundaries = 0
        self.calls = 0

    def user(self, arn: str, case: CorpusCase) -> tuple[str, str]:
        """The user of `arn` with exactly the case's identity policies and boundary; its access key."""
        path_and_name = arn.split(":user", 1)[1]
        path, name = path_and_name.rsplit("/", 1)
        if arn not in self.keys:
            self.iam.create_user(UserName=name, Path=f"{path}/")
            key = self.iam.create_access_key(UserName=name)["AccessKey"]
            self.keys[arn] = (key["AccessKeyId"], key["SecretAccessKey"])
        for policy in self.iam.list_user_policies(UserName=name)["PolicyNames"]:
            self.iam.delete_user_policy(UserName=name, PolicyName=policy)
        for number, document in enumerate(case.documents_of("identityPolicies")):
            self.iam.put_user_policy(UserName=name, PolicyName=f"p{number}", PolicyDocument=document)
        if self.iam.get_user(UserName=name)["User"].get("PermissionsBoundary"):
            self.iam.delete_user_permissions_boundary(UserName=name)
        for document in case.documents_of("permissionBoundaries"):
            self.boundaries += 1
            boundary = self.iam.create_policy(PolicyName=f"boundary-{self.boundaries}", PolicyDocument=document)
            self.iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary["Policy"]["Arn"])
        return self.keys[arn]

    def decide(self, case: CorpusCase, operation: Operation, prefix: str, params: dict[str, Any]) -> str:
        caller = simulated_caller(case)
        assert caller is not None
        key, secret = self.user(caller, case)
        client = self.server.client(prefix, key, secret)
        method = getattr(client, "_".join(part.lower() for part in _words(operation.name)))
        self.calls += 1
        try:
            method(**operation.fixed(self.calls), **params)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDeniedException", error
            return "explicitDeny" if "with an explicit deny" in error.response["Error"]["Message"] else "implicitDeny"
        return "allowed"


def _words(name: str) -> list[str]:
    words: list[str] = []
    for char in name:
        if char.isupper() or not words:
            words.append(char)
        else:
            words[-1] += char
    return words


# -- the tests ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus() -> list[CorpusCase]:
    return load_corpus()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serve(tmp_path_factory.mktemp("corpus"), "--account-id", SERVER_ACCOUNT) as process:
        yield process


def _reasons_are_the_tables(excluded: dict[str, list[CorpusCase]], table: dict[str, str]) -> None:
    """Every exclusion has its reason in the table, and every reason in the table excludes some case."""
    assert set(excluded) <= set(table), f"reasons missing from the table: {set(excluded) - set(table)}"
    assert set(table) <= set(excluded), f"reasons no case needs any more: {set(table) - set(excluded)}"


def test_the_corpus_is_the_projects_policy_test_files(corpus: list[CorpusCase]) -> None:
    files = {c.file for c in corpus}
    assert "benchmarks/data/iam-workload.json" in files
    assert {f for f in files if f.startswith("examples/")} and {f for f in files if f.startswith("tests/data/engine")}
    assert sum(c.file == "benchmarks/data/iam-workload.json" for c in corpus) == 10_000


def test_the_cli_gives_the_librarys_decision_for_every_case(corpus: list[CorpusCase]) -> None:
    files = sorted({c.file for c in corpus})
    result = CliRunner().invoke(app, ["policy", "test", "--json", *(str(ROOT / f) for f in files)])
    out = json.loads(result.stdout)
    decided = {(str(Path(c["file"]).relative_to(ROOT)), c["name"]): c["decision"] for c in out["cases"]}
    assert len(decided) == len(corpus)
    assert [c.id for c in corpus if decided[(c.file, c.case.name)] != c.decision] == []


def test_simulate_custom_policy_gives_the_librarys_decision(corpus: list[CorpusCase], server: ServeProcess) -> None:
    found, excluded = batches(corpus)
    _reasons_are_the_tables(excluded, CUSTOM_POLICY_CANNOT)
    iam = server.client("iam")
    differ: list[str] = []
    run = 0
    for batch in found:
        decisions = simulate(iam, batch)
        for case in batch.cases:
            run += 1
            request = case.case.request
            if decisions[(request.action, request.resource)] != case.decision:
                differ.append(f"{case.id}: {decisions[(request.action, request.resource)]}, "
                              f"the library: {case.decision}")
    assert differ == []
    assert run + sum(map(len, excluded.values())) == len(corpus)
    assert run > 10_000  # the whole workload and most of the rest


def test_enforcement_gives_the_librarys_decision(corpus: list[CorpusCase], server: ServeProcess) -> None:
    principals = Principals(server)
    excluded: dict[str, list[CorpusCase]] = defaultdict(list)
    ran: Counter[str] = Counter()
    differ: list[str] = []
    for case in corpus:
        door = enforcement_door(case)
        if isinstance(door, str):
            excluded[door].append(case)
            continue
        decision = principals.decide(case, *door)
        ran[door[0].name] += 1
        if decision != case.decision:
            differ.append(f"{case.id}: {decision}, the library: {case.decision}")
    _reasons_are_the_tables(excluded, ENFORCEMENT_CANNOT)
    assert differ == []
    assert sum(ran.values()) + sum(map(len, excluded.values())) == len(corpus)
    assert ran["CreateConnection"] >= 5, ran


# -- issue 14's example -------------------------------------------------------------------------
# `--resource-owner arn:aws:iam::123456789012:root` names the caller's own account, so the
# request is not cross-account and the policy allows it, as the engine says. The policy is the
# argument's text rather than `file://`: AWS CLI v1 reads a `file://` value of a string-list
# parameter as a list of its characters (CLI v2 reads one document): the CLI's doing, not the server's.

EXAMPLE_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::my-bucket",
    "Condition": {"StringEquals": {"aws:ResourceTag/Environment": "production"}}}]}
EXAMPLE_CALLER = "arn:aws:iam::123456789012:user/test-user"
EXAMPLE_OWNER = "arn:aws:iam::123456789012:root"


def test_the_aws_cli_example_is_allowed(server: ServeProcess, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty),
               AWS_MAX_ATTEMPTS="1", AWS_PAGER="", AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", server.url, "iam", "simulate-custom-policy",
         "--policy-input-list", json.dumps(EXAMPLE_POLICY), "--action-names", "s3:ListBucket",
         "--resource-arns", "arn:aws:s3:::my-bucket", "--caller-arn", EXAMPLE_CALLER,
         "--resource-owner", EXAMPLE_OWNER,
         "--context-entries",
         "ContextKeyName=aws:ResourceTag/Environment,ContextKeyValues=production,ContextKeyType=string",
         "--query", "EvaluationResults[].EvalDecision", "--output", "text"],
        env=env, capture_output=True, text=True, check=False, timeout=90)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["allowed"]


def test_boto3_gets_the_same_answer_and_is_refused_an_owner_that_is_no_account(server: ServeProcess) -> None:
    iam = server.client("iam")
    params = {"PolicyInputList": [json.dumps(EXAMPLE_POLICY)], "ActionNames": ["s3:ListBucket"],
              "ResourceArns": ["arn:aws:s3:::my-bucket"], "CallerArn": EXAMPLE_CALLER,
              "ContextEntries": [{"ContextKeyName": "aws:ResourceTag/Environment", "ContextKeyValues": ["production"],
                                  "ContextKeyType": "string"}]}
    for owner in ({"ResourceOwner": EXAMPLE_OWNER}, {}):
        out = iam.simulate_custom_policy(**params, **owner)
        assert [r["EvalDecision"] for r in out["EvaluationResults"]] == ["allowed"]
    with pytest.raises(iam.exceptions.InvalidInputException) as raised:
        iam.simulate_custom_policy(**params, ResourceOwner="123456789012")
    assert raised.value.response["Error"]["Message"] == "'123456789012' is not a valid as a Resource Owner."
