"""Fair sharing of one GPU between users: start-time fair queuing (SFQ) weighted by job cost.

A plain synchronous data structure (no threads, no clocks), so its tests are plain asserts.

Each job gets a start tag S = max(V, F_user) and its user's finish tag becomes F = S + cost/weight,
where V is the start tag of the job most recently dispatched. Jobs are served in order of S
(ties: arrival order). A user who queues 20 jobs has tags 0, c, 2c, ... so a newcomer's first
job (tagged V) goes ahead of all but one of them; users who keep queues share GPU time in
proportion to their weights, whatever their job sizes. Dispatch is O(log n) through a heap.
With several workers the same order holds: each free worker takes the next job in line.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from i18n import MessageError, t

T = TypeVar("T")


class QueueRefused(MessageError):
    """A job cannot be queued; the message says why, for the user."""


@dataclass(order=True, slots=True)
class _Entry(Generic[T]):
    start: float
    seq: int
    finish: float = field(compare=False)
    user: str = field(compare=False)
    job_id: str = field(compare=False)
    cost: float = field(compare=False)
    item: T = field(compare=False, repr=False)
    removed: bool = field(default=False, compare=False)


@dataclass(slots=True)
class _User:
    finish: float = 0.0  # finish tag of the user's last queued job
    queue: deque = field(default_factory=deque)  # the user's live entries, in order


class FairQueue(Generic[T]):
    def __init__(self, *, max_per_user: int = 10, max_total: int = 1000) -> None:
        self.max_per_user = max_per_user
        self.max_total = max_total
        self.virtual_time = 0.0
        self._heap: list[_Entry[T]] = []
        self._users: dict[str, _User] = {}
        self._by_id: dict[str, _Entry[T]] = {}
        self._seq = itertools.count()
        # Put-back jobs (see `requeue`) sort before every pushed one at equal start tags.
        self._front_seq = itertools.count(-(2**62))

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._by_id

    def waiting_for(self, user: str) -> int:
        state = self._users.get(user)
        return len(state.queue) if state else 0

    def check_admission(self, user: str, max_waiting: int | None = None) -> None:
        """Raise QueueRefused if `user` may not queue one more job now.

        `max_waiting` overrides the per-user limit for this user (their tier's).
        """
        if len(self._by_id) >= self.max_total:
            raise QueueRefused(
                t(
                    "The queue is full ({count} jobs waiting). Please try again later.",
                    count=self.max_total,
                )
            )
        limit = self.max_per_user if max_waiting is None else max_waiting
        if self.waiting_for(user) >= limit:
            raise QueueRefused(
                t(
                    "You already have {count} jobs waiting, the most allowed. Wait for one to "
                    "start, or cancel one.",
                    count=limit,
                )
            )

    def push(
        self,
        job_id: str,
        user: str,
        item: T,
        cost: float,
        weight: float = 1.0,
        *,
        force: bool = False,
        max_waiting: int | None = None,
    ) -> None:
        """Queue a job; `force` skips the limits (jobs accepted before a restart)."""
        if job_id in self._by_id:
            raise ValueError(f"job {job_id} is already queued")
        if cost <= 0 or weight <= 0:
            raise ValueError("cost and weight must be positive")
        if not force:
            self.check_admission(user, max_waiting)
        state = self._users.setdefault(user, _User())
        start = max(self.virtual_time, state.finish)
        entry = _Entry(start, next(self._seq), start + cost / weight, user, job_id, cost, item)
        state.finish = entry.finish
        state.queue.append(entry)
        self._by_id[job_id] = entry
        heapq.heappush(self._heap, entry)

    def requeue(self, job_id: str, user: str, item: T, cost: float) -> None:
        """Put back a dispatched job whose run was lost (its worker died): first in line.

        It already had its turn and was charged for it when it was dispatched, so it starts
        at the current virtual time ahead of every waiting job, costs its user nothing more
        (later jobs keep their tags) and skips the limits.
        """
        if job_id in self._by_id:
            raise ValueError(f"job {job_id} is already queued")
        state = self._users.setdefault(user, _User())
        start = self.virtual_time
        entry = _Entry(start, next(self._front_seq), start, user, job_id, cost, item)
        state.queue.appendleft(entry)
        self._by_id[job_id] = entry
        heapq.heappush(self._heap, entry)

    def peek(self) -> T | None:
        """The job `pop` would return, left in line (to pick a worker for it first)."""
        while self._heap and self._heap[0].removed:
            heapq.heappop(self._heap)
        return self._heap[0].item if self._heap else None

    def pop(self) -> T | None:
        entry = self._pop_entry()
        return None if entry is None else entry.item

    def pop_batch(
        self,
        key: Callable[[T], Hashable],
        max_cost: float,
        limit: int = 64,
        accept: Callable[[T], bool] | None = None,
    ) -> list[T]:
        """The next job plus queued jobs that share its `key`, up to `max_cost` in total.

        Companions are taken in fair order among the next `limit` jobs only, so batching can
        move a job ahead by at most that window, never starve anyone. `accept` sees every job
        taken (the first one too, which is always taken) and may veto companions.
        """
        first = self._pop_entry()
        if first is None:
            return []
        if accept is not None:
            accept(first.item)
        batch, total, wanted = [first.item], first.cost, key(first.item)
        for entry in heapq.nsmallest(limit, (e for e in self._heap if not e.removed)):
            if (
                key(entry.item) == wanted
                and total + entry.cost <= max_cost
                and (accept is None or accept(entry.item))
            ):
                self._take(entry)
                batch.append(entry.item)
                total += entry.cost
        return batch

    def remove(self, job_id: str) -> T | None:
        """Cancel a waiting job; its user gets back the virtual time it had reserved."""
        entry = self._by_id.get(job_id)
        if entry is None:
            return None
        state = self._users[entry.user]
        later = [e for e in state.queue if e.seq > entry.seq]
        self._take(entry)
        shift = entry.finish - entry.start
        for other in later:
            other.start -= shift
            other.finish -= shift
        state.finish -= shift
        if later:
            heapq.heapify(self._heap)
        return entry.item

    def position(self, job_id: str) -> int | None:
        """1-based place in line if nobody else arrives; None if not waiting."""
        entry = self._by_id.get(job_id)
        if entry is None:
            return None
        return 1 + sum(1 for e in self._by_id.values() if e < entry)

    def ordered(self) -> list[str]:
        """Job ids in the order they would be served (for status displays and tests)."""
        return [e.job_id for e in sorted(self._by_id.values())]

    def _pop_entry(self) -> _Entry[T] | None:
        while self._heap:
            entry = heapq.heappop(self._heap)
            if not entry.removed:
                self._take(entry, in_heap=False)
                self.virtual_time = max(self.virtual_time, entry.start)
                return entry
        return None

    def _take(self, entry: _Entry[T], in_heap: bool = True) -> None:
        entry.removed = in_heap  # lazily dropped from the heap when it surfaces
        del self._by_id[entry.job_id]
        state = self._users[entry.user]
        state.queue.remove(entry)
        if not state.queue and state.finish <= self.virtual_time:
            del self._users[entry.user]  # idle users start afresh at V next time
