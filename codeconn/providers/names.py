"""Owner, repository, branch and commit names every adapter accepts, checked before they reach a path or a URL.

A name arrives from a caller (a FullRepositoryId, a BranchName) and ends up as a
directory under the local root, an argument of `git`, or a segment of a REST URL.
An allow-list keeps all three safe at once: no `..` (no escape from the root or
from the API path), no leading `-` (never read as a git option), no slash in an
owner or repository (one path segment each), no control characters or spaces.
The lists are a little stricter than the providers' own rules (GitHub allows
nothing outside them either; GitLab and Bitbucket a few more characters in
display names, never in the path slugs used here).

A name that fails is a `ProviderRefused`, named in the message (the names are the
caller's own, so repeating them reveals nothing).
"""

from __future__ import annotations

import re

from codeconn.providers.base import ProviderRefused

_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")  # owner or repository: one path segment
_PROJECT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9 ._-]{0,63}")  # Azure DevOps projects: spaces allowed, no slash
_BRANCH_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+-]*")
_COMMIT = re.compile(r"[0-9a-fA-F]{4,64}")  # an abbreviated or full SHA-1 / SHA-256 commit id
MAX_BRANCH_LENGTH = 255


def _refuse(kind: str, name: str) -> ProviderRefused:
    return ProviderRefused(f"invalid {kind} name {name!r}")


def check_owner(name: str) -> str:
    """`name` if it is a safe owner name (one segment, no `..`, no leading `-` or `.`); else ProviderRefused."""
    if not _SEGMENT.fullmatch(name) or ".." in name:
        raise _refuse("owner", name)
    return name


def check_namespace(name: str) -> str:
    """`name` if it is one or more safe owner names joined by `/` (a GitLab group and its subgroups); else
    ProviderRefused."""
    if not all(_SEGMENT.fullmatch(part) and ".." not in part for part in name.split("/")):
        raise _refuse("namespace", name)
    return name


def check_project(name: str) -> str:
    """`name` if it is a safe Azure DevOps project name (which may hold spaces, never a slash); else ProviderRefused."""
    if not _PROJECT.fullmatch(name) or ".." in name:
        raise _refuse("project", name)
    return name


def check_repository(name: str) -> str:
    """`name` if it is a safe repository name (as an owner name, and not ending in `.git`); else ProviderRefused.

    The `.git` suffix belongs to the directory or clone URL, never to the name the
    caller uses (`acme/api`, stored as `acme/api.git`).
    """
    if not _SEGMENT.fullmatch(name) or ".." in name or name.lower().endswith(".git"):
        raise _refuse("repository", name)
    return name


def check_branch(name: str) -> str:
    """`name` if it is a safe branch name; else ProviderRefused.

    Slash-separated segments, each starting with a letter, digit or `_` (so no
    `-option`, no hidden `.name`), none ending in `.lock` or `.`, within
    git-check-ref-format's rules and without its special characters at all.
    """
    segments = name.split("/")
    if (not name or len(name) > MAX_BRANCH_LENGTH or ".." in name
            or not all(_BRANCH_SEGMENT.fullmatch(s) and not s.endswith((".lock", ".")) for s in segments)):
        raise _refuse("branch", name)
    return name


def check_commit(commit: str) -> str:
    """`commit` if it is a hexadecimal commit id (4 to 64 digits); else ProviderRefused."""
    if not _COMMIT.fullmatch(commit):
        raise _refuse("commit", commit)
    return commit


__all__ = [
    "MAX_BRANCH_LENGTH",
    "check_branch",
    "check_commit",
    "check_namespace",
    "check_owner",
    "check_project",
    "check_repository",
]
