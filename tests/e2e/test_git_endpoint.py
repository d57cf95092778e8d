"""The git endpoint end to end: the stock git CLI and `codeconn git-credential` against a real server.

A role whose policy allows GitPull on acme/api clones it and is refused acme/web; a
role denied GitPush unless BranchName is `feature/*` pushes feature/x, is refused
main, and a push touching both is refused whole with the repository unchanged; the
same through a remote provider (GitHub in remote mode, as `--providers` configures it,
its connection made AVAILABLE with a personal access token, its git served by a test
server that must see that stored token, and the client never); a wrong, expired or foreign password is a bare 401. Every
decision is in the audit log, and `AuditFilter` finds them by connection, repository,
branch and ProviderAction.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from codeconn.server.audit import AuditFilter, read_audit
from codeconn.wire.git_password import git_password
from git_http_server import basic, git_http_server
from git_support import git, git_env, refs, seeded_repository
from handshake_clients import handshake_client
from real_server import ACCOUNT, RealServer, real_server

sys.path.insert(0, str(Path(__file__).parents[1] / "providers"))

from github_server import CLIENT_ID, CLIENT_SECRET, PAT, serve_github  # noqa: E402

PREFIX = "codestar-connections"
PULL_API = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": f"{PREFIX}:UseConnection", "Resource": "*",
    "Condition": {"StringEquals": {f"{PREFIX}:FullRepositoryId": "acme/api", f"{PREFIX}:ProviderAction": "GitPull"}}}]}
PUSH_FEATURES = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": f"{PREFIX}:UseConnection", "Resource": "*"},
    {"Effect": "Deny", "Action": f"{PREFIX}:UseConnection", "Resource": "*",
     "Condition": {"StringEquals": {f"{PREFIX}:ProviderAction": "GitPush"},
                   "StringNotLike": {f"{PREFIX}:BranchName": "feature/*"}}}]}
PROVIDER_TOKEN = PAT  # the personal access token the remote connection's handshake stores
SECRET_ENV = "CODECONN_TEST_GIT_GITHUB_SECRET"


@dataclass
class Setup:
    server: RealServer
    connection_arn: str
    puller: dict[str, str]
    pusher: dict[str, str]
    repositories: Path

    def url(self, name: str) -> str:
        return f"{self.server.url}/git/{self.connection_arn.rsplit('/', 1)[1]}/acme/{name}.git"


def _role_credentials(server: RealServer, user_keys: dict[str, str], role: str) -> dict[str, str]:
    sts = boto3.client("sts", endpoint_url=server.url, region_name="us-east-1", **user_keys)
    got = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="git")["Credentials"]
    return {"AWS_ACCESS_KEY_ID": got["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": got["SecretAccessKey"],
            "AWS_SESSION_TOKEN": got["SessionToken"], "AWS_DEFAULT_REGION": "us-east-1"}


def _setup(server: RealServer, repositories: Path, scratch: Path,
           handshake: Callable[[RealServer, str], None] | None = None) -> Setup:
    iam = server.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
    for role, policy in (("Puller", PULL_API), ("Pusher", PUSH_FEATURES)):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName=role, PolicyName="git", PolicyDocument=json.dumps(policy))
    iam.create_user(UserName="dev")
    iam.put_user_policy(UserName="dev", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    user_keys = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    arn = server.client(PREFIX).create_connection(ProviderType="GitHub", ConnectionName="git")["ConnectionArn"]
    (handshake or (lambda running, connection: running.complete_handshake(connection)))(server, arn)
    for name in ("api", "web"):
        seeded_repository(repositories, "acme", name, scratch)
    return Setup(server, arn, _role_credentials(server, user_keys, "Puller"),
                 _role_credentials(server, user_keys, "Pusher"), repositories)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    base = tmp_path_factory.mktemp("git-local")
    with real_server(base / "data") as server:
        yield _setup(server, base / "data" / "repositories" / "GitHub", base)


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Setup, Any]]:
    base = tmp_path_factory.mktemp("git-remote")
    provider_root = base / "provider"
    authorization = basic("x-access-token", PROVIDER_TOKEN)
    with git_http_server(provider_root, authorization) as (url, provider), serve_github() as github:
        providers = base / "providers.json"
        providers.write_text(json.dumps({"providers": {"GitHub": {
            "mode": "remote", "api_url": github.api_url, "web_url": github.url, "git_url": url,
            "client_id": CLIENT_ID, "client_secret_env": SECRET_ENV}}}))
        os.environ[SECRET_ENV] = CLIENT_SECRET
        try:
            with real_server(base / "data", providers_file=providers) as server:
                yield _setup(server, provider_root, base, handshake=_token_handshake), provider
        finally:
            os.environ.pop(SECRET_ENV, None)


def _token_handshake(server: RealServer, arn: str) -> None:
    """The real handshake with a personal access token: the provider's git sees that token, stored."""
    client = handshake_client(server.url, PREFIX)
    token = client.get_individual_access_token(ProviderType="GitHub", PersonalAccessToken=PROVIDER_TOKEN)
    target = client.list_installation_targets(TokenId=token["TokenId"])["InstallationTargets"][0]
    bound = client.update_connection_installation(ConnectionArn=arn, InstallationId=target["InstallationId"],
                                                  TokenId=token["TokenId"])
    assert bound["Connection"]["ConnectionStatus"] == "AVAILABLE"


