"""The HTTP API's input hardening (issue 14): bodies no parser should choke on, hostile headers,
retries with an Idempotency-Key, and no 500 or charge for what was answered with an error."""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.adapters.http_body import FIELDS, MAX_SIDE, BodyError, load_json, parse_body
from bot.config import Settings
from bot.core.render import FAILED
from i18n import render
from tests.helpers import Api, serve

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
MODELS = ("tiny", "xl")


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    async with serve(settings) as running:
        yield running


def debits(api: Api) -> list[float]:
    return api.app.store.run_sync(lambda s: [r["delta"] for r in s.db["ledger"].rows])


# the body parser, fuzzed ---------------------------------------------------------------------
NUMBER_TEXT = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.integers(1, 5000).map(lambda n: "9" * n),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e999", "-1e999", "NaN", "Infinity", "-Infinity", "2.0", "1e-400"]),
)
VALUE_TEXT = st.one_of(
    NUMBER_TEXT,
    st.sampled_from(["true", "false", "null", '"tiny"', '"xl"', '"\\ud800"', "[]", "{}"]),
    st.text(max_size=30).map(json.dumps),
)
FIELD_NAME = st.one_of(st.sampled_from(FIELDS), st.text(max_size=10))
BODY_TEXT = st.one_of(
    st.dictionaries(FIELD_NAME.map(json.dumps), VALUE_TEXT, max_size=9).map(
        lambda fields: "{" + ",".join(f"{k}: {v}" for k, v in fields.items()) + "}"
    ),
    st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth),
    st.text(max_size=60),
)


@FUZZ
@given(st.one_of(BODY_TEXT.map(str.encode), st.binary(max_size=80)))
@example(b'{"prompt": "a", "seed": ' + b"1" * 5000 + b"}")
@example(b'{"prompt": "a", "cfg": NaN}')
@example(b'{"prompt": "a", "cfg": 1e999}')
@example(b'{"prompt": "\\ud800"}')
@example(b"[" * 100_000)
@example(b'{"prompt": "a", "width": 8192, "height": 1}')
def test_any_body_is_a_drawing_within_limits_or_a_short_error(raw: bytes) -> None:
    try:
        order = parse_body(load_json(raw), MODELS)
    except BodyError as error:
        assert 0 < len(str(error)) <= 300
        return
    assert order.prompt.strip() and order.prompt.encode("utf-8")
    assert order.count is None or 1 <= order.count <= 4
    values = {name: value for name, (_, value) in order.fields.items()}
    assert set(values) <= {"negative_prompt", "aspect", "seed", "steps", "model", "cfg"}
    if "aspect" in values:
        width, height = map(int, values["aspect"].split(":"))
        assert 1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE
        assert max(width, height) <= 4 * min(width, height) and math.gcd(width, height) == 1
    assert 0 <= int(values.get("seed", 0)) <= 2**32 - 1
    assert 1 <= int(values.get("steps", 1)) <= 150
    assert 0 <= float(values.get("cfg", 0)) <= 30  # positional digits: no exponent
    assert "e" not in values.get("cfg", "").lower()
    assert values.get("model", "tiny") in MODELS


# hostile requests, through the real app -----------------------------------------------------
BAD_BODIES = {
    "5000 digits": (b'{"prompt": "a fox", "seed": ' + b"7" * 5000 + b"}", "no field takes"),
    "NaN": (b'{"prompt": "a fox", "cfg": NaN}', "NaN is not a JSON number"),
    "1e999": (b'{"prompt": "a fox", "cfg": 1e999}', "too large for any field"),
    "nested": (b"[" * 50_000, "nested too deeply"),
    "surrogate": (b'{"prompt": "a \\ud800 fox"}', "unpaired surrogate"),
    "latin-1": ('{"prompt": "café"}'.encode("latin-1"), "JSON in UTF-8"),
}


@pytest.mark.parametrize(("body", "message"), BAD_BODIES.values(), ids=list(BAD_BODIES))
async def test_bodies_that_broke_json_are_400_and_cost_nothing(
    api: Api, body: bytes, message: str
) -> None:
    headers = {**api.auth("alice"), "Content-Type": "application/json"}
    response = await api.client.post("/api/jobs", data=body, headers=headers)
    answer = await response.json()
    assert (response.status, answer["code"]) == (400, "1002"), answer
    assert message in answer["msg"] and len(answer["msg"]) < 200
    assert debits(api) == []


async def _raw(api: Api, request: bytes) -> tuple[int, dict[str, Any]]:
    """Bytes on the wire, as no well-behaved client library would send them."""
    server = api.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(request)
    await writer.drain()
    head, _, body = (await reader.read()).partition(b"\r\n\r\n")
    writer.close()
    await writer.wait_closed()
    return int(head.split()[1]), json.loads(body)


