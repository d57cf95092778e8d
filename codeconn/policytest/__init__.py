"""Policy test files (`shared/specs/policy-test-format.md`): load, run, report."""

from codeconn.policytest.cases import Case, CaseFileError, load_cases, load_file
from codeconn.policytest.runner import CaseResult, RunReport, run_cases

__all__ = ["Case", "CaseFileError", "CaseResult", "RunReport", "load_cases", "load_file", "run_cases"]
