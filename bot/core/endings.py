"""How a job ends: exactly one way, each written in one transaction with its refund and the
final reply it owes (`storage.outbox`), which the outbox then delivers.

Done, failed and cancelled are only written over a job still queued or running, so whichever
comes first wins (a cancel racing completion, a failure after a restart's cancel) and the
others find the job settled: it is never delivered and refunded both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.core.accounts import Accounts
from bot.core.describe_results import ALL_BANNED, DescribeResults
from bot.core.requests import Origin
from bot.core.safety import ImageSafety, SafetyUnavailable
from engine.job import Finished
from i18n import Message, t
from i18n.stored import english_and_json
from storage.images import ImageStore
from storage.outbox import FINAL
from storage.store import AsyncStore, JobStatus, Store


class Endings:
    def __init__(
        self,
        store: AsyncStore,
        images: ImageStore,
        accounts: Accounts,
        safety: ImageSafety,
        described: DescribeResults,
    ) -> None:
        self.store = store
        self.images = images
        self.accounts = accounts
        self.safety = safety
        self.described = described  # a describe's prompts, where a drawing has its images

    async def end(
        self,
        job_id: str,
        status: JobStatus,
        refund: float,
        *,
        error: Message | None = None,
        detail: str | None = None,
    ) -> bool:
        """Fail or cancel a queued or running job, with its refund and the final reply it owes,
        in one transaction; False if it had ended another way. A failure keeps `error` for
        users (English, and the message for their language) and `detail` for the operator."""
        day = self.accounts.day()
        reason = "job failed" if status is JobStatus.FAILED else "job cancelled"
        why = english_and_json(error or t("failed"))

        def write(s: Store) -> bool:
            with s.transaction():
                if status is JobStatus.FAILED:
                    ended = s.jobs.mark_failed(job_id, *why, detail)
                else:
                    ended = s.jobs.mark_cancelled(job_id)
                if ended:
                    s.credits.refund(job_id, day, refund, reason)
                    s.outbox.add(job_id, FINAL)
                return ended

        return await self.store.run(write)

    async def result(self, origin: Origin, job_id: str, event: Finished) -> bool:
        """Judge the images, then store them with what users may see, refunding withheld ones,
        in one transaction with the final reply owed; False if the job had ended another way.
        Nothing unchecked goes out: if the check fails, the job fails (and is refunded)."""
        row = await self.store.run(lambda s: s.jobs.get(job_id)) or {}
        name = row.get("display_name") or origin.user_id
        try:
            judged = await self.safety.judge(origin, name, job_id, event.images)
        except SafetyUnavailable as error:
            reason = t("{reason} The images were not shown.", reason=error.message)
            return await self.end(job_id, JobStatus.FAILED, 1.0, error=reason)
        saved = self.safety.save_result
        grid, rows, decisions = await asyncio.to_thread(saved, judged, event.images, event.seeds)
        day = self.accounts.day()

        def write(s: Store) -> bool:
            with s.transaction():
                done = s.jobs.mark_done(job_id, grid, rows, event.cancel_came_late)
                if done:
                    s.safety.record(decisions)
                    if judged.blocked_share:
                        reason = "images withheld by the safety check"
                        s.credits.refund(job_id, day, judged.blocked_share, reason)
                    s.outbox.add(job_id, FINAL)
                return done

        if await self.store.run(write):
            return True
        blurred = (decision.shown_path for decision in decisions if decision.shown_path)
        for path in (grid, *(row.path for row in rows), *blurred):  # it ended another way
            self.images.delete(path)
        return False

    async def describe(self, origin: Origin, job_id: str, candidates: Sequence[str]) -> bool:
        """A finished describe: its suggestions stored with `done` and the final reply owed,
        or, if every candidate is banned, failed and refunded; False if it had ended already."""
        suggestions = await self.described.suggestions(origin, job_id, candidates)
        if suggestions is None:
            return await self.end(job_id, JobStatus.FAILED, 1.0, error=ALL_BANNED)

        def write(s: Store) -> bool:
            with s.transaction():
                done = s.suggestions.mark_described(job_id, suggestions)
                if done:
                    s.outbox.add(job_id, FINAL)
                return done

        return await self.store.run(write)
