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
"""

from __future__ import annotations

from codeconn.service.errors import IamError


class NoSuchEntity(IamError):
    def __init__(self, message: str) -> None:
        super().__init__("NoSuchEntity", message)


class EntityAlreadyExists(IamError):
    def __init__(self, message: str) -> None:
        super().__init__("EntityAlreadyExists", message)


class DeleteConflict(IamError):
    def __init__(self, message: str) -> None:
        super().__init__("DeleteConflict", message)


class MalformedPolicyDocument(IamError):
    def __init__(self, message: str) -> None:
        super().__init__("MalformedPolicyDocument", message)


class LimitExceeded(IamError):
    def __init__(self, message: str) -> None:
        super().__init__("LimitExceeded", message)


class InvalidInput(IamError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidInput", message)


class ValidationError(IamError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationError", message)


class PackedPolicyTooLarge(IamError):
    """STS: the session policies and tags, packed, pass AWS's limit."""

    def __init__(self, message: str) -> None:
        super().__init__("PackedPolicyTooLarge", message)


__all__ = [
    "DeleteConflict",
    "EntityAlreadyExists",
    "InvalidInput",
    "LimitExceeded",
    "MalformedPolicyDocument",
    "NoSuchEntity",
    "PackedPolicyTooLarge",
    "ValidationError",
]
