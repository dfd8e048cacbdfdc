"""Read-only questions the adapters ask the core: a job and its images, who owns an API key,
the figures behind /metrics. Adapters call these instead of touching the database.

`JobStatus` (a job row's status) is the core's vocabulary for adapters too; it is defined by
storage, which persists it, and handed on from here so adapters need no storage import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.errors import JobDeleted, JobNotFound, excerpt
from bot.core.requests import Origin
from bot.core.safety import ShownImage, read_shown
from i18n import Message, t
from storage.stats import JOB_BUCKETS, STEP_BUCKETS
from storage.store import AsyncStore, ImageRow, JobStatus, Store
from storage.suggestions import Suggestion

__all__ = [
    "JOB_BUCKETS",
    "STEP_BUCKETS",
    "Figures",
    "ImageRow",
    "JobStatus",
    "Queries",
    "ShownImage",
    "Suggestion",
    "not_deleted",
    "not_yours",
]


def not_yours(job_id: str) -> Message:
    """What the author of no job hears when they use its id (its buttons, /show, /cancel)."""
    return t("Job {job_id} is not yours, so its buttons are not for you.", job_id=job_id)


def not_deleted(job: dict[str, Any]) -> dict[str, Any]:
    """The job's row, unless its owner deleted its result (🗑): then JobDeleted."""
    if job.get("deleted_at"):
        raise JobDeleted(t("Job {job_id} was deleted.", job_id=job["id"]))
    return job


@dataclass(frozen=True, slots=True)
class Figures:
    jobs_by_status: dict[str, int]
    blocked_prompts: int
    job_seconds: tuple[list[int], int, float]  # cumulative bucket counts, count, sum
    step_seconds: tuple[list[int], int, float]


class Queries:
    def __init__(self, store: AsyncStore) -> None:
        self.store = store

    async def job(self, job_id: str) -> dict[str, Any] | None:
        return await self.store.run(lambda s: s.jobs.get(job_id))

    async def own_job(
        self, origin: Origin, job_id: str, refusal: Message | None = None
    ) -> dict[str, Any]:
        """The job's row if `origin`'s user made it. Someone else's job raises JobNotFound with
        `refusal`, or (by default) as if it did not exist."""
        row = await self.job(job_id)
        missing = t("There is no job {job_id}.", job_id=excerpt(job_id, quote=""))
        if row is None:
            raise JobNotFound(missing)
        if (row["platform"], row["platform_user_id"]) != (origin.platform, origin.user_id):
            raise JobNotFound(refusal or missing)
        return row

    async def job_images(self, job_id: str) -> list[ImageRow]:
        return await self.store.run(lambda s: s.jobs.images(job_id))

    async def shown_images(self, job_id: str) -> list[ShownImage]:
        """A result's images as users may see them, with the safety check's verdicts."""
        return (await self.job_and_shown(job_id))[1]

    async def job_and_shown(self, job_id: str) -> tuple[dict[str, Any] | None, list[ShownImage]]:
        """The job and its images as users may see them, in one trip to the database thread
        (so they agree with each other)."""
        return await self.store.run(lambda s: read_shown(s, job_id))

    async def suggestions(self, job_id: str) -> list[Suggestion]:
        """A describe job's prompts, numbered as its buttons; [] for other jobs."""
        return await self.store.run(lambda s: s.suggestions.of_job(job_id))

    async def api_key_owner(self, key: str) -> str | None:
        return await self.store.run(lambda s: s.api_keys.owner(key))

    async def figures(self) -> Figures:
        def read(s: Store) -> Figures:  # one trip to the database thread for every figure
            return Figures(
                s.stats.jobs_by_status(),
                s.stats.blocked_prompts(),
                s.stats.histogram(False, JOB_BUCKETS),
                s.stats.histogram(True, STEP_BUCKETS),
            )

        return await self.store.run(read)
