"""The engine's worker in drain mode on the tiny pipeline: events, cancel, failures, fairness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.backend import DiffusersBackend
from engine.dispatcher import Engine
from engine.fair_queue import QueueRefused
from engine.job import Cancelled, Failed, Finished, Progress, PromptPart, Queued, Started
from engine.worker import local_engine
from i18n import render
from tests.helpers import make_spec

pytestmark = pytest.mark.slow


spec = make_spec


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> DiffusersBackend:
    backend = DiffusersBackend(
        {"tiny": str(tiny_model_dir)}, data_dir=tmp_path_factory.mktemp("d"), allow_download=False
    )
    backend.load("tiny")
    return backend


@pytest.fixture
def make_engine(backend):
    engines: list[Engine] = []

    def make(**kwargs) -> Engine:
        engine = local_engine(kwargs.pop("backend", backend), **kwargs)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.stop()


async def collect(handle) -> list:
    return [event async for event in handle.events()]


async def test_events_arrive_in_order_with_preview_images(make_engine) -> None:
    engine = make_engine()
    engine.start()
    events = await collect(engine.submit(spec("j1", steps=5), preview_every_s=0))
    kinds = [type(e) for e in events]
    assert kinds[0] is Queued and kinds[1] is Started and kinds[-1] is Finished
    progress = [e for e in events if isinstance(e, Progress)]
    assert [p.step for p in progress] == [1, 2, 3, 4, 5]
    assert all(isinstance(p.preview, Image.Image) for p in progress)
    assert progress[0].preview.size == (64, 32)  # 2 images side by side at latent size
    assert len(events[-1].images) == 2


async def test_previews_follow_the_callers_pace(make_engine) -> None:
    engine = make_engine()
    engine.start()
    events = await collect(engine.submit(spec("j1", steps=5), preview_every_s=3600))
    previews = [e.preview for e in events if isinstance(e, Progress)]
    # The first step and the last one; nothing in between at one per hour.
    assert [p is not None for p in previews] == [True, False, False, False, True]
    none = await collect(engine.submit(spec("j2", steps=3), preview_every_s=None))
    assert all(e.preview is None for e in none if isinstance(e, Progress))


async def test_cancel_while_running_stops_within_one_step(make_engine) -> None:
    engine = make_engine()
    engine.start()
    handle = engine.submit(spec("long", steps=40))
    steps_after_cancel = None
    async for event in handle.events():
        if isinstance(event, Progress) and steps_after_cancel is None:
            assert engine.cancel("long")
            steps_after_cancel = 0
        elif isinstance(event, Progress):
            steps_after_cancel += 1
    assert isinstance(await handle.result(), Cancelled)
    assert (await handle.result()).while_running
    assert steps_after_cancel <= 2  # the step in flight, at most one more


async def test_cancel_while_queued_never_starts(make_engine) -> None:
    engine = make_engine()  # not started: everything waits
    handle = engine.submit(spec("q"))
    assert engine.cancel("q") and not engine.cancel("q")
    events = await collect(handle)
    assert [type(e) for e in events] == [Queued, Cancelled]
    assert not events[-1].while_running and engine.waiting_count() == 0


async def test_a_cancel_once_every_step_ran_is_too_late_and_the_job_finishes(make_engine):
    engine = make_engine()
    engine.start()
    handle = engine.submit(spec("late", steps=3))
    answers = [
        engine.cancel("late")
        async for event in handle.events()
        if isinstance(event, Progress) and event.step == event.total
    ]
    assert answers == [False]  # the engine decided: this job ends Finished, not Cancelled
    assert isinstance(await handle.result(), Finished)


async def test_a_batch_mate_cancelled_mid_run_stops_counting_steps(make_engine) -> None:
    engine = make_engine(batching=True)
    mine = engine.submit(spec("mine", steps=40))
    theirs = engine.submit(spec("theirs", user="console:b", steps=40))
    engine.start()  # both waiting: one batch, one forward pass
    steps = []
    async for event in mine.events():
        if isinstance(event, Progress):
            steps.append(event.step)
            if len(steps) == 1:
                assert engine.cancel("mine")
    finished = await collect(theirs)
    assert isinstance(await mine.result(), Cancelled) and isinstance(finished[-1], Finished)
    # Its batch-mate ran all 40 steps; the cancelled job's count (and price) stopped.
    assert max(steps) <= steps[0] + 2
    assert [e.step for e in finished if isinstance(e, Progress)][-1] == 40


async def test_a_failing_job_does_not_stop_the_next(make_engine) -> None:
    engine = make_engine()
    bad = engine.submit(spec("bad", width=60))  # not a multiple of 8: check_inputs refuses
    good = engine.submit(spec("good", user="console:b"))
    engine.start()
    assert isinstance(await bad.result(), Failed)
    assert "multiples of 8" in render((await bad.result()).error)
    assert isinstance(await good.result(), Finished)


async def test_a_light_user_goes_before_a_heavy_backlog(make_engine) -> None:
    engine = make_engine()
    heavy = [engine.submit(spec(f"h{i}", user="console:heavy", steps=2)) for i in range(6)]
    light = engine.submit(spec("light", user="console:light", steps=2))
    engine.start()
    await engine.wait_idle()
    order = []
    for handle in [*heavy, light]:
        started = [e for e in await collect(handle) if isinstance(e, Started)]
        order.append((started[0].task_id.split(":")[1], handle.job_id))
    served = [job for _, job in sorted(order, key=lambda item: int(item[0]))]
    assert served.index("light") <= 1


async def test_queue_positions_and_an_estimate_once_timings_exist(make_engine) -> None:
    engine = make_engine(max_waiting_per_user=2)
    first = engine.submit(spec("a1"))
    engine.submit(spec("a2"))
    with pytest.raises(QueueRefused, match="2 jobs waiting"):
        engine.submit(spec("a3"))
    assert engine.position("a1") == 1 and engine.position("a2") == 2
    engine.start()
    await engine.wait_idle()
    assert engine.seconds_per_cost is not None
    engine.stop()
    engine = make_engine()
    engine.seconds_per_cost = 0.5
    engine.submit(spec("x"))
    later = engine.submit(spec("y", user="console:b"))
    queued = [e for e in await _until_queued(later) if isinstance(e, Queued)]
    assert queued[-1].position == 2 and queued[-1].eta_s == pytest.approx(spec("x").cost * 0.5)
    assert isinstance(await first.result(), Finished)


async def _until_queued(handle) -> list:
    import asyncio

    await asyncio.sleep(0.05)
    events = []
    while not handle._events.empty():
        events.append(handle._events.get_nowait())
    return events


async def test_batching_gives_the_same_images_as_one_at_a_time(make_engine) -> None:
    alone = make_engine()
    alone.start()
    one = await alone.submit(spec("a", seeds=(3, 4))).result()
    two = await alone.submit(
        spec("b", user="console:b", seeds=(5,), prompts=(PromptPart("a blue car", 1.0),))
    ).result()
    batched = make_engine(batching=True, max_batch_jobs_per_user=1)
    h1 = batched.submit(spec("a", seeds=(3, 4)))
    h2 = batched.submit(
        spec("b", user="console:b", seeds=(5,), prompts=(PromptPart("a blue car", 1.0),))
    )
    h3 = batched.submit(spec("c", seeds=(6,)))  # same user as a: waits (running limit 1)
    batched.start()
    events = [await collect(h) for h in (h1, h2, h3)]
    tasks = [next(e.task_id for e in evs if isinstance(e, Started)) for evs in events]
    assert tasks[0].split(":")[1] == tasks[1].split(":")[1] != tasks[2].split(":")[1]
    for solo, together in ((one, events[0][-1]), (two, events[1][-1])):
        for a, b in zip(solo.images, together.images, strict=True):
            assert np.abs(np.asarray(a, int) - np.asarray(b, int)).max() <= 2


class OutOfMemoryOnBatches(DiffusersBackend):
    """Stands in for a small GPU: any batch of more than one job runs out of memory."""

    def generate(self, specs, on_step=None, cancel=None):
        import torch

        if len(specs) > 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return super().generate(specs, on_step, cancel)


async def test_out_of_memory_retries_one_job_at_a_time(make_engine, tiny_model_dir, tmp_path):
    small_gpu = OutOfMemoryOnBatches({"tiny": str(tiny_model_dir)}, data_dir=tmp_path)
    engine = make_engine(backend=small_gpu, batching=True)
    handles = [engine.submit(spec(f"j{i}", user=f"console:{i}")) for i in range(3)]
    engine.start()
    results = [await h.result() for h in handles]
    assert all(isinstance(result, Finished) for result in results)
