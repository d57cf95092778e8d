"""The git password is what AWS's CodeCommit helper makes, with codeconn's service name.

`_codecommit_style` is git-remote-codecommit's `sign` (botocore's SigV4Auth over
the canonical request `GIT\\n<path>\\n\\nhost:<host>\\n\\nhost\\n`, the timestamp
without Z in the string to sign, `<timestamp>Z<signature>` as the password), with
the service `codestar-connections` instead of `codecommit`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from codeconn.wire.git_password import (
    GIT_SIGNING_SERVICE,
    check_git_password,
    git_password,
    git_username,
    parse_git_username,
)

NOW = datetime(2026, 12, 4, 11, 0, 0, tzinfo=UTC)
PATH = "/git/0a1b/acme/api.git"
HOST = "127.0.0.1:4599"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _codecommit_style(secret: str, path: str, host: str, region: str, now: datetime, service: str) -> str:
    credentials = botocore.credentials.Credentials("AKIDEXAMPLE", secret)
    request = botocore.awsrequest.AWSRequest(method="GIT", url=f"https://{host}{path}")
    request.context["timestamp"] = now.strftime("%Y%m%dT%H%M%S")
    signer = botocore.auth.SigV4Auth(credentials, service, region)
    canonical_request = f"GIT\n{path}\n\nhost:{host}\n\nhost\n"
    string_to_sign = signer.string_to_sign(request, canonical_request)
    return f"{request.context['timestamp']}Z{signer.signature(string_to_sign, request)}"


def test_the_password_is_codecommits_signature_for_codestar_connections() -> None:
    made = git_password(secret_key=SECRET, path=PATH, host=HOST, region="eu-west-1", now=NOW)
    assert made == _codecommit_style(SECRET, PATH, HOST, "eu-west-1", NOW, GIT_SIGNING_SERVICE)
    assert made != _codecommit_style(SECRET, PATH, HOST, "eu-west-1", NOW, "codecommit")


def test_a_password_checks_for_its_path_host_key_and_any_served_region_within_15_minutes() -> None:
    made = git_password(secret_key=SECRET, path=PATH, host=HOST, region="eu-west-1", now=NOW)
    regions = ("us-east-1", "eu-west-1")

    def check(password: str = made, **changes: object) -> bool:
        args: dict[str, object] = {"secret_key": SECRET, "path": PATH, "host": HOST, "regions": regions, "now": NOW}
        return check_git_password(password, **{**args, **changes})  # type: ignore[arg-type]

    assert check()
    assert check(now=NOW + timedelta(minutes=15)) and check(now=NOW - timedelta(minutes=15))
    assert not check(now=NOW + timedelta(minutes=15, seconds=1))
    assert not check(now=NOW - timedelta(minutes=15, seconds=1))
    assert not check(secret_key="other")
    assert not check(path="/git/0a1b/acme/web.git")
    assert not check(host="localhost:4599")
    assert not check(regions=("us-east-1",))
    assert not check(made.upper()) and not check("") and not check("20261304T000000Z" + "0" * 64)


def test_the_username_carries_a_session_token_after_a_percent_sign() -> None:
    assert git_username("AKID", None) == "AKID"
    assert git_username("ASIA", "tok/en+=") == "ASIA%tok/en+="
    parsed = parse_git_username("ASIA%tok%en")
    assert (parsed.access_key_id, parsed.session_token) == ("ASIA", "tok%en")
    assert parse_git_username("AKID").session_token is None
