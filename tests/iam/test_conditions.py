"""Condition operators, as the IAM User Guide's "Condition operators" page states them.

Every row puts one operator block in an Allow statement and asks whether the
statement applies to a request; `MISSING` means the key is not in the request.
"""

from __future__ import annotations

import pytest

from codeconn.iam import Condition
from codeconn.iam.conditions import OPERATORS, compile_condition, split_operator

MISSING = object()

REPO = "codestar-connections:FullRepositoryId"
MFA_AGE = "aws:MultiFactorAuthAge"
NOW = "aws:CurrentTime"
TLS = "aws:SecureTransport"
BLOB = "s3:x-amz-content-sha256"
SOURCE_IP = "aws:SourceIp"
SOURCE_ARN = "aws:SourceArn"
TOKEN_TIME = "aws:TokenIssueTime"
TAG_KEYS = "aws:TagKeys"


def row(operator, key, values, request, expected, rule):
    return pytest.param(operator, key, values, request, expected, id=rule)


STRING = [
    row("StringEquals", REPO, "acme/api", "acme/api", True, "StringEquals: exact match"),
    row("StringEquals", REPO, "acme/api", "Acme/API", False, "StringEquals: case-sensitive"),
    row("StringEquals", REPO, "acme/*", "acme/api", False, "StringEquals: * is not a wildcard"),
    row("StringEquals", REPO, ["acme/web", "acme/api"], "acme/api", True, "StringEquals: several values are OR'd"),
    row("StringEquals", REPO, "acme/api", MISSING, False, "StringEquals: a missing key does not match"),
    row("StringEquals", "codestar-connections:BranchCount", 5, "5", True, "StringEquals: a JSON number compares as its text"),
    row("StringEquals", TLS, True, "true", True, "StringEquals: a JSON boolean compares as true/false"),
    row("StringNotEquals", REPO, "acme/api", "acme/web", True, "StringNotEquals: a different value matches"),
    row("StringNotEquals", REPO, "acme/api", "acme/api", False, "StringNotEquals: an equal value does not"),
    row("StringNotEquals", REPO, ["acme/web", "acme/api"], "acme/api", False, "StringNotEquals: several values are NOR'd"),
    row("StringNotEquals", REPO, ["acme/web", "acme/api"], "acme/ops", True, "StringNotEquals: none equal, true"),
    row("StringNotEquals", REPO, "acme/api", MISSING, True, "StringNotEquals: a negated operator is true on a missing key"),
    row("StringEqualsIgnoreCase", REPO, "ACME/Api", "acme/api", True, "StringEqualsIgnoreCase: case is ignored"),
    row("StringEqualsIgnoreCase", REPO, "acme/api", "acme/web", False, "StringEqualsIgnoreCase: other value"),
    row("StringEqualsIgnoreCase", REPO, "acme/api", MISSING, False, "StringEqualsIgnoreCase: missing key"),
    row("StringNotEqualsIgnoreCase", REPO, "ACME/API", "acme/api", False, "StringNotEqualsIgnoreCase: equal but for case"),
    row("StringNotEqualsIgnoreCase", REPO, "acme/api", "acme/web", True, "StringNotEqualsIgnoreCase: other value"),
    row("StringNotEqualsIgnoreCase", REPO, "acme/api", MISSING, True, "StringNotEqualsIgnoreCase: missing key is true"),
    row("StringLike", REPO, "acme/*", "acme/api", True, "StringLike: * matches any run of characters"),
    row("StringLike", REPO, "acme/*", "acme/", True, "StringLike: * matches the empty string"),
    row("StringLike", REPO, "acme/*", "other/api", False, "StringLike: the literal part must match"),
    row("StringLike", REPO, "acme/ap?", "acme/api", True, "StringLike: ? matches one character"),
    row("StringLike", REPO, "acme/ap?", "acme/apis", False, "StringLike: ? matches exactly one character"),
    row("StringLike", REPO, "acme/*", "ACME/api", False, "StringLike: case-sensitive"),
    row("StringLike", REPO, "*/api", "a/b:c/api", True, "StringLike: * crosses / and :"),
    row("StringLike", REPO, ["x/*", "acme/*"], "acme/api", True, "StringLike: several patterns are OR'd"),
    row("StringLike", REPO, "*", MISSING, False, "StringLike: even * does not match a missing key"),
    row("StringNotLike", REPO, "acme/*", "other/api", True, "StringNotLike: not matching the pattern"),
    row("StringNotLike", REPO, "acme/*", "acme/api", False, "StringNotLike: matching the pattern"),
    row("StringNotLike", REPO, ["x/*", "acme/*"], "acme/api", False, "StringNotLike: several patterns are NOR'd"),
    row("StringNotLike", REPO, "acme/*", MISSING, True, "StringNotLike: true on a missing key"),
]

