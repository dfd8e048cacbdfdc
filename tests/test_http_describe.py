"""POST /api/describe against the real app on the tiny captioner: a file, a URL, the job it
leaves, the OpenAPI description, and every refusal answered without a charge."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from bot.config import Settings
from tests.helpers import Api, image_server, link_captioner, picture, png_bytes, serve

pytestmark = pytest.mark.slow


@pytest.fixture
async def api(make_settings: Callable[..., Settings], tiny_captioner_dir) -> AsyncIterator[Api]:
    settings = make_settings(MJ_ALLOW_PRIVATE_IMAGE_URLS="true")
    link_captioner(settings.data_dir, tiny_captioner_dir)
    async with serve(settings) as running:
        yield running


def form(**fields: object) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for name, value in fields.items():
        if isinstance(value, bytes):  # as a stream, sent without a Content-Length
            data.add_field(name, io.BytesIO(value), filename="photo.png", content_type="image/png")
        else:
            data.add_field(name, str(value))
    return data


async def post_form(api: Api, data: aiohttp.FormData) -> tuple[int, dict]:
    response = await api.client.post("/api/describe", data=data, headers=api.auth("alice"))
    return response.status, await response.json()


async def test_a_file_gets_four_prompts_and_the_job_shows_them(api: Api) -> None:
    status, body = await post_form(api, form(image=png_bytes(picture((120, 160)))))
    assert status == 200, body
    data = body["data"]
    assert set(data) == {"jobId", "prompts", "glosses", "aspect"}
    assert data["aspect"] == "3:4" and data["glosses"] is None
    assert len(data["prompts"]) == 4 and all(p.endswith(" --ar 3:4") for p in data["prompts"])
    job = await api.client.get(f"/api/jobs/{data['jobId']}", headers=api.auth("alice"))
    shown = (await job.json())["data"]
    assert (shown["status"], shown["prompts"], shown["images"]) == ("done", data["prompts"], [])
    events = await api.client.get(f"/api/jobs/{data['jobId']}/events", headers=api.auth("alice"))
    assert f'"prompts": ["{data["prompts"][0]}"' in await events.text()
    credits = api.app.store.run_sync(lambda s: s.db["ledger"].count)
    assert credits == 1  # charged like any job


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with image_server({"/photo.png": png_bytes(picture((200, 200)))}) as base:
        yield f"{base}/photo.png"


async def test_a_url_by_json_or_form(api: Api, url: str) -> None:
    status, body = await api.post("/api/describe", {"url": url})
    assert status == 200, body
    assert body["data"]["aspect"] == "1:1" and len(body["data"]["prompts"]) == 4
    status, body = await post_form(api, form(url=url, gloss="false"))
    assert status == 200 and body["data"]["glosses"] is None


@pytest.mark.parametrize(
    ("send", "status", "message"),
    [
        (lambda: {"json": {"url": "ftp://example.com/a.png"}}, 400, "http(s) only"),
        (lambda: {"json": {"url": "", "gloss": True}}, 400, "url must be"),
        (lambda: {"json": {"url": "https://a.example/x.png", "seed": 1}}, 400, "Unknown field"),
        (lambda: {"json": {"gloss": True}}, 400, "one image, as a file or a URL"),
        (lambda: {"json": ["https://a.example/x.png"]}, 400, "JSON carries a"),
        (lambda: {"json": {"url": "https://a.example/x.png", "gloss": "yes"}}, 400, "gloss"),
        (lambda: {"data": b"raw bytes"}, 400, "multipart/form-data"),
        (lambda: {"data": form(image=b"not an image")}, 400, "not a valid PNG"),
        (
            lambda: {"data": form(image=png_bytes(picture()), url="https://a.example/x.png")},
            400,
            "one image, as a file or a URL",
        ),
        (lambda: {"data": form(image=b"\0" * 10_000_001)}, 413, "larger than 10 MB"),
        (lambda: {"data": io.BytesIO(b"\0" * 10_100_000)}, 413, "larger than 10 MB"),
    ],
    ids=[
        "ftp-url",
        "empty-url",
        "unknown-field",
        "no-image",
        "json-not-an-object",
        "gloss-not-a-bool",
        "raw-body",
        "not-an-image",
        "file-and-url",
        "too-large-streamed",
        "too-large-declared",
    ],
)
async def test_refusals_name_the_fix_and_cost_nothing(api: Api, send, status, message) -> None:
    response = await api.client.post("/api/describe", headers=api.auth("alice"), **send())
    body = await response.json()
    assert response.status == status and message in body["msg"], body
    assert body["code"] == "1002"
    assert api.app.store.run_sync(lambda s: (s.db["jobs"].count, s.db["ledger"].count)) == (0, 0)


async def test_no_key_no_describe(api: Api) -> None:
    response = await api.client.post("/api/describe", json={"url": "https://a.example/x.png"})
    assert response.status == 401


async def test_openapi_describes_the_endpoint(api: Api) -> None:
    document = await (await api.client.get("/openapi.json")).json()
    post = document["paths"]["/api/describe"]["post"]
    content = post["requestBody"]["content"]
    assert content["multipart/form-data"]["schema"]["properties"]["image"]["format"] == "binary"
    assert content["application/json"]["schema"]["required"] == ["url"]
    assert {"200", "400", "401", "413", "429", "503"} <= set(post["responses"])
    job = document["components"]["schemas"]["Job"]["properties"]
    assert {"prompts", "glosses", "aspect"} <= set(job)


async def test_a_retried_describe_is_the_first_ones_job_charged_once(api: Api) -> None:
    headers = {**api.auth("alice"), "Idempotency-Key": "photo-1"}

    async def send(image: bytes) -> tuple[int, dict]:
        data = form(image=image)
        response = await api.client.post("/api/describe", data=data, headers=headers)
        return response.status, await response.json()

    photo = png_bytes(picture((120, 160)))
    first, again = await send(photo), await send(photo)
    assert first[0] == again[0] == 200 and first[1]["data"] == again[1]["data"]
    other = await send(png_bytes(picture((160, 120))))  # another image under the same key
    assert other[0] == 409 and "different request" in other[1]["msg"]
    assert api.app.store.run_sync(lambda s: s.db["ledger"].count) == 1


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),  # no boundary
        ("multipart/form-data; boundary=" + "b" * 80, b"--b\r\n"),  # too long a boundary
        ("multipart/form-data; boundary=zz", b"not a multipart body at all"),
        ("application/x-www-form-urlencoded; charset=utf-8", b"url=%FF%FE"),
        ("application/json", b"[" * 5000),
    ],
    ids=["no-boundary", "long-boundary", "garbage", "latin", "nested"],
)
async def test_malformed_bodies_are_400_and_cost_nothing(
    api: Api, content_type: str, body: bytes
) -> None:
    headers = {**api.auth("alice"), "Content-Type": content_type}
    response = await api.client.post("/api/describe", data=body, headers=headers)
    assert response.status == 400, await response.text()
    assert len((await response.json())["msg"]) < 300
    assert api.app.store.run_sync(lambda s: s.db["ledger"].count) == 0
