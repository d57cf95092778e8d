"""Secrets at rest: round trips, clean failures that echo nothing, a 0600 key file."""

from __future__ import annotations

import copy
import json
import logging
import os
import pickle
import stat
import threading
import traceback
from pathlib import Path

import pytest

from codeconn.store import KEY_FILE_NAME, Secret, SecretBox, SecretError

PLAINTEXT = "ghp_s3cr3t-t0ken-☃"


def test_encrypt_then_decrypt_round_trips() -> None:
    box = SecretBox(SecretBox.generate_key())
    token = box.encrypt(PLAINTEXT)
    assert PLAINTEXT not in token and token.isascii()
    assert box.decrypt(token) == PLAINTEXT
    assert box.decrypt(box.encrypt(Secret(PLAINTEXT))) == PLAINTEXT
    assert box.encrypt(PLAINTEXT) != token  # a fresh IV each time
    assert box.decrypt(box.encrypt("")) == ""


def failure_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


@pytest.mark.parametrize("damage", [
    pytest.param(lambda token: SecretBox(SecretBox.generate_key()).decrypt(token), id="another key"),
    pytest.param(lambda token: SecretBox(SecretBox.generate_key()).decrypt(token[:-4] + "AAAA"), id="damaged"),
    pytest.param(lambda token: SecretBox(SecretBox.generate_key()).decrypt("not a token ☃"), id="garbage"),
    pytest.param(lambda token: SecretBox(SecretBox.generate_key()).rotate(token), id="rotate with another key"),
])
def test_a_wrong_key_or_damaged_token_fails_without_echoing_anything(damage: object) -> None:
    token = SecretBox(SecretBox.generate_key()).encrypt(PLAINTEXT)
    with pytest.raises(SecretError) as raised:
        damage(token)  # type: ignore[operator]
    text = failure_text(raised.value)
    assert PLAINTEXT not in text and token not in text and token[:20] not in text
    assert raised.value.__cause__ is None and raised.value.__context__ is None


def test_a_bad_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(SecretError, match="32 url-safe base64") as raised:
        SecretBox("hunter2-is-not-a-key")
    assert "hunter2" not in str(raised.value) and raised.value.__context__ is None


def test_older_keys_decrypt_and_rotate_moves_tokens_to_the_new_key() -> None:
    old, new = SecretBox.generate_key(), SecretBox.generate_key()
    token = SecretBox(old).encrypt(PLAINTEXT)
    both = SecretBox(new, old)
    assert both.decrypt(token) == PLAINTEXT
    assert SecretBox(new).decrypt(both.rotate(token)) == PLAINTEXT


def test_the_key_file_is_created_0600_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    previous = os.umask(0)  # even with a permissive umask
    try:
        first = SecretBox.for_data_dir(data_dir)
    finally:
        os.umask(previous)
    key_file = data_dir / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert SecretBox.for_data_dir(data_dir).decrypt(first.encrypt(PLAINTEXT)) == PLAINTEXT
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE_NAME]  # no temporary files left


def test_processes_creating_the_key_at_once_agree_on_one(tmp_path: Path) -> None:
    tokens: list[str] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait(10)
        tokens.append(SecretBox.for_data_dir(tmp_path).encrypt(PLAINTEXT))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    box = SecretBox.for_data_dir(tmp_path)
    assert len(tokens) == 8 and all(box.decrypt(token) == PLAINTEXT for token in tokens)


def test_a_damaged_key_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE_NAME).write_text("hunter2\n")
    (tmp_path / KEY_FILE_NAME).chmod(0o600)
    with pytest.raises(SecretError, match="does not hold a valid key") as raised:
        SecretBox.for_data_dir(tmp_path)
    assert "hunter2" not in failure_text(raised.value)


def test_a_key_file_others_can_read_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    SecretBox.for_data_dir(tmp_path)
    (tmp_path / KEY_FILE_NAME).chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="codeconn.store.secrets"):
        SecretBox.for_data_dir(tmp_path)
    assert "chmod 600" in caplog.text


def test_a_secret_never_shows_its_value() -> None:
    secret = Secret(PLAINTEXT)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{secret:>10}", repr([secret]),
             repr({"token": secret}), repr(SecretBox(SecretBox.generate_key()))]
    assert repr(secret) == "Secret('***')" and str(secret) == "***"
    assert all(PLAINTEXT not in text for text in shown)
    assert secret.reveal() == PLAINTEXT


def test_a_secret_cannot_be_serialised_by_accident() -> None:
    secret = Secret(PLAINTEXT)
    with pytest.raises(TypeError):
        json.dumps({"token": secret})
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert copy.deepcopy({"token": secret})["token"] is secret


def test_secrets_compare_by_value() -> None:
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert len({Secret("a"), Secret("a")}) == 1
