"""codeconn.auth's public surface: what the server edge imports, and `__all__` complete."""

from __future__ import annotations

import inspect
import types

import codeconn.auth
from codeconn.auth import PolicyAuthorizer, StoreDirectory, load_org_policies


def test_all_is_complete_and_exists() -> None:
    public = {name for name, value in vars(codeconn.auth).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert public == set(codeconn.auth.__all__)


def test_the_signatures_the_server_edge_calls() -> None:
    directory = inspect.signature(StoreDirectory)
    assert list(directory.parameters)[:2] == ["store", "secrets"]
    assert directory.parameters["root_credentials"].default == ("test", "test")
    assert directory.parameters["default_account"].default == "000000000000"
    authorizer = inspect.signature(PolicyAuthorizer)
    assert {"mode", "org", "catalog"} <= set(authorizer.parameters)
    assert list(inspect.signature(load_org_policies).parameters) == ["directory"]
