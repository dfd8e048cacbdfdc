"""The fake Bot API answers as Telegram does (tests/fakes/telegram_*.py): raw requests, no bot,
each refusal with Telegram's status, description and parameters."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image

from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.fakes.telegram_rules import NOT_MODIFIED, PRIVATE_BURST, STALE_QUERY
from tests.fakes.telegram_updates import callback_update

ALICE, GROUP, OLD_GROUP, SUPERGROUP = 42, -1001234, -4001, -1004001


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, fake: FakeBotApi, method: str, **params: Any):
    """(status, body); structured parameters JSON-encoded, files as multipart uploads."""
    form = aiohttp.FormData()
    for key, value in params.items():
        if isinstance(value, bytes):
            form.add_field(key, io.BytesIO(value), filename=f"{key}.png")
        else:
            form.add_field(key, value if isinstance(value, str) else json.dumps(value))
    async with http.post(f"{fake.base_url}/bot{TOKEN}/{method}", data=form) as answer:
        return answer.status, await answer.json()


def refusal(code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def button(data: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "x", "callback_data": data}]]}


async def test_texts_captions_and_button_data_within_telegrams_limits(http, fake):
    send = "sendMessage"
    assert await call(http, fake, send, chat_id=ALICE, text="x" * 4097) == refusal(
        400, "Bad Request: message is too long"
    )
    # Lengths are UTF-16 units: a fox is two.
    assert (await call(http, fake, send, chat_id=ALICE, text="🦊" * 2049))[0] == 400
    assert (await call(http, fake, send, chat_id=ALICE, text="🦊" * 2048))[0] == 200
    assert await call(http, fake, send, chat_id=ALICE, text=" ") == refusal(
        400, "Bad Request: message text is empty"
    )
    status, body = await call(
        http, fake, send, chat_id=ALICE, text="x", reply_markup=button("d" * 65)
    )
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    caption = "c" * 1025
    assert await call(
        http, fake, "sendPhoto", chat_id=ALICE, photo=png(8, 8), caption=caption
    ) == refusal(400, "Bad Request: message caption is too long")


@pytest.mark.parametrize(
    ("size", "description"),
    [((9000, 1001), "PHOTO_INVALID_DIMENSIONS"), ((2100, 100), "PHOTO_INVALID_DIMENSIONS")],
    ids=["sides", "ratio"],
)
async def test_photos_of_impossible_dimensions_are_refused(http, fake, size, description):
    status, body = await call(http, fake, "sendPhoto", chat_id=ALICE, photo=png(*size))
    assert (status, body["description"]) == (400, f"Bad Request: {description}")


async def test_photos_over_ten_megabytes_and_downloads_over_twenty(http, fake):
    big = png(64, 64) + b"\0" * 10_000_000  # still a PNG to Pillow, but 10 MB too large
    status, body = await call(http, fake, "sendPhoto", chat_id=ALICE, photo=big)
    assert (status, body["description"]) == (400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
    fake.user_files["huge"] = b"\0" * 20_000_001
    assert await call(http, fake, "getFile", file_id="huge") == refusal(
        400, "Bad Request: file is too big"
    )


async def test_an_edit_that_changes_nothing_is_not_modified(http, fake):
    _, sent = await call(http, fake, "sendMessage", chat_id=ALICE, text="Job j: 50%")
    edit = {"chat_id": ALICE, "message_id": sent["result"]["message_id"]}
    assert await call(http, fake, "editMessageText", text="Job j: 50%", **edit) == refusal(
        400, f"Bad Request: {NOT_MODIFIED}"
    )
    markup = button("mj:U1:j")
    assert (
        await call(http, fake, "editMessageText", text="Job j: 50%", reply_markup=markup, **edit)
    )[0] == 200


async def test_a_callback_query_is_answered_once_and_soon(http, fake):
    message = {"message_id": 1, "date": 0, "chat": {"id": ALICE, "type": "private"}}
    first = callback_update(fake, ALICE, message, "mj:reroll:j")["callback_query"]["id"]
    late = callback_update(fake, ALICE, message, "mj:reroll:j")["callback_query"]["id"]
    assert (await call(http, fake, "answerCallbackQuery", callback_query_id=first))[0] == 200
    stale = refusal(400, f"Bad Request: {STALE_QUERY}")
    assert await call(http, fake, "answerCallbackQuery", callback_query_id=first) == stale
    fake.clock.advance(11)
    assert await call(http, fake, "answerCallbackQuery", callback_query_id=late) == stale
    assert await call(http, fake, "answerCallbackQuery", callback_query_id="cq-none") == stale


async def test_flood_control_per_chat_is_stricter_in_groups(http, fake):
    async def send(chat_id: int) -> tuple[int, dict[str, Any]]:
        return await call(http, fake, "sendMessage", chat_id=chat_id, text="x")

    private = [await send(ALICE) for _ in range(PRIVATE_BURST + 1)]
    assert [status for status, _ in private[:-1]] == [200] * PRIVATE_BURST
    assert private[-1] == refusal(429, "Too Many Requests: retry after 1", retry_after=1)
    group = [await send(GROUP) for _ in range(21)]
    assert [status for status, _ in group[:-1]] == [200] * 20
    assert group[-1] == refusal(429, "Too Many Requests: retry after 3", retry_after=3)
    fake.clock.advance(1)
    assert (await send(ALICE))[0] == 200  # one a second again
    assert (await send(GROUP))[0] == 429  # one per three seconds
    fake.clock.advance(2)
    assert (await send(GROUP))[0] == 200


async def test_blocked_users_gone_chats_and_migrated_groups(http, fake):
    fake.blocked.add(ALICE)
    fake.gone.add(GROUP)
    fake.migrate(OLD_GROUP, SUPERGROUP)
    assert await call(http, fake, "sendMessage", chat_id=ALICE, text="x") == refusal(
        403, "Forbidden: bot was blocked by the user"
    )
    assert await call(http, fake, "sendMessage", chat_id=GROUP, text="x") == refusal(
        400, "Bad Request: chat not found"
    )
    assert await call(
        http, fake, "editMessageText", chat_id=OLD_GROUP, message_id=5, text="x"
    ) == refusal(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=SUPERGROUP,
    )
    assert (await call(http, fake, "sendMessage", chat_id=SUPERGROUP, text="x"))[0] == 200
