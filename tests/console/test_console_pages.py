"""The console's pages over the real components, without a browser: each runs the API's operations.

The local handshake end to end (a bare repository made with git), the repository
picker's UseConnection decisions, a denial shown with its explanation, a hostile
connection name and tag value escaped, pipelines and the audit log with filters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from console_app import ConsoleApp

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))

from console_browser import INSTALLER_POLICY, pipeline_definition  # noqa: E402
from handshake_clients import bare_repository  # noqa: E402

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_TAG = '"><img src=x onerror=alert(1)>'


def _connection(console: ConsoleApp, name: str = "api", tags: list[dict[str, str]] | None = None) -> str:
    params: dict[str, object] = {"ProviderType": "GitHub", "ConnectionName": name}
    if tags:
        params["Tags"] = tags
    return str(console.api("codestar-connections", "CreateConnection", params)["ConnectionArn"])


def _complete(console: ConsoleApp, arn: str, installation: str = "acme") -> object:
    handshake = f"/console/connection/handshake?arn={arn}"
    token = console.post("/console/connection/token", {"arn": arn}, token_from=handshake)
    assert token.status_code == 303, token.text
    picker = console.client.get(token.headers["location"])
    assert picker.status_code == 200 and f'value="{installation}"' in picker.text
    return console.post("/console/connection/install", {"arn": arn, "installation_id": installation},
                        token_from=token.headers["location"])


def test_the_local_handshake_in_the_console_makes_the_connection_available(console: ConsoleApp) -> None:
    bare_repository(console.config.repositories_root / "GitHub", "acme", "api")
    arn = _connection(console)
    listed = console.client.get("/console/connections").text
    assert "api" in listed and "PENDING" in listed and "GitHub" in listed
    page = console.client.get("/console/connection/handshake", params={"arn": arn}).text
    assert 'id="local-form"' in page
    installed = _complete(console, arn)
    assert installed.status_code == 303  # type: ignore[attr-defined]
    got = console.api("codestar-connections", "GetConnection", {"ConnectionArn": arn})["Connection"]
    assert (got["ConnectionStatus"], got["OwnerAccountId"]) == ("AVAILABLE", "acme")
    shown = console.client.get("/console/connection", params={"arn": arn}).text
    assert "AVAILABLE" in shown and "acme" in shown


def test_the_repository_picker_decides_use_connection_for_each_list(console: ConsoleApp) -> None:
    bare_repository(console.config.repositories_root / "GitHub", "acme", "api")
    arn = _connection(console)
    _complete(console, arn)
    owners = console.client.get("/console/repositories", params={"arn": arn})
    assert owners.status_code == 200 and ">acme<" in owners.text
    repos = console.client.get("/console/repositories", params={"arn": arn, "owner": "acme"})
    assert "acme/api" in repos.text
    branches = console.client.get("/console/repositories", params={"arn": arn, "owner": "acme", "repository": "api"})
    assert ">main<" in branches.text
    lines = [json.loads(line) for line in console.config.audit_path.read_text().splitlines()]
    uses = [d for line in lines for d in line.get("decisions", []) if d["action"].endswith(":UseConnection")]
    assert [d.get("providerAction") for d in uses] == ["ListOwners", "ListRepositories", "ListBranches"]
    assert uses[-1]["repository"] == "acme/api" and all(d["decision"] == "allowed" for d in uses)


def test_a_denied_step_shows_the_decisions_explanation(console: ConsoleApp) -> None:
    bare_repository(console.config.repositories_root / "GitHub", "acme", "api")
    bare_repository(console.config.repositories_root / "GitHub", "globex", "web")
    console.api("iam", "CreateUser", {"UserName": "installer"})
    console.api("iam", "PutUserPolicy", {"UserName": "installer", "PolicyName": "p",
                                         "PolicyDocument": json.dumps(INSTALLER_POLICY)})
    key = console.api("iam", "CreateAccessKey", {"UserName": "installer"})["AccessKey"]
    arn = _connection(console)
    console.post("/console/sign-out", {}, token_from="/console/connections")
    signed = console.post("/console/sign-in", {"access_key_id": key["AccessKeyId"],
                                               "secret_access_key": key["SecretAccessKey"]},
                          token_from="/console/sign-in")
    assert signed.status_code == 303
    denied = _complete(console, arn, "globex")
    text = denied.text  # type: ignore[attr-defined]
    assert denied.status_code == 403  # type: ignore[attr-defined]
    assert "AccessDeniedException" in text and "codestar-connections:UpdateConnectionInstallation" in text
    assert "OnlyAcme" in text and "StringEquals codestar-connections:InstallationId is not met" in text
    assert console.api("codestar-connections", "GetConnection",
                       {"ConnectionArn": arn})["Connection"]["ConnectionStatus"] == "PENDING"
    missing = console.client.get("/console/hosts")
    assert missing.status_code == 403 and "codeconnections:ListHosts" in missing.text


def test_a_hostile_connection_name_and_tag_value_are_escaped(console: ConsoleApp) -> None:
    arn = _connection(console, HOSTILE_NAME, [{"Key": "team", "Value": HOSTILE_TAG}])
    for page in (console.client.get("/console/connections"), console.client.get("/console/connection",
                                                                                 params={"arn": arn})):
        assert page.status_code == 200
        assert HOSTILE_NAME not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "<img" not in page.text and "<script" not in page.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in console.client.get(
        "/console/connection", params={"arn": arn}).text


def test_pipelines_show_their_stages_and_executions(console: ConsoleApp) -> None:
    bare_repository(console.config.repositories_root / "GitHub", "acme", "api")
    arn = _connection(console)
    _complete(console, arn)
    console.api("codepipeline", "CreatePipeline", {"pipeline": pipeline_definition(arn)})
    assert "api" in console.client.get("/console/pipelines").text
    page = console.client.get("/console/pipeline", params={"name": "api"}).text
    assert "Source" in page and "Approve" in page and "acme/api" in page
    started = console.api("codepipeline", "ListPipelineExecutions", {"pipelineName": "api"})
    [execution] = started["pipelineExecutionSummaries"]  # CreatePipeline starts one, as in AWS
    assert 'id="executions"' in page and execution["pipelineExecutionId"] in page


def test_the_audit_log_page_filters_as_codeconn_audit_does(console: ConsoleApp) -> None:
    arn = _connection(console)
    console.client.get("/console/connection", params={"arn": arn})
    everything = console.client.get("/console/audit").text
    assert "codestar-connections:GetConnection" in everything
    only_creates = console.client.get("/console/audit", params={"action": "*:CreateConnection"}).text
    assert "codestar-connections:CreateConnection" in only_creates
    assert "codestar-connections:GetConnection" not in only_creates
    assert "no-such" not in console.client.get("/console/audit", params={"decision": "no-such"}).text


def test_a_local_host_is_set_up_from_its_page(console: ConsoleApp, tmp_path: Path) -> None:
    directory = tmp_path / "ghes"
    directory.mkdir()
    arn = console.api("codeconnections", "CreateHost", {"Name": "ghes", "ProviderType": "GitHubEnterpriseServer",
                                                         "ProviderEndpoint": directory.as_uri()})["HostArn"]
    listed = console.client.get("/console/hosts").text
    assert "ghes" in listed and "PENDING" in listed
    done = console.post("/console/host/set-up", {"arn": arn}, token_from=f"/console/host?arn={arn}")
    assert done.status_code == 303, done.text
    assert console.api("codeconnections", "GetHost", {"HostArn": arn})["Status"] == "AVAILABLE"
    assert "AVAILABLE" in console.client.get(done.headers["location"]).text
