"""Counts and durations for /metrics, straight from SQLite (so they survive restarts)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlite_utils import Database

# Seconds from start to stored images, and the same per denoising step.
JOB_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)
STEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5)
_SECONDS = "(julianday(finished_at) - julianday(started_at)) * 86400.0"


class Stats:
    def __init__(self, db: Database) -> None:
        self.db = db

    def jobs_by_status(self) -> dict[str, int]:
        return {
            row["status"]: row["n"]
            for row in self.db.query("select status, count(*) as n from jobs group by status")
        }

    def blocked_prompts(self) -> int:
        return next(self.db.query("select count(*) as n from filter_blocks"))["n"]

    def histogram(self, per_step: bool, buckets: Sequence[float]) -> tuple[list[int], int, float]:
        """Cumulative bucket counts, count and sum of finished jobs' durations (one SQL pass)."""
        value = f"{_SECONDS} / max(steps, 1)" if per_step else _SECONDS
        columns = ", ".join(
            f"sum(case when v <= {float(bound)!r} then 1 else 0 end) as b{i}"
            for i, bound in enumerate(buckets)
        )
        row = next(
            self.db.query(
                f"select {columns}, count(*) as n, coalesce(sum(v), 0) as total from "
                f"(select {value} as v from jobs where status = 'done' and started_at is not null "
                "and finished_at is not null)"
            )
        )
        return [row[f"b{i}"] or 0 for i in range(len(buckets))], row["n"], float(row["total"])
