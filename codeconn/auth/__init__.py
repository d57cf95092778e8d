"""Who is calling, and may they: access keys to principals, and IAM decisions for calls.

    directory = StoreDirectory(store, secrets, root_credentials=("test", "test"), default_account="000000000000")
    authorizer = PolicyAuthorizer(mode=IamMode.ENFORCE, org=load_org_policies(Path("org")))

`StoreDirectory` is the server edge's `CallerDirectory` (access key id ->
credentials -> Caller); `PolicyAuthorizer` its `Authorize` (every action a handler
asks about, decided by codeconn.iam and recorded on the call);
`load_org_policies` reads `--org-policies DIR` (layout in `codeconn.auth.org`).
"""

from codeconn.auth.authorizer import NOT_EVALUATED, PolicyAuthorizer
from codeconn.auth.context import IDENTITY_KEYS, decision_context
from codeconn.auth.directory import StoredCredentials, StoreDirectory
from codeconn.auth.errors import (
    AuthLayerError,
    CredentialsRejected,
    ExpiredCredentials,
    OrgPolicyError,
    UnknownCredentials,
)
from codeconn.auth.org import OrgPolicies, load_org_policies

__all__ = [
    "IDENTITY_KEYS",
    "NOT_EVALUATED",
    "AuthLayerError",
    "CredentialsRejected",
    "ExpiredCredentials",
    "OrgPolicies",
    "OrgPolicyError",
    "PolicyAuthorizer",
    "StoreDirectory",
    "StoredCredentials",
    "UnknownCredentials",
    "decision_context",
    "load_org_policies",
]
