"""SQL for the editing actions: Remix mode, deleted results, pending answers, the link secret.

Values arrive already decided by the core: storage knows no rules.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from sqlite_utils import Database

from storage.rows import utcnow


class Editing:
    def __init__(self, db: Database) -> None:
        self.db = db

    def secret(self, name: str) -> str:
        """A random secret that lives as long as the database (made on first use)."""
        with self.db.atomic():
            rows = list(self.db["secrets"].rows_where("name = ?", [name], limit=1))
            if rows:
                return str(rows[0]["value"])
            value = secrets.token_urlsafe(32)  # 256 random bits
            self.db["secrets"].insert({"name": name, "value": value, "created_at": utcnow()})
            return value

    # Remix --------------------------------------------------------------------------------

    def remix(self, platform: str, platform_user_id: str) -> bool:
        where = "platform = ? and platform_user_id = ?"
        return bool(self.db["remix_users"].count_where(where, [platform, platform_user_id]))

    def set_remix(self, platform: str, platform_user_id: str, on: bool) -> None:
        key = {"platform": platform, "platform_user_id": platform_user_id}
        with self.db.atomic():
            if on:
                self.db["remix_users"].insert({**key, "created_at": utcnow()}, ignore=True)
            else:
                self.db.execute(
                    "delete from remix_users where platform = ? and platform_user_id = ?",
                    [platform, platform_user_id],
                )

    # 🗑 ------------------------------------------------------------------------------------

    def delete_output(self, job_id: str, own_files: list[str]) -> list[str]:
        """Mark the job deleted and forget its images; returns the files to remove (its images,
        its grid, the blurred copies users saw and `own_files`, the inputs it made for itself),
        whose names are kept as deleted. The job, ledger and moderation log rows stay."""
        with self.db.atomic():
            job = self.db["jobs"].get(job_id)
            paths = [row["path"] for row in self.db["images"].rows_where("job_id = ?", [job_id])]
            if job["grid_path"]:
                paths.append(job["grid_path"])
            blurred = self.db.execute(
                "select distinct shown_path from safety_log "
                "where job_id = ? and shown_path is not null",
                [job_id],
            ).fetchall()
            paths += [path for (path,) in blurred]
            paths += own_files
            now = utcnow()
            self.db["deleted_images"].insert_all(
                (
                    {"name": PurePosixPath(p).name, "job_id": job_id, "deleted_at": now}
                    for p in paths
                ),
                replace=True,
            )
            self.db.execute("delete from images where job_id = ?", [job_id])
            self.db["jobs"].update(job_id, {"deleted_at": now, "grid_path": None})
        return paths

    def deleted_image(self, name: str) -> bool:
        """Whether `name` (a stored file's public name) was removed by 🗑."""
        return bool(list(self.db["deleted_images"].rows_where("name = ?", [name], limit=1)))

    # pending answers ----------------------------------------------------------------------

    def add_pending(self, row: dict[str, Any], keep_hours: int = 24) -> None:
        """Remember an action that waits for the user; ones older than `keep_hours` go."""
        cutoff = datetime.now(UTC) - timedelta(hours=keep_hours)
        record = {**row, "created_at": utcnow()}
        record["payload_json"] = json.dumps(row["payload_json"], ensure_ascii=False)
        with self.db.atomic():
            self.db.execute(
                "delete from pending_actions where created_at < ?",
                [cutoff.isoformat(timespec="milliseconds")],
            )
            self.db["pending_actions"].insert(record)

    def set_pending_message(self, pending_id: str, message_id: str) -> None:
        self.db["pending_actions"].update(pending_id, {"message_id": message_id})

    def pending(self, pending_id: str) -> dict[str, Any] | None:
        rows = list(self.db["pending_actions"].rows_where("id = ?", [pending_id], limit=1))
        return _decoded(rows[0]) if rows else None

    def take_pending(self, pending_id: str) -> dict[str, Any] | None:
        """The pending action, removed (an answer is used once); None if unknown or gone."""
        with self.db.atomic():
            rows = list(self.db["pending_actions"].rows_where("id = ?", [pending_id], limit=1))
            if rows:
                self.db.execute("delete from pending_actions where id = ?", [pending_id])
        return _decoded(rows[0]) if rows else None

    def pending_by_message(
        self, platform: str, chat_id: str, message_id: str
    ) -> dict[str, Any] | None:
        """The pending action the bot's message `message_id` asked about (a reply's target)."""
        rows = list(
            self.db["pending_actions"].rows_where(
                "platform = ? and chat_id = ? and message_id = ?",
                [platform, chat_id, message_id],
                limit=1,
            )
        )
        return _decoded(rows[0]) if rows else None


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "payload_json": json.loads(row["payload_json"])}
