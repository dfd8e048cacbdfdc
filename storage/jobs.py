"""Jobs and their images: from queued to delivered, and the rows an Origin is rebuilt from."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from storage.rows import ImageRow, JobStatus, utcnow


@dataclass(frozen=True, slots=True)
class KeyedJobs:
    """The jobs one HTTP request with an Idempotency-Key created (m019)."""

    request_hash: str  # the request that created them (a retry must send the same one)
    job_ids: tuple[str, ...]  # in the order they were created (--repeat makes several)


class Jobs:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, job: dict[str, Any]) -> None:
        self.db["jobs"].insert(job_record(job))

    def _select(
        self, where: str, params: list[Any], order: str = "", limit: int = 0
    ) -> list[dict]:
        """Job rows with their owner's platform id and name (an Origin needs them)."""
        sql = (
            "select jobs.*, users.platform_user_id, users.display_name from jobs "
            f"join users on users.id = jobs.user_id where {where}"
        )
        if order:
            sql += f" order by {order}"
        if limit:
            sql += f" limit {int(limit)}"
        return [dict(row) for row in self.db.query(sql, params)]

    def get(self, job_id: str) -> dict[str, Any] | None:
        rows = self._select("jobs.id = ?", [job_id], limit=1)
        return rows[0] if rows else None

    def of_user(self, platform: str, platform_user_id: str, limit: int = 20) -> list[dict]:
        """A user's latest jobs, newest first."""
        return self._select(
            "users.platform = ? and users.platform_user_id = ?",
            [platform, platform_user_id],
            order="jobs.created_at desc, jobs.rowid desc",
            limit=limit,
        )

    def with_key(
        self, platform: str, platform_user_id: str, key: str, since: str
    ) -> KeyedJobs | None:
        """The jobs the user's request with Idempotency-Key `key` created at or after `since`
        (ISO time), if any. The key is set in each job's own insert: no job lacks it."""
        rows = self._select(
            "users.platform = ? and users.platform_user_id = ? "
            "and jobs.idempotency_key = ? and jobs.created_at >= ?",
            [platform, platform_user_id, key, since],
            order="jobs.created_at, jobs.rowid",
        )
        if not rows:
            return None
        return KeyedJobs(rows[0]["request_hash"], tuple(row["id"] for row in rows))

    def images(self, job_id: str) -> list[ImageRow]:
        return [
            ImageRow(r["image_index"], r["path"], r["md5"], r["width"], r["height"], r["seed"])
            for r in self.db["images"].rows_where("job_id = ?", [job_id], order_by="image_index")
        ]

    def set_reply_message(self, job_id: str, message_id: str) -> None:
        self.db["jobs"].update(job_id, {"reply_message_id": message_id})

    def mark_running(self, job_id: str, task_id: str) -> bool:
        """Running now (again, after a restart); False if the job was settled meanwhile."""
        return self._while_open(
            job_id,
            "status = ?, task_id = ?, started_at = ?, attempts = coalesce(attempts, 0) + 1",
            [JobStatus.RUNNING.value, task_id, utcnow()],
        )

    def mark_done(
        self,
        job_id: str,
        grid_path: str,
        images: Iterable[ImageRow],
        cancel_came_late: bool = False,
    ) -> bool:
        """Record the images and the status together: a job is never done without its rows.
        False (and nothing written) if the job was already settled another way.
        `cancel_came_late`: a cancel was accepted after its worker had run every step."""
        with self.db.atomic():
            done = [JobStatus.DONE.value, grid_path, utcnow(), int(cancel_came_late)]
            changes = "status = ?, grid_path = ?, finished_at = ?, cancel_came_late = ?"
            if not self._while_open(job_id, changes, done):
                return False
            self.db["images"].insert_all(
                ({"job_id": job_id, **_image_record(image)} for image in images),
                replace=False,
            )
            return True

    def set_grid(self, job_id: str, grid_path: str) -> None:
        """The grid users see changed (a moderator released an image the safety check hid)."""
        self.db["jobs"].update(job_id, {"grid_path": grid_path})

    def mark_failed(
        self, job_id: str, error: str, message: str | None = None, detail: str | None = None
    ) -> bool:
        """Fail a queued or running job; False if it had ended. `error`: the reason in English;
        `message`: the same as a message (JSON) that can be shown in the job's own language;
        `detail`: the operator's account (it may name settings, paths and commands), never
        shown to users."""
        failed = [JobStatus.FAILED.value, error, message, detail, utcnow()]
        columns = "status = ?, error = ?, error_message = ?, error_detail = ?, finished_at = ?"
        return self._while_open(job_id, columns, failed)

    def mark_cancelled(self, job_id: str) -> bool:
        cancelled = [JobStatus.CANCELLED.value, utcnow()]
        return self._while_open(job_id, "status = ?, finished_at = ?", cancelled)

    def _while_open(self, job_id: str, assignments: str, values: list[Any]) -> bool:
        """Update a job still queued or running. A job ends exactly one way: whichever of done,
        failed or cancelled is written first wins, and the others find it settled (False)."""
        cursor = self.db.execute(
            f"update jobs set {assignments} where id = ? and status in (?, ?)",
            [*values, job_id, JobStatus.QUEUED.value, JobStatus.RUNNING.value],
        )
        return cursor.rowcount == 1

    def mark_delivered(self, job_id: str) -> None:
        self.db["jobs"].update(job_id, {"delivered_at": utcnow()})

    def unfinished(self) -> list[dict[str, Any]]:
        """Jobs a previous run acknowledged but did not finish, oldest first."""
        return self._select(
            "jobs.status in (?, ?)",
            [JobStatus.QUEUED.value, JobStatus.RUNNING.value],
            order="jobs.created_at, jobs.rowid",
        )


def job_record(job: dict[str, Any]) -> dict[str, Any]:
    """A new jobs row: queued now, its JSON columns as readable (non-ASCII kept) text."""
    row = {"status": JobStatus.QUEUED.value, "created_at": utcnow(), **job}
    for key in ("prompts_json", "params_json", "spec_json", "loras_json"):
        if key in row and not isinstance(row[key], str | None):
            row[key] = json.dumps(row[key], ensure_ascii=False)
    return row


def _image_record(image: ImageRow) -> dict[str, Any]:
    return {name: getattr(image, name) for name in ImageRow.__slots__}
