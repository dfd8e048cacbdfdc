"""Discord speaks its users' language: the issue's flows from a client set to Chinese (the
interaction's `locale`), and the synced commands' description and choice localizations
(discord.py's app-command translator)."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from tests.discord_adapter.harness import GUILD, discord_bot, edits, followups, has, original
from tests.fakes.discord_api import APP_ID, FakeDiscord
from tests.helpers import tweak, until


async def answer(h: Any, name: str, **options: Any) -> str:
    """The text a slash command is answered with: its deferral edited, or (an error) a
    private follow-up."""
    payload = await h.command(name, **options)
    routes = rf"{followups(payload)}(/messages/@original)?"

    def said() -> list[str]:
        calls = [c for c in h.api.calls if c.method in ("PATCH", "POST")]
        answers = [c.payload for c in calls if c.matches(c.method, routes)]
        return [a["content"] for a in answers if isinstance(a, dict) and a.get("content")]

    await until(said, timeout=20)
    return said()[0]


async def test_the_issues_flows_from_a_chinese_client(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        # imagine: the acknowledgement, then the result's caption
        drawn = await h.command("mj", prompt="a red fox --seed 7", locale="zh-CN")
        ack = await api.wait_for("PATCH", original(drawn), has("已接受"))
        job_id = ack.payload["content"].split()[1]
        await h.service.wait(job_id)
        result = await api.wait_for("PATCH", edits(drawn), has(f"（任务 {job_id}）"))
        banned = await answer(h, "mj", prompt="a nude woman", locale="zh-CN")
        bad = await answer(h, "mj", prompt="a fox --ar 16x9", locale="zh-CN")
        quota = await answer(h, "quota", locale="zh-CN")
        shown = await answer(h, "help", locale="zh-CN")
        taiwan = await answer(h, "quota", locale="zh-TW")
        english = await answer(h, "quota", locale="fr")  # a language the bot does not speak
    assert ack.payload["content"] == f"任务 {job_id} 已接受：马上开始。"
    assert "--seed 7" in result.payload["content"]
    assert banned == "未绘制：你的提示词包含违禁词 “nude”，没有扣除额度。"
    assert bad.startswith("--ar 必须是写成 宽:高 的两个整数，例如 --ar 16:9")
    assert quota.startswith("等级 free：今天已用 1")
    assert shown.startswith("用 /mj <提示词> [参数] 绘图，例如：")
    assert taiwan.startswith("方案 free：今天已用 1")
    assert english.startswith("Tier free")


async def test_a_failed_job_is_refunded_in_the_users_language(
    settings: Settings, api: FakeDiscord
) -> None:
    # A broken scorer fails its warm-up: start with the check off, turn it on for the server.
    scorer = "tests.fakes.safety_scorer:BrokenScorer"
    broken = tweak(settings, "safety", scorer=scorer, mode="off")
    async with discord_bot(broken, api) as h:
        await h.store.run(
            lambda s: s.safety.set_policy(f"discord:{GUILD}", "block", 0.8, "spoiler", "t")
        )
        drawn = await h.command("mj", prompt="a fox", locale="zh-TW")
        ack = await api.wait_for("PATCH", original(drawn), has("已受理"))
        job_id = ack.payload["content"].split()[1]
        await h.service.wait(job_id)
        failure = has(f"任務 {job_id} 失敗")
        await until(lambda: any(failure(c) for c in api.calls))
        failed = next(c for c in api.calls if failure(c))
        ledger = await h.store.run(
            lambda s: [r["delta"] for r in s.db["ledger"].rows_where("job_id = ?", [job_id])]
        )
    assert failed.payload["content"].endswith("所用的 1 額度已全部退還。")  # what came back
    assert ledger == [-1.0, 1.0]


async def test_commands_carry_chinese_descriptions_and_choices(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api):
        pass
    [sync] = api.find("PUT", rf"/applications/{APP_ID}/commands")
    commands = {c["name"]: c for c in sync.payload}  # type: ignore[union-attr]
    mj = commands["mj"]
    assert mj["description"] == "Draw a 2×2 grid (add --ar 16:9, --no …, --seed …)"
    assert mj["description_localizations"] == {
        "zh-CN": "画一张 2×2 四宫格（可加 --ar 16:9、--no …、--seed …）",
        "zh-TW": "畫一張 2×2 四宮格（可加 --ar 16:9、--no …、--seed …）",
    }
    assert "name_localizations" not in mj or not mj["name_localizations"]  # names stay English
    every = [c for c in commands.values()] + [
        o for c in commands.values() for o in c.get("options", [])
    ]
    for item in every:  # every description reads in both scripts
        assert set(item["description_localizations"]) == {"zh-CN", "zh-TW"}, item["name"]
    choices = [
        ch for c in commands.values() for o in c.get("options", []) for ch in o.get("choices", [])
    ]
    assert choices and all(set(ch["name_localizations"]) == {"zh-CN", "zh-TW"} for ch in choices)
