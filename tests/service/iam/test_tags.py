"""Tags of users, roles and managed policies: case-insensitive keys, 50 at most."""

from __future__ import annotations

import pytest
from iam_bench import ACCOUNT, Bench, allow, document, trust

from codeconn.service.errors import IamError


def _target(bench: Bench, kind: str) -> dict[str, str]:
    if kind == "User":
        bench.iam("CreateUser", UserName="e")
        return {"UserName": "e"}
    if kind == "Role":
        bench.iam("CreateRole", RoleName="e", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
        return {"RoleName": "e"}
    arn = bench.iam("CreatePolicy", PolicyName="e", PolicyDocument=document(allow("s3:*")))["Policy"]["Arn"]
    return {"PolicyArn": arn}


KINDS = [pytest.param("User", id="user"), pytest.param("Role", id="role"), pytest.param("Policy", id="policy")]


@pytest.mark.parametrize("kind", KINDS)
def test_tag_untag_list(bench: Bench, kind: str) -> None:
    target = _target(bench, kind)
    bench.iam(f"Tag{kind}", **target, Tags=[{"Key": "Team", "Value": "ci"}, {"Key": "env", "Value": "dev"}])
    bench.iam(f"Tag{kind}", **target, Tags=[{"Key": "team", "Value": "cd"}])  # replaces Team: keys ignore case
    assert bench.iam(f"List{kind}Tags", **target)["Tags"] == [{"Key": "env", "Value": "dev"},
                                                             {"Key": "team", "Value": "cd"}]
    bench.iam(f"Untag{kind}", **target, TagKeys=["ENV", "absent"])
    assert bench.iam(f"List{kind}Tags", **target)["Tags"] == [{"Key": "team", "Value": "cd"}]


@pytest.mark.parametrize("kind", KINDS)
def test_duplicate_keys_in_one_request(bench: Bench, kind: str) -> None:
    target = _target(bench, kind)
    with pytest.raises(IamError) as raised:
        bench.iam(f"Tag{kind}", **target, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert (raised.value.code, raised.value.message) == (
        "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")


@pytest.mark.parametrize("kind", KINDS)
def test_at_most_fifty_tags(bench: Bench, kind: str) -> None:
    target = _target(bench, kind)
    bench.iam(f"Tag{kind}", **target, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(40)])
    bench.iam(f"Tag{kind}", **target, Tags=[{"Key": f"K{i}", "Value": "w"} for i in range(40)])  # same keys
    with pytest.raises(IamError) as raised:
        bench.iam(f"Tag{kind}", **target, Tags=[{"Key": f"new{i}", "Value": "v"} for i in range(11)])
    assert raised.value.code == "LimitExceeded"
    assert len(bench.iam(f"List{kind}Tags", **target)["Tags"]) == 40


@pytest.mark.parametrize("kind, params, message", [
    pytest.param("User", {"UserName": "nobody"}, "The user with name nobody cannot be found.", id="user"),
    pytest.param("Role", {"RoleName": "nobody"}, "The role with name nobody cannot be found.", id="role"),
    pytest.param("Policy", {"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/nobody"},
                 f"Policy arn:aws:iam::{ACCOUNT}:policy/nobody was not found.", id="policy"),
])
def test_tagging_a_missing_entity(bench: Bench, kind: str, params: dict[str, str], message: str) -> None:
    for operation, extra in ((f"Tag{kind}", {"Tags": [{"Key": "a", "Value": "b"}]}),
                             (f"Untag{kind}", {"TagKeys": ["a"]}), (f"List{kind}Tags", {})):
        with pytest.raises(IamError) as raised:
            bench.iam(operation, **params, **extra)
        assert (raised.value.code, raised.value.message) == ("NoSuchEntity", message)


def test_aws_managed_policies_cannot_be_tagged(bench: Bench) -> None:
    with pytest.raises(IamError) as raised:
        bench.iam("TagPolicy", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess", Tags=[{"Key": "a", "Value": "b"}])
    assert raised.value.code == "InvalidInput"
