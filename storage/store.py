"""The SQLite store: one connection and the tables' APIs over it. `AsyncStore` keeps it off the
event loop.

    store.users     users (created on first contact, tiers, blocks)
    store.jobs      jobs and their images
    store.outbox    what finished jobs still owe their users (final message, notice)
    store.credits   the credit ledger: debit with a job's insert, refunds, grants
    store.terms     banned and allowed terms per scope, and the audit of blocked prompts
    store.defaults  users' default /mj params (/settings)
    store.api_keys  the HTTP API's keys, stored hashed
    store.looks     LoRAs, themes, and each community's allowed themes and models
    store.stats     counts and durations for /metrics
    store.editing   Remix mode, deleted results, answers still owed, the link secret
    store.safety    image safety policies per scope, and the log of decisions
    store.languages each user's UI language and each community's default
    store.chats     chats that go on under a new id (a group upgraded to a supergroup)
    store.suggestions  /describe's numbered prompts

All SQL lives in storage/; callers use these methods (and `transaction()` to make several
one), never the connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from storage.api_keys import ApiKeys
from storage.chats import Chats
from storage.credits import Credits
from storage.editing import Editing
from storage.jobs import Jobs
from storage.languages import Languages
from storage.looks import Looks
from storage.migrations import migrate
from storage.outbox import Outbox
from storage.rows import ImageRow, JobStatus
from storage.safety import Safety
from storage.stats import Stats
from storage.suggestions import Suggestions
from storage.terms import Terms
from storage.user_settings import Defaults
from storage.users import Users

__all__ = ["AsyncStore", "ImageRow", "JobStatus", "Store"]

T = TypeVar("T")


class Store:
    """One instance per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The connection: for storage's own modules, migrations and tests.
        self.db = Database(path)
        # WAL lets readers (CLI, HTTP API) look while the bot writes; busy_timeout rides out
        # the brief lock of another process instead of failing.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.execute("PRAGMA foreign_keys=ON")
        migrate(self.db)
        self.users = Users(self.db)
        self.jobs = Jobs(self.db)
        self.outbox = Outbox(self.db, self.jobs)
        self.credits = Credits(self.db, self.jobs)
        self.terms = Terms(self.db)
        self.defaults = Defaults(self.db)
        self.api_keys = ApiKeys(self.db)
        self.looks = Looks(self.db)
        self.stats = Stats(self.db)
        self.editing = Editing(self.db)
        self.safety = Safety(self.db)
        self.languages = Languages(self.db)
        self.chats = Chats(self.db)
        self.suggestions = Suggestions(self.db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Several calls as one: all of them or none."""
        with self.db.atomic():
            yield

    def close(self) -> None:
        self.db.close()


class AsyncStore:
    """Runs every Store call on one dedicated thread that owns the connection.

    SQLite work is short but blocking; this keeps it off the event loop without a
    connection per call, and serialises writes the way SQLite wants them.
    """

    def __init__(self, path: str | Path) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mjbot-db")
        self._store: Store = self._executor.submit(Store, path).result()

    async def run(self, fn: Callable[[Store], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, self._store)

    def run_sync(self, fn: Callable[[Store], T]) -> T:
        """For CLI commands and start-up code that run outside the event loop."""
        return self._executor.submit(fn, self._store).result()

    def close(self) -> None:
        self._executor.submit(self._store.close).result()
        self._executor.shutdown(wait=True)
