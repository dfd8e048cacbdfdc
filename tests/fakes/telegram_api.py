"""A local fake of the Telegram Bot API (aiohttp), and real Update JSON to feed the bot.

python-telegram-bot talks to it over HTTP exactly as to api.telegram.org (`base_url`), so the
tests exercise PTB's request encoding (form fields, multipart uploads), its error mapping
(429 -> RetryAfter) and the rate limiter. Every call is recorded with its parameters, uploaded
files and arrival time; `messages` holds what each chat would now show, edits applied.
The update builders follow PTB's own tests (`tests/auxil/build_messages.py`): plain dicts in
the Bot API's JSON shape, turned into objects with `Update.de_json`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

TOKEN = "123456:TEST-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "Mj", "username": "MjTestBot"}
_JSON_FIELDS = (
    "reply_markup",
    "media",
    "reply_parameters",
    "allowed_updates",
    "commands",
    "scope",
)


@dataclass(slots=True)
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float  # time.monotonic() on arrival
    status: int = 200


@dataclass(slots=True)
class FakeBotApi:
    admins: dict[int, list[int]] = field(default_factory=dict)  # chat id -> administrator ids
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    updates: asyncio.Queue = field(default_factory=asyncio.Queue)  # served by getUpdates
    outage_after: str | None = None  # once this method was answered, answer 502 to all
    user_files: dict[str, bytes] = field(default_factory=dict)  # file id -> bytes (getFile)
    _fail: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    server: TestServer | None = None

    # control -------------------------------------------------------------------------------
    def flood_once(self, method: str, retry_after: int = 1) -> None:
        """The next call of `method` is answered 429 Too Many Requests, retry after N s."""
        self._fail[method].append(retry_after)

    def called(self, *methods: str) -> list[Call]:
        return [call for call in self.calls if call.method in methods and call.status == 200]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return self.messages[(chat_id, message_id)]

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    # the API -------------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return _error(401, "Unauthorized")
        params, files = await _read(request)
        call = Call(method, params, files, time.monotonic())
        self.calls.append(call)
        if self.outage_after == "":
            call.status = 502
            return _error(502, "Bad Gateway")
        if self._fail[method]:
            retry_after = self._fail[method].pop(0)
            call.status = 429
            return _error(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        answer = getattr(self, f"_{method}", None)
        if answer is None:
            call.status = 404
            return _error(404, "Not Found")
        try:
            result = await answer(params, files)
        except LookupError as missing:
            call.status = 400
            return _error(400, f"Bad Request: {missing.args[0]}")
        if method == self.outage_after:
            self.outage_after = ""  # Telegram is unreachable from now on
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        """Files the way Telegram serves them: GET <base_file_url><token>/<file_path>."""
        if request.match_info["token"] != TOKEN:
            return _error(401, "Unauthorized")
        file_id = request.match_info["path"].removeprefix("photos/")
        if file_id not in self.user_files:
            return _error(404, "Not Found")
        return web.Response(body=self.user_files[file_id], content_type="image/jpeg")

    async def _getFile(self, params: dict, files: dict) -> dict:
        file_id = params["file_id"]
        if file_id not in self.user_files:
            raise LookupError("wrong file_id specified")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.user_files[file_id]),
            "file_path": f"photos/{file_id}",
        }

    async def _getMe(self, params: dict, files: dict) -> dict:
        return {**BOT, "can_join_groups": True, "can_read_all_group_messages": False}

    async def _getUpdates(self, params: dict, files: dict) -> list[dict]:
        offset = int(params.get("offset", 0))
        timeout = min(float(params.get("timeout", 0)), 0.5)  # short polls keep tests quick
        batch = []
        try:
            batch.append(await asyncio.wait_for(self.updates.get(), timeout or 0.01))
        except TimeoutError:
            return []
        while not self.updates.empty():
            batch.append(self.updates.get_nowait())
        return [update for update in batch if update["update_id"] >= offset]

    async def _deleteWebhook(self, params: dict, files: dict) -> bool:
        return True

    async def _setWebhook(self, params: dict, files: dict) -> bool:
        return True

    async def _setMyCommands(self, params: dict, files: dict) -> bool:
        return True

    async def _answerCallbackQuery(self, params: dict, files: dict) -> bool:
        return True

    async def _getChatAdministrators(self, params: dict, files: dict) -> list[dict]:
        chat_id = int(params["chat_id"])
        return [_administrator(user_id) for user_id in self.admins.get(chat_id, [])]

    async def _sendMessage(self, params: dict, files: dict) -> dict:
        return self._post(params, {"text": params["text"]})

    async def _sendPhoto(self, params: dict, files: dict) -> dict:
        photo = _photo(files, params.get("photo", "photo"))
        spoiler = str(params.get("has_spoiler", "")).lower() == "true"
        content = {"photo": photo, "caption": params.get("caption", "")}
        return self._post(params, {**content, "has_media_spoiler": spoiler})

    async def _editMessageText(self, params: dict, files: dict) -> dict:
        return self._edit(params, {"text": params["text"]})

    async def _editMessageCaption(self, params: dict, files: dict) -> dict:
        return self._edit(params, {"caption": params.get("caption", "")})

    async def _editMessageMedia(self, params: dict, files: dict) -> dict:
        media = params["media"]
        photo = _photo(files, media["media"])
        content = {"photo": photo, "caption": media.get("caption", "")}
        return self._edit(params, {**content, "has_media_spoiler": bool(media.get("has_spoiler"))})

    async def _editMessageReplyMarkup(self, params: dict, files: dict) -> dict:
        return self._edit(params, {})

    async def _deleteMessage(self, params: dict, files: dict) -> bool:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if self.messages.pop(key, None) is None:
            raise LookupError("message to delete not found")
        return True

    def _post(self, params: dict, content: dict) -> dict:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat(chat_id),
            "from": BOT,
            **content,
        }
        if "reply_parameters" in params:
            message["reply_to"] = params["reply_parameters"]["message_id"]
        # Like Telegram: a message shows an inline keyboard; a ForceReply is not kept.
        if "inline_keyboard" in params.get("reply_markup", {}):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message
        return _public(message)

    def _edit(self, params: dict, content: dict) -> dict:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise LookupError("message to edit not found")
        message = self.messages[key]
        message.update(content, edit_date=int(time.time()))
        # Like Telegram: an edit without reply_markup removes the keyboard.
        message.pop("reply_markup", None)
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return _public(message)


async def _read(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Form fields (JSON-encoded where structured) and uploaded files of one request."""
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            data = await part.read()  # type: ignore[union-attr]
            if part.filename:  # type: ignore[union-attr]
                files[part.name or ""] = bytes(data)
            else:
                params[part.name or ""] = data.decode()
    elif request.can_read_body:
        params = dict(await request.post())
    for key in _JSON_FIELDS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params, files