def _clone(setup: Setup, who: dict[str, str], name: str, home: Path, check: bool = True) -> Any:
    env = git_env(home, who)
    return git(["clone", "-q", setup.url(name), str(home / name)], env, check=check), env


def _commit(work: Path, env: dict[str, str], branch: str, text: str) -> None:
    git(["checkout", "-q", "-B", branch, "origin/main"], env, cwd=work)
    (work / "file.txt").write_text(text)
    git(["add", "file.txt"], env, cwd=work)
    git(["commit", "-q", "-m", text], env, cwd=work)


# -- pull ----------------------------------------------------------------------------------------

def test_a_role_allowed_gitpull_on_acme_api_clones_it_and_is_refused_acme_web(local: Setup, tmp_path: Path) -> None:
    _, env = _clone(local, local.puller, "api", tmp_path)
    assert (tmp_path / "api" / "README").read_text() == "acme/api\n"
    refused = git(["clone", "-q", local.url("web"), str(tmp_path / "web")], env, check=False)
    assert refused.returncode != 0
    assert f"not authorized to perform: {PREFIX}:UseConnection" in refused.stderr
    assert not (tmp_path / "web" / "README").exists()


def test_pushing_needs_gitpush_too(local: Setup, tmp_path: Path) -> None:
    _, env = _clone(local, local.puller, "api", tmp_path)
    work = tmp_path / "api"
    _commit(work, env, "feature/p", "pull only")
    before = refs(local.repositories / "acme" / "api.git")
    pushed = git(["push", "origin", "feature/p"], env, cwd=work, check=False)
    assert pushed.returncode != 0 and "AccessDeniedException" in pushed.stderr
    assert refs(local.repositories / "acme" / "api.git") == before


# -- push ----------------------------------------------------------------------------------------

def _push_story(setup: Setup, home: Path) -> None:
    bare = setup.repositories / "acme" / "api.git"
    _, env = _clone(setup, setup.pusher, "api", home)
    work = home / "api"
    _commit(work, env, "feature/x", "feature work")
    git(["push", "-q", "origin", "feature/x"], env, cwd=work)
    assert "refs/heads/feature/x" in refs(bare)

    _commit(work, env, "main", "straight to main")
    before = refs(bare)
    refused = git(["push", "origin", "main"], env, cwd=work, check=False)
    assert refused.returncode != 0
    assert "[remote rejected] main -> main" in refused.stderr
    assert "AccessDeniedException" in refused.stderr and "explicit deny" in refused.stderr
    assert refs(bare) == before

    _commit(work, env, "feature/y", "more work")
    both = git(["push", "origin", "feature/y", "main"], env, cwd=work, check=False)
    assert both.returncode != 0
    assert "feature/y -> feature/y" in both.stderr and "[remote rejected]" in both.stderr
    assert refs(bare) == before  # feature/y was refused with main: nothing was written

    git(["tag", "v1"], env, cwd=work)
    tagged = git(["push", "origin", "v1"], env, cwd=work, check=False)
    assert tagged.returncode != 0 and "[remote rejected] v1 -> v1" in tagged.stderr
    git(["tag", "feature/t1"], env, cwd=work)
    git(["push", "-q", "origin", "feature/t1"], env, cwd=work)  # a tag's BranchName is its name
    assert "refs/tags/feature/t1" in refs(bare)


def test_a_push_to_feature_x_is_allowed_main_refused_and_both_refused_whole(local: Setup, tmp_path: Path) -> None:
    _push_story(local, tmp_path)


def test_every_decision_is_audited_with_provider_action_repository_and_branch(local: Setup, tmp_path: Path) -> None:
    _, env = _clone(local, local.pusher, "api", tmp_path)
    _commit(tmp_path / "api", env, "main", "audited")
    assert git(["push", "origin", "main"], env, cwd=tmp_path / "api", check=False).returncode != 0
    git(["clone", "-q", local.url("web"), str(tmp_path / "web")], git_env(tmp_path, local.puller), check=False)
    _commit(tmp_path / "api", env, "feature/audited", "audited")
    git(["push", "-q", "origin", "feature/audited"], env, cwd=tmp_path / "api")
    records = read_audit(local.server.config.audit_path).records
    denied_main = list(AuditFilter(connection=local.connection_arn.rsplit("/", 1)[1], repository="acme/api",
                                   branch="main", provider_action="GitPush", decision="explicitDeny").select(records))
    assert denied_main
    decided = [d for d in denied_main[-1].decisions if d.branch == "main"][0]
    assert decided.resource == local.connection_arn and decided.action == f"{PREFIX}:UseConnection"
    assert denied_main[-1].principal == f"arn:aws:sts::{ACCOUNT}:assumed-role/Pusher/git"
    allowed = list(AuditFilter(branch="feature/*", provider_action="GitPush", decision="allowed").select(records))
    assert allowed
    pulls = list(AuditFilter(repository="acme/web", provider_action="GitPull").select(records))
    assert any(r.decision == "implicitDeny" for r in pulls)


