"""IAM's errors, one class per Query error code of the model, with AWS's wording made by the callers.

    IamError (codeconn.service.errors)
    ├── NoSuchEntity              "The user with name alice cannot be found."
    ├── EntityAlreadyExists       "User with name alice already exists."
    ├── DeleteConflict            "Cannot delete entity, must delete access keys first."
    ├── MalformedPolicyDocument   the engine's message, with the JSON path at fault
    ├── LimitExceeded             "Cannot exceed quota for AccessKeysPerUser: 2"
    ├── InvalidInput              a value the model's constraints could not catch
    ├── ValidationError           STS's answer for a DurationSeconds beyond the role's limit
    └── PackedPolicyTooLarge      STS: session policies and tags too large

The HTTP status comes from the model's error shape (the edge looks it up by code).
Each class differs from IamError only by its code, so each is one row made by
`codeconn.service.errors.error_class`.
"""

from __future__ import annotations

from codeconn.service.errors import IamError, error_class


class CodedIamError(IamError):
    """An IamError whose code is its class's: raised with the message alone."""

    def __init__(self, message: str) -> None:
        super().__init__(self.code, message)


def _iam(code: str, doc: str) -> type[CodedIamError]:
    return error_class(code, doc, CodedIamError, module=__name__)


NoSuchEntity = _iam("NoSuchEntity", "The user, group, role, policy or key named does not exist.")
EntityAlreadyExists = _iam("EntityAlreadyExists", "An entity of that name exists already.")
DeleteConflict = _iam("DeleteConflict", "The entity is still in use or still holds something.")
MalformedPolicyDocument = _iam("MalformedPolicyDocument", "A policy document the engine refuses.")
LimitExceeded = _iam("LimitExceeded", "An IAM quota would be passed.")
InvalidInput = _iam("InvalidInput", "A value the model's constraints could not catch.")
ValidationError = _iam("ValidationError", "STS's answer for a DurationSeconds beyond the role's limit.")
PackedPolicyTooLarge = _iam("PackedPolicyTooLarge", "STS: the session policies and tags, packed, pass AWS's limit.")


__all__ = [
    "CodedIamError",
    "DeleteConflict",
    "EntityAlreadyExists",
    "InvalidInput",
    "LimitExceeded",
    "MalformedPolicyDocument",
    "NoSuchEntity",
    "PackedPolicyTooLarge",
    "ValidationError",
]
