"""The handshake's records: each value survives its record, and no secret shows in a record or a repr."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codeconn.domain.handshake import (
    OAUTH,
    HandshakeState,
    HostApp,
    ProviderToken,
    open_credential,
    seal_credential,
    state_id,
)
from codeconn.providers.base import Credential, CredentialKind
from codeconn.store import Secret, SecretBox

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
BOX = SecretBox(SecretBox.generate_key())


def test_a_credential_is_sealed_whole_and_opened_back() -> None:
    credential = Credential(kind=CredentialKind.OAUTH, token=Secret("gho_secret"), refresh_token=Secret("ghr_x"),
                            expires_at=NOW, username="octo")
    sealed = seal_credential(BOX, credential)
    assert "gho_secret" not in sealed and "ghr_x" not in sealed
    assert open_credential(BOX, sealed) == credential
    assert open_credential(BOX, seal_credential(BOX, Credential(kind=CredentialKind.LOCAL))).token is None


def test_records_round_trip_without_secrets() -> None:
    state = HandshakeState(id=state_id("the-state-value-1234"), account_id="000000000000", purpose=OAUTH,
                           principal_arn="000000000000:AIDAX", provider_type="GitHub",
                           expires_at=NOW + timedelta(minutes=10), created_at=NOW,
                           verifier_ciphertext=BOX.encrypt("verifier"))
    token = ProviderToken(id="tok", account_id="000000000000", principal_arn="000000000000:AIDAX",
                          provider_type="GitHub", provider_user="octo", credential_ciphertext="ciphertext",
                          created_at=NOW, expires_at=NOW)
    app = HostApp(host_id="ghes-1234abcd", account_id="000000000000", host_arn="arn:host", app_id="1", slug="s",
                  client_id="Iv1", client_secret_ciphertext="c1", private_key_ciphertext="c2", created_at=NOW)
    for value in (state, token, app):
        assert type(value).from_record(value.to_record()) == value
        assert "ciphertext" not in repr(value) and "c1" not in repr(value)
    assert "the-state-value-1234" not in str(state.to_record())
    assert state.expired(NOW + timedelta(minutes=10)) and not state.expired(NOW)