def test_a_connection_not_available_is_refused_with_a_message_git_shows(local: Setup, tmp_path: Path) -> None:
    arn = local.server.client(PREFIX).create_connection(ProviderType="GitHub", ConnectionName="pending")[
        "ConnectionArn"]
    url = f"{local.server.url}/git/{arn.rsplit('/', 1)[1]}/acme/api.git"
    result = git(["clone", "-q", url, str(tmp_path / "c")], git_env(tmp_path, local.pusher), check=False)
    assert result.returncode != 0 and "is PENDING" in result.stderr


# -- authentication ------------------------------------------------------------------------------

def _info_refs(setup: Setup, username: str, password: str) -> httpx.Response:
    return httpx.get(setup.url("api") + "/info/refs?service=git-upload-pack",
                     headers={"Authorization": basic(username, password)})


def test_wrong_expired_or_foreign_passwords_are_the_same_bare_401(local: Setup) -> None:
    keys = local.pusher
    username = f"{keys['AWS_ACCESS_KEY_ID']}%{keys['AWS_SESSION_TOKEN']}"
    host = local.server.url.split("//", 1)[1]
    path = "/" + local.url("api").split("/", 3)[3]
    now = datetime.now(UTC)

    def password(**changes: Any) -> str:
        made: dict[str, Any] = {"secret_key": keys["AWS_SECRET_ACCESS_KEY"], "path": path, "host": host,
                                "region": "us-east-1", "now": now}
        return git_password(**{**made, **changes})

    assert _info_refs(local, username, password()).status_code == 200
    refused = [
        _info_refs(local, username, password(secret_key="wrong")),
        _info_refs(local, username, password(now=now - timedelta(minutes=16))),  # expired (or replayed late)
        _info_refs(local, username, password(path=path.replace("api", "web"))),  # another repository's
        _info_refs(local, username, password(host="elsewhere:1")),
        _info_refs(local, keys["AWS_ACCESS_KEY_ID"], password()),  # the session token left out
        _info_refs(local, "AKIAUNKNOWNKEY000000", password()),
        httpx.get(local.url("api") + "/info/refs?service=git-upload-pack"),
        httpx.get(local.url("api") + "/info/refs?service=git-upload-pack",
                  headers={"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}),
    ]
    assert {r.status_code for r in refused} == {401}
    assert {r.headers["www-authenticate"] for r in refused} == {'Basic realm="codeconn"'}
    assert {r.text for r in refused} == {"Authentication failed.\n"}


def test_git_without_keys_gets_no_password(local: Setup, tmp_path: Path) -> None:
    result = git(["clone", "-q", local.url("api"), str(tmp_path / "c")], git_env(tmp_path), check=False)
    assert result.returncode != 0 and not (tmp_path / "c" / "README").exists()


# -- a remote provider ---------------------------------------------------------------------------

def test_the_same_through_a_remote_providers_git_server(remote: tuple[Setup, Any], tmp_path: Path) -> None:
    setup, provider = remote
    _, env = _clone(setup, setup.puller, "api", tmp_path / "puller")
    assert (tmp_path / "puller" / "api" / "README").read_text() == "acme/api\n"
    refused = git(["clone", "-q", setup.url("web"), str(tmp_path / "web")], env, check=False)
    assert refused.returncode != 0 and "not authorized" in refused.stderr
    _push_story(setup, tmp_path / "pusher")
    seen = {value for value in provider.seen}
    assert seen == {basic("x-access-token", PROVIDER_TOKEN)}  # only the stored token reached the provider
    for clone in (tmp_path / "puller" / "api", tmp_path / "pusher" / "api"):
        assert PROVIDER_TOKEN not in (clone / ".git" / "config").read_text()


def test_a_provider_refusing_the_stored_token_is_reported_without_it(remote: tuple[Setup, Any],
                                                                     tmp_path: Path) -> None:
    setup, provider = remote
    expected = provider.authorization
    provider.authorization = basic("x-access-token", "rotated-on-the-provider")
    try:
        result = git(["clone", "-q", setup.url("api"), str(tmp_path / "c")], git_env(tmp_path, setup.pusher),
                     check=False)
    finally:
        provider.authorization = expected
    assert result.returncode != 0
    assert "remote: The provider refused the connection's credentials" in result.stderr
    assert PROVIDER_TOKEN not in result.stderr and "x-access-token" not in result.stderr


def test_an_unknown_repository_is_not_found_once_authorized(local: Setup, tmp_path: Path) -> None:
    url = local.url("api").replace("/acme/api.git", "/acme/missing.git")
    result = git(["clone", "-q", url, str(tmp_path / "c")], git_env(tmp_path, local.pusher), check=False)
    assert result.returncode != 0 and "remote: Repository acme/missing not found" in result.stderr
