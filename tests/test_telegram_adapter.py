"""The Telegram adapter end to end: python-telegram-bot over HTTP against a fake Bot API.

Updates are real Bot API JSON turned into `Update`s (as PTB's own tests build them) and fed to
`Application.process_update`; replies travel through PTB (rate limiter, multipart uploads) to
`tests/fakes/telegram_api.py`, which records each call and what each chat would show. Jobs run
on the tiny pipeline.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from PIL import Image

from bot.adapters.telegram_adapter import ALLOWED_UPDATES, TelegramAdapter
from bot.adapters.telegram_front_end import build_application
from bot.adapters.telegram_webhook import SECRET_HEADER, serve_webhook
from bot.app import open_app
from bot.config import Settings
from bot.core.requests import Origin, Reply, ReplyKind
from bot.runner import serve_app
from i18n import verbatim
from tests.fakes.faults import Fault, FaultPlan
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_updates import callback_update, message_update, photo_update
from tests.helpers import tweak, until
from tests.telegram_harness import (
    ALICE,
    BOB,
    GROUP,
    OWNER,
    bare_sink,
    draw,
    keyboard_of,
    progress,
    result,
    telegram,
    texts_to,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def app(tg_app: Any) -> Any:
    """The shared tiny-model app, configured like the adapter (owners, token, pacing)."""
    return tg_app


# /mj --------------------------------------------------------------------------------------
async def test_mj_in_a_private_chat_ends_in_one_grid_with_nine_buttons(app, tg_settings, fake):
    update = message_update(ALICE, ALICE, "/mj a red fox --seed 7")
    async with telegram(app, tg_settings) as bot:
        row = await draw(app, bot, update)

    assert row["status"] == "done" and row["delivered_at"] is not None
    ack, notice = fake.called("sendMessage")
    assert f"Job {row['id']} accepted" in ack.params["text"]
    assert ack.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    # One message shows the job: the acknowledgement, edited into previews and the grid.
    assert not fake.called("sendPhoto")
    grid = fake.message(ALICE, int(row["reply_message_id"]))
    assert grid["reply_to"] == update["message"]["message_id"] and "text" not in grid
    assert [[b["text"] for b in r] for r in keyboard_of(grid)] == [
        ["U1", "U2", "U3", "U4"],
        ["V1", "V2", "V3", "V4"],
        ["🔄", "🗑"],
    ]
    data = [b["callback_data"] for r in keyboard_of(grid) for b in r]
    assert data[0] == f"mj:U1:{row['id']}" and data[-2] == f"mj:reroll:{row['id']}"
    assert all(len(d.encode()) <= 64 for d in data)
    assert "a red fox" in grid["caption"] and "--seed 7" in grid["caption"]
    stored = (tg_settings.images_dir / row["grid_path"]).read_bytes()
    assert grid["photo"][0]["_bytes"] == stored  # the grid itself (it fits in 10 MB)
    # An edit notifies nobody: a short notice under the grid does.
    assert notice.params["text"] == f"🔔 Job {row['id']} is done: a red fox"
    assert notice.params["reply_parameters"]["message_id"] == grid["message_id"]


async def test_mj_addressed_to_the_bot_in_a_group_edits_its_preview_into_the_grid(
    app, tg_settings, fake
):
    # No pacing: every step's preview is shown, so the message is edited several times.
    settings = tweak(tg_settings, "telegram", edit_every_s_group=0)
    async with telegram(app, settings) as bot:
        await bot.feed(message_update(GROUP, BOB, "/mj@OtherBot a castle"))  # not ours
        assert fake.calls[-1].method == "getMe" and app.service.pending_job_ids() == []
        row = await draw(app, bot, message_update(GROUP, BOB, "/mj@MjTestBot a castle"))

    assert not fake.called("sendPhoto")
    edits = fake.called("editMessageMedia")
    assert len(edits) >= 2  # at least one preview, then the result
    assert {c.params["message_id"] for c in edits} == {str(row["reply_message_id"])}
    assert "reply_markup" not in edits[0].params and "reply_markup" in edits[-1].params
    grid = fake.message(GROUP, int(row["reply_message_id"]))
    assert len(keyboard_of(grid)) == 3 and row["id"] in grid["caption"]
    origin = app.store.run_sync(lambda s: s.jobs.get(row["id"]))
    assert (origin["chat_id"], origin["platform_user_id"]) == (str(GROUP), str(BOB))
    # In a group the notice mentions the user (a link to them, whatever their name).
    notice = fake.called("sendMessage")[-1]
    assert notice.params["text"].startswith(f'<a href="tg://user?id={BOB}">🔔</a> Job ')
    assert notice.params["parse_mode"] == "HTML"
    assert notice.params["reply_parameters"]["message_id"] == int(row["reply_message_id"])


async def test_a_photo_with_a_mj_caption_is_the_image_prompt_and_u1_upscales(
    app, tg_settings, fake
):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "orange").save(buffer, format="JPEG")
    fake.user_files["p1"] = buffer.getvalue()
    async with telegram(app, tg_settings) as bot:
        await bot.feed(photo_update(GROUP, ALICE, "/mj@OtherBot make it blue"))  # not ours
        row = await draw(app, bot, photo_update(ALICE, ALICE, "/mj make it blue --iw 3"))
        grid = fake.message(ALICE, int(row["reply_message_id"]))
        upscale = await draw(app, bot, callback_update(fake, ALICE, grid, f"mj:U1:{row['id']}"))

    assert [c.params["file_id"] for c in fake.called("getFile")] == ["p1"]
    assert texts_to(fake, GROUP) == []
    spec = json.loads(row["spec_json"])
    assert row["status"] == "done" and spec["strength"] == 0.25  # --iw 3
    with Image.open(tg_settings.images_dir / spec["init_image"]) as start:
        assert start.size == (64, 64)
    assert (upscale["action"], upscale["parent_image"]) == ("upscale", 1)
    assert (upscale["width"], upscale["height"]) == (128, 128)
    shown = fake.message(ALICE, int(upscale["reply_message_id"]))
    assert [[b["text"] for b in r] for r in keyboard_of(shown)] == [
        ["Vary (Subtle)", "Vary (Strong)", "Vary (Region)", "Upscale 2×"],
        ["Zoom Out 2×", "Zoom Out 1.5×", "Custom Zoom", "⬅️"],
        ["➡️", "⬆️", "⬇️", "🗑"],
    ]
    data = [b["callback_data"] for r in keyboard_of(shown) for b in r]
    codes = ("VS", "VX", "VR", "U2X", "ZO2", "ZO15", "ZOC", "PL", "PR", "PU", "PD", "DEL")
    assert data == [f"mj:{a}:{upscale['id']}" for a in codes]
    assert all(len(d.encode()) <= 64 for d in data)


async def test_pan_from_an_upscale_then_delete_it(app, tg_settings, fake):
    async with telegram(app, tg_settings) as bot:
        row = await draw(app, bot, message_update(ALICE, ALICE, "/mj a quay --seed 4"))
        grid = fake.message(ALICE, int(row["reply_message_id"]))
        upscale = await draw(app, bot, callback_update(fake, ALICE, grid, f"mj:U3:{row['id']}"))
        shown = fake.message(ALICE, int(upscale["reply_message_id"]))
        pan = await draw(app, bot, callback_update(fake, ALICE, shown, f"mj:PR:{upscale['id']}"))
        result = fake.message(ALICE, int(pan["reply_message_id"]))
        await bot.feed(callback_update(fake, ALICE, result, f"mj:DEL:{pan['id']}"))
        await bot.feed(callback_update(fake, ALICE, shown, f"mj:VR:{upscale['id']}"))
    assert (pan["action"], pan["parent_id"], pan["parent_image"]) == ("pan", upscale["id"], 1)
    assert pan["width"] > pan["height"] and pan["status"] == "done"
    assert [c.params["message_id"] for c in fake.called("deleteMessage")] == [
        str(result["message_id"])
    ]
    assert (ALICE, result["message_id"]) not in fake.messages
    offer = fake.called("sendMessage")[-1]
    assert f"/region {upscale['id']} 4 5 6" in offer.params["text"]
    cells = [b["text"] for r in offer.params["reply_markup"]["inline_keyboard"] for b in r]
    assert cells == [str(cell) for cell in range(1, 10)]


async def thirds_keyboard(app, bot, fake, text: str, image: int) -> tuple[dict, dict]:
    """Draw `text`, upscale its image, press Vary (Region): the upscale and the keyboard."""
    row = await draw(app, bot, message_update(ALICE, ALICE, text))
    grid = fake.message(ALICE, int(row["reply_message_id"]))
    press = callback_update(fake, ALICE, grid, f"mj:U{image}:{row['id']}")
    upscale = await draw(app, bot, press)
    shown = fake.message(ALICE, int(upscale["reply_message_id"]))
    await bot.feed(callback_update(fake, ALICE, shown, f"mj:VR:{upscale['id']}"))
    return upscale, fake.message(ALICE, max(m for (_, m) in fake.messages))


async def test_vary_region_by_toggling_thirds(app, tg_settings, fake):
    async with telegram(app, tg_settings) as bot:
        upscale, offer = await thirds_keyboard(app, bot, fake, "/mj a pond --seed 5", 2)
        middle = keyboard_of(offer)[1][1]
        assert middle["callback_data"] == f"mj:RG16:{upscale['id']}"
        await bot.feed(callback_update(fake, ALICE, offer, middle["callback_data"]))
        toggled = fake.message(ALICE, offer["message_id"])
        assert keyboard_of(toggled)[1][1]["text"] == "✅ 5"
        go = keyboard_of(toggled)[-1][0]["callback_data"]
        region = await draw(app, bot, callback_update(fake, ALICE, toggled, go))
    assert (region["action"], region["parent_id"]) == ("vary_region", upscale["id"])
    assert json.loads(region["action_json"])["regions"] == [5]


async def test_a_photo_that_is_not_an_image_is_refused_and_costs_nothing(app, tg_settings, fake):
    fake.user_files["junk"] = b"this is not a picture" * 10
    async with telegram(app, tg_settings) as bot:
        await bot.feed(photo_update(ALICE, ALICE, "/mj make it blue", file_id="junk"))
        await bot.feed(photo_update(ALICE, ALICE, "/mj make it red", file_id="missing"))
    invalid, missing = texts_to(fake, ALICE)
    assert "not a valid PNG" in invalid and "could not be fetched from Telegram" in missing
    assert app.store.run_sync(lambda s: (s.db["jobs"].count, s.db["ledger"].count)) == (0, 0)


async def test_an_edited_mj_message_does_not_draw_again(app, tg_settings, fake):
    update = message_update(ALICE, ALICE, "/mj a boat")
    update["edited_message"] = update.pop("message")
    async with telegram(app, tg_settings) as bot:
        await bot.feed(update)
    assert app.service.pending_job_ids() == [] and fake.called("sendMessage") == []


async def test_a_blocked_prompt_is_answered_under_the_message_and_queues_nothing(
    app, tg_settings, fake
):
    update = message_update(GROUP, BOB, "/mj a nude portrait")
    async with telegram(app, tg_settings) as bot:
        await bot.feed(update)
    [reply] = fake.called("sendMessage")
    assert reply.params["text"].startswith("Not drawn") and "nude" in reply.params["text"]
    assert reply.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert app.service.pending_job_ids() == []
    assert app.store.run_sync(lambda s: s.db["jobs"].count) == 0


# buttons ----------------------------------------------------------------------------------
async def test_reroll_works_after_the_bot_was_rebuilt(tg_settings, fake):
    async with open_app(tg_settings) as first, telegram(first, tg_settings) as bot:
        row = await draw(first, bot, message_update(ALICE, ALICE, "/mj a lighthouse"))
    grid = fake.message(ALICE, int(row["reply_message_id"]))
    reroll = keyboard_of(grid)[2][0]["callback_data"]

    # A new process: new engine, core and PTB Application over the same data directory.
    async with open_app(tg_settings) as second, telegram(second, tg_settings) as bot:
        await second.service.start()
        again = await draw(second, bot, callback_update(fake, ALICE, grid, reroll))

    assert again["action"] == "reroll" and again["parent_id"] == row["id"]
    assert again["status"] == "done" and again["seed"] != row["seed"]
    [answer] = fake.called("answerCallbackQuery")
    assert answer.params["show_alert"] == "false" and "text" not in answer.params  # accepted
    ack = next(c for c in fake.called("sendMessage") if again["id"] in c.params["text"])
    assert ack.params["reply_parameters"]["message_id"] == grid["message_id"]
    assert keyboard_of(fake.message(ALICE, int(again["reply_message_id"])))


async def test_a_result_whose_answer_was_lost_is_edited_again_after_a_restart(tg_settings, fake):
    # The result's edit is applied, then the connection drops; the process ends before its
    # retry is due. The next process edits the same message again: one grid, one notice.
    settings = tweak(tg_settings, "telegram", edit_every_s_private=600)  # no previews
    settings = tweak(settings, "delivery", retry_first_s=60.0, retry_max_s=60.0)
    fake.faults = FaultPlan(
        rate=1.0,
        eligible=lambda method: method == "editMessageMedia",
        kinds=(Fault.RESET,),
        limit=1,
    )
    async with open_app(settings) as first, telegram(first, settings) as bot:
        before = set(first.service.pending_job_ids())
        await bot.feed(message_update(ALICE, ALICE, "/mj a harbour"))
        [job_id] = set(first.service.pending_job_ids()) - before
        await until(lambda: fake.faults.injected)
        await until(
            lambda: first.store.run_sync(lambda s: s.outbox.get(job_id, "final")["attempts"])
        )

    async with open_app(settings) as second, telegram(second, settings):
        await second.service.start()  # delivers what the first process could not
        async with asyncio.timeout(60):
            delivered = await second.service.wait(job_id)
    assert delivered["delivered_at"] is not None
    grids = [
        m for m in fake.messages.values() if "reply_markup" in m and job_id in m.get("caption", "")
    ]
    assert [m["message_id"] for m in grids] == [int(delivered["reply_message_id"])]
    assert len(fake.called("editMessageMedia")) == 1  # the retry (the first was a reset)
    notices = [m for m in fake.messages.values() if m.get("text", "").startswith("🔔")]
    assert len(notices) == 1 and job_id in notices[0]["text"]


async def test_a_result_arrives_in_the_same_run_once_telegram_recovers(tg_settings, fake):
    settings = tweak(tg_settings, "telegram", edit_every_s_private=600)
    settings = tweak(settings, "delivery", retry_first_s=0.02, retry_max_s=0.1)
    fake.outage_after = "sendMessage"  # the acknowledgement gets out, then every call is 502
    async with open_app(settings) as app, telegram(app, settings) as bot:
        before = set(app.service.pending_job_ids())
        await bot.feed(message_update(ALICE, ALICE, "/mj a lighthouse"))
        [job_id] = set(app.service.pending_job_ids()) - before

        def attempts() -> int:
            owed = app.store.run_sync(lambda s: s.outbox.get(job_id, "final"))
            return owed["attempts"] if owed else 0

        await until(lambda: attempts() >= 3)  # three tries failed, the platform still down
        fake.outage_after = None  # Telegram is back
        async with asyncio.timeout(60):
            row = await app.service.wait(job_id)
    assert row["delivered_at"] and row["status"] == "done"
    grid = fake.message(ALICE, int(row["reply_message_id"]))
    assert len(keyboard_of(grid)) == 3 and job_id in grid["caption"]


async def test_a_click_by_someone_else_gets_an_alert_and_queues_nothing(app, tg_settings, fake):
    async with telegram(app, tg_settings) as bot:
        row = await draw(app, bot, message_update(GROUP, ALICE, "/mj a tree"))
        grid = fake.message(GROUP, int(row["reply_message_id"]))
        sent = len(fake.called("sendMessage", "sendPhoto"))
        await bot.feed(callback_update(fake, BOB, grid, f"mj:reroll:{row['id']}"))
        await bot.feed(callback_update(fake, ALICE, grid, f"mj:U9:{row['id']}"))
        await bot.feed(callback_update(fake, ALICE, grid, "something:else"))

    refusal, later, foreign = fake.called("answerCallbackQuery")
    assert refusal.params["show_alert"] == "true" and "not yours" in refusal.params["text"]
    assert later.params["show_alert"] == "true" and "Unknown button" in later.params["text"]
    assert foreign.params["show_alert"] == "true" and "no longer works" in foreign.params["text"]
    assert len(fake.called("sendMessage", "sendPhoto")) == sent  # all said in alerts
    assert app.service.pending_job_ids() == []
    assert app.store.run_sync(lambda s: s.db["jobs"].count) == 1


async def test_a_slow_press_is_answered_before_the_core_is_done(
    app, tg_settings, fake, monkeypatch
):
    import bot.adapters.telegram_adapter as adapter_module

    monkeypatch.setattr(adapter_module, "ANSWER_WITHIN_S", 0.05)
    real_handle = app.service.handle

    async def slow_handle(incoming: Any, respond: Any) -> None:
        await asyncio.sleep(0.8)
        await real_handle(incoming, respond)

    async with telegram(app, tg_settings) as bot:
        row = await draw(app, bot, message_update(ALICE, ALICE, "/mj a hill"))
        grid = fake.message(ALICE, int(row["reply_message_id"]))
        monkeypatch.setattr(app.service, "handle", slow_handle)
        await bot.feed(callback_update(fake, BOB, grid, f"mj:reroll:{row['id']}"))

    [answer] = fake.called("answerCallbackQuery")
    assert answer.params["show_alert"] == "false" and "text" not in answer.params  # in time
    late = fake.called("sendMessage")[-1]  # so the refusal came as a reply in the chat
    assert "not yours" in late.params["text"] and answer.at < late.at


# moderators -------------------------------------------------------------------------------
async def test_group_admins_manage_the_groups_banned_terms_and_others_cannot(
    app, tg_settings, fake
):
    fake.admins[GROUP] = [ALICE]
    async with telegram(app, tg_settings) as bot:
        await bot.feed(message_update(GROUP, ALICE, "/ban_term dragon"))
        await bot.feed(message_update(GROUP, BOB, "/ban_term@MjTestBot unicorn"))
        await bot.feed(message_update(GROUP, BOB, "/mj a red dragon"))
        await bot.feed(message_update(GROUP, ALICE, "/banned_terms"))

    banned, refused, blocked, listing = texts_to(fake, GROUP)
    assert banned == "Banned here: dragon."
    assert refused.startswith("Only this community's moderators")
    assert blocked.startswith("Not drawn") and "dragon" in blocked
    assert "dragon" in listing and "unicorn" not in listing
    assert len(fake.called("getChatAdministrators")) == 1  # cached between the commands


async def test_in_private_chats_only_owners_moderate(app, tg_settings, fake):
    async with telegram(app, tg_settings) as bot:
        await bot.feed(message_update(ALICE, ALICE, "/allow_term nude"))
        await bot.feed(message_update(OWNER, OWNER, "/ban_term kraken --global"))
    assert texts_to(fake, ALICE)[0].startswith("Only this community's moderators")
    assert texts_to(fake, OWNER) == ["Banned globally: kraken."]
    assert fake.called("getChatAdministrators") == []


# pacing and flood control (the sink alone, over HTTP) --------------------------------------
async def test_progress_edits_are_paced_and_show_the_newest_preview(tg_settings, fake, tmp_path):
    origin = Origin("telegram", str(GROUP), str(ALICE), "7")

    def shown() -> list[Any]:
        return fake.called("sendPhoto", "editMessageMedia")

    def caption(call: Any) -> str:
        return call.params.get("caption") or call.params["media"]["caption"]

    async with bare_sink(tg_settings, every_s=0.3) as sink:
        await sink.send(
            origin, Reply(ReplyKind.ACK, verbatim("Job j1 accepted"), "j1", position=1)
        )
        for percent in range(10, 101, 10):
            await sink.send(origin, progress("j1", percent))
            await asyncio.sleep(0.05)
        await until(lambda: shown() and caption(shown()[-1]) == "Job j1: 100%")
        previews = shown()
        await sink.send(origin, result("j1", tmp_path / "grid.png"))

    assert len(previews) < 10  # ten previews in 0.5 s: the ones overtaken were never sent
    times = [fake.called("sendMessage")[0].at] + [call.at for call in previews]
    # One per 0.3 s at most, as the sink sends them (arrivals jitter on a loaded machine).
    assert all(b - a >= 0.25 for a, b in itertools.pairwise(times))
    final = fake.called("editMessageMedia")[-1]
    assert final.params["media"]["caption"].endswith("(job j1)") and "reply_markup" in final.params


async def test_a_flood_wait_on_a_preview_edit_is_honoured_and_the_result_still_arrives(
    tg_settings, fake, tmp_path
):
    origin = Origin("telegram", str(ALICE), str(ALICE), "7")
    async with bare_sink(tg_settings, every_s=0.05) as sink:
        await sink.send(
            origin, Reply(ReplyKind.ACK, verbatim("Job j2 accepted"), "j2", position=1)
        )
        await sink.send(origin, progress("j2", 25))
        await until(lambda: fake.called("editMessageMedia"))
        fake.flood_once("editMessageMedia", retry_after=1)
        await sink.send(origin, progress("j2", 50))
        await until(lambda: any(call.status == 429 for call in fake.calls))
        await sink.send(origin, progress("j2", 75))  # waits behind the flood, then superseded
        await sink.send(origin, result("j2", tmp_path / "grid.png"))  # returns once shown
        await asyncio.sleep(0.3)  # and nothing overwrites it afterwards

    flooded = next(call for call in fake.calls if call.status == 429)
    after = fake.calls[fake.calls.index(flooded) + 1 :]
    assert after and all(call.at >= flooded.at + 1.0 for call in after)  # nothing meanwhile
    retried, final = after
    assert retried.method == final.method == "editMessageMedia"
    assert retried.params["media"]["caption"] == "Job j2: 50%"
    assert final.params["media"]["caption"] == "a fox --seed 1 (job j2)"
    [shown] = [m for (chat, _), m in fake.messages.items() if chat == ALICE and "photo" in m]
    assert shown["caption"] == "a fox --seed 1 (job j2)" and len(keyboard_of(shown)) == 3


# receiving updates ------------------------------------------------------------------------
async def test_telegram_alone_long_polls_and_stops_cleanly(app, tg_settings, fake):
    fake.updates.put_nowait(message_update(ALICE, ALICE, "/help"))
    stop = asyncio.Event()
    task = asyncio.create_task(serve_app(app, tg_settings, ["telegram"], stop, lambda _: None))
    await until(lambda: fake.called("sendMessage"))
    stop.set()
    await asyncio.wait_for(task, 10)

    assert "/mj" in fake.called("sendMessage")[0].params["text"]
    assert fake.called("deleteWebhook") and len(fake.called("setMyCommands")) == 4
    polls = fake.called("getUpdates")
    assert polls[0].params["allowed_updates"] == ["message", "callback_query"]


async def test_webhook_accepts_only_updates_carrying_the_secret(app, tg_settings, fake):
    settings = replace(
        tg_settings.telegram,
        webhook_url="https://bot.example.org/tg/hook",
        webhook_port=0,
        webhook_secret="s3cret",
    )
    application = build_application(settings)
    assert application.updater is None
    TelegramAdapter(app.service, settings, application)
    update = message_update(ALICE, ALICE, "/help")
    async with application:
        await application.start()
        async with (
            serve_webhook(application, settings, ALLOWED_UPDATES) as port,
            aiohttp.ClientSession() as http,
        ):
            url = f"http://127.0.0.1:{port}/tg/hook"
            async with http.post(url, json=update) as forged:
                assert forged.status == 403
            async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret"}) as real:
                assert real.status == 200
            await until(lambda: fake.called("sendMessage"))
        await application.stop()

    [hook] = fake.called("setWebhook")
    assert hook.params["url"] == "https://bot.example.org/tg/hook"
    assert hook.params["secret_token"] == "s3cret"
    assert len(fake.called("sendMessage")) == 1  # the forged update did nothing


async def test_many_permutations_wait_for_the_confirm_button(app, tg_settings, fake):
    text = "/mj a {red, green, blue} {kite, boat} --seed 2"
    async with telegram(app, tg_settings) as bot:
        await bot.feed(message_update(ALICE, ALICE, text))
        question = fake.called("sendMessage")[-1]
        assert "This makes 6 jobs" in question.params["text"]
        assert "3. a green kite" in question.params["text"]
        [[start, cancel]] = question.params["reply_markup"]["inline_keyboard"]
        asked = fake.message(ALICE, max(m for (_, m) in fake.messages))
        assert app.store.run_sync(lambda s: s.jobs.of_user("telegram", str(ALICE))) == []
        await bot.feed(callback_update(fake, BOB, asked, start["callback_data"]))  # not Bob's
        assert app.store.run_sync(lambda s: s.jobs.of_user("telegram", str(BOB))) == []
        before = set(app.service.pending_job_ids())
        await bot.feed(callback_update(fake, ALICE, asked, start["callback_data"]))
        started = set(app.service.pending_job_ids()) - before
        for job_id in started:
            await app.service.wait(job_id)
        await bot.feed(callback_update(fake, ALICE, asked, start["callback_data"]))  # used once
    rows = app.store.run_sync(lambda s: s.jobs.of_user("telegram", str(ALICE)))
    assert len(started) == 6 and len(rows) == 6
    assert {r["prompt"] for r in rows} == {
        f"a {c} {t}" for c in ("red", "green", "blue") for t in ("kite", "boat")
    }
    assert cancel["callback_data"].startswith("mj:PERMNO:")


async def test_remix_asks_with_a_force_reply_and_the_reply_draws(app, tg_settings, fake):
    async with telegram(app, tg_settings) as bot:
        await bot.feed(message_update(ALICE, ALICE, "/settings remix on"))
        row = await draw(app, bot, message_update(ALICE, ALICE, "/mj a red tram --seed 6"))
        grid = fake.message(ALICE, int(row["reply_message_id"]))
        await bot.feed(callback_update(fake, ALICE, grid, f"mj:V3:{row['id']}"))
        ask = fake.called("sendMessage")[-1]
        assert ask.params["reply_markup"]["force_reply"] is True
        assert "a red tram" in ask.params["text"]
        asked = fake.message(ALICE, max(m for (_, m) in fake.messages))
        answer = message_update(ALICE, ALICE, "a green tram at dawn", reply_to_message=asked)
        remixed = await draw(app, bot, answer)
    assert (remixed["action"], remixed["parent_id"], remixed["parent_image"]) == (
        "variation",
        row["id"],
        3,
    )
    assert remixed["prompt"] == "a green tram at dawn" and remixed["status"] == "done"


async def test_an_album_captioned_blend_mixes_its_photos(app, tg_settings, fake):
    for name, colour in (("a1", "red"), ("a2", "blue"), ("a3", "green")):
        buffer = io.BytesIO()
        Image.new("RGB", (80, 60), colour).save(buffer, format="JPEG")
        fake.user_files[name] = buffer.getvalue()

    def album_photo(file_id: str, caption: str | None) -> dict[str, Any]:
        update = photo_update(ALICE, ALICE, caption or "", file_id=file_id)
        update["message"]["media_group_id"] = "album-1"
        if caption is None:
            del update["message"]["caption"]
        return update

    async with telegram(app, tg_settings) as bot:
        bot.adapter.albums.wait_s = 0  # the test sends the album's photos before its caption
        await bot.feed(album_photo("a2", None))
        await bot.feed(album_photo("a3", None))
        before = set(app.service.pending_job_ids())
        await bot.feed(album_photo("a1", "/blend --dimensions portrait"))
        await bot.adapter.albums.drain()
        [job_id] = set(app.service.pending_job_ids()) - before
        row = await app.service.wait(job_id)
    assert (row["action"], row["aspect"], row["status"]) == ("blend", "2:3", "done")
    assert len(json.loads(row["spec_json"])["blend_images"]) == 3
    assert sorted(c.params["file_id"] for c in fake.called("getFile")) == ["a1", "a2", "a3"]


@pytest.mark.parametrize(
    ("mode", "spoiler"), [("spoiler", True), ("off", False)], ids=["spoiler", "off"]
)
async def test_flagged_images_go_behind_telegrams_spoiler(
    tg_settings: Settings, fake: FakeBotApi, mode: str, spoiler: bool
) -> None:
    scorer = "tests.fakes.safety_scorer:FlaggingScorer"
    settings = tweak(tg_settings, "safety", scorer=scorer, mode=mode)
    async with open_app(settings) as app, telegram(app, settings) as bot:
        row = await draw(app, bot, message_update(GROUP, ALICE, "/mj a red fox --seed 3"))
    photos = fake.called("sendPhoto", "editMessageMedia")
    assert photos and row["status"] == "done"
    grid = fake.message(GROUP, int(row["reply_message_id"]))
    assert grid["has_media_spoiler"] is spoiler  # the result, edited into the job's message
    assert ("behind a spoiler" in grid["caption"]) is spoiler
    # Previews too, whether sent or edited in.
    flags = [
        str(call.params.get("has_spoiler", "")).lower() == "true"
        if call.method == "sendPhoto"
        else bool(call.params["media"].get("has_spoiler"))
        for call in photos
    ]
    assert flags == [spoiler] * len(photos)


async def test_a_bug_is_answered_and_the_next_update_is_served(
    app, tg_settings, fake, monkeypatch, caplog
):
    from bot.core import handlers
    from bot.core.render import FAILED
    from i18n import render

    async def broken(parts, call):
        raise RuntimeError("a bug in /quota")

    monkeypatch.setitem(handlers.HANDLERS, "quota", broken)  # fault injection
    async with telegram(app, tg_settings) as bot:
        await bot.feed(message_update(ALICE, ALICE, "/quota"))
        await bot.feed(message_update(ALICE, ALICE, "/history " + "7" * 5000))
        await bot.feed(message_update(ALICE, ALICE, "/help"))
    texts = texts_to(fake, ALICE)
    assert texts[0] == render(FAILED) and "a bug in /quota" in caplog.text
    assert texts[1].startswith("Usage: /history") and "Draw with /mj" in texts[2]


# themes and LoRA styles ---------------------------------------------------------------------
async def test_group_admins_limit_themes_and_everyone_lists_the_looks(app, tg_settings, fake):
    from storage.looks import ThemeRecord

    for name in ("guofeng", "neon"):
        theme = ThemeRecord(name, "tiny", description=f"the {name} look")
        await app.service.store.run(lambda s, t=theme: s.looks.add_theme(t, "test"))
    fake.admins[GROUP] = [ALICE]
    async with telegram(app, tg_settings) as bot:
        await bot.feed(message_update(GROUP, BOB, "/allow_themes guofeng"))
        await bot.feed(message_update(GROUP, ALICE, "/allow_themes@MjTestBot guofeng"))
        await bot.feed(message_update(GROUP, BOB, "/themes"))
        await bot.feed(message_update(GROUP, BOB, "/mj a crane --theme neon"))
        await bot.feed(message_update(GROUP, BOB, "/loras"))

    refused, allowed, themes, blocked, loras = texts_to(fake, GROUP)
    assert refused.startswith("/allow-themes is for moderators")
    assert allowed == "Only these themes are allowed here now: guofeng."
    assert themes == "Themes (--theme NAME):\n• guofeng: the guofeng look"
    assert blocked == "The theme 'neon' is not allowed here. Allowed: guofeng."
    assert loras == "LoRAs: none yet."


async def test_upscale_4x_is_offered_under_an_upscale_and_draws(
    tg_settings, fake, spandrel_imported
):
    from bot.app import open_app

    gan_settings = tweak(tg_settings, "models", gan_upscaler="tiny")
    async with open_app(gan_settings) as app, telegram(app, gan_settings) as bot:
        row = await draw(app, bot, message_update(ALICE, ALICE, "/mj a quay --seed 4"))
        grid = fake.message(ALICE, int(row["reply_message_id"]))
        upscale = await draw(app, bot, callback_update(fake, ALICE, grid, f"mj:U2:{row['id']}"))
        shown = fake.message(ALICE, int(upscale["reply_message_id"]))
        labels = {b["text"]: b["callback_data"] for r in keyboard_of(shown) for b in r}
        assert labels["Upscale 4×"] == f"mj:U4X:{upscale['id']}"
        four = await draw(app, bot, callback_update(fake, ALICE, shown, labels["Upscale 4×"]))
    assert (four["action"], four["parent_id"], four["status"]) == (
        "upscale4x",
        upscale["id"],
        "done",
    )
    assert (four["width"], four["height"]) == (4 * upscale["width"], 4 * upscale["height"])
    result = fake.message(ALICE, int(four["reply_message_id"]))
    assert [b["text"] for r in keyboard_of(result) for b in r] == ["🗑"]


async def test_remix_asks_after_the_thirds_and_the_reply_draws(app, tg_settings, fake):
    async with telegram(app, tg_settings) as bot:
        await bot.feed(message_update(ALICE, ALICE, "/settings remix on"))
        upscale, offer = await thirds_keyboard(app, bot, fake, "/mj 2 herons --seed 5", 1)
        first = keyboard_of(offer)[0][0]["callback_data"]
        await bot.feed(callback_update(fake, ALICE, offer, first))
        toggled = fake.message(ALICE, offer["message_id"])
        go = keyboard_of(toggled)[-1][0]["callback_data"]
        await bot.feed(callback_update(fake, ALICE, toggled, go))
        ask = fake.called("sendMessage")[-1]
        assert ask.params["reply_markup"]["force_reply"] is True
        assert f"/region {upscale['id']} 1 | 2 herons --seed 5" in ask.params["text"]
        asked = fake.message(ALICE, max(m for (_, m) in fake.messages))
        # A prompt that starts with a number is not taken for more cells.
        answer = message_update(ALICE, ALICE, "3 herons in the rain", reply_to_message=asked)
        region = await draw(app, bot, answer)
        await bot.feed(message_update(ALICE, ALICE, "/settings remix off"))
    assert (region["action"], region["parent_id"]) == ("vary_region", upscale["id"])
    assert region["prompt"] == "3 herons in the rain" and region["status"] == "done"
    assert json.loads(region["action_json"])["regions"] == [1]
