"""The fake Discord answers as Discord does (tests/fakes/discord_*.py): raw requests and a raw
websocket, no bot, each rule with Discord's own status, code and message."""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakes.discord_api import TOKEN, FakeDiscord
from tests.fakes.discord_payloads import APP_ID, Guild, command, interaction
from tests.fakes.discord_rules import SEND_MESSAGES, VIEW_CHANNEL

GUILD, CHANNEL, BOOSTED = 1000, 2000, 3000
AUTH = {"Authorization": f"Bot {TOKEN}"}


@pytest.fixture
async def fake(no_network: None) -> AsyncIterator[FakeDiscord]:
    api = FakeDiscord()
    await api.start()
    api.add_guild(Guild(GUILD, [CHANNEL]))
    api.add_guild(Guild(GUILD + 1, [BOOSTED], boost_tier=2))
    yield api
    await api.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, fake: FakeDiscord, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    async with http.request(method, fake.base + path, **kwargs) as answer:
        body = await answer.text()
        return answer.status, json.loads(body) if body else None


def slash(fake: FakeDiscord, channel: int = CHANNEL) -> dict[str, Any]:
    return interaction(
        fake, 2, command("mj", prompt="x"), user_id=5, channel_id=channel, guild_id=GUILD
    )


def callback(payload: dict[str, Any]) -> str:
    return f"/interactions/{payload['id']}/{payload['token']}/callback"


def followup(payload: dict[str, Any]) -> str:
    return f"/webhooks/{APP_ID}/{payload['token']}"


def too_long(limit: int) -> dict[str, Any]:
    return {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}


def errors_at(body: dict[str, Any], path: str) -> list[dict[str, str]]:
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body", body
    node = body["errors"]
    for key in path.split("."):
        node = node[key]
    return node["_errors"]


def buttons(*ids: str) -> dict[str, Any]:
    return {
        "type": 1,
        "components": [{"type": 2, "style": 2, "label": "x", "custom_id": i} for i in ids],
    }


# interactions ---------------------------------------------------------------------------
async def test_the_initial_response_is_due_within_three_seconds_and_only_once(fake, http):
    late = slash(fake)
    fake.clock.advance(3.5)
    early = slash(fake)
    assert await call(http, fake, "POST", callback(late), json={"type": 5}) == (
        404,
        {"message": "Unknown interaction", "code": 10062},
    )
    assert (await call(http, fake, "POST", callback(early), json={"type": 5}))[0] == 200
    assert await call(http, fake, "POST", callback(early), json={"type": 5}) == (
        400,
        {"message": "Interaction has already been acknowledged.", "code": 40060},
    )
    # A token that never got its response cannot send followups.
    status, body = await call(http, fake, "POST", followup(late), json={"content": "hi"})
    assert (status, body["code"]) == (404, 10015)


async def test_the_token_works_for_fifteen_minutes(fake, http):
    payload = slash(fake)
    await call(http, fake, "POST", callback(payload), json={"type": 5})
    fake.clock.advance(14 * 60)
    assert (await call(http, fake, "POST", followup(payload), json={"content": "a"}))[0] == 200
    fake.clock.advance(61)
    assert await call(http, fake, "POST", followup(payload), json={"content": "b"}) == (
        401,
        {"message": "Invalid Webhook Token", "code": 50027},
    )


