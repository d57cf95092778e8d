"""ListBranches and GetBranch through the local provider, beside the same `git` commands run directly.

    .venv/bin/python benchmarks/providers.py [--calls N] [--branches B] [--json]

Makes a bare repository `acme/api` with B branches (with the real `git`, in a
temporary directory), then times N calls of each, one at a time:

- ListBranches: `LocalProvider.list_branches` vs `git for-each-ref --sort=refname
  --format=%(objectname)%09%(refname) refs/heads/`;
- GetBranch: `LocalProvider.get_branch` vs `git rev-parse --verify --quiet
  refs/heads/main^{commit}`.

Both sides run the same git command as a subprocess, so the ratio (provider p50
over git's p50) is codeconn's own cost: name checks, path building, parsing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeconn.providers.base import Credential, CredentialKind
from codeconn.providers.local import LocalProvider

LOCAL = Credential(kind=CredentialKind.LOCAL)


@dataclass(frozen=True)
class Result:
    operation: str
    side: str
    latencies_ms: tuple[float, ...]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repository(root: Path, branches: int) -> Path:
    """`<root>/acme/api.git` with one commit and `branches` branches besides main."""
    bare = root / "acme" / "api.git"
    git("init", "--bare", "--quiet", "--initial-branch=main", str(bare))
    work = root / "work"
    git("init", "--quiet", "--initial-branch=main", str(work))
    (work / "README.md").write_text("# api\n")
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    git(*identity, "add", "README.md", cwd=work)
    git(*identity, "commit", "--quiet", "-m", "first", cwd=work)
    for i in range(branches):
        git("branch", f"feature/{i:04d}", cwd=work)
    git("push", "--quiet", str(bare), "refs/heads/*:refs/heads/*", cwd=work)
    return bare


def timed(calls: int, action: Callable[[], object]) -> tuple[float, ...]:
    action()  # warm up
    latencies = []
    for _ in range(calls):
        start = time.perf_counter()
        action()
        latencies.append((time.perf_counter() - start) * 1000)
    return tuple(latencies)


def run(calls: int, branches: int) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="codeconn-bench-") as directory:
        root = Path(directory)
        bare = make_repository(root, branches)
        provider = LocalProvider("GitHub", root)
        expected = len(provider.list_branches(LOCAL, "acme", "api"))
        assert expected == branches + 1, expected
        git_dir = f"--git-dir={bare}"
        sides: dict[tuple[str, str], Callable[[], object]] = {
            ("ListBranches", "provider"): lambda: provider.list_branches(LOCAL, "acme", "api"),
            ("ListBranches", "git"): lambda: git(git_dir, "for-each-ref", "--sort=refname",
                                                 "--format=%(objectname)%09%(refname)", "refs/heads/"),
            ("GetBranch", "provider"): lambda: provider.get_branch(LOCAL, "acme", "api", "main"),
            ("GetBranch", "git"): lambda: git(git_dir, "rev-parse", "--verify", "--quiet",
                                              "refs/heads/main^{commit}"),
        }
        return [Result(operation, side, timed(calls, action)) for (operation, side), action in sides.items()]


def report(results: list[Result], calls: int, branches: int) -> dict[str, Any]:
    by = {(r.operation, r.side): r for r in results}
    operations = sorted({r.operation for r in results}, reverse=True)
    return {
        "calls": calls, "branches": branches + 1,
        "results": [{"operation": r.operation, "side": r.side, "calls": len(r.latencies_ms),
                     "p50_ms": round(r.p50, 3), "p99_ms": round(r.p99, 3)} for r in results],
        "provider_over_git_p50": {op: round(by[(op, "provider")].p50 / by[(op, "git")].p50, 3)
                                  for op in operations},
    }


def table(summary: dict[str, Any]) -> str:
    lines = [f"{summary['branches']} branches, {summary['calls']} calls each",
             f"{'operation':<14}{'side':<10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}"]
    for row in summary["results"]:
        ratio = f"{summary['provider_over_git_p50'][row['operation']]:.2f}" if row["side"] == "provider" else ""
        lines.append(f"{row['operation']:<14}{row['side']:<10}{row['p50_ms']:>10.3f}{row['p99_ms']:>10.3f}"
                     f"{ratio:>8}")
    lines.append("ratio: the provider's p50 over git's, i.e. codeconn's cost on top of git")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="timed calls per operation and side")
    parser.add_argument("--branches", type=int, default=100, help="branches besides main")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    summary = report(run(args.calls, args.branches), args.calls, args.branches)
    print(json.dumps(summary, indent=2) if args.json else table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
