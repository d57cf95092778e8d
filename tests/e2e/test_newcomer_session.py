"""The README's newcomer session, for real: `codeconn serve`, boto3 and the AWS CLI.

The first test runs the README's session word for word with bash, and checks
each output the README shows (its `#   ` lines after a command).

The pipelines block runs after the local repository's block, whose session it
continues, and ends with the execution's source artifact listed by `unzip -l`.

Start the server on its embedded defaults, create a role whose policy allows
CreateConnection only for GitHub and a user who may assume it, assume it as that
user (the root may not, as in AWS), see Bitbucket denied (with AWS's
message) and GitHub allowed; the connection is PENDING, visible through both
endpoints, and still there after a restart.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from serve_process import serve

pytestmark = pytest.mark.slow

ACCOUNT = "000000000000"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ConnectionsAdmin"
ASSUME = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}]}
GITHUB_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "GitHubOnly", "Effect": "Allow", "Action": "codestar-connections:CreateConnection", "Resource": "*",
     "Condition": {"StringEquals": {"codestar-connections:ProviderType": "GitHub"}}},
    {"Sid": "Read", "Effect": "Allow",
     "Action": ["codestar-connections:GetConnection", "codestar-connections:ListConnections"], "Resource": "*"}]}


README = Path(__file__).resolve().parents[2] / "README.md"
README_ADDRESS = "http://127.0.0.1:4599"


def readme_session(heading: str = "## A first session with the server") -> tuple[str, list[str]]:
    """A section's first shell block, and the outputs it promises (one per commented block)."""
    text = README.read_text()
    section = text[text.index(heading):]
    section = section[:section.index("\n## ", 1)]
    lines = [line[4:] for line in section.splitlines() if line.startswith("    ")]
    block = lines[:next(i for i, line in enumerate(lines) if not line.strip())] if "" in lines else lines
    promised: list[str] = []
    previous_was_output = False
    for line in block:
        if line.startswith("#   "):
            if previous_was_output:
                promised[-1] += " " + line[4:]
            else:
                promised.append(line[4:])
        previous_was_output = line.startswith("#   ")
    return "\n".join(block), promised


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


PIPELINES = "## Pipelines: passing a connection to CodePipeline"
LOCAL = "## A connection on a local repository"


@pytest.mark.parametrize(("heading", "at_least"), [
    pytest.param("## A first session with the server", 5, id="first-session"),
    pytest.param(LOCAL, 3, id="local-handshake"),
    pytest.param(PIPELINES, 4, id="pipeline-execution"),
])
def test_the_readme_session_word_for_word(tmp_path: Path, heading: str, at_least: int) -> None:
    script, promised = readme_session(heading)
    assert len(promised) >= at_least, promised
    if heading == PIPELINES:  # the pipelines block continues the local repository's session ($ARN)
        script = readme_session(LOCAL)[0] + "\n" + script
    home = tmp_path / "home"
    home.mkdir()
    data = tmp_path / "data"
    with serve(data) as server:
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        env.update(HOME=str(home), PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
                   CODECONN_ENDPOINT_URL=server.url, AWS_PAGER="")
        # the server's data directory stands in for the default ./.codeconn
        script = script.replace(README_ADDRESS, server.url).replace(".codeconn/", f"{data}/")
        done = subprocess.run(["bash", "-c", script], cwd=README.parent,
                              env=env, capture_output=True, text=True, timeout=300, check=False)
    output = _squeezed(done.stdout + done.stderr)
    for expected in promised:
        pattern = re.escape(_squeezed(expected)).replace(re.escape("..."), ".*?")
        assert re.search(pattern, output), f"the README promises {expected!r}; the session printed:\n" \
                                           f"{done.stdout}\n{done.stderr}"


def assume_connections_admin(server) -> dict[str, str]:
    """As the root: a role and a user who may assume it (AWS refuses AssumeRole by a root)."""
    iam = server.client("iam")
    iam.create_role(RoleName="ConnectionsAdmin", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="ConnectionsAdmin", PolicyName="github-only", PolicyDocument=json.dumps(GITHUB_ONLY))
    iam.create_user(UserName="dev")
    iam.put_user_policy(UserName="dev", PolicyName="assume", PolicyDocument=json.dumps(ASSUME))
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    with pytest.raises(ClientError) as root_refused:
        server.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="root")
    assert root_refused.value.response["Error"]["Message"] == "Roles may not be assumed by root accounts."
    sts = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    return sts.assume_role(RoleArn=ROLE, RoleSessionName="newcomer")["Credentials"]


def test_a_role_that_may_only_create_github_connections(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve(data) as server:
        assert any("test" in line and "AWS_SECRET_ACCESS_KEY" in line for line in server.output)
        creds = assume_connections_admin(server)
        connections = server.client("codestar-connections", creds["AccessKeyId"], creds["SecretAccessKey"],
                                    creds["SessionToken"])
        with pytest.raises(ClientError) as denied:
            connections.create_connection(ProviderType="Bitbucket", ConnectionName="bb")
        error = denied.value.response["Error"]
        assert error["Code"] == "AccessDeniedException"
        assert error["Message"] == (
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/ConnectionsAdmin/newcomer is not authorized to perform: "
            "codestar-connections:CreateConnection on resource: * because no identity-based policy allows the "
            "codestar-connections:CreateConnection action")
        arn = connections.create_connection(ProviderType="GitHub", ConnectionName="app")["ConnectionArn"]
        assert arn.startswith(f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/")
        got = connections.get_connection(ConnectionArn=arn)["Connection"]
        assert (got["ConnectionName"], got["ProviderType"], got["ConnectionStatus"]) == ("app", "GitHub", "PENDING")
        assert [c["ConnectionName"] for c in connections.list_connections()["Connections"]] == ["app"]
        # the other endpoint accepts the resource created through this one (the root may read it)
        other = server.client("codeconnections")
        assert other.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "app"
        assert server.stop() == 0

    with serve(data) as restarted:  # data survives a restart
        names = [c["ConnectionName"] for c in restarted.client("codestar-connections").list_connections()[
            "Connections"]]
        assert names == ["app"]


def test_the_aws_cli_works_unchanged(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "config")}
    with serve(tmp_path / "data") as server:
        def aws(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", server.url, *args,
                                   "--output", "json"], env=env, capture_output=True, text=True, timeout=60)

        created = aws("codestar-connections", "create-connection", "--provider-type", "GitHub",
                      "--connection-name", "app")
        assert created.returncode == 0, created.stderr
        arn = json.loads(created.stdout)["ConnectionArn"]
        listed = aws("codeconnections", "list-connections")
        assert listed.returncode == 0, listed.stderr
        assert [c["ConnectionArn"] for c in json.loads(listed.stdout)["Connections"]] == [arn]
        missing = aws("codestar-connections", "get-connection", "--connection-arn", arn[:-4] + "ffff")
        assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
