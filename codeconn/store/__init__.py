"""codeconn's storage: one small interface, SQLite (default, and in-memory twin) or PostgreSQL behind it.

    from codeconn.store import Record, Store
    from codeconn.store.sql import open_store                 # the composition root only

    store: Store = open_store("sqlite:///var/lib/codeconn/codeconn.sqlite3")   # or "postgresql://..."
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

This package exports the interface only (`Store`, `Reader`, `Tx`, `Record`, the
errors, `Secret` and `SecretBox`), so importing it never loads SQLAlchemy. The
SQL implementation, its schema and its migrations live in `codeconn.store.sql`,
`.schema` and `.migrations`, imported by the composition root (the server's
components, the tests) and by nothing that uses a store; an import-linter
contract keeps the service, domain and auth layers off them.
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
    WouldWait,
)
from codeconn.store.secrets import KEY_FILE_NAME, Secret, SecretBox

__all__ = [
    "KEY_FILE_NAME",
    "Conflict",
    "InvalidCursor",
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
    "Store",
    "StoreError",
    "Tx",
    "WouldWait",
]
