"""MJ_ENGINE=ray on a real local Ray cluster: two CPU workers (one torch thread each) drawing
the tiny model, driven through the core like any front end. One cluster for the module; the
workers outlive each test's dispatcher and are claimed by the next, as after a restart.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import secrets
import signal
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.__main__ import app as cli
from bot.adapters.console import ConsoleAdapter
from bot.config import Settings
from bot.core.requests import ReplyKind
from tests.helpers import TINY_ENV, CaptureSink, job, link_captioner, picture, press, until

if importlib.util.find_spec("ray") is None:
    pytest.skip("Ray is not installed: pip install -e '.[ray]'", allow_module_level=True)

pytestmark = pytest.mark.slow

LONG = "--steps 50"  # about a second or more on one thread: long enough to act mid-job


class Sink(CaptureSink):
    """Keeps every reply, and lets a test wait (on an event, not a clock) for one to come."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    async def send(self, origin, reply) -> None:
        await super().send(origin, reply)
        self.changed.set()

    async def wait_for(self, predicate: Callable[[list], bool], timeout: float = 120) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self.replies):
                self.changed.clear()
                await self.changed.wait()

    def of(self, job_id: str, kind: ReplyKind | None = None) -> list:
        return [r for r in self.replies if r.job_id == job_id and kind in (None, r.kind)]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A local Ray cluster for this module, with token authentication on a fresh token."""
    namespace = f"mjbot-test-{secrets.token_hex(4)}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_AUTH_MODE", "token")  # never writes ~/.ray/auth_token
        env.setenv("RAY_AUTH_TOKEN", secrets.token_hex(16))
        from engine.ray_cluster import ClusterConfig, connect, import_ray

        assert connect(ClusterConfig(None, namespace, workers=2, worker_cpus=1))
        yield namespace
        import_ray().shutdown()


@pytest.fixture(scope="module")
def ray_settings(
    cluster: str, tmp_path_factory, tiny_model_dir: Path, tiny_captioner_dir: Path
) -> Settings:
    """Shared by the module's dispatchers, so the workers never need rebuilding."""
    data = tmp_path_factory.mktemp("ray") / "data"
    (data / "models").mkdir(parents=True)
    (data / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    link_captioner(data, tiny_captioner_dir)
    broken = data / "broken-model"  # passes as a diffusers folder; its weights do not load
    (broken / "unet").mkdir(parents=True)
    (broken / "model_index.json").write_text(
        json.dumps({"_class_name": "StableDiffusionPipeline"})
    )
    (broken / "unet" / "config.json").write_text("not json")
    env = {
        **TINY_ENV,
        "MJ_DATA_DIR": str(data),
        "MJ_MODELS": f"broken={broken}",
        "MJ_ENGINE": "ray",
        "MJ_RAY_NAMESPACE": cluster,
        "MJ_RAY_WORKERS": "2",
        "MJ_RAY_WORKER_CPUS": "1",
        "MJ_TIERS": "free=-/20/1",  # long test jobs cost more than a free day's credits
    }
    return Settings.from_env(env)


async def open_bot(stack: AsyncExitStack, settings: Settings, user: str = "alice"):
    """A dispatcher over the shared workers, with a console user; waits for both workers."""
    from bot.app import open_app

    app = await stack.enter_async_context(open_app(settings))
    sink = Sink()
    adapter = ConsoleAdapter(app.service, user, user.title(), sink=sink)
    await until(lambda: sum(w.alive for w in app.engine.workers()) == 2, timeout=120)
    return app, adapter, sink


async def start_long_job(app, adapter: ConsoleAdapter, sink: Sink, prompt: str) -> str:
    """Submit a long job and return its id once it is drawing (its first progress came)."""
    await adapter.submit_line(f"{prompt} {LONG}", wait=False)
    [job_id] = app.service.pending_job_ids()
    await sink.wait_for(lambda _: bool(sink.of(job_id, ReplyKind.PROGRESS)))
    return job_id


def ledger(app, job_id: str) -> list[dict]:
    return app.store.run_sync(lambda s: list(s.db["ledger"].rows_where("job_id = ?", [job_id])))


async def test_two_users_draw_on_both_workers_at_once(ray_settings) -> None:
    async with AsyncExitStack() as stack:
        app, alice, sink = await open_bot(stack, ray_settings)
        bob = ConsoleAdapter(app.service, "bob", "Bob", sink=sink)
        await asyncio.gather(alice.submit_line(f"a fox {LONG}"), bob.submit_line(f"an owl {LONG}"))
        results = [r for r in sink.replies if r.kind is ReplyKind.RESULT]
        jobs = [r.job_id for r in results]
        assert len(jobs) == 2
        # Both were drawing before either finished, each on its own worker.
        first_result = sink.replies.index(results[0])
        for job_id in jobs:
            progress = sink.of(job_id, ReplyKind.PROGRESS)
            assert sink.replies.index(progress[0]) < first_result
            percents = [r.percent for r in progress if r.percent is not None]
            assert percents == sorted(percents) and percents[-1] == 100  # in order, to the end
        workers = {job(app, job_id)["task_id"].rsplit(":", 1)[1] for job_id in jobs}
        assert workers == {"mjbot-worker-0", "mjbot-worker-1"}
        # Counted once each worker has settled its batch (just after the result went out).
        await until(lambda: all(w.jobs_done >= 1 and w.alive for w in app.engine.workers()))
        # `mjbot workers` asks the actors themselves.
        env = {"MJ_ENGINE": "ray", "MJ_RAY_NAMESPACE": ray_settings.engine.ray_namespace}
        output = CliRunner().invoke(cli, ["workers", "--json"], env=env).output
        listed = [json.loads(line) for line in output.splitlines()]
        assert [(w["name"], w["alive"], w["loaded"]) for w in listed] == [
            ("mjbot-worker-0", True, ["tiny"]),
            ("mjbot-worker-1", True, ["tiny"]),
        ]
        assert sum(w["jobs_done"] for w in listed) >= 2 and all(w["pid"] for w in listed)


async def test_buttons_upscale_vary_and_reroll_on_remote_workers(ray_settings) -> None:
    async with AsyncExitStack() as stack:
        app, alice, sink = await open_bot(stack, ray_settings)
        await alice.submit_line("a castle --seed 7")
        [grid] = [r.job_id for r in sink.replies if r.kind is ReplyKind.RESULT]
        for action in ("U1", "V2", "reroll"):
            await press(alice, action, grid)
        derived = [r.job_id for r in sink.replies if r.kind is ReplyKind.RESULT][1:]
        rows = [job(app, job_id) for job_id in derived]
        assert [(r["action"], r["status"]) for r in rows] == [
            ("upscale", "done"),
            ("variation", "done"),
            ("reroll", "done"),
        ]
        # The start image travelled with the job: the upscale is image 1 at twice the size.
        assert (rows[0]["width"], rows[0]["height"], rows[0]["parent_image"]) == (128, 128, 1)
        # An edit's canvas and mask travel the same way.
        await press(alice, "ZO2", derived[0])
        zoom = job(app, [r.job_id for r in sink.replies if r.kind is ReplyKind.RESULT][-1])
        assert (zoom["action"], zoom["status"], zoom["width"]) == ("zoom_out", "done", 64)


async def test_a_describe_runs_on_a_remote_worker(ray_settings, tmp_path: Path) -> None:
    """A describe is one more kind of job: its image travels with it, its prompts come back."""
    photo = tmp_path / "photo.png"
    picture((120, 80)).save(photo)
    async with AsyncExitStack() as stack:
        app, alice, sink = await open_bot(stack, ray_settings)
        await alice.submit_line(f"describe {photo}")
        [answer] = [r for r in sink.replies if r.kind is ReplyKind.RESULT]
        row = job(app, answer.job_id)
        stored = app.store.run_sync(lambda s: s.suggestions.of_job(answer.job_id))
    assert (row["action"], row["status"]) == ("describe", "done")
    assert row["task_id"].rsplit(":", 1)[1].startswith("mjbot-worker-")
    assert len(stored) == 4 and all(s.prompt.endswith(" --ar 3:2") for s in stored)


async def test_cancel_reaches_a_job_running_on_a_worker(ray_settings) -> None:
    async with AsyncExitStack() as stack:
        app, alice, sink = await open_bot(stack, ray_settings)
        job_id = await start_long_job(app, alice, sink, "a slow river")
        await app.service.cancel(alice.origin, job_id)
        final = await app.service.wait(job_id)
        assert final["status"] == "cancelled"
        percents = [r.percent for r in sink.of(job_id, ReplyKind.PROGRESS) if r.percent]
        assert max(percents) < 50  # stopped within a few steps of 50, not at the end
        kinds = sorted(entry["kind"] for entry in ledger(app, job_id))
        assert kinds == ["debit", "refund"]  # the steps not drawn are paid back


async def test_a_model_that_fails_to_load_fails_its_job_only(ray_settings) -> None:
    async with AsyncExitStack() as stack:
        app, alice, sink = await open_bot(stack, ray_settings)
        await alice.submit_line("a ship --model broken")
        [error] = [r for r in sink.replies if r.kind is ReplyKind.ERROR]
        # Users read which model is unavailable; why (and where) is for the operator's log.
        assert "model 'broken' is not available" in error.text and "worker" not in error.text
        assert job(app, error.job_id)["status"] == "failed"
        assert sum(entry["delta"] for entry in ledger(app, error.job_id)) == 0  # refunded
        # Both workers stay in service for the model they can load.
        await asyncio.gather(alice.submit_line("a ship"), alice.submit_line("a harbour"))
        results = [r for r in sink.replies if r.kind is ReplyKind.RESULT]
        assert len(results) == 2 and all(w.alive for w in app.engine.workers())


async def test_a_restarted_dispatcher_reruns_jobs_in_flight_and_delivers_once(
    ray_settings,
) -> None:
    async with AsyncExitStack() as stack:
        first, alice, first_sink = await open_bot(stack, ray_settings)
        job_id = await start_long_job(first, alice, first_sink, "a lighthouse")
        # The first dispatcher dies: it records nothing more, while its worker draws on.
        await first.service.close()
        second, _, second_sink = await open_bot(stack, ray_settings)
        await second.service.start()  # the job was running: it runs again
        final = await second.service.wait(job_id)
        assert final["status"] == "done" and final["attempts"] == 2
        assert len(second_sink.of(job_id, ReplyKind.RESULT)) == 1
        assert first_sink.of(job_id, ReplyKind.RESULT) == []
        images = second.store.run_sync(lambda s: s.jobs.images(job_id))
        assert len(images) == 4  # stored once
        assert [entry["kind"] for entry in ledger(second, job_id)] == ["debit"]
        # The old dispatcher learnt that its workers were taken, and dropped what they drew.
        assert not first.engine.is_alive()


async def test_a_killed_worker_hands_its_job_to_the_other(ray_settings) -> None:
    async with AsyncExitStack() as stack:
        app, alice, sink = await open_bot(stack, ray_settings)
        job_id = await start_long_job(app, alice, sink, "a burning barn")
        [victim] = [w for w in app.engine.workers() if job_id in w.current_jobs]
        os.kill(victim.pid, signal.SIGKILL)
        final = await app.service.wait(job_id)
        assert final["status"] == "done"
        assert final["task_id"].rsplit(":", 1)[1] != victim.name  # drawn by the other worker
        assert len(sink.of(job_id, ReplyKind.RESULT)) == 1
        assert [entry["kind"] for entry in ledger(app, job_id)] == ["debit"]
        # Ray restarts the killed worker, and it takes work again.
        await until(lambda: all(w.alive for w in app.engine.workers()), timeout=120)
        revived = next(w for w in app.engine.workers() if w.name == victim.name)
        assert revived.pid != victim.pid
