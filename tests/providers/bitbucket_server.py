"""A Bitbucket Cloud stand-in: the OAuth consumer endpoints on the site, REST 2.0 under /2.0.

https://developer.atlassian.com/cloud/bitbucket/rest/intro/ (paged `values` with a
`next` URL; error bodies `{"type": "error", "error": {"message": ...}}`), OAuth with
the consumer authenticated by HTTP Basic on /site/oauth2/access_token, no PKCE.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from provider_server import Answer, FakeHost, Request

CLIENT_ID = "bb-key"
CLIENT_SECRET = "bb-secret-SECRET-XYZ"
APP_PASSWORD = "bb-apppw-SECRET-0001"
ACCESS_TOKEN = "bb-access-token-SECRET-0002"  # a workspace access token: Bearer, no username
REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"
ARCHIVE = b"PK\x05\x06" + b"\x00" * 18


def uuid(n: int) -> str:
    return "{%08d-0000-4000-8000-000000000000}" % n


class BitbucketServer(FakeHost):
    def __init__(self) -> None:
        super().__init__()
        self.alice = {"type": "user", "uuid": uuid(1), "username": "alice", "display_name": "Alice"}
        self.tokens: dict[str, dict[str, object]] = {ACCESS_TOKEN: self.alice}
        self.codes: dict[str, str] = {}  # code -> redirect_uri
        self.refresh_tokens: dict[str, dict[str, object]] = {}
        self.issued = 0
        self.pagelen = 2
        self.workspaces = [{"type": "workspace", "uuid": uuid(100 + n), "slug": f"ws{n}", "name": f"WS {n}"}
                           for n in range(3)]
        self.repositories = {"ws0": [{"slug": f"repo{n}", "is_private": n % 2 == 0,
                                      "mainbranch": {"name": "main"}} for n in range(3)]}
        self.branches = {("ws0", "repo0"): {"main": "1" * 40, "release/1.0": "2" * 40}}
        self.route("POST", r"/site/oauth2/access_token", self.token)
        self.route("GET", r"/2\.0/user", self.user)
        self.route("GET", r"/2\.0/user/workspaces", self.user_workspaces)
        self.route("GET", r"/2\.0/workspaces/([^/]+)", self.workspace)
        self.route("GET", r"/2\.0/repositories/([^/]+)", self.list_repositories)
        self.route("GET", r"/2\.0/repositories/([^/]+)/([^/]+)/refs/branches", self.list_branches)
        self.route("GET", r"/2\.0/repositories/([^/]+)/([^/]+)/refs/branches/([^/]+)", self.branch)
        self.route("GET", r"/([^/]+)/([^/]+)/get/([0-9a-f]{40})\.zip", self.archive)
        self.route("GET", r"/cdn/archive\.zip", self.cdn)

    def not_found(self) -> Answer:
        return Answer(404, {"type": "error", "error": {"message": "Resource not found"}})

    # -- OAuth ------------------------------------------------------------------------------------
    def authorize(self, query: dict[str, str]) -> str:
        assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
        assert "code_challenge" not in query  # Bitbucket Cloud has no PKCE
        code = f"bb-code-{len(self.codes)}"
        self.codes[code] = query["redirect_uri"]
        return code

    def _issue(self, user: dict[str, object]) -> Answer:
        self.issued += 1
        access, refresh = f"bb-oauth-SECRET-{self.issued}", f"bb-refresh-SECRET-{self.issued}"
        self.tokens[access] = user
        self.refresh_tokens[refresh] = user
        return Answer(200, {"access_token": access, "scopes": "repository account", "expires_in": 7200,
                            "refresh_token": refresh, "token_type": "bearer"})

    def token(self, request: Request, match: re.Match[str]) -> Answer:
        if request.basic() != (CLIENT_ID, CLIENT_SECRET):
            return Answer(400, {"error": "invalid_client", "error_description": "Invalid OAuth client credentials"})
        form = request.form
        if form.get("grant_type") == "authorization_code":
            redirect_uri = self.codes.pop(form.get("code", ""), None)
            if redirect_uri is None or redirect_uri != form.get("redirect_uri"):
                return Answer(400, {"error": "invalid_grant", "error_description": "The code is invalid"})
            return self._issue(self.alice)
        if form.get("grant_type") == "refresh_token":
            user = self.refresh_tokens.get(form.get("refresh_token", ""))
            if user is None:
                return Answer(400, {"error": "invalid_grant", "error_description": "Invalid refresh_token"})
            self.issued += 1
            access = f"bb-oauth-SECRET-{self.issued}"
            self.tokens[access] = user
            return Answer(200, {"access_token": access, "expires_in": 7200, "token_type": "bearer"})
        return Answer(400, {"error": "unsupported_grant_type"})

    # -- REST 2.0 ---------------------------------------------------------------------------------
    def _caller(self, request: Request) -> dict[str, object] | None:
        basic = request.basic()
        if basic is not None:
            return self.alice if basic == ("alice", APP_PASSWORD) else None
        return self.tokens.get(request.bearer() or "")

    def _denied(self) -> Answer:
        return Answer(401, {"type": "error", "error": {"message": "Access token expired. Use your refresh token "
                                                                 "to obtain a new access token."}})

    def _authed(self, request: Request, body: object) -> Answer:
        return Answer(200, body) if self._caller(request) is not None else self._denied()

    def _paged(self, request: Request, items: list[dict[str, object]]) -> Answer:
        if self._caller(request) is None:
            return self._denied()
        page = int(request.query.get("page", "1"))
        body: dict[str, object] = {"pagelen": self.pagelen, "page": page, "size": len(items),
                                   "values": items[(page - 1) * self.pagelen: page * self.pagelen]}
        if page * self.pagelen < len(items):
            body["next"] = f"{self.base_url}{request.raw_path}?pagelen={self.pagelen}&page={page + 1}"
        return Answer(200, body)

    def user(self, request: Request, match: re.Match[str]) -> Answer:
        return self._authed(request, self._caller(request))

    def user_workspaces(self, request: Request, match: re.Match[str]) -> Answer:
        return self._paged(request, [{"type": "workspace_access", "administrator": n == 0, "workspace": w}
                                     for n, w in enumerate(self.workspaces)])

    def workspace(self, request: Request, match: re.Match[str]) -> Answer:
        key = unquote(match.group(1))
        found = [w for w in self.workspaces if key in (w["uuid"], w["slug"])]
        return self._authed(request, found[0]) if found else self.not_found()

    def list_repositories(self, request: Request, match: re.Match[str]) -> Answer:
        repositories = self.repositories.get(unquote(match.group(1)))
        return self.not_found() if repositories is None else self._paged(request, repositories)

    def list_branches(self, request: Request, match: re.Match[str]) -> Answer:
        branches = self.branches.get((match.group(1), match.group(2)))
        if branches is None:
            return self.not_found()
        return self._paged(request, [{"name": n, "target": {"hash": c}} for n, c in branches.items()])

    def branch(self, request: Request, match: re.Match[str]) -> Answer:
        name = unquote(match.group(3))
        commit = self.branches.get((match.group(1), match.group(2)), {}).get(name)
        if commit is None:
            return self.not_found()
        return self._authed(request, {"name": name, "target": {"hash": commit}})

    def archive(self, request: Request, match: re.Match[str]) -> Answer:
        if self._caller(request) is None:
            return self._denied()
        if match.group(3) not in self.branches.get((match.group(1), match.group(2)), {}).values():
            return self.not_found()
        return Answer(302, b"", {"Location": f"{self.base_url}/cdn/archive.zip"})

    def cdn(self, request: Request, match: re.Match[str]) -> Answer:
        return Answer(200, ARCHIVE, {"Content-Type": "application/zip"})
