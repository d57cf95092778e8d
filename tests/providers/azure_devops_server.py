"""An Azure DevOps Services stand-in: Entra ID's OAuth endpoints under /entra, the profile and accounts APIs
(app.vssps.visualstudio.com's) and the organizations' Git APIs (dev.azure.com's) on one host.

https://learn.microsoft.com/en-us/rest/api/azure/devops/ (api-version 7.1, `value`
lists, `x-ms-continuationtoken`), an invalid PAT answered 203 with a sign-in page,
error bodies `{"message": ..., "typeKey": ...}`, Entra errors as RFC 6749 bodies.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from provider_server import Answer, FakeHost, Request, s256

CLIENT_ID = "00000000-aaaa-bbbb-cccc-000000000001"
PAT = "ado-pat-SECRET-0001"
REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"
SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default offline_access"
ARCHIVE = b"PK\x05\x06" + b"\x00" * 18
SIGN_IN_PAGE = b"<html><head><title>Azure DevOps Services | Sign In</title></head></html>"


class AzureDevOpsServer(FakeHost):
    def __init__(self) -> None:
        super().__init__()
        self.me = {"id": "prof-1", "displayName": "Alice", "emailAddress": "alice@example.com",
                   "publicAlias": "prof-1"}
        self.tokens: dict[str, dict[str, str]] = {}
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (challenge, redirect_uri)
        self.refresh_tokens: dict[str, dict[str, str]] = {}
        self.issued = 0
        self.page_size = 2
        self.accounts = [{"accountId": f"acc-{n}", "accountName": f"org{n}",
                          "accountUri": f"https://vssps.dev.azure.com/org{n}/"} for n in range(3)]
        self.repositories = {"org0": [
            {"id": "r1", "name": "api", "project": {"name": "Platform", "visibility": "private"},
             "defaultBranch": "refs/heads/main"},
            {"id": "r2", "name": "site", "project": {"name": "Web", "visibility": "public"},
             "defaultBranch": "refs/heads/trunk"},
            {"id": "r3", "name": "empty", "project": {"name": "Web", "visibility": "public"}},
            {"id": "r4", "name": "old", "project": {"name": "Web", "visibility": "public"}, "isDisabled": True},
        ]}
        self.refs = {("org0", "Platform", "api"): {"main": "d" * 40, "main-2": "e" * 40, "users/a/x": "f" * 40}}
        self.route("POST", r"/entra/token", self.token)
        self.route("GET", r"/_apis/profile/profiles/me", self.profile)
        self.route("GET", r"/_apis/accounts", self.list_accounts)
        self.route("GET", r"/_apis/accounts/([^/]+)", self.account)
        self.route("GET", r"/([^/_][^/]*)/_apis/git/repositories", self.list_repositories)
        self.route("GET", r"/([^/]+)/([^/]+)/_apis/git/repositories/([^/]+)/refs", self.list_refs)
        self.route("GET", r"/([^/]+)/([^/]+)/_apis/git/repositories/([^/]+)/items", self.items)

    def not_found(self) -> Answer:
        return Answer(404, {"$id": "1", "message": "TF400898: An Internal Error Occurred.",
                            "typeKey": "NotFoundException"})

    # -- Entra ID ---------------------------------------------------------------------------------
    def authorize(self, query: dict[str, str]) -> str:
        assert query["client_id"] == CLIENT_ID and query["scope"] == SCOPE
        assert query["code_challenge_method"] == "S256"
        code = f"ado-code-{len(self.codes)}"
        self.codes[code] = (query["code_challenge"], query["redirect_uri"])
        return code

    def _issue(self) -> Answer:
        self.issued += 1
        access, refresh = f"ado-oauth-SECRET-{self.issued}", f"ado-refresh-SECRET-{self.issued}"
        self.tokens[access] = self.me
        self.refresh_tokens[refresh] = self.me
        return Answer(200, {"token_type": "Bearer", "scope": SCOPE, "expires_in": 3599, "ext_expires_in": 3599,
                            "access_token": access, "refresh_token": refresh})

    def token(self, request: Request, match: re.Match[str]) -> Answer:
        form = request.form
        if form.get("client_id") != CLIENT_ID or form.get("scope") != SCOPE:
            return Answer(400, {"error": "invalid_request", "error_description": "AADSTS900144: bad request"})
        if form.get("grant_type") == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or grant[1] != form.get("redirect_uri"):
                return Answer(400, {"error": "invalid_grant", "error_description": "AADSTS70008: expired code"})
            if s256(form.get("code_verifier", "")) != grant[0]:
                return Answer(400, {"error": "invalid_grant", "error_description":
                                    "AADSTS501481: The Code_Verifier does not match the code_challenge"})
            return self._issue()
        if form.get("grant_type") == "refresh_token":
            if self.refresh_tokens.pop(form.get("refresh_token", ""), None) is None:
                return Answer(400, {"error": "invalid_grant", "error_description": "AADSTS700082: The refresh "
                                    "token has expired due to inactivity."})
            return self._issue()
        return Answer(400, {"error": "unsupported_grant_type"})

    # -- REST -------------------------------------------------------------------------------------
    def _caller(self, request: Request) -> dict[str, str] | None:
        basic = request.basic()
        if basic is not None:
            return self.me if basic == ("", PAT) else None
        return self.tokens.get(request.bearer() or "")

    def _authed(self, request: Request, body: object) -> Answer:
        if self._caller(request) is None:
            if request.basic() is not None:  # a wrong PAT: the sign-in page, as Azure DevOps does
                return Answer(203, SIGN_IN_PAGE, {"Content-Type": "text/html"})
            return Answer(401, b"", {"WWW-Authenticate": "Bearer"})
        assert request.query.get("api-version") == "7.1"
        return Answer(200, body)

    def _paged(self, request: Request, items: list[dict[str, object]]) -> Answer:
        start = int(request.query.get("continuationToken", "ct-0").removeprefix("ct-"))
        chunk = items[start: start + self.page_size]
        answer = self._authed(request, {"count": len(chunk), "value": chunk})
        if answer.status == 200 and start + self.page_size < len(items):
            answer.headers["x-ms-continuationtoken"] = f"ct-{start + self.page_size}"
        return answer

    def profile(self, request: Request, match: re.Match[str]) -> Answer:
        return self._authed(request, self._caller(request))

    def list_accounts(self, request: Request, match: re.Match[str]) -> Answer:
        if request.query.get("memberId") != self.me["id"]:
            return Answer(400, {"message": "VS800075: The memberId is not valid.", "typeKey": "ArgumentException"})
        return self._paged(request, self.accounts)

    def account(self, request: Request, match: re.Match[str]) -> Answer:
        found = [a for a in self.accounts if a["accountId"] == unquote(match.group(1))]
        return self._authed(request, found[0]) if found else self.not_found()

    def list_repositories(self, request: Request, match: re.Match[str]) -> Answer:
        repositories = self.repositories.get(match.group(1))
        return self.not_found() if repositories is None else self._paged(request, repositories)

    def list_refs(self, request: Request, match: re.Match[str]) -> Answer:
        refs = self.refs.get((match.group(1), match.group(2), match.group(3)))
        if refs is None:
            return Answer(404, {"message": f"TF401019: The Git repository with name or identifier "
                                           f"{match.group(3)} does not exist or you do not have permissions for "
                                           f"the operation you are attempting.",
                                "typeKey": "GitRepositoryNotFoundException"})
        prefix = "refs/" + request.query.get("filter", "")
        return self._paged(request, [{"name": f"refs/heads/{n}", "objectId": c} for n, c in refs.items()
                                     if f"refs/heads/{n}".startswith(prefix)])

    def items(self, request: Request, match: re.Match[str]) -> Answer:
        refs = self.refs.get((match.group(1), match.group(2), match.group(3)), {})
        query = request.query
        expected = {"path": "/", "versionDescriptor.versionType": "commit", "$format": "zip", "download": "true"}
        assert {k: query.get(k) for k in expected} == expected
        if query.get("versionDescriptor.version") not in refs.values():
            return self.not_found()
        answer = self._authed(request, None)
        return Answer(200, ARCHIVE, {"Content-Type": "application/zip"}) if answer.status == 200 else answer
