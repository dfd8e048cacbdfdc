"""Telegram groups that became supergroups while the bot was talking to them.

Upgrading a group makes it a new chat to the Bot API: a new id, new message ids. Telegram says
so in a service message (`migrate_to_chat_id` in the old group, `migrate_from_chat_id` in the
new one) and answers anything sent to the old id with "group chat was upgraded to a supergroup
chat" and the new id (PTB's `ChatMigrated`). Either way the adapter learns the move once, the
core moves the group's jobs and settings, and replies still addressed to the old id go to the
new one as new messages (the old messages cannot be edited there).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.core.requests import Origin

log = logging.getLogger(__name__)


class ChatMoves:
    def __init__(self, record: Callable[[str, str], Awaitable[None]]) -> None:
        self.record = record  # the core's chat_moved for this platform
        self._moves: dict[str, str] = {}  # old chat id -> new chat id

    def follow(self, origin: Origin) -> Origin:
        """`origin` in the chat it is now (itself if it never moved)."""
        new = self._moves.get(origin.chat_id)
        while new is not None and new in self._moves:  # moved again since
            new = self._moves[new]
        if new is None:
            return origin
        scope = new if origin.scope_id == origin.chat_id else origin.scope_id
        return replace(origin, chat_id=new, scope_id=scope, reply_handle=None)

    async def moved(self, old: str, new: str) -> None:
        if self._moves.get(old) == new:
            return
        self._moves[old] = new
        log.info("Telegram group %s became supergroup %s; replies follow it there", old, new)
        await self.record(old, new)
