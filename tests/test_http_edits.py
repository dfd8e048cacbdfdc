"""The editing endpoints over HTTP on the tiny pipeline: POST /api/jobs/{id}/actions,
POST /api/blend, and the Vary (Region) page in a real headless Chromium."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.adapters.http_api import build_http_app
from bot.app import open_app
from bot.config import Settings
from engine.canvas import fit_budget
from tests.helpers import TINY_ENV, load_image

pytestmark = pytest.mark.slow


class Api:
    def __init__(self, app: Any, client: TestClient, key: str) -> None:
        self.app = app
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"}

    async def post(self, path: str, body: Any, headers: dict | None = None) -> tuple[int, dict]:
        response = await self.client.post(path, json=body, headers=headers or self.headers)
        return response.status, await response.json()

    async def done(self, job_id: str) -> dict[str, Any]:
        await self.app.service.wait(job_id)
        return self.app.store.run_sync(lambda s: s.jobs.get(job_id))

    def array(self, path: str) -> np.ndarray:
        return np.asarray(load_image(self.app.settings.images_dir / path))


@pytest.fixture
async def api(tmp_path: Path, tiny_model_dir: Path, no_network) -> AsyncIterator[Api]:
    async for instance in serve(tmp_path, tiny_model_dir):
        yield instance


@pytest.fixture
async def gan_api(
    tmp_path: Path, tiny_model_dir: Path, no_network, spandrel_imported
) -> AsyncIterator[Api]:
    async for instance in serve(tmp_path / "gan", tiny_model_dir, MJ_GAN_UPSCALER="tiny"):
        yield instance


async def serve(tmp_path: Path, tiny_model_dir: Path, **extra: str) -> AsyncIterator[Api]:
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    (data / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    env = {**TINY_ENV, "MJ_DATA_DIR": str(data), "MJ_ALLOW_PRIVATE_IMAGE_URLS": "true", **extra}
    settings = Settings.from_env(env)
    async with open_app(settings) as app:
        web_app = build_http_app(app.service, settings.http)
        await app.service.start()

        def keys(s: Any) -> tuple[str, str]:
            made = s.api_keys.create("alice"), s.api_keys.create("bob")
            s.users.upsert("api", "alice", "alice")
            s.users.upsert("api", "bob", "bob")
            return made

        alice, bob = await app.store.run(keys)
        async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
            instance = Api(app, client, alice)
            instance.bob = {"Authorization": f"Bearer {bob}"}  # type: ignore[attr-defined]
            yield instance


async def upscale(api: Api) -> str:
    status, grid = await api.post("/api/jobs", {"prompt": "a harbour", "width": 2, "height": 1})
    assert status == 202, grid
    await api.done(grid["data"]["jobId"])
    status, up = await api.post(
        f"/api/jobs/{grid['data']['jobId']}/actions", {"action": "upscale", "index": 2}
    )
    assert status == 202, up
    row = await api.done(up["data"]["jobId"])
    assert (row["action"], row["parent_image"]) == ("upscale", 2)
    return row["id"]


def kept_equal(api: Api, job_id: str) -> np.ndarray:
    row = api.app.store.run_sync(lambda s: s.jobs.get(job_id))
    canvas_path, mask_path = json.loads(row["action_json"])["files"]
    canvas, mask = api.array(canvas_path), api.array(mask_path)
    images = api.app.store.run_sync(lambda s: s.jobs.images(job_id))
    kept = mask < 128
    for image in images:
        assert np.array_equal(api.array(image.path)[kept], canvas[kept])
    return mask


async def test_actions_make_new_jobs_from_a_job(api: Api) -> None:
    up = await upscale(api)
    source = api.app.store.run_sync(lambda s: s.jobs.get(up))

    status, body = await api.post(f"/api/jobs/{up}/actions", {"action": "zoom_out", "factor": 2})
    assert status == 202 and body["data"]["status"] in ("queued", "running")
    zoom = await api.done(body["data"]["jobId"])
    assert (zoom["action"], zoom["parent_id"], zoom["status"]) == ("zoom_out", up, "done")
    assert (zoom["width"], zoom["height"]) == fit_budget(
        source["width"], source["height"], 4096, 8
    )
    kept_equal(api, zoom["id"])

    status, body = await api.post(f"/api/jobs/{up}/actions", {"action": "pan", "direction": "up"})
    pan = await api.done(body["data"]["jobId"])
    assert pan["height"] / pan["width"] > source["height"] / source["width"]

    mask = Image.new("L", (source["width"], source["height"]), 0)
    mask.paste(255, (0, 0, source["width"] // 2, source["height"]))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    order = {"action": "vary_region", "mask": base64.b64encode(buffer.getvalue()).decode()}
    status, body = await api.post(f"/api/jobs/{up}/actions", order)
    assert status == 202, body
    region = await api.done(body["data"]["jobId"])
    drawn = kept_equal(api, region["id"])
    assert drawn[:, : drawn.shape[1] // 2 - 1].min() == 255 and drawn[:, -1].max() == 0

    status, body = await api.post(f"/api/jobs/{up}/actions", {"action": "reroll"})
    assert status == 202 and (await api.done(body["data"]["jobId"]))["action"] == "upscale"


async def test_upscale_4x_action_with_the_gan_upscaler(gan_api: Api, api: Api) -> None:
    up = await upscale(gan_api)
    source = gan_api.app.store.run_sync(lambda s: s.jobs.images(up))[0]
    status, body = await gan_api.post(f"/api/jobs/{up}/actions", {"action": "upscale_4x"})
    assert status == 202, body
    four = await gan_api.done(body["data"]["jobId"])
    assert (four["action"], four["parent_id"], four["status"]) == ("upscale4x", up, "done")
    [image] = gan_api.app.store.run_sync(lambda s: s.jobs.images(four["id"]))
    assert (image.width, image.height) == (4 * source.width, 4 * source.height)
    # Without MJ_GAN_UPSCALER the action is refused, by name, before anything is queued.
    plain = await upscale(api)
    status, body = await api.post(f"/api/jobs/{plain}/actions", {"action": "upscale_4x"})
    assert status == 400 and "MJ_GAN_UPSCALER" in body["msg"], body


@pytest.mark.parametrize(
    ("order", "status", "message"),
    [
        ({"action": "rotate"}, 400, "action must be one of"),
        ({"action": "zoom_out", "factor": 3}, 400, "factor from 1"),
        ({"action": "zoom_out", "factor": True}, 400, "factor must be"),
        ({"action": "pan", "direction": "sideways"}, 400, "direction"),
        ({"action": "vary_region"}, 400, "needs a mask"),
        ({"action": "vary_region", "mask": "not base64!"}, 400, "PNG in base64"),
        ({"action": "vary_region", "mask": base64.b64encode(b"junk").decode()}, 400, "not a"),
        ({"action": "upscale", "index": 9}, 400, "index"),
        ({"action": "zoom_out", "factor": 2, "extra": 1}, 400, "Unknown field"),
        ({"action": "u" * 5000}, 400, "(5,002 characters)"),  # quoted as a short prefix
        ({"action": "pan", "direction": "d" * 5000}, 400, "pan needs a direction"),
        ({"action": "zoom_out", "x" * 5000: 1}, 400, "(5,000 characters)"),
    ],
    ids=[
        "unknown",
        "factor",
        "bool",
        "direction",
        "no-mask",
        "bad-base64",
        "bad-png",
        "index",
        "extra",
        "long-action",
        "long-direction",
        "long-field",
    ],
)
async def test_bad_actions_name_the_field(api: Api, order, status, message) -> None:
    _, grid = await api.post("/api/jobs", {"prompt": "a kite"})
    job_id = grid["data"]["jobId"]
    await api.done(job_id)
    got, body = await api.post(f"/api/jobs/{job_id}/actions", order)
    assert got == status and message in body["msg"] and len(body["msg"]) < 300, body


async def test_other_keys_jobs_do_not_exist(api: Api) -> None:
    _, grid = await api.post("/api/jobs", {"prompt": "a kite"})
    job_id = grid["data"]["jobId"]
    await api.done(job_id)
    got, body = await api.post(
        f"/api/jobs/{job_id}/actions", {"action": "upscale"}, headers=api.bob
    )
    assert got == 404, body


async def test_a_retried_action_is_the_first_ones_job_charged_once(api: Api) -> None:
    _, grid = await api.post("/api/jobs", {"prompt": "a kite"})
    await api.done(grid["data"]["jobId"])
    path, keyed = (
        f"/api/jobs/{grid['data']['jobId']}/actions",
        {**api.headers, "Idempotency-Key": "u2"},
    )
    first = await api.post(path, {"action": "upscale", "index": 2}, keyed)
    again = await api.post(path, {"action": "upscale", "index": 2}, keyed)
    other = await api.post(path, {"action": "upscale", "index": 3}, keyed)  # a key mixed up
    assert first[0] == again[0] == 202 and other[0] == 409, other
    assert first[1]["data"]["jobId"] == again[1]["data"]["jobId"]
    await api.done(first[1]["data"]["jobId"])
    rows = api.app.store.run_sync(lambda s: s.jobs.of_user("api", "alice"))
    assert [row["action"] for row in rows].count("upscale") == 1
    debits = api.app.store.run_sync(lambda s: [r for r in s.db["ledger"].rows if r["delta"] < 0])
    assert len(debits) == 2  # the grid and one upscale


async def test_blend_and_openapi(api: Api) -> None:
    pictures = web.Application()

    async def picture(request: web.Request) -> web.Response:
        buffer = io.BytesIO()
        Image.new("RGB", (90, 60), request.match_info["colour"]).save(buffer, format="PNG")
        return web.Response(body=buffer.getvalue(), content_type="image/png")

    pictures.router.add_get("/{colour}.png", picture)
    server = TestServer(pictures, host="127.0.0.1")
    await server.start_server()
    try:
        base = str(server.make_url("")).rstrip("/")
        urls = [f"{base}/red.png", f"{base}/teal.png", f"{base}/gold.png"]
        status, body = await api.post("/api/blend", {"images": urls, "dimensions": "portrait"})
        assert status == 202, body
        row = await api.done(body["data"]["jobId"])
        assert (row["action"], row["aspect"], row["status"]) == ("blend", "2:3", "done")
        status, body = await api.post("/api/blend", {"images": urls[:1]})
        assert status == 400 and "2 to 5" in body["msg"]
        status, body = await api.post("/api/blend", {"images": "x"})
        assert status == 400 and "list" in body["msg"]
        # A retried blend (the same Idempotency-Key and body) is the first one's job.
        keyed = {**api.headers, "Idempotency-Key": "blend-1"}
        first = await api.post("/api/blend", {"images": urls[1:]}, keyed)
        again = await api.post("/api/blend", {"images": urls[1:]}, keyed)
        assert first[0] == again[0] == 202
        assert first[1]["data"]["jobId"] == again[1]["data"]["jobId"]
        await api.done(first[1]["data"]["jobId"])
    finally:
        await server.close()
    document = await (await api.client.get("/openapi.json")).json()
    assert "post" in document["paths"]["/api/jobs/{job_id}/actions"]
    assert "post" in document["paths"]["/api/blend"]


# the region page --------------------------------------------------------------------------


async def region_link(api: Api, job_id: str, user: str = "api:alice") -> str:
    """The page's path with a signed token (the core's own signer)."""
    token = (await api.app.service.edits.links()).token(user, job_id)
    return f"/region/{job_id}?t={token}"


async def test_region_links_are_checked(api: Api) -> None:
    up = await upscale(api)
    good = await region_link(api, up)
    info = await api.client.get(good.replace(f"/region/{up}?", f"/region/{up}/info?"))
    page = await info.json()
    assert info.status == 200 and page["width"] > 0 and page["image"].endswith(".png")
    foreign = await region_link(api, up, "api:bob")
    for url, message in (
        (foreign.replace("?", "/info?"), "There is no job"),
        (good.replace("?t=", "?t=x").replace("?", "/info?", 1), "not valid"),
    ):
        response = await api.client.get(url)
        assert response.status in (403, 404) and message in (await response.json())["msg"]
    other = await region_link(api, "someotherjob")
    response = await api.client.get(other.replace("someotherjob?", f"{up}/info?"))
    assert response.status == 403 and "another image" in (await response.json())["msg"]


def chrome() -> Any:
    """A headless Chromium through Selenium, or a skip saying why there is none."""
    driver_path, browser = shutil.which("chromedriver"), shutil.which("chromium")
    if not driver_path or not browser:
        pytest.skip("no chromium/chromedriver (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=900,1000")
    return webdriver.Chrome(service=Service(driver_path), options=options)


# The first submit reaches the bot but its answer is lost (as on a dropped connection): the
# page says it could not reach the bot, and the user submits again.
LOSE_FIRST_ANSWER = """
const realFetch = window.fetch;
window.sentKeys = [];
window.fetch = async (url, options) => {
  if (!options || options.method !== "POST") return realFetch(url, options);
  window.sentKeys.push(options.headers["Idempotency-Key"]);
  const answer = await realFetch(url, options);
  if (window.sentKeys.length === 1) throw new TypeError("the connection dropped");
  return answer;
};
"""


def draw_and_submit(url: str, lose_first: bool = False) -> tuple[str, list[dict], list[str]]:
    """Open the page, drag a rectangle over the image's middle, submit (`lose_first`: twice,
    the first answer lost); the status text, the browser's log, the keys the page sent."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chrome()
    try:
        driver.get(url)
        wait = WebDriverWait(driver, 20)
        wait.until(lambda d: d.find_element(By.ID, "stage").is_displayed())
        canvas = driver.find_element(By.ID, "canvas")
        width, height = canvas.rect["width"], canvas.rect["height"]
        ActionChains(driver).move_to_element_with_offset(
            canvas, int(-width / 4), int(-height / 4)
        ).click_and_hold().move_by_offset(int(width / 2), int(height / 2)).release().perform()
        status = driver.find_element(By.ID, "status")
        if lose_first:
            driver.execute_script(LOSE_FIRST_ANSWER)
            driver.find_element(By.ID, "submit").click()
            wait.until(lambda d: status.get_attribute("class") == "error")
            wait.until(lambda d: d.find_element(By.ID, "submit").is_enabled())
        driver.find_element(By.ID, "submit").click()
        wait.until(lambda d: status.get_attribute("class"))
        keys = driver.execute_script("return window.sentKeys || []")
        return status.text, driver.get_log("browser"), keys
    finally:
        driver.quit()


