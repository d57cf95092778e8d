"""The error classes made from a table: named after their codes, importable, answered by code."""

from __future__ import annotations

import pickle

import pytest

from codeconn.service import errors
from codeconn.service.connections import errors as connections_errors
from codeconn.service.connections.resources import TagsChanged
from codeconn.service.errors import ConcurrentModificationException, IamError, ServiceError
from codeconn.service.iam import errors as iam_errors

TABLE_MADE = [
    *(getattr(errors, name) for name in errors.__all__ if name.endswith("Exception")),
    *(getattr(connections_errors, name) for name in connections_errors.__all__),
    *(getattr(iam_errors, name) for name in iam_errors.__all__ if name != "CodedIamError"),
]


@pytest.mark.parametrize("error", TABLE_MADE, ids=lambda error: error.__name__)
def test_a_table_made_error_is_named_after_its_code(error: type[ServiceError]) -> None:
    raised = error("what went wrong")
    assert error.code == error.__name__ == raised.code
    assert raised.message == "what went wrong" and isinstance(raised, ServiceError)
    assert error.__doc__
    assert type(pickle.loads(pickle.dumps(raised))) is error


def test_iam_errors_keep_iam_error_as_their_base() -> None:
    assert issubclass(iam_errors.NoSuchEntity, IamError)
    assert IamError("NoSuchEntity", "gone").code == "NoSuchEntity"


def test_tags_changed_is_answered_as_a_concurrent_modification() -> None:
    assert issubclass(TagsChanged, ConcurrentModificationException)
    assert TagsChanged("changed").code == "ConcurrentModificationException"
