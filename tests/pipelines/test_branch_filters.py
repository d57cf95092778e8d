"""Which commits start which source actions: BranchName with DetectChanges, and V2 push triggers' globs.

The glob rules are those of AWS's "Working with glob patterns in syntax"
(https://docs.aws.amazon.com/codepipeline/latest/userguide/syntax-glob.html).
"""

from __future__ import annotations

from typing import Any

import pytest

from codeconn.pipelines.branch_filters import glob, push_matches, starts, watched_sources

CONNECTION = "arn:aws:codeconnections:us-east-1:000000000000:connection/c1"


@pytest.mark.parametrize(("pattern", "value", "matches"), [
    ("main", "main", True),
    ("main", "mainline", False),
    ("feature/*", "feature/x", True),
    ("feature/*", "feature/x/y", False),
    ("feature/**", "feature/x/y", True),
    ("**", "a/b/c", True),
    ("release-?", "release-1", True),
    ("release-?", "release-10", False),
    ("release-[0-9]", "release-7", True),
    ("release-[!0-9]", "release-x", True),
    ("release-[!0-9]", "release-7", False),
    ("*.{java,class}", "A.class", True),
    ("*.{java,class}", "A.py", False),
    ("src/**", "src/app/main.py", True),
    ("src/*", "src/app/main.py", False),
    ("a\\*b", "a*b", True),
    ("a\\*b", "axb", False),
    ("{unclosed", "{unclosed", True),
])
def test_glob(pattern: str, value: str, matches: bool) -> None:
    assert glob(pattern).fullmatch(value) is matches


def test_a_pathological_pattern_answers_at_once() -> None:
    assert not glob("*a*a*a*a*a*a*a*a*a*b").fullmatch("a" * 5000)


def _declaration(**configuration: Any) -> dict[str, Any]:
    return {"name": "p", "stages": [{"name": "Source", "actions": [{
        "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS",
                                           "provider": "CodeStarSourceConnection", "version": "1"},
        "configuration": {"ConnectionArn": CONNECTION, "FullRepositoryId": "acme/api", "BranchName": "main",
                          **configuration}}]}]}


def test_branch_name_with_detect_changes() -> None:
    [source] = watched_sources(_declaration())
    assert starts(source, "main", lambda: None) and not starts(source, "dev", lambda: None)
    [quiet] = watched_sources(_declaration(DetectChanges="false"))
    assert not starts(quiet, "main", lambda: None)


def test_a_v2_trigger_replaces_branch_name_and_detect_changes() -> None:
    declaration = {**_declaration(DetectChanges="false"), "pipelineType": "V2", "triggers": [
        {"providerType": "CodeStarSourceConnection", "gitConfiguration": {
            "sourceActionName": "Source", "push": [{"branches": {"includes": ["dev"]}}]}}]}
    [source] = watched_sources(declaration)
    assert starts(source, "dev", lambda: None) and not starts(source, "main", lambda: None)


def test_triggers_of_a_v1_pipeline_are_not_read() -> None:
    declaration = {**_declaration(), "triggers": [{"gitConfiguration": {
        "sourceActionName": "Source", "push": [{"branches": {"includes": ["dev"]}}]}}]}
    [source] = watched_sources(declaration)
    assert source.push_filters is None


def test_push_filter_rules() -> None:
    none: list[str] = []
    assert push_matches({"branches": {"excludes": ["wip/*"]}}, "main", lambda: none)
    assert not push_matches({"branches": {"includes": ["**"], "excludes": ["wip/*"]}}, "wip/x", lambda: none)
    assert not push_matches({"tags": {"includes": ["v*"]}}, "main", lambda: none)
    paths = {"branches": {"includes": ["main"]}, "filePaths": {"includes": ["src/**"], "excludes": ["src/gen/**"]}}
    assert push_matches(paths, "main", lambda: ["README", "src/a.py"])
    assert not push_matches(paths, "main", lambda: ["README", "src/gen/x.py"])
    assert push_matches(paths, "main", lambda: None)  # unknown files: the filter does not hold the pipeline back
