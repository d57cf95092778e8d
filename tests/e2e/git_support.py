"""The stock git CLI, run as a user of the git endpoint would run it, in an environment of the test's own.

HOME is the test's (no ~/.gitconfig of the machine), the system config is off,
prompts are off, and the credential helper is `codeconn git-credential` run by this
Python, with the keys given in AWS's environment variables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from codeconn.providers.local import create_repository


def git_env(home: Path, credentials: Mapping[str, str] | None = None) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "AWS_"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", AWS_CONFIG_FILE=str(home / "aws-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"), AWS_EC2_METADATA_DISABLED="true",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    env.update(credentials or {})
    helper = f'!"{sys.executable}" -m codeconn git-credential'
    for key, value in (("credential.helper", helper), ("credential.useHttpPath", "true"),
                       ("init.defaultBranch", "main"), ("protocol.version", "2")):
        subprocess.run(["git", "config", "--global", key, value], env=env, check=True)
    return env


def git(args: Sequence[str], env: Mapping[str, str], cwd: Path | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=120,
                            check=False, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def seeded_repository(root: Path, owner: str, name: str, scratch: Path) -> Path:
    """A bare repository `<root>/<owner>/<name>.git` with one commit on main."""
    bare = create_repository(root, owner, name)
    work = scratch / f"seed-{owner}-{name}"
    env = git_env(scratch / "seed-home")
    git(["init", "-q", "-b", "main", str(work)], env)
    (work / "README").write_text(f"{owner}/{name}\n")
    git(["add", "README"], env, cwd=work)
    git(["commit", "-q", "-m", "seed"], env, cwd=work)
    git(["push", "-q", str(bare), "main"], env, cwd=work)
    return bare


def refs(bare: Path) -> str:
    return subprocess.run(["git", f"--git-dir={bare}", "for-each-ref"], capture_output=True, text=True,
                          check=True).stdout
