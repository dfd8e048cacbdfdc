"""The fair queue as a plain data structure: no threads, no sleeps, plain asserts."""

from __future__ import annotations

import pytest

from engine.fair_queue import FairQueue, QueueRefused


def drain(queue: FairQueue[str]) -> list[str]:
    order = []
    while (item := queue.pop()) is not None:
        order.append(item)
    return order


def test_a_light_user_does_not_wait_behind_a_heavy_backlog() -> None:
    queue: FairQueue[str] = FairQueue(max_per_user=100)
    for i in range(20):
        queue.push(f"h{i}", "heavy", f"h{i}", cost=1.0)
    assert queue.pop() == "h0"  # heavy started before anyone else came
    queue.push("l0", "light", "l0", cost=1.0)
    order = drain(queue)
    assert order.index("l0") <= 1  # at most one more heavy job goes first


def test_users_alternate_when_both_are_backlogged() -> None:
    queue: FairQueue[str] = FairQueue()
    for i in range(3):
        queue.push(f"a{i}", "a", f"a{i}", cost=1.0)
    for i in range(3):
        queue.push(f"b{i}", "b", f"b{i}", cost=1.0)
    assert drain(queue) == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_cost_and_weight_set_the_share() -> None:
    queue: FairQueue[str] = FairQueue(max_per_user=100)
    for i in range(8):
        queue.push(f"big{i}", "big", "big", cost=4.0)  # 4x the work per job
        queue.push(f"small{i}", "small", "small", cost=1.0)
    first_ten = [queue.pop() for _ in range(10)]
    # Equal GPU time: about four small jobs for every big one.
    assert first_ten.count("small") == 8 and first_ten.count("big") == 2

    weighted: FairQueue[str] = FairQueue(max_per_user=100)
    for i in range(6):
        weighted.push(f"p{i}", "paid", "paid", cost=1.0, weight=2.0)
        weighted.push(f"f{i}", "free", "free", cost=1.0, weight=1.0)
    first_six = [weighted.pop() for _ in range(6)]
    assert first_six.count("paid") == 4 and first_six.count("free") == 2


def test_admission_limits_give_reasons() -> None:
    queue: FairQueue[str] = FairQueue(max_per_user=2, max_total=3)
    queue.push("a", "u", "a", 1.0)
    queue.push("b", "u", "b", 1.0)
    with pytest.raises(QueueRefused, match="2 jobs waiting"):
        queue.push("c", "u", "c", 1.0)
    queue.push("d", "v", "d", 1.0)
    with pytest.raises(QueueRefused, match="queue is full"):
        queue.push("e", "w", "e", 1.0)
    queue.push("f", "w", "f", 1.0, force=True)  # jobs accepted before a restart always fit
    assert len(queue) == 4


def test_remove_gives_back_the_users_place() -> None:
    queue: FairQueue[str] = FairQueue()
    for i in range(3):
        queue.push(f"a{i}", "a", f"a{i}", cost=1.0)
    queue.push("b0", "b", "b0", cost=1.0)
    queue.push("b1", "b", "b1", cost=1.0)
    assert queue.remove("a0") == "a0"
    assert queue.remove("a0") is None
    assert "a0" not in queue
    # a1 now holds a0's old tag, so a is not penalised for the cancelled job.
    assert drain(queue) == ["a1", "b0", "a2", "b1"]


def test_positions_follow_the_service_order() -> None:
    queue: FairQueue[str] = FairQueue()
    for i in range(3):
        queue.push(f"a{i}", "a", f"a{i}", cost=1.0)
    queue.push("b0", "b", "b0", cost=1.0)
    assert queue.ordered() == ["a0", "b0", "a1", "a2"]
    assert [queue.position(j) for j in queue.ordered()] == [1, 2, 3, 4]
    assert queue.position("nope") is None


def test_an_idle_user_starts_at_the_current_virtual_time() -> None:
    """Being away earns no credit: a returning user doesn't jump a whole backlog."""
    queue: FairQueue[str] = FairQueue(max_per_user=100)
    queue.push("early", "returning", "early", cost=1.0)
    assert queue.pop() == "early"
    for i in range(10):
        queue.push(f"h{i}", "heavy", f"h{i}", cost=1.0)
    for _ in range(5):
        queue.pop()
    queue.push("back", "returning", "back", cost=1.0)
    assert drain(queue).index("back") <= 1


def test_pop_batch_takes_matching_jobs_in_fair_order_within_limits() -> None:
    queue: FairQueue[tuple[str, int]] = FairQueue()
    queue.push("a0", "a", ("a0", 512), 1.0)
    queue.push("b0", "b", ("b0", 768), 1.0)
    queue.push("c0", "c", ("c0", 512), 1.0)
    queue.push("a1", "a", ("a1", 512), 1.0)
    batch = queue.pop_batch(lambda item: item[1], max_cost=2.0)
    assert [item[0] for item in batch] == ["a0", "c0"]  # same size; cost cap 2
    seen: dict[str, int] = {}

    def one_per_user(item: tuple[str, int]) -> bool:
        user = item[0][0]
        if seen.get(user):
            return False
        seen[user] = 1
        return True

    rest = queue.pop_batch(lambda item: 0, max_cost=10.0, accept=one_per_user)
    assert [item[0] for item in rest] == ["b0", "a1"]
    assert queue.pop_batch(lambda item: 0, max_cost=10.0) == []


def test_a_lost_job_goes_back_first_in_line_at_no_extra_charge() -> None:
    queue: FairQueue[str] = FairQueue()
    for job in ("a1", "a2"):
        queue.push(job, "a", job, cost=1.0)
    queue.push("b1", "b", "b1", cost=1.0)
    assert queue.peek() == "a1" and queue.pop() == "a1"  # peek leaves it in line
    queue.push("c1", "c", "c1", cost=1.0)
    queue.requeue("a1", "a", "a1", cost=1.0)  # its worker died: it runs again, first
    assert queue.position("a1") == 1
    queue.push("a3", "a", "a3", cost=1.0)
    assert drain(queue) == ["a1", "b1", "c1", "a2", "a3"]  # a's later jobs keep their places


def test_cancelling_a_put_back_job_moves_nobody_else() -> None:
    queue: FairQueue[str] = FairQueue()
    queue.push("a1", "a", "a1", cost=1.0)
    queue.push("a2", "a", "a2", cost=1.0)
    queue.push("b1", "b", "b1", cost=1.0)
    assert queue.pop() == "a1"
    queue.requeue("a1", "a", "a1", cost=1.0)
    before = queue.ordered()
    assert queue.remove("a1") == "a1"
    assert queue.ordered() == [job for job in before if job != "a1"]
