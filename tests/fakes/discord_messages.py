"""The messages the fake Discord holds, kept the way Discord keeps them (resources/message.mdx,
interactions/receiving-and-responding.mdx): an interaction's response and followups belong to
its token; the first followup after a "thinking…" deferral fills that deferred message (and
keeps its visibility, for backwards compatibility); an edit's `attachments` lists what the
message keeps; a deleted message is gone; a channel message sent with `enforce_nonce` and a
nonce seen before in that channel is not created again: the first one is returned
(resources/message.mdx, "Create Message": `enforce_nonce`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.fakes.discord_payloads import BOT_USER, EPHEMERAL, LOADING

Files = list[tuple[str, bytes]]


class MessageStore:
    def __init__(self, snowflake: Callable[[], int]) -> None:
        self.snowflake = snowflake
        self.messages: dict[int, dict[str, Any]] = {}
        self.dm_channels: dict[int, int] = {}  # DM channel -> its user
        self._originals: dict[str, int | None] = {}  # token -> the interaction's response
        self._by_token: dict[str, set[int]] = {}  # token -> messages it may edit
        self._nonces: dict[tuple[int, str], int] = {}  # (channel, enforced nonce) -> message

    def clear(self) -> None:
        kept_all = (self.messages, self.dm_channels, self._originals, self._by_token, self._nonces)
        for kept in kept_all:
            kept.clear()

    def open_dm(self, user_id: int) -> dict[str, Any]:
        channel_id = next((c for c, u in self.dm_channels.items() if u == user_id), None)
        if channel_id is None:
            channel_id = self.snowflake()
            self.dm_channels[channel_id] = user_id
        recipient = {"id": str(user_id), "username": f"user{user_id}", "discriminator": "0"}
        return {"id": str(channel_id), "type": 1, "recipients": [recipient | {"avatar": None}]}

    def webhook_message(self, token: str, which: str | None) -> int | None:
        """The message an interaction webhook route names, if that token may touch it."""
        if which is None:
            return None
        message_id = self._originals.get(token) if which == "@original" else int(which)
        allowed = message_id in self._by_token.get(token, set())
        return message_id if allowed and message_id in self.messages else None

    def respond(
        self,
        token: str,
        interaction_id: int,
        channel_id: int,
        kind: int,
        data: dict[str, Any],
        files: Files,
    ) -> dict[str, Any]:
        """The initial response: 4 a message, 5 "thinking…", 6 nothing visible (a click)."""
        result: dict[str, Any] = {"id": str(interaction_id), "type": kind}
        if kind in (4, 5):
            flags = data.get("flags", 0) & EPHEMERAL
            if kind == 5:  # Discord shows "thinking…" in a message of its own
                message = self._store(channel_id, {"content": ""}, [], LOADING | flags)
                result.update(response_message_loading=True)
            else:
                message = self._store(channel_id, data, files, flags)
            self._own(token, int(message["id"]), original=True)
            result["response_message_id"] = message["id"]
        return {"interaction": result}

    def followup(
        self, token: str, channel_id: int, body: dict[str, Any], files: Files
    ) -> dict[str, Any]:
        original = self._originals.get(token)
        if original is not None and self.messages[original]["flags"] & LOADING:
            flags = self.messages[original]["flags"] & EPHEMERAL
            return self.edit(original, {**body, "flags": flags}, files)
        message = self._store(channel_id, body, files, body.get("flags", 0) & EPHEMERAL)
        self._own(token, int(message["id"]))
        return message

    def create(
        self, channel_id: int, body: dict[str, Any], files: Files, flags: int
    ) -> dict[str, Any]:
        nonce = body.get("nonce") if body.get("enforce_nonce") else None
        if nonce is None:
            return self._store(channel_id, body, files, flags)
        earlier = self._nonces.get((channel_id, str(nonce)))
        if earlier in self.messages:
            return self.messages[earlier]
        message = self._store(channel_id, body, files, flags)
        self._nonces[(channel_id, str(nonce))] = int(message["id"])
        return message

    def delete(self, token: str, message_id: int | None) -> None:
        self.messages.pop(message_id or 0, None)
        if self._originals.get(token) == message_id:
            self._originals[token] = None

    def edit(self, message_id: int | None, body: dict[str, Any], files: Files) -> dict[str, Any]:
        message = self.messages[message_id or 0]
        for key in ("content", "components"):
            if key in body:
                message[key] = body[key] or ([] if key == "components" else "")
        if "attachments" in body or files:
            message["attachments"] = self._attachments(body, files, message["attachments"])
        message["flags"] = (message["flags"] & ~LOADING) | body.get("flags", 0)
        message["edited_timestamp"] = datetime.now(UTC).isoformat()
        return message

    def _own(self, token: str, message_id: int, *, original: bool = False) -> None:
        self._by_token.setdefault(token, set()).add(message_id)
        if original:
            self._originals[token] = message_id

    def _store(
        self, channel_id: int | None, body: dict[str, Any], files: Files, flags: int
    ) -> dict[str, Any]:
        message_id = self.snowflake()
        message: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id or 0),
            "type": 0,
            "content": body.get("content") or "",
            "author": BOT_USER,
            "attachments": self._attachments(body, files, []),
            "components": body.get("components", []),
            "embeds": [],
            "mentions": [],
            "mention_roles": [],
            "flags": flags,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
        }
        if "message_reference" in body:
            message["message_reference"] = body["message_reference"]
        self.messages[message_id] = message
        return message

    def _attachments(
        self, body: dict[str, Any], files: Files, kept: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Discord's rule: `attachments` lists what the message keeps; new ones name a file."""
        wanted = body.get("attachments")
        if wanted is None:
            wanted = [{"id": index} for index in range(len(files))]
        result = []
        for entry in wanted:
            index = entry["id"]
            if isinstance(index, int) and index < len(files):
                name, data = files[index]
                result.append(
                    {
                        "id": str(self.snowflake()),
                        "filename": name,
                        "size": len(data),
                        "url": f"https://cdn.example/{name}",
                        "proxy_url": f"https://media.example/{name}",
                    }
                )
            else:
                result += [a for a in kept if a["id"] == str(index)]
        return result
