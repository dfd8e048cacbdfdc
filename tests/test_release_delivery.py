"""A moderator's /safety-release owes the job's new grid like a final reply: a platform that
fails the first send gets it on a retry, a restart before it got out delivers it after; two
releases of one job are owed apart, and both arrive."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import open_app
from bot.config import Settings
from bot.core.requests import Incoming, Origin, Reply, ReplyKind, SinkResponder
from storage.outbox import release_kind
from tests.fakes.faults import Fault, FaultPlan
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_updates import message_update
from tests.helpers import CaptureSink, tweak
from tests.telegram_harness import OWNER, draw, telegram, texts_to

pytestmark = pytest.mark.slow

FLAGGING = "tests.fakes.safety_scorer:FlaggingScorer"  # every image withheld


class FlakySink(CaptureSink):
    """A chat front end that can go down: while `down`, every send fails."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    async def send(self, origin: Origin, reply: Reply) -> None:
        if self.down:
            raise ConnectionError("the platform is down")
        await super().send(origin, reply)


async def release(app: Any, job_id: str, image: int) -> str:
    """/safety-release of one image of the job, typed by the owner at the console."""
    [decision] = [
        d
        for d in app.store.run_sync(lambda s: s.safety.job_decisions(job_id))
        if d.image_index == image
    ]
    sink, origin = CaptureSink(), Origin("console", "local", "alice")
    command = f"/safety-release --global {decision.id}"
    await app.service.handle(Incoming(origin, "Alice", text=command), SinkResponder(sink, origin))
    return sink.replies[-1].text


def owed(settings: Settings, job_id: str) -> list[dict[str, Any]]:
    from storage.store import Store

    store = Store(settings.db_path)
    try:
        rows = store.db["outbox"].rows_where("job_id = ?", [job_id], order_by="rowid")
        return [dict(row) for row in rows]
    finally:
        store.close()


async def test_releases_owed_over_a_restart_are_each_delivered_after_it(
    settings: Settings,
) -> None:
    settings = tweak(settings, "safety", scorer=FLAGGING)
    origin = Origin("discord", "chan-1", "77", "msg-5", "guild-9")
    # 1. The job is shown (all four images withheld); then the platform goes down and a
    #    moderator releases images 2 and 3 before the bot restarts.
    async with open_app(settings) as first:
        sink = FlakySink()
        first.service.register_sink("discord", sink)
        await first.service.start()
        [job_id] = await first.service.imagine(
            Incoming(origin, "Dc User"), "a boat --seed 3 --steps 1"
        )
        await first.service.wait(job_id)
        assert [r.kind for r in sink.replies if r.job_id == job_id][-1] is ReplyKind.RESULT
        sink.down = True
        for image in (2, 3):
            answer = await release(first, job_id, image)
            assert f"Released image {image} of job {job_id}" in answer
            assert "as soon as the chat can be reached" in answer
    kinds = [(row["kind"], row["sent_at"] is None) for row in owed(settings, job_id)]
    assert kinds[-2:] == [(release_kind(d), True) for d in _released(settings, job_id)]
    # 2. After the restart both grids go out, in order: the last one shows both images.
    async with open_app(settings) as second:
        sink = FlakySink()
        second.service.register_sink("discord", sink)
        await second.service.start()
        await second.service.wait(job_id)
    grids = [r for r in sink.replies if r.kind is ReplyKind.RESULT]
    assert [r.job_id for r in grids] == [job_id, job_id]
    assert "Images 1, 4 withheld" in grids[-1].text
    assert [label.label for label in grids[-1].buttons][:4] == ["U2", "U3", "V2", "V3"]
    assert sink.origins[-1] == origin
    assert all(row["sent_at"] for row in owed(settings, job_id))


async def test_a_release_the_platform_fails_at_first_is_delivered_once_on_a_retry(
    tg_settings: Settings, fake: FakeBotApi
) -> None:
    settings = tweak(tg_settings, "safety", scorer=FLAGGING)
    settings = tweak(settings, "delivery", retry_first_s=0.05, retry_max_s=0.5)
    async with open_app(settings) as app, telegram(app, settings) as bot:
        row = await draw(app, bot, message_update(OWNER, OWNER, "/mj a kite --seed 5 --steps 1"))
        job_id, message_id = row["id"], int(row["reply_message_id"])
        # The next edit of a message fails (a 502, nothing applied): the release's grid.
        fake.faults = FaultPlan(
            rate=1.0,
            limit=1,
            eligible=lambda method: method == "editMessageMedia",
            kinds=(Fault.ERROR_BEFORE,),
        )
        [decision] = [
            d
            for d in app.store.run_sync(lambda s: s.safety.job_decisions(job_id))
            if d.image_index == 1
        ]
        edits_before = len(fake.called("editMessageMedia"))
        await bot.feed(message_update(OWNER, OWNER, f"/safety_release {decision.id}"))
        await app.service.wait(job_id)  # until nothing of the job is owed any more
        grid_path = app.store.run_sync(lambda s: s.jobs.get(job_id))["grid_path"]
        stored = settings.images_dir / grid_path
        sent = owed(settings, job_id)[-1]

    assert [fault.route for fault in fake.faults.injected] == ["editMessageMedia"]
    assert "as soon as the chat can be reached" in texts_to(fake, OWNER)[-1]
    [regrid] = fake.called("editMessageMedia")[edits_before:]  # once, after the failed try
    assert regrid.params["message_id"] == str(message_id)
    shown = fake.message(OWNER, message_id)
    assert shown["photo"][0]["_bytes"] == stored.read_bytes()
    assert "Images 2, 3, 4 withheld" in shown["caption"]
    assert sent["kind"] == release_kind(decision.id) and sent["attempts"] == 1
    assert sent["sent_at"] is not None


def _released(settings: Settings, job_id: str) -> list[int]:
    from storage.store import Store

    store = Store(settings.db_path)
    try:
        decisions = store.safety.job_decisions(job_id)
        return sorted(d.id for d in decisions if d.released_at is not None)
    finally:
        store.close()
