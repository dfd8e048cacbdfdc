"""SQL for idempotency keys: the jobs that one HTTP request with an `Idempotency-Key` created.

The key and a hash of the request are columns of each job row (migration m019), set in the
job's own insert, so a job never exists, charged, without its key. Storage knows no policy:
how long a key is remembered and what a mismatch means are `bot.core`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True, slots=True)
class KeyedJobs:
    request_hash: str  # the request that created them (a retry must send the same one)
    job_ids: tuple[str, ...]  # in the order they were created (--repeat makes several)


def keyed_jobs(
    db: Database, platform: str, platform_user_id: str, key: str, since: str
) -> KeyedJobs | None:
    """The jobs the user's request with `key` created at or after `since` (ISO time), if any."""
    rows = list(
        db.query(
            "select jobs.id, jobs.request_hash from jobs join users on users.id = jobs.user_id "
            "where users.platform = ? and users.platform_user_id = ? "
            "and jobs.idempotency_key = ? and jobs.created_at >= ? "
            "order by jobs.created_at, jobs.rowid",
            [platform, platform_user_id, key, since],
        )
    )
    if not rows:
        return None
    return KeyedJobs(rows[0]["request_hash"], tuple(row["id"] for row in rows))
