"""Clone and push through the git endpoint, against the same with git straight from the bare repository.

    .venv/bin/python benchmarks/git_endpoint.py [--files 2000] [--commits 500] [--rounds 3] [--json]

Generates a repository of realistic size with `git fast-import` (`--files` files of
1-4 KiB of text in a few directories, then `--commits` commits each changing a few
of them), puts it where the server's local GitHub provider finds it
(`<data-dir>/repositories/GitHub/acme/big.git`), and serves the real components
(`codeconn serve`'s, IAM enforced) on loopback with a connection made AVAILABLE.
Then, `--rounds` times each, the best kept:

- clone: `git clone` of the endpoint's URL, the credential helper `codeconn
  git-credential` signing with the default account's root key, against `git clone
  --no-local` of the bare repository (git's own upload-pack, no HTTP);
- push: the clone's main pushed to a new empty repository, through the endpoint and
  straight to a bare one.

The table gives seconds for each and the endpoint's ratio over direct git; the
target for clone is at most 1.3x. `--json` prints the same as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3

from codeconn.providers.local import create_repository
from codeconn.server.app import create_app
from codeconn.server.audit import AuditLog
from codeconn.server.components import build_components
from codeconn.server.config import ServeConfig
from codeconn.server.runner import serving_in_thread

ACCOUNT = "000000000000"
CLONE_TARGET = 1.3
WORDS = ("alpha", "beta", "gamma", "delta", "request", "policy", "branch", "commit", "return", "value", "self",
         "connection", "import", "def", "class", "if", "else", "for", "in", "None", "True", "False")


@dataclass(frozen=True)
class Row:
    operation: str
    endpoint_s: float
    direct_s: float

    @property
    def ratio(self) -> float:
        return self.endpoint_s / self.direct_s if self.direct_s else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.operation, "endpoint_s": round(self.endpoint_s, 3),
                "direct_s": round(self.direct_s, 3), "ratio": round(self.ratio, 3)}


def _text(rng: random.Random) -> bytes:
    size = rng.randint(1024, 4096)
    out: list[str] = []
    length = 0
    while length < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) + "\n"
        out.append(line)
        length += len(line)
    return "".join(out).encode()


def generate(bare: Path, files: int, commits: int, seed: int = 10) -> None:
    """`commits` commits on main of a `files`-file tree, written by one `git fast-import`."""
    rng = random.Random(seed)
    paths = [f"src/module{i % 40:02d}/file{i:05d}.py" for i in range(files)]
    stream: list[bytes] = []
    when = 1_700_000_000
    for number in range(commits):
        changed = paths if number == 0 else rng.sample(paths, min(len(paths), rng.randint(1, 6)))
        message = f"change {number}\n".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(f"committer Bench <bench@example.com> {when + number * 60} +0000\n".encode())
        stream.append(b"data %d\n%s\n" % (len(message), message))
        for path in changed:
            data = _text(rng)
            stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
    subprocess.run(["git", f"--git-dir={bare}", "fast-import", "--quiet"], input=b"".join(stream), check=True)
    subprocess.run(["git", f"--git-dir={bare}", "gc", "--quiet"], check=True)


def git_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "AWS_"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=str(home / "aws-config"), AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"))
    helper = f'!"{sys.executable}" -m codeconn git-credential'
    for key, value in (("credential.helper", helper), ("credential.useHttpPath", "true")):
        subprocess.run(["git", "config", "--global", key, value], env=env, check=True)
    return env


def timed(args: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(["git", *args], env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


@contextmanager
def serving(data_dir: Path) -> Iterator[tuple[str, str]]:
    """The real components on loopback, with an AVAILABLE GitHub connection; yields (URL, connection id)."""
    config = ServeConfig(host="127.0.0.1", port=0, data_dir=data_dir)
    components = build_components(config)
    audit = AuditLog(config.audit_path)
    app = create_app(config, store=components.store, secrets=components.secrets, directory=components.directory,
                     authorizer=components.authorizer, registry=components.registry, audit=audit,
                     service_models=components.service_models, iam_catalog=components.iam_catalog)
    try:
        with serving_in_thread(app) as url:
            connections = boto3.client("codestar-connections", endpoint_url=url, region_name="us-east-1",
                                       aws_access_key_id="test", aws_secret_access_key="test")
            arn = connections.create_connection(ProviderType="GitHub", ConnectionName="bench")["ConnectionArn"]
            with components.store.read(ACCOUNT) as reader:
                record = reader.get_by_arn(arn)
            assert record is not None
            with components.store.transaction(ACCOUNT) as tx:  # what the handshake does
                tx.update(replace(record, data={**record.data, "ConnectionStatus": "AVAILABLE"}))
            yield url, arn.rsplit("/", 1)[1]
    finally:
        audit.close()
        components.close()


def measure(files: int, commits: int, rounds: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="codeconn-git-bench-") as scratch:
        base = Path(scratch)
        root = base / "data" / "repositories" / "GitHub"
        bare = create_repository(root, "acme", "big")
        generate(bare, files, commits)
        env = git_env(base / "home")
        clone_times: dict[str, list[float]] = {"endpoint": [], "direct": []}
        push_times: dict[str, list[float]] = {"endpoint": [], "direct": []}
        with serving(base / "data") as (url, connection_id):
            for number in range(rounds):
                endpoint_url = f"{url}/git/{connection_id}/acme/big.git"
                clones = {"endpoint": base / f"via-endpoint-{number}", "direct": base / f"direct-{number}"}
                clone_times["endpoint"].append(timed(["clone", "-q", endpoint_url, str(clones["endpoint"])], env))
                clone_times["direct"].append(timed(["clone", "-q", "--no-local", str(bare), str(clones["direct"])],
                                                   env))
                target = create_repository(root, "acme", f"pushed-{number}")
                push_times["endpoint"].append(timed(
                    ["push", "-q", f"{url}/git/{connection_id}/acme/pushed-{number}.git", "main"], env,
                    cwd=clones["endpoint"]))
                direct_target = create_repository(base / "direct-targets", "acme", f"pushed-{number}")
                push_times["direct"].append(timed(["push", "-q", str(direct_target), "main"], env,
                                                  cwd=clones["direct"]))
                for path in (*clones.values(), target, direct_target):
                    shutil.rmtree(path)
        return [Row("clone", min(clone_times["endpoint"]), min(clone_times["direct"])),
                Row("push", min(push_times["endpoint"]), min(push_times["direct"]))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = measure(args.files, args.commits, args.rounds)
    report = {"files": args.files, "commits": args.commits, "rounds": args.rounds,
              "results": [row.to_json() for row in rows], "clone_target_ratio": CLONE_TARGET}
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"git endpoint: {args.files} files, {args.commits} commits, best of {args.rounds}")
    print(f"{'operation':<10} {'endpoint s':>11} {'direct s':>9} {'ratio':>6}")
    for row in rows:
        print(f"{row.operation:<10} {row.endpoint_s:>11.3f} {row.direct_s:>9.3f} {row.ratio:>5.2f}x")
    print(f"target for clone: at most {CLONE_TARGET}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
