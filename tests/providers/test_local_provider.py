"""Local mode against real bare repositories made with `git` in the test: refs, archives, names that try to escape."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from codeconn.providers import (
    Branch,
    Credential,
    CredentialKind,
    InstallationTarget,
    OwnerType,
    Provider,
    ProviderNotFound,
    ProviderRefused,
    ProviderSettings,
)
from codeconn.providers.local import LOCAL_USER, create_repository, from_settings

LOCAL = Credential(CredentialKind.LOCAL)


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def commit_files(work: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git("add", "-A", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message, cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`acme/api.git` with main (two commits) and feature/x, `acme/empty.git`, and an owner `zed` with nothing.

    Made once per module: no test writes into it.
    """
    tmp_path = tmp_path_factory.mktemp("local")
    root = tmp_path / "GitHub"
    bare = create_repository(root, "acme", "api")
    create_repository(root, "acme", "empty")
    (root / "zed").mkdir()
    (root / ".hidden").mkdir()
    work = tmp_path / "work"
    git("clone", "-q", str(bare), str(work))
    git("checkout", "-q", "-b", "main", cwd=work)
    commit_files(work, {"README.md": "hello\n", "src/app.py": "print('hi')\n"}, "first")
    commit_files(work, {"src/app.py": "print('hello')\n", "docs/a b.txt": "space\n"}, "second")
    git("push", "-q", "origin", "main", cwd=work)
    git("checkout", "-q", "-b", "feature/x", cwd=work)
    commit_files(work, {"feature.txt": "x\n"}, "feature")
    git("push", "-q", "origin", "feature/x", cwd=work)
    return root


@pytest.fixture
def provider(root: Path) -> Provider:
    return from_settings(ProviderSettings(provider_type="GitHub", repositories_root=root))


def test_installation_targets_are_the_owner_directories(provider: Provider) -> None:
    assert list(provider.installation_targets(LOCAL)) == [
        InstallationTarget("acme", "acme", OwnerType.USER, "acme"),
        InstallationTarget("zed", "zed", OwnerType.USER, "zed"),
    ]
    assert provider.current_user(LOCAL) == LOCAL_USER
    assert [o.name for o in provider.list_owners(LOCAL, "acme")] == ["acme"]


def test_repositories_of_an_owner(provider: Provider) -> None:
    repositories = provider.list_repositories(LOCAL, "acme")
    assert [(r.full_id, r.default_branch) for r in repositories] == [("acme/api", "main"), ("acme/empty", "main")]
    assert list(provider.list_repositories(LOCAL, "zed")) == []


def test_list_branches_and_get_branch_match_git(provider: Provider, root: Path) -> None:
    bare = root / "acme" / "api.git"
    main = git(f"--git-dir={bare}", "rev-parse", "refs/heads/main")
    feature = git(f"--git-dir={bare}", "rev-parse", "refs/heads/feature/x")
    assert list(provider.list_branches(LOCAL, "acme", "api")) == [Branch("feature/x", feature), Branch("main", main)]
    assert provider.get_branch(LOCAL, "acme", "api", "main") == Branch("main", main)
    assert provider.get_branch(LOCAL, "acme", "api", "feature/x") == Branch("feature/x", feature)
    assert list(provider.list_branches(LOCAL, "acme", "empty")) == []


def test_archive_equals_git_archive(provider: Provider, root: Path, tmp_path: Path) -> None:
    bare = root / "acme" / "api.git"
    commit = git(f"--git-dir={bare}", "rev-parse", "refs/heads/main")
    expected = tmp_path / "expected.zip"
    git(f"--git-dir={bare}", "archive", "--format=zip", f"--output={expected}", commit)
    destination = tmp_path / "out" / "archive.zip"
    destination.parent.mkdir()
    assert provider.archive(LOCAL, "acme", "api", commit[:12], destination) == destination
    with zipfile.ZipFile(destination) as got, zipfile.ZipFile(expected) as want:
        assert got.namelist() == want.namelist()
        assert {n: got.read(n) for n in got.namelist()} == {n: want.read(n) for n in want.namelist()}
        assert got.read("src/app.py") == b"print('hello')\n"
    assert [p.name for p in destination.parent.iterdir()] == ["archive.zip"]  # no temporary file left


def test_git_remote_is_the_bare_repository(provider: Provider, root: Path) -> None:
    remote = provider.git_remote(LOCAL, "acme", "api")
    assert remote.local_path == root / "acme" / "api.git"
    assert remote.headers == ()


