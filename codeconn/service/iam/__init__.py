"""IAM: users, groups, roles, inline and managed policies, boundaries, tags, access keys, simulation.

Every handler authorizes `iam:<Operation>` on the entity's ARN (or `*` for the
List operations) with the condition keys the IAM reference lists for it, and
answers in the shapes and words of AWS's IAM (errors in `errors.py`).

The entities are `codeconn.domain`'s typed values (principals, policies, ids).
The modules: `model` (how entities are found and shown, the IAM generation),
`documents` (policy documents checked, sized, URL-encoded), `managed` (managed
policies by ARN, the AWS managed ones codeconn knows), `access` (authorizing with
the catalog's keys), `principals` (a principal's PolicySet), `sessions` (assumed-role
credentials), `pages`, `tags`, `counts`; one module of operations per noun:
`users`, `groups`, `roles`, `inline`, `policies`, `attachments`, `access_keys`,
`simulate`.
"""

from __future__ import annotations

from codeconn.service.iam import (
    access_keys,
    attachments,
    groups,
    inline,
    policies,
    roles,
    simulate,
    tags,
    users,
)
from codeconn.service.registry import Registry

_MODULES = (users, groups, roles, inline, policies, attachments, tags, access_keys, simulate)


def register(registry: Registry) -> None:
    """Add the IAM operations to `registry`."""
    for module in _MODULES:
        module.register(registry)
