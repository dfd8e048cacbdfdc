"""SQLite store: migrations are idempotent; job state changes are atomic and queryable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PIL import Image
from sqlite_utils import Database

from storage import idempotency
from storage.images import ImageStore
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
    a = store.upsert_user("discord", "42", "Ann")
    assert store.upsert_user("discord", "42", "Ann B.") == a
    assert store.get_user(a)["display_name"] == "Ann B."
    assert store.upsert_user("telegram", "42", "Ann") != a


def test_mark_done_is_all_or_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    user = store.upsert_user("console", "local", "me")
    store.insert_job(job("j1", user))
    store.mark_running("j1", "j1:1")
    duplicate = [ImageRow(1, "a.png", "m", 8, 8, 1), ImageRow(1, "b.png", "m", 8, 8, 2)]
    with pytest.raises(sqlite3.IntegrityError):
        store.mark_done("j1", "grid.png", duplicate)
    assert store.get_job("j1")["status"] == JobStatus.RUNNING
    assert store.job_images("j1") == []
    store.mark_done("j1", "grid.png", [ImageRow(1, "a.png", "m", 8, 8, 1)])
    assert store.get_job("j1")["status"] == JobStatus.DONE
    assert [i.path for i in store.job_images("j1")] == ["a.png"]


def test_unfinished_and_undelivered_queries(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    user = store.upsert_user("console", "local", "me")
    for job_id in ("q", "r", "d", "f", "delivered"):
        store.insert_job(job(job_id, user))
    store.mark_running("r", "r:1")
    store.mark_done("d", "g.png", [])
    store.mark_failed("f", "boom")
    store.mark_done("delivered", "g.png", [])
    store.mark_delivered("delivered")
    assert [row["id"] for row in store.unfinished_jobs()] == ["q", "r"]
    assert [row["id"] for row in store.undelivered_jobs()] == ["d", "f"]
    assert store.get_job("r")["attempts"] == 1
    assert store.get_job("q")["platform_user_id"] == "local"


def test_image_store_names_are_random_and_hashed(tmp_path: Path) -> None:
    images = ImageStore(tmp_path)
    red = Image.new("RGB", (8, 4), "red")
    first, second = images.save_png(red), images.save_png(red)
    assert first.path != second.path and first.md5 == second.md5
    assert (first.width, first.height) == (8, 4)
    assert images.absolute(first.path).is_file()


def test_idempotency_keys_find_their_jobs_per_user_and_within_the_window(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    shop = store.upsert_user("api", "shop", "shop")
    other = store.upsert_user("api", "other", "other")
    keyed = {"idempotency_key": "k-1", "request_hash": "h1"}
    store.insert_job(job("a1", shop, created_at="2026-01-01T10:00:00.000+00:00", **keyed))
    store.insert_job(job("a2", shop, created_at="2026-01-01T10:00:00.500+00:00", **keyed))
    store.insert_job(job("b1", other, created_at="2026-01-01T10:00:01.000+00:00", **keyed))
    store.insert_job(job("plain", shop, created_at="2026-01-01T10:00:02.000+00:00"))

    def find(user: str, key: str, since: str = "2026-01-01T00:00:00.000+00:00"):
        return idempotency.keyed_jobs(store.db, "api", user, key, since)

    assert find("shop", "k-1") == idempotency.KeyedJobs("h1", ("a1", "a2"))
    assert find("other", "k-1") == idempotency.KeyedJobs("h1", ("b1",))  # scoped per API key
    assert find("shop", "k-2") is None
    assert find("shop", "k-1", since="2026-01-01T10:00:00.100+00:00").job_ids == ("a2",)
    assert find("nobody", "k-1") is None
