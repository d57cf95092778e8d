"""Condition operators: one table entry per operator, compiled once per condition.

AWS's rules implemented here (IAM JSON policy elements: Condition operators;
single-valued vs. multivalued context keys):

- a key missing from the request makes a positive operator false and a negated
  one (`StringNotEquals`, `NotIpAddress`, ...) true; `...IfExists` makes it true;
- several policy values for one key are OR'd (for negated operators, NOR);
- `ForAllValues:` is true when every request value matches (and when the key is
  missing or empty); `ForAnyValue:` when at least one does (false when missing);
- without a set operator a multivalued request key matches when any value does;
- a request value that cannot be read as the operator's type does not match.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator as op
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from codeconn.iam.document import Condition
from codeconn.iam.variables import Template, parse_template
from codeconn.iam.wildcards import compile_arn, compile_glob, glob_to_regex, split_arn

Context = Mapping[str, tuple[str, ...]]
ValueMatcher = Callable[[str], bool]
Predicate = Callable[[Context], bool]

SET_OPERATORS = ("ForAllValues", "ForAnyValue")


# -- readers: a request or policy value as the operator's type, or None ----------------

def read_number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def read_date(value: str) -> float | None:
    """Seconds since the epoch for an ISO 8601 date or an epoch number (both are accepted by AWS)."""
    number = read_number(value)
    if number is not None:
        return number / 1000 if number > 1e11 else number  # epoch milliseconds are accepted too
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def read_bool(value: str) -> bool | None:
    folded = value.lower()
    return True if folded == "true" else False if folded == "false" else None


def read_binary(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def read_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def read_network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


# -- matchers: one policy value -> a test of one request value -------------------------

def _string_equals(pattern: str, _marks: frozenset[int]) -> ValueMatcher:
    return pattern.__eq__


def _string_equals_ignore_case(pattern: str, _marks: frozenset[int]) -> ValueMatcher:
    folded = pattern.casefold()
    return lambda value: value.casefold() == folded


def _string_like(pattern: str, marks: frozenset[int]) -> ValueMatcher:
    if not marks:
        return compile_glob(pattern)
    return re.compile(glob_to_regex(pattern, literal_marks=marks), re.DOTALL).fullmatch  # type: ignore[return-value]


def _arn_like(pattern: str, marks: frozenset[int]) -> ValueMatcher:
    # Escaped wildcards (`${*}`) are literal, the others still wildcards (IAM User Guide,
    # "IAM policy elements: Variables and tags", special characters).
    matcher = compile_arn(pattern, literal_marks=marks)
    return lambda value: split_arn(value) is not None and matcher(value)


MatcherBuilder = Callable[[str, frozenset[int]], ValueMatcher]


def _compare(reader: Callable[[str], float | None], compare: Callable[[float, float], bool]) -> MatcherBuilder:
    def build(pattern: str, _marks: frozenset[int]) -> ValueMatcher:
        expected = reader(pattern)

        def match(value: str) -> bool:
            actual = reader(value)
            return actual is not None and expected is not None and compare(actual, expected)

        return match

    return build


def _bool(pattern: str, _marks: frozenset[int]) -> ValueMatcher:
    expected = read_bool(pattern)
    return lambda value: read_bool(value) == expected and expected is not None


def _binary(pattern: str, _marks: frozenset[int]) -> ValueMatcher:
    expected = read_binary(pattern)
    return lambda value: expected is not None and read_binary(value) == expected


def _ip(pattern: str, _marks: frozenset[int]) -> ValueMatcher:
    network = read_network(pattern)

    def match(value: str) -> bool:
        address = read_ip(value)
        return address is not None and network is not None and address.version == network.version and address in network

    return match


# -- the table ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OperatorSpec:
    name: str
    family: str  # String, Numeric, Date, Bool, Binary, IpAddress, Arn, Null
    negated: bool
    build: Callable[[str, frozenset[int]], ValueMatcher] | None  # None for Null
    variables: bool  # policy variables are substituted in the values

    def check_policy_values(self, values: tuple[str, ...]) -> str | None:
        """Why these policy values are invalid for the operator, or None."""
        reader = _POLICY_VALUE_READERS.get(self.family)
        for value in values:
            if self.variables and "${" in value:
                try:
                    parse_template(value)
                except ValueError as exc:
                    return str(exc)
                continue
            if reader is not None and reader(value) is None:
                return f"{value!r} is not a valid {self.family} value for {self.name}"
        return None


_POLICY_VALUE_READERS: dict[str, Callable[[str], object]] = {
    "Numeric": read_number,
    "Date": read_date,
    "Bool": read_bool,
    "Binary": read_binary,
    "IpAddress": read_network,
    "Null": read_bool,
}


def _spec(name: str, family: str, build: MatcherBuilder | None, *, negated: bool = False,
          variables: bool = False) -> OperatorSpec:
    return OperatorSpec(name, family, negated, build, variables)


OPERATORS: dict[str, OperatorSpec] = {s.name: s for s in (
    _spec("StringEquals", "String", _string_equals, variables=True),
    _spec("StringNotEquals", "String", _string_equals, negated=True, variables=True),
    _spec("StringEqualsIgnoreCase", "String", _string_equals_ignore_case, variables=True),
    _spec("StringNotEqualsIgnoreCase", "String", _string_equals_ignore_case, negated=True, variables=True),
    _spec("StringLike", "String", _string_like, variables=True),
    _spec("StringNotLike", "String", _string_like, negated=True, variables=True),
    _spec("NumericEquals", "Numeric", _compare(read_number, op.eq)),
    _spec("NumericNotEquals", "Numeric", _compare(read_number, op.eq), negated=True),
    _spec("NumericLessThan", "Numeric", _compare(read_number, op.lt)),
    _spec("NumericLessThanEquals", "Numeric", _compare(read_number, op.le)),
    _spec("NumericGreaterThan", "Numeric", _compare(read_number, op.gt)),
    _spec("NumericGreaterThanEquals", "Numeric", _compare(read_number, op.ge)),
    _spec("DateEquals", "Date", _compare(read_date, op.eq)),
    _spec("DateNotEquals", "Date", _compare(read_date, op.eq), negated=True),
    _spec("DateLessThan", "Date", _compare(read_date, op.lt)),
    _spec("DateLessThanEquals", "Date", _compare(read_date, op.le)),
    _spec("DateGreaterThan", "Date", _compare(read_date, op.gt)),
    _spec("DateGreaterThanEquals", "Date", _compare(read_date, op.ge)),
    _spec("Bool", "Bool", _bool),
    _spec("BinaryEquals", "Binary", _binary),
    _spec("IpAddress", "IpAddress", _ip),
    _spec("NotIpAddress", "IpAddress", _ip, negated=True),
    _spec("ArnEquals", "Arn", _arn_like, variables=True),
    _spec("ArnLike", "Arn", _arn_like, variables=True),
    _spec("ArnNotEquals", "Arn", _arn_like, negated=True, variables=True),
    _spec("ArnNotLike", "Arn", _arn_like, negated=True, variables=True),
    _spec("Null", "Null", None),
)}


def split_operator(operator: str) -> tuple[str | None, str, bool]:
    """(set operator, base operator, IfExists) of a written operator; ValueError if unknown."""
    set_op: str | None = None
    name = operator
    if ":" in name:
        set_op, name = name.split(":", 1)
        if set_op not in SET_OPERATORS:
            raise ValueError(f"unknown set operator {set_op!r} (ForAllValues, ForAnyValue)")
    if_exists = name.endswith("IfExists")
    base = name[: -len("IfExists")] if if_exists else name
    if base not in OPERATORS:
        raise ValueError(f"unknown condition operator {operator!r}")
    if base == "Null" and (if_exists or set_op):
        raise ValueError("Null takes neither IfExists nor a set operator")
    return set_op, base, if_exists


# -- compiling a condition ---------------------------------------------------------------

def compile_condition(condition: Condition, *, variables: bool = True) -> Predicate:
    """A predicate over a request context (lower-cased keys -> tuple of string values).

    `variables=False` (a policy of Version 2008-10-17) reads `${...}` as literal text, as
    AWS does (IAM User Guide, "IAM JSON policy elements: Version").
    """
    spec = OPERATORS[condition.base]
    key = condition.key.lower()
    if spec.family == "Null":
        wants_absent = tuple(read_bool(v) for v in condition.values)
        return lambda ctx: (not ctx.get(key)) in wants_absent

    build = spec.build
    assert build is not None
    templates: list[Template] = []
    fixed: list[ValueMatcher] = []
    for value in condition.values:
        template = parse_template(value) if spec.variables and variables else None
        if template is None:
            fixed.append(build(value, frozenset()))
        else:
            templates.append(template)
    negated, set_op, if_exists = spec.negated, condition.set_operator, condition.if_exists

    if not templates and spec.name == "StringEquals" and set_op is None:
        return _string_equals_fast(key, frozenset(condition.values), if_exists)

    def matchers(ctx: Context) -> list[ValueMatcher]:
        if not templates:
            return fixed
        found = list(fixed)
        for template in templates:
            resolved = template.resolve(ctx)
            if resolved is not None:  # a variable with no value matches nothing
                found.append(build(*resolved))
        return found

    def predicate(ctx: Context) -> bool:
        values = ctx.get(key)
        if not values:
            if set_op == "ForAllValues":
                return True
            if set_op == "ForAnyValue":
                return False
            return if_exists or negated
        tests = matchers(ctx)
        if set_op == "ForAllValues":
            return all(any(t(v) for t in tests) != negated for v in values)
        if set_op == "ForAnyValue":
            return any(any(t(v) for t in tests) != negated for v in values)
        return any(t(v) for v in values for t in tests) != negated

    return predicate


def _string_equals_fast(key: str, expected: frozenset[str], if_exists: bool) -> Predicate:
    """The common case, kept to a set lookup: StringEquals[IfExists] with literal values."""
    if if_exists:
        def predicate(ctx: Context) -> bool:
            values = ctx.get(key)
            return not values or any(v in expected for v in values)
    else:
        def predicate(ctx: Context) -> bool:
            values = ctx.get(key)
            if values is None:
                return False
            for v in values:
                if v in expected:
                    return True
            return False
    return predicate
