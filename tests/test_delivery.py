"""Delivery and charging in the core: refusals are not jobs, a cancel racing completion ends the
job one way, failures say what was refunded, and retries back off together within a minute."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import i18n
from bot.adapters.console import ConsoleAdapter
from bot.app import build_checker
from bot.config import Settings
from bot.core import render
from bot.core.errors import MjError, QueueFull
from bot.core.outbox import FINAL, Item, Outbox, backoff
from bot.core.requests import Incoming, Origin, Reply, ReplyKind
from bot.core.service import MjService
from bot.core.settings import DeliverySettings
from engine.dispatcher import Engine
from engine.executor import Outcome
from engine.job import Progress
from engine.worker import LocalPool, LocalWorker, local_engine
from i18n import Lang, t
from storage.images import ImageStore
from storage.store import AsyncStore
from tests.helpers import TINY_ENV, CaptureSink, SizesOnly, until

RACER = Origin("api", "key", "racer")


class AdmitsEverything(Engine):
    """An engine whose queue refuses at submit what its admission check let through (as a
    remote queue might, filled by another dispatcher in between)."""

    def check_admission(self, user_key: str, max_waiting: int | None = None) -> None:
        return None


async def core(
    tmp_path: Path, engine: Engine, safety_checker: Any = None
) -> AsyncIterator[tuple[MjService, AsyncStore]]:
    """A core whose users may have one job waiting, over `engine` (one that never runs, unless
    a test draws: then with the image safety check it must pass)."""
    env = {**TINY_ENV, "MJ_DATA_DIR": str(tmp_path), "MJ_TIERS": "free=100/1/1"}
    settings = Settings.from_env(env)
    store = AsyncStore(settings.db_path)
    images = ImageStore(settings.images_dir)
    service = MjService(settings.core, store, engine, images, safety_checker=safety_checker)
    try:
        yield service, store
    finally:
        await service.close()
        engine.stop()
        store.close()


def jobs_and_ledger(store: AsyncStore) -> tuple[int, list[str]]:
    def read(s: Any) -> tuple[int, list[str]]:
        return s.db["jobs"].count, [row["kind"] for row in s.db["ledger"].rows]

    return store.run_sync(read)


async def test_two_requests_racing_for_the_last_place_make_one_job_and_one_refusal(
    tmp_path: Path,
) -> None:
    async for service, store in core(tmp_path, local_engine(SizesOnly())):
        asks = (service.imagine(Incoming(RACER, "Racer"), f"a lamp {n}") for n in range(2))
        answers = await asyncio.gather(*asks, return_exceptions=True)
        refused = [answer for answer in answers if isinstance(answer, QueueFull)]
        assert len(refused) == 1 and "1 jobs waiting" in str(refused[0])
        # The refusal left nothing behind: no failed job row, no debit and refund.
        assert jobs_and_ledger(store) == (1, ["debit"])


async def test_a_job_the_queue_refuses_after_admission_never_happened(tmp_path: Path) -> None:
    backend = SizesOnly()
    async for service, store in core(
        tmp_path, AdmitsEverything(LocalPool(backend), backend.profile)
    ):
        await service.imagine(Incoming(RACER, "Racer"), "a lamp")
        with pytest.raises(QueueFull, match="1 jobs waiting"):
            await service.imagine(Incoming(RACER, "Racer"), "another lamp")
        assert jobs_and_ledger(store) == (1, ["debit"])


class CancelsAtTheLastStep(CaptureSink):
    """The console's sink, whose user types /cancel as the last step's progress shows."""

    def __init__(self) -> None:
        super().__init__()
        self.service: MjService | None = None
        self.refusals: list[str] = []

    async def send(self, origin: Origin, reply: Reply) -> None:
        await super().send(origin, reply)
        if reply.kind is ReplyKind.PROGRESS and reply.percent == 100 and self.service:
            try:
                await self.service.cancel(origin, reply.job_id or "")
            except MjError as refused:
                self.refusals.append(str(refused))


async def test_a_cancel_after_the_last_step_is_too_late_the_job_is_delivered_and_paid(
    app,
) -> None:
    sink = CancelsAtTheLastStep()
    adapter = ConsoleAdapter(app.service, "alice", "Alice", sink=sink)
    sink.service = app.service
    await adapter.submit_line("a fox at dusk --steps 2")
    [job_id] = {reply.job_id for reply in sink.replies if reply.job_id}
    row = await app.service.wait(job_id)
    assert sink.refusals == [f"Job {job_id} has finished drawing; its result is on its way."]
    assert row["status"] == "done" and row["delivered_at"]
    assert [reply.kind for reply in sink.replies].count(ReplyKind.RESULT) == 1
    assert not [reply for reply in sink.replies if "cancelled" in reply.text]
    kinds = app.store.run_sync(
        lambda s: [r["kind"] for r in s.db["ledger"].rows_where("job_id = ?", [job_id])]
    )
    assert kinds == ["debit"]  # delivered and charged: one way only


class HearsCancelsLate(LocalWorker):
    """A remote worker in miniature: the real drawing, but a cancel reaches it only after its
    last step (the dispatcher accepted it halfway, while the news was on its way)."""

    def __init__(self, backend: Any) -> None:
        super().__init__(backend)
        self.halfway = threading.Event()
        self.go_on = threading.Event()

    def draw(self, jobs: Any, emit: Any) -> Outcome:
        def paced(event: Any) -> None:
            emit(event)
            if isinstance(event, Progress) and event.step == 1:
                self.halfway.set()
                self.go_on.wait(30)

        unheard = [replace(job, cancelled=threading.Event()) for job in jobs]
        return super().draw(unheard, paced)


class LatePool(LocalPool):
    def __init__(self, worker: HearsCancelsLate) -> None:
        self._worker = worker


async def test_a_cancel_a_remote_worker_heard_too_late_is_explained_under_the_result(
    tmp_path: Path, app
) -> None:
    worker = HearsCancelsLate(app.backend)
    engine = Engine(LatePool(worker), app.backend.profile)
    engine.start()
    async for service, store in core(tmp_path, engine, build_checker(app.settings)):
        origin = Origin("console", "local", "alice")
        [job_id] = await service.imagine(Incoming(origin, "Alice"), "a fox at dusk --steps 2")
        await asyncio.to_thread(worker.halfway.wait, 30)
        await service.cancel(origin, job_id)  # accepted: one step of two had run
        worker.go_on.set()
        row = await service.wait(job_id)
        assert row["status"] == "done" and row["cancel_came_late"] == 1, (
            row["error"],
            row["error_detail"],
        )
        reply = await service.delivery.result_reply(row, None)
        assert "Your cancel came too late" in i18n.render(reply.message)
        assert "太晚" in i18n.render(reply.message, Lang.ZH_HANS)
        assert jobs_and_ledger(store) == (1, ["debit"])  # delivered and charged, once


@pytest.mark.parametrize(
    ("charged", "refunded", "said"),
    [
        (1, 1, "Its 1 credit was refunded."),
        (2.5, 2.5, "Its 2.5 credits were refunded."),
        (2, 1.5, "1.5 of its 2 credits refunded, for the steps that did not run."),
        (1, 0, "Nothing was refunded: every step had run (1 credit)."),
    ],
    ids=["all-of-one", "all-of-several", "the-unrun-part", "nothing"],
)
def test_failure_and_cancel_messages_say_what_was_refunded(
    charged: float, refunded: float, said: str
) -> None:
    cancelled = render.cancelled_text("k7x2", charged, refunded)
    assert i18n.render(cancelled) == f"Job k7x2 cancelled. {said}"
    failed = render.failed_text("k7x2", t("The GPU ran out of memory."), charged, refunded)
    assert i18n.render(failed) == f"Job k7x2 failed: The GPU ran out of memory. {said}"
    # In Chinese too, with the amounts in place.
    for lang in (Lang.ZH_HANS, Lang.ZH_HANT):
        shown = i18n.render(cancelled, lang)
        assert shown != i18n.render(cancelled) and "k7x2" in shown and f"{charged:g}" in shown


def test_retries_double_and_never_wait_longer_than_the_cap() -> None:
    assert [backoff(n, 1.0, 30.0) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff(10**6, 1.0, 30.0) == 30.0  # no overflow after a long outage
    jittered = [backoff(n, 1.0, 30.0, jitter) for n in range(1, 60) for jitter in (0.3, 0.99)]
    assert max(jittered) <= 30.0 and min(jittered) >= 0.75


async def test_while_a_platform_fails_its_retries_wait_together(tmp_path: Path) -> None:
    store = AsyncStore(tmp_path / "x.db")
    jobs = ("a", "b", "c")

    def owed(s: Any) -> None:
        user = s.users.upsert("chat", "u", "U")
        for job_id in jobs:
            s.jobs.insert({"id": job_id, "user_id": user, "platform": "chat"})
            s.outbox.add(job_id, FINAL)

    store.run_sync(owed)
    clock, calls, settled, down = [100.0], [], [], [True]

    def attempts() -> list[int]:
        return store.run_sync(lambda s: [s.outbox.get(j, FINAL)["attempts"] for j in jobs])

    async def send(item: Item, respond: Any) -> None:
        calls.append(item.job_id)
        if down[0]:
            raise ConnectionError("502 Bad Gateway")

    async def done(job_id: str) -> None:
        settled.append(job_id)

    outbox = Outbox(
        DeliverySettings(retry_first_s=1.0, retry_max_s=30.0),
        store,
        send,
        lambda platform: True,
        done,
        monotonic=lambda: clock[0],
        jitter=lambda: 0.0,
    )
    try:
        for job_id in jobs:
            await outbox.deliver(Item(job_id, FINAL, "chat"))
        assert calls == ["a"]  # b and c wait for the platform with a: no request each
        clock[0] = 101.0  # a's retry is due: one request, for the item due first
        outbox.connect("chat")
        await until(lambda: attempts() == [2, 0, 0])
        assert calls == ["a", "a"] and not settled
        down[0], clock[0] = False, 103.0  # the platform is back when a's next try is due
        outbox.connect("chat")
        await until(lambda: len(settled) == 3)
        assert sorted(calls[2:]) == ["a", "b", "c"] and attempts() == [2, 0, 0]
    finally:
        await outbox.close()
        store.close()
