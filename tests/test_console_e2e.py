"""The whole skeleton on the tiny pipeline: console adapter -> core -> engine -> SQLite + files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from bot.adapters.console import ConsoleAdapter
from bot.core.requests import ReplyKind
from tests.helpers import CaptureSink, load_image, result_of, run_line

pytestmark = pytest.mark.slow


async def test_mj_produces_grid_four_images_and_rows(app) -> None:
    _, sink = await run_line(app, "/mj a red fox --ar 2:1 --seed 42")
    result = result_of(sink)
    grid = load_image(result.image_path)
    job = app.store.run_sync(lambda s: s.jobs.get(result.job_id))
    images = app.store.run_sync(lambda s: s.jobs.images(result.job_id))

    assert job["status"] == "done" and job["delivered_at"] is not None
    assert not app.service.delivery._settled  # a long-running bot keeps no future per job
    assert (await app.service.wait(result.job_id))["id"] == result.job_id  # late waiters too
    assert (job["width"], job["height"], job["aspect"]) == (96, 48, "2:1")
    assert grid.size == (2 * job["width"], 2 * job["height"])
    assert [i.image_index for i in images] == [1, 2, 3, 4]
    assert [i.seed for i in images] == [42, 43, 44, 45]
    for row in images:
        path = app.settings.images_dir / row.path
        assert path.is_file()
        assert hashlib.md5(path.read_bytes()).hexdigest() == row.md5
        assert load_image(path).size == (row.width, row.height) == (job["width"], job["height"])
        assert len(Path(row.path).stem) == 32  # unguessable name
    kinds = [r.kind for r in sink.replies]
    assert kinds[0] is ReplyKind.ACK
    progress = [r.percent for r in sink.replies if r.kind is ReplyKind.PROGRESS and r.percent]
    assert progress == sorted(progress) and progress[-1] == 100
    assert [b.label for b in result.buttons] == [
        "U1",
        "U2",
        "U3",
        "U4",
        "V1",
        "V2",
        "V3",
        "V4",
        "🔄",
        "🗑",
    ]


async def test_same_seed_reproduces_and_each_image_stands_alone(app) -> None:
    _, first = await run_line(app, "a lighthouse --seed 7")
    _, again = await run_line(app, "a lighthouse --seed 7")
    _, single = await run_line(app, "a lighthouse --seed 8")
    rows = [
        app.store.run_sync(lambda s, r=r: s.jobs.images(result_of(r).job_id))
        for r in (first, again, single)
    ]
    pixels = [
        [np.asarray(load_image(app.settings.images_dir / i.path)) for i in rs] for rs in rows
    ]
    for a, b in zip(pixels[0], pixels[1], strict=True):
        assert np.array_equal(a, b)
    # Image 2 of seed 7 is seed 8: the same picture as image 1 of a job seeded 8.
    assert np.abs(pixels[0][1].astype(int) - pixels[2][0].astype(int)).max() <= 1
    assert not np.array_equal(pixels[0][0], pixels[0][1])


async def test_param_error_is_a_friendly_reply_and_nothing_is_stored(app) -> None:
    _, sink = await run_line(app, "/mj a fox --aspetc 16:9")
    assert [r.kind for r in sink.replies] == [ReplyKind.ERROR]
    assert "--aspect" in sink.replies[0].text
    assert app.store.run_sync(lambda s: s.db["jobs"].count) == 0


async def test_reroll_button_makes_a_new_job_with_a_new_seed(app) -> None:
    adapter, sink = await run_line(app, "a castle --seed 5")
    first = result_of(sink)
    await adapter.submit_line("R")
    results = [r for r in sink.replies if r.kind is ReplyKind.RESULT]
    assert len(results) == 2
    second = app.store.run_sync(lambda s: s.jobs.get(results[1].job_id))
    assert second["parent_id"] == first.job_id and second["action"] == "reroll"
    assert second["prompt"] == "a castle" and second["seed"] != 5


async def test_cancel_command_stops_a_running_job_and_records_it(app) -> None:
    import asyncio

    sink = CaptureSink()
    adapter = ConsoleAdapter(app.service, "alice", "Alice", sink=sink)
    await adapter.submit_line("a very slow fox --steps 50", wait=False)
    async with asyncio.timeout(60):
        while not any(r.kind is ReplyKind.PROGRESS and r.percent for r in sink.replies):
            await asyncio.sleep(0.005)
    await adapter.submit_line("/cancel")
    job_id = sink.replies[0].job_id
    await app.service.wait(job_id)
    job = app.store.run_sync(lambda s: s.jobs.get(job_id))
    assert job["status"] == "cancelled" and job["delivered_at"] is not None
    charged, refunded = app.store.run_sync(lambda s: s.credits.of_job(job_id))
    assert 0 < refunded < charged  # the steps that did not run
    [final] = [r for r in sink.replies if r.text.startswith(f"Job {job_id} cancelled.")]
    assert f"{refunded:g} of its {charged:g} credit" in final.text  # says what came back
    steps = [r.percent for r in sink.replies if r.kind is ReplyKind.PROGRESS and r.percent]
    assert max(steps) < 100


async def test_cancel_refuses_someone_elses_job(app) -> None:
    _, alice = await run_line(app, "a fox --seed 1")
    job_id = result_of(alice).job_id
    bob_sink = CaptureSink()
    bob = ConsoleAdapter(app.service, "bob", "Bob", sink=bob_sink)
    await bob.submit_line(f"/cancel {job_id}")
    assert bob_sink.replies[-1].kind is ReplyKind.ERROR
    assert "not yours" in bob_sink.replies[-1].text
    await bob.submit_line("/cancel")
    assert "no queued or running job" in bob_sink.replies[-1].text


async def test_the_console_survives_any_line(app, monkeypatch, caplog) -> None:
    """Lines that once ended the whole bot (issue 14) get an answer, and so does a bug: the
    REPL reads on."""
    from bot.core import handlers
    from bot.core.render import FAILED
    from i18n import render

    async def broken(parts, call):
        raise RuntimeError("a bug in /quota")

    monkeypatch.setitem(handlers.HANDLERS, "quota", broken)  # fault injection
    sink = CaptureSink()
    adapter = ConsoleAdapter(app.service, "alice", "Alice", sink=sink)
    lines = iter(
        [
            "a fox --seed " + "9" * 5000,
            "a fox --ar 1:" + "1" * 4301,
            "a::" + "9" * 400 + " b::-" + "9" * 400,
            "http://[::1/x.png a fox",
            "/history " + "7" * 5000,
            "/history ²",
            "/quota",
            "/help",
        ]
    )

    def read_line(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    await adapter.repl(read_line)
    kinds = [reply.kind for reply in sink.replies]
    assert kinds == [ReplyKind.ERROR] * 7 + [ReplyKind.TEXT]
    assert all(len(reply.text) < 400 for reply in sink.replies[:6])
    assert sink.replies[6].text == render(FAILED) and "a bug in /quota" in caplog.text
