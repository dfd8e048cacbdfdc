"""The delivery outbox: what each finished job still owes its user, until a front end took it.

A row is added in the transaction that settles the job (done, failed or cancelled), so a job
that ended is never without the message that says so, even if the process dies right after.
Kinds:

    final   the job's outcome in its own message: the grid, or why it failed or was cancelled
    notice  a short new message that tells the user (editing a message does not notify)

A row is pending until `sent` or `abandoned` (the platform refuses it for good); `attempts`
and `last_error` record the failures in between.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from storage.jobs import Jobs
from storage.rows import utcnow

FINAL, NOTICE = "final", "notice"


class Outbox:
    def __init__(self, db: Database, jobs: Jobs) -> None:
        self.db = db
        self.jobs = jobs  # a final row sent is the job delivered

    def add(self, job_id: str, kind: str = FINAL) -> None:
        """Owe `kind` for the job (once: adding it again changes nothing)."""
        self.db["outbox"].insert(
            {"job_id": job_id, "kind": kind, "attempts": 0, "created_at": utcnow()},
            ignore=True,
        )

    def pending(self) -> list[dict[str, Any]]:
        """Everything still owed, oldest first, with the platform it goes to."""
        return [
            dict(row)
            for row in self.db.query(
                "select outbox.*, jobs.platform from outbox join jobs on jobs.id = outbox.job_id "
                "where outbox.sent_at is null and outbox.abandoned_at is null "
                "order by outbox.created_at, outbox.rowid"
            )
        ]

    def get(self, job_id: str, kind: str) -> dict[str, Any] | None:
        rows = list(self.db["outbox"].rows_where("job_id = ? and kind = ?", [job_id, kind]))
        return rows[0] if rows else None

    def failed(self, job_id: str, kind: str, error: str) -> int:
        """One more failed attempt; returns how many there were."""
        with self.db.atomic():
            self.db.execute(
                "update outbox set attempts = attempts + 1, last_error = ? "
                "where job_id = ? and kind = ?",
                [error[:500], job_id, kind],
            )
            row = self.get(job_id, kind)
            return int(row["attempts"]) if row else 0

    def sent(self, job_id: str, kind: str, then: str | None = None) -> None:
        """`kind` reached the user; a final means the job is delivered. `then`: what is owed
        next (the notice), written in the same transaction so a restart cannot lose it."""
        with self.db.atomic():
            self.db["outbox"].update((job_id, kind), {"sent_at": utcnow()})
            if kind == FINAL:
                self.jobs.mark_delivered(job_id)
            if then is not None:
                self.add(job_id, then)

    def abandoned(self, job_id: str, kind: str, error: str) -> None:
        """The platform refuses this for good (the chat is gone, the bot was blocked): nothing
        is owed any more, so an abandoned final settles the job as a sent one does (the
        outbox row says which it was)."""
        with self.db.atomic():
            self.db["outbox"].update(
                (job_id, kind), {"abandoned_at": utcnow(), "last_error": error[:500]}
            )
            if kind == FINAL:
                self.jobs.mark_delivered(job_id)
