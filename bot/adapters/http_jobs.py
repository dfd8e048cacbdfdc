"""Live state of API jobs: the core's replies for platform "api" become job state and events.

The core reports each job as Replies (ACK, PROGRESS, RESULT, ERROR, TEXT "cancelled"); this
sink keeps what `GET /api/jobs/{id}` shows while a job is alive (queue position, percent,
latest preview) and fans events out to Server-Sent Events subscribers. SQLite stays the
truth for status and images: finished states are kept only briefly, for late subscribers.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from bot.core.delivery import failure_reason
from bot.core.queries import JobStatus, Queries, ShownImage
from bot.core.requests import Origin, Reply, ReplyKind

FINISHED_KEPT = 500  # finished job states kept for subscribers that arrive just after the end
PREVIEW_BYTES = 32 * 1024 * 1024  # in-memory previews, oldest dropped first


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One SSE event: `name` is position, progress, done, failed or cancelled."""

    name: str
    data: dict[str, Any]

    @property
    def final(self) -> bool:
        return self.name in ("done", "failed", "cancelled")


@dataclass(slots=True)
class JobState:
    job_id: str
    status: str = JobStatus.QUEUED.value
    position: int | None = None  # 1 = next; None once running
    percent: int | None = None
    preview: str | None = None  # image name of the latest preview (served from memory)
    preview_flagged: bool = False  # the safety check flagged it (a spoiler elsewhere)
    final: JobEvent | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    subscribers: set[asyncio.Queue[JobEvent]] = field(default_factory=set)

    def snapshot(self) -> list[JobEvent]:
        """What a new subscriber is told first: where the job stands now."""
        if self.final is not None:
            return [self.final]
        if self.percent is not None:
            data = {
                "percent": self.percent,
                "preview": self.preview,
                "previewFlagged": self.preview_flagged,
            }
            return [JobEvent("progress", data)]
        if self.position is not None:
            return [JobEvent("position", {"position": self.position})]
        return []


def image_name(relative_path: str) -> str:
    """A stored image's public name: its random file name (the shard folder is derived)."""
    return PurePosixPath(relative_path).name


class Previews:
    """Preview PNGs in memory under random names, within a byte budget (oldest dropped)."""

    def __init__(self, budget: int = PREVIEW_BYTES) -> None:
        self.budget = budget
        self._images: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def add(self, png: bytes) -> str:
        name = f"{secrets.token_hex(16)}.png"  # same shape as stored names: one URL scheme
        self._images[name] = png
        self._size += len(png)
        while self._size > self.budget and len(self._images) > 1:
            _, dropped = self._images.popitem(last=False)
            self._size -= len(dropped)
        return name

    def get(self, name: str) -> bytes | None:
        return self._images.get(name)


class JobBoard:
    """The "api" ReplySink: per-job live state, previews and event fan-out."""

    def __init__(self, queries: Queries) -> None:
        self.queries = queries
        self.previews = Previews()
        self._jobs: dict[str, JobState] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()

    def state(self, job_id: str) -> JobState:
        """The job's state, created on first use (events may arrive before the request ends)."""
        state = self._jobs.get(job_id)
        if state is None:
            state = self._jobs[job_id] = JobState(job_id)
        return state

    def known(self, job_id: str) -> JobState | None:
        return self._jobs.get(job_id)

    def subscribe(self, job_id: str) -> tuple[list[JobEvent], asyncio.Queue[JobEvent]]:
        """The current snapshot and a queue of what follows, with nothing lost in between
        (no await between reading the snapshot and registering the queue)."""
        state = self.state(job_id)
        queue: asyncio.Queue[JobEvent] = asyncio.Queue()
        state.subscribers.add(queue)
        return state.snapshot(), queue

    def unsubscribe(self, job_id: str, queue: asyncio.Queue[JobEvent]) -> None:
        state = self._jobs.get(job_id)
        if state is not None:
            state.subscribers.discard(queue)

    # ReplySink ---------------------------------------------------------------------------
    async def send(self, origin: Origin, reply: Reply) -> None:
        if reply.job_id is None:
            return  # API calls get errors as HTTP answers, not as replies
        state = self.state(reply.job_id)
        if state.final is not None:
            return
        if reply.kind in (ReplyKind.ACK, ReplyKind.PROGRESS) and reply.percent is None:
            if reply.position:  # position 0 in an ACK means it started at once
                state.position = reply.position
                self._publish(state, JobEvent("position", {"position": reply.position}))
        elif reply.kind is ReplyKind.PROGRESS:
            state.status, state.position, state.percent = (
                JobStatus.RUNNING.value,
                None,
                reply.percent,
            )
            if reply.image_png is not None:
                state.preview = self.previews.add(reply.image_png)
                state.preview_flagged = reply.spoiler
            data = {
                "percent": reply.percent,
                "preview": state.preview,
                "previewFlagged": state.preview_flagged,
            }
            self._publish(state, JobEvent("progress", data))
        else:
            # RESULT, ERROR or the cancelled TEXT: the row in SQLite says which, with images.
            await self._settle(state)

    async def _settle(self, state: JobState) -> None:
        job_id = state.job_id

        row, shown = await self.queries.job_and_shown(job_id)
        if row is None or not JobStatus(row["status"]).finished:
            return
        state.status, state.position = row["status"], None
        state.final = final_event(row, shown, await describe_prompts(self.queries, row))
        self._publish(state, state.final)
        state.settled.set()
        state.subscribers.clear()
        self._finished[job_id] = None
        while len(self._finished) > FINISHED_KEPT:
            old, _ = self._finished.popitem(last=False)
            self._jobs.pop(old, None)

    def _publish(self, state: JobState, event: JobEvent) -> None:
        for queue in state.subscribers:
            queue.put_nowait(event)


async def describe_prompts(queries: Queries, row: dict[str, Any]) -> list[str] | None:
    """A describe's prompts (None for a drawing, which has images instead)."""
    if row["action"] != "describe":
        return None
    return [suggestion.prompt for suggestion in await queries.suggestions(row["id"])]


def shown_names(shown: list[ShownImage]) -> list[str | None]:
    """Each image's public name as users may see it (a blurred copy); None: withheld."""
    return [image_name(image.path) if image.path else None for image in shown]


def safety_json(shown: list[ShownImage]) -> list[dict[str, Any]]:
    """Each image's safety verdict, as the job JSON carries it."""
    return [
        {
            "image": image.image_index,
            "verdict": image.verdict,  # safe, flagged or unchecked (the policy there is off)
            "score": None if image.score is None else round(image.score, 4),
            "action": image.action.value,  # show, spoiler, blur or block
            "released": image.released,
        }
        for image in shown
    ]


def final_event(
    row: dict[str, Any], shown: list[ShownImage], prompts: list[str] | None = None
) -> JobEvent:
    """The last event of a job, from its row and its images as users may see them (or a
    describe's prompts)."""
    status = JobStatus(row["status"])
    if status is JobStatus.DONE:
        grid = image_name(row["grid_path"]) if row.get("grid_path") else None
        data: dict[str, Any] = {
            "images": shown_names(shown),
            "grid": grid,
            "safety": safety_json(shown),
        }
        if prompts is not None:
            data["prompts"] = prompts
        return JobEvent("done", data)
    if status is JobStatus.FAILED:  # the reason is rendered in each subscriber's language
        return JobEvent("failed", {"error": failure_reason(row)})
    return JobEvent("cancelled", {})
