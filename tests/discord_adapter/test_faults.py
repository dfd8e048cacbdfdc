"""Thirty /mj over a Discord that fails a fifth of all message sends and edits (429s, 5xx
before and after applying, connections reset after applying), seeded: every result is visible
exactly once, in the job's own message, no preview or "thinking…" is left showing, each user is
told once, each job is charged once, and all of it within the run (nothing restarts)."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.config import Settings
from tests.discord_adapter.harness import CHANNEL, custom_ids_of, discord_bot
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import LOADING
from tests.fakes.faults import Fault, FaultPlan
from tests.helpers import delivered_and_charged_once, tweak, until

pytestmark = pytest.mark.slow

USERS = (301, 302, 303, 304, 305, 306)
JOBS_PER_USER = 5
# Every request that sends or edits a message: through an interaction's webhook or a channel.
SENDS = re.compile(
    r"(PATCH|POST) /(webhooks/\d+/[^/]+(/messages/(@original|\d+))?|channels/\d+/messages(/\d+)?)"
)
PROGRESS = re.compile(r"Job \w+: (\d+% \(step|#\d+ in the queue)")


async def test_thirty_jobs_through_a_failing_discord_each_show_their_result_once(
    settings: Settings, api: FakeDiscord
) -> None:
    settings = tweak(settings, "discord", edit_every_s=0.0)  # every step's preview is sent
    settings = tweak(settings, "delivery", retry_first_s=0.05, retry_max_s=0.5)
    api.faults = FaultPlan(rate=0.2, seed=14, eligible=lambda route: bool(SENDS.fullmatch(route)))
    async with discord_bot(settings, api) as h:
        for n in range(JOBS_PER_USER):
            for user in USERS:
                await h.command("mj", prompt=f"a lantern number {n} --steps 1", user=user)

        def jobs() -> list[dict]:
            return h.store.run_sync(lambda s: list(s.db["jobs"].rows))

        await until(lambda: len(jobs()) == len(USERS) * JOBS_PER_USER, timeout=60)
        async with asyncio.timeout(180):
            finals = [await h.service.wait(row["id"]) for row in jobs()]
        delivered_and_charged_once(h.store, finals)

    assert {fault.fault for fault in api.faults.injected} == set(Fault)  # every kind happened
    messages = [m for m in api.messages.values() if m["channel_id"] == str(CHANNEL)]
    assert not [m for m in messages if m["flags"] & LOADING]  # no "thinking…" left behind
    for row in finals:
        job_id, user = row["id"], row["platform_user_id"]
        shown = [m for m in messages if job_id in m["content"] or _buttons_of(m, job_id)]
        [grid] = [m for m in shown if _buttons_of(m, job_id)]
        assert grid["id"] == row["reply_message_id"]
        assert [a["filename"] for a in grid["attachments"]] == ["grid.png"]
        assert not [m for m in shown if PROGRESS.search(m["content"])], job_id  # none stuck
        assert not [a for m in shown for a in m["attachments"] if a["filename"] == "preview.png"]
        # Told exactly once: by the notice, or by the grid itself if it had to be posted anew.
        told = [m for m in shown if m["content"].startswith(f"<@{user}> ")]
        assert len(told) == 1, (job_id, told)
        assert len(shown) == 1 + (told[0] is not grid), (job_id, shown)


def _buttons_of(message: dict, job_id: str) -> bool:
    return f"mj:U1:{job_id}" in [i for row in custom_ids_of(message) for i in row]
