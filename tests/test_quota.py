"""Credits: pure rules, the atomic debit, refunds, the daily reset, tiers and the commands."""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.app import open_app
from bot.config import ConfigError, Settings
from bot.core.quota import job_credits, next_reset, quota_day, refund_fraction
from bot.core.requests import Incoming, Origin, ReplyKind, SinkResponder
from bot.core.tiers import parse_tiers
from engine.profiles import PROFILES
from storage.credits import InsufficientCredits
from storage.store import Store
from tests.helpers import TINY_ENV, CaptureSink, make_spec

SHANGHAI = ZoneInfo("Asia/Shanghai")


# pure rules ------------------------------------------------------------------------------------
def test_a_default_job_costs_one_credit_and_others_in_proportion() -> None:
    tiny = PROFILES["tiny"]
    assert job_credits(make_spec(seeds=(1, 2, 3, 4)), tiny) == 1.0
    assert job_credits(make_spec(seeds=(1,)), tiny) == 0.25
    assert job_credits(make_spec(seeds=(1, 2, 3, 4), steps=8), tiny) == 2.0
    assert job_credits(make_spec(seeds=(1, 2, 3, 4), width=128, height=128), tiny) == 4.0
    assert job_credits(make_spec(seeds=(1, 2, 3, 4), steps=8, stop=50), tiny) == 1.0


