"""SQL for UI languages: each user's own choice and each community's default.

Languages arrive validated as tags (`en`, `zh-Hans`, `zh-Hant`): storage knows no rules. A
user's choice shares `user_settings` with their /mj defaults (one row per platform user).
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.rows import utcnow

_USERS = "user_settings"
_SCOPES = "scope_languages"


class Languages:
    def __init__(self, db: Database) -> None:
        self.db = db

    def chosen(
        self, platform: str, platform_user_id: str, scope: str
    ) -> tuple[str | None, str | None]:
        """The user's own choice and their community's default (None: not set), in one read."""
        rows = self.db.query(
            f"select (select lang from {_USERS} where platform = ? and platform_user_id = ?)"
            f" as user, (select lang from {_SCOPES} where scope = ?) as scope",
            [platform, platform_user_id, scope],
        )
        row = next(iter(rows))
        return row["user"], row["scope"]

    def set_user(self, platform: str, platform_user_id: str, lang: str | None) -> None:
        """A user's own language; None goes back to automatic."""
        with self.db.atomic():
            self.db.execute(
                f"insert into {_USERS} (platform, platform_user_id, lang, updated_at) "
                "values (?, ?, ?, ?) on conflict (platform, platform_user_id) "
                "do update set lang = excluded.lang, updated_at = excluded.updated_at",
                [platform, platform_user_id, lang, utcnow()],
            )

    def set_scope(self, scope: str, lang: str | None, by: str) -> bool:
        """A community's default language; None removes it. False if nothing changed."""
        with self.db.atomic():
            if lang is None:
                cursor = self.db.execute(f"delete from {_SCOPES} where scope = ?", [scope])
                return cursor.rowcount > 0
            self.db[_SCOPES].upsert(
                {"scope": scope, "lang": lang, "set_by": by, "updated_at": utcnow()}, pk="scope"
            )
            return True
