"""Running cases: one compiled Authorizer per distinct policy set, each case decided once.

`RunReport.to_json()` is the `--json` output of `codeconn policy test`, exactly as
`policy-test-format.md` fixes it: `{"passed", "failed", "cases": [{"file", "name",
"decision", "expect", "pass", "matched": [{"policy", "sid", "effect"}]}]}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from codeconn.iam import Authorizer, Decision, PolicySet
from codeconn.policytest.cases import Case


@dataclass(frozen=True)
class CaseResult:
    """A case and the engine's decision on it."""

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
    """Every result, in the order the cases were given."""

    results: tuple[CaseResult, ...]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    def to_json(self) -> dict[str, object]:
        return {"passed": self.passed, "failed": self.failed, "cases": [r.to_json() for r in self.results]}


def run_cases(cases: Iterable[Case]) -> RunReport:
    """Decide every case; cases that share a PolicySet (as `load_cases` arranges) share its compiled form."""
    authorizers: dict[int, Authorizer] = {}

    def authorizer(policies: PolicySet) -> Authorizer:
        found = authorizers.get(id(policies))
        if found is None:
            found = authorizers[id(policies)] = Authorizer(policies)
        return found

    def decide(case: Case) -> Decision:
        decision = authorizer(case.policies).evaluate(case.request)
        if decision.decision != case.expect:  # a failure is worth explaining: what did it lack?
            decision = authorizer(case.policies).evaluate(case.request, explain=True)
        return decision

    return RunReport(tuple(CaseResult(c, decide(c)) for c in cases))
