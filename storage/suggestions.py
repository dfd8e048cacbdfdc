"""SQL for /describe's answers: the numbered prompts of a describe job.

Functions take a `sqlite_utils.Database` and run on the store's thread. Prompts arrive final
(filtered, with their glosses): storage knows no rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from storage.store import JobStatus, utcnow

_TABLE = "suggestions"


@dataclass(frozen=True, slots=True)
class Suggestion:
    index: int  # 1..4, as the buttons number them
    prompt: str  # a /mj text, "--ar W:H" included
    gloss: str | None = None  # its Chinese gloss


def mark_described(db: Database, job_id: str, suggestions: Sequence[Suggestion]) -> None:
    """Record the prompts and the status together: a describe is never done without them."""
    with db.atomic():
        db[_TABLE].insert_all(
            {
                "job_id": job_id,
                "suggestion_index": item.index,
                "prompt": item.prompt,
                "gloss": item.gloss,
            }
            for item in suggestions
        )
        db["jobs"].update(job_id, {"status": JobStatus.DONE.value, "finished_at": utcnow()})


def job_suggestions(db: Database, job_id: str) -> list[Suggestion]:
    """A describe job's prompts in button order; [] for any other job."""
    return [
        Suggestion(row["suggestion_index"], row["prompt"], row["gloss"])
        for row in db[_TABLE].rows_where("job_id = ?", [job_id], order_by="suggestion_index")
    ]
