"""StoreDirectory: from an access key id to the caller, its policies and its tags.

Three kinds of credentials are known:

- the default account root's key, from the configuration (`test` / `test` unless
  told otherwise): the root needs no policy in its own account, as AWS's root;
- an IAM user's access key (AKIA...), an `access_key` record; an inactive key is
  unknown, so its requests fail the signature check as AWS's do;
- a role session (ASIA...), an `sts_session` record, with its session token and
  expiry: the SigV4 check answers ExpiredToken once it has expired.

Secrets are decrypted with the SecretBox only to hand them to the SigV4 check;
`StoredCredentials` never shows them in its repr. It also carries the key's
record and its account's IAM generation, read in the same snapshot, so that
`caller` reads nothing when the Caller it last built for the key still holds: a
request by a known key costs one read transaction before its handler's (issue 13).
An IAM user's key record is kept too, with the generation it was read at: every
change to a key is an IAM write, which moves the generation, so while the
generation holds the read is that one SELECT. (Role sessions are not IAM writes;
their records are always read.)

Assembling a caller reads its user (and groups) or role, and the policies
attached to them. That is done once per IAM generation of the account (which
every IAM write advances): the directory keeps the last Callers it built, keyed
by access key id, and reuses one while the account's generation is unchanged.
`Caller.policy_version` is `<account>:<principal id>:<generation>`, so the
authorizer's compiled policy sets follow the same rule.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from codeconn.auth.errors import ExpiredCredentials, UnknownCredentials
from codeconn.iam import PolicySet, parse_principal
from codeconn.service.call import Caller
from codeconn.clock import Clock, utc_now
from codeconn.service.iam import sessions
from codeconn.service.iam.model import ACCESS_KEY, ROLES, SESSION, USERS, account_generation, generation
from codeconn.service.iam.principals import PolicyParser, for_role, for_user
from codeconn.store import Reader, Record, SecretBox, Store
from codeconn.wire.sigv4 import Credentials

@dataclass(frozen=True, slots=True, repr=False)
class StoredCredentials(Credentials):
    """Credentials found in the store (or the configuration), with the account and the record they come from."""

    account_id: str = ""
    key: Record | None = None  # the access key or session record (None for the configured root key)
    generation: int | None = None  # the key's account's IAM generation, read with `key`

    def __repr__(self) -> str:
        token = ", session_token=***" if self.session_token is not None else ""
        return (f"StoredCredentials(access_key_id={self.access_key_id!r}, account_id={self.account_id!r}, "
                f"secret_key=***{token}, expires_at={self.expires_at!r})")


class StoreDirectory:
    """The `CallerDirectory` over the store (see the module docstring)."""

    def __init__(self, store: Store, secrets: SecretBox, *, root_credentials: tuple[str, str] | None = ("test", "test"),
                 default_account: str = "000000000000", clock: Clock = utc_now, cache_size: int = 1024) -> None:
        self._store = store
        self._secrets = secrets
        self._root = root_credentials
        self.default_account = default_account
        self._clock = clock
        self._parse = PolicyParser()
        self._cache_size = cache_size
        self._callers: OrderedDict[str, Caller] = OrderedDict()
        self._plain: OrderedDict[str, str] = OrderedDict()
        self._keys: OrderedDict[str, tuple[Record, int]] = OrderedDict()  # IAM users' keys, by generation
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        root = "configured" if self._root else "none"
        return f"StoreDirectory(default_account={self.default_account!r}, root_key={root})"

    # --- the SigV4 check's question ---------------------------------------------------------

    def credentials(self, access_key_id: str) -> Credentials | None:
        """The secret (and for a session its token and expiry) of an active key; None for an unknown one."""
        if self._root is not None and access_key_id == self._root[0]:
            return StoredCredentials(access_key_id, self._root[1], account_id=self.default_account)
        known = self._known_key(access_key_id)
        if known is not None and self._generation_of(known[0].account_id) == known[1]:
            record, current = known
        else:
            with self._store.read() as reader:
                found = _key_record(reader, access_key_id)
                if found is None:
                    self._forget_key(access_key_id)
                    return None
                record, current = found, account_generation(reader, found.account_id)
        if record.kind == ACCESS_KEY:
            self._remember_key(access_key_id, record, current)
        secret = self._opened(record.data["Secret"])
        if record.kind == SESSION:
            return StoredCredentials(access_key_id, secret, self._opened(record.data["Token"]),
                                     sessions.expiration(record), account_id=record.account_id, key=record,
                                     generation=current)
        return StoredCredentials(access_key_id, secret, account_id=record.account_id, key=record,
                                 generation=current)

    def _generation_of(self, account_id: str) -> int:
        """The account's IAM generation, in a read of one statement: every request by a known key
        makes it, and one statement needs no transaction around it (a round trip each way saved)."""
        with self._store.read(single_statement=True) as reader:
            return account_generation(reader, account_id)

    def _known_key(self, access_key_id: str) -> tuple[Record, int] | None:
        with self._lock:
            return self._keys.get(access_key_id)

    def _remember_key(self, access_key_id: str, record: Record, current: int) -> None:
        with self._lock:
            self._keys[access_key_id] = (record, current)
            self._keys.move_to_end(access_key_id)
            while len(self._keys) > self._cache_size:
                self._keys.popitem(last=False)

    def _forget_key(self, access_key_id: str) -> None:
        with self._lock:
            self._keys.pop(access_key_id, None)

    def _opened(self, sealed: str) -> str:
        """`sealed` decrypted; the last ones are kept (by their ciphertext: a rotated secret is a new entry),
        since one key signs request after request and decrypting costs as much as a store read."""
        with self._lock:
            found = self._plain.get(sealed)
            if found is not None:
                self._plain.move_to_end(sealed)
                return found
        opened = self._secrets.decrypt(sealed)
        with self._lock:
            self._plain[sealed] = opened
            while len(self._plain) > self._cache_size:
                self._plain.popitem(last=False)
        return opened

    # --- who it is --------------------------------------------------------------------------

    def caller(self, credentials: Credentials) -> Caller:
        """The principal behind verified credentials; UnknownCredentials / ExpiredCredentials if no longer good.

        The key's record is the one `credentials` read (plain Credentials are looked
        up); the principal and its policies are read in one snapshot of its account.
        """
        key_id = credentials.access_key_id
        if self._root is not None and key_id == self._root[0]:
            return self._root_caller(key_id)
        record, known = (credentials.key, credentials.generation) if isinstance(credentials, StoredCredentials) \
            else (None, None)
        if record is None:
            with self._store.read() as reader:
                record = _key_record(reader, key_id)
            if record is None:
                raise UnknownCredentials()
        if record.kind == SESSION and sessions.expiration(record) <= self._clock():
            raise ExpiredCredentials()
        if known is not None:  # the generation read with the key: nothing more to read if it holds
            cached = self._cached(key_id, f":{known}")
            if cached is not None:
                return cached
        with self._store.read(record.account_id) as reader:
            current = generation(reader)
            cached = self._cached(key_id, f":{current}")
            if cached is not None:
                return cached
            built = (self._user_caller if record.kind == ACCESS_KEY else self._session_caller)(reader, record, current)
        return self._remember(key_id, built)

    def _root_caller(self, key_id: str) -> Caller:
        account = self.default_account
        return Caller(principal=parse_principal(f"arn:aws:iam::{account}:root"), account_id=account,
                      access_key_id=key_id, userid=account, policies=PolicySet(), is_root=True,
                      policy_version=f"{account}:root")

    def _user_caller(self, reader: Reader, key: Record, current: int) -> Caller:
        user = reader.get(USERS.kind, key.data["UserId"])
        if user is None:
            raise UnknownCredentials()
        assembled = for_user(reader, user, self._parse)
        return Caller(principal=parse_principal(user.arn), account_id=user.account_id, access_key_id=key.id,
                      userid=user.id, policies=assembled.policies, tags=reader.tags(user.arn),
                      policy_version=f"{user.account_id}:{user.id}:{current}")

    def _session_caller(self, reader: Reader, session: Record, current: int) -> Caller:
        data = session.data
        role = reader.get(ROLES.kind, data["RoleId"])
        if role is None:  # the role is gone: its sessions keep no permissions
            policies, tags = PolicySet(), dict(data["Tags"])
        else:
            policies = for_role(reader, role, self._parse, session_policy=data["Policy"],
                                session_policy_arns=data["PolicyArns"]).policies
            tags = _merged_tags(reader.tags(role.arn), data["Tags"])
        return Caller(principal=sessions.principal(session), account_id=session.account_id, access_key_id=session.id,
                      userid=f"{data['RoleId']}:{data['SessionName']}", policies=policies, tags=tags,
                      policy_version=f"{session.account_id}:{session.id}:{current}")

    # --- the cache --------------------------------------------------------------------------

    def _cached(self, key_id: str, suffix: str) -> Caller | None:
        with self._lock:
            found = self._callers.get(key_id)
            if found is None or not found.policy_version.endswith(suffix):
                return None
            self._callers.move_to_end(key_id)
            return found

    def _remember(self, key_id: str, caller: Caller) -> Caller:
        with self._lock:
            self._callers[key_id] = caller
            self._callers.move_to_end(key_id)
            while len(self._callers) > self._cache_size:
                self._callers.popitem(last=False)
        return caller


def _key_record(reader: Reader, access_key_id: str) -> Record | None:
    """The active access key or the session with this id, or None."""
    if access_key_id.startswith("ASIA"):
        return reader.get_by_lookup(SESSION, access_key_id)
    record = reader.get_by_lookup(ACCESS_KEY, access_key_id)
    if record is None or record.data.get("Status") != "Active":
        return None
    return record


def _merged_tags(role_tags: dict[str, str], session_tags: dict[str, str]) -> dict[str, str]:
    """The role's tags with the session's over them; keys compare without regard to case, as IAM's do."""
    wanted = {key.lower() for key in session_tags}
    return {**{k: v for k, v in role_tags.items() if k.lower() not in wanted}, **session_tags}
