"""The SQLite store: users, jobs, images. Synchronous; `AsyncStore` keeps it off the event loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from storage.migrations import migrate

T = TypeVar("T")


class JobStatus(StrEnum):
    QUEUED = "queued"  # persisted and acknowledged; waiting for the engine
    RUNNING = "running"  # the engine is generating it now
    DONE = "done"  # images stored; see delivered_at for whether the user got them
    FAILED = "failed"  # gave up; `error` says why in words a user can read
    CANCELLED = "cancelled"  # the user (or a moderator) cancelled it

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class ImageRow:
    image_index: int
    path: str
    md5: str
    width: int
    height: int
    seed: int | None


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Store:
    """All SQL lives here. One instance per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = Database(path)
        # WAL lets readers (CLI, HTTP API) look while the bot writes; busy_timeout rides out
        # the brief lock of another process instead of failing.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.execute("PRAGMA foreign_keys=ON")
        migrate(self.db)

    def close(self) -> None:
        self.db.close()

    # users -------------------------------------------------------------------------------
    def find_user(self, platform: str, platform_user_id: str) -> dict[str, Any] | None:
        rows = list(
            self.db["users"].rows_where(
                "platform = ? and platform_user_id = ?", [platform, platform_user_id], limit=1
            )
        )
        return rows[0] if rows else None

    def upsert_user(self, platform: str, platform_user_id: str, display_name: str) -> int:
        """Create the user on first contact; keep the display name current."""
        user = self.find_user(platform, platform_user_id)
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

    def get_user(self, user_id: int) -> dict[str, Any]:
        return dict(self.db["users"].get(user_id))

    # jobs --------------------------------------------------------------------------------
    def insert_job(self, job: dict[str, Any]) -> None:
        self.db["jobs"].insert(job_record(job))

    def _jobs(self, where: str, params: list[Any], order: str = "", limit: int = 0) -> list[dict]:
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

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        rows = self._jobs("jobs.id = ?", [job_id], limit=1)
        return rows[0] if rows else None

    def user_jobs(self, platform: str, platform_user_id: str, limit: int = 20) -> list[dict]:
        """A user's latest jobs, newest first."""
        return self._jobs(
            "users.platform = ? and users.platform_user_id = ?",
            [platform, platform_user_id],
            order="jobs.created_at desc, jobs.rowid desc",
            limit=limit,
        )

    def set_reply_message(self, job_id: str, message_id: str) -> None:
        self.db["jobs"].update(job_id, {"reply_message_id": message_id})

    def mark_running(self, job_id: str, task_id: str) -> None:
        job = self.get_job(job_id) or {}
        self.db["jobs"].update(
            job_id,
            {
                "status": JobStatus.RUNNING.value,
                "task_id": task_id,
                "started_at": utcnow(),
                "attempts": int(job.get("attempts") or 0) + 1,
            },
        )

    def mark_done(self, job_id: str, grid_path: str, images: Iterable[ImageRow]) -> None:
        """Record the images and the status together: a job is never done without its rows."""
        with self.db.atomic():
            self.db["images"].insert_all(
                ({"job_id": job_id, **vars_of(image)} for image in images),
                replace=False,
            )
            self.db["jobs"].update(
                job_id,
                {"status": JobStatus.DONE.value, "grid_path": grid_path, "finished_at": utcnow()},
            )

    def mark_failed(self, job_id: str, error: str) -> None:
        self.db["jobs"].update(
            job_id, {"status": JobStatus.FAILED.value, "error": error, "finished_at": utcnow()}
        )

    def mark_cancelled(self, job_id: str) -> None:
        self.db["jobs"].update(
            job_id, {"status": JobStatus.CANCELLED.value, "finished_at": utcnow()}
        )

    def mark_delivered(self, job_id: str) -> None:
        self.db["jobs"].update(job_id, {"delivered_at": utcnow()})

    def unfinished_jobs(self) -> list[dict[str, Any]]:
        """Jobs a previous run acknowledged but did not finish, oldest first."""
        return self._jobs(
            "jobs.status in (?, ?)",
            [JobStatus.QUEUED.value, JobStatus.RUNNING.value],
            order="jobs.created_at, jobs.rowid",
        )

    def undelivered_jobs(self) -> list[dict[str, Any]]:
        """Finished jobs whose result never reached the user (the bot stopped in between)."""
        return self._jobs(
            "jobs.status in (?, ?, ?) and jobs.delivered_at is null",
            [JobStatus.DONE.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value],
            order="jobs.finished_at, jobs.rowid",
        )

    def job_images(self, job_id: str) -> list[ImageRow]:
        return [
            ImageRow(r["image_index"], r["path"], r["md5"], r["width"], r["height"], r["seed"])
            for r in self.db["images"].rows_where("job_id = ?", [job_id], order_by="image_index")
        ]


def job_record(job: dict[str, Any]) -> dict[str, Any]:
    """A new jobs row: queued now, its JSON columns as readable (non-ASCII kept) text."""
    row = {"status": JobStatus.QUEUED.value, "created_at": utcnow(), **job}
    for key in ("prompts_json", "params_json", "spec_json"):
        if key in row and not isinstance(row[key], str | None):
            row[key] = json.dumps(row[key], ensure_ascii=False)
    return row


def vars_of(image: ImageRow) -> dict[str, Any]:
    return {name: getattr(image, name) for name in ImageRow.__slots__}


class AsyncStore:
    """Runs every Store call on one dedicated thread that owns the connection.

    SQLite work is short but blocking; this keeps it off the event loop without a
    connection per call, and serialises writes the way SQLite wants them.
    """

    def __init__(self, path: str | Path) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mjbot-db")
        self._store: Store = self._executor.submit(Store, path).result()

    async def run(self, fn: Callable[[Store], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, self._store)

    def run_sync(self, fn: Callable[[Store], T]) -> T:
        """For CLI commands and start-up code that run outside the event loop."""
        return self._executor.submit(fn, self._store).result()

    def close(self) -> None:
        self._executor.submit(self._store.close).result()
        self._executor.shutdown(wait=True)
