"""A local fake of Discord for one bot: the REST API it uses and the gateway it connects to.

discord.py talks to it for real: point `discord.http.Route.BASE` at `FakeDiscord.base` and
`DiscordWebSocket.DEFAULT_GATEWAY` at the URL its `GET /gateway/bot` announces (a sharded
client asks for it; a plain one is told), then `start()` the bot. Tests send slash commands
and button clicks as INTERACTION_CREATE dispatches (`interact`) and see every request the bot
makes (`calls`, and `refused` for those Discord refused). Messages are kept as Discord keeps
them (`discord_messages`).

Strict where Discord is (rules and sources in `discord_rules`, the gateway in
`discord_gateway`): the bot's token on every call but the interaction ones; the initial
response within 3 s of the interaction (10062), once (40060); its token for 15 min (50027);
content, components and files within Discord's limits (50035, 40005), uploads by the server's
boost tier or the interaction's `attachment_size_limit`; the bot's permissions in a channel
(50001, 50013); DMs to users who refuse them (50007); 50 requests a second outside the
interaction endpoints (429, `global: true`, topics/rate-limits.mdx), and a Cloudflare ban after
10,000 invalid requests (401, 403, 429) in 10 minutes. Time is `clock` (tests/fakes/clock.py).

`rate_limit_next` and `refuse_next` make the next matching request fail (fault injection); a
`FaultPlan` (tests/fakes/faults.py) installed as `faults` fails a seeded share of the requests
it finds eligible (429s, 5xx before or after applying, connections reset).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import discord
from aiohttp import web

from tests.fakes import discord_rules as rules
from tests.fakes.clock import FakeClock
from tests.fakes.discord_gateway import FakeGateway
from tests.fakes.discord_http import (
    Call,
    CallLog,
    RequestLimits,
    json_response,
    read_request,
    refuse,
)
from tests.fakes.discord_messages import MessageStore
from tests.fakes.discord_payloads import APP_ID, BOT_USER, Guild, guild_create, ready

TOKEN = "test-token"
_INTERACTION_ROUTE = re.compile(rf"/interactions/\d+/[^/]+/callback|/webhooks/{APP_ID}/.*")


@dataclass
class Interaction:
    id: int
    created: float  # clock.monotonic() when the user acted
    channel_id: int
    upload_bytes: int
    acknowledged: bool = False


class FakeDiscord(CallLog):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.limits = RequestLimits(self.clock)
        self.gateway = FakeGateway(TOKEN, self.clock, self._ready, self._guild_payloads)
        self.store = MessageStore(self.snowflake)
        self.guilds: dict[int, Guild] = {}
        self.interactions: dict[str, Interaction] = {}  # token -> interaction
        self.permissions: dict[int, int] = {}  # channel -> the bot's permissions, if not all
        self.refuses_dms: set[int] = set()  # users whose privacy settings refuse the bot's DMs
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.origin = ""  # http://127.0.0.1:port
        self.base = ""

    @property
    def messages(self) -> dict[int, dict[str, Any]]:
        return self.store.messages

    # lifecycle -----------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=200 * 1024**2)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self.gateway.add_routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.origin = f"http://127.0.0.1:{port}"
        self.base = f"{self.origin}/api/v10"
        return self.base

    async def close(self) -> None:
        await self.gateway.reset()
        if self._runner is not None:
            await self._runner.cleanup()

    async def reset(self) -> None:
        """Forget everything a test did (one fake serves a whole test module)."""
        await self.gateway.reset()
        self.clock.reset()
        self.store.clear()
        self.clear()
        self.limits.clear()
        for known in (self.guilds, self.interactions, self.permissions):
            known.clear()
        self.refuses_dms.clear()

    # the world the bot lives in ------------------------------------------------------------
    def add_guild(self, guild: Guild) -> None:
        self.guilds[guild.id] = guild

    def guild_of(self, channel_id: int) -> Guild | None:
        return next((g for g in self.guilds.values() if channel_id in g.channels), None)

    def permissions_in(self, channel_id: int) -> int:
        return self.permissions.get(channel_id, rules.BOT_NEEDS)

    def revoke(self, channel_id: int, permissions: int) -> None:
        """The bot loses `permissions` in the channel (a moderator changed its overwrites)."""
        self.permissions[channel_id] = self.permissions_in(channel_id) & ~permissions

    def upload_limit(self, channel_id: int) -> int:
        guild = self.guild_of(channel_id)
        return rules.upload_limit(guild.boost_tier if guild else 0)

    def snowflake(self) -> int:
        return discord.utils.time_snowflake(self.clock.now().astimezone(UTC)) + next(self._ids)

    def open_interaction(self, payload: dict[str, Any]) -> None:
        """The user acted now: the fake counts the interaction's deadlines from here."""
        channel_id = int(payload["channel_id"])
        size = int(payload["attachment_size_limit"])
        record = Interaction(int(payload["id"]), self.clock.monotonic(), channel_id, size)
        self.interactions[payload["token"]] = record

    async def interact(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Deliver an interaction over the gateway, as Discord does when a user acts."""
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return payload

    # the API ---------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        payload, files = await read_request(request)
        fault = self.fault(request.method, path)
        if fault is not None:
            return fault
        call = Call(request.method, path, payload, files)

        async def apply() -> tuple[web.StreamResponse, object]:
            response = self.limits.banned() or self._checked(request, path) or self._answer(call)
            call.status = response.status
            if response.body:
                call.response = json.loads(response.body)  # type: ignore[arg-type]
            self.limits.answered(response.status)
            return response, call.response

        try:
            return await self.serve(request, call, apply)
        finally:
            await self.record(call)

    def _checked(self, request: web.Request, path: str) -> web.Response | None:
        """Interaction endpoints carry their token in the URL and are not bound to the global
        limit; everything else needs the bot's token and counts against it."""
        if _INTERACTION_ROUTE.fullmatch(path):
            return None
        if request.headers.get("Authorization") != f"Bot {TOKEN}":
            return refuse(rules.UNAUTHORIZED)
        return self.limits.take_global()

    def _answer(self, call: Call) -> web.Response:
        method, path, body = call.method, call.path, call.payload
        if method == "GET" and path == "/users/@me":
            return json_response(BOT_USER)
        if method == "GET" and path == "/oauth2/applications/@me":
            return json_response(_app_info())
        if method == "GET" and path == "/gateway/bot":
            return json_response(_gateway_bot(self.origin))
        if method == "PUT" and re.fullmatch(
            rf"/applications/{APP_ID}(/guilds/\d+)?/commands", path
        ):
            assert isinstance(body, list)
            return json_response(
                [{**c, "id": str(self.snowflake()), "application_id": str(APP_ID)} for c in body]
            )
        if match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return self._callback(int(match[1]), match[2], body, call.files)
        if match := re.fullmatch(
            rf"/webhooks/{APP_ID}/([^/]+)(?:/messages/(@original|\d+))?", path
        ):
            return self._webhook(method, match[1], match[2], body, call.files)
        if match := re.fullmatch(r"/channels/(\d+)/messages(?:/(\d+))?", path):
            channel_id, message_id = int(match[1]), match[2] and int(match[2])
            return self._channel(method, channel_id, message_id, body, call.files)
        if method == "POST" and path == "/users/@me/channels":
            assert isinstance(body, dict)
            return json_response(self.store.open_dm(int(body["recipient_id"])))
        return json_response({"message": f"no fake for {method} {path}"}, 404)

    def _callback(self, interaction_id: int, token: str, body: Any, files: list) -> web.Response:
        record = self.interactions.get(token)
        if record is None or record.id != interaction_id:
            return refuse(rules.UNKNOWN_INTERACTION)
        if record.acknowledged:
            return refuse(rules.ALREADY_ACKNOWLEDGED)
        if self.clock.monotonic() - record.created > rules.ANSWER_WITHIN_S:
            return refuse(rules.UNKNOWN_INTERACTION)
        data = body.get("data") or {}
        if body["type"] == 4:
            refusal = rules.check_message(
                data, files, creating=True, upload_bytes=record.upload_bytes
            )
            if refusal is not None:
                return refuse(refusal)
        record.acknowledged = True
        answer = self.store.respond(token, record.id, record.channel_id, body["type"], data, files)
        return json_response(answer)

    def _webhook(
        self, method: str, token: str, which: str | None, body: Any, files: list
    ) -> web.Response:
        record = self.interactions.get(token)
        if record is None or not record.acknowledged:
            return refuse(rules.UNKNOWN_WEBHOOK)
        if self.clock.monotonic() - record.created > rules.TOKEN_LIFETIME_S:
            return refuse(rules.INVALID_WEBHOOK_TOKEN)
        message_id = self.store.webhook_message(token, which)
        if which is not None and message_id is None:
            return refuse(rules.UNKNOWN_MESSAGE)
        if method == "DELETE":
            self.store.delete(token, message_id)
            return web.Response(status=204)
        creating = which is None
        refusal = rules.check_message(
            body, files, creating=creating, upload_bytes=record.upload_bytes
        )
        if refusal is not None:
            return refuse(refusal)
        if creating:
            return json_response(self.store.followup(token, record.channel_id, body, files))
        return json_response(self.store.edit(message_id, body, files))

    def _channel(
        self, method: str, channel_id: int, message_id: int | None, body: Any, files: list
    ) -> web.Response:
        """A channel's messages: create (POST), edit (PATCH) or delete (DELETE) one of the
        bot's own. The bot must see the channel; posting needs its permissions there."""
        dm_user = self.store.dm_channels.get(channel_id)
        if dm_user is None and self.guild_of(channel_id) is None:
            return refuse(rules.UNKNOWN_CHANNEL)
        if dm_user is not None and dm_user in self.refuses_dms and message_id is None:
            return refuse(rules.CANNOT_DM)
        body = body or {}
        refusal = rules.check_channel_post(
            self.permissions_in(channel_id),
            has_files=bool(files),
            replies="message_reference" in body,
            editing=message_id is not None,
        )
        if refusal is None and method != "DELETE":
            refusal = rules.check_message(
                body,
                files,
                creating=message_id is None,
                upload_bytes=self.upload_limit(channel_id),
            )
        if refusal is not None:
            return refuse(refusal)
        if message_id is None:
            return json_response(self.store.create(channel_id, body, files, 0))
        if self.messages.get(message_id, {}).get("channel_id") != str(channel_id):
            return refuse(rules.UNKNOWN_MESSAGE)
        if method == "DELETE":
            self.messages.pop(message_id)
            return web.Response(status=204)
        return json_response(self.store.edit(message_id, body, files))

    # the gateway's view of this world --------------------------------------------------------
    def _ready(self, session: Any) -> dict[str, Any]:
        resume = f"ws://{self.origin.removeprefix('http://')}/resume"
        return ready(session, list(self.guilds.values()), resume)

    def _guild_payloads(self) -> list[dict[str, Any]]:
        return [guild_create(guild) for guild in self.guilds.values()]


def _gateway_bot(origin: str) -> dict[str, Any]:
    limits = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
    url = f"ws://{origin.removeprefix('http://')}"
    return {"url": url, "shards": 1, "session_start_limit": limits}


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
