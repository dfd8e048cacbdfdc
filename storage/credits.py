"""Credits: the ledger of what each user spent and got back.

Every change to a user's credits is a ledger row (debit, refund, grant, set, reset) with its
reason, so a balance can always be explained: left = allowance + sum of today's deltas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from storage.jobs import Jobs
from storage.rows import utcnow

EPSILON = 1e-9


class InsufficientCredits(Exception):
    """Raised inside the debit transaction: nothing was written."""

    def __init__(self, left: float, needed: float) -> None:
        super().__init__(f"{left:g} credits left, {needed:g} needed")
        self.left = left
        self.needed = needed


@dataclass(frozen=True, slots=True)
class Balance:
    allowance: float | None  # None: unlimited
    used: float  # debits minus refunds today
    adjusted: float  # grants, sets and resets today
    day: str

    @property
    def left(self) -> float:
        if self.allowance is None:
            return math.inf
        return max(0.0, self.allowance + self.adjusted - self.used)


class Credits:
    def __init__(self, db: Database, jobs: Jobs) -> None:
        self.db = db
        self.jobs = jobs  # a debit is written with its job, in one transaction

    def balance(self, user_id: int, day: str, allowance: float | None) -> Balance:
        used = adjusted = 0.0
        for row in self.db.query(
            "select kind, sum(delta) as total from ledger where user_id = ? and day = ? "
            "group by kind",
            [user_id, day],
        ):
            if row["kind"] in ("debit", "refund"):
                used -= row["total"]
            else:
                adjusted += row["total"]
        return Balance(allowance, round(used, 6), round(adjusted, 6), day)

    def charge(
        self, job: dict[str, Any], day: str, credits: float, allowance: float | None
    ) -> None:
        """Record the job and debit its credits in one transaction: both or neither."""
        with self.db.atomic():
            current = self.balance(job["user_id"], day, allowance)
            if current.left + EPSILON < credits:
                raise InsufficientCredits(current.left, credits)
            self.jobs.insert(job)
            self.db["ledger"].insert(
                _entry(
                    job["user_id"], day, -credits, "debit", f"job {job['id']}", job_id=job["id"]
                )
            )

    def refund(self, job_id: str, day: str, fraction: float, reason: str) -> float:
        """Give back `fraction` of a job's debit, once; returns the credits refunded."""
        with self.db.atomic():
            rows = list(self.db["ledger"].rows_where("job_id = ?", [job_id]))
            debit = next((r for r in rows if r["kind"] == "debit"), None)
            if debit is None or any(r["kind"] == "refund" for r in rows) or fraction <= 0:
                return 0.0
            amount = round(-debit["delta"] * min(1.0, fraction), 6)
            self.db["ledger"].insert(
                _entry(debit["user_id"], day, amount, "refund", reason, job_id=job_id)
            )
            return amount

    def of_job(self, job_id: str) -> tuple[float, float]:
        """What the job was charged and what it got back, in credits."""
        charged = refunded = 0.0
        for row in self.db["ledger"].rows_where("job_id = ?", [job_id]):
            if row["kind"] == "debit":
                charged -= row["delta"]
            elif row["kind"] == "refund":
                refunded += row["delta"]
        return round(charged, 6), round(refunded, 6)

    def withdraw(self, job_id: str) -> None:
        """A job recorded and charged, then refused by the queue before anyone was told it was
        accepted: it never happened, so its row and its debit go together."""
        with self.db.atomic():
            self.db["ledger"].delete_where("job_id = ?", [job_id])
            self.db["jobs"].delete(job_id)

    def adjust(
        self, user_id: int, day: str, kind: str, delta: float, reason: str, actor: str
    ) -> None:
        """A moderator's grant, set or reset, recorded with who did it."""
        self.db["ledger"].insert(_entry(user_id, day, delta, kind, reason, actor=actor))


def _entry(user_id: int, day: str, delta: float, kind: str, reason: str, **extra: Any) -> dict:
    return {
        "user_id": user_id,
        "day": day,
        "delta": round(delta, 6),
        "kind": kind,
        "reason": reason,
        "created_at": utcnow(),
        **extra,
    }
