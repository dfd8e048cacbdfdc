"""kill -9 of the real `mjbot http` process with jobs queued and running: a new process over
the same data directory delivers every job once and charges it once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from storage.store import Store
from tests.helpers import TINY_ENV, free_port, until

pytestmark = pytest.mark.slow

READY = "HTTP API on http://"


@dataclass
class Bot:
    """A running `mjbot http`, its output kept (and shown if the test fails)."""

    process: asyncio.subprocess.Process
    output: list[str] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.output.append(line)
            if READY in line:
                self.ready.set()


@asynccontextmanager
async def mjbot_http(env: dict[str, str]) -> AsyncIterator[Bot]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "http",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    bot = Bot(process)
    reader = asyncio.create_task(bot.read())
    try:
        ready = asyncio.create_task(bot.ready.wait())
        # Ready, or its output ended (it exited): whichever comes first.
        await asyncio.wait({reader, ready}, timeout=180, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        assert bot.ready.is_set(), "\n".join(bot.output)
        yield bot
    except BaseException:
        # What the server said before a failure (pytest shows it): the clue to why it went away.
        print("\n".join(bot.output))
        raise
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await process.wait()
        await reader


async def test_after_kill_9_every_job_is_delivered_once_and_charged_once(
    settings: Settings,
) -> None:
    store = Store(settings.db_path)
    key = store.api_keys.create("kill9")
    store.close()
    port = free_port()
    env = {
        **os.environ,
        **TINY_ENV,
        "MJ_DATA_DIR": str(settings.data_dir),
        "MJ_HTTP_ENABLED": "true",
        "MJ_HTTP_HOST": "127.0.0.1",
        "MJ_HTTP_PORT": str(port),
        "MJ_TRANSLATE": "off",
        "MJ_IMAGES_PER_JOB": "2",
        "MJ_TIERS": "free=1000/20/1",  # credits and places for every job here
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    base = f"http://127.0.0.1:{port}/api"
    auth = {"Authorization": f"Bearer {key}"}

    # 1. Jobs queued, one of them running, one done: then the process is killed outright.
    async with mjbot_http(env) as first, aiohttp.ClientSession(headers=auth) as http:
        quick = await _post(http, base, "a quick lamp --steps 1")
        slow = [await _post(http, base, f"a slow lamp {n} --steps 50") for n in range(5)]
        assert (await _events(http, base, quick))[-1] == "done"
        await _events(http, base, slow[0], until="progress")  # it runs now
        first.process.send_signal(signal.SIGKILL)
        await first.process.wait()
    jobs = [quick, *slow]
    before = _rows(settings, jobs)
    assert before[quick]["status"] == "done"
    assert {row["status"] for row in before.values()} >= {"running", "queued"}, before

    # 2. A new process over the same data directory finishes and delivers every job.
    async with mjbot_http(env) as second, aiohttp.ClientSession(headers=auth) as http:
        for job_id in jobs:  # each stream ends with one final event: done
            assert (await _events(http, base, job_id))[-1:] == ["done"], second.output
        # Delivery is recorded just after the event went out: stop once it is, everywhere.
        await until(lambda: all(r["delivered_at"] for r in _rows(settings, jobs).values()), 60)
    after = _rows(settings, jobs)
    for row in after.values():
        assert row["status"] == "done" and row["delivered_at"], row
        assert row["ledger"] == ["debit"], row  # charged once, nothing refunded
        assert row["final"]["sent_at"] and row["images"] == 2, row
    assert after[quick]["final"]["sent_at"] == before[quick]["final"]["sent_at"]  # not again
    running = [job_id for job_id, row in before.items() if row["status"] == "running"]
    assert all(after[job_id]["attempts"] == 2 for job_id in running)  # ran again, paid once


async def _post(http: aiohttp.ClientSession, base: str, prompt: str) -> str:
    async with http.post(f"{base}/jobs", json={"prompt": prompt}) as response:
        answer = await response.json()
        assert response.status == 202, answer
        return answer["data"]["jobId"]


async def _events(
    http: aiohttp.ClientSession, base: str, job_id: str, until: str | None = None
) -> list[str]:
    """The job's event names from its stream, until its final one (or `until`)."""
    names = []
    async with asyncio.timeout(120), http.get(f"{base}/jobs/{job_id}/events") as response:
        async for raw in response.content:
            line = raw.decode().strip()
            if line.startswith("event: "):
                names.append(line.removeprefix("event: "))
                if names[-1] == until:
                    break
    return names if until is None else [until]


def _rows(settings: Settings, job_ids: list[str]) -> dict[str, dict[str, Any]]:
    store = Store(settings.db_path)
    try:
        return {
            job_id: {
                **store.jobs.get(job_id),
                "ledger": [
                    r["kind"] for r in store.db["ledger"].rows_where("job_id = ?", [job_id])
                ],
                "final": store.outbox.get(job_id, "final") or {},
                "images": len(store.jobs.images(job_id)),
            }
            for job_id in job_ids
        }
    finally:
        store.close()
