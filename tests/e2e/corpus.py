"""The project's policy test corpus, case by case, with what each door needs to run a case.

The corpus is every policy test file the project keeps: tests/data/engine/*.json,
examples/*/*.test.*, and the benchmark workload. Each case comes with the library's
decision (`codeconn.policytest.run_cases`), which every door must reproduce, and
with its policies as the documents the file holds (the simulation API and IAM take
documents, not parsed policies). Which door can express which case is decided in
the test module, each refusal with a reason from its table.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeconn.iam.request import context_value
from codeconn.policytest import Case, load_file, read_document, run_cases
from codeconn.policytest.cases import _merge

ROOT = Path(__file__).resolve().parents[2]
CORPUS = (*sorted((ROOT / "tests" / "data" / "engine").glob("*.json")),
          *sorted((ROOT / "examples").glob("*/*.test.*")),
          ROOT / "benchmarks" / "data" / "iam-workload.json")


@dataclass(frozen=True)
class CorpusCase:
    """One case: where it is, the library's reading and decision, and its raw fields (defaults merged)."""

    file: str
    case: Case
    decision: str
    raw: Mapping[str, Any]
    documents: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.file}::{self.case.name}"

    def document(self, ref: Any) -> str:
        """A policy field's value (a name in "policies" or a document) as IAM's JSON text."""
        return json.dumps(self.documents[ref] if isinstance(ref, str) else ref)

    def documents_of(self, field: str) -> list[str]:
        value = self.raw.get(field)
        return [] if value is None else [self.document(ref) for ref in value]

    def levels_of(self, field: str) -> list[list[str]]:
        return [[self.document(ref) for ref in level] for level in self.raw.get(field) or ()]

    @property
    def resource_policy(self) -> str | None:
        ref = self.raw.get("resourcePolicy")
        return None if ref is None else self.document(ref)

    @property
    def context(self) -> dict[str, list[str]]:
        """The context the case gives (not the keys the engine derives), each value as IAM's strings."""
        given = (self.raw.get("request") or {}).get("context") or {}
        return {key: list(context_value(value, key)) for key, value in given.items()}

    @functools.cached_property
    def text(self) -> str:
        """Every policy document of the case, lower-cased: for checks of what the policies mention."""
        fields = ("identityPolicies", "permissionBoundaries", "serviceControlPolicies", "resourceControlPolicies")
        parts = [json.dumps(self.raw.get(f)) for f in ("resourcePolicy", "sessionPolicy")]
        for field in fields:
            for item in self.raw.get(field) or ():
                refs = item if isinstance(item, list) else [item]
                parts.extend(self.document(ref) for ref in refs)
        return "\n".join(parts).lower()


def load_corpus() -> list[CorpusCase]:
    """Every case of every corpus file, with the library's decision."""
    out: list[CorpusCase] = []
    for path in CORPUS:
        data = read_document(path)
        cases = load_file(path)
        raws = [_merge(data.get("defaults") or {}, raw) for raw in data["cases"]]
        assert len(raws) == len(cases), path
        report = run_cases(cases)
        name = str(path.relative_to(ROOT))
        documents = data.get("policies") or {}
        out.extend(CorpusCase(name, r.case, r.decision.decision, raw, documents)
                   for r, raw in zip(report.results, raws, strict=True))
    return out
