"""A GitLab stand-in speaking the documented OAuth and REST v4 endpoints the adapter uses.

https://docs.gitlab.com/api/oauth2/ (authorization code + PKCE, refresh),
https://docs.gitlab.com/api/rest/#pagination (Link and X-Next-Page headers),
error bodies `{"message": ...}` and `{"error": ..., "error_description": ...}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from provider_server import Answer, FakeHost, Request, s256

CLIENT_ID = "gl-client"
CLIENT_SECRET = "gl-client-secret-XYZ"
PAT = "glpat-SECRET-personal-0001"
REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"
ARCHIVE = b"PK\x05\x06" + b"\x00" * 18  # an empty zip


@dataclass
class Grant:
    challenge: str | None
    redirect_uri: str


@dataclass
class GitLabServer(FakeHost):
    users: dict[str, dict[str, object]] = field(default_factory=dict)  # token -> user
    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, dict[str, object]] = field(default_factory=dict)
    per_page: int = 2
    issued: int = 0

    def __post_init__(self) -> None:
        FakeHost.__init__(self)
        self.alice = {"id": 7, "username": "alice"}
        self.users[PAT] = self.alice
        self.groups = [{"id": 10 + n, "full_path": f"team{n}", "name": f"Team {n}"} for n in range(5)]
        self.projects = {
            "team0/api": {"visibility": "private", "default_branch": "main"},
            "team0/web": {"visibility": "public", "default_branch": "trunk"},
            "team0/docs": {"visibility": "internal", "default_branch": "main"},
            "alice/dotfiles": {"visibility": "public", "default_branch": "main"},
        }
        self.branches = {"team0/api": {"main": "a" * 40, "feature/x": "b" * 40, "dev": "c" * 40}}
        self.route("POST", r"/oauth/token", self.token)
        self.route("GET", r"/api/v4/user", self.user)
        self.route("GET", r"/api/v4/groups", self.list_groups)
        self.route("GET", r"/api/v4/(users|groups)/(\d+)", self.owner)
        self.route("GET", r"/api/v4/groups/([^/]+)/projects", self.group_projects)
        self.route("GET", r"/api/v4/users/([^/]+)/projects", self.user_projects)
        self.route("GET", r"/api/v4/projects/([^/]+)/repository/branches", self.list_branches)
        self.route("GET", r"/api/v4/projects/([^/]+)/repository/branches/([^/]+)", self.branch)
        self.route("GET", r"/api/v4/projects/([^/]+)/repository/archive.zip", self.archive)

    # -- OAuth ------------------------------------------------------------------------------------
    def authorize(self, query: dict[str, str]) -> str:
        """What a person's consent at /oauth/authorize would do: a code bound to the challenge."""
        assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
        assert query.get("code_challenge_method", "S256") == "S256"
        code = f"code-{len(self.codes)}"
        self.codes[code] = Grant(query.get("code_challenge"), query["redirect_uri"])
        return code

    def _issue(self, user: dict[str, object]) -> Answer:
        self.issued += 1
        access, refresh = f"gl-oauth-SECRET-{self.issued}", f"gl-refresh-SECRET-{self.issued}"
        self.users[access] = user
        self.refresh_tokens[refresh] = user
        return Answer(200, {"access_token": access, "token_type": "Bearer", "expires_in": 7200,
                            "refresh_token": refresh, "created_at": 1_700_000_000})

    def token(self, request: Request, match: re.Match[str]) -> Answer:
        form = request.form
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return Answer(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        if form.get("grant_type") == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or grant.redirect_uri != form.get("redirect_uri"):
                return Answer(400, {"error": "invalid_grant", "error_description": "The provided authorization "
                                    "grant is invalid, expired, revoked, or was issued to another client."})
            if grant.challenge is not None and s256(form.get("code_verifier", "")) != grant.challenge:
                return Answer(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
            return self._issue(self.alice)
        if form.get("grant_type") == "refresh_token":
            user = self.refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotated: single use
            if user is None:
                return Answer(400, {"error": "invalid_grant", "error_description": "The refresh token is invalid"})
            return self._issue(user)
        return Answer(400, {"error": "unsupported_grant_type"})

    # -- REST v4 ----------------------------------------------------------------------------------
    def _caller(self, request: Request) -> dict[str, object] | None:
        token = request.bearer() or request.headers.get("private-token")
        return self.users.get(token or "")

    def _paged(self, request: Request, items: list[dict[str, object]]) -> Answer:
        if self._caller(request) is None:
            return Answer(401, {"message": "401 Unauthorized"})
        page = int(request.query.get("page", "1"))
        chunk = items[(page - 1) * self.per_page: page * self.per_page]
        headers = {}
        if page * self.per_page < len(items):
            headers["X-Next-Page"] = str(page + 1)
            if page % 2 == 1:  # odd pages also give a Link header; even pages only X-Next-Page
                query = "&".join(f"{k}={v}" for k, v in {**request.query, "page": str(page + 1)}.items())
                headers["Link"] = f'<{self.base_url}{request.raw_path}?{query}>; rel="next"'
        return Answer(200, chunk, headers)

    def _authed(self, request: Request, body: object) -> Answer:
        if self._caller(request) is None:
            return Answer(401, {"message": "401 Unauthorized"})
        return Answer(200, body)

    def user(self, request: Request, match: re.Match[str]) -> Answer:
        return self._authed(request, self._caller(request))

    def list_groups(self, request: Request, match: re.Match[str]) -> Answer:
        assert request.query.get("min_access_level") == "20"
        return self._paged(request, self.groups)

    def owner(self, request: Request, match: re.Match[str]) -> Answer:
        kind, owner_id = match.group(1), int(match.group(2))
        found = [self.alice] if kind == "users" and owner_id == self.alice["id"] else [
            g for g in self.groups if kind == "groups" and g["id"] == owner_id]
        return self._authed(request, found[0]) if found else self.not_found()

    def _projects(self, request: Request, owner: str) -> Answer:
        items = [{"id": n, "path_with_namespace": path, **data}
                 for n, (path, data) in enumerate(self.projects.items()) if path.rpartition("/")[0] == owner]
        return self._paged(request, items)

    def group_projects(self, request: Request, match: re.Match[str]) -> Answer:
        owner = unquote(match.group(1))
        if owner not in {g["full_path"] for g in self.groups}:
            return Answer(404, {"message": "404 Group Not Found"})
        return self._projects(request, owner)

    def user_projects(self, request: Request, match: re.Match[str]) -> Answer:
        if unquote(match.group(1)) != self.alice["username"]:
            return Answer(404, {"message": "404 User Not Found"})
        return self._projects(request, "alice")

    def list_branches(self, request: Request, match: re.Match[str]) -> Answer:
        branches = self.branches.get(unquote(match.group(1)))
        if branches is None:
            return Answer(404, {"message": "404 Project Not Found"})
        return self._paged(request, [{"name": n, "commit": {"id": c}} for n, c in branches.items()])

    def branch(self, request: Request, match: re.Match[str]) -> Answer:
        commit = self.branches.get(unquote(match.group(1)), {}).get(unquote(match.group(2)))
        if commit is None:
            return Answer(404, {"message": "404 Branch Not Found"})
        return self._authed(request, {"name": unquote(match.group(2)), "commit": {"id": commit}})

    def archive(self, request: Request, match: re.Match[str]) -> Answer:
        if self._caller(request) is None:
            return Answer(401, {"message": "401 Unauthorized"})
        project = unquote(match.group(1))
        if request.query.get("sha") not in self.branches.get(project, {}).values():
            return Answer(404, {"message": "404 Commit Not Found"})
        return Answer(200, ARCHIVE, {"Content-Type": "application/zip"})
