"""Image prompts: URLs fetched from a local server, refused safely, and shared weights."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image

from bot.adapters.console import ConsoleAdapter
from bot.app import open_app
from bot.core.actions import image_prompt_strength
from bot.core.errors import ImagePromptError
from bot.core.image_fetch import fetch_image, is_public
from bot.core.requests import ReplyKind
from engine.job import spec_from_dict, spec_to_dict
from tests.helpers import make_spec, run_line, tweak

pytestmark = pytest.mark.slow


def png(size: tuple[int, int] = (80, 48), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "orange" if mode == "RGB" else 1).save(buffer, format="PNG")
    return buffer.getvalue()


def serve(body: bytes, content_type: str = "image/png", status: int = 200):
    async def handler(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type, status=status)

    return handler


async def stream_forever(request: web.Request) -> web.StreamResponse:
    """An image/png without Content-Length that never ends: the size cap must stop it."""
    response = web.StreamResponse(headers={"Content-Type": "image/png"})
    await response.prepare(request)
    chunk = b"\0" * 65536
    for _ in range(400):  # 26 MB at most
        await response.write(chunk)
    return response


def redirect_to(location: str):
    async def handler(_: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": location})

    return handler


# Locations the URL parsers reject: each used to escape as a ValueError (a 500, a dead console).
BROKEN_LOCATIONS = {
    "port-out-of-range": "http://127.0.0.1:99999/x.png",
    "port-not-a-number": "http://127.0.0.1:8x/x.png",
    "open-bracket": "http://[::1/x.png",
    "close-bracket": "http://::1]/x.png",
    "label-too-long": "http://" + "a" * 64 + ".example/x.png",
    "empty-label": "http://a..example/x.png",
    "no-host": "http://user@:80/x.png",
    "other-scheme": "ftp://127.0.0.1/x.png",
}


@pytest.fixture
async def images_server() -> AsyncIterator[str]:
    app = web.Application()
    routes = {
        "/fox.png": serve(png()),
        "/big.png": serve(b"\0" * 10_500_000),
        "/page": serve(b"<html>hi</html>", "text/html"),
        "/junk.png": serve(b"not a png" * 100),
        "/bomb.png": serve(png((8000, 6000), "1")),
        "/gone.png": serve(b"", status=404),
    }
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    app.router.add_get("/endless.png", stream_forever)
    for name, location in BROKEN_LOCATIONS.items():
        app.router.add_get(f"/redirect/{name}", redirect_to(location))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def open_loopback(settings, no_network) -> AsyncIterator:
    """The app with the test-only override that lets downloads reach 127.0.0.1."""
    async with open_app(tweak(settings, "image_prompts", allow_private_urls=True)) as app:
        yield app


async def test_an_image_url_prompt_draws_from_that_image(open_loopback, images_server) -> None:
    app = open_loopback
    _, sink = await run_line(app, f"/mj {images_server}/fox.png a fox --iw 2 --seed 5")
    [result] = [r for r in sink.replies if r.kind is ReplyKind.RESULT]
    row = app.store.run_sync(lambda s: s.jobs.get(result.job_id))
    spec = spec_from_dict(json.loads(row["spec_json"]))
    assert row["status"] == "done"
    assert spec.strength == image_prompt_strength(2.0) == 0.5
    stored = app.settings.images_dir / spec.init_image  # kept for restarts and rerolls
    with Image.open(stored) as image:
        assert image.size == (80, 48) and image.getpixel((0, 0)) == (255, 165, 0)
    # a reroll reuses the stored image instead of fetching the URL again
    await ConsoleAdapter(app.service, "alice", "Alice", sink=sink).submit_line("R")
    [_, reroll] = [r for r in sink.replies if r.kind is ReplyKind.RESULT]
    rerolled = app.store.run_sync(lambda s: s.jobs.get(reroll.job_id))
    assert spec_from_dict(json.loads(rerolled["spec_json"])).init_image == spec.init_image


REFUSED = [
    ("/big.png", "larger than 10 MB"),
    ("/endless.png", "larger than 10 MB"),
    ("/page", "is not an image (it is text/html)"),
    ("/junk.png", "not a valid PNG"),
    ("/bomb.png", "at most 40 megapixels"),
    ("/gone.png", "answered HTTP 404"),
]


@pytest.mark.parametrize(("path", "message"), REFUSED, ids=[p for p, _ in REFUSED])
async def test_bad_image_urls_are_refused_before_any_credit(
    open_loopback, images_server, path: str, message: str
) -> None:
    app = open_loopback
    _, sink = await run_line(app, f"/mj {images_server}{path} a fox")
    assert [r.kind for r in sink.replies] == [ReplyKind.ERROR]
    assert message in sink.replies[0].text
    assert app.store.run_sync(lambda s: (s.db["jobs"].count, s.db["ledger"].count)) == (0, 0)


async def test_an_unreachable_url_is_refused(open_loopback) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _, sink = await run_line(open_loopback, f"/mj http://127.0.0.1:{port}/x.png a fox")
    assert [r.kind for r in sink.replies] == [ReplyKind.ERROR]
    assert "could not be downloaded" in sink.replies[0].text
    assert open_loopback.store.run_sync(lambda s: s.db["ledger"].count) == 0


async def test_private_addresses_are_refused_without_the_test_override(
    app, images_server, no_network
) -> None:
    for url in (f"{images_server}/fox.png", "http://localhost:9/x.png", "http://10.0.0.1/x.png"):
        _, sink = await run_line(app, f"/mj {url} a fox")
        assert [r.kind for r in sink.replies] == [ReplyKind.ERROR], url
        assert "private or local address" in sink.replies[0].text
    assert app.store.run_sync(lambda s: (s.db["jobs"].count, s.db["ledger"].count)) == (0, 0)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
    ],
)
def test_only_public_addresses_may_be_fetched(address: str, public: bool) -> None:
    assert is_public(address) is public


# IPv6 addresses that lead to an IPv4 one: judged by the IPv4 address they embed as well.
EMBEDDED_IPV4 = {
    "compatible loopback": ("::127.0.0.1", False),
    "compatible loopback, hex": ("::7f00:1", False),
    "compatible private": ("::10.0.0.1", False),
    "compatible public": ("::93.184.216.34", True),
    "mapped, hex": ("::ffff:7f00:1", False),
    "mapped, full": ("0:0:0:0:0:ffff:127.0.0.1", False),
    "mapped, zero-padded caps": ("0000:0000:0000:0000:0000:FFFF:7F00:0001", False),
    "mapped, metadata": ("::ffff:169.254.169.254", False),
    "mapped, zone id": ("::ffff:10.0.0.1%eth0", False),
    "mapped public": ("::ffff:93.184.216.34", True),
    "translated loopback": ("::ffff:0:127.0.0.1", False),
    "translated public": ("::ffff:0:93.184.216.34", True),
    "nat64 loopback": ("64:ff9b::127.0.0.1", False),
    "nat64 private, hex": ("64:ff9b::a00:1", False),
    "nat64 metadata": ("64:ff9b::a9fe:a9fe", False),
    "nat64 cgnat": ("64:ff9b::100.64.0.1", False),
    "nat64 public": ("64:ff9b::5db8:d822", True),
    "local nat64, private": ("64:ff9b:1::7f00:1", False),
    "local nat64, public": ("64:ff9b:1:5db8:d8:2200::", False),  # never global (RFC 8215)
    "6to4 loopback": ("2002:7f00:1::", False),
    "6to4 private": ("2002:a00:1::1", False),
    "6to4 metadata": ("2002:a9fe:a9fe::1", False),
    "6to4 public": ("2002:5db8:d822::1", True),
    "teredo, loopback client": ("2001:0:5db8:d822:0:0:80ff:fffe", False),
    "teredo, private client": ("2001:0:5db8:d822:0:0:f5ff:fffe", False),
    "teredo, public client": ("2001:0:4136:e378:8000:63bf:a247:27dd", False),  # not global
    "site-local": ("fec0::1", False),
}


@pytest.mark.parametrize(("address", "public"), EMBEDDED_IPV4.values(), ids=list(EMBEDDED_IPV4))
def test_ipv6_that_embeds_ipv4_is_judged_by_both(address: str, public: bool) -> None:
    assert is_public(address) is public


@pytest.mark.parametrize("host", ["[::ffff:127.0.0.1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]"])
async def test_embedded_private_addresses_are_refused_before_connecting(
    no_network, host: str
) -> None:
    # Refused with this message, not "could not be downloaded": no connection was tried.
    with pytest.raises(ImagePromptError, match="private or local address"):
        await fetch_image(f"http://{host}:8080/x.png", timeout_s=5)


@pytest.mark.parametrize("name", BROKEN_LOCATIONS)
async def test_a_redirect_to_an_unreadable_url_is_refused(images_server, name: str) -> None:
    with pytest.raises(ImagePromptError, match="redirects to an address that is not a valid"):
        await fetch_image(f"{images_server}/redirect/{name}", timeout_s=5, allow_private=True)


@pytest.mark.parametrize("url", BROKEN_LOCATIONS.values(), ids=list(BROKEN_LOCATIONS))
async def test_an_unreadable_url_is_refused_before_connecting(no_network, url: str) -> None:
    with pytest.raises(ImagePromptError, match="is not a valid http"):
        await fetch_image(url, timeout_s=5)


async def test_an_unreadable_image_url_in_a_prompt_costs_nothing(open_loopback) -> None:
    _, sink = await run_line(open_loopback, "/mj http://[::1/x.png a fox")
    assert [r.kind for r in sink.replies] == [ReplyKind.ERROR]
    assert "is not a valid http(s) URL" in sink.replies[0].text
    assert open_loopback.store.run_sync(lambda s: s.db["ledger"].count) == 0


def test_iw_maps_to_strength() -> None:
    weights = [0, 0.5, 1, 2, 3]
    strengths = [image_prompt_strength(w) for w in weights]
    assert strengths == [1.0, 0.875, 0.75, 0.5, 0.25]
    assert image_prompt_strength(None) == 0.75  # --iw 1 is the default


def test_an_img2img_spec_survives_the_database() -> None:
    spec = make_spec(init_image="ab/abcd.png", strength=0.35)
    assert spec_from_dict(json.loads(json.dumps(spec_to_dict(spec)))) == spec
    old = spec_to_dict(make_spec())
    del old["init_image"], old["strength"]  # stored before image-to-image existed
    assert spec_from_dict(old).init_image is None


async def test_img2img_shares_the_loaded_weights(app) -> None:
    """from_pipe: the same tensors (same storage), not a second copy of the model."""
    model = app.backend.load(app.settings.models.default)
    img2img = app.backend.image_to_image(model)
    assert type(img2img).__name__ == "StableDiffusionImg2ImgPipeline"
    for name in ("unet", "vae", "text_encoder"):
        ours, theirs = getattr(model.pipe, name), getattr(img2img, name)
        assert ours is theirs
        pairs = zip(ours.parameters(), theirs.parameters(), strict=True)
        assert all(a.data_ptr() == b.data_ptr() for a, b in pairs)
    assert app.backend.image_to_image(model) is img2img  # built once


async def test_img2img_is_reproducible_from_its_seed(app, tmp_path) -> None:
    start = tmp_path / "start.png"
    start.write_bytes(png((64, 64)))
    spec = make_spec(init_image=str(start), strength=0.5, seeds=(4, 5))
    first, second = app.backend.generate([spec])[0], app.backend.generate([spec])[0]
    assert [a.tobytes() for a in first] == [b.tobytes() for b in second]
    assert first[0].tobytes() != first[1].tobytes()


async def test_large_outputs_use_a_tiled_vae_for_that_job_only(app, tmp_path, monkeypatch) -> None:
    import engine.pipeline_utils

    monkeypatch.setattr(engine.pipeline_utils, "TILED_VAE_PIXELS", 64 * 64)  # tiny model
    start = tmp_path / "start.png"
    start.write_bytes(png((64, 64)))
    model = app.backend.load(app.settings.models.default)
    seen = []
    spec = make_spec(width=128, height=128, init_image=str(start), strength=0.5, seeds=(1,))
    [[image]] = app.backend.generate([spec], lambda *_: seen.append(model.pipe.vae.use_tiling))
    assert image.size == (128, 128) and seen and all(seen)
    assert model.pipe.vae.use_tiling is False  # switched off again for the next job
