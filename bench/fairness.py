"""Fair-share scheduling, simulated on the real FairQueue (no GPU needed).

Prints JSON: light_max_jobs_waited (goal <= 1; FIFO scores 20), jain_index (goal >= 0.95),
dispatch_us (goal <= 50 at 1000 jobs from 100 users), then a summary.
"""

from __future__ import annotations

import json
import random
import time

import common  # noqa: F401  (sys.path)

from engine.fair_queue import FairQueue


def light_users_wait() -> tuple[int, int]:
    """A heavy user queues 20 jobs; once the first runs, 5 light users queue one each.

    Returns the most heavy jobs started between a light job's arrival and its start, for the
    fair queue and for a FIFO baseline.
    """
    heavy = [f"heavy{i}" for i in range(20)]
    light = [f"light{i}" for i in range(5)]
    queue: FairQueue[str] = FairQueue(max_per_user=100)
    for job in heavy:
        queue.push(job, "heavy", job, cost=1.0)
    fair = [queue.pop()]  # the first heavy job is running when the light users arrive
    for job in light:
        queue.push(job, job, job, cost=1.0)
    while (job := queue.pop()) is not None:
        fair.append(job)
    fifo = heavy + light

    def most_waited(order: list[str]) -> int:
        return max(
            sum(1 for job in order[1 : order.index(one)] if job.startswith("heavy"))
            for one in light
        )

    return most_waited(fair), most_waited(fifo)


def jain_index() -> float:
    """Four backlogged users with job sizes 1, 2, 4 and 8: GPU cost served while all wait."""
    queue: FairQueue[tuple[str, float]] = FairQueue(max_per_user=10_000, max_total=10_000)
    sizes = {"u1": 1.0, "u2": 2.0, "u4": 4.0, "u8": 8.0}
    for user, cost in sizes.items():
        for i in range(400):
            queue.push(f"{user}-{i}", user, (user, cost), cost=cost)
    served = dict.fromkeys(sizes, 0.0)
    remaining = {user: 400 for user in sizes}
    while all(remaining.values()):
        user, cost = queue.pop()
        served[user] += cost
        remaining[user] -= 1
    values = list(served.values())
    return sum(values) ** 2 / (len(values) * sum(v * v for v in values))


def dispatch_us(jobs: int = 1000, users: int = 100, rounds: int = 20) -> float:
    samples = []
    rng = random.Random(1)
    for _ in range(rounds):
        queue: FairQueue[int] = FairQueue(max_per_user=jobs, max_total=jobs)
        plan = [
            (f"j{i}", f"u{rng.randrange(users)}", rng.choice((1.0, 2.0, 4.0))) for i in range(jobs)
        ]
        started = time.perf_counter()
        for job_id, user, cost in plan:
            queue.push(job_id, user, 0, cost)
        while queue.pop() is not None:
            pass
        samples.append((time.perf_counter() - started) / jobs)
    samples.sort()
    return round(samples[len(samples) // 2] * 1e6, 2)


def main() -> None:
    fair_wait, fifo_wait = light_users_wait()
    result = {
        "light_max_jobs_waited": fair_wait,
        "fifo_light_max_jobs_waited": fifo_wait,
        "jain_index": round(jain_index(), 4),
        "dispatch_us": dispatch_us(),
    }
    print(json.dumps(result))
    print(
        f"light users waited at most {fair_wait} heavy job(s) (FIFO: {fifo_wait}); "
        f"Jain index {result['jain_index']} over users with job sizes 1/2/4/8; "
        f"{result['dispatch_us']} µs per job (push + pop) at 1000 jobs from 100 users."
    )


if __name__ == "__main__":
    main()
