"""Which pipelines a new commit on a branch starts: the source actions that watch it, and V2 push triggers.

Without a trigger, a CodeStarSourceConnection source action starts its pipeline on a
commit to its own `BranchName` of its own `FullRepositoryId`, unless its
configuration says `DetectChanges: "false"` (the default is true).

A V2 pipeline's `triggers` replace that default for the source action they name
(AWS CodePipeline API Reference, PipelineTriggerDeclaration: "When a trigger
configuration is specified, default change detection for repository and branch
commits is disabled"; the User Guide's "Add trigger with code push or pull request
event types", https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-filter.html):
the commit starts the pipeline when one of the trigger's `push` filters matches it.
A filter matches when its `branches` match the branch (an exclude wins over an
include), its `filePaths`, if any, match a file the push changed, and it has no
`tags` (a tag push is not a branch change, and codeconn reports only branches).

Patterns are the glob syntax of "Working with glob patterns in syntax"
(https://docs.aws.amazon.com/codepipeline/latest/userguide/syntax-glob.html): `*`
within a path component, `**` across components, `?` one character, `[...]` (`[!...]`
negated), `{a,b}` alternatives (not nested), `\\` escapes. They are compiled to RE2, so
a pattern cannot make matching backtrack.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from codeconn.wire.patterns import LinearPattern, linear_pattern

SOURCE_CONNECTION_PROVIDER = "CodeStarSourceConnection"
ChangedFiles = Callable[[], Sequence[str] | None]
"""The paths a push changed, computed only when a filePaths filter asks; None when they cannot be known."""


@dataclass(frozen=True, slots=True)
class WatchedSource:
    """A CodeStarSourceConnection source action of a pipeline's current declaration."""

    action_name: str
    connection_arn: str
    full_repository_id: str
    branch: str
    detect_changes: bool
    push_filters: tuple[Mapping[str, Any], ...] | None  # None: no trigger names this action


def watched_sources(declaration: Mapping[str, Any]) -> list[WatchedSource]:
    """The declaration's connection source actions, each with its V2 push filters (if a trigger names it)."""
    triggers: dict[str, list[Mapping[str, Any]]] = {}
    if declaration.get("pipelineType") == "V2":
        for trigger in declaration.get("triggers") or ():
            git = trigger.get("gitConfiguration") or {}
            if trigger.get("providerType", SOURCE_CONNECTION_PROVIDER) == SOURCE_CONNECTION_PROVIDER:
                triggers.setdefault(str(git.get("sourceActionName", "")), []).extend(git.get("push") or ())
    found = []
    for stage in declaration.get("stages") or ():
        for action in stage.get("actions") or ():
            kind = action.get("actionTypeId") or {}
            if kind.get("category") != "Source" or kind.get("provider") != SOURCE_CONNECTION_PROVIDER:
                continue
            configuration = action.get("configuration") or {}
            name = str(action.get("name", ""))
            found.append(WatchedSource(
                action_name=name, connection_arn=str(configuration.get("ConnectionArn", "")),
                full_repository_id=str(configuration.get("FullRepositoryId", "")),
                branch=str(configuration.get("BranchName", "")),
                detect_changes=str(configuration.get("DetectChanges", "true")).lower() != "false",
                push_filters=tuple(triggers[name]) if name in triggers else None))
    return found


def starts(source: WatchedSource, branch: str, changed_files: ChangedFiles) -> bool:
    """Whether a new commit on `branch` (of the source's repository) starts the pipeline at this action."""
    if source.push_filters is None:
        return source.detect_changes and branch == source.branch
    return any(push_matches(push, branch, changed_files) for push in source.push_filters)


def push_matches(push: Mapping[str, Any], branch: str, changed_files: ChangedFiles) -> bool:
    """One GitPushFilter against a branch push (see the module docstring)."""
    if push.get("tags") or not push.get("branches"):
        return False
    if not included(push["branches"], branch):
        return False
    paths = push.get("filePaths")
    if not paths:
        return True
    changed = changed_files()
    if changed is None:  # the files cannot be known (a remote repository): do not hold the pipeline back
        return True
    return any(included(paths, path) for path in changed)


def included(criteria: Mapping[str, Any], value: str) -> bool:
    """A Git*FilterCriteria: no exclude matches, and an include matches (or there are no includes)."""
    if any(glob(p).fullmatch(value) for p in criteria.get("excludes") or ()):
        return False
    includes: Iterable[str] = criteria.get("includes") or ()
    return not includes or any(glob(p).fullmatch(value) for p in includes)


@functools.lru_cache(maxsize=1024)
def glob(pattern: str) -> LinearPattern:
    """The pattern as a linear-time regular expression (syntax in the module docstring)."""
    return linear_pattern(re.compile(glob_to_regex(pattern)))


def glob_to_regex(pattern: str) -> str:
    """AWS's glob syntax as a regular expression (a table of the special characters, one pass)."""
    out: list[str] = []
    index, in_group = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if char == "*":
            double = pattern.startswith("**", index)
            out.append(".*" if double else "[^/]*")
            index += 2 if double else 1
            continue
        if char == "[":
            end = pattern.find("]", index + 2)
            if end != -1:
                body = pattern[index + 1:end]
                negated = body.startswith("!")
                body = body[1:] if negated else body
                escaped = "".join("\\" + c if c in "\\^[]" else c for c in body)
                out.append(f"[{'^/' if negated else ''}{escaped}]")
                index = end + 1
                continue
        if char == "{" and not in_group:
            in_group = True
            out.append("(?:")
        elif char == "}" and in_group:
            in_group = False
            out.append(")")
        elif char == "," and in_group:
            out.append("|")
        else:
            out.append(_SINGLE.get(char) or re.escape(char))
        index += 1
    if in_group:
        return re.escape(pattern)  # an unclosed group: the pattern is a literal
    return "".join(out)


_SINGLE = {"?": "[^/]"}


__all__ = ["SOURCE_CONNECTION_PROVIDER", "ChangedFiles", "WatchedSource", "glob", "glob_to_regex", "included",
           "push_matches", "starts", "watched_sources"]
