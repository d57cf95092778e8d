"""NextToken and MaxResults across the List operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from connections_env import Bench

from codeconn.service.connections.pagination import DEFAULT_PAGE_SIZE, decode_token
from codeconn.service.errors import ValidationException

SYNC = {"SyncType": "CFN_STACK_SYNC"}


def collect(bench: Bench, operation: str, member: str, service: str = "codestar-connections",
            **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item of a listing, page by page, and the number of pages."""
    items: list[dict[str, Any]] = []
    pages, token = 0, None
    while True:
        output = bench.invoke(operation, service, **params, **({"NextToken": token} if token else {}))
        items += output[member]
        pages += 1
        token = output.get("NextToken")
        if token is None:
            return items, pages


Setup = Callable[[Bench], tuple[list[str], dict[str, Any]]]


def _connections(bench: Bench) -> tuple[list[str], dict[str, Any]]:
    return [bench.connection(f"c{n}") for n in range(5)], {}


def _hosts(bench: Bench) -> tuple[list[str], dict[str, Any]]:
    return [bench.host(f"h{n}") for n in range(5)], {}


def _links(bench: Bench) -> tuple[list[str], dict[str, Any]]:
    connection = bench.connection(available=True)
    return [bench.link(connection, repository=f"r{n}")["RepositoryLinkArn"] for n in range(5)], {}


def _configurations(bench: Bench) -> tuple[list[str], dict[str, Any]]:
    link = bench.link(bench.connection(available=True))["RepositoryLinkId"]
    names = [bench.sync_configuration(link, f"stack-{n}")["ResourceName"] for n in range(5)]
    return names, {"RepositoryLinkId": link, **SYNC}


LISTINGS = [
    pytest.param("ListConnections", "Connections", "ConnectionArn", _connections, id="ListConnections"),
    pytest.param("ListHosts", "Hosts", "HostArn", _hosts, id="ListHosts"),
    pytest.param("ListRepositoryLinks", "RepositoryLinks", "RepositoryLinkArn", _links, id="ListRepositoryLinks"),
    pytest.param("ListSyncConfigurations", "SyncConfigurations", "ResourceName", _configurations,
                 id="ListSyncConfigurations"),
]


@pytest.mark.parametrize(("operation", "member", "field", "setup"), LISTINGS)
@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_pages_of_two_hold_everything_in_creation_order(bench: Bench, operation: str, member: str, field: str,
                                                        setup: Setup, service: str) -> None:
    created, params = setup(bench)
    items, pages = collect(bench, operation, member, service, MaxResults=2, **params)
    assert [item[field] for item in items] == created
    assert pages == 3


@pytest.mark.parametrize(("operation", "member", "field", "setup"), LISTINGS)
def test_without_max_results_one_page_holds_up_to_the_default(bench: Bench, operation: str, member: str,
                                                              field: str, setup: Setup) -> None:
    created, params = setup(bench)
    output = bench.invoke(operation, **params)
    assert len(output[member]) == len(created) and "NextToken" not in output
    assert bench.invoke(operation, MaxResults=0, **params) == output


def test_more_than_the_default_takes_two_pages(bench: Bench) -> None:
    for n in range(DEFAULT_PAGE_SIZE + 1):
        bench.connection(f"c{n}")
    first = bench.invoke("ListConnections")
    assert len(first["Connections"]) == DEFAULT_PAGE_SIZE
    second = bench.invoke("ListConnections", NextToken=first["NextToken"])
    assert len(second["Connections"]) == 1 and "NextToken" not in second


def test_filters_apply_to_every_page(bench: Bench) -> None:
    made = [bench.connection(f"c{n}", ProviderType="GitHub" if n % 2 else "Bitbucket") for n in range(7)]
    items, _ = collect(bench, "ListConnections", "Connections", MaxResults=1, ProviderTypeFilter="GitHub")
    assert [item["ConnectionArn"] for item in items] == made[1::2]


@pytest.mark.parametrize("token", [
    pytest.param("not-a-token", id="garbage"),
    pytest.param("eyJsIjogIngiLCAiYyI6ICIxIn0", id="a token of another listing"),
    pytest.param("W10", id="valid base64 of the wrong JSON"),
])
def test_a_token_not_handed_out_for_this_listing_is_refused(bench: Bench, token: str) -> None:
    bench.connection()
    with pytest.raises(ValidationException):
        bench.invoke("ListConnections", NextToken=token)


def test_a_token_is_bound_to_its_operation_and_filters(bench: Bench) -> None:
    for n in range(3):
        bench.connection(f"c{n}")
        bench.host(f"h{n}")
    hosts_token = bench.invoke("ListHosts", MaxResults=1)["NextToken"]
    with pytest.raises(ValidationException):
        bench.invoke("ListConnections", NextToken=hosts_token)
    filtered = bench.invoke("ListConnections", MaxResults=1, ProviderTypeFilter="GitHub")["NextToken"]
    with pytest.raises(ValidationException):
        bench.invoke("ListConnections", NextToken=filtered)
    assert decode_token(filtered, "ListConnections|us-east-1|GitHub|None") is not None
