"""Telegram speaks its users' language: the issue's flows for a user whose app is in Chinese
(`language_code`), through python-telegram-bot against the fake Bot API, and the command menu
published per language (`setMyCommands` with `language_code`)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import open_app
from bot.config import Settings
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_updates import message_update, user
from tests.helpers import tweak, until
from tests.telegram_harness import Bot, telegram

pytestmark = pytest.mark.slow

ALICE, BOB, OWNER = 42, 43, 99


def from_app_in(user_id: int, language_code: str, text: str) -> dict[str, Any]:
    """A private message from a user whose Telegram app is set to `language_code`."""
    sender = {**user(user_id), "language_code": language_code}
    return message_update(user_id, user_id, text, **{"from": sender})


async def said(bot: Bot, fake: FakeBotApi, update: dict[str, Any]) -> str:
    """The text of the first message the bot sends for `update`."""
    before = len(fake.called("sendMessage"))
    await bot.feed(update)
    await until(lambda: len(fake.called("sendMessage")) > before)
    return fake.called("sendMessage")[before].params["text"]


async def test_the_issues_flows_for_a_simplified_chinese_app(
    tg_app: Any, tg_settings: Settings, fake: FakeBotApi
) -> None:
    async with telegram(tg_app, tg_settings) as bot:
        # imagine: the acknowledgement, then the grid's caption and buttons
        update = from_app_in(ALICE, "zh-hans", "/mj a red fox --seed 7")
        before = set(tg_app.service.pending_job_ids())
        await bot.feed(update)
        [job_id] = set(tg_app.service.pending_job_ids()) - before
        row = await tg_app.service.wait(job_id)
        banned = await said(bot, fake, from_app_in(ALICE, "zh-cn", "/mj a nude woman"))
        bad = await said(bot, fake, from_app_in(ALICE, "zh-hans", "/mj a fox --ar 16x9"))
        quota = await said(bot, fake, from_app_in(ALICE, "zh-sg", "/quota"))
        shown = await said(bot, fake, from_app_in(ALICE, "zh-hans", "/help"))
        # Traditional for Taiwan's and Hong Kong's apps
        taiwan = await said(bot, fake, from_app_in(BOB, "zh-tw", "/quota"))
        hong_kong = await said(bot, fake, from_app_in(BOB, "zh-hk", "/mj a fox --ar x"))

    ack = fake.called("sendMessage")[0].params["text"]
    assert ack == f"任务 {job_id} 已接受：马上开始。"
    grid = fake.message(ALICE, int(row["reply_message_id"]))
    assert grid["caption"].endswith(f"（任务 {job_id}）") and "--seed 7" in grid["caption"]
    assert banned == "未绘制：你的提示词包含违禁词 “nude”，没有扣除额度。"
    assert bad.startswith("--ar 必须是写成 宽:高 的两个整数，例如 --ar 16:9")
    assert quota.startswith("等级 free：今天已用 1")
    assert shown.startswith("用 /mj <提示词> [参数] 绘图，例如：")
    assert taiwan.startswith("方案 free：今天已用 0")
    assert hong_kong.startswith("--ar 必須是寫成 寬:高 的兩個整數")


async def test_a_failed_job_is_refunded_in_the_users_language(
    tg_settings: Settings, fake: FakeBotApi
) -> None:
    # A broken scorer fails its warm-up: start with the check off, turn it on (user 99 owns it).
    scorer = "tests.fakes.safety_scorer:BrokenScorer"
    broken = tweak(tg_settings, "safety", scorer=scorer, mode="off")
    async with open_app(broken) as app, telegram(app, broken) as bot:
        await said(bot, fake, from_app_in(OWNER, "en", "/safety --global block"))
        before = set(app.service.pending_job_ids())
        update = from_app_in(ALICE, "zh-tw", "/mj a fox")
        await bot.feed(update)
        [job_id] = set(app.service.pending_job_ids()) - before
        await app.service.wait(job_id)
        await until(lambda: any("失敗：" in t for t in texts(fake)))
        ledger = app.store.run_sync(
            lambda s: [r["delta"] for r in s.db["ledger"].rows_where("job_id = ?", [job_id])]
        )
    [failed] = [text for text in texts(fake) if "失敗：" in text]  # the job's own message
    assert failed.startswith(f"任務 {job_id} 失敗：圖片安全檢查發生錯誤。")
    assert failed.endswith("所用的 1 額度已全部退還。")  # what came back
    # An edit notifies nobody: the notice under it, in the user's language, does.
    assert f"🔔 任務 {job_id} 失敗了，原因和退還的額度請看任務訊息。" in texts(fake)
    assert ledger == [-1.0, 1.0]


def texts(fake: FakeBotApi) -> list[str]:
    sent = fake.called("sendMessage", "editMessageText", "editMessageCaption")
    return [call.params.get("text") or call.params.get("caption") or "" for call in sent]


async def test_the_command_menu_is_published_in_each_language(
    tg_app: Any, tg_settings: Settings, fake: FakeBotApi
) -> None:
    async with telegram(tg_app, tg_settings) as bot:
        await bot.adapter.publish_commands()

    menus: dict[tuple[str, str | None], dict[str, str]] = {}
    for call in fake.called("setMyCommands"):
        key = (call.params["scope"]["type"], call.params.get("language_code"))
        menus[key] = {c["command"]: c["description"] for c in call.params["commands"]}
    assert set(menus) == {
        ("default", None),
        ("default", "zh"),
        ("all_chat_administrators", None),
        ("all_chat_administrators", "zh"),
    }
    english, chinese = menus[("default", None)], menus[("default", "zh")]
    assert set(english) == set(chinese) and "mj" in chinese and "ban_term" not in chinese
    assert english["mj"] == "Draw a 2×2 grid (add --ar 16:9, --no …, --seed …)"
    assert chinese["mj"] == "画一张 2×2 四宫格（可加 --ar 16:9、--no …、--seed …）"
    assert all(len(text) <= 256 for menu in menus.values() for text in menu.values())
    assert "ban_term" in menus[("all_chat_administrators", "zh")]