@pytest.mark.parametrize("call", [
    pytest.param(lambda p: p.list_repositories(LOCAL, "nobody"), id="owner"),
    pytest.param(lambda p: p.list_owners(LOCAL, "nobody"), id="installation"),
    pytest.param(lambda p: p.list_branches(LOCAL, "acme", "nothing"), id="repository"),
    pytest.param(lambda p: p.list_branches(LOCAL, "zed", "api"), id="repository of another owner"),
    pytest.param(lambda p: p.get_branch(LOCAL, "acme", "api", "gone"), id="branch"),
    pytest.param(lambda p: p.get_branch(LOCAL, "acme", "empty", "main"), id="unborn branch"),
    pytest.param(lambda p, d=Path("/nonexistent/x.zip"): p.archive(LOCAL, "acme", "api", "deadbeef", d),
                 id="commit"),
    pytest.param(lambda p: p.git_remote(LOCAL, "acme", "nothing"), id="remote"),
])
def test_missing_things_are_not_found(provider: Provider, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProviderNotFound):
        call(provider)


ESCAPES = ["../x", "..", ".", "-x", "a/b", "", ".hidden", "a b", "x\n", "--upload-pack=evil", "a..b"]


@pytest.mark.parametrize("name", ESCAPES)
def test_owner_and_repository_names_that_try_to_escape_are_refused(provider: Provider, name: str) -> None:
    with pytest.raises(ProviderRefused):
        provider.list_repositories(LOCAL, name)
    with pytest.raises(ProviderRefused):
        provider.list_branches(LOCAL, "acme", name)
    with pytest.raises(ProviderRefused):
        provider.git_remote(LOCAL, name, "api")


@pytest.mark.parametrize("branch", ["../main", "-x", "--all", "main/../x", "a//b", "a/", "x.lock", "HEAD@{1}",
                                    "main^{tree}", "a b", ".main", "main~1", ""])
def test_branch_names_that_try_to_escape_are_refused(provider: Provider, branch: str) -> None:
    with pytest.raises(ProviderRefused):
        provider.get_branch(LOCAL, "acme", "api", branch)


@pytest.mark.parametrize("commit", ["HEAD", "main", "-o/tmp/x", "--output=/tmp/x", "abc", "deadbeef^{tree}"])
def test_commits_must_be_hexadecimal(provider: Provider, commit: str, tmp_path: Path) -> None:
    with pytest.raises(ProviderRefused):
        provider.archive(LOCAL, "acme", "api", commit, tmp_path / "a.zip")
    assert not (tmp_path / "a.zip").exists()


def test_oauth_is_refused_and_refresh_keeps_the_credential(provider: Provider) -> None:
    with pytest.raises(ProviderRefused, match="local mode needs no OAuth"):
        provider.authorization_url(state="s", redirect_uri="http://x/cb", code_challenge=None)
    with pytest.raises(ProviderRefused):
        provider.exchange_code(code="c", redirect_uri="http://x/cb", code_verifier=None)
    assert provider.refresh(LOCAL) is LOCAL
    assert provider.installation_url().startswith("file://")
    assert not provider.supports_pkce and not provider.has_installations


def test_a_missing_root_has_no_owners(tmp_path: Path) -> None:
    provider = from_settings(ProviderSettings(provider_type="GitLab", repositories_root=tmp_path / "none"))
    assert list(provider.installation_targets(LOCAL)) == []
    with pytest.raises(ValueError, match="repositories_root"):
        from_settings(ProviderSettings(provider_type="GitLab"))


def test_create_repository_refuses_bad_names(tmp_path: Path) -> None:
    with pytest.raises(ProviderRefused):
        create_repository(tmp_path, "..", "x")
    assert list(tmp_path.iterdir()) == []


def test_the_adapter_is_a_provider(provider: Provider) -> None:
    assert isinstance(provider, Provider)


def test_git_pull_and_push_through_the_remote(tmp_path: Path) -> None:
    """GitPull / GitPush: the stock git client clones and pushes the path the remote names; reads see the push."""
    root = tmp_path / "GitLab"
    create_repository(root, "team", "svc")
    provider = from_settings(ProviderSettings(provider_type="GitLab", repositories_root=root))
    remote = provider.git_remote(LOCAL, "team", "svc")
    work = tmp_path / "work"
    git("clone", "-q", remote.url, str(work))
    git("checkout", "-q", "-b", "main", cwd=work)
    commit = commit_files(work, {"a.txt": "a\n"}, "first")
    git("push", "-q", "origin", "main", cwd=work)
    assert provider.get_branch(LOCAL, "team", "svc", "main") == Branch("main", commit)
    assert [r.full_id for r in provider.list_repositories(LOCAL, "team")] == ["team/svc"]
