"""SQL for banned-term lists and the audit of blocked prompts.

Functions take a `sqlite_utils.Database`; the bot calls them on the store's thread
(`await store.run(lambda s: terms.add_terms(s.db, ...))`), the CLI on its own connection.
Terms arrive already validated and keyed (`filters.terms.term_key`): storage knows no rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Literal

from sqlite_utils import Database

from storage.store import utcnow

ListName = Literal["banned", "allowed"]
_TABLES: dict[str, str] = {"banned": "banned_terms", "allowed": "allowed_terms"}


def _bump(db: Database, scope: str) -> None:
    db.execute(
        "insert into term_list_revisions (scope, revision) values (?, 1) "
        "on conflict(scope) do update set revision = revision + 1",
        [scope],
    )


def add_terms(
    db: Database, scope: str, which: ListName, terms: Iterable[tuple[str, str]], added_by: str
) -> list[str]:
    """Add (term, key) pairs; returns the terms that were not already on the list."""
    added = []
    with db.atomic():
        for term, key in terms:
            cursor = db.execute(
                f"insert or ignore into {_TABLES[which]} "
                "(scope, term, term_key, added_by, created_at) values (?, ?, ?, ?, ?)",
                [scope, term, key, added_by, utcnow()],
            )
            if cursor.rowcount:
                added.append(term)
        if added:
            _bump(db, scope)
    return added


def remove_terms(db: Database, scope: str, which: ListName, keys: Iterable[str]) -> list[str]:
    """Remove terms by key; returns the removed terms as they were written."""
    removed = []
    with db.atomic():
        for key in keys:
            rows = db.execute(
                f"delete from {_TABLES[which]} where scope = ? and term_key = ? returning term",
                [scope, key],
            ).fetchall()
            removed += [row[0] for row in rows]
        if removed:
            _bump(db, scope)
    return removed


def clear_terms(db: Database, scope: str) -> None:
    """Empty both lists of a scope (an import that replaces them)."""
    with db.atomic():
        for table in _TABLES.values():
            db.execute(f"delete from {table} where scope = ?", [scope])
        _bump(db, scope)


def list_terms(
    db: Database, scope: str, which: ListName, *, limit: int | None = None, offset: int = 0
) -> list[str]:
    """A scope's terms in the order they were added."""
    sql = f"select term from {_TABLES[which]} where scope = ? order by id"
    params: list[object] = [scope]
    if limit is not None:
        sql += " limit ? offset ?"
        params += [limit, offset]
    return [row[0] for row in db.execute(sql, params).fetchall()]


def count_terms(db: Database, scope: str, which: ListName) -> int:
    sql = f"select count(*) from {_TABLES[which]} where scope = ?"
    return int(db.execute(sql, [scope]).fetchone()[0])


def revisions(db: Database, scopes: Sequence[str]) -> tuple[int, ...]:
    """A number per scope that changes whenever its lists do (0 for a scope never changed)."""
    marks = ", ".join("?" * len(scopes))
    rows = db.execute(
        f"select scope, revision from term_list_revisions where scope in ({marks})", list(scopes)
    ).fetchall()
    found = dict(rows)
    return tuple(int(found.get(scope, 0)) for scope in scopes)


def record_block(
    db: Database,
    *,
    platform: str,
    user_id: str,
    user_name: str,
    scope: str,
    chat_id: str,
    prompt: str,
    terms: Sequence[str],
) -> None:
    db["filter_blocks"].insert(
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


def block_times(db: Database, platform: str, user_id: str, since: str) -> list[str]:
    """When the user's prompts were blocked since `since` (ISO times, oldest first)."""
    rows = db.execute(
        "select created_at from filter_blocks where platform = ? and user_id = ? "
        "and created_at >= ? order by created_at",
        [platform, user_id, since],
    ).fetchall()
    return [row[0] for row in rows]
