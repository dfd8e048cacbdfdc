"""SQL for users' /settings: the default /mj params each user keeps.

Params arrive validated and canonical (`bot.core.user_settings`): storage knows no rules.
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.rows import utcnow

_TABLE = "user_settings"


class Defaults:
    """Each platform user's default /mj params."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, platform: str, platform_user_id: str) -> str | None:
        rows = list(
            self.db[_TABLE].rows_where(
                "platform = ? and platform_user_id = ?", [platform, platform_user_id], limit=1
            )
        )
        return rows[0]["default_params"] if rows else None

    def set(self, platform: str, platform_user_id: str, params: str) -> None:
        self.db[_TABLE].upsert(
            {
                "platform": platform,
                "platform_user_id": platform_user_id,
                "default_params": params,
                "updated_at": utcnow(),
            },
            pk=("platform", "platform_user_id"),
        )

    def clear(self, platform: str, platform_user_id: str) -> bool:
        """Forget a user's defaults (not their language); False if they had none."""
        with self.db.atomic():
            cursor = self.db.execute(
                f"update {_TABLE} set default_params = null, updated_at = ? "
                "where platform = ? and platform_user_id = ? and default_params is not null",
                [utcnow(), platform, platform_user_id],
            )
        return cursor.rowcount > 0
