"""/describe on Telegram, through python-telegram-bot against the fake Bot API: a photo
captioned /describe, /describe as a reply to a photo, and the buttons under the answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import open_app
from tests.fakes.telegram_updates import callback_update, message_update, photo_update
from tests.helpers import link_captioner, picture, png_bytes
from tests.telegram_harness import ALICE, GROUP, draw, keyboard_of, telegram

pytestmark = pytest.mark.slow


@pytest.fixture
async def app(tg_settings, tiny_captioner_dir) -> AsyncIterator[Any]:
    link_captioner(tg_settings.data_dir, tiny_captioner_dir)
    async with open_app(tg_settings) as application:
        yield application


def numbered(caption: str) -> list[str]:
    return [line for line in caption.splitlines() if line[:3] in ("1️⃣", "2️⃣", "3️⃣", "4️⃣")]


async def test_a_photo_captioned_describe_gets_four_prompts_and_buttons(app, tg_settings, fake):
    fake.user_files["p1"] = png_bytes(picture((160, 90)))
    async with telegram(app, tg_settings) as bot:
        await bot.feed(photo_update(GROUP, ALICE, "/describe@OtherBot"))  # not ours
        row = await draw(app, bot, photo_update(GROUP, ALICE, "/describe@MjTestBot"))
        answer = fake.message(GROUP, int(row["reply_message_id"]))
        lines = numbered(answer["caption"])
        assert len(lines) == 4 and all(line.endswith("--ar 16:9") for line in lines)
        assert [[b["text"] for b in r] for r in keyboard_of(answer)] == [
            ["1", "2", "3", "4"],
            ["🔄"],
        ]
        data = [b["callback_data"] for r in keyboard_of(answer) for b in r]
        assert data == [f"mj:{a}:{row['id']}" for a in ("P1", "P2", "P3", "P4", "reroll")]
        # The answer shows the image it describes.
        image = json.loads(row["spec_json"])["init_image"]
        assert answer["photo"][0]["_bytes"] == (tg_settings.images_dir / image).read_bytes()
        stored = app.store.run_sync(lambda s: s.suggestions.of_job(row["id"]))
        assert [line.split(" ", 1)[1] for line in lines] == [s.prompt for s in stored]
        drawn = await draw(app, bot, callback_update(fake, ALICE, answer, data[2]))
        again = await draw(app, bot, callback_update(fake, ALICE, answer, data[4]))

    assert [c.params["file_id"] for c in fake.called("getFile")] == ["p1"]
    assert (drawn["action"], drawn["parent_id"], drawn["status"]) == (
        "suggestion",
        row["id"],
        "done",
    )
    assert drawn["mj_text"] == stored[2].prompt
    grid = fake.message(GROUP, int(drawn["reply_message_id"]))
    assert [b["text"] for b in keyboard_of(grid)[0]] == ["U1", "U2", "U3", "U4"]
    assert (again["action"], again["parent_id"], again["status"]) == (
        "describe",
        row["id"],
        "done",
    )


async def test_describe_in_reply_to_a_photo_describes_that_photo(app, tg_settings, fake):
    fake.user_files["their-photo"] = png_bytes(picture((90, 160)))
    posted = photo_update(GROUP, 7, "look at this", file_id="their-photo")["message"]
    async with telegram(app, tg_settings) as bot:
        row = await draw(
            app, bot, message_update(GROUP, ALICE, "/describe", reply_to_message=posted)
        )
        await bot.feed(message_update(GROUP, ALICE, "/describe"))  # no photo: told how
    assert [c.params["file_id"] for c in fake.called("getFile")] == ["their-photo"]
    assert row["status"] == "done" and row["aspect"] == "9:16"
    answer = fake.message(GROUP, int(row["reply_message_id"]))
    assert len(numbered(answer["caption"])) == 4
    usage = fake.called("sendMessage")[-1].params["text"]
    assert "Describe needs one image" in usage and "reply to a photo" in usage


async def test_a_photo_telegram_cannot_hand_over_costs_nothing(app, tg_settings, fake):
    async with telegram(app, tg_settings) as bot:
        await bot.feed(photo_update(ALICE, ALICE, "/describe", file_id="missing"))
    [told] = fake.called("sendMessage")
    assert "could not be fetched from Telegram" in told.params["text"]
    assert app.store.run_sync(lambda s: (s.db["jobs"].count, s.db["ledger"].count)) == (0, 0)