def test_quota_days_follow_the_configured_zone_and_hour() -> None:
    before = datetime(2026, 11, 22, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    after = datetime(2026, 11, 22, 16, 1, tzinfo=UTC)  # 00:01 the next day there
    assert quota_day(before, UTC) == quota_day(after, UTC) == "2026-11-22"
    assert (quota_day(before, SHANGHAI), quota_day(after, SHANGHAI)) == (
        "2026-11-22",
        "2026-11-23",
    )
    assert quota_day(datetime(2026, 11, 22, 5, tzinfo=UTC), UTC, reset_hour=6) == "2026-11-21"
    reset = next_reset(before, SHANGHAI)
    assert reset == datetime(2026, 11, 23, tzinfo=SHANGHAI)
    assert (reset - before).total_seconds() == 60


def test_tiers_parse_and_refuse_nonsense() -> None:
    tiers = parse_tiers("free=5/3/1, vip=-/20/2.5")
    assert tiers["free"].daily == 5 and tiers["vip"].daily is None and tiers["vip"].weight == 2.5
    for bad in ("free", "free=5/3", "free=x/3/1", "free=5/0/1", "free=5/3/0"):
        with pytest.raises(ValueError):
            parse_tiers(bad)
    with pytest.raises(ConfigError, match="MJ_DEFAULT_TIER"):
        Settings.from_env({"MJ_TIERS": "a=1/1/1", "MJ_DEFAULT_TIER": "b"})
    with pytest.raises(ConfigError, match="MJ_QUOTA_TIMEZONE"):
        Settings.from_env({"MJ_QUOTA_TIMEZONE": "Mars/Olympus"})


def test_refund_fraction() -> None:
    assert refund_fraction(0, 0, started=False) == 1.0
    assert refund_fraction(5, 20, started=True) == 0.75
    assert refund_fraction(20, 20, started=True) == 0.0


# the ledger ------------------------------------------------------------------------------------
def test_debit_and_job_insert_are_atomic(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    user = store.users.upsert("console", "local", "me")
    job = {"id": "j1", "user_id": user, "platform": "console", "chat_id": "local"}
    store.credits.charge(job, "2026-11-22", 1.5, allowance=2.0)
    with pytest.raises(InsufficientCredits) as short:
        store.credits.charge({**job, "id": "j2"}, "2026-11-22", 1.0, 2.0)
    assert (short.value.left, short.value.needed) == (0.5, 1.0)
    with pytest.raises(sqlite3.IntegrityError):  # the job insert fails: no debit either
        store.credits.charge(job, "2026-11-22", 0.1, 2.0)
    assert store.db["jobs"].count == 1
    assert [r["delta"] for r in store.db["ledger"].rows] == [-1.5]
    assert store.credits.refund("j1", "2026-11-22", 1.0, "failed") == 1.5
    assert store.credits.refund("j1", "2026-11-22", 1.0, "again") == 0.0  # once
    assert store.credits.balance(user, "2026-11-22", 2.0).left == 2.0


# through the core --------------------------------------------------------------------------------
@pytest.fixture
async def quota_app(tmp_path: Path, tiny_model_dir: Path) -> AsyncIterator:
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    (data / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    settings = Settings.from_env(
        {
            **TINY_ENV,
            "MJ_DATA_DIR": str(data),
            "MJ_TIERS": "free=2/10/1,pro=20/20/2",
            "MJ_QUOTA_TIMEZONE": "Asia/Shanghai",
            "MJ_OWNER_IDS": "telegram:1",
        }
    )
    async with open_app(settings) as application:
        yield application


# One telegram sink per service, shared by its users (weak: a new test's service is new).
SINKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Someone:
    """One Telegram user in one chat, talking to the core; sees only the replies to them."""

    def __init__(self, app, user: str, moderator: bool = False) -> None:
        self.app, self.moderator = app, moderator
        self.origin = Origin("telegram", "chat-1", user)
        if app.service not in SINKS:
            SINKS[app.service] = CaptureSink()
            app.service.register_sink("telegram", SINKS[app.service])
        self.shared = SINKS[app.service]

    @property
    def replies(self) -> list:
        pairs = zip(self.shared.origins, self.shared.replies, strict=True)
        return [reply for origin, reply in pairs if origin.user_id == self.origin.user_id]

    async def say(self, text: str) -> str:
        await self.app.service.handle(
            Incoming(self.origin, f"user{self.origin.user_id}", text, None, self.moderator),
            SinkResponder(self.shared, self.origin),
        )
        return self.replies[-1].text if self.replies else ""

    async def draw(self, text: str) -> str | None:
        """The new job's id once it is settled; None if the core refused it."""
        before = set(self.app.service.pending_job_ids())
        await self.say(f"/mj {text}")
        new = set(self.app.service.pending_job_ids()) - before
        if not new:
            return None
        [job_id] = new
        await self.app.service.wait(job_id)
        return job_id


def ledger(app, user_id: str) -> list[tuple[str, float]]:
    def read(s: Store) -> list[tuple[str, float]]:
        user = s.users.find("telegram", user_id)
        rows = s.db["ledger"].rows_where("user_id = ?", [user["id"]], order_by="id")
        return [(r["kind"], r["delta"]) for r in rows]

    return app.store.run_sync(read)


async def test_jobs_are_debited_and_out_of_credits_says_when_they_return(quota_app) -> None:
    ann = Someone(quota_app, "2")
    assert await ann.draw("a fox")
    assert await ann.draw("a fox --ar 2:1") is None  # 96x48: 1.125 credits, 1 left
    assert await ann.draw("another fox")
    assert await ann.draw("a third fox") is None
    refusal = ann.replies[-1]
    assert refusal.kind is ReplyKind.ERROR and refusal.ephemeral
    assert (
        "Not enough credits" in refusal.text
        and "Credits return at 12:00\u202fAM CST" in refusal.text
    )
    assert [kind for kind, _ in ledger(quota_app, "2")] == ["debit", "debit"]
    assert "Tier free" in await ann.say("/quota") and "left of 2" in await ann.say("/quota")


async def test_the_day_turns_over_at_midnight_in_the_configured_zone(quota_app) -> None:
    ann = Someone(quota_app, "2")
    clock = quota_app.service.accounts
    clock.clock = lambda: datetime(2026, 11, 22, 15, 58, tzinfo=UTC)  # 23:58 in Shanghai
    assert await ann.draw("one") and await ann.draw("two")
    assert await ann.draw("three") is None
    clock.clock = lambda: datetime(2026, 11, 22, 16, 1, tzinfo=UTC)  # 00:01 the next day
    assert await ann.draw("three")


async def test_failed_and_cancelled_jobs_are_refunded(quota_app) -> None:
    ann = Someone(quota_app, "2")
    pipe = quota_app.backend.load("tiny").pipe
    bias = pipe.vae.decoder.conv_out.bias
    saved = bias.data.clone()
    bias.data.fill_(float("nan"))  # the model now draws NaN: the job fails
    try:
        failed = await ann.draw("a fox")
    finally:
        bias.data.copy_(saved)
    assert quota_app.store.run_sync(lambda s: s.jobs.get(failed))["status"] == "failed"
    quota_app.engine.stop()  # nothing runs from here: the next job waits in the queue
    await ann.say("/mj a hare")
    [waiting] = ann.app.service.pending_job_ids()
    await ann.say("/cancel")
    await quota_app.service.wait(waiting)
    assert ledger(quota_app, "2") == [("debit", -1.0), ("refund", 1.0)] * 2
    assert "2 left of 2" in await ann.say("/quota")
    # Each says what came back.
    [failure] = [r for r in ann.replies if r.job_id == failed and r.kind is ReplyKind.ERROR]
    assert "invalid pixels" in failure.text and failure.text.endswith("Its 1 credit was refunded.")
    said = [r.text for r in ann.replies if r.job_id == waiting and "cancelled" in r.text]
    assert said == [f"Job {waiting} cancelled. Its 1 credit was refunded."]


async def test_a_job_cancelled_while_running_refunds_the_steps_it_did_not_run(quota_app) -> None:
    ann = Someone(quota_app, "2")
    await ann.say("/mj a slow fox --steps 8")  # 2 credits
    async with asyncio.timeout(60):
        while not any(r.kind is ReplyKind.PROGRESS and r.percent for r in ann.replies):
            await asyncio.sleep(0.002)
    await ann.say("/cancel")
    [job_id] = [r.job_id for r in ann.replies if r.kind is ReplyKind.ACK]
    await quota_app.service.wait(job_id)
    [(_, debit), (kind, refund)] = ledger(quota_app, "2")
    assert kind == "refund" and debit == -2.0 and 0 < refund < 2.0


async def test_moderators_and_owners_adjust_credits_others_cannot(quota_app) -> None:
    ann, mod, owner = Someone(quota_app, "2"), Someone(quota_app, "3", moderator=True), None
    await ann.draw("a fox")
    assert "for moderators" in await ann.say("/quota-grant 2 5")
    assert "Granted 5 credits" in await mod.say("/quota_grant 2 5")  # Telegram's spelling
    assert "6 left of 7" in await ann.say("/quota")
    assert "now has 1 credits" in await mod.say("/quota-set 2 1")
    assert "now has 2 credits" in await mod.say("/quota-reset 2")
    assert "Only the bot's owners" in await mod.say("/tier-set 2 pro")
    owner = Someone(quota_app, "1")
    assert "tier pro" in await owner.say("/tier-set 2 pro")
    job_id = await ann.draw("a pro fox")
    spec = quota_app.store.run_sync(lambda s: s.jobs.get(job_id))["spec_json"]
    assert '"weight": 2.0' in spec  # the tier's weight reaches the fair queue
    assert "don't know user" in await owner.say("/tier-set 99 pro")
    assert [kind for kind, _ in ledger(quota_app, "2")][:4] == ["debit", "grant", "set", "reset"]


async def test_a_blocked_user_is_refused_and_nothing_is_queued(quota_app) -> None:
    ann, mod = Someone(quota_app, "2"), Someone(quota_app, "3", moderator=True)
    await ann.draw("a fox")
    assert "blocked" in await mod.say("/block 2 spamming")
    assert await ann.draw("another fox") is None
    assert "blocked from drawing here: spamming" in ann.replies[-1].text
    assert "may draw again" in await mod.say("/unblock 2")
    assert await ann.draw("another fox")


async def test_history_and_show_on_the_console(app) -> None:
    sink = CaptureSink()
    console = ConsoleAdapter(app.service, "alice", "Alice", sink=sink)
    await console.submit_line("a fox --seed 11")
    await console.submit_line("a hare --seed 12")
    await console.submit_line("/history 5")
    lines = sink.replies[-1].text.splitlines()
    assert len(lines) == 2 and "a hare" in lines[0] and "seed 11" in lines[1]
    first = lines[1].split(" · ")[0]
    await console.submit_line(f"/show {first}")
    shown = sink.replies[-1]
    assert shown.kind is ReplyKind.RESULT and shown.job_id == first
    assert shown.image_path.is_file() and len(shown.buttons) == 10
    await console.submit_line("/show nope")
    assert sink.replies[-1].kind is ReplyKind.ERROR
