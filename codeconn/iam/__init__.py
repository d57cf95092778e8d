"""codeconn's IAM policy engine: pure (no I/O, no global state), usable on its own.

    from codeconn.iam import parse_policy, PolicySet, Authorizer, make_request

    policy = parse_policy(document, name="pipeline-role")
    authorizer = Authorizer(PolicySet(identity=[policy]))
    decision = authorizer.evaluate(make_request(
        principal="arn:aws:iam::111122223333:role/PipelineRole",
        action="codestar-connections:UseConnection",
        resource="arn:aws:codestar-connections:us-west-2:111122223333:connection/0a1b",
        context={"codestar-connections:ProviderAction": "GitPull"},
    ))
    decision.decision   # "allowed" | "explicitDeny" | "implicitDeny"
    decision.matched    # the statements that decided
"""

from codeconn.iam.compiled import Grant
from codeconn.iam.decision import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Decision,
    MatchedStatement,
)
from codeconn.iam.document import (
    Condition,
    Effect,
    Policy,
    PolicyKind,
    Principals,
    Statement,
)
from codeconn.iam.errors import IamError, PolicySyntaxError, Problem, RequestError
from codeconn.iam.evaluate import Authorizer, PolicySet, evaluate
from codeconn.iam.parse import parse_policy
from codeconn.iam.request import (
    Principal,
    PrincipalType,
    Request,
    RequestBase,
    make_request,
    parse_principal,
    request_base,
)

__all__ = [
    "ALLOWED",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "Authorizer",
    "Condition",
    "Decision",
    "Effect",
    "Grant",
    "IamError",
    "MatchedStatement",
    "Policy",
    "PolicyKind",
    "PolicySet",
    "PolicySyntaxError",
    "Principal",
    "PrincipalType",
    "Principals",
    "Problem",
    "Request",
    "RequestBase",
    "RequestError",
    "Statement",
    "evaluate",
    "make_request",
    "parse_policy",
    "parse_principal",
    "request_base",
]
