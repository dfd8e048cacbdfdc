"""Storage of /describe answers (m016): the numbered prompts, stored with the job's status."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.store import JobStatus, Store
from storage.suggestions import Suggestion


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "x.db")
    user = store.users.upsert("telegram", "7", "Li")
    for job_id in ("d1", "other"):
        store.jobs.insert({"id": job_id, "user_id": user, "platform": "telegram", "chat_id": "7"})
    store.jobs.mark_running("d1", "d1:1")
    return store


def test_suggestions_are_stored_with_the_status_and_read_back_in_order(store: Store) -> None:
    answer = [
        Suggestion(2, "red fox in snow, photograph --ar 3:2", "雪中的红狐狸，照片"),
        Suggestion(1, "fox, watercolor painting --ar 3:2"),
    ]
    store.suggestions.mark_described("d1", answer)
    assert store.jobs.get("d1")["status"] == JobStatus.DONE
    assert store.jobs.get("d1")["finished_at"]
    assert store.suggestions.of_job("d1") == sorted(answer, key=lambda s: s.index)
    assert store.suggestions.of_job("other") == []


def test_mark_described_is_all_or_nothing(store: Store) -> None:
    twice = [Suggestion(1, "a --ar 1:1"), Suggestion(1, "b --ar 1:1")]
    with pytest.raises(sqlite3.IntegrityError):
        store.suggestions.mark_described("d1", twice)
    assert store.jobs.get("d1")["status"] == JobStatus.RUNNING
    assert store.suggestions.of_job("d1") == []
    assert not store.suggestions.mark_described("nope", [Suggestion(1, "a --ar 1:1")])
    assert store.suggestions.of_job("nope") == []


def test_a_describe_settled_another_way_first_stays_that_way(store: Store) -> None:
    assert store.jobs.mark_cancelled("d1")  # a cancel won the race
    assert not store.suggestions.mark_described("d1", [Suggestion(1, "a --ar 1:1")])
    assert store.jobs.get("d1")["status"] == JobStatus.CANCELLED
    assert store.suggestions.of_job("d1") == []
