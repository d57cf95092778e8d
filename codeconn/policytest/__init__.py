"""Policy test files (`docs/policy-test-format.md`) and the pieces the simulator shares:
load and run test files, read JSON / YAML documents, build typed request context."""

from codeconn.policytest.cases import DECISIONS, Case, load_cases, load_file
from codeconn.policytest.context import CONTEXT_KEY_TYPES, ContextEntry, build_context, parse_context_entry, parse_context_option
from codeconn.policytest.documents import decode_document, read_document
from codeconn.policytest.errors import CaseFileError, CaseProblem, ContextError, DocumentError, PolicyTestError
from codeconn.policytest.runner import CaseResult, RunReport, run_cases

__all__ = [
    "CONTEXT_KEY_TYPES",
    "DECISIONS",
    "Case",
    "CaseFileError",
    "CaseProblem",
    "CaseResult",
    "ContextEntry",
    "ContextError",
    "DocumentError",
    "PolicyTestError",
    "RunReport",
    "build_context",
    "decode_document",
    "load_cases",
    "load_file",
    "parse_context_entry",
    "parse_context_option",
    "read_document",
    "run_cases",
]
