"""The organization's SCPs and RCPs, read from `--org-policies DIR`.

Layout: one subfolder of DIR per level of the organization, taken in name order
(so name them to sort root first: `0-root`, `1-ou-engineering`, `2-account`).
Each level holds an `scp` folder, an `rcp` folder, or both, of `*.json` policy
documents:

    DIR/
      0-root/
        scp/FullAWSAccess.json
        rcp/DenyOutsideOrg.json
      1-ou-workloads/
        scp/OnlyGitHubConnections.json

A level without an `scp` folder does not restrict with SCPs (as AWS's default
FullAWSAccess attachment does not); the same for `rcp`. A folder that is there
is the whole of that level's policies: as in AWS, every level must allow, so a
level holding only Deny statements denies everything; put an allow-all policy
beside them (AWS's FullAWSAccess and RCPFullAWSAccess). An empty `scp` or `rcp`
folder is an error, because AWS never lets a level have no SCP attached, and a
level with no policy would deny everything. Every level applies to every account
codeconn serves: codeconn is one organization.

Policies are named `<level>/<scp|rcp>/<file stem>`, which is how decisions and
AccessDenied reasons name them. Anything else in DIR or in a level (other files,
other folders) is an error, so that a misplaced policy is never silently ignored;
names starting with a dot are skipped. Every fault in every file is reported at
once, each with its file and JSON path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codeconn.auth.errors import OrgPolicyError
from codeconn.iam import Policy, PolicyKind, PolicySyntaxError, parse_policy

KINDS: dict[str, PolicyKind] = {"scp": PolicyKind.SCP, "rcp": PolicyKind.RCP}


@dataclass(frozen=True)
class OrgPolicies:
    """SCP and RCP levels, outermost first; each level is the policies attached there."""

    scps: tuple[tuple[Policy, ...], ...] = ()
    rcps: tuple[tuple[Policy, ...], ...] = ()
    levels: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.scps and not self.rcps


def load_org_policies(directory: Path) -> OrgPolicies:
    """Read DIR as the module docstring lays it out; OrgPolicyError listing every fault."""
    directory = Path(directory)
    problems: list[str] = []
    if not directory.is_dir():
        raise OrgPolicyError(directory, [f"{directory} is not a directory"])
    found: dict[str, list[tuple[Policy, ...]]] = {"scp": [], "rcp": []}
    levels: list[str] = []
    for level in _entries(directory):
        if not level.is_dir():
            problems.append(f"{level}: expected a folder per level of the organization")
            continue
        levels.append(level.name)
        for part in _entries(level):
            if not part.is_dir() or part.name not in KINDS:
                problems.append(f"{part}: a level holds only the folders {' and '.join(KINDS)}")
                continue
            policies = _load_level(level.name, part, KINDS[part.name], problems)
            if policies:
                found[part.name].append(policies)
    if problems:
        raise OrgPolicyError(directory, problems)
    return OrgPolicies(tuple(found["scp"]), tuple(found["rcp"]), tuple(levels))


def _entries(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)


def _load_level(level: str, folder: Path, kind: PolicyKind, problems: list[str]) -> tuple[Policy, ...]:
    files = _entries(folder)
    policies: list[Policy] = []
    for file in files:
        if not file.is_file() or file.suffix != ".json":
            problems.append(f"{file}: expected only *.json policy documents")
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{file}: cannot be read ({type(error).__name__})")
            continue
        try:
            policies.append(parse_policy(text, name=f"{level}/{folder.name}/{file.stem}", kind=kind))
        except PolicySyntaxError as error:
            problems.extend(f"{file}: {problem}" for problem in error.problems)
    if not files:
        problems.append(f"{folder}: holds no policy; remove the folder for a level that does not restrict")
    return tuple(policies)
