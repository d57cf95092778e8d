"""Pipeline: CodePipeline's resource, its ARN, its quota and its record.

A pipeline is regional, like the connections resources: its name is unique in
an account's Region, and its ARN carries no resource type,

    arn:aws:codepipeline:us-east-1:111122223333:MyPipeline

The record keeps every version of the declaration AWS would return from
GetPipeline (`version` picks one), so an update never loses the one before:

    pipeline   id = <region>:<name> (the store's unique id per account and kind keeps names
               unique in a Region), name = the pipeline's name
        {"Region", "Version", "Declarations": {"<version>": PipelineDeclaration}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from codeconn.domain.arns import ResourceKind, partition_of
from codeconn.domain.quotas import Quota
from codeconn.store import Record

PIPELINE = ResourceKind("pipeline", "pipeline", "Pipeline")
PIPELINE_QUOTA = Quota(PIPELINE, 1000, "pipelines")
"""AWS CodePipeline User Guide, "Quotas": 1,000 pipelines per Region in an account."""

_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):codepipeline:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
                  r":(?P<name>[A-Za-z0-9.@_-]+)$")


def pipeline_arn(region: str, account: str, name: str) -> str:
    """The pipeline's ARN: `arn:<partition>:codepipeline:<region>:<account>:<name>`."""
    return f"arn:{partition_of(region)}:codepipeline:{region}:{account}:{name}"


def parse_pipeline_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of a pipeline ARN; None for anything else."""
    match = _ARN.match(arn)
    return (match["region"], match["account"], match["name"]) if match else None


def pipeline_id(region: str, name: str) -> str:
    """The record id: the name, in its Region."""
    return f"{region}:{name}"


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A pipeline and every version of its declaration; `declaration` is the current one."""

    arn: str
    name: str
    account_id: str
    region: str
    version: int
    created_at: datetime
    updated_at: datetime
    declarations: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def declaration(self) -> Mapping[str, Any]:
        return self.declarations[self.version]

    def updated(self, declaration: Mapping[str, Any], now: datetime) -> Pipeline:
        """The next version, `declaration` with its version number set."""
        version = self.version + 1
        return Pipeline(self.arn, self.name, self.account_id, self.region, version, self.created_at, now,
                        {**self.declarations, version: {**declaration, "version": version}})

    @classmethod
    def new(cls, account_id: str, region: str, declaration: Mapping[str, Any], now: datetime) -> Pipeline:
        """Version 1 of a pipeline declared by `declaration`."""
        name = str(declaration["name"])
        return cls(pipeline_arn(region, account_id, name), name, account_id, region, 1, now, now,
                   {1: {**declaration, "version": 1}})

    @classmethod
    def from_record(cls, record: Record) -> Pipeline:
        data = record.data
        return cls(arn=record.arn, name=record.name, account_id=record.account_id, region=data["Region"],
                   version=int(data["Version"]), created_at=record.created_at, updated_at=record.updated_at,
                   declarations={int(version): dict(declared) for version, declared in data["Declarations"].items()})

    def to_record(self) -> Record:
        return Record(account_id=self.account_id, kind=PIPELINE.kind, id=pipeline_id(self.region, self.name),
                      arn=self.arn, name=self.name, created_at=self.created_at, updated_at=self.updated_at,
                      data={"Region": self.region, "Version": self.version,
                            "Declarations": {str(version): dict(declared)
                                             for version, declared in self.declarations.items()}})


__all__ = ["PIPELINE", "PIPELINE_QUOTA", "Pipeline", "parse_pipeline_arn", "pipeline_arn", "pipeline_id"]