NUMERIC = [
    row("NumericEquals", MFA_AGE, "3600", "3600", True, "NumericEquals: equal numbers"),
    row("NumericEquals", MFA_AGE, 3600, "3600.0", True, "NumericEquals: compares numbers, not text"),
    row("NumericEquals", MFA_AGE, "3600", "3601", False, "NumericEquals: different numbers"),
    row("NumericEquals", MFA_AGE, "3600", "soon", False, "NumericEquals: a non-numeric request value does not match"),
    row("NumericEquals", MFA_AGE, "3600", MISSING, False, "NumericEquals: missing key"),
    row("NumericEquals", MFA_AGE, ["1", "2", "3"], "2", True, "NumericEquals: several values are OR'd"),
    row("NumericNotEquals", MFA_AGE, "3600", "10", True, "NumericNotEquals: different numbers"),
    row("NumericNotEquals", MFA_AGE, "3600", "3600", False, "NumericNotEquals: equal numbers"),
    row("NumericNotEquals", MFA_AGE, ["1", "2"], "2", False, "NumericNotEquals: several values are NOR'd"),
    row("NumericNotEquals", MFA_AGE, "3600", MISSING, True, "NumericNotEquals: true on a missing key"),
    row("NumericLessThan", MFA_AGE, "3600", "3599", True, "NumericLessThan: smaller"),
    row("NumericLessThan", MFA_AGE, "3600", "3600", False, "NumericLessThan: equal is not less"),
    row("NumericLessThan", MFA_AGE, "3600", "-1", True, "NumericLessThan: negative numbers"),
    row("NumericLessThan", MFA_AGE, "3600", MISSING, False, "NumericLessThan: missing key"),
    row("NumericLessThanEquals", MFA_AGE, "3600", "3600", True, "NumericLessThanEquals: equal"),
    row("NumericLessThanEquals", MFA_AGE, "3600", "3600.5", False, "NumericLessThanEquals: larger"),
    row("NumericGreaterThan", MFA_AGE, "10", "10.5", True, "NumericGreaterThan: decimals"),
    row("NumericGreaterThan", MFA_AGE, "10", "10", False, "NumericGreaterThan: equal is not greater"),
    row("NumericGreaterThanEquals", MFA_AGE, "10", "10", True, "NumericGreaterThanEquals: equal"),
    row("NumericGreaterThanEquals", MFA_AGE, "10", "9", False, "NumericGreaterThanEquals: smaller"),
    row("NumericGreaterThanEquals", MFA_AGE, "10", MISSING, False, "NumericGreaterThanEquals: missing key"),
]

