"""Running cases: one compiled Authorizer per distinct policy set, each case decided once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from codeconn.iam import Authorizer, Decision, PolicySet
from codeconn.policytest.cases import Case


@dataclass(frozen=True)
class CaseResult:
    case: Case
    decision: Decision

    @property
    def passed(self) -> bool:
        return self.decision.decision == self.case.expect

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.case.file,
            "name": self.case.name,
            "decision": self.decision.decision,
            "expect": self.case.expect,
            "pass": self.passed,
            "matched": [{"policy": m.policy, "sid": m.sid, "effect": m.effect} for m in self.decision.matched],
        }


@dataclass(frozen=True)
class RunReport:
    results: tuple[CaseResult, ...]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    def to_json(self) -> dict[str, object]:
        return {"passed": self.passed, "failed": self.failed, "cases": [r.to_json() for r in self.results]}


def run_cases(cases: Iterable[Case]) -> RunReport:
    authorizers: dict[int, Authorizer] = {}

    def authorizer(policies: PolicySet) -> Authorizer:
        found = authorizers.get(id(policies))
        if found is None:
            found = authorizers[id(policies)] = Authorizer(policies)
        return found

    return RunReport(tuple(CaseResult(c, authorizer(c.policies).evaluate(c.request)) for c in cases))
