"""The repository picker: a connection's owners, an owner's repositories, a repository's branches.

Each list is one UseConnection decision, with the ProviderAction (ListOwners,
ListRepositories, ListBranches) and the keys of what it names (OwnerId,
FullRepositoryId, RepositoryName), decided as the git endpoint decides GitPull,
then read from the provider through the connection (`ConsoleCalls.use_connection`).
Plain links step from one list to the next: the picker needs no JavaScript.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.responses import Response

from codeconn.console.pages_connections import region_of, service_of
from codeconn.console.web import Page
from codeconn.providers.base import Branch, Owner, ProviderAction, Repository


def repositories(page: Page) -> Response:
    arn, owner, repository = page.arg("arn"), page.arg("owner"), page.arg("repository")
    actor = page.signed_in()
    calls = page.web.calls
    connection = page.run(service_of(arn), "GetConnection", {"ConnectionArn": arn}, region_of(arn))["Connection"]
    owners: Sequence[Owner] = ()
    repos: Sequence[Repository] = ()
    branches: Sequence[Branch] = ()
    if not owner:
        owners = calls.use_connection(actor, arn, ProviderAction.LIST_OWNERS, lambda provider, credential, bound: (
            provider.list_owners(credential, bound.installation_id or "")))
    elif not repository:
        repos = calls.use_connection(actor, arn, ProviderAction.LIST_REPOSITORIES, lambda provider, credential, _: (
            provider.list_repositories(credential, owner)), owner=owner)
    else:
        branches = calls.use_connection(actor, arn, ProviderAction.LIST_BRANCHES, lambda provider, credential, _: (
            provider.list_branches(credential, owner, repository)), owner=owner, repository=repository)
    return page.render("repositories.html", connection=connection, owner=owner, repository=repository,
                       owners=list(owners), repositories=list(repos), branches=list(branches))


__all__ = ["repositories"]