DATE = [
    row("DateLessThan", NOW, "2030-01-01T00:00:00Z", "2025-06-01T12:00:00Z", True, "DateLessThan: earlier"),
    row("DateLessThan", NOW, "2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z", False, "DateLessThan: later"),
    row("DateLessThan", NOW, "2030-01-01T00:00:00Z", MISSING, False, "DateLessThan: missing key"),
    row("DateLessThan", NOW, "2030-01-01", "2029-12-31T23:59:59Z", True, "DateLessThan: a date without time is midnight UTC"),
    row("DateLessThanEquals", NOW, "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z", True, "DateLessThanEquals: same instant"),
    row("DateGreaterThan", NOW, "2020-01-01T00:00:00Z", "2025-06-01T12:00:00Z", True, "DateGreaterThan: later"),
    row("DateGreaterThan", NOW, "2020-01-01T00:00:00Z", "2019-06-01T12:00:00Z", False, "DateGreaterThan: earlier"),
    row("DateGreaterThanEquals", NOW, "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True, "DateGreaterThanEquals: same instant"),
    row("DateEquals", NOW, "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True, "DateEquals: same instant"),
    row("DateEquals", NOW, "2020-01-01T00:00:00Z", "2020-01-01T01:00:00+01:00", True, "DateEquals: compares instants across time zones"),
    row("DateEquals", NOW, "2020-01-01T00:00:00Z", "1577836800", True, "DateEquals: epoch seconds equal the ISO 8601 instant"),
    row("DateEquals", NOW, 1577836800, "2020-01-01T00:00:00Z", True, "DateEquals: an epoch policy value"),
    row("DateEquals", NOW, "2020-01-01T00:00:00Z", "yesterday", False, "DateEquals: a request value that is not a date"),
    row("DateNotEquals", NOW, "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", True, "DateNotEquals: other instant"),
    row("DateNotEquals", NOW, "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False, "DateNotEquals: same instant"),
    row("DateNotEquals", NOW, "2020-01-01T00:00:00Z", MISSING, True, "DateNotEquals: true on a missing key"),
]

BOOL_AND_BINARY = [
    row("Bool", TLS, "true", "true", True, "Bool: true matches true"),
    row("Bool", TLS, "true", "false", False, "Bool: true does not match false"),
    row("Bool", TLS, True, "true", True, "Bool: a JSON boolean policy value"),
    row("Bool", TLS, "false", False, True, "Bool: a boolean request value"),
    row("Bool", TLS, "true", "yes", False, "Bool: a request value that is not a boolean"),
    row("Bool", TLS, "true", MISSING, False, "Bool: missing key"),
    row("Bool", TLS, "false", MISSING, False, "Bool: false does not match a missing key either"),
    row("BinaryEquals", BLOB, "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True, "BinaryEquals: same bytes"),
    row("BinaryEquals", BLOB, "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "b3RoZXI=", False, "BinaryEquals: other bytes"),
    row("BinaryEquals", BLOB, "QmluYXJ5VmFsdWVJbkJhc2U2NA==", MISSING, False, "BinaryEquals: missing key"),
]

IP = [
    row("IpAddress", SOURCE_IP, "203.0.113.0/24", "203.0.113.7", True, "IpAddress: inside the CIDR block"),
    row("IpAddress", SOURCE_IP, "203.0.113.0/24", "198.51.100.7", False, "IpAddress: outside the CIDR block"),
    row("IpAddress", SOURCE_IP, "203.0.113.7", "203.0.113.7", True, "IpAddress: an address without a mask is /32"),
    row("IpAddress", SOURCE_IP, "203.0.113.7", "203.0.113.8", False, "IpAddress: /32 holds one address"),
    row("IpAddress", SOURCE_IP, ["198.51.100.0/24", "203.0.113.0/24"], "203.0.113.7", True, "IpAddress: several blocks are OR'd"),
    row("IpAddress", SOURCE_IP, "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", True, "IpAddress: IPv6 inside the block"),
    row("IpAddress", SOURCE_IP, "2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", False, "IpAddress: IPv6 outside the block"),
    row("IpAddress", SOURCE_IP, "203.0.113.0/24", "2001:db8::1", False, "IpAddress: an IPv6 address is not in an IPv4 block"),
    row("IpAddress", SOURCE_IP, "203.0.113.0/24", "not-an-ip", False, "IpAddress: a request value that is not an address"),
    row("IpAddress", SOURCE_IP, "203.0.113.0/24", MISSING, False, "IpAddress: missing key"),
    row("NotIpAddress", SOURCE_IP, "203.0.113.0/24", "198.51.100.7", True, "NotIpAddress: outside the block"),
    row("NotIpAddress", SOURCE_IP, "203.0.113.0/24", "203.0.113.7", False, "NotIpAddress: inside the block"),
    row("NotIpAddress", SOURCE_IP, ["198.51.100.0/24", "203.0.113.0/24"], "203.0.113.7", False, "NotIpAddress: several blocks are NOR'd"),
    row("NotIpAddress", SOURCE_IP, "2001:DB8::/32", "2001:db9::1", True, "NotIpAddress: IPv6 outside the block"),
    row("NotIpAddress", SOURCE_IP, "203.0.113.0/24", MISSING, True, "NotIpAddress: true on a missing key"),
]

ROLE = "arn:aws:iam::111122223333:role/PipelineRole"
ARN = [
    row("ArnEquals", SOURCE_ARN, ROLE, ROLE, True, "ArnEquals: same ARN"),
    row("ArnEquals", SOURCE_ARN, ROLE, ROLE.replace("PipelineRole", "pipelinerole"), False, "ArnEquals: case-sensitive"),
    row("ArnEquals", SOURCE_ARN, "arn:aws:iam::*:role/PipelineRole", ROLE, True, "ArnEquals: takes wildcards like ArnLike"),
    row("ArnLike", SOURCE_ARN, "arn:aws:iam::111122223333:role/*", ROLE, True, "ArnLike: * in the resource part"),
    row("ArnLike", SOURCE_ARN, "arn:aws:iam::*:role/PipelineRole", ROLE, True, "ArnLike: * in the account segment"),
    row("ArnLike", SOURCE_ARN, "arn:aws:iam::11112222333?:role/PipelineRole", ROLE, True, "ArnLike: ? in a segment"),
    row("ArnLike", SOURCE_ARN, "arn:*:iam::111122223333:role/PipelineRole",
        "arn:a:b:iam::111122223333:role/PipelineRole", False,
        "ArnLike: each colon-delimited segment is matched on its own; * never spans a colon"),
    row("ArnLike", SOURCE_ARN, "arn:aws:iam::111122223333:role/*", "arn:aws:iam::111122223333:user/bob", False, "ArnLike: other resource"),
    row("ArnLike", SOURCE_ARN, "*", "not-an-arn", False, "ArnLike: a request value that is not an ARN"),
    row("ArnLike", SOURCE_ARN, ["arn:aws:s3:::*", "arn:aws:iam::*:role/*"], ROLE, True, "ArnLike: several patterns are OR'd"),
    row("ArnLike", SOURCE_ARN, "arn:aws:iam::*:role/*", MISSING, False, "ArnLike: missing key"),
    row("ArnNotEquals", SOURCE_ARN, ROLE, "arn:aws:iam::111122223333:role/Other", True, "ArnNotEquals: other ARN"),
    row("ArnNotEquals", SOURCE_ARN, ROLE, ROLE, False, "ArnNotEquals: same ARN"),
    row("ArnNotLike", SOURCE_ARN, "arn:aws:iam::*:role/*", ROLE, False, "ArnNotLike: matching the pattern"),
    row("ArnNotLike", SOURCE_ARN, "arn:aws:iam::*:user/*", ROLE, True, "ArnNotLike: not matching the pattern"),
    row("ArnNotLike", SOURCE_ARN, "arn:aws:iam::*:user/*", MISSING, True, "ArnNotLike: true on a missing key"),
]

NULL = [
    row("Null", TOKEN_TIME, "true", MISSING, True, "Null true: the key is absent"),
    row("Null", TOKEN_TIME, "true", "2020-01-01T00:00:00Z", False, "Null true: the key is present"),
    row("Null", TOKEN_TIME, "false", "2020-01-01T00:00:00Z", True, "Null false: the key is present"),
    row("Null", TOKEN_TIME, "false", MISSING, False, "Null false: the key is absent"),
    row("Null", TOKEN_TIME, True, MISSING, True, "Null: a JSON boolean policy value"),
    row("Null", TOKEN_TIME, "true", "", False, "Null: an empty string is a present value"),
]

IF_EXISTS = [
    row("StringEqualsIfExists", REPO, "acme/api", MISSING, True, "IfExists: a missing key makes the condition true"),
    row("StringEqualsIfExists", REPO, "acme/api", "acme/api", True, "IfExists: a present key is tested as usual (match)"),
    row("StringEqualsIfExists", REPO, "acme/api", "acme/web", False, "IfExists: a present key is tested as usual (no match)"),
    row("StringNotEqualsIfExists", REPO, "acme/api", "acme/api", False, "StringNotEqualsIfExists: present and equal"),
    row("StringNotEqualsIfExists", REPO, "acme/api", MISSING, True, "StringNotEqualsIfExists: missing key"),
    row("StringLikeIfExists", REPO, "acme/*", "other/x", False, "StringLikeIfExists: present, not matching"),
    row("NumericLessThanIfExists", MFA_AGE, "3600", MISSING, True, "NumericLessThanIfExists: missing key"),
    row("NumericLessThanIfExists", MFA_AGE, "3600", "7200", False, "NumericLessThanIfExists: present, too large"),
    row("DateGreaterThanIfExists", NOW, "2020-01-01T00:00:00Z", MISSING, True, "DateGreaterThanIfExists: missing key"),
    row("BoolIfExists", TLS, "true", MISSING, True, "BoolIfExists: missing key"),
    row("BoolIfExists", TLS, "true", "false", False, "BoolIfExists: present and false"),
    row("IpAddressIfExists", SOURCE_IP, "203.0.113.0/24", MISSING, True, "IpAddressIfExists: missing key"),
    row("ArnLikeIfExists", SOURCE_ARN, "arn:aws:iam::*:user/*", ROLE, False, "ArnLikeIfExists: present, not matching"),
    row("ArnLikeIfExists", SOURCE_ARN, "arn:aws:iam::*:user/*", MISSING, True, "ArnLikeIfExists: missing key"),
    row("BinaryEqualsIfExists", BLOB, "b3RoZXI=", MISSING, True, "BinaryEqualsIfExists: missing key"),
]

SET_OPERATORS = [
    row("ForAllValues:StringEquals", TAG_KEYS, ["env", "team"], ["env"], True, "ForAllValues: every request value is in the set"),
    row("ForAllValues:StringEquals", TAG_KEYS, ["env", "team"], ["env", "team"], True, "ForAllValues: all of the set"),
    row("ForAllValues:StringEquals", TAG_KEYS, ["env", "team"], ["env", "cost"], False, "ForAllValues: one request value outside the set"),
    row("ForAllValues:StringEquals", TAG_KEYS, ["env", "team"], MISSING, True, "ForAllValues is true when the key is missing"),
    row("ForAllValues:StringEquals", TAG_KEYS, ["env", "team"], [], True, "ForAllValues is true for an empty set of values"),
    row("ForAllValues:StringEquals", TAG_KEYS, ["env"], "env", True, "ForAllValues: a single value is a set of one"),
    row("ForAllValues:StringLike", TAG_KEYS, ["acme-*"], ["acme-a", "acme-b"], True, "ForAllValues:StringLike: every value matches a pattern"),
    row("ForAllValues:StringLike", TAG_KEYS, ["acme-*"], ["acme-a", "b"], False, "ForAllValues:StringLike: one value matches no pattern"),
    row("ForAllValues:StringNotEquals", TAG_KEYS, ["secret"], ["env", "team"], True, "ForAllValues:StringNotEquals: no value is in the set"),
    row("ForAllValues:StringNotEquals", TAG_KEYS, ["secret"], ["env", "secret"], False, "ForAllValues:StringNotEquals: one value is in the set"),
    row("ForAllValues:StringEqualsIfExists", TAG_KEYS, ["env"], MISSING, True, "ForAllValues with IfExists: missing key"),
    row("ForAllValues:StringEqualsIgnoreCase", TAG_KEYS, ["ENV"], ["env", "Env"], True, "ForAllValues:StringEqualsIgnoreCase"),
    row("ForAllValues:NumericLessThan", "s3:sizes", "10", ["1", "9"], True, "ForAllValues:NumericLessThan: every value below"),
    row("ForAllValues:NumericLessThan", "s3:sizes", "10", ["1", "11"], False, "ForAllValues:NumericLessThan: one value above"),
    row("ForAnyValue:StringEquals", TAG_KEYS, ["env", "team"], ["cost", "team"], True, "ForAnyValue: at least one request value in the set"),
    row("ForAnyValue:StringEquals", TAG_KEYS, ["env", "team"], ["cost", "owner"], False, "ForAnyValue: no request value in the set"),
    row("ForAnyValue:StringEquals", TAG_KEYS, ["env", "team"], MISSING, False, "ForAnyValue is false when the key is missing"),
    row("ForAnyValue:StringEquals", TAG_KEYS, ["env", "team"], [], False, "ForAnyValue is false for an empty set of values"),
    row("ForAnyValue:StringLike", TAG_KEYS, ["acme-*"], ["x", "acme-b"], True, "ForAnyValue:StringLike: one value matches"),
    row("ForAnyValue:StringNotEquals", TAG_KEYS, ["env"], ["env", "team"], True, "ForAnyValue:StringNotEquals: one value outside the set"),
    row("ForAnyValue:StringNotEquals", TAG_KEYS, ["env", "team"], ["env", "team"], False, "ForAnyValue:StringNotEquals: every value in the set"),
    row("ForAnyValue:StringNotEquals", TAG_KEYS, ["env"], MISSING, False, "ForAnyValue:StringNotEquals: still false on a missing key"),
    row("ForAnyValue:StringEqualsIfExists", TAG_KEYS, ["team"], MISSING, False,
        "ForAnyValue with IfExists: still false on a missing key (no values, none matches)"),
    row("ForAnyValue:ArnLike", "aws:PrincipalServiceNamesList", ["arn:aws:iam::*:role/*"], ["x", ROLE], True, "ForAnyValue:ArnLike"),
    row("ForAnyValue:IpAddress", "aws:VpcSourceIps", "10.0.0.0/8", ["192.168.0.1", "10.1.2.3"], True, "ForAnyValue:IpAddress"),
    row("ForAnyValue:StringEquals", TAG_KEYS, ["Env"], ["env"], False, "ForAnyValue:StringEquals: values stay case-sensitive"),
]


@pytest.mark.parametrize("operator, key, values, request_value, expected",
                         STRING + NUMERIC + DATE + BOOL_AND_BINARY + IP + ARN + NULL + IF_EXISTS + SET_OPERATORS)
def test_condition_operator(condition_holds, operator, key, values, request_value, expected):
    context = {} if request_value is MISSING else {key: request_value}
    assert condition_holds({operator: {key: values}}, context) is expected


def test_every_operator_has_a_table_row():
    """Each operator AWS documents is exercised above, so none slips through untested."""
    tested = {split_operator(p.values[0])[1] for p in
              STRING + NUMERIC + DATE + BOOL_AND_BINARY + IP + ARN + NULL + IF_EXISTS + SET_OPERATORS}
    assert tested == set(OPERATORS)


@pytest.mark.parametrize("key_as_written", [
    pytest.param("codestar-connections:fullrepositoryid", id="condition keys are case-insensitive (lower)"),
    pytest.param("CODESTAR-CONNECTIONS:FULLREPOSITORYID", id="condition keys are case-insensitive (upper)"),
])
def test_condition_key_case_is_ignored(condition_holds, key_as_written):
    assert condition_holds({"StringEquals": {key_as_written: "acme/api"}}, {REPO: "acme/api"})
    assert condition_holds({"StringEquals": {REPO: "acme/api"}}, {key_as_written: "acme/api"})


@pytest.mark.parametrize("condition, context, expected", [
    pytest.param({"StringEquals": {REPO: "acme/api", "codestar-connections:BranchName": "main"}},
                 {REPO: "acme/api", "codestar-connections:BranchName": "main"}, True,
                 id="several keys under one operator are AND'd (all match)"),
    pytest.param({"StringEquals": {REPO: "acme/api", "codestar-connections:BranchName": "main"}},
                 {REPO: "acme/api", "codestar-connections:BranchName": "dev"}, False,
                 id="several keys under one operator are AND'd (one fails)"),
    pytest.param({"StringLike": {REPO: "acme/*"}, "Bool": {TLS: "true"}},
                 {REPO: "acme/api", TLS: True}, True,
                 id="several operators are AND'd (all match)"),
    pytest.param({"StringLike": {REPO: "acme/*"}, "Bool": {TLS: "true"}},
                 {REPO: "acme/api", TLS: False}, False,
                 id="several operators are AND'd (one fails)"),
    pytest.param({"StringEquals": {REPO: "acme/api"}, "StringNotEquals": {REPO: "acme/web"}},
                 {REPO: "acme/api"}, True,
                 id="one key under two operators: both must hold"),
])
def test_condition_blocks_combine(condition_holds, condition, context, expected):
    assert condition_holds(condition, context) is expected


@pytest.mark.parametrize("operator, request_values, expected", [
    pytest.param("StringEquals", ["acme/web", "acme/api"], True,
                 id="no set operator, multivalued request key: true when any value matches"),
    pytest.param("StringEquals", ["acme/web", "acme/ops"], False,
                 id="no set operator, multivalued request key: false when none matches"),
    pytest.param("StringNotEquals", ["acme/web", "acme/api"], False,
                 id="no set operator, negated: false when any value equals a policy value"),
])
def test_multivalued_request_key_without_set_operator(condition_holds, operator, request_values, expected):
    assert condition_holds({operator: {REPO: "acme/api"}}, {REPO: request_values}) is expected


def test_compile_condition_is_a_predicate_over_lowercased_context():
    condition = Condition(operator="StringLike", base="StringLike", set_operator=None, if_exists=False,
                          key="aws:PrincipalTag/Team", values=("eng-*",), path="Statement[0].Condition.StringLike")
    predicate = compile_condition(condition)
    assert predicate({"aws:principaltag/team": ("eng-core",)})
    assert not predicate({"aws:principaltag/team": ("ops",)})
    assert not predicate({})


@pytest.mark.parametrize("operator, parsed", [
    pytest.param("StringEquals", (None, "StringEquals", False), id="plain operator"),
    pytest.param("StringLikeIfExists", (None, "StringLike", True), id="IfExists suffix"),
    pytest.param("ForAllValues:StringLike", ("ForAllValues", "StringLike", False), id="ForAllValues qualifier"),
    pytest.param("ForAnyValue:ArnLikeIfExists", ("ForAnyValue", "ArnLike", True), id="qualifier and IfExists"),
])
def test_split_operator(operator, parsed):
    assert split_operator(operator) == parsed


@pytest.mark.parametrize("operator", [
    pytest.param("StringEqual", id="an unknown operator is an error, never a silent pass"),
    pytest.param("stringequals", id="operator names are case-sensitive"),
    pytest.param("ForSomeValues:StringEquals", id="an unknown set operator"),
    pytest.param("NullIfExists", id="Null takes no IfExists"),
    pytest.param("ForAllValues:Null", id="Null takes no set operator"),
])
def test_split_operator_rejects(operator):
    with pytest.raises(ValueError):
        split_operator(operator)
