"""The dispatcher's decisions with several workers: which worker draws what, and what happens
when one is lost. Scripted workers stand in for Ray actors here (tests/test_ray_engine.py runs
the real ones); they report events the way a real worker does, without drawing."""

from __future__ import annotations

import asyncio
import threading

from engine.dispatcher import MAX_LOST_RUNS, Engine
from engine.executor import Outcome, WorkerStatus
from engine.job import Failed, Finished, Progress, Started
from engine.profiles import profile_for_name
from i18n import render
from tests.helpers import make_spec


class ScriptedWorker:
    def __init__(self, name: str, loaded: tuple[str, ...] = (), alive: bool = True) -> None:
        self.name = name
        self.loaded = loaded
        self.alive = alive
        self.deadly: set[str] = set()  # jobs it dies on
        self.restarts_at_once = False  # else it stays down after dying, as while Ray restarts it
        self.drawn: list[str] = []

    def draw(self, jobs, emit) -> Outcome:
        for job in jobs:
            self.drawn.append(job.spec.job_id)
            emit(Started(job.spec.job_id, job.task_id))
            if job.spec.job_id in self.deadly:
                self.alive = self.restarts_at_once
                return Outcome.LOST
            emit(Finished(job.spec.job_id, [], job.spec.seeds, 0.01))
        return Outcome.DONE

    def interrupt(self, job_id: str) -> None:
        """The job's cancel flag is all a scripted worker reads."""

    def status(self) -> WorkerStatus:
        return WorkerStatus(self.name, self.alive, loaded=self.loaded)


class ScriptedPool:
    def __init__(self, *workers: ScriptedWorker) -> None:
        self.list = list(workers)
        self.changed = lambda: None

    def start(self, changed) -> None:
        self.changed = changed
        changed()

    def workers(self) -> list[ScriptedWorker]:
        return self.list

    def stop(self) -> None:
        """Nothing runs outside the dispatcher's threads."""


def engine_over(*workers: ScriptedWorker) -> Engine:
    engine = Engine(ScriptedPool(*workers), lambda _: profile_for_name("tiny"))
    engine.start()
    return engine


async def events_of(handle) -> list:
    async with asyncio.timeout(10):
        return [event async for event in handle.events()]


async def test_a_job_goes_to_a_worker_with_its_model_else_the_least_recently_used() -> None:
    plain, warm = ScriptedWorker("w0"), ScriptedWorker("w1", loaded=("xl",))
    engine = engine_over(plain, warm)
    try:
        for job_id, model in (("x1", "xl"), ("t1", "tiny"), ("x2", "xl"), ("t2", "tiny")):
            await engine.submit(make_spec(job_id, model=model)).result()
            # A worker is free again once its run is wound up, just after the result went out.
            await engine.wait_idle()
        # xl jobs go where xl is loaded; the others to whichever worker waited longest.
        assert warm.drawn == ["x1", "x2"] and plain.drawn == ["t1", "t2"]
        assert [w.jobs_done for w in engine.workers()] == [2, 2]
    finally:
        engine.stop()


async def test_a_lost_workers_job_runs_again_first_and_finishes_once() -> None:
    doomed, other = ScriptedWorker("w0"), ScriptedWorker("w1")
    doomed.deadly.add("j1")
    engine = Engine(ScriptedPool(doomed, other), lambda _: profile_for_name("tiny"))
    j1 = engine.submit(make_spec("j1", user="console:a"))
    j2 = engine.submit(make_spec("j2", user="console:b"))
    engine.start()
    try:
        events = await events_of(j1)
        starts = [e.task_id.rsplit(":", 1)[1] for e in events if isinstance(e, Started)]
        assert starts == ["w0", "w1"]  # lost on w0, drawn again on w1
        assert sum(isinstance(e, Finished) for e in events) == 1
        assert isinstance(await j2.result(), Finished)
    finally:
        engine.stop()


async def test_a_job_that_kills_every_worker_fails_after_a_few_tries() -> None:
    workers = [ScriptedWorker("w0"), ScriptedWorker("w1")]
    for worker in workers:
        worker.deadly.add("poison")
        worker.restarts_at_once = True
    engine = engine_over(*workers)
    try:
        events = await events_of(engine.submit(make_spec("poison")))
        assert sum(isinstance(e, Started) for e in events) == MAX_LOST_RUNS
        assert isinstance(events[-1], Failed) and "stopped 3 times" in render(events[-1].error)
        assert isinstance(await engine.submit(make_spec("next")).result(), Finished)
    finally:
        engine.stop()


async def test_with_no_worker_alive_jobs_wait_then_start_when_one_appears() -> None:
    worker = ScriptedWorker("w0", alive=False)
    pool = ScriptedPool(worker)
    engine = Engine(pool, lambda _: profile_for_name("tiny"))
    engine.start()
    try:
        handle = engine.submit(make_spec("waits"))
        assert engine.waiting_count() == 1 and engine.position("waits") == 1
        assert [w.alive for w in engine.workers()] == [False]
        worker.alive = True
        pool.changed()  # Ray restarted it (or a GPU machine joined)
        assert isinstance(await handle.result(), Finished)
    finally:
        engine.stop()


class FinishingWorker(ScriptedWorker):
    """A remote worker whose last step runs before a cancel reaches it: it ignores the flag."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.halfway = threading.Event()
        self.go_on = threading.Event()

    def draw(self, jobs, emit) -> Outcome:
        [job] = jobs
        emit(Started(job.spec.job_id, job.task_id))
        emit(Progress(job.spec.job_id, 1, 2))
        self.halfway.set()
        self.go_on.wait(10)
        emit(Progress(job.spec.job_id, 2, 2))
        emit(Finished(job.spec.job_id, [], job.spec.seeds, 0.01))
        return Outcome.DONE


async def test_a_cancel_a_remote_worker_heard_too_late_marks_the_result() -> None:
    worker = FinishingWorker("w0")
    engine = engine_over(worker)
    try:
        handle = engine.submit(make_spec("late"))
        await asyncio.to_thread(worker.halfway.wait, 10)
        assert engine.cancel("late")  # accepted: the dispatcher had heard of one step of two
        worker.go_on.set()
        result = await handle.result()
        assert isinstance(result, Finished) and result.cancel_came_late
        on_time = engine.submit(make_spec("on-time"))
        worker.go_on.set()
        assert not (await on_time.result()).cancel_came_late
    finally:
        engine.stop()


async def test_a_job_an_engine_stop_could_not_interrupt_is_not_told_of_a_cancel() -> None:
    worker = FinishingWorker("w0")
    engine = engine_over(worker)
    handle = engine.submit(make_spec("stopped"))
    await asyncio.to_thread(worker.halfway.wait, 10)
    engine.stop(timeout=0)  # interrupts the run (its cancel flag), as at shut-down
    worker.go_on.set()
    result = await handle.result()
    assert isinstance(result, Finished) and not result.cancel_came_late
