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

    def mark_described(self, job_id: str, suggestions: Sequence[Suggestion]) -> None:
        """Record the prompts and the status together: a describe is never done without them."""
        with self.db.atomic():
            self.db["suggestions"].insert_all(
                {
                    "job_id": job_id,
                    "suggestion_index": item.index,
                    "prompt": item.prompt,
                    "gloss": item.gloss,
                }
                for item in suggestions
            )
            self.db["jobs"].update(
                job_id, {"status": JobStatus.DONE.value, "finished_at": utcnow()}
            )

    def of_job(self, job_id: str) -> list[Suggestion]:
        """A describe job's prompts in button order; [] for any other job."""
        rows = self.db["suggestions"].rows_where(
            "job_id = ?", [job_id], order_by="suggestion_index"
        )
        return [Suggestion(r["suggestion_index"], r["prompt"], r["gloss"]) for r in rows]
