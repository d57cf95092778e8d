"""codeconn's storage: one small interface, SQLite (default, and in-memory twin) or PostgreSQL.

    from codeconn.store import Record, open_store

    store = open_store("sqlite:///var/lib/codeconn/codeconn.sqlite3")   # or "postgresql://..."
    with store.transaction("111122223333") as tx:           # serialised per account
        if tx.count("connection") >= 250:
            raise LimitExceeded(...)                         # rolls everything back
        tx.insert(Record(account_id="111122223333", kind="connection", id=cid, arn=arn,
                         name=name, data={"ProviderType": "GitHub"}, created_at=now, updated_at=now))
        tx.set_tags(arn, {"team": "ci"})
    with store.read("111122223333") as r:                    # one consistent snapshot
        page = r.list("connection", limit=50, where={"ProviderType": "GitHub"})

The service owns the rules; the store only persists. Secret fields are encrypted
by the service with `SecretBox` before they reach a record.
"""

from codeconn.store.base import (
    Conflict,
    InvalidCursor,
    NestedUse,
    NotFound,
    OutsideAccount,
    Page,
    Reader,
    Record,
    SchemaError,
    SecretError,
    Store,
    StoreError,
    Tx,
)
from codeconn.store.migrations import MIGRATIONS, Migration, migrate
from codeconn.store.secrets import KEY_FILE_NAME, Secret, SecretBox
from codeconn.store.sql import SqlStore, open_store

__all__ = [
    "KEY_FILE_NAME",
    "MIGRATIONS",
    "Conflict",
    "InvalidCursor",
    "Migration",
    "NestedUse",
    "NotFound",
    "OutsideAccount",
    "Page",
    "Reader",
    "Record",
    "SchemaError",
    "Secret",
    "SecretBox",
    "SecretError",
    "SqlStore",
    "Store",
    "StoreError",
    "Tx",
    "migrate",
    "open_store",
]
