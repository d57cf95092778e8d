"""`codeconn serve` itself serves the git endpoint: a clone and a push with the root's key, then `codeconn audit`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from git_support import git, git_env, refs, seeded_repository
from handshake_clients import handshake_client, local_handshake
from serve_process import serve

ACCOUNT = "000000000000"
ROOT_KEYS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}


def test_clone_push_and_audit_through_codeconn_serve(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    bare = seeded_repository(data_dir / "repositories" / "GitLab", "acme", "api", tmp_path)
    with serve(data_dir) as server:
        client = handshake_client(server.url, "codeconnections")
        arn = client.create_connection(ProviderType="GitLab", ConnectionName="g")["ConnectionArn"]
        local_handshake(client, arn, "GitLab", "acme")  # the real handshake, in local mode
        url = f"{server.url}/git/{arn.rsplit('/', 1)[1]}/acme/api.git"
        env = git_env(tmp_path / "home", ROOT_KEYS)
        git(["clone", "-q", url, str(tmp_path / "api")], env)
        (tmp_path / "api" / "new.txt").write_text("new\n")
        git(["add", "new.txt"], env, cwd=tmp_path / "api")
        git(["commit", "-q", "-m", "new"], env, cwd=tmp_path / "api")
        git(["push", "-q", "origin", "main"], env, cwd=tmp_path / "api")
        head = git(["rev-parse", "HEAD"], env, cwd=tmp_path / "api").stdout.strip()
        assert f"{head} commit\trefs/heads/main" in refs(bare)
    audited = subprocess.run([sys.executable, "-m", "codeconn", "audit", "--data-dir", str(data_dir), "--json",
                              "--provider-action", "GitPush", "--branch", "main"],
                             capture_output=True, text=True, check=True)
    lines = [json.loads(line) for line in audited.stdout.splitlines()]
    assert len(lines) == 1 and lines[0]["principal"] == f"arn:aws:iam::{ACCOUNT}:root"
    (decided,) = lines[0]["decisions"]
    assert decided["action"] == "codeconnections:UseConnection" and decided["resource"] == arn
    assert (decided["providerAction"], decided["repository"], decided["branch"], decided["decision"]) == (
        "GitPush", "acme/api", "main", "allowed")
