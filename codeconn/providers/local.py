"""Local mode: bare git repositories on disk, `<root>/<owner>/<name>.git`, for any provider type.

The default mode of every provider type (handshake-api.md, "Providers"): a fresh
machine without network runs the whole story against repositories made with
`git`. `root` is what the composition root gives in `ProviderSettings.
repositories_root`, already per provider type (`<repositories>/<ProviderType>`) or
per host (a `file://` ProviderEndpoint's directory).

Every read and write is the real `git` run as a subprocess with a fixed argument
list (never a shell), `--git-dir` set to a path built only from names that passed
`codeconn.providers.names` (no `..`, no slash, no leading `-`), so no path escapes
the root and no name is read as an option. Refs are named in full (`refs/heads/x`)
and commits are hexadecimal, so neither can be mistaken for an option either.

There is no OAuth here: the handshake needs no code or token in local mode, so
the OAuth calls refuse, and every other call accepts any credential (normally
`Credential(CredentialKind.LOCAL)`): access to the files is the machine's business.

Owners are the directories under the root. Each is offered as an installation
target of type `User`, its name serving as installation id and owner id: a
directory says nothing about who owns it, `User` is the kind of owner every
provider type has (a personal namespace), and nothing in the handshake or the
authorization keys depends on the type.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from codeconn.providers.base import (
    Branch,
    Credential,
    GitRemote,
    InstallationTarget,
    Owner,
    OwnerType,
    Provider,
    ProviderNotFound,
    ProviderRefused,
    ProviderSettings,
    ProviderUnavailable,
    ProviderUser,
    Repository,
)
from codeconn.providers.names import check_branch, check_commit, check_owner, check_repository

LOCAL_USER = ProviderUser(id="local", login="local")
GIT = "git"
ARCHIVE_TIMEOUT_FACTOR = 10  # an archive may take longer than a ref lookup: this many times settings.timeout
_HEAD_PREFIX = "ref: refs/heads/"
# A clean environment for git: nothing of the caller's repository or prompts leaks in.
_GIT_ENV_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE",
                 "GIT_CEILING_DIRECTORIES", "GIT_ALTERNATE_OBJECT_DIRECTORIES")


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def run_git(args: Sequence[str], *, timeout: float, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """`git` with a fixed argument list and no shell; a failure to start or to finish in time is ProviderUnavailable.

    With `check`, a non-zero exit is ProviderUnavailable too (the caller asks
    `check=False` where a non-zero exit means "not found"). git's stderr goes into
    the message: it names refs and paths under the root, never a secret.
    """
    try:
        result = subprocess.run([GIT, *args], capture_output=True, timeout=timeout, env=_git_env(), check=False,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ProviderUnavailable(f"git could not run: {type(error).__name__}") from None
    if check and result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        raise ProviderUnavailable(f"git {args[1] if len(args) > 1 else ''} failed: {detail[-1] if detail else ''}")
    return result


def create_repository(root: Path, owner: str, name: str, *, default_branch: str = "main",
                      timeout: float = 30.0) -> Path:
    """Make an empty bare repository `<root>/<owner>/<name>.git` (for tests and the CLI); returns its path.

    The names are checked as every call checks them; an existing repository is
    left as it is (git init is idempotent on a bare repository).
    """
    path = Path(root).resolve() / check_owner(owner) / f"{check_repository(name)}.git"  # absolute: never `-...`
    path.parent.mkdir(parents=True, exist_ok=True)
    run_git(["init", "--bare", "--quiet", str(path)], timeout=timeout)
    run_git([f"--git-dir={path}", "symbolic-ref", "HEAD", f"refs/heads/{check_branch(default_branch)}"],
            timeout=timeout)
    return path


class LocalProvider:
    """One provider type served from bare repositories under `root`."""

    supports_pkce = False
    has_installations = False

    def __init__(self, provider_type: str, root: Path, *, timeout: float = 30.0) -> None:
        self.provider_type = provider_type
        self.root = Path(root)
        self.timeout = timeout

    # -- paths ------------------------------------------------------------------------------
    def _owner_dir(self, owner: str) -> Path:
        path = self.root / check_owner(owner)
        if not path.is_dir():
            raise ProviderNotFound(f"owner {owner!r} not found")
        return path

    def _repository_dir(self, owner: str, repository: str) -> Path:
        path = self._owner_dir(owner) / f"{check_repository(repository)}.git"
        if not (path / "HEAD").is_file():
            raise ProviderNotFound(f"repository {owner}/{repository} not found")
        return path

    def _git(self, repository: Path, *args: str, check: bool = True,
             timeout: float | None = None) -> subprocess.CompletedProcess[bytes]:
        return run_git([f"--git-dir={repository}", *args], timeout=timeout or self.timeout, check=check)

    # -- the handshake ------------------------------------------------------------------------
    def authorization_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        """Local mode has no OAuth: the handshake needs neither code nor token."""
        raise ProviderRefused("local mode needs no OAuth")

    def installation_url(self) -> str:
        """The root's file URL: the "page" where access is granted is the directory itself."""
        return self.root.resolve().as_uri()

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> Credential:
        """Local mode has no OAuth: the handshake needs neither code nor token."""
        raise ProviderRefused("local mode needs no OAuth")

    def refresh(self, credential: Credential) -> Credential:
        """A local credential never expires: it is returned as it is."""
        return credential

    def current_user(self, credential: Credential) -> ProviderUser:
        """The one fixed local user: files on disk have no accounts."""
        return LOCAL_USER

    def installation_targets(self, credential: Credential) -> Sequence[InstallationTarget]:
        """One target per owner directory (sorted); directories whose names are not valid owners are skipped."""
        return [InstallationTarget(installation_id=owner.name, owner_id=owner.id, owner_type=owner.type,
                                   target_name=owner.name) for owner in self._owners()]

    def _owners(self) -> list[Owner]:
        if not self.root.is_dir():
            return []
        owners = []
        for entry in sorted(self.root.iterdir()):
            try:
                check_owner(entry.name)
            except ProviderRefused:
                continue
            if entry.is_dir():
                owners.append(Owner(id=entry.name, name=entry.name, type=OwnerType.USER))
        return owners

    # -- ProviderAction ---------------------------------------------------------------------
    def list_owners(self, credential: Credential, installation_id: str) -> Sequence[Owner]:
        """ListOwners: the installation is an owner directory, so it reaches exactly that owner."""
        self._owner_dir(installation_id)
        return [Owner(id=installation_id, name=installation_id, type=OwnerType.USER)]

    def list_repositories(self, credential: Credential, owner: str) -> Sequence[Repository]:
        """ListRepositories: the bare repositories `<name>.git` of the owner (sorted); HEAD names the default branch."""
        repositories = []
        for entry in sorted(self._owner_dir(owner).iterdir()):
            name = entry.name.removesuffix(".git")
            if entry.name == name or not (entry / "HEAD").is_file():
                continue
            try:
                check_repository(name)
            except ProviderRefused:
                continue
            repositories.append(Repository(owner=owner, name=name, default_branch=_head_branch(entry),
                                           private=True))
        return repositories

    def list_branches(self, credential: Credential, owner: str, repository: str) -> Sequence[Branch]:
        """ListBranches: `git for-each-ref refs/heads`, sorted by name."""
        path = self._repository_dir(owner, repository)
        out = self._git(path, "for-each-ref", "--sort=refname", "--format=%(objectname)%09%(refname)",
                        "refs/heads/").stdout.decode()
        branches = []
        for line in out.splitlines():
            commit, _, ref = line.partition("\t")
            branches.append(Branch(name=ref.removeprefix("refs/heads/"), commit=commit))
        return branches

    def get_branch(self, credential: Credential, owner: str, repository: str, branch: str) -> Branch:
        """GetBranch: `git rev-parse --verify refs/heads/<branch>^{commit}`; a missing branch is ProviderNotFound."""
        path = self._repository_dir(owner, repository)
        result = self._git(path, "rev-parse", "--verify", "--quiet", f"refs/heads/{check_branch(branch)}^{{commit}}",
                           check=False)
        if result.returncode != 0:
            raise ProviderNotFound(f"branch {branch!r} not found in {owner}/{repository}")
        return Branch(name=branch, commit=result.stdout.decode().strip())

    def archive(self, credential: Credential, owner: str, repository: str, commit: str,
                destination: Path) -> Path:
        """The tree of `commit` as `git archive --format=zip`, written to a temporary file and renamed into place."""
        path = self._repository_dir(owner, repository)
        resolved = self._git(path, "rev-parse", "--verify", "--quiet", f"{check_commit(commit)}^{{commit}}",
                             check=False)
        if resolved.returncode != 0:
            raise ProviderNotFound(f"commit {commit} not found in {owner}/{repository}")
        destination = Path(destination)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
        os.close(descriptor)
        try:
            self._git(path, "archive", "--format=zip", f"--output={temporary}", resolved.stdout.decode().strip(),
                      timeout=self.timeout * ARCHIVE_TIMEOUT_FACTOR)
            os.replace(temporary, destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return destination

    def git_remote(self, credential: Credential, owner: str, repository: str) -> GitRemote:
        """GitPull / GitPush: the bare repository's own path; no headers (nothing to authenticate)."""
        return GitRemote(url=str(self._repository_dir(owner, repository)))


def _head_branch(repository: Path) -> str | None:
    """The branch HEAD names (the default branch), read from the HEAD file; None when HEAD is detached or odd."""
    try:
        head = (repository / "HEAD").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return head.removeprefix(_HEAD_PREFIX) if head.startswith(_HEAD_PREFIX) else None


def from_settings(settings: ProviderSettings) -> Provider:
    """The local adapter for `settings.provider_type`, rooted at `settings.repositories_root` (required)."""
    if settings.repositories_root is None:
        raise ValueError(f"{settings.provider_type}: local mode needs repositories_root")
    return LocalProvider(settings.provider_type, settings.repositories_root, timeout=settings.timeout)


__all__ = ["LOCAL_USER", "LocalProvider", "create_repository", "from_settings", "run_git"]
