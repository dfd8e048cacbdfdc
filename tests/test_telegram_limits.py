"""Telegram's limits met by the bot, against the strict fake Bot API: long captions, button
presses answered too late, users who blocked the bot, groups that became supergroups while a job
ran, identical edits, flood control in a chat with several jobs."""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.app import open_app
from bot.core.requests import Origin, Reply, ReplyKind
from i18n import verbatim
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_rules import utf16_len
from tests.fakes.telegram_updates import callback_update, message_update
from tests.helpers import until
from tests.telegram_harness import (
    ALICE,
    MemoryMessages,
    bare_sink,
    draw,
    keyboard_of,
    progress,
    result,
    telegram,
    texts_to,
)

pytestmark = pytest.mark.slow

OLD_GROUP, SUPERGROUP = -4001, -1004001


async def test_a_long_prompt_keeps_its_caption_within_1024_with_seed_and_job_id(
    tg_app, tg_settings, fake: FakeBotApi
) -> None:
    prompt = "a lighthouse on a cliff, " * 50 + "--no " + "fog, " * 40 + "--seed 9"
    async with telegram(tg_app, tg_settings) as bot:
        row = await draw(tg_app, bot, message_update(ALICE, ALICE, f"/mj {prompt}"))
    grid = fake.message(ALICE, int(row["reply_message_id"]))
    assert utf16_len(grid["caption"]) <= 1024 and grid["caption"].endswith(f"(job {row['id']})")
    assert "--seed 9" in grid["caption"] and len(keyboard_of(grid)) == 3
    assert not fake.refused("sendPhoto", "editMessageMedia", "editMessageCaption")


