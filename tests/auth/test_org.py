"""--org-policies DIR: one folder per level, scp/ and rcp/ inside, every fault reported with its file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from auth_helpers import caller, make_call, policy

from codeconn.auth import OrgPolicyError, PolicyAuthorizer, load_org_policies
from codeconn.iam import PolicyKind
from codeconn.service.call import IamMode
from codeconn.service.errors import AccessDenied

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ONLY_CONNECTIONS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "codeconnections:*", "Resource": "*"}]}
RCP = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
    {"Effect": "Deny", "Principal": "*", "Action": "codeconnections:DeleteConnection", "Resource": "*"}]}


def _write(root: Path, relative: str, content: object) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))


def test_levels_in_name_order_with_their_kinds(tmp_path: Path) -> None:
    _write(tmp_path, "1-ou/scp/OnlyConnections.json", ONLY_CONNECTIONS)
    _write(tmp_path, "0-root/scp/FullAWSAccess.json", ALLOW_ALL)
    _write(tmp_path, "0-root/rcp/NoDeletes.json", RCP)
    _write(tmp_path, ".hidden/notes.txt", "ignored")
    org = load_org_policies(tmp_path)
    assert org.levels == ("0-root", "1-ou")
    assert [[p.name for p in level] for level in org.scps] == [["0-root/scp/FullAWSAccess"], ["1-ou/scp/OnlyConnections"]]
    assert [[(p.name, p.kind) for p in level] for level in org.rcps] == [[("0-root/rcp/NoDeletes", PolicyKind.RCP)]]
    assert all(p.kind is PolicyKind.SCP for level in org.scps for p in level)


def test_the_loaded_policies_decide(tmp_path: Path) -> None:
    _write(tmp_path, "0-root/scp/FullAWSAccess.json", ALLOW_ALL)
    _write(tmp_path, "1-ou/scp/OnlyConnections.json", ONLY_CONNECTIONS)
    _write(tmp_path, "0-root/rcp/NoDeletes.json", RCP)
    authorizer = PolicyAuthorizer(mode=IamMode.ENFORCE, org=load_org_policies(tmp_path))
    admin = caller(identity=[policy({"Effect": "Allow", "Action": "*", "Resource": "*"})])
    call = make_call(admin, authorizer)
    call.authorize()
    with pytest.raises(AccessDenied, match="because no service control policy allows the s3:GetObject action"):
        call.authorize("s3:GetObject")
    with pytest.raises(AccessDenied, match="with an explicit deny in a resource control policy"):
        call.authorize("DeleteConnection", "arn:aws:codeconnections:us-east-1:111122223333:connection/x")


@pytest.mark.parametrize("files, fragments", [
    pytest.param({"0-root/scp/bad.json": "{not json"}, ["0-root/scp/bad.json: not valid JSON"], id="not JSON"),
    pytest.param({"0-root/scp/bad.json": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                                                  "Action": "*"}]}},
                 ["0-root/scp/bad.json: Statement[0].Resource: missing required field"], id="JSON path of the fault"),
    pytest.param({"0-root/policy.json": ALLOW_ALL}, ["0-root/policy.json: a level holds only the folders scp and rcp"],
                 id="a file beside the kinds"),
    pytest.param({"0-root/scp/readme.txt": "x"}, ["0-root/scp/readme.txt: expected only *.json policy documents"],
                 id="not a policy file"),
    pytest.param({"stray.json": ALLOW_ALL}, ["stray.json: expected a folder per level"], id="a file beside the levels"),
    pytest.param({"0-root/scp/a.json": "{", "1-ou/rcp/b.json": "["}, ["a.json", "b.json"], id="every fault at once"),
])
def test_malformed_directories_fail_at_load(tmp_path: Path, files: dict[str, object], fragments: list[str]) -> None:
    for relative, content in files.items():
        _write(tmp_path, relative, content)
    with pytest.raises(OrgPolicyError) as raised:
        load_org_policies(tmp_path)
    for fragment in fragments:
        assert fragment in str(raised.value)


def test_an_empty_kind_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "0-root" / "scp").mkdir(parents=True)
    with pytest.raises(OrgPolicyError, match="holds no policy"):
        load_org_policies(tmp_path)


def test_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(OrgPolicyError, match="is not a directory"):
        load_org_policies(tmp_path / "nope")
