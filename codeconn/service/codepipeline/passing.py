"""Passing a connection and a role to CodePipeline: what CreatePipeline and UpdatePipeline check.

For every `ConnectionArn` in an action's configuration the caller must be allowed
`<prefix>:PassConnection` on that ARN, in the ARN's own prefix (`codestar-connections`
or `codeconnections`), with `<prefix>:PassedToService = codepipeline.amazonaws.com`;
for the pipeline's `roleArn` and every action's `roleArn`, `iam:PassRole` with
`iam:PassedToService = codepipeline.amazonaws.com`. Every check runs before anything
is written, so a refusal saves nothing; `call.authorize` words the
AccessDeniedException with the action and the ARN refused. Each decision's audit
line names the pipeline and the action the connection is passed to
(`call.decision_details`); CreatePipeline adds the execution it starts.

The connection must exist in the caller's account and Region: the decision is made
first (a caller who may not pass an ARN learns nothing about it), then a missing
connection is an InvalidActionDeclarationException naming the action.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from codeconn.domain.arns import CONNECTION, parse_arn
from codeconn.service.call import Call
from codeconn.service.codepipeline.errors import InvalidActionDeclarationException
from codeconn.service.codepipeline.structure import actions
from codeconn.service.connections.resources import lookup

PASSED_TO = "codepipeline.amazonaws.com"
"""The PassedToService value CodePipeline's passes carry."""


def connection_arns(declaration: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(action name, connection ARN) for each action configured with a ConnectionArn."""
    for _, _, action in actions(declaration):
        arn = (action.get("configuration") or {}).get("ConnectionArn")
        if arn:
            yield action["name"], arn


def role_arns(declaration: Mapping[str, Any]) -> list[str]:
    """The pipeline's roleArn and every action's, each once, in order."""
    roles = [declaration["roleArn"], *(action["roleArn"] for _, _, action in actions(declaration)
                                       if action.get("roleArn"))]
    return list(dict.fromkeys(roles))


def authorize_passing(call: Call, declaration: Mapping[str, Any]) -> None:
    """Decide every PassConnection and iam:PassRole the declaration needs; raise on the first refusal."""
    for action_name, arn in connection_arns(declaration):
        parsed = parse_arn(arn)
        if parsed is None or parsed.resource_type != CONNECTION.arn_type:
            raise InvalidActionDeclarationException(
                f"ConnectionArn {arn} in action '{action_name}' is not a valid connection ARN.")
        found = lookup(call, CONNECTION, arn)
        call.decision_details[len(call.decisions)] = {"pipeline": str(declaration["name"]),
                                                      "actionName": action_name}
        call.authorize(f"{parsed.service}:PassConnection", arn,
                       context={f"{parsed.service}:PassedToService": PASSED_TO}, resource_tags=found.tags)
        if found.record is None:
            raise InvalidActionDeclarationException(
                f"Connection {arn} in action '{action_name}' does not exist in account {call.account_id} "
                f"and Region {call.region}.")
    for role in role_arns(declaration):
        call.decision_details[len(call.decisions)] = {"pipeline": str(declaration["name"])}
        call.authorize("iam:PassRole", role, context={"iam:PassedToService": PASSED_TO})


__all__ = ["PASSED_TO", "authorize_passing", "connection_arns", "role_arns"]