async def test_message_content_and_components_within_discords_limits(fake, http):
    payload = slash(fake)
    await call(http, fake, "POST", callback(payload), json={"type": 5})
    route = followup(payload)
    status, body = await call(http, fake, "POST", route, json={"content": "x" * 2001})
    assert status == 400 and errors_at(body, "content") == [too_long(2000)]
    six_rows = [buttons(f"r{i}") for i in range(6)]
    _, body = await call(http, fake, "POST", route, json={"content": "x", "components": six_rows})
    assert errors_at(body, "components") == [too_long(5)]
    wide = [buttons(*(f"b{i}" for i in range(6)))]
    _, body = await call(http, fake, "POST", route, json={"content": "x", "components": wide})
    assert errors_at(body, "components.0.components")[0]["code"] == "BASE_TYPE_BAD_LENGTH"
    long_id = [buttons("x" * 101)]
    _, body = await call(http, fake, "POST", route, json={"content": "x", "components": long_id})
    [error] = errors_at(body, "components.0.components.0.custom_id")
    assert error == {
        "code": "BASE_TYPE_BAD_LENGTH",
        "message": "Must be between 1 and 100 in length.",
    }
    twice = [buttons("same", "same")]
    _, body = await call(http, fake, "POST", route, json={"content": "x", "components": twice})
    assert errors_at(body, "components.0.components.1.custom_id")[0]["code"] == (
        "COMPONENT_CUSTOM_ID_DUPLICATED"
    )
    assert await call(http, fake, "POST", route, json={}) == (
        400,
        {"message": "Cannot send an empty message", "code": 50006},
    )
    ok = [buttons(*(f"u{i}" for i in range(5))), buttons("v1")]
    assert (await call(http, fake, "POST", route, json={"content": "x" * 2000, "components": ok}))[
        0
    ] == 200


def upload(size: int, **payload: Any) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    form.add_field("files[0]", io.BytesIO(b"\0" * size), filename="grid.png")
    return form


async def test_uploads_are_limited_per_file_by_the_servers_boost_tier(fake, http):
    mib = 1024 * 1024
    route = f"/channels/{CHANNEL}/messages"
    assert await call(http, fake, "POST", route, headers=AUTH, data=upload(10 * mib + 1)) == (
        413,
        {"message": "Request entity too large", "code": 40005},
    )
    assert (await call(http, fake, "POST", route, headers=AUTH, data=upload(10 * mib)))[0] == 200
    boosted = f"/channels/{BOOSTED}/messages"
    assert (await call(http, fake, "POST", boosted, headers=AUTH, data=upload(20 * mib)))[0] == 200
    # An interaction's responses follow its attachment_size_limit.
    payload = interaction(
        fake, 2, command("mj"), user_id=5, channel_id=CHANNEL, guild_id=GUILD, size_limit=6000
    )
    await call(http, fake, "POST", callback(payload), json={"type": 5})
    status, _ = await call(http, fake, "POST", followup(payload), data=upload(6001, content="g"))
    assert status == 413 and payload["attachment_size_limit"] == 6000


async def test_channel_posts_need_the_bots_permissions_and_dms_the_users_consent(fake, http):
    route = f"/channels/{CHANNEL}/messages"
    fake.revoke(CHANNEL, SEND_MESSAGES)
    assert await call(http, fake, "POST", route, headers=AUTH, json={"content": "x"}) == (
        403,
        {"message": "Missing Permissions", "code": 50013},
    )
    fake.revoke(CHANNEL, VIEW_CHANNEL)
    assert await call(http, fake, "POST", route, headers=AUTH, json={"content": "x"}) == (
        403,
        {"message": "Missing Access", "code": 50001},
    )
    assert (
        await call(http, fake, "POST", "/channels/9/messages", headers=AUTH, json={"content": "x"})
    )[1]["code"] == 10003
    fake.refuses_dms.add(5)
    _, dm = await call(
        http, fake, "POST", "/users/@me/channels", headers=AUTH, json={"recipient_id": "5"}
    )
    assert await call(
        http, fake, "POST", f"/channels/{dm['id']}/messages", headers=AUTH, json={"content": "x"}
    ) == (
        403,
        {"message": "Cannot send messages to this user", "code": 50007},
    )
    assert await call(http, fake, "GET", "/users/@me") == (
        401,
        {"message": "401: Unauthorized", "code": 0},
    )


async def test_more_than_fifty_requests_a_second_meet_the_global_limit(fake, http):
    route = f"/channels/{CHANNEL}/messages"
    answers = [
        await call(http, fake, "POST", route, headers=AUTH, json={"content": "x"})
        for _ in range(51)
    ]
    assert [status for status, _ in answers[:50]] == [200] * 50
    status, body = answers[50]
    assert status == 429 and body["global"] is True and 0 < body["retry_after"] <= 1
    # Interaction endpoints are not bound to it.
    payload = slash(fake)
    assert (await call(http, fake, "POST", callback(payload), json={"type": 5}))[0] == 200
    fake.clock.advance(1.0)
    assert (await call(http, fake, "POST", route, headers=AUTH, json={"content": "x"}))[0] == 200


