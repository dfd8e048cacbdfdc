"""A chat that goes on under a new id takes its jobs and its community's settings along."""

from __future__ import annotations

from pathlib import Path

from storage.store import Store

OLD, NEW = "-4001", "-1004001"


def test_a_group_that_became_a_supergroup_keeps_its_jobs_and_settings(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    alice = store.users.upsert("telegram", "42", "alice")
    for job_id, chat in (("j1", OLD), ("j2", "42")):
        store.jobs.insert(
            {"id": job_id, "user_id": alice, "platform": "telegram", "chat_id": chat}
        )
    store.db["jobs"].update("j1", {"scope_id": OLD, "reply_handle": "7", "reply_message_id": "9"})
    store.terms.ban(f"telegram:{OLD}", [("zeppelin", "zeppelin")], "telegram:42")
    store.terms.ban(f"telegram:{NEW}", [("kite", "kite")], "telegram:42")
    store.safety.set_policy(f"telegram:{OLD}", "blur", 0.7, None, "telegram:42")
    store.safety.set_policy(f"telegram:{NEW}", "spoiler", 0.8, None, "telegram:42")
    before = store.terms.revisions([f"telegram:{NEW}"])

    assert store.chats.moved("telegram", OLD, NEW) == 1
    moved, other = store.jobs.get("j1"), store.jobs.get("j2")
    assert (moved["chat_id"], moved["scope_id"]) == (NEW, NEW)
    assert moved["reply_handle"] is None and moved["reply_message_id"] is None
    assert other["chat_id"] == "42"
    banned, _ = store.terms.lists(f"telegram:{NEW}")
    assert sorted(banned) == ["kite", "zeppelin"]
    assert store.terms.lists(f"telegram:{OLD}") == ([], [])
    assert store.terms.revisions([f"telegram:{NEW}"]) > before  # its matcher is rebuilt
    # The supergroup had a policy of its own already: it is kept.
    assert store.safety.get_policy(f"telegram:{NEW}").mode == "spoiler"
    assert store.chats.moved("telegram", OLD, NEW) == 0  # learned twice: nothing more
    store.close()
