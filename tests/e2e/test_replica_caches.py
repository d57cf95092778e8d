"""Each replica caches principals, keys and compiled policies, yet sees another replica's IAM write on the next call.

The caches are checked against the account's IAM generation, read with the access
key in one read per request (issue 13); these two replicas on one PostgreSQL
database warm their caches first, then every change made through one is in force
on the other's very next call.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from serve_process import serve
from test_persistence import as_user, denied

pytestmark = pytest.mark.slow

GET_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "codestar-connections:GetConnection", "Resource": "*"}]}
DENIED = "AccessDeniedException"
UNKNOWN_KEY = {"UnrecognizedClientException", "InvalidClientTokenId"}


def test_a_replica_with_warm_caches_sees_policy_and_key_changes_made_through_another_at_once(
        tmp_path: Path, postgres_url: str) -> None:
    data = tmp_path / "data"
    with serve(data, "--database-url", postgres_url) as one, serve(data, "--database-url", postgres_url) as two:
        arn = one.client("codestar-connections").create_connection(
            ProviderType="GitHub", ConnectionName="cached")["ConnectionArn"]
        iam = one.client("iam")
        iam.create_user(UserName="dev")
        created = iam.create_access_key(UserName="dev")["AccessKey"]
        key = {"key": created["AccessKeyId"], "secret": created["SecretAccessKey"]}
        on_two = as_user(two, "codestar-connections", key)
        for _ in range(3):  # warm: the caller and its (empty) policy set are cached on two
            assert denied(on_two.get_connection, ConnectionArn=arn) == DENIED

        iam.put_user_policy(UserName="dev", PolicyName="get", PolicyDocument=json.dumps(GET_ONLY))
        assert on_two.get_connection(ConnectionArn=arn)["Connection"]["ConnectionArn"] == arn
        assert on_two.get_connection(ConnectionArn=arn)["Connection"]["ConnectionArn"] == arn

        iam.delete_user_policy(UserName="dev", PolicyName="get")
        assert denied(on_two.get_connection, ConnectionArn=arn) == DENIED

        iam.put_user_policy(UserName="dev", PolicyName="get", PolicyDocument=json.dumps(GET_ONLY))
        assert on_two.get_connection(ConnectionArn=arn)["Connection"]["ConnectionArn"] == arn
        iam.update_access_key(UserName="dev", AccessKeyId=key["key"], Status="Inactive")
        assert denied(on_two.get_connection, ConnectionArn=arn) in UNKNOWN_KEY
        iam.update_access_key(UserName="dev", AccessKeyId=key["key"], Status="Active")
        assert on_two.get_connection(ConnectionArn=arn)["Connection"]["ConnectionArn"] == arn
        iam.delete_access_key(UserName="dev", AccessKeyId=key["key"])
        assert denied(on_two.get_connection, ConnectionArn=arn) in UNKNOWN_KEY
        assert one.stop() == 0
        assert two.stop() == 0
