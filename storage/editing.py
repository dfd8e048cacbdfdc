"""SQL for the editing actions: Remix mode, deleted results, pending prompts, the link secret.

Functions take a `sqlite_utils.Database` and run on the store's thread. Values arrive already
decided by the core: storage knows no rules.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from storage.store import utcnow


def secret(db: Database, name: str) -> str:
    """A random secret that lives as long as the database (made on first use)."""
    with db.atomic():
        rows = list(db["secrets"].rows_where("name = ?", [name], limit=1))
        if rows:
            return str(rows[0]["value"])
        value = secrets.token_urlsafe(32)  # 256 random bits
        db["secrets"].insert({"name": name, "value": value, "created_at": utcnow()})
        return value


# Remix ------------------------------------------------------------------------------------


def remix(db: Database, platform: str, platform_user_id: str) -> bool:
    rows = list(
        db["user_settings"].rows_where(
            "platform = ? and platform_user_id = ?", [platform, platform_user_id], limit=1
        )
    )
    return bool(rows and rows[0]["remix"])


def set_remix(db: Database, platform: str, platform_user_id: str, on: bool) -> None:
    """Keeps the user's default params; a user without any gets an empty set."""
    with db.atomic():
        db.execute(
            "insert into user_settings (platform, platform_user_id, default_params, remix, "
            "updated_at) values (?, ?, '', ?, ?) on conflict (platform, platform_user_id) "
            "do update set remix = excluded.remix, updated_at = excluded.updated_at",
            [platform, platform_user_id, int(on), utcnow()],
        )


# 🗑 ----------------------------------------------------------------------------------------


def delete_job_output(db: Database, job_id: str, own_files: list[str]) -> list[str]:
    """Mark the job deleted and forget its images; returns the files to remove (its images,
    its grid and `own_files`, the inputs it made for itself). The job and ledger rows stay."""
    with db.atomic():
        job = db["jobs"].get(job_id)
        paths = [row["path"] for row in db["images"].rows_where("job_id = ?", [job_id])]
        if job["grid_path"]:
            paths.append(job["grid_path"])
        db.execute("delete from images where job_id = ?", [job_id])
        db["jobs"].update(job_id, {"deleted_at": utcnow(), "grid_path": None})
    return [*paths, *own_files]


# pending actions ----------------------------------------------------------------------------


def add_pending(db: Database, row: dict[str, Any], keep_hours: int = 24) -> None:
    """Remember an action that waits for the user; ones older than `keep_hours` are dropped."""
    cutoff = (datetime.now(UTC) - timedelta(hours=keep_hours)).isoformat(timespec="milliseconds")
    record = {**row, "created_at": utcnow()}
    record["payload_json"] = json.dumps(row["payload_json"], ensure_ascii=False)
    with db.atomic():
        db.execute("delete from pending_actions where created_at < ?", [cutoff])
        db["pending_actions"].insert(record)


def set_pending_message(db: Database, pending_id: str, message_id: str) -> None:
    db["pending_actions"].update(pending_id, {"message_id": message_id})


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "payload_json": json.loads(row["payload_json"])}


def take_pending(db: Database, pending_id: str) -> dict[str, Any] | None:
    """The pending action, removed (an answer is used once); None if unknown or gone."""
    with db.atomic():
        rows = list(db["pending_actions"].rows_where("id = ?", [pending_id], limit=1))
        if rows:
            db.execute("delete from pending_actions where id = ?", [pending_id])
    return _decoded(rows[0]) if rows else None


def pending_by_message(
    db: Database, platform: str, chat_id: str, message_id: str
) -> dict[str, Any] | None:
    """The pending action asked for by the bot's message `message_id` (a reply's target)."""
    rows = list(
        db["pending_actions"].rows_where(
            "platform = ? and chat_id = ? and message_id = ?",
            [platform, chat_id, message_id],
            limit=1,
        )
    )
    return _decoded(rows[0]) if rows else None
