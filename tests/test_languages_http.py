"""The HTTP API answers in the client's language: `msg` follows Accept-Language (the same
codes as the chat platforms), through aiohttp's test client against the real app on the tiny
pipeline; a failed job's reason is rendered in each reader's language."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.http_api import build_http_app
from bot.app import App, open_app
from bot.config import Settings
from storage.store import Store

pytestmark = pytest.mark.slow


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[tuple[App, TestClient, str]]:
    """The app, a client, and an API key."""
    async with open_app(settings) as app:
        await app.service.start()
        key = await app.store.run(lambda s: _key(s))
        async with TestClient(TestServer(build_http_app(app.service, settings.http))) as client:
            yield app, client, key


def _key(s: Store) -> str:
    key = s.api_keys.create("alice")
    s.users.upsert("api", "alice", "alice")
    return key


async def post(
    client: TestClient, key: str, path: str, body: Any, language: str
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": language}
    response = await client.post(path, json=body, headers=headers)
    return response.status, await response.json()


async def test_refusals_answer_in_the_accept_language(
    make_settings: Callable[..., Settings],
) -> None:
    async with serve(make_settings(MJ_HTTP_PREVIEW_EVERY_S="0")) as (app, client, key):
        bad = await post(client, key, "/api/txt2img", {"prompt": "a fox --ar 16x9"}, "zh-TW")
        banned = await post(client, key, "/api/txt2img", {"prompt": "a nude woman"}, "zh-CN")
        english = await post(client, key, "/api/txt2img", {"prompt": "a fox --ar 16x9"}, "fr, en")
        weighted = "fr;q=1, zh-Hant;q=0.4, zh-Hans;q=0.8"
        preferred = await post(client, key, "/api/txt2img", {"prompt": "a fox --ar 9"}, weighted)
        unknown = await client.get("/api/nowhere", headers={"Accept-Language": "zh-Hans"})
        anonymous = await client.post(
            "/api/txt2img", json={"prompt": "a fox"}, headers={"Accept-Language": "zh-HK"}
        )
        nowhere, unknown_key = await unknown.json(), await anonymous.json()
        jobs = await app.store.run(lambda s: s.db["jobs"].count)
    assert bad[0] == 400 and bad[1]["msg"].startswith("--ar 必須是寫成 寬:高 的兩個整數")
    assert banned[0] == 403
    assert banned[1]["msg"] == "未绘制：你的提示词包含违禁词 “nude”，没有扣除额度。"
    assert english[1]["msg"].startswith("--ar must be two whole numbers written W:H")
    assert preferred[1]["msg"].startswith("--ar 必须是写成 宽:高 的两个整数")
    assert unknown.status == 404 and nowhere["msg"].startswith("没有这个接口")
    assert anonymous.status == 401 and unknown_key["msg"].startswith("請以「Authorization: Bearer")
    assert jobs == 0


async def test_a_failed_job_says_so_in_each_readers_language(
    make_settings: Callable[..., Settings],
) -> None:
    # A broken scorer fails its warm-up: start with the check off, then turn it on.
    broken = make_settings(
        MJ_SAFETY_SCORER="tests.fakes.safety_scorer:BrokenScorer", MJ_SAFETY_POLICY="off"
    )
    async with serve(broken) as (app, client, key):
        await app.store.run(lambda s: s.safety.set_policy("global", "block", 0.8, "spoiler", "t"))
        status, failed = await post(client, key, "/api/txt2img", {"prompt": "a fox"}, "zh-TW")
        [job_id] = await app.store.run(lambda s: [r["id"] for r in s.db["jobs"].rows])
        headers = {"Authorization": f"Bearer {key}"}
        english = await (await client.get(f"/api/jobs/{job_id}", headers=headers)).json()
        headers["Accept-Language"] = "zh-CN"
        simplified = await (await client.get(f"/api/jobs/{job_id}", headers=headers)).json()
        ledger = await app.store.run(
            lambda s: [r["delta"] for r in s.db["ledger"].rows_where("job_id = ?", [job_id])]
        )
    assert status == 500
    assert failed["msg"].startswith(f"任務 {job_id} 失敗：圖片安全檢查發生錯誤。")
    assert failed["msg"].endswith("這次任務的額度已退還。")
    assert english["data"]["error"].startswith("The image safety check failed.")
    assert simplified["data"]["error"].startswith("图片安全检查出错了。")
    assert ledger == [-1.0, 1.0]
