"""The structure rules AWS applies to a pipeline declaration beyond the model's constraints.

Each rule is a function that returns the problems it finds; CreatePipeline and
UpdatePipeline raise InvalidStructureException with the first. The rules:

- an artifact store: `artifactStore` or `artifactStores`, not both, not neither;
- at least two stages; stage names unique;
- the first stage holds only source actions, and no other stage holds one;
- action names unique in the pipeline; output artifact names unique in the pipeline;
- every input artifact is the output of an action of an earlier stage (or an earlier
  runOrder of the same stage).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from codeconn.service.codepipeline.errors import InvalidStructureException

SOURCE = "Source"

Declaration = Mapping[str, Any]


def actions(declaration: Declaration) -> Iterator[tuple[int, Mapping[str, Any], Mapping[str, Any]]]:
    """(stage index, stage, action) for every action of the declaration, in order."""
    for index, stage in enumerate(declaration.get("stages", ())):
        for action in stage.get("actions", ()):
            yield index, stage, action


def _artifact_store(declaration: Declaration) -> list[str]:
    given = [key for key in ("artifactStore", "artifactStores") if declaration.get(key)]
    if len(given) == 1:
        return []
    if given:
        return ["Pipeline cannot have both artifactStore and artifactStores; specify only one."]
    return ["Pipeline must have an artifact store: specify artifactStore or artifactStores."]


def _repeated(names: Iterable[str]) -> list[str]:
    """Each name that was seen before, in order (once per repetition)."""
    seen: set[str] = set()
    repeated: list[str] = []
    for name in names:
        if name in seen:
            repeated.append(name)
        seen.add(name)
    return repeated


def _stages(declaration: Declaration) -> list[str]:
    stages = declaration.get("stages", ())
    problems = [] if len(stages) >= 2 else ["Pipeline has fewer than 2 stages. A pipeline must contain at least "
                                            "two stages."]
    return problems + [f"Stage name '{name}' is not unique: stage names must be unique within a pipeline."
                       for name in _repeated(stage["name"] for stage in stages)]


def _sources(declaration: Declaration) -> list[str]:
    problems = []
    for index, stage, action in actions(declaration):
        is_source = action["actionTypeId"]["category"] == SOURCE
        if index == 0 and not is_source:
            problems.append(f"Action '{action['name']}' in stage '{stage['name']}' is not a source action: "
                            "the first stage may contain only source actions.")
        if index > 0 and is_source:
            problems.append(f"Action '{action['name']}' in stage '{stage['name']}' is a source action: "
                            "source actions may only be in the first stage.")
    return problems


def _names(declaration: Declaration) -> list[str]:
    declared = [action for _, _, action in actions(declaration)]
    outputs = (artifact["name"] for action in declared for artifact in action.get("outputArtifacts", ()))
    return ([f"Action name '{name}' is not unique: action names must be unique within a pipeline."
             for name in _repeated(action["name"] for action in declared)]
            + [f"Output artifact name '{name}' is not unique: output artifact names must be unique within a "
               "pipeline." for name in _repeated(outputs)])


def _inputs(declaration: Declaration) -> list[str]:
    problems = []
    earlier: set[str] = set()
    for stage in declaration.get("stages", ()):
        by_order = sorted(stage.get("actions", ()), key=lambda action: action.get("runOrder", 1))
        before_stage = set(earlier)
        for action in by_order:
            visible = before_stage | {artifact["name"] for other in by_order
                                      if other.get("runOrder", 1) < action.get("runOrder", 1)
                                      for artifact in other.get("outputArtifacts", ())}
            for artifact in action.get("inputArtifacts", ()):
                if artifact["name"] not in visible:
                    problems.append(f"Input Artifact Bundle {artifact['name']} in action '{action['name']}' is "
                                    "not declared as an output artifact in any of the actions at an earlier "
                                    "point in the pipeline.")
        earlier |= {artifact["name"] for action in by_order for artifact in action.get("outputArtifacts", ())}
    return problems


RULES: tuple[Callable[[Declaration], list[str]], ...] = (_artifact_store, _stages, _sources, _names, _inputs)
"""Applied in order; the first problem found is the one answered."""


def check_structure(declaration: Declaration) -> None:
    """InvalidStructureException naming the first problem of `declaration`, if it has any."""
    for rule in RULES:
        problems = rule(declaration)
        if problems:
            raise InvalidStructureException(problems[0])


__all__ = ["RULES", "SOURCE", "actions", "check_structure"]
