"""Hosts and their set-up: ListHosts, GetHost, and the handshake that makes a host AVAILABLE.

A host whose endpoint is a `file://` directory (local mode) is set up by
GetIndividualAccessToken with its HostArn, which finds the directory; any other host
registers codeconn's app on the code host (StartAppRegistrationHandshake: the
browser goes to the host's app-manifest page and comes back through
`/oauth/callback`, where `app_return` finishes with RegisterAppCode).
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from codeconn.console.calls import status_of
from codeconn.console.pages_connections import LIST_SERVICE, every_page, region_of, service_of
from codeconn.console.problems import problem_for
from codeconn.console.web import PREFIX, Page, Web, redirect
from codeconn.service.errors import ServiceError
from codeconn.wire.errors import WireError

LOCAL_SCHEME = "file://"


def hosts(page: Page) -> Response:
    return page.render("hosts.html", hosts=every_page(page, LIST_SERVICE, "ListHosts", "Hosts"))


def host(page: Page) -> Response:
    arn = page.arg("arn")
    found = page.run(service_of(arn), "GetHost", {"HostArn": arn}, region_of(arn))
    tags = page.run(service_of(arn), "ListTagsForResource", {"ResourceArn": arn}, region_of(arn)).get("Tags", [])
    return page.render("host.html", host=found, arn=arn, tags=tags,
                       local=str(found.get("ProviderEndpoint", "")).startswith(LOCAL_SCHEME))


def set_up(page: Page) -> Response:
    """Local: GetIndividualAccessToken finds the directory. Else: the app registration, at the host."""
    arn = page.arg("arn")
    service, region = service_of(arn), region_of(arn)
    found = page.run(service, "GetHost", {"HostArn": arn}, region)
    if str(found.get("ProviderEndpoint", "")).startswith(LOCAL_SCHEME):
        page.run(service, "GetIndividualAccessToken", {"ProviderType": found.get("ProviderType"), "HostArn": arn},
                 region)
        return redirect(f"{PREFIX}/host", arn=arn)
    started = page.run(service, "StartAppRegistrationHandshake", {"HostArn": arn}, region)
    page.session.app_states[started["State"]] = arn
    return RedirectResponse(started["RegistrationUrl"], status_code=303)


def app_return(web: Web, page: Page) -> Response | None:
    """The host sent the browser back with the app's code for a State this session started: RegisterAppCode."""
    state, code = page.query.get("state", ""), page.query.get("code", "")
    arn = page.session.app_states.pop(state, None) if state else None
    if arn is None or not code:
        return None
    try:
        registered = page.run(service_of(arn), "RegisterAppCode", {"HostArn": arn, "Code": code, "State": state},
                              region_of(arn))
    except (ServiceError, WireError) as error:
        return web.render("problem.html", page, status_of(error), problem=problem_for(error))
    return page.render("host.html", host=registered.get("Host", {}), arn=arn, tags=[], local=False)


__all__ = ["app_return", "host", "hosts", "set_up"]
