"""Nothing acknowledged is lost: a new process over the same SQLite file finishes and delivers."""

from __future__ import annotations

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.app import open_app
from bot.core.requests import Incoming, Origin, ReplyKind
from tests.helpers import CaptureSink

pytestmark = pytest.mark.slow


Capture = CaptureSink


async def test_queued_and_running_jobs_finish_after_a_restart(settings) -> None:
    # 1. A bot that accepts jobs and then dies before its worker runs them.
    async with open_app(settings) as first:
        first.engine.stop()  # the worker is gone; submissions still persist and queue
        sink = Capture()
        adapter = ConsoleAdapter(first.service, "alice", "Alice", sink=sink)
        for prompt in ("a fox", "a hare", "an owl"):
            await adapter.submit_line(prompt, wait=False)
        for _ in range(20):  # let the acknowledgements out
            if sum(r.kind is ReplyKind.ACK for r in sink.replies) == 3:
                break
            import asyncio

            await asyncio.sleep(0.01)
        assert [r.kind for r in sink.replies].count(ReplyKind.ACK) == 3
        job_ids = [r.job_id for r in sink.replies if r.kind is ReplyKind.ACK]
        # One of them was on the GPU when the process died.
        first.store.run_sync(lambda s: s.jobs.mark_running(job_ids[0], f"{job_ids[0]}:1"))
    statuses = _statuses(settings, job_ids)
    assert statuses == ["running", "queued", "queued"]

    # 2. A new process over the same database picks them up, in order, and delivers each once.
    async with open_app(settings) as second:
        sink = Capture()
        ConsoleAdapter(second.service, "alice", "Alice", sink=sink)
        await second.service.start()
        for job_id in job_ids:
            await second.service.wait(job_id)
    results = [r.job_id for r in sink.replies if r.kind is ReplyKind.RESULT]
    assert sorted(results) == sorted(job_ids) and len(results) == 3
    assert any("back after a restart" in r.text for r in sink.replies if r.kind is ReplyKind.ACK)
    assert _statuses(settings, job_ids) == ["done"] * 3
    rows = [_row(settings, job_id) for job_id in job_ids]
    assert all(row["delivered_at"] for row in rows)
    assert rows[0]["attempts"] == 2  # ran once before (interrupted) and once after

    # 3. A third start has nothing left to resume or deliver.
    async with open_app(settings) as third:
        sink = Capture()
        ConsoleAdapter(third.service, "alice", "Alice", sink=sink)
        await third.service.start()
        assert third.service.pending_job_ids() == [] and sink.replies == []


async def test_a_result_finished_while_its_adapter_was_away_is_delivered_later(settings) -> None:
    origin = Origin("discord", "chan-1", "77", "msg-5", "guild-9")
    async with open_app(settings) as first:
        # No discord adapter in this process: the job runs, but can't be delivered.
        [job_id] = await first.service.imagine(Incoming(origin, "Dc User"), "a boat")
        row = await first.service.wait(job_id)
        assert row["status"] == "done" and row["delivered_at"] is None
    async with open_app(settings) as second:
        sink = Capture()
        second.service.register_sink("discord", sink)
        await second.service.remember_reply_message(job_id, "our-msg-1")
        await second.service.start()
        assert [(r.kind, r.job_id) for r in sink.replies] == [(ReplyKind.RESULT, job_id)]
        assert sink.origins == [origin]  # the same chat, user, message and server as before
        assert await second.service.reply_message(job_id) == "our-msg-1"
    assert _row(settings, job_id)["delivered_at"] is not None


async def test_jobs_taken_before_the_core_started_are_not_resumed_twice(settings) -> None:
    """Front ends listen before `service.start()` (which resumes a previous run's jobs): a job
    a user sent in between is this run's, queued once, delivered once; start does not fail."""
    async with open_app(settings) as app:
        sink = Capture()
        adapter = ConsoleAdapter(app.service, "alice", "Alice", sink=sink)
        incoming = Incoming(adapter.origin, "Alice")
        [done] = await app.service.imagine(incoming, "a quick hare --steps 1")
        [early] = await app.service.imagine(incoming, "a slow fox --steps 8")
        await app.service.wait(done)  # finished and delivered before the core started
        await app.service.start()
        for job_id in (early, done):
            await app.service.wait(job_id)
    results = [r.job_id for r in sink.replies if r.kind is ReplyKind.RESULT]
    assert sorted(results) == sorted([early, done])
    assert not any("back after a restart" in r.text for r in sink.replies)
    assert all(_row(settings, job_id)["attempts"] == 1 for job_id in (early, done))


def _row(settings, job_id: str) -> dict:
    from storage.store import Store

    store = Store(settings.db_path)
    try:
        return store.jobs.get(job_id)
    finally:
        store.close()


def _statuses(settings, job_ids: list[str]) -> list[str]:
    return [_row(settings, job_id)["status"] for job_id in job_ids]
