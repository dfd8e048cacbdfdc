"""SQL for users' /settings: the default /mj params each user keeps.

Functions take a `sqlite_utils.Database` and run on the store's thread
(`await store.run(lambda s: user_settings.default_params(s.db, ...))`). Params arrive already
validated and canonical (`bot.core.user_settings`): storage knows no rules.
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.store import utcnow

_TABLE = "user_settings"


def default_params(db: Database, platform: str, platform_user_id: str) -> str | None:
    rows = list(
        db[_TABLE].rows_where(
            "platform = ? and platform_user_id = ?", [platform, platform_user_id], limit=1
        )
    )
    return rows[0]["default_params"] if rows else None


def set_default_params(db: Database, platform: str, platform_user_id: str, params: str) -> None:
    db[_TABLE].upsert(
        {
            "platform": platform,
            "platform_user_id": platform_user_id,
            "default_params": params,
            "updated_at": utcnow(),
        },
        pk=("platform", "platform_user_id"),
    )


def clear_default_params(db: Database, platform: str, platform_user_id: str) -> bool:
    """Forget a user's defaults; False if they had none."""
    with db.atomic():
        cursor = db.execute(
            f"delete from {_TABLE} where platform = ? and platform_user_id = ?",
            [platform, platform_user_id],
        )
    return cursor.rowcount > 0
