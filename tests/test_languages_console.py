"""The bot speaks the user's language, through the core and the console front end: the issue's
flows in Simplified Chinese, Traditional Chinese chosen by a prompt's script, the order of the
signals (/settings lang, /default-lang, the platform's locale), and a job's language kept
across a restart."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.__main__ import app as cli
from bot.adapters.console import ConsoleAdapter
from bot.app import open_app
from bot.config import Settings
from bot.core.requests import Incoming, Origin, Reply, ReplyKind, SinkResponder
from i18n import Lang
from tests.helpers import TINY_ENV, CaptureSink

pytestmark = pytest.mark.slow


def settings_with(settings: Settings, **env: str) -> Settings:
    values = {**TINY_ENV, "MJ_DATA_DIR": str(settings.data_dir), **env}
    return Settings.from_env(values)


async def say(adapter: ConsoleAdapter, sink: CaptureSink, line: str) -> list[Reply]:
    """Replies to one line, once its jobs are delivered."""
    before = len(sink.replies)
    await adapter.submit_line(line)
    return sink.replies[before:]


def ledger(app: Any, job_id: str) -> list[tuple[str, float]]:
    rows = app.store.run_sync(lambda s: list(s.db["ledger"].rows_where("job_id = ?", [job_id])))
    return [(row["kind"], row["delta"]) for row in rows]


async def test_the_issues_flows_in_simplified_chinese(settings: Settings) -> None:
    async with open_app(settings) as app:
        sink = CaptureSink()
        chinese = ConsoleAdapter(app.service, "alice", "Alice", sink=sink, locale=Lang.ZH_HANS)
        # imagine: acknowledgement, progress and the result's caption
        drawn = await say(chinese, sink, "/mj a red fox in the snow --seed 7")
        ack = next(r for r in drawn if r.kind is ReplyKind.ACK)
        result = next(r for r in drawn if r.kind is ReplyKind.RESULT)
        assert ack.text == f"任务 {ack.job_id} 已接受：马上开始。"
        progress = [r.text for r in drawn if r.kind is ReplyKind.PROGRESS]
        step = re.compile(rf"任务 {ack.job_id}：\d+%（第 \d+/\d+ 步）")
        assert progress and all(step.fullmatch(text) for text in progress), progress
        assert result.text.endswith(f"（任务 {result.job_id}）") and "--seed 7" in result.text
        assert [b.label for b in result.buttons][:4] == ["U1", "U2", "U3", "U4"]
        # a banned term: the term named as written, nothing charged
        [blocked] = await say(chinese, sink, "/mj a nude woman on a beach")
        assert blocked.kind is ReplyKind.ERROR
        assert blocked.text == "未绘制：你的提示词包含违禁词 “nude”，没有扣除额度。"
        # a bad parameter: the parameter named as typed
        [bad] = await say(chinese, sink, "/mj a fox --ar 16x9")
        assert bad.text.startswith("--ar 必须是写成 宽:高 的两个整数，例如 --ar 16:9")
        [unknown] = await say(chinese, sink, "/mj a fox --aspetc 16:9")
        assert unknown.text == "不认识的参数 --aspetc。你是不是想用 --aspect？"
        # /quota (the console is the owner) and /help
        [quota] = await say(chinese, sink, "/quota")
        assert quota.text == "所有者：额度不限（今天已用 1）。"
        [shown] = await say(chinese, sink, "/help")
        assert shown.text.startswith("用 /mj <提示词> [参数] 绘图，例如：")
        assert "/cancel [任务ID]" in shown.text and "管理员：/ban-term 词语, 词语…" in shown.text
        # the console's own words
        printed = sink.console.out.getvalue()
        assert "四宫格：" in printed and "按钮：[U1]" in printed and "错误：未绘制" in printed


async def test_a_failed_job_is_refunded_and_says_so_in_traditional_chinese(
    settings: Settings,
) -> None:
    # A broken scorer fails its warm-up: start with the check off, then turn it on (as owner).
    broken = settings_with(
        settings, MJ_SAFETY_SCORER="tests.fakes.safety_scorer:BrokenScorer", MJ_SAFETY_POLICY="off"
    )
    async with open_app(broken) as app:
        sink = CaptureSink()
        console = ConsoleAdapter(app.service, "alice", "Alice", sink=sink, locale=Lang.ZH_HANT)
        await say(console, sink, "/safety --global block")
        replies = await say(console, sink, "/mj a fox")
        [failed] = [r for r in replies if r.kind is ReplyKind.ERROR]
        assert failed.text == (
            f"任務 {failed.job_id} 失敗：圖片安全檢查發生錯誤。圖片沒有送出。"
            "所用的 1 額度已全部退還。"
        )
        assert ledger(app, failed.job_id or "") == [("debit", -1.0), ("refund", 1.0)]


async def test_a_chinese_prompt_chooses_its_script(settings: Settings) -> None:
    async with open_app(settings) as app:
        sink = CaptureSink()
        console = ConsoleAdapter(app.service, "alice", "Alice", sink=sink)  # no locale
        [traditional] = await say(console, sink, "/mj 一隻貓 --ar 16x9")
        [simplified] = await say(console, sink, "/mj 一只猫 --ar 16x9")
        [english] = await say(console, sink, "/mj a cat --ar 16x9")
    assert traditional.text.startswith("--ar 必須是寫成 寬:高 的兩個整數")
    assert simplified.text.startswith("--ar 必须是写成 宽:高 的两个整数")
    assert english.text.startswith("--ar must be two whole numbers written W:H")


async def test_choices_on_purpose_beat_the_platforms_locale(settings: Settings) -> None:
    async with open_app(settings) as app:
        service = app.service
        sink = CaptureSink()
        service.register_sink("telegram", sink)
        group = Origin("telegram", "-100", "5", "1", "-100")

        async def ask(text: str, locale: Lang | None, moderator: bool = False) -> str:
            incoming = Incoming(group, "Bob", text=text, locale=locale, is_moderator=moderator)
            before = len(sink.replies)
            await service.handle(incoming, SinkResponder(sink, group))
            return sink.replies[before].text

        assert (await ask("/quota", Lang.EN)).startswith("Tier free")
        # A moderator sets the group's default: it beats the member's English app.
        answer = await ask("/default-lang zh-Hant", Lang.EN, moderator=True)
        assert answer.startswith("The bot now answers in 繁體中文 (zh-Hant) here")
        assert (await ask("/quota", Lang.EN)).startswith("方案 free：今天已用")
        # A member's own choice beats the group's; its answer is already in that language.
        assert (
            await ask("/settings lang zh-Hans", Lang.EN)
            == "机器人现在用简体中文 (zh-Hans)回复你。"
        )
        assert (await ask("/quota", Lang.EN)).startswith("等级 free：今天已用")
        assert "机器人用简体中文 (zh-Hans)回复你" in await ask("/settings", Lang.EN)
        # auto: back to the group's default; /default-lang auto: back to the member's app.
        assert (await ask("/settings lang auto", Lang.EN)).startswith("機器人會重新自動選擇語言")
        assert (await ask("/default-lang auto", Lang.EN, moderator=True)).startswith("這裡已不設")
        assert (await ask("/quota", Lang.ZH_HANS)).startswith("等级 free")
        assert (await ask("/quota", None)).startswith("Tier free")
        # Only moderators set a community's default, and they are told so in their language.
        refused = await ask("/default-lang en", Lang.ZH_HANS)
        assert refused == "只有本社区的管理员才能设置默认语言。"
        assert (await ask("/settings lang klingon", Lang.ZH_HANT)).startswith(
            "無法辨識的語言「klingon」"
        )


async def test_a_job_keeps_its_language_across_a_restart(settings: Settings) -> None:
    origin = Origin("discord", "chan-1", "77", "msg-5", "guild-9")
    async with open_app(settings) as first:
        first.engine.stop()  # accepted and persisted, never drawn here
        sink = CaptureSink()
        first.service.register_sink("discord", sink)
        incoming = Incoming(origin, "Dc User", text="/mj a boat", locale=Lang.ZH_HANT)
        await first.service.handle(incoming, SinkResponder(sink, origin))
        async with asyncio.timeout(10):
            while not any(r.kind is ReplyKind.ACK for r in sink.replies):
                await asyncio.sleep(0.01)
        [ack] = [r for r in sink.replies if r.kind is ReplyKind.ACK]
        assert ack.text.startswith(f"任務 {ack.job_id} 已受理")
        job_id = ack.job_id
    async with open_app(settings) as second:  # the user's app said nothing this time
        sink = CaptureSink()
        second.service.register_sink("discord", sink)
        await second.service.start()
        assert job_id is not None
        await second.service.wait(job_id)
    resumed = [r.text for r in sink.replies if r.kind is ReplyKind.ACK]
    [result] = [r for r in sink.replies if r.kind is ReplyKind.RESULT]
    assert resumed == [f"任務 {job_id} 在重新啟動後恢復：馬上開始。"]
    assert result.text.endswith(f"（任務 {job_id}）") and sink.origins[-1].lang is Lang.ZH_HANT


@pytest.mark.parametrize(
    ("env", "banner"),
    [
        ({"MJ_LANG": "zh-Hant", "LANG": "en_US.UTF-8"}, "mjbot 主控台。"),
        ({"MJ_LANG": "", "LANG": "zh_CN.UTF-8"}, "mjbot 控制台。"),
        ({"MJ_LANG": "", "LANG": "C"}, "mjbot console."),
    ],
    ids=["MJ_LANG", "terminal-locale", "neither"],
)
def test_the_console_speaks_mj_lang_else_the_terminals_locale(
    make_settings: Callable[..., Settings], env: dict[str, str], banner: str
) -> None:
    data_dir = make_settings().data_dir
    environ = {**TINY_ENV, "MJ_DATA_DIR": str(data_dir), "LANGUAGE": "", "LC_ALL": "", **env}
    result = CliRunner().invoke(cli, ["console"], input="quit\n", env=environ)
    assert result.exit_code == 0, result.output
    assert banner in result.output
