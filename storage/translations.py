"""The translation cache in SQLite: one row per (backend tag, Chinese span).

`SqliteSpanCache` is used from the translator's own thread, so it opens its own connection there
(sqlite3 connections stay in the thread that made them); WAL lets it write beside the store's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlite_utils import Database

from storage.rows import utcnow
from storage.store import Store

_BATCH = 500  # below SQLite's limit on bound parameters


class SqliteSpanCache:
    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._store: Store | None = None

    @property
    def db(self) -> Database:
        """Opened on first use, in the calling thread (the translator's)."""
        if self._store is None:
            self._store = Store(self.path)  # same pragmas and migrations as the bot's store
        return self._store.db

    def get_many(self, tag: str, spans: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(spans), _BATCH):
            batch = list(spans[start : start + _BATCH])
            marks = ", ".join("?" for _ in batch)
            rows = self.db.query(
                f"select source, translated from translations "
                f"where backend = ? and source in ({marks})",
                [tag, *batch],
            )
            found.update((row["source"], row["translated"]) for row in rows)
        return found

    def put_many(self, tag: str, pairs: Mapping[str, str]) -> None:
        now = utcnow()
        self.db["translations"].insert_all(
            (
                {"backend": tag, "source": source, "translated": text, "created_at": now}
                for source, text in pairs.items()
            ),
            replace=True,
        )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
