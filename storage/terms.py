"""SQL for banned-term lists and the audit of blocked prompts.

The bot calls them on the store's thread (`await store.run(lambda s: s.terms.ban(...))`), the
CLI on its own connection. Terms arrive validated and keyed as (term, key) pairs
(`filters.terms.term_keys`): storage knows no rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Literal

from sqlite_utils import Database

from storage.rows import utcnow

ListName = Literal["banned", "allowed"]
_TABLES: dict[str, str] = {"banned": "banned_terms", "allowed": "allowed_terms"}


class Terms:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _bump(self, scope: str) -> None:
        self.db.execute(
            "insert into term_list_revisions (scope, revision) values (?, 1) "
            "on conflict(scope) do update set revision = revision + 1",
            [scope],
        )

    def add_terms(
        self, scope: str, which: ListName, terms: Iterable[tuple[str, str]], added_by: str
    ) -> list[str]:
        """Add (term, key) pairs; returns the terms that were not already on the list."""
        added = []
        with self.db.atomic():
            for term, key in terms:
                cursor = self.db.execute(
                    f"insert or ignore into {_TABLES[which]} "
                    "(scope, term, term_key, added_by, created_at) values (?, ?, ?, ?, ?)",
                    [scope, term, key, added_by, utcnow()],
                )
                if cursor.rowcount:
                    added.append(term)
            if added:
                self._bump(scope)
        return added

    def remove_terms(self, scope: str, which: ListName, keys: Iterable[str]) -> list[str]:
        """Remove terms by key; returns the removed terms as they were written."""
        removed = []
        with self.db.atomic():
            for key in keys:
                rows = self.db.execute(
                    f"delete from {_TABLES[which]} where scope = ? and term_key = ? "
                    "returning term",
                    [scope, key],
                ).fetchall()
                removed += [row[0] for row in rows]
            if removed:
                self._bump(scope)
        return removed

    def clear_terms(self, scope: str) -> None:
        """Empty both lists of a scope (an import that replaces them)."""
        with self.db.atomic():
            for table in _TABLES.values():
                self.db.execute(f"delete from {table} where scope = ?", [scope])
            self._bump(scope)

    def list_terms(
        self, scope: str, which: ListName, *, limit: int | None = None, offset: int = 0
    ) -> list[str]:
        """A scope's terms in the order they were added."""
        sql = f"select term from {_TABLES[which]} where scope = ? order by id"
        params: list[object] = [scope]
        if limit is not None:
            sql += " limit ? offset ?"
            params += [limit, offset]
        return [row[0] for row in self.db.execute(sql, params).fetchall()]

    def count_terms(self, scope: str, which: ListName) -> int:
        sql = f"select count(*) from {_TABLES[which]} where scope = ?"
        return int(self.db.execute(sql, [scope]).fetchone()[0])

    def revisions(self, scopes: Sequence[str]) -> tuple[int, ...]:
        """A number per scope that changes whenever its lists do (0 for a scope never changed)."""
        marks = ", ".join("?" * len(scopes))
        rows = self.db.execute(
            f"select scope, revision from term_list_revisions where scope in ({marks})",
            list(scopes),
        ).fetchall()
        found = dict(rows)
        return tuple(int(found.get(scope, 0)) for scope in scopes)

    def record_block(
        self,
        *,
        platform: str,
        user_id: str,
        user_name: str,
        scope: str,
        chat_id: str,
        prompt: str,
        terms: Sequence[str],
    ) -> None:
        self.db["filter_blocks"].insert(
            {
                "created_at": utcnow(),
                "platform": platform,
                "user_id": user_id,
                "user_name": user_name,
                "scope": scope,
                "chat_id": chat_id,
                "prompt": prompt,
                "terms_json": json.dumps(list(terms), ensure_ascii=False),
            }
        )

    def block_times(self, platform: str, user_id: str, since: str) -> list[str]:
        """When the user's prompts were blocked since `since` (ISO times, oldest first)."""
        rows = self.db.execute(
            "select created_at from filter_blocks where platform = ? and user_id = ? "
            "and created_at >= ? order by created_at",
            [platform, user_id, since],
        ).fetchall()
        return [row[0] for row in rows]

    def ban(self, scope: str, entries: Sequence[tuple[str, str]], added_by: str) -> list[str]:
        """Ban (term, key) pairs in `scope` and stop allowing them there; returns the terms
        that were not banned yet."""
        with self.db.atomic():
            self.remove_terms(scope, "allowed", [key for _, key in entries])
            return self.add_terms(scope, "banned", entries, added_by)

    def allow(self, scope: str, entries: Sequence[tuple[str, str]], added_by: str) -> list[str]:
        """Allow (term, key) pairs in `scope` and stop banning them there; returns the terms
        that were not allowed yet."""
        with self.db.atomic():
            self.remove_terms(scope, "banned", [key for _, key in entries])
            return self.add_terms(scope, "allowed", entries, added_by)

    def lists(self, scope: str) -> tuple[list[str], list[str]]:
        """A scope's (banned, allowed) terms."""
        return self.list_terms(scope, "banned"), self.list_terms(scope, "allowed")
