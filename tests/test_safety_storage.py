"""Safety storage (m013): a policy per scope, the decision log, release of withheld images."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from storage.safety import Decision
from storage.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "x.db")
    yield store
    store.close()


def decision(**changes) -> Decision:
    base = Decision(
        kind="image",
        platform="discord",
        user_id="42",
        user_name="Ann",
        scope="discord:1",
        chat_id="7",
        score=0.1,
        threshold=0.8,
        mode="block",
        action="show",
        job_id="j1",
        image_index=1,
    )
    return replace(base, **changes)


def test_a_scope_has_a_policy_until_it_is_cleared(store: Store) -> None:
    assert store.safety.get_policy("discord:1") is None
    store.safety.set_policy("discord:1", "blur", 0.7, "spoiler", "discord:42")
    store.safety.set_policy("telegram:-5", "off", 0.8, None, "cli")
    stored = store.safety.get_policy("discord:1")
    assert stored is not None
    assert (stored.mode, stored.threshold, stored.nsfw_mode, stored.set_by) == (
        "blur",
        0.7,
        "spoiler",
        "discord:42",
    )
    store.safety.set_policy("discord:1", "block", 0.9, None, "discord:43")
    stored = store.safety.get_policy("discord:1")
    assert stored is not None and (stored.mode, stored.nsfw_mode) == ("block", None)
    assert store.safety.clear_policy("discord:1")
    assert not store.safety.clear_policy("discord:1")
    assert store.safety.get_policy("discord:1") is None
    assert store.safety.get_policy("telegram:-5") is not None


def test_decisions_are_logged_and_listed_newest_first(store: Store) -> None:
    recorded = store.safety.record(
        [
            decision(image_index=1, score=0.1),
            decision(image_index=2, score=0.95, action="block"),
            decision(
                kind="image_prompt",
                job_id=None,
                image_index=None,
                score=0.9,
                action="block",
                scope="telegram:-5",
            ),
        ],
    )
    assert [d.id for d in recorded] == [1, 2, 3] and all(d.created_at for d in recorded)
    flagged = store.safety.log()
    assert [(d.id, d.kind) for d in flagged] == [(3, "image_prompt"), (2, "image")]
    assert [d.id for d in store.safety.log("discord:1")] == [2]
    everything = store.safety.log("discord:1", flagged_only=False)
    assert [d.image_index for d in everything] == [2, 1]
    assert [d.id for d in store.safety.log(limit=1, offset=1)] == [2]
    assert store.safety.decision(2) == recorded[1]
    assert store.safety.decision(99) is None


def test_a_jobs_latest_decision_per_image_wins(store: Store) -> None:
    store.safety.record(
        [decision(image_index=2, score=0.9, action="blur"), decision(image_index=1)]
    )
    store.safety.record([decision(image_index=2, score=0.2, action="show")])
    store.safety.record([decision(job_id="other", image_index=1)])
    latest = store.safety.job_decisions("j1")
    assert [(d.image_index, d.action) for d in latest] == [(1, "show"), (2, "show")]


def test_a_withheld_image_is_released_once(store: Store) -> None:
    blocked, shown = store.safety.record(
        [decision(action="block", score=0.9), decision(image_index=2)]
    )
    assert store.safety.release(blocked.id, "discord:9")
    assert not store.safety.release(blocked.id, "discord:10")  # already released
    assert not store.safety.release(shown.id, "discord:9")  # nothing was withheld
    assert not store.safety.release(99, "discord:9")
    released = store.safety.decision(blocked.id)
    assert released is not None and released.released_by == "discord:9" and released.released_at
