"""Pipeline's ARN and its record round trip (every version kept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codeconn.domain.pipelines import PIPELINE, Pipeline, parse_pipeline_arn, pipeline_arn

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
DECLARED = {"name": "api", "roleArn": "arn:aws:iam::111122223333:role/r", "stages": []}


def test_arn() -> None:
    arn = pipeline_arn("eu-west-1", "111122223333", "api")
    assert arn == "arn:aws:codepipeline:eu-west-1:111122223333:api"
    assert parse_pipeline_arn(arn) == ("eu-west-1", "111122223333", "api")
    assert parse_pipeline_arn("arn:aws:codeconnections:eu-west-1:111122223333:connection/x") is None
    assert pipeline_arn("cn-north-1", "111122223333", "api").startswith("arn:aws-cn:")


def test_record_round_trip_keeps_every_version() -> None:
    first = Pipeline.new("111122223333", "eu-west-1", DECLARED, NOW)
    second = first.updated({**DECLARED, "roleArn": "arn:aws:iam::111122223333:role/other"}, NOW + timedelta(1))
    record = second.to_record()
    assert (record.kind, record.id, record.name) == (PIPELINE.kind, "eu-west-1:api", "api")
    assert record.data["Region"] == "eu-west-1"
    back = Pipeline.from_record(record)
    assert back == second
    assert back.declaration["version"] == 2 and back.declarations[1]["roleArn"].endswith("role/r")
    assert back.created_at == NOW and back.updated_at == NOW + timedelta(1)