async def test_region_page_in_a_real_browser(api: Api) -> None:
    up = await upscale(api)
    url = str(api.client.make_url(await region_link(api, up)))
    status, logs, _ = await asyncio.to_thread(draw_and_submit, url)
    started = re.search(r"Job (\w+) started", status)
    assert started, (status, logs)
    job_id = started.group(1)
    row = await api.done(job_id)
    assert (row["action"], row["parent_id"], row["status"]) == ("vary_region", up, "done")
    # The page sent its submit's random Idempotency-Key (a resent submit would reuse it).
    assert re.fullmatch(r"[0-9a-f]{32}", row["idempotency_key"] or ""), row["idempotency_key"]
    mask = kept_equal(api, job_id)
    h, w = mask.shape
    # The rectangle covered the middle half: painted there, kept at the edges.
    assert mask[h // 2, w // 2] == 255 and mask[2, 2] == 0 and mask[h - 3, w - 3] == 0
    assert not [entry for entry in logs if entry["level"] == "SEVERE"], logs

    # Submitted again after a lost answer: the same key, so the same job, charged once.
    before = api.app.store.run_sync(lambda s: s.db["jobs"].count)
    status, _, keys = await asyncio.to_thread(draw_and_submit, url, True)
    again = re.search(r"Job (\w+) started", status)
    assert again and len(keys) == 2 and keys[0] == keys[1] != row["idempotency_key"], keys
    assert api.app.store.run_sync(lambda s: s.db["jobs"].count) == before + 1
    ledger = api.app.store.run_sync(
        lambda s: [r["kind"] for r in s.db["ledger"].rows_where("job_id = ?", [again.group(1)])]
    )
    assert ledger == ["debit"]
    await api.done(again.group(1))

    expired = str(api.client.make_url(await region_link(api, up)))
    api.app.service.edits._links.ttl_s = -1  # type: ignore[union-attr]
    refused, _ = await asyncio.to_thread(draw_and_page_error, expired)
    assert "expired" in refused


def draw_and_page_error(url: str) -> tuple[str, None]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chrome()
    try:
        driver.get(url)
        WebDriverWait(driver, 20).until(
            lambda d: d.find_element(By.ID, "status").get_attribute("class") == "error"
        )
        return driver.find_element(By.ID, "status").text, None
    finally:
        driver.quit()
