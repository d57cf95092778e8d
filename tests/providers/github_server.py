"""A small GitHub on 127.0.0.1 that speaks the documented endpoints the GitHub adapter uses.

OAuth (web application flow, https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps):
`GET /login/oauth/authorize` redirects to redirect_uri with a single-use code;
`POST /login/oauth/access_token` exchanges it, checking the client secret, the
redirect_uri and PKCE S256 (the code_verifier's SHA-256 must be the code_challenge),
and answers refusals as GitHub does, 200 with `{"error", "error_description",
"error_uri"}`; grant_type=refresh_token rotates an expiring token and its refresh
token (the old pair stops working).

REST v3 under `/api/v3` (the GHES layout): /user, /user/orgs, /user/installations,
/users/{o}, /orgs/{o}/repos, /user/repos, /users/{o}/repos, /repos/{o}/{r}/branches[/{b}],
/repos/{o}/{r}/zipball/{ref} (a 302 to /codeload/..., which serves the zip).
Lists page with `per_page`/`page` and a `Link` header (rel="next", rel="last"),
never more than `page_size` items a page. Errors are `{"message", "documentation_url"}`
with GitHub's statuses (401 Bad credentials, 404 Not Found). `script(path, ...)`
queues canned answers (rate limits, 500s) served before the real one.

`serve_github()` runs it in a thread on a free port until the block ends (bounded
start and stop). Every request is recorded (method, path, headers) for the tests.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

DOCS = "https://docs.github.com/rest"
CLIENT_ID = "Iv1.testclient"
CLIENT_SECRET = "client-secret-never-shown"
PAT = "ghp_personalTokenNeverShown0001"


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class GitHubState:
    """What the fake GitHub knows; tests read and change it directly."""

    users: dict[str, dict[str, Any]] = field(default_factory=lambda: {
        "octo": {"id": 1, "login": "octo", "type": "User"},
        "other": {"id": 2, "login": "other", "type": "User"},
    })
    orgs: dict[str, dict[str, Any]] = field(default_factory=lambda: {
        f"org{i}": {"id": 100 + i, "login": f"org{i}", "type": "Organization"} for i in range(5)})
    memberships: dict[str, list[str]] = field(default_factory=lambda: {"octo": [f"org{i}" for i in range(5)]})
    installations: list[dict[str, Any]] = field(default_factory=lambda: [
        {"id": 9001, "account": {"id": 1, "login": "octo", "type": "User"}},
        {"id": 9002, "account": {"id": 100, "login": "org0", "type": "Organization"}},
        {"id": 9003, "account": {"id": 101, "login": "org1", "type": "Organization"}},
    ])
    repositories: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=lambda: {PAT: "octo"})  # token -> login
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> login
    codes: dict[str, dict[str, str | None]] = field(default_factory=dict)
    expiring: bool = False  # tokens from the code exchange come with expires_in and a refresh token
    page_size: int = 2
    scripted: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_repository(self, owner: str, name: str, *, branches: dict[str, str], files: dict[str, str],
                       private: bool = True) -> None:
        self.repositories[(owner, name)] = {"branches": branches, "files": files, "private": private}

    def script(self, path: str, *answers: Answer) -> None:
        """Serve `answers` (in order) to the next requests of `path` before answering normally."""
        self.scripted.setdefault(path, []).extend(answers)

    def issue_token(self, login: str) -> dict[str, Any]:
        token = "gho_" + secrets.token_hex(16)
        self.tokens[token] = login
        answer: dict[str, Any] = {"access_token": token, "token_type": "bearer", "scope": "repo,read:org"}
        if self.expiring:
            refresh = "ghr_" + secrets.token_hex(16)
            self.refresh_tokens[refresh] = login
            answer.update(expires_in=28800, refresh_token=refresh, refresh_token_expires_in=15811200)
        return answer


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def zipball(owner: str, name: str, ref: str, files: dict[str, str]) -> bytes:
    """A zip shaped as GitHub's: every entry under `owner-name-ref/`."""
    buffer = io.BytesIO()
    top = f"{owner}-{name}-{ref[:7]}/"
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(top, b"")
        for path, text in sorted(files.items()):
            archive.writestr(top + path, text)
    return buffer.getvalue()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    # -- plumbing -------------------------------------------------------------------------
    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
              raw: bytes | None = None, content_type: str = "application/json") -> None:
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, message: str) -> None:
        self._send(status, {"message": message, "documentation_url": DOCS})

    def _login(self) -> str | None:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        return self.server.state.tokens.get(token)

    def _page(self, items: list[Any], query: dict[str, list[str]], wrap: str | None = None) -> None:
        state = self.server.state
        per_page = min(int(query.get("per_page", ["30"])[0]), 100, state.page_size)
        page = int(query.get("page", ["1"])[0])
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        base = f"http://{self.headers['Host']}{urlsplit(self.path).path}"
        links = []
        keep = {k: v[0] for k, v in query.items() if k != "page"}
        if page < last:
            links.append(f'<{base}?{urlencode({**keep, "page": page + 1})}>; rel="next"')
            links.append(f'<{base}?{urlencode({**keep, "page": last})}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        self._send(200, {"total_count": len(items), wrap: chunk} if wrap else chunk, headers)

    # -- routes ---------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _route(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        with state.lock:
            state.requests.append((method, parts.path, dict(self.headers)))
            queued = state.scripted.get(parts.path)
            answer = queued.pop(0) if queued else None
        if answer is not None:
            self._send(answer.status, answer.body, answer.headers)
            return
        query = parse_qs(parts.query)
        if method == "POST" and parts.path == "/login/oauth/access_token":
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            self._token(form)
        elif method == "GET" and parts.path == "/login/oauth/authorize":
            self._authorize({k: v[0] for k, v in query.items()})
        elif method == "GET" and parts.path.startswith("/codeload/"):
            self._codeload(parts.path.split("/")[2:])
        elif method == "GET" and parts.path.startswith("/api/v3/"):
            login = self._login()
            if login is None:
                self._error(401, "Bad credentials")
                return
            self._api(login, parts.path.removeprefix("/api/v3/").split("/"), query)
        else:
            self._error(404, "Not Found")

    def _authorize(self, query: dict[str, str]) -> None:
        if query.get("client_id") != CLIENT_ID:
            self._error(404, "Not Found")
            return
        code = secrets.token_hex(10)
        self.server.state.codes[code] = {"challenge": query.get("code_challenge"),
                                          "method": query.get("code_challenge_method"),
                                          "redirect_uri": query.get("redirect_uri"), "login": "octo"}
        target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        self._send(302, headers={"Location": target})

    def _token(self, form: dict[str, str]) -> None:
        state = self.server.state

        def refuse(error: str, description: str) -> None:
            self._send(200, {"error": error, "error_description": description, "error_uri": DOCS})

        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            refuse("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.")
            return
        if form.get("grant_type") == "refresh_token":
            login = state.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if login is None:
                refuse("bad_refresh_token", "The refresh token passed is incorrect or expired.")
                return
            for token, owner in list(state.tokens.items()):
                if owner == login and token.startswith("gho_"):
                    del state.tokens[token]  # the old user token stops working
            self._send(200, state.issue_token(login))
            return
        grant = state.codes.pop(form.get("code", ""), None)  # single use
        if grant is None:
            refuse("bad_verification_code", "The code passed is incorrect or expired.")
        elif grant["redirect_uri"] != form.get("redirect_uri"):
            refuse("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL.")
        elif grant["challenge"] is not None and (grant["method"] != "S256"
                                                 or s256(form.get("code_verifier", "")) != grant["challenge"]):
            refuse("bad_verification_code", "The code_verifier does not match the code_challenge.")
        else:
            self._send(200, state.issue_token(str(grant["login"])))

    def _codeload(self, parts: list[str]) -> None:
        owner, name, _, ref = (parts + ["", "", "", ""])[:4]
        repository = self.server.state.repositories.get((owner, name))
        if repository is None:
            self._error(404, "Not Found")
            return
        self._send(200, raw=zipball(owner, name, ref, repository["files"]), content_type="application/zip")

    def _api(self, login: str, parts: list[str], query: dict[str, list[str]]) -> None:
        state = self.server.state
        match parts:
            case ["user"]:
                self._send(200, state.users[login])
            case ["user", "orgs"]:
                self._page([state.orgs[o] for o in state.memberships.get(login, [])], query)
            case ["user", "installations"]:
                self._page(state.installations, query, wrap="installations")
            case ["users", owner]:
                account = state.users.get(owner) or state.orgs.get(owner)
                self._send(200, account) if account else self._error(404, "Not Found")
            case ["orgs", owner, "repos"]:
                self._page(self._repos(owner), query) if owner in state.orgs else self._error(404, "Not Found")
            case ["user", "repos"]:
                self._page(self._repos(login), query)
            case ["users", owner, "repos"]:
                self._page([r for r in self._repos(owner) if not r["private"]], query)
            case ["repos", owner, name, "branches"]:
                repository = state.repositories.get((owner, name))
                if repository is None:
                    self._error(404, "Not Found")
                    return
                self._page([{"name": b, "commit": {"sha": sha}, "protected": False}
                            for b, sha in sorted(repository["branches"].items())], query)
            case ["repos", owner, name, "branches", *branch]:
                repository = state.repositories.get((owner, name))
                sha = repository["branches"].get("/".join(branch)) if repository else None
                if sha is None:
                    self._error(404, "Branch not found")
                    return
                self._send(200, {"name": "/".join(branch), "commit": {"sha": sha}, "protected": False})
            case ["repos", owner, name, "zipball", ref]:
                if (owner, name) not in state.repositories:
                    self._error(404, "Not Found")
                    return
                self._send(302, headers={"Location": f"/codeload/{owner}/{name}/legacy.zip/{ref}"})
            case _:
                self._error(404, "Not Found")

    def _repos(self, owner: str) -> list[dict[str, Any]]:
        return [{"name": name, "owner": {"login": o}, "private": r["private"], "default_branch": "main"}
                for (o, name), r in sorted(self.server.state.repositories.items()) if o == owner]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: GitHubState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@dataclass
class GitHubServer:
    url: str
    state: GitHubState

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v3"

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.state.requests]


@contextmanager
def serve_github(state: GitHubState | None = None) -> Iterator[GitHubServer]:
    """The fake GitHub on a free loopback port until the block ends."""
    server = _Server(state or GitHubState())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield GitHubServer(f"http://127.0.0.1:{server.server_address[1]}", server.state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


SECRET_ENV = "CODECONN_TEST_GITHUB_CLIENT_SECRET"
"""The variable a providers file names for the OAuth client secret (the caller sets it to CLIENT_SECRET)."""


class GitHubAddress(Protocol):
    """Where a GitHub is: this module's server, or a test's own stand-in."""

    @property
    def url(self) -> str: ...

    @property
    def api_url(self) -> str: ...


def remote_providers_file(path: Path, github: GitHubAddress) -> Path:
    """A `--providers` file at `path` with GitHub in remote mode at `github`, its secret in SECRET_ENV."""
    path.write_text(json.dumps({"providers": {"GitHub": {
        "mode": "remote", "api_url": github.api_url, "web_url": github.url, "client_id": CLIENT_ID,
        "client_secret_env": SECRET_ENV}}}))
    return path
