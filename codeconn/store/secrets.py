"""Encryption at rest for secret fields, and a value type that never prints itself.

The store does not know which fields are secret: the service encrypts a provider
token or client secret with `SecretBox.encrypt` and keeps the token (ciphertext)
in a record's `data`. Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`)
authenticates as well as encrypts, so a wrong key or a damaged token fails
cleanly instead of returning garbage. Older keys may be kept for decryption
while the first key encrypts (key rotation, `rotate`).

The key lives in a file in the data directory, created 0600 by whichever process
gets there first (write to a temporary file, then hard-link into place: readers
never see a half-written key). Replicas sharing one PostgreSQL database must be
given the same key file.

`Secret` wraps a plaintext so that repr, str, f-strings, logs and tracebacks show
`***`; it is not JSON-serialisable, so it cannot reach `Record.data` unencrypted.
Only `reveal()` gives the value, at the point where a provider needs it.
"""

from __future__ import annotations

import hmac
import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from codeconn.store.base import SecretError

KEY_FILE_NAME = "secret.key"

_log = logging.getLogger(__name__)


class Secret:
    """A plaintext that shows as `***` everywhere except `reveal()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        """The plaintext: call it only where the value leaves for its one legitimate use."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return format("***", spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not pickled: encrypt it with a SecretBox instead")


class SecretBox:
    """Encrypts strings to tokens and back with one key (plus older keys for decryption)."""

    __slots__ = ("_fernet", "_key_count")

    def __init__(self, key: bytes | str, *previous_keys: bytes | str) -> None:
        fernets = [fernet for fernet in map(_fernet, (key, *previous_keys)) if fernet is not None]
        if len(fernets) != 1 + len(previous_keys):
            raise SecretError("a secret key must be 32 url-safe base64-encoded bytes, "
                              "as SecretBox.generate_key() makes")
        self._fernet = MultiFernet(fernets)
        self._key_count = len(fernets)

    def __repr__(self) -> str:
        return f"SecretBox(<{self._key_count} key{'s' if self._key_count > 1 else ''}>)"

    @staticmethod
    def generate_key() -> str:
        """A fresh random key, as text fit for a key file."""
        return Fernet.generate_key().decode("ascii")

    @classmethod
    def for_data_dir(cls, data_dir: Path | str) -> SecretBox:
        """The box whose key is `data_dir/secret.key`, creating the key (0600) on first use."""
        return cls(load_or_create_key(Path(data_dir) / KEY_FILE_NAME))

    def encrypt(self, plaintext: str | Secret) -> str:
        """A token (ASCII, safe in JSON) that only this key can turn back into `plaintext`."""
        value = plaintext.reveal() if isinstance(plaintext, Secret) else plaintext
        if not isinstance(value, str):
            raise TypeError("SecretBox.encrypt takes a str or a Secret")
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plaintext of `token`; SecretError (echoing nothing) for a wrong key or a damaged token."""
        try:
            return self._fernet.decrypt(token.encode("ascii") if isinstance(token, str) else token).decode("utf-8")
        except (InvalidToken, UnicodeError, TypeError, ValueError):
            pass  # outside the except block: nothing of the token is chained into the traceback
        raise SecretError("a stored secret cannot be decrypted: it was encrypted with another key or is damaged")

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` under the first key (after adding a new key in front of the old)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError, TypeError, ValueError):
            pass
        raise SecretError("a stored secret cannot be re-encrypted: no key given decrypts it")


def load_or_create_key(path: Path) -> str:
    """Read the key at `path`, creating it atomically with mode 0600 if it does not exist."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # whatever the umask
        os.write(descriptor, (SecretBox.generate_key() + "\n").encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process created it first: use theirs
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if path.stat().st_mode & 0o077:
        _log.warning("the secret key file %s is readable by other users; chmod 600 it", path)
    if _fernet(key) is None:
        raise SecretError(f"the key file {path} does not hold a valid key")
    return key


def _fernet(key: bytes | str) -> Fernet | None:
    """Fernet for a valid key, else None (so no error chain can carry the key)."""
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        return None
