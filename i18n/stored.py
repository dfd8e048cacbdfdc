"""A Message as JSON, to keep in SQLite and render later in whichever language asks (a failed
job's reason, shown in the job's language after a restart, or in an API client's).

Values may be text, numbers, durations, listings and other messages: what reasons are
made of.
"""

from __future__ import annotations

import json
from typing import Any

from i18n.message import Duration, Listing, Message
from i18n.render import render


def _dump(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": _message(value)}
    if isinstance(value, Duration):
        return {"seconds": value.seconds}
    if isinstance(value, Listing):
        return {"items": [_dump(item) for item in value.items], "style": value.style}
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    raise TypeError(f"a stored message cannot hold a {type(value).__name__}")


def _message(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {"id": message.msgid}
    if message.args:
        data["args"] = {name: _dump(value) for name, value in message.args}
    if message.plural is not None:
        data["plural"], data["count"] = message.plural, message.count
    if not message.translate:
        data["translate"] = False
    return data


def _load(value: Any) -> Any:
    if isinstance(value, dict) and "message" in value:
        return _from_dict(value["message"])
    if isinstance(value, dict) and "seconds" in value:
        return Duration(float(value["seconds"]))
    if isinstance(value, dict) and "items" in value:
        return Listing(tuple(_load(item) for item in value["items"]), value["style"])
    return value


def _from_dict(data: dict[str, Any]) -> Message:
    args = tuple((name, _load(value)) for name, value in (data.get("args") or {}).items())
    return Message(
        data["id"],
        args,
        data.get("plural"),
        int(data.get("count", 1)),
        bool(data.get("translate", True)),
    )


def to_json(message: Message) -> str:
    return json.dumps(_message(message), ensure_ascii=False)


def from_json(text: str) -> Message:
    return _from_dict(json.loads(text))


def english_and_json(message: Message) -> tuple[str, str]:
    """What a row keeps: the English text (logs, old readers) and the message itself."""
    return render(message), to_json(message)
