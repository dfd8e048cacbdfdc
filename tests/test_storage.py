"""SQLite store: migrations are idempotent; job state changes are atomic and queryable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PIL import Image
from sqlite_utils import Database

from storage.images import ImageStore
from storage.jobs import KeyedJobs
from storage.migrations import migrate, migrations
from storage.store import ImageRow, JobStatus, Store


def job(job_id: str, user_id: int, **extra) -> dict:
    return {"id": job_id, "user_id": user_id, "platform": "console", "chat_id": "local", **extra}


def test_migrations_apply_once_and_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    Store(path).close()
    Store(path).close()  # a second start applies nothing new
    db = Database(path)
    migrate(db)
    applied = [row["name"] for row in db["_sqlite_migrations"].rows]
    assert applied == [m.name for m in migrations._migrations]
    assert len(applied) == len(set(applied))
    assert {"users", "jobs", "images"} <= set(db.table_names())
    assert {"id", "status", "seed", "delivered_at", "spec_json"} <= set(db["jobs"].columns_dict)


def test_users_are_created_once_per_platform_identity(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    a = store.users.upsert("discord", "42", "Ann")
    assert store.users.upsert("discord", "42", "Ann B.") == a
    assert store.users.get(a)["display_name"] == "Ann B."
    assert store.users.upsert("telegram", "42", "Ann") != a


def test_mark_done_is_all_or_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    user = store.users.upsert("console", "local", "me")
    store.jobs.insert(job("j1", user))
    store.jobs.mark_running("j1", "j1:1")
    duplicate = [ImageRow(1, "a.png", "m", 8, 8, 1), ImageRow(1, "b.png", "m", 8, 8, 2)]
    with pytest.raises(sqlite3.IntegrityError):
        store.jobs.mark_done("j1", "grid.png", duplicate)
    assert store.jobs.get("j1")["status"] == JobStatus.RUNNING
    assert store.jobs.images("j1") == []
    store.jobs.mark_done("j1", "grid.png", [ImageRow(1, "a.png", "m", 8, 8, 1)])
    assert store.jobs.get("j1")["status"] == JobStatus.DONE
    assert [i.path for i in store.jobs.images("j1")] == ["a.png"]


def test_unfinished_jobs_and_what_the_outbox_owes(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    user = store.users.upsert("console", "local", "me")
    for job_id in ("q", "r", "d", "f", "delivered"):
        store.jobs.insert(job(job_id, user))
    store.jobs.mark_running("r", "r:1")
    for job_id in ("d", "delivered"):
        store.jobs.mark_done(job_id, "g.png", [])
        store.outbox.add(job_id)
    store.jobs.mark_failed("f", "boom")
    store.outbox.add("f")
    store.outbox.add("f")  # owed once
    store.outbox.sent("delivered", "final", then="notice")
    assert [row["id"] for row in store.jobs.unfinished()] == ["q", "r"]
    owed = [(row["job_id"], row["kind"]) for row in store.outbox.pending()]
    assert owed == [("d", "final"), ("f", "final"), ("delivered", "notice")]
    assert store.jobs.get("delivered")["delivered_at"] and not store.jobs.get("d")["delivered_at"]
    assert store.outbox.failed("d", "final", "502 Bad Gateway") == 1
    assert store.outbox.failed("d", "final", "reset") == 2
    store.outbox.abandoned("f", "final", "Forbidden: bot was blocked by the user")
    assert [row["job_id"] for row in store.outbox.pending()] == ["d", "delivered"]
    assert store.jobs.get("f")["delivered_at"]  # settled: nothing is owed any more
    assert store.jobs.get("r")["attempts"] == 1
    assert store.jobs.get("q")["platform_user_id"] == "local"


def test_a_job_ends_one_way_whichever_comes_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    user = store.users.upsert("console", "local", "me")
    for job_id in ("a", "b"):
        store.jobs.insert(job(job_id, user))
    assert store.jobs.mark_cancelled("a")
    assert not store.jobs.mark_done("a", "g.png", [ImageRow(1, "a.png", "m", 8, 8, 1)])
    assert not store.jobs.mark_failed("a", "late") and not store.jobs.mark_running("a", "a:2")
    assert store.jobs.get("a")["status"] == "cancelled" and store.jobs.images("a") == []
    assert store.jobs.mark_done("b", "g.png", []) and not store.jobs.mark_cancelled("b")
    assert store.jobs.get("b")["status"] == "done"


def test_the_migration_owes_what_earlier_versions_never_delivered(tmp_path: Path) -> None:
    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m018_delivery_outbox")  # as an earlier version left it
    db["users"].insert(
        {"id": 1, "platform": "console", "platform_user_id": "me", "created_at": "t"}
    )
    for job_id, status, delivered in (
        ("d", "done", None),
        ("e", "done", "t"),
        ("q", "queued", None),
    ):
        db["jobs"].insert(job(job_id, 1, status=status, created_at="t", delivered_at=delivered))
    db.close()
    store = Store(tmp_path / "old.db")
    assert [(r["job_id"], r["kind"]) for r in store.outbox.pending()] == [("d", "final")]


def test_image_store_names_are_random_and_hashed(tmp_path: Path) -> None:
    images = ImageStore(tmp_path)
    red = Image.new("RGB", (8, 4), "red")
    first, second = images.save_png(red), images.save_png(red)
    assert first.path != second.path and first.md5 == second.md5
    assert (first.width, first.height) == (8, 4)
    assert images.absolute(first.path).is_file()


def test_idempotency_keys_find_their_jobs_per_user_and_within_the_window(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    shop = store.users.upsert("api", "shop", "shop")
    other = store.users.upsert("api", "other", "other")
    keyed = {"idempotency_key": "k-1", "request_hash": "h1"}
    store.jobs.insert(job("a1", shop, created_at="2026-01-01T10:00:00.000+00:00", **keyed))
    store.jobs.insert(job("a2", shop, created_at="2026-01-01T10:00:00.500+00:00", **keyed))
    store.jobs.insert(job("b1", other, created_at="2026-01-01T10:00:01.000+00:00", **keyed))
    store.jobs.insert(job("plain", shop, created_at="2026-01-01T10:00:02.000+00:00"))

    def find(user: str, key: str, since: str = "2026-01-01T00:00:00.000+00:00"):
        return store.jobs.with_key("api", user, key, since)

    assert find("shop", "k-1") == KeyedJobs("h1", ("a1", "a2"))
    assert find("other", "k-1") == KeyedJobs("h1", ("b1",))  # scoped per API key
    assert find("shop", "k-2") is None
    assert find("shop", "k-1", since="2026-01-01T10:00:00.100+00:00").job_ids == ("a2",)
    assert find("nobody", "k-1") is None
