"""Access keys: created once with their secret, listed without it, deactivated, deleted."""

from __future__ import annotations

import re

import pytest
from iam_bench import Bench, allow

from codeconn.service.errors import IamError
from codeconn.service.iam.model import ACCESS_KEY


def test_create_access_key_returns_the_secret_once_and_stores_it_encrypted(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice")
    key = bench.iam("CreateAccessKey", UserName="alice")["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key["AccessKeyId"])
    assert len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active" and key["UserName"] == "alice"
    listed = bench.iam("ListAccessKeys", UserName="alice")["AccessKeyMetadata"]
    assert listed == [{"UserName": "alice", "AccessKeyId": key["AccessKeyId"], "Status": "Active",
                       "CreateDate": key["CreateDate"]}]
    with bench.store.read("111122223333") as reader:
        record = reader.get(ACCESS_KEY, key["AccessKeyId"])
    assert record is not None
    assert key["SecretAccessKey"] not in repr(record) and key["SecretAccessKey"] not in str(record.data)
    assert bench.secrets.decrypt(record.data["Secret"]) == key["SecretAccessKey"]


def test_two_keys_per_user(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice")
    bench.iam("CreateAccessKey", UserName="alice")
    bench.iam("CreateAccessKey", UserName="alice")
    with pytest.raises(IamError) as raised:
        bench.iam("CreateAccessKey", UserName="alice")
    assert (raised.value.code, raised.value.message) == ("LimitExceeded",
                                                         "Cannot exceed quota for AccessKeysPerUser: 2")


def test_update_and_delete(bench: Bench) -> None:
    alice = bench.user("alice", allow("iam:*AccessKey*"))
    key_id = alice.access_key_id or ""
    other = bench.iam("CreateAccessKey", as_=alice)["AccessKey"]["AccessKeyId"]  # no UserName: the caller's own
    bench.iam("UpdateAccessKey", UserName="alice", AccessKeyId=other, Status="Inactive")
    statuses = {k["AccessKeyId"]: k["Status"] for k in bench.iam("ListAccessKeys", as_=alice)["AccessKeyMetadata"]}
    assert statuses == {key_id: "Active", other: "Inactive"}
    assert bench.directory.credentials(other) is None
    bench.iam("DeleteAccessKey", UserName="alice", AccessKeyId=other)
    assert [k["AccessKeyId"] for k in bench.iam("ListAccessKeys", UserName="alice")["AccessKeyMetadata"]] == [key_id]


def test_a_key_of_another_user_is_not_found(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice")
    bench.iam("CreateUser", UserName="bob")
    key_id = bench.iam("CreateAccessKey", UserName="bob")["AccessKey"]["AccessKeyId"]
    for operation, extra in (("UpdateAccessKey", {"Status": "Inactive"}), ("DeleteAccessKey", {})):
        with pytest.raises(IamError) as raised:
            bench.iam(operation, UserName="alice", AccessKeyId=key_id, **extra)
        assert (raised.value.code, raised.value.message) == ("NoSuchEntity",
                                                             f"The Access Key with id {key_id} cannot be found.")


def test_without_user_name_a_role_session_is_a_validation_error(bench: Bench) -> None:
    role = bench.role("r", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},'
                           '"Action":"sts:AssumeRole"}]}', allow("iam:*"))
    session = bench.assume(bench.user("alice", allow("sts:AssumeRole")), role)
    with pytest.raises(IamError) as raised:
        bench.iam("ListAccessKeys", as_=session)
    assert (raised.value.code, raised.value.message) == ("ValidationError",
                                                         "Must specify userName when calling with non-User credentials")
