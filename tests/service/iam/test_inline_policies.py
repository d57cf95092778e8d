"""Inline policies of users, groups and roles: one table, three kinds."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from iam_bench import ACCOUNT, Bench, allow, document, trust

from codeconn.service.errors import IamError

KINDS = [pytest.param("User", id="user"), pytest.param("Group", id="group"), pytest.param("Role", id="role")]
LIMITS = {"User": 2048, "Group": 5120, "Role": 10240}


def _create(bench: Bench, kind: str, name: str) -> None:
    extra = {"AssumeRolePolicyDocument": trust({"AWS": ACCOUNT})} if kind == "Role" else {}
    bench.iam(f"Create{kind}", **{f"{kind}Name": name}, **extra)


@pytest.mark.parametrize("kind", KINDS)
def test_put_get_list_delete(bench: Bench, kind: str) -> None:
    _create(bench, kind, "e")
    doc = document(allow("codestar-connections:GetConnection"))
    bench.iam(f"Put{kind}Policy", **{f"{kind}Name": "e"}, PolicyName="Read", PolicyDocument=doc)
    bench.iam(f"Put{kind}Policy", **{f"{kind}Name": "e"}, PolicyName="another", PolicyDocument=doc)
    got = bench.iam(f"Get{kind}Policy", **{f"{kind}Name": "E"}, PolicyName="read")
    assert got[f"{kind}Name"] == "e" and got["PolicyName"] == "Read"
    assert unquote(got["PolicyDocument"]) == doc and json.loads(unquote(got["PolicyDocument"])) == json.loads(doc)
    listed = kind.removesuffix("s")
    assert bench.iam(f"List{listed}Policies", **{f"{kind}Name": "e"})["PolicyNames"] == ["another", "Read"]
    bench.iam(f"Delete{kind}Policy", **{f"{kind}Name": "e"}, PolicyName="READ")
    assert bench.iam(f"List{kind}Policies", **{f"{kind}Name": "e"})["PolicyNames"] == ["another"]


@pytest.mark.parametrize("kind", KINDS)
def test_missing_policy_and_missing_entity(bench: Bench, kind: str) -> None:
    _create(bench, kind, "e")
    noun = kind.lower()
    for operation in (f"Get{kind}Policy", f"Delete{kind}Policy"):
        with pytest.raises(IamError) as raised:
            bench.iam(operation, **{f"{kind}Name": "e"}, PolicyName="nope")
        assert (raised.value.code, raised.value.message) == ("NoSuchEntity",
                                                             f"The {noun} policy with name nope cannot be found.")
    with pytest.raises(IamError) as raised:
        bench.iam(f"Put{kind}Policy", **{f"{kind}Name": "ghost"}, PolicyName="p", PolicyDocument=document(allow("s3:*")))
    assert (raised.value.code, raised.value.message) == ("NoSuchEntity",
                                                         f"The {noun} with name ghost cannot be found.")


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_document_names_the_json_path(bench: Bench, kind: str) -> None:
    _create(bench, kind, "e")
    bad = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]})
    with pytest.raises(IamError) as raised:
        bench.iam(f"Put{kind}Policy", **{f"{kind}Name": "e"}, PolicyName="p", PolicyDocument=bad)
    assert raised.value.code == "MalformedPolicyDocument"
    assert raised.value.message == "Statement[0].Resource: missing required field (Resource or NotResource)"


@pytest.mark.parametrize("kind", KINDS)
def test_inline_policies_together_are_limited_in_size(bench: Bench, kind: str) -> None:
    _create(bench, kind, "e")
    limit = LIMITS[kind]
    chunk = document(allow([f"s3:GetObject{i:04d}" for i in range(60)]))
    put = 0
    with pytest.raises(IamError) as raised:
        while put * len(chunk) <= limit + len(chunk):
            bench.iam(f"Put{kind}Policy", **{f"{kind}Name": "e"}, PolicyName=f"p{put}", PolicyDocument=chunk)
            put += 1
    assert (raised.value.code, raised.value.message) == (
        "LimitExceeded", f"Maximum policy size of {limit} bytes exceeded for {kind.lower()} e")
