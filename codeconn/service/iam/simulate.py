"""SimulatePrincipalPolicy and SimulateCustomPolicy, answered by codeconn's own engine.

Each (action, resource) pair is one request decided by `codeconn.iam` with the
same PolicySet a real call of that principal would meet, the server's own SCP and
RCP levels (`codeconn serve --org-policies`) included, which the authorizer hands
over (`Authorize.organization`); SimulateCustomPolicy takes SCP levels as input
instead. So the simulator and enforcement cannot disagree: the EvalDecision is the
engine's decision. The result's details are `simulate_results`'s; the parameters
AWS constrains (ResourceOwner, CallerArn, ResourceHandlingOption) are checked by
`simulate_inputs`, which also says whose account each resource is in: the one its
ARN names, else ResourceOwner's, else the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from codeconn.domain.ids import split_arn
from codeconn.domain.principals import ENTITY_KINDS
from codeconn.iam import (
    Authorizer,
    Policy,
    PolicyKind,
    PolicySet,
    Principal,
    RequestError,
    make_request,
    parse_principal,
)
from codeconn.iam.catalog import IamCatalog
from codeconn.policytest.context import ContextEntry, build_context
from codeconn.policytest.errors import ContextError
from codeconn.service.call import Call
from codeconn.service.iam import access
from codeconn.service.iam.documents import check_document
from codeconn.service.iam.errors import InvalidInput, MalformedPolicyDocument
from codeconn.service.iam.model import missing
from codeconn.service.iam.pages import page
from codeconn.service.iam.principals import (
    Assembled,
    PolicySource,
    for_group,
    for_role,
    for_user,
)
from codeconn.service.iam.simulate_inputs import caller, check_resource_handling, resource_account, resource_owner
from codeconn.service.iam.simulate_results import ResultWriter, Sources
from codeconn.service.registry import Registry


def _inputs(documents: Iterable[str], label: str, kind: PolicyKind, sources: Sources) -> list[Policy]:
    """Input documents, named `<label>.<n>` as AWS names them in MatchedStatements."""
    policies = []
    for number, document in enumerate(documents, start=1):
        name = f"{label}.{number}"
        try:
            policies.append(check_document(document, kind, name=name))
        except MalformedPolicyDocument as error:
            raise InvalidInput(f"{name}: {error.message}") from None
        sources[(name, kind)] = PolicySource(name, "resource" if kind is PolicyKind.RESOURCE else "none")
    return policies


def _context(catalog: IamCatalog, params: Mapping[str, Any]) -> dict[str, Any]:
    entries = [ContextEntry(e["ContextKeyName"], tuple(e.get("ContextKeyValues") or ()), e.get("ContextKeyType"))
               for e in params.get("ContextEntries") or () if e.get("ContextKeyName")]
    try:
        return build_context(entries, catalog)
    except ContextError as error:
        raise InvalidInput(str(error)) from None


def _simulate(catalog: IamCatalog, operation: str, policies: PolicySet, sources: Sources, principal: Principal,
              params: Mapping[str, Any]) -> dict[str, Any]:
    check_resource_handling(params)
    owner = resource_owner(operation, params)
    context = _context(catalog, params)
    authorizer = Authorizer(policies)
    writer = ResultWriter(policies, sources)
    results = []
    for action in params["ActionNames"]:
        for resource in params.get("ResourceArns") or ["*"]:
            try:
                request = make_request(principal=principal, action=action, resource=resource, context=context,
                                       resource_account=resource_account(resource, owner, principal.account),
                                       catalog=catalog)
            except RequestError as error:
                raise InvalidInput(str(error)) from None
            results.append(writer.result(request, authorizer.evaluate(request)))
    items, more = page(results, params)
    return {"EvaluationResults": items, **more}


def _with_inputs(assembled: PolicySet, sources: Sources, params: Mapping[str, Any]) -> PolicySet:
    """The principal's (or no) policies plus the request's inputs: boundary inputs replace the boundary."""
    identity = [*assembled.identity, *_inputs(params.get("PolicyInputList") or (), "PolicyInputList",
                                              PolicyKind.IDENTITY, sources)]
    boundaries = _inputs(params.get("PermissionsBoundaryPolicyInputList") or (),
                         "PermissionsBoundaryPolicyInputList", PolicyKind.BOUNDARY, sources)
    resource = _inputs([params["ResourcePolicy"]] if params.get("ResourcePolicy") else (), "ResourcePolicy",
                       PolicyKind.RESOURCE, sources)
    return replace(assembled, identity=tuple(identity), boundaries=tuple(boundaries or assembled.boundaries),
                   resource=resource[0] if resource else None)


def simulate_principal_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    source_arn = params["PolicySourceArn"]
    access.authorize(call, "SimulatePrincipalPolicy", source_arn)
    parts = split_arn(source_arn)
    noun, _, rest = parts[2].partition("/") if parts is not None and parts[0] == "iam" else ("", "", "")
    kind = ENTITY_KINDS.get(noun)
    if parts is None or kind is None or parts[1] != call.account_id:
        raise InvalidInput(f"Invalid ARN: {source_arn} is not a user, group or role of account {call.account_id}.")
    name = rest.rsplit("/", 1)[-1]
    with call.store.read(call.account_id) as reader:
        record = reader.get_by_arn(source_arn)
        if record is None or record.kind != kind.kind:
            raise missing(kind, name)
        build = {"user": for_user, "group": for_group, "role": for_role}[noun]
        assembled: Assembled = build(reader, record)
    if params.get("ResourcePolicy") and noun != "user" and not params.get("CallerArn"):
        raise InvalidInput("CallerArn is required when a ResourcePolicy is given and the PolicySourceArn "
                           "is not the ARN of an IAM user.")
    sources: Sources = dict(assembled.sources)
    scps, rcps = call.authorizer.organization()
    policies = replace(_with_inputs(assembled.policies, sources, params), scps=tuple(scps), rcps=tuple(rcps))
    default = source_arn if noun != "group" else f"arn:aws:iam::{call.account_id}:user/{name}-member"
    principal = caller(params["CallerArn"]) if params.get("CallerArn") else parse_principal(default)
    return _simulate(call.iam_catalog, "SimulatePrincipalPolicy", policies, sources, principal, params)


def simulate_custom_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    access.authorize(call, "SimulateCustomPolicy", "*")
    if params.get("ResourcePolicy") and not params.get("CallerArn"):
        raise InvalidInput("CallerArn is required when a ResourcePolicy is given.")
    sources: Sources = {}
    scps: list[Sequence[Policy]] = []
    for level, entry in enumerate(params.get("OrderedOrganizationPolicyInputList") or (), start=1):
        scps.append(_inputs(entry.get("ServiceControlPolicyInputList") or (),
                            f"OrderedOrganizationPolicyInputList.{level}", PolicyKind.SCP, sources))
    policies = replace(_with_inputs(PolicySet(), sources, params), scps=tuple(scps))
    principal = (caller(params["CallerArn"]) if params.get("CallerArn")
                 else parse_principal(f"arn:aws:iam::{call.account_id}:user/SimulatedUser"))
    return _simulate(call.iam_catalog, "SimulateCustomPolicy", policies, sources, principal, params)


def register(registry: Registry) -> None:
    registry.add(("iam",), "SimulatePrincipalPolicy", simulate_principal_policy)
    registry.add(("iam",), "SimulateCustomPolicy", simulate_custom_policy)


__all__ = ["register", "simulate_custom_policy", "simulate_principal_policy"]
