"""A local fake of the parts of Discord's REST API the bot uses, and gateway payload builders.

discord.py talks to it for real (point `discord.http.Route.BASE` at `FakeDiscord.base`), so
tests see the requests the bot makes: deferrals, followups, edits with attachments, buttons.
It keeps messages like Discord does, including two rules the bot must live with: the first
followup after a "thinking…" deferral fills that deferred message (and keeps its visibility),
and a deleted message cannot be edited. `rate_limit_next` and `refuse_next` make the next
matching request fail.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
from aiohttp import web

APP_ID = 900000000000000001
BOT_USER = {"id": str(APP_ID), "username": "mjbot", "discriminator": "0", "avatar": None}
EPHEMERAL = 64
LOADING = 128
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 31)  # view, send, use application commands


@dataclass
class Call:
    """One request the bot made."""

    method: str
    path: str  # after /api/v10, e.g. "/webhooks/900…/tok/messages/@original"
    payload: dict[str, Any] | list[Any] | None
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (filename, data)
    response: Any = None  # the JSON the fake answered with

    def matches(self, method: str, pattern: str) -> bool:
        return self.method == method and re.fullmatch(pattern, self.path) is not None


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self._originals: dict[str, int | None] = {}  # interaction token -> deferred message
        self.channels: dict[str, int] = {}  # interaction token -> its channel
        self.faulted: list[str] = []  # "METHOD path" of requests answered with a fault
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._faults: list[tuple[str, str, web.Response]] = []  # method, path pattern, answer
        self._runner: web.AppRunner | None = None
        self.base = ""

    # lifecycle -----------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        return self.base

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # what tests ask --------------------------------------------------------------------------
    def find(self, method: str, pattern: str) -> list[Call]:
        return [call for call in self.calls if call.matches(method, pattern)]

    async def wait_for(
        self, method: str, pattern: str, check: Callable[[Call], bool] = lambda _: True
    ) -> Call:
        """The first call (made or yet to come) to this route that passes `check`."""

        def found() -> Call | None:
            return next((c for c in self.find(method, pattern) if check(c)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(found), timeout=20)
        call = found()
        assert call is not None
        return call

    def rate_limit_next(self, method: str, pattern: str) -> None:
        """Answer the next matching request with a 429 and a short `retry_after`."""
        body = {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
        # discord.py retries only a 429 that came through Discord's proxy (`Via`).
        headers = {"X-RateLimit-Scope": "user", "Retry-After": "0.05", "Via": "1.1 google"}
        self._faults.append((method, pattern, _json(body, status=429, headers=headers)))

    def refuse_next(self, method: str, pattern: str) -> None:
        """Answer the next matching request with 403 Missing Access."""
        body = {"message": "Missing Access", "code": 50001}
        self._faults.append((method, pattern, _json(body, status=403)))

    def snowflake(self) -> int:
        return discord.utils.time_snowflake(datetime.now(UTC)) + next(self._ids)

    # the API ---------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        payload, files = await _read(request)
        for fault in self._faults:
            method, pattern, answer = fault
            if method == request.method and re.fullmatch(pattern, path):
                self._faults.remove(fault)
                self.faulted.append(f"{method} {path}")
                return answer
        call = Call(request.method, path, payload, files)
        try:
            response = self._answer(call)
            if isinstance(response, web.Response) and response.body:
                call.response = json.loads(response.body)  # type: ignore[arg-type]
            return response
        finally:
            async with self._changed:
                self.calls.append(call)
                self._changed.notify_all()

    def _answer(self, call: Call) -> web.StreamResponse:
        method, path, body = call.method, call.path, call.payload
        if method == "GET" and path == "/users/@me":
            return _json(BOT_USER)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(_app_info())
        if method == "PUT" and re.fullmatch(
            rf"/applications/{APP_ID}(/guilds/\d+)?/commands", path
        ):
            assert isinstance(body, list)
            return _json(
                [{**c, "id": str(self.snowflake()), "application_id": str(APP_ID)} for c in body]
            )
        if match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return self._callback(int(match[1]), match[2], body)
        if match := re.fullmatch(rf"/webhooks/{APP_ID}/([^/]+)/messages/(@original|\d+)", path):
            token, which = match[1], match[2]
            message_id = self._originals.get(token) if which == "@original" else int(which)
            if method == "DELETE":
                self.messages.pop(message_id or 0, None)
                self._originals[token] = None
                return web.Response(status=204)
            return self._edit(message_id, body, call.files)
        if match := re.fullmatch(rf"/webhooks/{APP_ID}/([^/]+)", path):
            return self._followup(match[1], body, call.files)
        if match := re.fullmatch(r"/channels/(\d+)/messages", path):
            return self._create(int(match[1]), body, call.files, 0)
        if match := re.fullmatch(r"/channels/\d+/messages/(\d+)", path):
            if method == "DELETE":
                self.messages.pop(int(match[1]), None)
                return web.Response(status=204)
            return self._edit(int(match[1]), body, call.files)
        if method == "POST" and path == "/users/@me/channels":
            assert isinstance(body, dict)
            return _json({"id": str(int(body["recipient_id"]) + 1), "type": 1})
        return _json({"message": f"no fake for {method} {path}"}, status=404)

    def _callback(self, interaction_id: int, token: str, body: Any) -> web.StreamResponse:
        kind = body["type"]
        result: dict[str, Any] = {"id": str(interaction_id), "type": kind}
        if kind == 5:  # deferred: Discord shows "thinking…" in a message of its own
            flags = LOADING | (body.get("data", {}).get("flags", 0) & EPHEMERAL)
            message = self._store(self.channels.get(token), {"content": ""}, [], flags)
            self._originals[token] = int(message["id"])
            result.update(response_message_id=message["id"], response_message_loading=True)
        return _json({"interaction": result})

    def _followup(self, token: str, body: Any, files: list[tuple[str, bytes]]) -> web.Response:
        original = self._originals.get(token)
        if original is not None and self.messages[original]["flags"] & LOADING:
            # Discord: the first followup fills the deferred message and keeps its visibility.
            flags = self.messages[original]["flags"] & EPHEMERAL
            return self._edit(original, {**body, "flags": flags}, files)
        channel_id = self.channels.get(token)
        return self._create(channel_id, body, files, body.get("flags", 0) & EPHEMERAL)

    def _create(
        self, channel_id: int | None, body: Any, files: list[tuple[str, bytes]], flags: int
    ) -> web.Response:
        return _json(self._store(channel_id, body, files, flags))

    def _store(
        self, channel_id: int | None, body: Any, files: list[tuple[str, bytes]], flags: int
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

    def _edit(self, message_id: int | None, body: Any, files: list[tuple[str, bytes]]) -> Any:
        message = self.messages.get(message_id or 0)
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        for key in ("content", "components"):
            if key in body:
                message[key] = body[key] or ([] if key == "components" else "")
        if "attachments" in body or files:
            message["attachments"] = self._attachments(body, files, message["attachments"])
        message["flags"] = (message["flags"] & ~LOADING) | body.get("flags", 0)
        message["edited_timestamp"] = datetime.now(UTC).isoformat()
        return _json(message)

    def _attachments(
        self, body: Any, files: list[tuple[str, bytes]], kept: list[dict[str, Any]]
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


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py decodes a body only if its content type is exactly application/json."""
    data = json.dumps(body).encode()
    return web.Response(body=data, status=status, headers=headers, content_type="application/json")


