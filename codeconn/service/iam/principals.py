"""A principal's policies, assembled from the store as AWS's evaluation logic groups them.

- an IAM user: its inline policies, its attached managed policies (default
  versions), and the inline and attached policies of each of its groups; its
  permissions boundary;
- a role session: the role's inline and attached policies, its boundary, and the
  session policies given to AssumeRole (inline Policy and PolicyArns);
- a group (for SimulatePrincipalPolicy): its own policies, as for a member.

Each policy is named so that a decision says which one decided and nothing
collides: `user/alice/InlineName`, `group/devs/InlineName`, `role/ci/InlineName`
for inline policies, the ARN for managed ones, `session-policy` for an inline
session policy. `sources` maps every (name, kind) to what the IAM simulator
reports as SourcePolicyId and SourcePolicyType.

Documents were checked when they were stored; `PolicyParser` parses each distinct
document once, so a caller's policies are re-assembled cheaply after any change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from codeconn.domain.principals import GROUPS, Entity, Group, Role, User
from codeconn.iam import Policy, PolicyKind, PolicySet, parse_policy
from codeconn.service.iam.managed import resolve
from codeconn.store import Reader, Record

Parse = Callable[[str, str, PolicyKind], Policy]
"""(document, name, kind) -> the parsed policy."""

SESSION_POLICY_NAME = "session-policy"
UNRESOLVED_NAME = "unresolved-policy"

# Stands in for a boundary or session policy whose ARN names nothing any more: a
# limit that cannot be read must limit everything, never vanish (an empty list of
# boundaries would mean "no boundary"). NotAction "*" matches no action.
_ALLOWS_NOTHING = '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "*", "Resource": "*"}]}'


def parse_fresh(document: str, name: str, kind: PolicyKind) -> Policy:
    return parse_policy(document, name=name, kind=kind)


class PolicyParser:
    """A `Parse` that remembers the last `size` documents it parsed (thread-safe)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._parsed: OrderedDict[tuple[str, str, PolicyKind], Policy] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, document: str, name: str, kind: PolicyKind) -> Policy:
        key = (document, name, kind)
        with self._lock:
            found = self._parsed.get(key)
            if found is not None:
                self._parsed.move_to_end(key)
                return found
        policy = parse_policy(document, name=name, kind=kind)
        with self._lock:
            self._parsed[key] = policy
            while len(self._parsed) > self._size:
                self._parsed.popitem(last=False)
        return policy


@dataclass(frozen=True)
class PolicySource:
    """Where a policy came from, in the simulator's words."""

    id: str  # SourcePolicyId: the inline policy's name, the managed policy's name, or the input's position
    type: str  # SourcePolicyType: user | group | role | aws-managed | user-managed | resource | none


@dataclass(frozen=True)
class Assembled:
    """A principal's PolicySet and where each of its policies came from."""

    policies: PolicySet
    sources: Mapping[tuple[str, PolicyKind], PolicySource]


@dataclass
class _Builder:
    reader: Reader
    parse: Parse
    identity: list[Policy] = field(default_factory=list)
    boundaries: list[Policy] = field(default_factory=list)
    session: list[Policy] = field(default_factory=list)
    sources: dict[tuple[str, PolicyKind], PolicySource] = field(default_factory=dict)

    def add(self, target: list[Policy], document: str, name: str, kind: PolicyKind, source: PolicySource) -> None:
        target.append(self.parse(document, name, kind))
        self.sources[(name, kind)] = source

    def entity(self, entity: Entity) -> None:
        """An entity's inline and attached policies, as identity-based policies."""
        noun = entity.kind.noun
        for inline in entity.inline_policies.values():
            self.add(self.identity, inline.document, f"{noun}/{entity.name}/{inline.name}", PolicyKind.IDENTITY,
                     PolicySource(inline.name, noun))
        self.managed(self.identity, entity.attached_policies, PolicyKind.IDENTITY)

    def managed(self, target: list[Policy], arns: Iterable[str], kind: PolicyKind) -> None:
        """Managed policies by ARN. An ARN that names nothing grants nothing, and as a limit allows nothing."""
        for arn in arns:
            policy = resolve(self.reader, arn)
            if policy is not None:
                self.add(target, policy.document, policy.arn, kind, PolicySource(policy.name, policy.source_type))
            elif kind is not PolicyKind.IDENTITY:
                self.add(target, _ALLOWS_NOTHING, UNRESOLVED_NAME, kind, PolicySource(arn, "none"))

    def boundary(self, entity: Entity) -> None:
        arn = entity.boundary
        if arn:
            self.managed(self.boundaries, [arn], PolicyKind.BOUNDARY)

    def done(self) -> Assembled:
        return Assembled(PolicySet(identity=tuple(self.identity), boundaries=tuple(self.boundaries),
                                   session=tuple(self.session)), dict(self.sources))


def for_user(reader: Reader, record: Record, parse: Parse = parse_fresh) -> Assembled:
    """A user (its record): its policies, its groups' policies, and its boundary."""
    user = User.from_record(record)
    builder = _Builder(reader, parse)
    builder.entity(user)
    for group_id in user.groups:
        group = reader.get(GROUPS.kind, group_id)
        if group is not None:
            builder.entity(Group.from_record(group))
    builder.boundary(user)
    return builder.done()


def for_group(reader: Reader, record: Record, parse: Parse = parse_fresh) -> Assembled:
    """A group (its record), as its members meet its policies."""
    builder = _Builder(reader, parse)
    builder.entity(Group.from_record(record))
    return builder.done()


def for_role(reader: Reader, record: Record, parse: Parse = parse_fresh, *, session_policy: str | None = None,
             session_policy_arns: Iterable[str] = ()) -> Assembled:
    """A session of a role (its record): its policies and boundary, narrowed by the session's own policies."""
    role = Role.from_record(record)
    builder = _Builder(reader, parse)
    builder.entity(role)
    builder.boundary(role)
    if session_policy:
        builder.add(builder.session, session_policy, SESSION_POLICY_NAME, PolicyKind.SESSION,
                    PolicySource(SESSION_POLICY_NAME, "none"))
    builder.managed(builder.session, session_policy_arns, PolicyKind.SESSION)
    return builder.done()
