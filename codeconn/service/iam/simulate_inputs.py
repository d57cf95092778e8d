"""The simulation parameters AWS constrains beyond their shape: ResourceOwner, CallerArn, ResourceHandlingOption.

What AWS's IAM API reference says (SimulateCustomPolicy and SimulatePrincipalPolicy,
as botocore's iam model carries it):

- ResourceOwner is "an ARN representing the Amazon Web Services account ID that
  specifies the owner of any simulated resource that does not identify its owner in
  the resource ARN", `arn:aws:iam::AWS-account-ID:root`; SimulatePrincipalPolicy's
  page calls it "an Amazon Web Services account ID", so that operation also takes
  the bare ID. "If the ResourceOwner parameter is not specified, then the owner of
  the resources and the resource policy defaults to the account of the identity
  provided in CallerArn." Anything else is refused as AWS refuses it
  ("'123456789012' is not a valid as a Resource Owner.", boto/botocore#1346).
- CallerArn: "You can specify only the ARN of an IAM user. You cannot specify the
  ARN of an assumed role, federated user, or a service principal."
- ResourceHandlingOption names one of AWS's EC2 scenarios, each of which requires
  ResourceArns to hold certain EC2 resources ("the policy simulator [enforces] the
  presence of the required resources"). codeconn checks the name and the presence,
  then decides every (action, resource) pair as it would without the option: it
  serves no EC2, and the scenario changes which resources are simulated, not how
  a decision is made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from codeconn.iam import Principal, PrincipalType, RequestError, parse_principal
from codeconn.service.iam.errors import InvalidInput

_ACCOUNT_ARN = re.compile(r"arn:[\w-]+:iam::(\d{12}):root")
_ACCOUNT_ID = re.compile(r"\d{12}")

RESOURCE_OWNER_FORMS: dict[str, tuple[re.Pattern[str], ...]] = {
    "SimulateCustomPolicy": (_ACCOUNT_ARN,),
    "SimulatePrincipalPolicy": (_ACCOUNT_ARN, _ACCOUNT_ID),
}
"""Operation -> the forms its ResourceOwner may take; the account is the pattern's group (or the whole ID)."""

CALLER_TYPES = frozenset({PrincipalType.USER})
"""What CallerArn may name: an IAM user, as AWS's reference says."""

_BASE = ("instance", "image", "security-group", "network-interface")
SCENARIOS: dict[str, tuple[str, ...]] = {
    "EC2-VPC-InstanceStore": _BASE,
    "EC2-VPC-InstanceStore-Subnet": (*_BASE, "subnet"),
    "EC2-VPC-EBS": (*_BASE, "volume"),
    "EC2-VPC-EBS-Subnet": (*_BASE, "subnet", "volume"),
}
"""ResourceHandlingOption -> the EC2 resource types ResourceArns must hold (AWS's list)."""

_NOUNS = {"instance": "an instance", "image": "an image", "security-group": "a security group",
          "network-interface": "a network interface", "subnet": "a subnet", "volume": "a volume"}


def resource_owner(operation: str, params: Mapping[str, Any]) -> str | None:
    """The account ResourceOwner names, or None when it is not given; InvalidInput in AWS's words otherwise."""
    value = params.get("ResourceOwner")
    if value is None:
        return None
    for form in RESOURCE_OWNER_FORMS[operation]:
        match = form.fullmatch(value)
        if match is not None:
            return match.group(1) if form.groups else value
    raise InvalidInput(f"'{value}' is not a valid as a Resource Owner.")


def caller(value: str) -> Principal:
    """The simulated caller named by CallerArn: an IAM user, else InvalidInput."""
    try:
        principal = parse_principal(value)
    except RequestError:
        principal = None
    if principal is None or principal.type not in CALLER_TYPES or not value.startswith("arn:"):
        raise InvalidInput(f"Invalid CallerArn: {value}. You can specify only the ARN of an IAM user.")
    return principal


def check_resource_handling(params: Mapping[str, Any]) -> None:
    """ResourceHandlingOption is one of AWS's scenarios and ResourceArns holds what it requires."""
    option = params.get("ResourceHandlingOption")
    if option is None:
        return
    required = SCENARIOS.get(option)
    if required is None:
        raise InvalidInput(f"Invalid ResourceHandlingOption: {option}. Valid values: {', '.join(SCENARIOS)}.")
    present = {_ec2_type(arn) for arn in params.get("ResourceArns") or ()}
    lacking = [_NOUNS[kind] for kind in required if kind not in present]
    if lacking:
        raise InvalidInput(f"ResourceHandlingOption {option} requires {', '.join(lacking)} in ResourceArns.")


def _ec2_type(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "ec2":
        return parts[5].split("/", 1)[0]
    return None


def resource_account(resource: str, owner: str | None, caller_account: str | None) -> str | None:
    """Whose resource it is: the account its ARN names, else ResourceOwner's, else the caller's (AWS's default)."""
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return owner or caller_account


__all__ = ["CALLER_TYPES", "RESOURCE_OWNER_FORMS", "SCENARIOS", "caller", "check_resource_handling",
           "resource_account", "resource_owner"]
