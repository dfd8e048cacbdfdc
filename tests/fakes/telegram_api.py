"""A local fake of the Telegram Bot API (aiohttp), as strict as Telegram.

python-telegram-bot talks to it over HTTP exactly as to api.telegram.org (`base_url`), so the
tests exercise PTB's request encoding (form fields, multipart uploads), its error mapping
(429 -> RetryAfter, 403 -> Forbidden, migrate_to_chat_id -> ChatMigrated) and the rate
limiter. Every call is recorded with its parameters, uploaded files, arrival time and status;
`messages` holds what each chat would now show, edits applied (media can be added to a text
message; a text edit of a photo, or a caption edit of a text, is refused).

It refuses what Telegram refuses, in Telegram's words (`telegram_rules`, with its sources):
texts, captions and button data over their limits, photos over 10 MB or of impossible
dimensions, an edit that changes nothing ("message is not modified"), a callback query
answered late or twice, flood control per chat (stricter in groups) and overall, a private
chat whose user blocked the bot (`blocked`), a chat that is gone (`gone`), a group that became
a supergroup (`migrate`). Time is `clock` (tests/fakes/clock.py). Update JSON to feed the bot:
`telegram_updates`. `flood_once` and `outage_after` inject faults, and a `FaultPlan`
(tests/fakes/faults.py) installed as `faults` fails a seeded share of the calls it finds
eligible (429s, 5xx before or after applying, connections reset).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes import telegram_rules as rules
from tests.fakes.clock import FakeClock
from tests.fakes.faults import FaultPlan
from tests.fakes.telegram_rules import FloodControl, Refused, bad
from tests.fakes.telegram_updates import administrator, chat, public

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
    clock: FakeClock = field(default_factory=FakeClock)
    flood: FloodControl | None = None
    blocked: set[int] = field(default_factory=set)  # users who blocked the bot
    gone: set[int] = field(default_factory=set)  # chats that no longer exist for the bot
    migrated: dict[int, int] = field(default_factory=dict)  # group -> its supergroup
    queries: dict[str, float] = field(default_factory=dict)  # callback query -> when pressed
    faults: FaultPlan | None = None  # fails a seeded share of the calls it finds eligible
    _then: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    _fail: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    server: TestServer | None = None

    # control -------------------------------------------------------------------------------
    def flood_once(self, method: str, retry_after: int = 1) -> None:
        """The next call of `method` is answered 429 Too Many Requests, retry after N s."""
        self._fail[method].append(retry_after)

    def after(self, method: str, event: Callable[[], None]) -> None:
        """Once a call of `method` has been answered, `event` happens (a group migrates...)."""
        self._then.append((method, event))

    def migrate(self, group: int, supergroup: int) -> None:
        """The group became a supergroup: the old id answers with `migrate_to_chat_id`."""
        self.migrated[group] = supergroup

    def called(self, *methods: str) -> list[Call]:
        return [call for call in self.calls if call.method in methods and call.status == 200]

    def refused(self, *methods: str) -> list[Call]:
        return [call for call in self.calls if call.method in methods and call.status != 200]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return self.messages[(chat_id, message_id)]

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)  # bots upload up to 50 MB
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    # the API -------------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return _error(Refused(401, "Unauthorized"))
        params, files = await _read(request)
        call = Call(method, params, files, time.monotonic())
        self.calls.append(call)
        if self.outage_after == "":
            call.status = 502
            return _error(Refused(502, "Bad Gateway"))
        if self._fail[method]:
            retry_after = self._fail[method].pop(0)
            call.status = 429
            too_many = f"Too Many Requests: retry after {retry_after}"
            return _error(Refused(429, too_many, retry_after=retry_after))
        answer = getattr(self, f"_{method}", None)
        if answer is None:
            call.status = 404
            return _error(Refused(404, "Not Found"))

        async def apply() -> tuple[web.StreamResponse, object]:
            try:
                self._admit(method, params)
                result = await answer(params, files)
            except Refused as refused:
                call.status = refused.code
                return _error(refused), None
            if method == self.outage_after:
                self.outage_after = ""  # Telegram is unreachable from now on
            for then in [then for then in self._then if then[0] == method]:
                self._then.remove(then)
                then[1]()
            return web.json_response({"ok": True, "result": result}), result

        if self.faults is None:
            return (await apply())[0]

        def failed(status: int) -> web.Response:
            call.status = status
            if status == 429:
                return _error(Refused(429, "Too Many Requests: retry after 1", retry_after=1))
            return _error(Refused(status or 502, _REASONS.get(status, "Bad Gateway")))

        return await self.faults.serve(request, method, apply, failed)

    def _admit(self, method: str, params: dict) -> None:
        """The chat's state, then flood control, before the method itself."""
        if "chat_id" not in params:
            return
        chat_id = int(params["chat_id"])
        if chat_id in self.gone:
            raise rules.CHAT_NOT_FOUND
        if chat_id in self.blocked:
            raise rules.BLOCKED
        if chat_id in self.migrated:
            raise rules.migrated(self.migrated[chat_id])
        if method in rules.SENDING:
            if self.flood is None:
                self.flood = FloodControl(self.clock)
            self.flood.take(chat_id)

    async def _download(self, request: web.Request) -> web.Response:
        """Files the way Telegram serves them: GET <base_file_url><token>/<file_path>."""
        if request.match_info["token"] != TOKEN:
            return _error(Refused(401, "Unauthorized"))
        file_id = request.match_info["path"].removeprefix("photos/")
        if file_id not in self.user_files:
            return _error(Refused(404, "Not Found"))
        return web.Response(body=self.user_files[file_id], content_type="image/jpeg")

    async def _getFile(self, params: dict, files: dict) -> dict:
        file_id = params["file_id"]
        if file_id not in self.user_files:
            raise bad("wrong file_id specified")
        if len(self.user_files[file_id]) > rules.DOWNLOAD_BYTES:
            raise bad("file is too big")
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
        """Once, and soon after the press."""
        pressed = self.queries.pop(params["callback_query_id"], None)
        if pressed is None or self.clock.monotonic() - pressed > rules.QUERY_WINDOW_S:
            raise bad(rules.STALE_QUERY)
        return True

    async def _getChatAdministrators(self, params: dict, files: dict) -> list[dict]:
        chat_id = int(params["chat_id"])
        return [administrator(user_id) for user_id in self.admins.get(chat_id, [])]

    async def _sendMessage(self, params: dict, files: dict) -> dict:
        rules.check_text(params.get("text"), editing=False)
        rules.check_keyboard(params.get("reply_markup"))
        extra = {"parse_mode": params["parse_mode"]} if "parse_mode" in params else {}
        return self._post(params, {"text": params["text"], **extra})

    async def _sendPhoto(self, params: dict, files: dict) -> dict:
        rules.check_caption(params.get("caption"))
        rules.check_keyboard(params.get("reply_markup"))
        photo = rules.photo_sizes(files, params.get("photo", "photo"))
        spoiler = str(params.get("has_spoiler", "")).lower() == "true"
        content = {"photo": photo, "caption": params.get("caption", "")}
        return self._post(params, {**content, "has_media_spoiler": spoiler})

    async def _editMessageText(self, params: dict, files: dict) -> dict:
        rules.check_text(params.get("text"), editing=True)
        if "photo" in self._target(params):
            raise bad(rules.NO_TEXT)
        return self._edit(params, {"text": params["text"]})

    async def _editMessageCaption(self, params: dict, files: dict) -> dict:
        rules.check_caption(params.get("caption"))
        if "photo" not in self._target(params):
            raise bad(rules.NO_CAPTION)
        return self._edit(params, {"caption": params.get("caption", "")})

    async def _editMessageMedia(self, params: dict, files: dict) -> dict:
        media = params["media"]
        rules.check_caption(media.get("caption"), media_edit=True)
        photo = rules.photo_sizes(files, media["media"])
        content = {"photo": photo, "caption": media.get("caption", "")}
        spoiler = bool(media.get("has_spoiler"))
        self._target(params).pop("text", None)  # media added to a text message replaces it
        return self._edit(params, {**content, "has_media_spoiler": spoiler}, uploaded=True)

    async def _editMessageReplyMarkup(self, params: dict, files: dict) -> dict:
        return self._edit(params, {})

    async def _deleteMessage(self, params: dict, files: dict) -> bool:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if self.messages.pop(key, None) is None:
            raise bad("message to delete not found")
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
        return public(message)

    def _target(self, params: dict) -> dict:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise bad("message to edit not found")
        return self.messages[key]

    def _edit(self, params: dict, content: dict, *, uploaded: bool = False) -> dict:
        """Apply an edit; one that changes nothing is refused (a new upload always changes
        the picture)."""
        rules.check_keyboard(params.get("reply_markup"))
        message = self._target(params)
        same = all(message.get(k) == v for k, v in content.items())
        if not uploaded and same and message.get("reply_markup") == params.get("reply_markup"):
            raise bad(rules.NOT_MODIFIED)
        message.update(content, edit_date=int(time.time()))
        # Like Telegram: an edit without reply_markup removes the keyboard.
        message.pop("reply_markup", None)
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return public(message)


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


_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def _error(refused: Refused) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": refused.code,
        "description": refused.description,
    }
    if refused.parameters:
        body["parameters"] = refused.parameters
    return web.json_response(body, status=refused.code)
