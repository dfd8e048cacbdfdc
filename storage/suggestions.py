"""/describe's answers: the numbered prompts of a describe job, stored with its done status.

Prompts arrive final (filtered, with their glosses): storage knows no rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from storage.rows import JobStatus, utcnow


@dataclass(frozen=True, slots=True)
class Suggestion:
    index: int  # 1..4, as the buttons number them
    prompt: str  # a /mj text, "--ar W:H" included
    gloss: str | None = None  # its Chinese gloss


class Suggestions:
    def __init__(self, db: Database) -> None:
        self.db = db

    def mark_described(self, job_id: str, suggestions: Sequence[Suggestion]) -> bool:
        """Record the prompts and the status together: a describe is never done without them.
        False (and nothing written) if the job was already settled another way."""
        with self.db.atomic():
            done = self.db.execute(
                "update jobs set status = ?, finished_at = ? where id = ? and status in (?, ?)",
                [
                    JobStatus.DONE.value,
                    utcnow(),
                    job_id,
                    JobStatus.QUEUED.value,
                    JobStatus.RUNNING.value,
                ],
            )
            if done.rowcount != 1:
                return False
            self.db["suggestions"].insert_all(
                {
                    "job_id": job_id,
                    "suggestion_index": item.index,
                    "prompt": item.prompt,
                    "gloss": item.gloss,
                }
                for item in suggestions
            )
            return True

    def of_job(self, job_id: str) -> list[Suggestion]:
        """A describe job's prompts in button order; [] for any other job."""
        rows = self.db["suggestions"].rows_where(
            "job_id = ?", [job_id], order_by="suggestion_index"
        )
        return [Suggestion(r["suggestion_index"], r["prompt"], r["gloss"]) for r in rows]
