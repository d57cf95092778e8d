"""The structure rules AWS applies to a pipeline declaration, one case each, and the passes a declaration needs."""

from __future__ import annotations

from typing import Any

import pytest

from codeconn.service.codepipeline.errors import InvalidStructureException
from codeconn.service.codepipeline.passing import connection_arns, role_arns
from codeconn.service.codepipeline.structure import check_structure

CONNECTION = "arn:aws:codeconnections:us-east-1:111122223333:connection/abc"
ROLE = "arn:aws:iam::111122223333:role/pipeline"


def action(name: str, category: str, *, inputs: tuple[str, ...] = (), outputs: tuple[str, ...] = (),
           run_order: int = 1, **extra: Any) -> dict[str, Any]:
    return {"name": name, "runOrder": run_order,
            "actionTypeId": {"category": category, "owner": "AWS", "provider": "X", "version": "1"},
            "inputArtifacts": [{"name": n} for n in inputs], "outputArtifacts": [{"name": n} for n in outputs],
            **extra}


def pipeline(*stages: tuple[str, list[dict[str, Any]]], **extra: Any) -> dict[str, Any]:
    return {"name": "p", "roleArn": ROLE, "artifactStore": {"type": "S3", "location": "bucket"},
            "stages": [{"name": name, "actions": actions} for name, actions in stages], **extra}


GOOD = pipeline(("Source", [action("Src", "Source", outputs=("src",),
                                   configuration={"ConnectionArn": CONNECTION})]),
                ("Build", [action("Build", "Build", inputs=("src",), outputs=("out",)),
                           action("Test", "Test", inputs=("out",), run_order=2, roleArn=ROLE + "-test")]))


def test_a_good_declaration_passes() -> None:
    check_structure(GOOD)


@pytest.mark.parametrize(("declaration", "words"), [
    (pipeline(("Source", [action("Src", "Source", outputs=("src",))])), "at least two stages"),
    ({**GOOD, "artifactStore": None}, "must have an artifact store"),
    ({**GOOD, "artifactStores": {"us-east-1": {"type": "S3", "location": "b"}}}, "both artifactStore and"),
    (pipeline(("Build", [action("B", "Build")]), ("Source", [action("S", "Source")])),
     "the first stage may contain only source actions"),
    (pipeline(("Source", [action("S", "Source")]), ("Later", [action("L", "Source")])),
     "source actions may only be in the first stage"),
    (pipeline(("Source", [action("S", "Source")]), ("Source", [action("B", "Build")])), "stage names must be unique"),
    (pipeline(("Source", [action("S", "Source")]), ("Build", [action("S", "Build")])), "action names must be unique"),
    (pipeline(("Source", [action("S", "Source", outputs=("a",))]), ("Build", [action("B", "Build", outputs=("a",))])),
     "output artifact names must be unique"),
    (pipeline(("Source", [action("S", "Source", outputs=("a",))]),
              ("Build", [action("B", "Build", inputs=("b",), outputs=("b",))])),
     "Input Artifact Bundle b in action 'B' is not declared"),
    (pipeline(("Source", [action("S", "Source", outputs=("a",))]),
              ("Build", [action("B", "Build", inputs=("c",)), action("C", "Build", outputs=("c",))])),
     "Input Artifact Bundle c in action 'B'"),  # same runOrder: not earlier
])
def test_each_rule(declaration: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidStructureException) as raised:
        check_structure(declaration)
    assert words in raised.value.message


def test_passes_named_by_a_declaration() -> None:
    assert list(connection_arns(GOOD)) == [("Src", CONNECTION)]
    assert role_arns(GOOD) == [ROLE, ROLE + "-test"]