async def test_a_non_utf8_authorization_header_is_401(api: Api) -> None:
    status, answer = await _raw(
        api,
        b"GET /api/jobs/abc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer mjk_\xff\xfe\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert (status, answer["code"]) == (401, "1002")


@pytest.mark.parametrize("host", ["[::1", "evil.example:99999", "a b"])
async def test_image_urls_never_come_from_the_host_header(api: Api, host: str) -> None:
    key = api.keys["alice"].encode()
    body = b'{"prompt": "a fox", "count": 1}'
    status, answer = await _raw(
        api,
        b"POST /api/txt2img HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
        b"Authorization: Bearer " + key + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body,
    )
    assert status == 200, answer
    server = api.client.server
    [url] = answer["data"]["images"]
    assert url.startswith(f"http://{server.host}:{server.port}/images/")
    assert debits(api) == [-0.25]  # charged once, and answered


async def test_a_bug_is_a_logged_500_and_the_server_serves_on(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api.app.service.queries, "own_job", broken)  # fault injection
    response = await api.client.get("/api/jobs/abc", headers=api.auth("alice"))
    assert response.status == 500 and (await response.json())["msg"] == render(FAILED)
    assert "RuntimeError: a bug" in caplog.text
    monkeypatch.undo()
    assert (await api.post("/api/jobs", {"prompt": "a fox", "count": 1}))[0] == 202


# Idempotency-Key --------------------------------------------------------------------------
async def test_a_retried_post_returns_the_first_job_and_charges_once(api: Api) -> None:
    await api.key("bob")
    body = {"prompt": "a fox", "count": 1}
    first = await api.post("/api/jobs", body, Idempotency_Key="order-17")
    again = await api.post("/api/jobs", body, Idempotency_Key="order-17")
    assert first[0] == again[0] == 202
    assert first[1]["data"]["jobId"] == again[1]["data"]["jobId"]
    # Keys are per API key: bob's "order-17" is his own request.
    bob = await api.post("/api/jobs", body, "bob", Idempotency_Key="order-17")
    assert bob[1]["data"]["jobId"] != first[1]["data"]["jobId"]
    # The same key with another request is a client's mix-up, refused without a charge.
    status, answer = await api.post("/api/jobs", {"prompt": "a cat"}, Idempotency_Key="order-17")
    assert status == 409 and "different request" in answer["msg"]
    assert debits(api) == [-0.25, -0.25]
    # A retry of txt2img gets the images its first request drew, and no new job.
    drawn = await api.post("/api/txt2img", body, Idempotency_Key="order-18")
    redrawn = await api.post("/api/txt2img", body, Idempotency_Key="order-18")
    assert drawn == redrawn and len(debits(api)) == 3


async def test_a_retried_permutation_returns_every_first_job(api: Api) -> None:
    body = {"prompt": "a {red, blue} fox", "count": 1}
    first = await api.post("/api/jobs", body, Idempotency_Key="both")
    again = await api.post("/api/jobs", body, Idempotency_Key="both")
    assert first[0] == again[0] == 202 and first[1] == again[1]
    assert len(debits(api)) == 2  # one job for each colour, once


async def test_concurrent_retries_make_one_job(api: Api) -> None:
    body = {"prompt": "a fox", "count": 1}
    answers = await asyncio.gather(
        *(api.post("/api/jobs", body, Idempotency_Key="same") for _ in range(5))
    )
    assert len({answer["data"]["jobId"] for _, answer in answers}) == 1
    assert len(debits(api)) == 1


async def test_a_retry_after_a_restart_still_finds_its_job(settings: Settings) -> None:
    body = {"prompt": "a fox", "count": 1}
    async with serve(settings) as api:
        status, first = await api.post("/api/txt2img", body, Idempotency_Key="k-1")
        key = api.keys["alice"]
    async with serve(settings, user=None) as api:
        api.keys["alice"] = key  # the same API key, in the restarted bot
        status, again = await api.post("/api/txt2img", body, Idempotency_Key="k-1")
        assert status == 200 and again["data"]["jobId"] == first["data"]["jobId"]
        names = [[url.rsplit("/", 1)[1] for url in a["data"]["images"]] for a in (first, again)]
        assert names[0] == names[1]  # the same images, at this run's address
        assert len(debits(api)) == 1


async def test_a_malformed_idempotency_key_is_400(api: Api) -> None:
    status, answer = await api.post("/api/jobs", {"prompt": "a fox"}, Idempotency_Key="a b")
    assert status == 400 and "Idempotency-Key" in answer["msg"]
    assert debits(api) == []
