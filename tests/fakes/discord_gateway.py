"""A fake of Discord's gateway: the websocket a bot connects to for its events.

It follows discord/discord-api-docs events/gateway.mdx and topics/opcodes-and-status-codes.mdx:
on connecting the bot gets HELLO (op 10, its heartbeat interval); it IDENTIFYs (op 2: token,
intents) and gets READY (a session id, the resume_gateway_url, its guilds as unavailable), then
a GUILD_CREATE per guild. Every HEARTBEAT (op 1) is answered with a HEARTBEAT ACK (op 11).
Dispatches (op 0) carry a sequence number; a session keeps them, so a bot whose connection
dropped can RESUME (op 6: session id and the last sequence it saw) at the resume_gateway_url
and gets what it missed, then RESUMED. The fake can ask for a RECONNECT (op 7) or invalidate
the session (op 9 INVALID_SESSION, `d` saying whether it may be resumed).

Closes with Discord's codes: 4001 unknown opcode, 4002 decode error (not JSON, or a payload
over 4,096 bytes), 4003 a payload before identifying, 4004 a wrong token, 4005 a second
IDENTIFY, 4007 a RESUME with a sequence the session never reached, 4008 more than 120
payloads a minute, 4012 an API version other than 10, 4013 unknown intents, 4014 privileged
intents the application was not granted. A bot that closes with 1000 or 1001 ends its session
(it cannot be resumed). Transport compression: `zlib-stream` (one zlib context per
connection, each payload ending in a Z_SYNC_FLUSH), as discord.py asks when it has no zstd;
`zstd-stream` is refused with 4000.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.clock import FakeClock

HELLO, IDENTIFY, RESUME, HEARTBEAT, RECONNECT, INVALID_SESSION, HEARTBEAT_ACK = (
    10,
    2,
    6,
    1,
    7,
    9,
    11,
)
DISPATCH = 0
QUIET_OPS = {3, 4, 8}  # presence, voice state, request guild members: accepted, not modelled
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # guild members, presences, message content
KNOWN_INTENTS = (1 << 26) - 1
MAX_PAYLOAD = 4096
MAX_SENDS_PER_MINUTE = 120
ENDS_SESSION = (1000, 1001)


@dataclass(eq=False)
class Session:
    id: str
    intents: int
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # kept for RESUME
    connection: Connection | None = None
    valid: bool = True


@dataclass(eq=False)
class Connection:
    path: str  # "/" (the announced gateway) or "/resume" (resume_gateway_url)
    socket: web.WebSocketResponse
    request: web.Request
    zlib: Any | None  # the connection's compression context
    began: str = ""  # "identify" or "resume", once it did
    session: Session | None = None
    heartbeats: int = 0
    close_code: int | None = None
    sends: deque[float] = field(default_factory=deque)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one frame at a time (zlib)


class FakeGateway:
    def __init__(
        self,
        token: str,
        clock: FakeClock,
        ready: Callable[[Session], dict[str, Any]],
        guilds: Callable[[], list[dict[str, Any]]],
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self.token = token
        self.clock = clock
        self.ready_payload = ready  # READY's `d` for a new session
        self.guild_payloads = guilds  # GUILD_CREATE's `d`, one per guild
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.granted_intents = 0  # privileged intents the application may ask for
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.received: list[dict[str, Any]] = []  # every payload the bot sent
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._socket)
        app.router.add_get("/resume", self._socket)

    async def reset(self) -> None:
        for session in list(self.sessions.values()):
            session.valid = False
            if session.connection is not None:
                await session.connection.socket.close(code=4009)
        self.sessions.clear()
        self.connections.clear()
        self.received.clear()
        self.granted_intents = 0

    # what tests do -------------------------------------------------------------------------
    @property
    def session(self) -> Session:
        """The bot's current session (the newest one)."""
        assert self.sessions, "the bot has not identified"
        return list(self.sessions.values())[-1]

    async def wait_connected(self, began: str | None = None, *, after: int = 0) -> Connection:
        """Until a connection (the `after`-th or a later one) has identified or resumed
        (`began`) and is its session's connection."""

        def found() -> Connection | None:
            for connection in reversed(self.connections[after:]):
                session = connection.session
                if connection.began and began in (None, connection.began) and session:
                    return connection if session.connection is connection else None
            return None

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(found), timeout=20)
        connection = found()
        assert connection is not None
        return connection

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to the bot's session, or keep it for the bot's RESUME if the
        connection is down (a session invalidated meanwhile loses it, as on Discord)."""
        session = self.session
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append(payload)
        if session.connection is not None:
            await self._send(session.connection, payload)

    async def drop(self, code: int | None = None) -> None:
        """The connection breaks: without a close frame (a network failure) or with `code`.
        The session stays resumable."""
        connection = self.session.connection
        assert connection is not None, "no connection to drop"
        self._detach(connection)
        if code is None:
            assert connection.request.transport is not None
            connection.request.transport.abort()
        else:
            await connection.socket.close(code=code)

    async def request_reconnect(self) -> None:
        connection = self.session.connection
        assert connection is not None
        await self._send(connection, {"op": RECONNECT, "d": None, "s": None, "t": None})

    async def invalidate(self, *, resumable: bool = False) -> None:
        session = self.session
        session.valid = resumable
        if session.connection is not None:
            await self._send(
                session.connection, {"op": INVALID_SESSION, "d": resumable, "s": None, "t": None}
            )

    # the websocket -------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=0)
        await socket.prepare(request)
        compress = request.query.get("compress")
        if request.query.get("v") != "10":
            await socket.close(code=4012, message=b"Invalid API version")
            return socket
        if request.query.get("encoding", "json") != "json" or compress not in (
            None,
            "zlib-stream",
        ):
            await socket.close(code=4000, message=b"the fake gateway speaks JSON and zlib-stream")
            return socket
        context = zlib.compressobj() if compress else None
        connection = Connection(request.path, socket, request, context)
        self.connections.append(connection)
        hello = {"heartbeat_interval": self.heartbeat_interval_ms}
        await self._send(connection, {"op": HELLO, "d": hello, "s": None, "t": None})
        try:
            async for message in socket:
                if message.type is not WSMsgType.TEXT:
                    code: int | None = 4002
                else:
                    code = await self._receive(connection, message.data)
                if code is not None:
                    await socket.close(code=code)
                    break
        finally:
            connection.close_code = socket.close_code
            if connection.session is not None and socket.close_code in ENDS_SESSION:
                connection.session.valid = False
            self._detach(connection)
        return socket

    async def _receive(self, connection: Connection, raw: str) -> int | None:
        """Handle one payload from the bot; a close code if it broke a rule."""
        now = self.clock.monotonic()
        connection.sends.append(now)
        while connection.sends and connection.sends[0] < now - 60:
            connection.sends.popleft()
        if len(connection.sends) > MAX_SENDS_PER_MINUTE:
            return 4008
        try:
            payload = json.loads(raw) if len(raw.encode()) <= MAX_PAYLOAD else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return 4002
        self.received.append(payload)
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            connection.heartbeats += 1
            await self._send(connection, {"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
            return None
        if op in (IDENTIFY, RESUME):
            if connection.began:
                return 4005
            if not isinstance(data, dict) or data.get("token") != self.token:
                return 4004
            if op == IDENTIFY:
                return await self._identify(connection, data)
            return await self._resume(connection, data)
        if not connection.began:
            return 4003
        return None if op in QUIET_OPS else 4001

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> int | None:
        intents = data.get("intents")
        if not isinstance(intents, int) or intents & ~KNOWN_INTENTS:
            return 4013
        if intents & PRIVILEGED_INTENTS & ~self.granted_intents:
            return 4014
        session = Session(f"fake-session-{next(self._ids)}", intents)
        self.sessions[session.id] = session
        connection.began = "identify"
        self._attach(connection, session)
        await self.dispatch("READY", self.ready_payload(session))
        for guild in self.guild_payloads():
            await self.dispatch("GUILD_CREATE", guild)
        await self._notify()
        return None

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> int | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not session.valid:
            # The bot must identify anew: it closes and reconnects.
            await self._send(connection, {"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return None
        seq = data.get("seq") or 0
        if not isinstance(seq, int) or seq > session.seq:
            return 4007
        connection.began = "resume"
        if session.connection is not None:  # an older connection still open: it is replaced
            await session.connection.socket.close(code=4000)
        self._attach(connection, session)
        for event in session.events:
            if event["s"] > seq:
                await self._send(connection, event)
        await self.dispatch("RESUMED", {})
        await self._notify()
        return None

    def _attach(self, connection: Connection, session: Session) -> None:
        connection.session = session
        session.connection = connection

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _detach(self, connection: Connection) -> None:
        session = connection.session
        if session is not None and session.connection is connection:
            session.connection = None

    async def _send(self, connection: Connection, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        async with connection.lock:
            if connection.socket.closed:
                return
            if connection.zlib is None:
                await connection.socket.send_str(text)
                return
            data = connection.zlib.compress(text.encode())
            await connection.socket.send_bytes(data + connection.zlib.flush(zlib.Z_SYNC_FLUSH))
