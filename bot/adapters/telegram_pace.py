"""How often the bot may show something new in one Telegram chat.

Telegram's limits are per chat (about one message a second in a private chat, 20 a minute in
a group: core.telegram.org/bots/faq), and edits count. Pacing each job alone is not enough:
four jobs in one chat, each edited once a second, are four messages a second there. So every
chat has one schedule: a preview waits for its chat's next free moment (and a newer preview
replaces it meanwhile), and whatever else the bot sends there (an acknowledgement, a result)
takes a moment too, so previews leave room for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ChatPace:
    def __init__(
        self,
        every_s: Callable[[str], float],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every_s = every_s  # a chat's least time between two messages
        self.monotonic = monotonic
        self._free_at: dict[str, float] = {}  # chat id -> when it may get the next one

    def wait_s(self, chat_id: str) -> float:
        """Seconds until something new may be shown in the chat (0: now)."""
        return max(0.0, self._free_at.get(chat_id, 0.0) - self.monotonic())

    def spend(self, chat_id: str) -> None:
        """A message goes to the chat now: the next one waits its turn."""
        now = self.monotonic()
        start = max(now, self._free_at.get(chat_id, 0.0))
        self._free_at[chat_id] = start + self.every_s(chat_id)
        if len(self._free_at) > 10_000:  # forget chats that have been quiet a while
            self._free_at = {c: t for c, t in self._free_at.items() if t > now}
