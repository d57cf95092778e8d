"""Connections: the list, one connection with its tags, and "update pending connection" (the handshake).

Every page runs the API's operations as the signed-in principal: ListConnections,
GetConnection, ListTagsForResource; the handshake is StartOAuthHandshake (the
browser goes to the provider and comes back through `/oauth/callback`, which hands
it to `oauth_return`), or GetIndividualAccessToken with a personal access token
(or with nothing, in local mode), then ListInstallationTargets (the installation
picker) and UpdateConnectionInstallation. An operation on one connection is
called on the endpoint its ARN names (`codestar-connections` or
`codeconnections`), as the git endpoint does; lists use `LIST_SERVICE`.

The TokenId a provider sign-in gives stays in the server-side session, and the
personal access token is passed once to GetIndividualAccessToken and never shown,
kept or logged (the audit line's parameters are scrubbed as the API's are).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response

from codeconn.console.calls import status_of
from codeconn.console.problems import problem_for
from codeconn.console.web import PREFIX, Page, Web, redirect
from codeconn.domain.arns import parse_arn
from codeconn.service.errors import ServiceError
from codeconn.wire.errors import WireError

LIST_SERVICE = "codeconnections"
"""The endpoint the console lists through (AWS's console uses the service's current name)."""

MAX_PAGES = 20


def service_of(arn: str) -> str:
    """The endpoint a resource's ARN names; `LIST_SERVICE` for anything else."""
    parsed = parse_arn(arn)
    return parsed.service if parsed is not None else LIST_SERVICE


def region_of(arn: str) -> str | None:
    parsed = parse_arn(arn)
    return parsed.region if parsed is not None else None


def every_page(page: Page, service: str, operation: str, items: str, **params: Any) -> list[dict[str, Any]]:
    """All items of a paginated list operation (at most MAX_PAGES pages)."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        answer = page.run(service, operation, {**params, "NextToken": token})
        found.extend(answer.get(items, []))
        token = answer.get("NextToken")
        if not token:
            break
    return found


def connections(page: Page) -> Response:
    listed = every_page(page, LIST_SERVICE, "ListConnections", "Connections")
    return page.render("connections.html", connections=listed)


def connection(page: Page) -> Response:
    arn = page.arg("arn")
    service = service_of(arn)
    found = page.run(service, "GetConnection", {"ConnectionArn": arn}, region_of(arn))["Connection"]
    tags = page.run(service, "ListTagsForResource", {"ResourceArn": arn}, region_of(arn)).get("Tags", [])
    return page.render("connection.html", connection=found, tags=tags)


def handshake(page: Page) -> Response:
    """"Update pending connection": how to sign in to the connection's provider."""
    arn = page.arg("arn")
    service = service_of(arn)
    found = page.run(service, "GetConnection", {"ConnectionArn": arn}, region_of(arn))["Connection"]
    installation_url = ""
    try:
        installation_url = page.run(service, "GetInstallationUrl", _provider(found), region_of(arn))[
            "InstallationUrl"]
    except (ServiceError, WireError):
        pass  # a provider without an installation page (or a principal not allowed to ask): no link
    return page.render("handshake.html", connection=found, local=installation_url.startswith("file://"),
                       installation_url="" if installation_url.startswith("file://") else installation_url)


def start_oauth(page: Page) -> Response:
    """StartOAuthHandshake; the browser goes to the provider, which sends it back to /oauth/callback."""
    arn = page.arg("arn")
    service = service_of(arn)
    found = page.run(service, "GetConnection", {"ConnectionArn": arn}, region_of(arn))["Connection"]
    started = page.run(service, "StartOAuthHandshake", {**_provider(found), "ConnectionArn": arn}, region_of(arn))
    page.session.oauth_states[started["State"]] = arn
    return RedirectResponse(started["AuthorizationUrl"], status_code=303)


def take_token(page: Page) -> Response:
    """GetIndividualAccessToken with a personal access token, or with nothing (local mode)."""
    arn = page.arg("arn")
    service = service_of(arn)
    found = page.run(service, "GetConnection", {"ConnectionArn": arn}, region_of(arn))["Connection"]
    params = {**_provider(found), "PersonalAccessToken": page.form.get("personal_access_token") or None}
    token = page.run(service, "GetIndividualAccessToken", params, region_of(arn))
    page.session.tokens[arn] = token["TokenId"]
    return redirect(f"{PREFIX}/connection/install", arn=arn)


def installations(page: Page) -> Response:
    """The installation picker: ListInstallationTargets with the session's TokenId for this connection."""
    arn = page.arg("arn")
    return _picker(page, arn, page.arg("provider_user"))


def install(page: Page) -> Response:
    """UpdateConnectionInstallation: the connection bound to the chosen installation; it becomes AVAILABLE."""
    arn = page.arg("arn")
    token = page.session.tokens.get(arn)
    if token is None:
        return redirect(f"{PREFIX}/connection/handshake", arn=arn)
    page.run(service_of(arn), "UpdateConnectionInstallation",
             {"ConnectionArn": arn, "InstallationId": page.form.get("installation_id", ""), "TokenId": token},
             region_of(arn))
    page.session.tokens.pop(arn, None)
    return redirect(f"{PREFIX}/connection", arn=arn)


def _picker(page: Page, arn: str, provider_user: str = "") -> Response:
    token = page.session.tokens.get(arn)
    if token is None:
        return redirect(f"{PREFIX}/connection/handshake", arn=arn)
    service = service_of(arn)
    found = page.run(service, "GetConnection", {"ConnectionArn": arn}, region_of(arn))["Connection"]
    targets = every_page(page, service, "ListInstallationTargets", "InstallationTargets", TokenId=token)
    return page.render("installations.html", connection=found, targets=targets, provider_user=provider_user)


def _provider(connection: dict[str, Any]) -> dict[str, Any]:
    """ProviderType, and HostArn for a connection through a host."""
    return {"ProviderType": connection.get("ProviderType"), "HostArn": connection.get("HostArn")}


def oauth_return(web: Web, page: Page) -> Response | None:
    """The provider sent the browser back with a code for a State this session started; None if it did not.

    Runs GetIndividualAccessToken (Code, State) as the session's principal and shows
    the installation picker right here: the browser arrived by a cross-site redirect,
    so any further redirect would still count as cross-site and be refused.
    """
    state, code = page.query.get("state", ""), page.query.get("code", "")
    arn = page.session.oauth_states.pop(state, None) if state else None
    if arn is None:
        return None
    if not code:
        return None  # the provider's error: the callback page shows it
    service = service_of(arn)
    try:
        found = page.run(service, "GetConnection", {"ConnectionArn": arn}, region_of(arn))["Connection"]
        token = page.run(service, "GetIndividualAccessToken", {**_provider(found), "Code": code, "State": state},
                         region_of(arn))
        page.session.tokens[arn] = token["TokenId"]
        return _picker(page, arn, token.get("ProviderUser", ""))
    except (ServiceError, WireError) as error:
        problem = problem_for(error)
        return web.render("problem.html", page, status_of(error), problem=problem)


__all__ = ["LIST_SERVICE", "connection", "connections", "every_page", "handshake", "install",
           "installations", "oauth_return", "region_of", "service_of", "start_oauth", "take_token"]
