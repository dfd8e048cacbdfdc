"""Chats that go on under a new id. A Telegram group upgraded to a supergroup is a new chat to
the API (new id, new message ids) but the same community to its members: its jobs (so a late
result reaches it), the answers it still owes, and the community's own banned terms and image
safety policy, with their logs, move to the new id."""

from __future__ import annotations

from sqlite_utils import Database

# Tables that name a chat (with its platform), and those that name a community's scope.
_CHAT_TABLES = ("filter_blocks", "safety_log", "pending_actions")
_SCOPE_TABLES = ("banned_terms", "allowed_terms", "safety_policies", "filter_blocks", "safety_log")


class Chats:
    def __init__(self, db: Database) -> None:
        self.db = db

    def moved(self, platform: str, old: str, new: str) -> int:
        """Chat `old` is `new` from now on; returns how many jobs moved. The old chat's
        messages do not exist in the new one: jobs forget theirs. Where the new chat has
        settings of its own already, they are kept."""
        old_scope, new_scope = f"{platform}:{old}", f"{platform}:{new}"
        with self.db.atomic():
            jobs = self.db.execute(
                "update jobs set chat_id = ?, reply_handle = null, reply_message_id = null "
                "where platform = ? and chat_id = ?",
                [new, platform, old],
            ).rowcount
            self.db.execute(
                "update jobs set scope_id = ? where platform = ? and scope_id = ?",
                [new, platform, old],
            )
            for table in _CHAT_TABLES:
                self.db.execute(
                    f"update {table} set chat_id = ? where platform = ? and chat_id = ?",
                    [new, platform, old],
                )
            for table in _SCOPE_TABLES:
                self.db.execute(
                    f"update or ignore {table} set scope = ? where scope = ?",
                    [new_scope, old_scope],
                )
            # The new scope's term lists changed: a new revision, so matchers are rebuilt.
            self.db.execute("delete from term_list_revisions where scope = ?", [old_scope])
            self.db.execute(
                "insert into term_list_revisions (scope, revision) values (?, 1) "
                "on conflict (scope) do update set revision = revision + 1",
                [new_scope],
            )
        return jobs