def _photo(files: dict[str, bytes], reference: str) -> list[dict]:
    """A sent photo as Telegram describes it; the upload itself is kept for assertions."""
    name = reference.removeprefix("attach://")
    if name not in files:
        raise LookupError("there is no photo in the request")
    data = files[name]
    size = {"file_id": f"f{len(data)}", "file_unique_id": f"u{len(data)}", "width": 1}
    return [size | {"height": 1, "file_size": len(data), "_bytes": data}]


def _public(message: dict) -> dict:
    """The message as the API returns it (without the fake's bookkeeping)."""
    clean = {k: v for k, v in message.items() if k != "reply_to"}
    if "photo" in clean:
        clean["photo"] = [
            {k: v for k, v in size.items() if k != "_bytes"} for size in clean["photo"]
        ]
    return clean


def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)


def _administrator(user_id: int) -> dict:
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


# Update JSON ---------------------------------------------------------------------------------
def user(user_id: int, first_name: str | None = None) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}


def chat(chat_id: int) -> dict:
    """Positive ids are private chats (the user's id); negative ones supergroups."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


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


def callback_update(user_id: int, message: dict, data: str) -> dict:
    """A press on a button of `message` (as the fake stored it) by `user_id`."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cq{next(_update_ids)}",
            "from": user(user_id),
            "chat_instance": "ci",
            "data": data,
            "message": _public(message),
        },
    }
