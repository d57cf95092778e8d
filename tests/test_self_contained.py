"""The repository stands on its own: nothing it runs reads outside the clone.

A fresh `git clone` has no `shared/` folder beside it, so every test, README
command and benchmark must find what it reads inside the repository. Two checks
keep that true: no tracked file names a path that climbs out of the repository,
and the README's policy and benchmark commands run in a copy of the repository
that has nothing beside it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = "sha" + "red"  # spelled apart so that this file does not match its own patterns
CLIMBING_OUT = re.compile(
    r"\.\./" + SHARED + r"|\.parent\s*/\s*[\"']" + SHARED + r"[\"']|parents\[\d+\]\s*/\s*[\"']" + SHARED
    + r"[\"']|\.\./\.\./")
ALLOWED = {".ci/run"}  # CI may pass the team folder beside the clone as an extra input; it never needs it
# Arguments that keep the README's benchmark commands short enough for the suite; the
# commands, paths and defaults are the README's own.
QUICK = {"benchmarks/iam.py": ["--limit", "200", "--repeat", "1"], "benchmarks/server.py": ["--requests", "5"],
         "benchmarks/providers.py": ["--calls", "5", "--branches", "5"],
         "benchmarks/git_endpoint.py": ["--files", "50", "--commits", "10", "--rounds", "1"],
         "benchmarks/profile_request.py": ["--calls", "20"]}


def repository_files() -> list[Path]:
    """The files a clone holds: tracked ones, and new ones git does not ignore."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def readme_commands() -> list[str]:
    """The README's shell commands that run the policy tools and the benchmarks (continuations joined)."""
    commands: list[str] = []
    pending = ""
    for line in (ROOT / "README.md").read_text().splitlines():
        if not line.startswith("    ") and not pending:
            continue
        text = pending + " " + line.strip() if pending else line.strip()
        if text.endswith("\\"):
            pending = text[:-1].rstrip()
            continue
        pending = ""
        command = text.split("  #", 1)[0].strip()
        if command.startswith((".venv/bin/codeconn policy", ".venv/bin/python benchmarks/")):
            commands.append(command)
    return commands


def test_no_tracked_file_reads_outside_the_repository() -> None:
    offenders = []
    for path in repository_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative in ALLOWED:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        offenders += [f"{relative}:{number}" for number, line in enumerate(text.splitlines(), 1)
                      if CLIMBING_OUT.search(line)]
    assert offenders == []


def test_the_readme_names_policy_and_benchmark_commands() -> None:
    commands = readme_commands()
    assert any(c.startswith(".venv/bin/codeconn policy test") for c in commands)
    assert any("benchmarks/iam.py" in c for c in commands)
    assert any("benchmarks/server.py" in c for c in commands)


@pytest.mark.slow
@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs_in_a_clone_with_nothing_beside_it(command: str, tmp_path: Path) -> None:
    clone = tmp_path / "alone" / "codeconn"
    for path in repository_files():
        target = clone / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    bin_dir = Path(sys.executable).parent
    script = command.replace(".venv/bin/", f"{bin_dir}/", 1)
    for name, quick in QUICK.items():
        if name in script:
            script += " " + " ".join(quick)
    env = {**os.environ, "PYTHONPATH": str(clone)}  # the copy's package, not the checkout's
    done = subprocess.run(["bash", "-c", script], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
