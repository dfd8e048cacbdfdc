"""Update JSON as Telegram sends it, built the way PTB's own tests build it
(`python-telegram-bot:tests/auxil/build_messages.py`): plain dicts in the Bot API's shape,
turned into objects with `Update.de_json`."""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.telegram_api import FakeBotApi

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def user(user_id: int, first_name: str | None = None) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}


def administrator(user_id: int) -> dict:
    # ChatMemberAdministrator's required rights, all off: only the status matters here.
    rights = (
        "can_be_edited",
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
    )
    member = {"status": "administrator", "user": user(user_id), "is_anonymous": False}
    return member | dict.fromkeys(rights, False)


def chat(chat_id: int) -> dict:
    """Positive ids are private chats (the user's id); supergroups' ids start with -100, other
    negative ones are basic groups (which can become supergroups)."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}


def public(message: dict) -> dict:
    """A message as the API returns it (without the fake's bookkeeping)."""
    clean = {k: v for k, v in message.items() if k != "reply_to"}
    if "photo" in clean:
        clean["photo"] = [
            {k: v for k, v in size.items() if k != "_bytes"} for size in clean["photo"]
        ]
    return clean


def message_update(chat_id: int, user_id: int, text: str, **extra: Any) -> dict:
    """A new message; a leading /command gets its bot_command entity, as Telegram sends it."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat(chat_id),
        "from": user(user_id),
        "text": text,
        **extra,
    }
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": next(_update_ids), "message": message}


def photo_update(chat_id: int, user_id: int, caption: str, file_id: str = "p1") -> dict:
    update = message_update(chat_id, user_id, "")
    message = update["message"]
    del message["text"]
    message["photo"] = [{"file_id": file_id, "file_unique_id": file_id, "width": 64, "height": 64}]
    message["caption"] = caption
    return update


def callback_update(fake: FakeBotApi, user_id: int, message: dict, data: str) -> dict:
    """A press, now, on a button of `message` (as the fake stored it) by `user_id`: the fake
    lets the bot answer the query for a few seconds from now."""
    query_id = f"cq{next(_update_ids)}"
    fake.queries[query_id] = fake.clock.monotonic()
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": query_id,
            "from": user(user_id),
            "chat_instance": "ci",
            "data": data,
            "message": public(message),
        },
    }
