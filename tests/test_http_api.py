"""The HTTP API against the real app on the tiny pipeline, through aiohttp's test client."""

from __future__ import annotations

import asyncio
import io
import json
import re
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner
from yarl import URL

from bot.adapters.http_body import BodyError, parse_body
from bot.app import App
from bot.config import Settings
from storage.api_keys import hash_key
from storage.store import Store
from tests.helpers import TINY_ENV, Api, serve, until


@pytest.fixture
async def api(make_settings: Callable[..., Settings]) -> AsyncIterator[Api]:
    async with serve(make_settings(MJ_HTTP_PREVIEW_EVERY_S="0")) as running:
        yield running


def gate_engine(app: App) -> threading.Event:
    """Hold the first job inside the backend until the returned event is set."""
    gate = threading.Event()
    generate = app.backend.generate

    def held(specs: Any, on_step: Any, cancel: Any) -> Any:
        gate.wait(30)
        return generate(specs, on_step, cancel)

    app.backend.generate = held  # type: ignore[method-assign]
    return gate


# the body, pure ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "fields", "count"),
    [
        ({"prompt": "a fox"}, {}, None),
        (
            {"prompt": "a fox", "negativePrompt": "text --ar 2:1", "width": 768, "height": 512},
            {
                "negative_prompt": ("negativePrompt", "text --ar 2:1"),  # text, not a param
                "aspect": ("width and height", "3:2"),
            },
            None,
        ),
        (
            {"prompt": "一只猫", "seed": 7, "steps": 2, "cfg": 4.5, "count": 1.0},
            {"seed": ("seed", "7"), "steps": ("steps", "2"), "cfg": ("cfg", "4.5")},
            1,
        ),
        (
            # OpenAPI cannot bound the ratio of two fields: a longer shape is drawn at 4:1.
            {"prompt": "a banner", "width": 2000, "height": 400, "cfg": 1e-9},
            {"aspect": ("width and height", "4:1"), "cfg": ("cfg", "0.000000001")},
            None,
        ),
        (
            {
                "prompt": "a crane",
                "theme": "guofeng",
                "clipSkip": 2,
                "loras": [{"name": "ink", "weight": 0.6}, {"name": "paper"}],
            },
            {
                "theme": ("theme", "guofeng"),
                "clip_skip": ("clipSkip", "2"),
                "loras": ("loras", "ink:0.6 paper"),
            },
            None,
        ),
    ],
    ids=["prompt-only", "negative-and-aspect", "chinese-and-knobs", "shape-beyond-4-1", "looks"],
)
def test_bodies_become_the_cores_fields(body: dict, fields: dict, count: int | None) -> None:
    order = parse_body(body)
    assert (order.prompt, order.fields, order.count) == (body["prompt"], fields, count)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({}, "prompt must be a non-empty string"),
        ({"prompt": "  "}, "prompt must be a non-empty string"),
        ({"prompt": "x", "size": 3}, "Unknown field 'size'"),
        ({"prompt": "x", "width": 512}, "both width and height"),
        ({"prompt": "x", "width": "512", "height": 512}, "width must be a whole number"),
        ({"prompt": "x", "count": 5}, "count must be a whole number from 1 to 4"),
        ({"prompt": "x", "seed": True}, "seed must be a whole number"),
        ({"prompt": "x", "cfg": "high"}, "cfg must be a number"),
        ({"prompt": "x", "model": "nope"}, "model must be one of: tiny; got 'nope'"),
        ({"prompt": "x", "seed": 10**30}, "seed must be a whole number from 0 to 4294967295"),
        ({"prompt": "x", "cfg": float("nan")}, "cfg must be a number from 0 to 30"),
        ({"prompt": "x", "loras": "ink"}, "loras must be a list"),
        ({"prompt": "x", "loras": [{"name": "a b"}]}, "loras must be a list"),
        ({"prompt": "x", "loras": [{"name": "a", "weight": "1"}]}, "weight of LoRA 'a'"),
        ({"prompt": "x", "loras": [{"name": "a"}] * 5}, "at most 4"),
        ({"prompt": "x", "clipSkip": 5}, "clipSkip must be a whole number from 1 to 4"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_bad_bodies_say_what_to_fix(body: Any, message: str) -> None:
    with pytest.raises(BodyError, match=re.escape(message)):
        parse_body(body, models=("tiny",))


# happy path --------------------------------------------------------------------------------
async def test_txt2img_answers_with_images_that_download(api: Api) -> None:
    status, answer = await api.post(
        "/api/txt2img",
        {"prompt": "a red fox", "negativePrompt": "blur", "width": 512, "height": 512, "seed": 3},
    )
    assert status == 200, answer
    assert (answer["code"], answer["msg"]) == ("1001", "success")
    data = answer["data"]
    assert data["prompt"] == "a red fox" and len(data["jobId"]) == 10
    assert len(data["images"]) == api.app.settings.limits.images_per_job
    assert data["seeds"] == [3, 4, 5, 6]
    for url in data["images"]:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/images/[0-9a-f]{32}\.png", url)
        response = await api.client.get(URL(url).path)
        assert response.status == 200 and response.content_type == "image/png"
        with Image.open(io.BytesIO(await response.read())) as image:
            assert image.size == (64, 64)
    row = await api.app.store.run(lambda s: s.jobs.get(data["jobId"]))
    assert row["platform"] == "api" and row["platform_user_id"] == "alice"
    assert "--no blur" in row["mj_text"]


async def test_count_draws_fewer_images_and_costs_less(api: Api) -> None:
    status, answer = await api.post("/api/txt2img", {"prompt": "a fox", "count": 1})
    assert status == 200, answer
    assert len(answer["data"]["images"]) == 1
    ledger = await api.app.store.run(lambda s: list(s.db["ledger"].rows))
    assert [row["delta"] for row in ledger] == [-0.25]


async def test_chinese_prompts_with_mj_params_are_translated(api: Api) -> None:
    status, answer = await api.post("/api/txt2img", {"prompt": "一只猫 --ar 16:9", "count": 1})
    assert status == 200, answer
    assert answer["data"]["prompt"] == "一只猫"
    assert answer["data"]["translatedPrompt"] != "一只猫"


async def test_public_url_makes_absolute_image_urls(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(MJ_PUBLIC_URL="https://draw.example.org/")
    async with serve(settings) as api:
        status, answer = await api.post("/api/txt2img", {"prompt": "a fox", "count": 1})
    assert status == 200
    assert answer["data"]["images"][0].startswith("https://draw.example.org/images/")


# errors ------------------------------------------------------------------------------------
async def test_bad_input_is_400_with_a_reason(api: Api) -> None:
    headers = {**api.auth("alice"), "Content-Type": "application/json"}
    response = await api.client.post("/api/txt2img", data=b"{not json", headers=headers)
    assert response.status == 400
    assert (await response.json())["msg"].startswith("The body is not valid JSON")
    cases = [
        ({"prompt": "x", "steps": "many"}, "steps must be a whole number"),
        ({"prompt": "a fox --sharpness 3"}, "Unknown parameter --sharpness"),
        # The model's own limit, naming the field that broke it.
        ({"prompt": "a fox", "steps": 120}, "steps must be a whole number between 1 and 50"),
        ({"prompt": "a fox", "model": "nope"}, "model must be one of: tiny; got 'nope'"),
        (
            {"prompt": "a fox --ar 1:1", "width": 2, "height": 1},
            "width and height and --ar in the prompt set the same thing",
        ),
        (
            {"prompt": "a fox --steps 3", "steps": 4},
            "steps and --steps in the prompt set the same thing; keep one.",
        ),
    ]
    for body, message in cases:
        status, answer = await api.post("/api/txt2img", body)
        assert (status, answer["code"]) == (400, "1002"), answer
        assert message in answer["msg"]


async def test_banned_prompts_are_refused_and_counted(api: Api) -> None:
    status, answer = await api.post("/api/jobs", {"prompt": "nude portrait"})
    assert status == 403 and "banned term" in answer["msg"]
    metrics = await (await api.client.get("/metrics")).text()
    assert "mjbot_prompts_blocked_total 1" in metrics.splitlines()


async def test_oversized_bodies_are_413(make_settings: Callable[..., Settings]) -> None:
    async with serve(make_settings(MJ_HTTP_MAX_BODY="1024")) as api:
        status, answer = await api.post("/api/txt2img", {"prompt": "x" * 2000})
    assert status == 413 and "at most 1,024 bytes" in answer["msg"]


async def test_keys_are_required_and_revocation_is_immediate(api: Api) -> None:
    response = await api.client.post("/api/txt2img", json={"prompt": "a fox"})
    assert response.status == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in (await response.json())["msg"]
    bad = {"Authorization": "Bearer mjk_nope"}
    response = await api.client.get("/api/jobs/abc", headers=bad)
    assert response.status == 401
    status, answer = await api.post("/api/jobs", {"prompt": "a fox", "count": 1})
    assert status == 202
    await api.app.store.run(lambda s: s.api_keys.revoke("alice"))
    response = await api.client.get(
        f"/api/jobs/{answer['data']['jobId']}", headers=api.auth("alice")
    )
    assert response.status == 401
    assert (await response.json())["msg"] == "This API key is unknown or revoked"


async def test_keys_are_stored_hashed(api: Api) -> None:
    rows = await api.app.store.run(lambda s: s.api_keys.list_all())
    assert rows[0]["key_hash"] == hash_key(api.keys["alice"])
    assert api.keys["alice"] not in json.dumps(rows)


async def test_quota_exhaustion_is_429(make_settings: Callable[..., Settings]) -> None:
    async with serve(make_settings(MJ_TIERS="free=1/10/1")) as api:
        assert (await api.post("/api/txt2img", {"prompt": "a fox"}))[0] == 200
        status, answer = await api.post("/api/txt2img", {"prompt": "a fox"})
    assert status == 429 and answer["msg"].startswith("Not enough credits")


async def test_a_full_queue_is_429(make_settings: Callable[..., Settings]) -> None:
    async with serve(make_settings(MJ_MAX_WAITING="1")) as api:
        gate = gate_engine(api.app)
        first = await api.post("/api/jobs", {"prompt": "a fox", "count": 1})
        await until(lambda: not api.app.engine.waiting_count())  # running, held at the gate
        second = await api.post("/api/jobs", {"prompt": "a fox", "count": 1})
        status, answer = await api.post("/api/jobs", {"prompt": "a fox", "count": 1})
        gate.set()
        await api.app.engine.wait_idle()
    assert (first[0], second[0]) == (202, 202)
    assert status == 429 and "queue is full" in answer["msg"]


async def test_a_blocked_user_is_403(api: Api) -> None:
    await api.app.store.run(
        lambda s: s.users.update(s.users.upsert("api", "alice", "alice"), blocked_at="x")
    )
    status, answer = await api.post("/api/jobs", {"prompt": "a fox"})
    assert status == 403 and "blocked" in answer["msg"]


async def test_a_stopped_engine_is_503(api: Api) -> None:
    api.app.engine.stop()
    status, answer = await api.post("/api/jobs", {"prompt": "a fox"})
    assert status == 503 and "engine is not running" in answer["msg"]
    assert (await api.client.get("/healthz")).status == 503


async def test_unknown_endpoints_and_methods_answer_in_the_envelope(api: Api) -> None:
    response = await api.client.get("/api/nothing", headers=api.auth("alice"))
    assert response.status == 404 and (await response.json())["code"] == "1002"
    response = await api.client.put("/api/txt2img", headers=api.auth("alice"))
    assert response.status == 405 and (await response.json())["code"] == "1002"
    assert response.headers["Allow"] == "POST"  # RFC 9110: what is allowed instead


# jobs, events, cancel ----------------------------------------------------------------------
async def read_events(api: Api, job_id: str, name: str = "alice") -> list[tuple[str, dict]]:
    response = await api.client.get(f"/api/jobs/{job_id}/events", headers=api.auth(name))
    assert response.status == 200
    assert response.content_type == "text/event-stream"
    events = []
    for block in (await response.text()).split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


async def test_events_stream_position_then_progress_then_done(api: Api) -> None:
    await api.key("bob")
    gate = gate_engine(api.app)
    await api.post("/api/jobs", {"prompt": "a fox", "count": 1}, "bob")  # holds the engine
    await until(lambda: not api.app.engine.waiting_count())
    status, answer = await api.post("/api/jobs", {"prompt": "a cat", "steps": 3})
    assert status == 202 and answer["data"]["status"] == "queued"
    job_id = answer["data"]["jobId"]
    stream = asyncio.create_task(read_events(api, job_id))
    await asyncio.sleep(0.2)
    polled = await (await api.client.get(f"/api/jobs/{job_id}", headers=api.auth("alice"))).json()
    assert polled["data"]["position"] == 1 and polled["data"]["status"] == "queued"
    gate.set()
    events = await asyncio.wait_for(stream, 30)
    names = [name for name, _ in events]
    assert names[0] == "position" and events[0][1]["position"] == 1
    assert names[-1] == "done" and names.count("progress") == 3
    assert names == ["position"] + ["progress"] * 3 + ["done"]
    percents = [data["percent"] for name, data in events if name == "progress"]
    assert percents == sorted(percents) and percents[-1] == 100
    for _, data in events[1:4]:
        preview = await api.client.get(URL(data["preview"]).path)
        assert preview.status == 200 and preview.content_type == "image/png"
    assert len(events[-1][1]["images"]) == 4 and events[-1][1]["grid"]
    # A late subscriber gets the end at once; the job reads done with its images.
    assert [name for name, _ in await read_events(api, job_id)] == ["done"]
    response = await api.client.get(f"/api/jobs/{job_id}", headers=api.auth("alice"))
    data = (await response.json())["data"]
    assert (data["status"], data["progress"], len(data["images"])) == ("done", 100, 4)


async def test_cancel_a_queued_job_and_its_stream_ends(api: Api) -> None:
    await api.key("bob")
    gate = gate_engine(api.app)
    await api.post("/api/jobs", {"prompt": "a fox", "count": 1}, "bob")
    await until(lambda: not api.app.engine.waiting_count())
    job_id = (await api.post("/api/jobs", {"prompt": "a cat"}))[1]["data"]["jobId"]
    stream = asyncio.create_task(read_events(api, job_id))
    await asyncio.sleep(0.1)
    cancel = f"/api/jobs/{job_id}/cancel"
    response = await api.client.post(cancel, headers=api.auth("alice"))
    assert response.status == 200
    assert (await response.json())["data"]["status"] == "cancelled"
    assert [name for name, _ in await asyncio.wait_for(stream, 10)] == ["position", "cancelled"]
    again = await api.client.post(cancel, headers=api.auth("alice"))
    assert again.status == 409
    # Bob cannot see or cancel Alice's jobs: for him they do not exist.
    other = await api.client.post(cancel, headers=api.auth("bob"))
    assert other.status == 404
    gate.set()
    await api.app.engine.wait_idle()
    ledger = await api.app.store.run(
        lambda s: [r["delta"] for r in s.db["ledger"].rows_where("job_id = ?", [job_id])]
    )
    assert sum(ledger) == 0  # a job cancelled before it ran costs nothing


async def test_several_keys_share_the_queue_fairly(api: Api) -> None:
    await api.key("bob")
    gate = gate_engine(api.app)
    first = (await api.post("/api/jobs", {"prompt": "a fox", "count": 1}))[1]["data"]["jobId"]
    await until(lambda: not api.app.engine.waiting_count())
    alice = [first]
    for _ in range(4):
        alice.append(
            (await api.post("/api/jobs", {"prompt": "a fox", "count": 1}))[1]["data"]["jobId"]
        )
    bob = (await api.post("/api/jobs", {"prompt": "a cat", "count": 1}, "bob"))[1]["data"]["jobId"]
    # Concurrent waiting clients: each txt2img answers when its own job is done.
    waiter = asyncio.create_task(api.post("/api/txt2img", {"prompt": "an owl", "count": 1}, "bob"))
    await asyncio.sleep(0.1)
    gate.set()
    status, answer = await asyncio.wait_for(waiter, 30)
    assert status == 200 and len(answer["data"]["images"]) == 1
    await api.app.engine.wait_idle()
    rows = await api.app.store.run(
        lambda s: list(s.db.query("select id from jobs order by started_at, rowid"))
    )
    order = [row["id"] for row in rows]
    assert order[0] == first
    assert order.index(bob) <= 2  # ahead of at least three of Alice's five jobs


# images, health, metrics, openapi ---------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/images/..%2F..%2Fmjbot.db",
        "/images/%2E%2E/mjbot.db",
        "/images/../mjbot.db",
        "/images/%2Fetc%2Fpasswd",
        "/images//etc/passwd",
        "/images/..%252Fmjbot.db",
        "/images/0123456789abcdef0123456789abcdef.png",
        "/images/0123456789ABCDEF0123456789ABCDEF.png",
        "/images/mjbot.db",
    ],
    ids=lambda path: path.removeprefix("/images/"),
)
async def test_images_are_served_by_name_only(api: Api, path: str) -> None:
    response = await api.client.get(URL(path, encoded=True))
    assert response.status == 404


