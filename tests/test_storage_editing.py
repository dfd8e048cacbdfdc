"""m017's storage: Remix mode, 🗑, pending actions and the link secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from storage.images import ImageStore
from storage.safety import Decision
from storage.store import ImageRow, Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "mjbot.db")
    yield store
    store.close()


def test_the_secret_is_made_once_and_kept(store: Store, tmp_path: Path) -> None:
    first = store.editing.secret("region-links")
    assert len(first) >= 32 and store.editing.secret("region-links") == first
    assert store.editing.secret("other") != first
    store.close()
    again = Store(tmp_path / "mjbot.db")
    assert again.editing.secret("region-links") == first
    again.close()


def test_remix_is_per_user_and_outlives_settings_clear(store: Store) -> None:
    editing = store.editing
    assert not editing.remix("discord", "1")
    store.defaults.set("discord", "1", "--ar 16:9")
    editing.set_remix("discord", "1", True)
    editing.set_remix("discord", "1", True)  # twice is once
    assert editing.remix("discord", "1") and not editing.remix("discord", "2")
    assert store.defaults.clear("discord", "1")  # /settings clear
    assert editing.remix("discord", "1")
    editing.set_remix("discord", "1", False)
    assert not editing.remix("discord", "1")


def test_pending_actions_are_found_by_message_and_used_once(store: Store) -> None:
    editing = store.editing
    row = {
        "id": "p1",
        "platform": "telegram",
        "platform_user_id": "7",
        "chat_id": "-100",
        "kind": "remix",
        "job_id": "job",
        "payload_json": {"action": "VX", "prompt": "一只猫"},
    }
    editing.add_pending(row)
    assert editing.pending_by_message("telegram", "-100", "55") is None
    editing.set_pending_message("p1", "55")
    found = editing.pending_by_message("telegram", "-100", "55")
    assert found is not None and found["payload_json"] == {"action": "VX", "prompt": "一只猫"}
    assert editing.take_pending("p1")["job_id"] == "job"  # type: ignore[index]
    assert editing.take_pending("p1") is None


def test_old_pending_actions_are_dropped(store: Store) -> None:
    editing = store.editing
    row = {"platform": "discord", "platform_user_id": "1", "kind": "k", "payload_json": {}}
    editing.add_pending({**row, "id": "old"})
    store.db.execute("update pending_actions set created_at = '2000-01-01T00:00:00.000+00:00'")
    editing.add_pending({**row, "id": "new"})
    assert editing.take_pending("old") is None
    assert editing.take_pending("new") is not None


def test_delete_removes_images_and_files_but_keeps_the_job(store: Store, tmp_path: Path) -> None:
    images = ImageStore(tmp_path / "images")
    colours = ("red", "blue", "green", "grey")
    saved = [images.save_png(Image.new("RGB", (8, 8), c)) for c in colours]
    user = store.users.upsert("console", "local", "me")
    store.jobs.insert({"id": "j1", "user_id": user, "platform": "console"})
    store.jobs.mark_done("j1", saved[0].path, [ImageRow(1, saved[1].path, saved[1].md5, 8, 8, 3)])
    blurred = Decision(
        "image", "console", "local", "me", "console:local", "local", 0.9, 0.5, "blur", "blur",
        job_id="j1", image_index=1, shown_path=saved[3].path,
    )  # fmt: skip
    store.safety.record([blurred])
    paths = store.editing.delete_output("j1", [saved[2].path])
    assert sorted(paths) == sorted(s.path for s in saved)
    names = [Path(s.path).name for s in saved]
    assert all(store.editing.deleted_image(name) for name in names)
    assert not store.editing.deleted_image("0" * 32 + ".png")
    assert store.safety.job_decisions("j1")[0].shown_path == saved[3].path  # the log stays
    images.remove([*paths, "../../etc/passwd", "missing.png"])
    assert not any(images.absolute(s.path).exists() for s in saved)
    job = store.jobs.get("j1")
    assert job is not None and job["deleted_at"] and job["grid_path"] is None
    assert store.jobs.images("j1") == []
