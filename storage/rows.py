"""What the tables hold, shared by storage's modules: job statuses, image rows, timestamps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"  # persisted and acknowledged; waiting for the engine
    RUNNING = "running"  # the engine is generating it now
    DONE = "done"  # images stored; see delivered_at for whether the user got them
    FAILED = "failed"  # gave up; `error` says why in words a user can read
    CANCELLED = "cancelled"  # the user (or a moderator) cancelled it

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class ImageRow:
    image_index: int
    path: str
    md5: str
    width: int
    height: int
    seed: int | None


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
