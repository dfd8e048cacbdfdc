"""Users: one row per platform user, created on first contact."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from storage.rows import utcnow


class Users:
    def __init__(self, db: Database) -> None:
        self.db = db

    def find(self, platform: str, platform_user_id: str) -> dict[str, Any] | None:
        rows = list(
            self.db["users"].rows_where(
                "platform = ? and platform_user_id = ?", [platform, platform_user_id], limit=1
            )
        )
        return rows[0] if rows else None

    def upsert(self, platform: str, platform_user_id: str, display_name: str) -> int:
        """Create the user on first contact; keep the display name current."""
        user = self.find(platform, platform_user_id)
        if user is not None:
            if display_name and user["display_name"] != display_name:
                self.db["users"].update(user["id"], {"display_name": display_name})
            return int(user["id"])
        table = self.db["users"].insert(
            {
                "platform": platform,
                "platform_user_id": platform_user_id,
                "display_name": display_name,
                "created_at": utcnow(),
            }
        )
        return int(table.last_pk)

    def get(self, user_id: int) -> dict[str, Any]:
        return dict(self.db["users"].get(user_id))

    def update(self, user_id: int, **fields: Any) -> None:
        """Tier, daily override, block: the columns a moderator or owner changes."""
        self.db["users"].update(user_id, fields)