async def _read(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
    """The JSON payload and uploaded files, from a JSON body or a multipart form."""
    if request.content_type.startswith("multipart/"):
        payload, files = None, []
        reader = await request.multipart()
        async for part in reader:
            data = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":  # type: ignore[union-attr]
                payload = json.loads(data)
            else:
                files.append((part.filename or "", bytes(data)))  # type: ignore[union-attr]
        return payload or {}, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []


def _app_info() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "mjbot",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": {"id": "1", "username": "owner", "discriminator": "0", "avatar": None},
        "verify_key": "0" * 64,
        "flags": 0,
    }


# gateway payloads (INTERACTION_CREATE) -------------------------------------------------------
def member(user_id: int, *, permissions: int = MEMBER_PERMISSIONS, roles: tuple[int, ...] = ()):
    return {
        "user": {
            "id": str(user_id),
            "username": f"user{user_id}",
            "discriminator": "0",
            "avatar": None,
            "global_name": f"User {user_id}",
        },
        "roles": [str(role) for role in roles],
        "permissions": str(permissions),
        "flags": 0,
        "joined_at": "2024-01-01T00:00:00+00:00",
    }


def interaction(
    fake: FakeDiscord,
    kind: int,
    data: dict[str, Any],
    *,
    user_id: int,
    channel_id: int,
    guild_id: int | None,
    permissions: int = MEMBER_PERMISSIONS,
    roles: tuple[int, ...] = (),
    size_limit: int = 10 * 1024 * 1024,
    message: dict[str, Any] | None = None,
    nsfw: bool = False,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload as the gateway sends it (type 2 command, 3 component);
    `nsfw`: the channel is marked NSFW."""
    interaction_id = fake.snowflake()
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"token-{interaction_id}",
        "version": 1,
        "data": data,
        "channel_id": str(channel_id),
        "channel": {
            "id": str(channel_id),
            "type": 0,
            "name": "art",
            "position": 0,
            "guild_id": str(guild_id) if guild_id else None,
            "nsfw": nsfw,
        },
        "app_permissions": str(MEMBER_PERMISSIONS),
        "attachment_size_limit": size_limit,
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {},
        "context": 0 if guild_id else 1,
    }
    if guild_id is None:
        payload["user"] = member(user_id)["user"]
        payload["channel"] = {"id": str(channel_id), "type": 1, "recipients": [payload["user"]]}
    else:
        payload["guild_id"] = str(guild_id)
        payload["guild_locale"] = "en-US"
        payload["member"] = member(user_id, permissions=permissions, roles=roles)
    if message is not None:
        payload["message"] = message
    fake.channels[payload["token"]] = channel_id
    return payload


class UserRef(int):
    """A user option's value (type 6): the id, resolved to a user in the payload."""


def command(name: str, **options: Any) -> dict[str, Any]:
    """The `data` of a slash command; strings, ints, floats, users (UserRef) and attachments
    (pass a dict) as options."""

    def option(key: str, value: Any) -> dict[str, Any]:
        if isinstance(value, UserRef):
            return {"name": key, "type": 6, "value": str(int(value))}
        if isinstance(value, float):
            return {"name": key, "type": 10, "value": value}
        kind = 11 if isinstance(value, dict) else 4 if isinstance(value, int) else 3
        return {"name": key, "type": kind, "value": value["id"] if kind == 11 else value}

    data: dict[str, Any] = {
        "id": "800000000000000001",
        "name": name,
        "type": 1,
        "options": [option(k, v) for k, v in options.items() if v is not None],
    }
    attachments = {v["id"]: v for v in options.values() if isinstance(v, dict)}
    users = {
        str(int(v)): member(int(v))["user"] for v in options.values() if isinstance(v, UserRef)
    }
    resolved: dict[str, Any] = {}
    if attachments:
        resolved["attachments"] = attachments
    if users:
        resolved["users"] = users
    if resolved:
        data["resolved"] = resolved
    return data


def click(custom_id: str) -> dict[str, Any]:
    """The `data` of a button click."""
    return {"custom_id": custom_id, "component_type": 2}