async def test_a_press_answered_hours_late_still_draws_and_says_so_in_the_chat(
    tg_settings, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_app(tg_settings) as first, telegram(first, tg_settings) as bot:
        row = await draw(first, bot, message_update(ALICE, ALICE, "/mj a lighthouse"))
    grid = fake.message(ALICE, int(row["reply_message_id"]))
    press = callback_update(fake, ALICE, grid, f"mj:reroll:{row['id']}")
    fake.clock.advance(3 * 3600)  # the bot was down; Telegram kept the update
    async with open_app(tg_settings) as second, telegram(second, tg_settings) as bot:
        await second.service.start()
        again = await draw(second, bot, press)
    [stale] = fake.refused("answerCallbackQuery")  # "query is too old ..."
    assert stale.status == 400
    assert again["action"] == "reroll" and again["status"] == "done"
    assert any(f"Job {again['id']} accepted" in text for text in texts_to(fake, ALICE))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("leave", ["blocked", "gone"])
async def test_a_chat_lost_mid_job_ends_the_job_keeps_its_charge_and_is_never_retried(
    tg_settings, fake: FakeBotApi, leave: str, caplog: pytest.LogCaptureFixture
) -> None:
    chat = ALICE if leave == "blocked" else OLD_GROUP  # a user blocks; a group is deleted
    fake.after("sendMessage", lambda: getattr(fake, leave).add(chat))  # after the ack
    async with open_app(tg_settings) as first, telegram(first, tg_settings) as bot:
        row = await draw(first, bot, message_update(chat, ALICE, "/mj a lighthouse"))
        entries = first.store.run_sync(
            lambda s: list(s.db["ledger"].rows_where("job_id = ?", [row["id"]]))
        )
    assert row["status"] == "done" and row["delivered_at"]  # nothing left owed
    assert [entry["kind"] for entry in entries] == ["debit"]  # drawn, so kept (see README)

    def to_chat() -> list[int]:
        return [call.status for call in fake.calls if call.params.get("chat_id") == str(chat)]

    tries = to_chat()
    async with open_app(tg_settings) as second, telegram(second, tg_settings):
        await second.service.start()  # a restart delivers what is owed: nothing here
    assert to_chat() == tries and tries[0] == 200  # the acknowledgement, then refusals
    assert set(tries[1:]) == {403 if leave == "blocked" else 400}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("abandoned" in r.getMessage() for r in caplog.records)


async def test_a_group_upgraded_to_a_supergroup_mid_job_gets_its_result_there(
    tg_app, tg_settings, fake: FakeBotApi
) -> None:
    fake.after("sendMessage", lambda: fake.migrate(OLD_GROUP, SUPERGROUP))  # after the ack
    async with telegram(tg_app, tg_settings) as bot:
        row = await draw(tg_app, bot, message_update(OLD_GROUP, ALICE, "/mj a harbour at dawn"))
    moved = tg_app.store.run_sync(lambda s: s.jobs.get(row["id"]))
    assert (moved["chat_id"], moved["scope_id"]) == (str(SUPERGROUP), str(SUPERGROUP))
    grid = fake.message(SUPERGROUP, int(moved["reply_message_id"]))
    assert row["id"] in grid["caption"] and len(keyboard_of(grid)) == 3
    old_chat = [m for (chat, _), m in fake.messages.items() if chat == OLD_GROUP]
    assert [m["text"] for m in old_chat] == [texts_to(fake, OLD_GROUP)[0]]  # the ack only
    migrated = [c for c in fake.calls if c.status == 400 and c.params["chat_id"] == str(OLD_GROUP)]
    assert len(migrated) == 1  # learned once; nothing was sent to the old id again


async def test_the_upgrade_notice_moves_the_groups_banned_terms(
    tg_app, tg_settings, fake: FakeBotApi
) -> None:
    fake.admins[OLD_GROUP] = [ALICE]
    async with telegram(tg_app, tg_settings) as bot:
        await bot.feed(message_update(OLD_GROUP, ALICE, "/ban_term zeppelin"))
        await bot.feed(message_update(SUPERGROUP, ALICE, "", migrate_from_chat_id=OLD_GROUP))
        await bot.feed(message_update(SUPERGROUP, ALICE, "/mj a zeppelin over Paris"))
    [refusal] = texts_to(fake, SUPERGROUP)
    assert refusal.startswith("Not drawn") and "zeppelin" in refusal
    assert tg_app.store.run_sync(lambda s: s.db["jobs"].count) == 0


async def test_a_grid_over_ten_megabytes_is_re_encoded_for_an_edit_and_a_new_photo(
    tg_settings, fake: FakeBotApi, tmp_path: Path
) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    big = tmp_path / "grid.png"
    Image.fromarray(noise).save(big, compress_level=1)  # noise does not compress: ~12 MB
    origin = Origin("telegram", str(ALICE), str(ALICE), "7")
    grid = Reply(ReplyKind.RESULT, verbatim("a noisy grid (job j4)"), "j4", image_path=big)
    async with bare_sink(tg_settings, every_s=0.05) as sink:
        await sink.send(
            origin, Reply(ReplyKind.ACK, verbatim("Job j4 accepted"), "j4", position=1)
        )
        await sink.send(origin, progress("j4", 50))  # the preview the grid replaces
        await until(lambda: fake.called("editMessageMedia"))
        await sink.send(origin, grid)
        await sink.posts.send_result(origin, replace(grid, job_id="j5"))  # /show: a new photo
    uploads = [call.files for call in fake.called("editMessageMedia", "sendPhoto")[1:]]
    assert len(uploads) == 2 and not [call for call in fake.calls if call.status != 200]
    for files in uploads:
        [data] = files.values()
        assert len(data) <= 10_000_000 < big.stat().st_size and data[:3] == b"\xff\xd8\xff"


async def test_identical_edits_after_a_restart_are_taken_as_shown_and_never_repeated(
    tg_settings, fake: FakeBotApi
) -> None:
    origin = Origin("telegram", str(ALICE), str(ALICE), "7")
    status = Reply(ReplyKind.PROGRESS, verbatim("Job j3: 40%"), "j3", percent=40)
    failed = Reply(ReplyKind.ERROR, verbatim("Job j3 failed: the GPU ran out of memory"), "j3")
    messages = MemoryMessages()
    async with bare_sink(tg_settings, every_s=0.05, messages=messages) as sink:
        await sink.send(
            origin, Reply(ReplyKind.ACK, verbatim("Job j3 accepted"), "j3", position=1)
        )
        await sink.send(origin, progress("j3", 40))
        await until(lambda: fake.called("editMessageMedia"))  # the job's message shows 40 %
    # Restarted: the job's message already says 40 %, and the worker says so again and again.
    async with bare_sink(tg_settings, every_s=0.05, messages=messages) as sink:
        for _ in range(3):
            await sink.send(origin, status)
            edit = sink._views["j3"].task  # waits for the chat's turn, then edits (or not)
            assert edit is not None
            await edit
        await sink.send(origin, failed)
    # Restarted before the failure was marked delivered: it is sent once more.
    async with bare_sink(tg_settings, every_s=0.05, messages=messages) as sink:
        await sink.send(origin, failed)
    [photo] = [m for m in fake.messages.values() if "photo" in m]
    assert photo["caption"] == failed.text
    assert len(fake.refused("editMessageCaption")) == 2  # the first repeat and the redelivery
    assert texts_to(fake, ALICE) == ["Job j3 accepted"]  # no second copy of the failure


async def test_several_jobs_in_one_chat_share_its_pace_and_meet_no_flood_control(
    tg_settings, fake: FakeBotApi, tmp_path
) -> None:
    origin = Origin("telegram", str(ALICE), str(ALICE), "7")
    jobs = [f"j{i}" for i in range(4)]
    async with bare_sink(tg_settings, every_s=1.0) as sink:  # Telegram's pace in a private chat
        for job in jobs:
            await sink.send(
                origin, Reply(ReplyKind.ACK, verbatim(f"Job {job} accepted"), job, position=1)
            )
        for percent in range(1, 36):  # four jobs drawing together for 3.5 s (a GPU batch)
            for job in jobs:
                await sink.send(origin, progress(job, percent))
            await asyncio.sleep(0.1)
        for job in jobs:
            await sink.send(origin, result(job, tmp_path / f"{job}.png"))
    flooded = [call for call in fake.calls if call.status == 429]
    assert not flooded, [(c.method, round(c.at - fake.calls[0].at, 2)) for c in flooded]
    previews = fake.called("sendPhoto", "editMessageMedia")[:-4]
    times = [call.at for call in previews]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(times))  # one a second, all jobs
    shown = [m for m in fake.messages.values() if "photo" in m]
    assert sorted(m["caption"] for m in shown) == [f"a fox --seed 1 (job {job})" for job in jobs]