async def test_health_metrics_and_openapi(api: Api) -> None:
    assert (await api.post("/api/txt2img", {"prompt": "a fox", "count": 1}))[0] == 200
    health = await api.client.get("/healthz")
    assert health.status == 200 and (await health.json())["status"] == "ok"
    assert (await health.json())["workers"] == {"alive": 1, "total": 1}  # the local one

    response = await api.client.get("/metrics")
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = await response.text()
    sample = re.compile(
        r'[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
        r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? [-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|\+Inf|NaN)'
    )
    comment = re.compile(
        r"# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* "
        r"(counter|gauge|histogram|summary|untyped))"
    )
    assert text.endswith("\n")
    for line in text.splitlines():
        assert sample.fullmatch(line) or comment.fullmatch(line), line
    lines = text.splitlines()
    assert 'mjbot_jobs{status="done"} 1' in lines and "mjbot_queue_length 0" in lines
    assert "mjbot_job_duration_seconds_count 1" in lines
    assert 'mjbot_step_duration_seconds_bucket{le="+Inf"} 1' in lines
    assert "mjbot_workers_alive 1" in lines
    done = [line for line in lines if line.startswith('mjbot_worker_jobs_done{worker="local"')]
    assert len(done) == 1 and done[0].endswith(" 1")

    document = await (await api.client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    routes = {
        re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", resource.canonical)
        for resource in api.client.server.app.router.resources()
    }
    assert routes == set(document["paths"])


async def test_loras_and_themes_as_fields_and_in_the_job(api: Api, tiny_loras) -> None:
    from engine.lora_files import file_sha256
    from storage.looks import LoraRecord, ThemeRecord

    path = tiny_loras["a"]
    record = LoraRecord("ink", str(path), file_sha256(path), "tiny", "diffusers", 4)
    await api.app.store.run(lambda s: s.looks.add_lora(record, "test"))
    theme = ThemeRecord("guofeng", "tiny", style="watercolor", params="--cfg 4")
    await api.app.store.run(lambda s: s.looks.add_theme(theme, "test"))
    body = {"prompt": "a crane", "count": 1, "theme": "guofeng", "clipSkip": 2,
            "loras": [{"name": "ink", "weight": 0.5}]}  # fmt: skip
    status, answer = await api.post("/api/txt2img", body)
    assert status == 200, answer
    job_id = answer["data"]["jobId"]
    response = await api.client.get(f"/api/jobs/{job_id}", headers=api.auth("alice"))
    data = (await response.json())["data"]
    looks = {key: data[key] for key in ("model", "theme", "style", "loras", "cfg", "clipSkip")}
    assert looks == {
        "model": "tiny",
        "theme": "guofeng",
        "style": "watercolor",
        "loras": [{"name": "ink", "weight": 0.5}],
        "cfg": 4.0,
        "clipSkip": 2,
    }
    assert data["sampler"] == "euler_a" and data["seed"] == answer["data"]["seeds"][0]
    status, refused = await api.post("/api/jobs", {"prompt": "a crane", "loras": [{"name": "x"}]})
    assert status == 400 and refused["msg"].startswith("Unknown LoRA 'x'. Available: ink")
    document = await (await api.client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert {"theme", "loras", "clipSkip"} <= set(schemas["Txt2Img"]["properties"])
    assert {"model", "theme", "loras", "clipSkip", "sampler"} <= set(schemas["Job"]["properties"])


async def test_models_themes_styles_and_loras_are_listed(api: Api, tiny_loras) -> None:
    from engine.lora_files import file_sha256
    from storage.looks import LoraRecord, ThemeRecord

    path = tiny_loras["a"]
    record = LoraRecord(
        "ink", str(path), file_sha256(path), "tiny", "diffusers", 4, trigger_words="sumi-e"
    )
    await api.app.store.run(lambda s: s.looks.add_lora(record, "test"))
    theme = ThemeRecord("guofeng", "tiny", description="ink and silk")
    await api.app.store.run(lambda s: s.looks.add_theme(theme, "test"))

    async def items(kind: str) -> dict[str, str]:
        response = await api.client.get(f"/api/{kind}", headers=api.auth("alice"))
        assert response.status == 200
        return {item["name"]: item["about"] for item in (await response.json())["data"]["items"]}

    assert list(await items("models")) == ["tiny"]
    assert await items("themes") == {"guofeng": "ink and silk"}
    assert "trigger words: sumi-e" in (await items("loras"))["ink"]
    assert "watercolor" in await items("styles")
    response = await api.client.get("/api/loras")
    assert response.status == 401


def test_api_key_commands(tmp_path: Path) -> None:
    from bot.__main__ import app

    runner = CliRunner()
    env = {**TINY_ENV, "MJ_DATA_DIR": str(tmp_path)}
    created = runner.invoke(app, ["api-key", "create", "shop", "--tier", "pro"], env=env)
    assert created.exit_code == 0, created.output
    key = created.stdout.splitlines()[0]
    assert key.startswith("mjk_") and len(key) > 40
    again = runner.invoke(app, ["api-key", "create", "shop"], env=env)
    assert again.exit_code == 2 and "revoke it first" in again.output
    bad_tier = runner.invoke(app, ["api-key", "create", "x", "--tier", "gold"], env=env)
    assert bad_tier.exit_code == 2
    listed = runner.invoke(app, ["api-key", "list"], env=env)
    assert "shop" in listed.output and "active" in listed.output
    store = Store(tmp_path / "mjbot.db")
    try:
        assert store.api_keys.owner(key) == "shop"
        assert store.users.find("api", "shop")["tier"] == "pro"
    finally:
        store.close()
    assert runner.invoke(app, ["api-key", "revoke", "shop"], env=env).exit_code == 0
    assert runner.invoke(app, ["api-key", "revoke", "shop"], env=env).exit_code == 2
    store = Store(tmp_path / "mjbot.db")
    try:
        assert store.api_keys.owner(key) is None
    finally:
        store.close()


# the image safety check ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "shown"),
    [("block", "none"), ("blur", "copy"), ("spoiler", "original")],
    ids=["block", "blur", "spoiler"],
)
async def test_the_job_json_carries_each_images_verdict(
    make_settings: Callable[..., Settings], mode: str, shown: str
) -> None:
    settings = make_settings(
        MJ_SAFETY_SCORER="tests.fakes.safety_scorer:FlaggingScorer", MJ_SAFETY_POLICY=mode
    )
    async with serve(settings) as api:
        status, body = await api.post("/api/txt2img", {"prompt": "a fox", "count": 2})
        job_id = body["data"]["jobId"]
        response = await api.client.get(f"/api/jobs/{job_id}", headers=api.auth("alice"))
        data = (await response.json())["data"]
        originals = api.app.store.run_sync(lambda s: s.jobs.images(job_id))
        fetched = [await api.client.get(URL(url).path) for url in data["images"] if url]
        bodies = [await response.read() for response in fetched]
    assert status == 200 and body["data"]["safety"] == data["safety"]
    assert data["safety"] == [
        {"image": i, "verdict": "flagged", "score": 0.95, "action": mode, "released": False}
        for i in (1, 2)
    ]
    names = [url and URL(url).name for url in data["images"]]
    original_names = [Path(image.path).name for image in originals]
    if shown == "none":
        assert names == [None, None] and bodies == []  # withheld: no URL at all
    elif shown == "copy":
        assert all(names) and not set(names) & set(original_names) and len(bodies) == 2
    else:
        assert names == original_names


async def test_openapi_describes_the_verdicts(api: Api) -> None:
    document = await (await api.client.get("/openapi.json")).json()
    job = document["components"]["schemas"]["Job"]["properties"]
    assert job["safety"]["items"]["properties"]["action"]["enum"] == [
        "show",
        "spoiler",
        "blur",
        "block",
    ]
    assert job["images"]["items"]["type"] == ["string", "null"]
