"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.adapters.console import ConsoleAdapter
from bot.config import Settings
from bot.core.requests import ButtonPress, Incoming, ReplyKind, SinkResponder
from engine.profiles import profile_for_name

# The image safety check runs in every test, through a quick stand-in classifier: the real one
# costs ~30 ms an image, and the console previews every step. The real model has its own tests
# (test_safety_model, test_cli_safety) and one end-to-end run (test_safety_flow).
# MJ_CAPTION_MODEL=tiny costs nothing until a describe runs (see `link_captioner`).
TINY_ENV = {
    "MJ_MODEL": "tiny",
    "MJ_CAPTION_MODEL": "tiny",
    "MJ_ALLOW_DOWNLOAD": "false",
    "MJ_SAFETY_SCORER": "tests.fakes.safety_scorer:MagentaScorer",
}


def link_captioner(data_dir: Path, tiny_captioner_dir: Path) -> None:
    """Let MJ_CAPTION_MODEL=tiny find the session's tiny captioner instead of building one."""
    (data_dir / "models").mkdir(parents=True, exist_ok=True)
    target = data_dir / "models" / "tiny-captioner"
    if not target.exists():
        target.symlink_to(tiny_captioner_dir, target_is_directory=True)


def picture(size: tuple[int, int] = (96, 64), mode: str = "RGB"):
    """A picture with some structure (a gradient, a block), so captions depend on it: an
    image to describe."""
    from PIL import Image

    image = Image.linear_gradient("L").resize(size).convert(mode)
    image.paste(Image.new(mode, (size[0] // 3, size[1] // 3), "white"), (4, 4))
    return image


def png_bytes(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def tweak(settings: Settings, group: str, **changes: Any) -> Settings:
    """`settings` with fields of one group changed: tweak(s, "discord", edit_every_s=0)."""
    return replace(settings, **{group: replace(getattr(settings, group), **changes)})


# The JSON keys of `mjbot parse`, in order: a contract other tools rely on.
CONTRACT_KEYS = [
    "prompt",
    "negative_prompt",
    "width",
    "height",
    "aspect",
    "seed",
    "steps",
    "cfg",
    "sampler",
    "model",
    "style",
    "tile",
    "repeat",
    "stop",
    "chaos",
    "image_urls",
    "image_weight",
    "prompts",
    "loras",
    "theme",
    "clip_skip",
]


def load_image(path: object):
    """Open, fully read and close an image file (no leaked handles under -W error)."""
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.copy()


def make_spec(job_id: str = "j", user: str = "console:a", **changes):
    """A small JobSpec for the tiny model: two 64x64 images, four steps."""
    from dataclasses import replace

    from engine.job import JobSpec, PromptPart

    base = JobSpec(
        job_id=job_id,
        user_key=user,
        model="tiny",
        prompts=(PromptPart("a red fox", 1.0),),
        negative_prompt=None,
        width=64,
        height=64,
        steps=4,
        cfg=5.0,
        sampler="euler_a",
        seeds=(1, 2),
    )
    return replace(base, **changes)


class CaptureSink:
    """The console's own sink writing to memory, keeping every reply for assertions."""

    def __init__(self) -> None:
        import io

        from bot.adapters.console import ConsoleSink

        self.console = ConsoleSink(out=io.StringIO())
        self.replies: list = []
        self.origins: list = []

    @property
    def last_result(self) -> str | None:
        return self.console.last_result

    async def send(self, origin, reply) -> None:
        self.replies.append(reply)
        self.origins.append(origin)
        await self.console.send(origin, reply)


class SizesOnly:
    """A backend that only sizes prompts like the tiny model: nothing is drawn here."""

    def profile(self, name: str) -> Any:
        return profile_for_name("tiny")

    def previewer(self, spec: Any) -> Any:
        raise AssertionError("these tests never draw")

    def generate(self, specs: Any, on_step: Any, cancel: Any) -> Any:
        raise AssertionError("these tests never draw")


async def run_line(app, line: str) -> tuple[ConsoleAdapter, CaptureSink]:
    """One console line as user alice, until the jobs it made are delivered."""
    sink = CaptureSink()
    adapter = ConsoleAdapter(app.service, "alice", "Alice", sink=sink)
    await adapter.submit_line(line)
    return adapter, sink


def result_of(sink: CaptureSink):
    results = [r for r in sink.replies if r.kind is ReplyKind.RESULT]
    assert len(results) == 1, [r.text for r in sink.replies]
    return results[0]


async def press(adapter: ConsoleAdapter, action: str, job_id: str) -> None:
    """Press a button of any earlier result (typed U1 only reaches the latest one)."""
    before = set(adapter.service.pending_job_ids())
    incoming = Incoming(adapter.origin, adapter.user_name, button=ButtonPress(action, job_id))
    await adapter.service.handle(incoming, SinkResponder(adapter.sink, adapter.origin))
    for job_id in set(adapter.service.pending_job_ids()) - before:
        await adapter.service.wait(job_id)


def last_result(sink: CaptureSink):
    return [r for r in sink.replies if r.kind is ReplyKind.RESULT][-1]


def pixels(app, job_id: str) -> list[np.ndarray]:
    rows = app.store.run_sync(lambda s: s.jobs.images(job_id))
    return [np.asarray(load_image(app.settings.images_dir / row.path)) for row in rows]


def job(app, job_id: str) -> dict:
    return app.store.run_sync(lambda s: s.jobs.get(job_id))


async def until(condition: Callable[[], Any], timeout: float = 10) -> None:
    """Poll `condition` until it holds (for replies that travel through a fake platform)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def delivered_and_charged_once(store: Any, rows: list[dict]) -> None:
    """Every job done and delivered, its final reply sent once; one debit and no refund."""

    def ledger(s: Any, job_id: str) -> list[str]:
        return [row["kind"] for row in s.db["ledger"].rows_where("job_id = ?", [job_id])]

    for row in rows:
        job_id = row["id"]
        assert row["status"] == "done" and row["delivered_at"], row
        kinds, final = store.run_sync(lambda s, j=job_id: (ledger(s, j), s.outbox.get(j, "final")))
        assert kinds == ["debit"], (job_id, kinds)
        assert final["sent_at"] and not final["abandoned_at"], final


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# HTTP API: the real app behind aiohttp's test client ------------------------------------------
class Api:
    """The running app, its test client, and keys by name."""

    def __init__(self, app: Any, client: Any) -> None:
        self.app = app  # bot.app.App
        self.client = client  # aiohttp.test_utils.TestClient
        self.keys: dict[str, str] = {}

    async def key(self, name: str, tier: str | None = None) -> dict[str, str]:
        def create(s: Any) -> str:
            key = s.api_keys.create(name)
            user = s.users.upsert("api", name, name)
            if tier:
                s.users.update(user, tier=tier)
            return key

        self.keys[name] = await self.app.store.run(create)
        return self.auth(name)

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}

    async def post(
        self, path: str, body: Any, name: str = "alice", **headers: str
    ) -> tuple[int, dict]:
        headers = {**self.auth(name), **{k.replace("_", "-"): v for k, v in headers.items()}}
        response = await self.client.post(path, json=body, headers=headers)
        return response.status, await response.json()


@asynccontextmanager
async def serve(settings: Settings, user: str | None = "alice") -> AsyncIterator[Api]:
    """The HTTP API on `settings`, with a key for `user` (None: the data has one already)."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.adapters.http_api import build_http_app
    from bot.app import open_app

    async with open_app(settings) as app:
        web_app = build_http_app(app.service, settings.http)
        await app.service.start()
        async with TestClient(TestServer(web_app)) as client:
            api = Api(app, client)
            if user is not None:
                await api.key(user)
            yield api


@asynccontextmanager
async def image_server(images: dict[str, bytes]) -> AsyncIterator[str]:
    """A local web server with these PNGs at these paths, plus an HTML page at /page (not an
    image); yields its base URL. Downloads reach it only where private URLs are allowed."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    app = web.Application()
    for path, data in images.items():

        async def png(_: web.Request, data: bytes = data) -> web.Response:
            return web.Response(body=data, content_type="image/png")

        app.router.add_get(path, png)

    async def page(_: web.Request) -> web.Response:
        return web.Response(text="<html>", content_type="text/html")

    app.router.add_get("/page", page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