# the gateway ------------------------------------------------------------------------------
class Socket:
    """A raw gateway client: zlib-stream, as discord.py connects."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.inflate = zlib.decompressobj()

    async def receive(self) -> dict[str, Any] | int:
        """The next payload, or the close code."""
        message = await self.socket.receive(timeout=5)
        if message.type is aiohttp.WSMsgType.BINARY:
            return json.loads(self.inflate.decompress(message.data))
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
        return self.socket.close_code or 0

    async def send(self, op: int, data: Any) -> None:
        await self.socket.send_str(json.dumps({"op": op, "d": data}))


async def connect(http: aiohttp.ClientSession, fake: FakeDiscord, path: str = "/") -> Socket:
    url = fake.base.replace("http", "ws").removesuffix("/api/v10") + path
    socket = Socket(await http.ws_connect(f"{url}?v=10&encoding=json&compress=zlib-stream"))
    hello = await socket.receive()
    assert hello == {"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}
    return socket


def identify(token: str = TOKEN, intents: int = 1) -> dict[str, Any]:
    return {"token": token, "intents": intents, "properties": {"os": "linux"}}


async def test_the_gateway_is_announced_and_says_hello_ready_and_acks_heartbeats(fake, http):
    status, announced = await call(http, fake, "GET", "/gateway/bot", headers=AUTH)
    assert (
        status == 200
        and announced["url"].startswith("ws://127.0.0.1:")
        and announced["shards"] == 1
    )
    socket = await connect(http, fake)
    await socket.send(2, identify())
    ready = await socket.receive()
    assert (ready["op"], ready["t"], ready["s"]) == (0, "READY", 1)
    assert ready["d"]["resume_gateway_url"].endswith("/resume")
    assert {g["id"] for g in ready["d"]["guilds"]} == {str(GUILD), str(GUILD + 1)}
    created = [await socket.receive(), await socket.receive()]
    assert [event["t"] for event in created] == ["GUILD_CREATE", "GUILD_CREATE"]
    await socket.send(1, 3)
    assert (await socket.receive())["op"] == 11
    await socket.send(2, identify())
    assert await socket.receive() == 4005  # identified twice


@pytest.mark.parametrize(
    ("first", "code"),
    [
        ((1, None), None),  # a heartbeat before identifying is fine
        ((3, {"status": "online"}), 4003),
        ((2, identify(token="wrong")), 4004),
        ((2, identify(intents=1 << 15)), 4014),  # message content: privileged
        ((2, identify(intents=1 << 40)), 4013),
        ((99, None), 4003),
    ],
    ids=["heartbeat", "not-authenticated", "bad-token", "privileged", "unknown-intent", "op"],
)
async def test_the_gateway_closes_with_discords_codes(fake, http, first, code):
    socket = await connect(http, fake)
    await socket.send(*first)
    answer = await socket.receive()
    assert answer == code if code else answer["op"] == 11


async def test_a_session_resumes_with_what_it_missed_or_is_invalidated(fake, http):
    socket = await connect(http, fake)
    await socket.send(2, identify())
    ready = await socket.receive()
    await socket.receive(), await socket.receive()  # the guilds
    await fake.gateway.drop()
    await fake.gateway.dispatch("INTERACTION_CREATE", {"id": "1"})  # while it is down
    again = await connect(http, fake, "/resume")
    session = ready["d"]["session_id"]
    await again.send(6, {"token": TOKEN, "session_id": session, "seq": 99})
    assert await again.receive() == 4007  # a sequence the session never reached
    again = await connect(http, fake, "/resume")
    await again.send(6, {"token": TOKEN, "session_id": session, "seq": 3})
    missed, resumed = await again.receive(), await again.receive()
    assert (missed["t"], missed["s"], resumed["t"]) == ("INTERACTION_CREATE", 4, "RESUMED")
    await fake.gateway.invalidate()
    assert await again.receive() == {"op": 9, "d": False, "s": None, "t": None}
    other = await connect(http, fake, "/resume")
    await other.send(6, {"token": TOKEN, "session_id": session, "seq": 5})
    assert (await other.receive())["op"] == 9  # identify anew
