"""The connections quotas: global for connections, per Region for hosts and repository links."""

from __future__ import annotations

from codeconn.domain.arns import CONNECTION, HOST, REPOSITORY_LINK
from codeconn.domain.quotas import QUOTAS


def test_the_numbers_are_aws_defaults() -> None:
    assert {kind: quota.limit for kind, quota in QUOTAS.items()} == {
        CONNECTION.kind: 250, HOST.kind: 50, REPOSITORY_LINK.kind: 100}


def test_one_more_fits_only_below_the_limit() -> None:
    quota = QUOTAS[HOST.kind]
    assert quota.allows_one_more(49)
    assert not quota.allows_one_more(50)
    assert not quota.allows_one_more(51)


def test_every_kind_counts_per_region() -> None:
    assert QUOTAS[CONNECTION.kind].scope("eu-west-1") == {"Region": "eu-west-1"}
    assert QUOTAS[HOST.kind].scope("eu-west-1") == {"Region": "eu-west-1"}
    assert QUOTAS[REPOSITORY_LINK.kind].scope("eu-west-1") == {"Region": "eu-west-1"}


def test_the_message_names_the_scope() -> None:
    assert QUOTAS[CONNECTION.kind].exceeded("us-east-1") == \
        "Exceeded the maximum limit for connections: an account can have 250 connections in us-east-1."
    assert QUOTAS[REPOSITORY_LINK.kind].exceeded("us-east-1") == \
        "Exceeded the maximum limit for repository links: an account can have 100 repository links in us-east-1."
