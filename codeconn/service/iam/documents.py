"""Policy documents as IAM takes and gives them: checked by the engine, sized, URL-encoded.

IAM refuses a malformed document when it is stored, not when it is used, so every
handler that accepts a document parses it here first; the engine's message names
each fault with its JSON path. Documents are kept as sent (AWS returns them
unchanged) and returned URL-encoded: IAM's responses carry every
`policyDocumentType` member as `urlencode(json)`, and botocore decodes it back into
a dict (`botocore.handlers.json_decode_policies`).

Sizes are counted as IAM counts them, in characters excluding whitespace: a
managed policy version up to 6,144; a role trust policy up to 2,048; the inline
policies of one user, group or role together up to 2,048, 5,120 and 10,240.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from codeconn.iam import Policy, PolicyKind, PolicySyntaxError, parse_policy
from codeconn.service.iam.errors import LimitExceeded, MalformedPolicyDocument

MANAGED_POLICY_SIZE = 6144
TRUST_POLICY_SIZE = 2048


def check_document(document: str, kind: PolicyKind = PolicyKind.IDENTITY, *, name: str = "policy") -> Policy:
    """The parsed document; MalformedPolicyDocument listing every fault with its JSON path."""
    try:
        return parse_policy(document, name=name, kind=kind)
    except PolicySyntaxError as error:
        raise MalformedPolicyDocument("; ".join(str(problem) for problem in error.problems)) from None


def policy_size(document: str) -> int:
    """Characters other than whitespace: what IAM's size quotas count."""
    return sum(1 for char in document if not char.isspace())


def check_managed_size(document: str) -> None:
    if policy_size(document) > MANAGED_POLICY_SIZE:
        raise LimitExceeded(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}")


def check_trust_size(document: str) -> None:
    if policy_size(document) > TRUST_POLICY_SIZE:
        raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}")


def check_inline_size(documents: Iterable[str], limit: int, noun: str, name: str) -> None:
    """LimitExceeded when an entity's inline policies together pass its quota."""
    if sum(policy_size(document) for document in documents) > limit:
        raise LimitExceeded(f"Maximum policy size of {limit} bytes exceeded for {noun} {name}")


def encoded(document: str) -> str:
    """A document as IAM's XML carries it: URL-encoded JSON."""
    return quote(document, safe="")
