"""Issue 14's example, word for word through the AWS CLI and through boto3, on a real `codeconn serve`.

`--resource-owner arn:aws:iam::123456789012:root` names the caller's own account, so
the request is not cross-account and the policy allows it, as the engine says.
The policy is given as the argument's text rather than `file://`: AWS CLI v1 reads
a `file://` value of a string-list parameter as a list of its characters (CLI v2
reads it as one document), which is the CLI's doing, not the server's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_process import ServeProcess, serve

pytestmark = pytest.mark.slow

POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::my-bucket",
    "Condition": {"StringEquals": {"aws:ResourceTag/Environment": "production"}}}]}
CALLER = "arn:aws:iam::123456789012:user/test-user"
OWNER = "arn:aws:iam::123456789012:root"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serve(tmp_path_factory.mktemp("issue14") / "data") as running:
        yield running


def test_the_aws_cli_example_is_allowed(server: ServeProcess, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty),
               AWS_MAX_ATTEMPTS="1", AWS_PAGER="", AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", server.url, "iam", "simulate-custom-policy",
         "--policy-input-list", json.dumps(POLICY), "--action-names", "s3:ListBucket",
         "--resource-arns", "arn:aws:s3:::my-bucket", "--caller-arn", CALLER, "--resource-owner", OWNER,
         "--context-entries",
         "ContextKeyName=aws:ResourceTag/Environment,ContextKeyValues=production,ContextKeyType=string",
         "--query", "EvaluationResults[].EvalDecision", "--output", "text"],
        env=env, capture_output=True, text=True, check=False, timeout=90)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["allowed"]


def test_boto3_gets_the_same_answer_and_is_refused_an_owner_that_is_no_account(server: ServeProcess) -> None:
    iam = server.client("iam")
    params = {"PolicyInputList": [json.dumps(POLICY)], "ActionNames": ["s3:ListBucket"],
              "ResourceArns": ["arn:aws:s3:::my-bucket"], "CallerArn": CALLER,
              "ContextEntries": [{"ContextKeyName": "aws:ResourceTag/Environment", "ContextKeyValues": ["production"],
                                  "ContextKeyType": "string"}]}
    for owner in ({"ResourceOwner": OWNER}, {}):
        out = iam.simulate_custom_policy(**params, **owner)
        assert [r["EvalDecision"] for r in out["EvaluationResults"]] == ["allowed"]
    with pytest.raises(iam.exceptions.InvalidInputException) as raised:
        iam.simulate_custom_policy(**params, ResourceOwner="123456789012")
    assert raised.value.response["Error"]["Message"] == "'123456789012' is not a valid as a Resource Owner."
