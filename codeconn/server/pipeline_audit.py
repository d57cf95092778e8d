"""The pipeline worker's decisions in the audit log: one line per action's provider calls.

The worker (`codeconn.pipelines`) decides UseConnection as the pipeline's role with
no HTTP request around it; `AuditDecisionLog` is its `DecisionLog`, writing each
action's decisions as one line, as the edge writes a call's: the principal is the
role's session, the action `<prefix>:UseConnection` on the connection, and every
decision carries its ProviderAction, repository and branch and the pipeline, the
execution and the action it was made for (`codeconn audit --pipeline NAME
--execution ID`).
"""

from __future__ import annotations

from collections.abc import Mapping

from codeconn.pipelines.runtime import ActionScope
from codeconn.server.audit import AuditDecision, AuditRecord, AuditSink
from codeconn.service.call import Call


class AuditDecisionLog:
    """The DecisionLog over an audit sink."""

    def __init__(self, audit: AuditSink) -> None:
        self._audit = audit

    def record(self, call: Call, scope: ActionScope, details: Mapping[int, Mapping[str, str]],
               error_code: str | None) -> None:
        if not call.decisions:
            return
        decisions = tuple(
            AuditDecision(d.action, d.resource, d.decision.decision, d.enforced,
                          tuple(m.to_json() for m in d.decision.matched),
                          tuple(miss.to_json() for miss in d.decision.near_misses),
                          provider_action=details.get(index, {}).get("providerAction"),
                          repository=details.get(index, {}).get("repository"),
                          branch=details.get(index, {}).get("branch"), pipeline=scope.pipeline,
                          execution_id=scope.execution_id, action_name=scope.action)
            for index, d in enumerate(call.decisions))
        principal = call.caller.principal
        now = call.now
        denied = error_code == "AccessDeniedException"
        self._audit.write(AuditRecord(
            time=now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            request_id=call.request_id, status=403 if denied else 400 if error_code else 200,
            service="codepipeline", operation="SourceAction", action=f"{call.service}:UseConnection",
            resource=decisions[0].resource, principal=principal.session_arn or principal.arn,
            account_id=call.account_id, region=call.region, source_ip=None, user_agent=call.user_agent,
            request_parameters={"pipelineName": scope.pipeline, "pipelineExecutionId": scope.execution_id,
                                "actionName": scope.action},
            decisions=decisions, error_code=error_code))


__all__ = ["AuditDecisionLog"]
