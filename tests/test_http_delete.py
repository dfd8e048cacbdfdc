"""🗑 over HTTP (DELETE /api/jobs/{id}) and the region page's Idempotency-Key, on the tiny
pipeline: files gone and the job kept as deleted, 410 from then on; a resent submit of the
page is one job and one debit."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from tests.test_http_edits import Api, api, region_link, upscale

pytestmark = pytest.mark.slow
__all__ = ["api"]  # the fixture, shared with the editing endpoints' tests


async def test_delete_removes_the_result_and_the_job_answers_gone(api: Api) -> None:
    status, body = await api.post("/api/jobs", {"prompt": "a lantern --seed 4"})
    assert status == 202, body
    job_id = body["data"]["jobId"]
    row = await api.done(job_id)
    done = await (await api.client.get(f"/api/jobs/{job_id}", headers=api.headers)).json()
    urls = [url for url in [*done["data"]["images"], done["data"]["grid"]] if url]
    stored = [api.app.settings.images_dir / row["grid_path"]]
    stored += [
        api.app.settings.images_dir / image.path
        for image in api.app.store.run_sync(lambda s: s.jobs.images(job_id))
    ]
    assert len(urls) == 5 and all(path.exists() for path in stored)

    other = await api.client.delete(f"/api/jobs/{job_id}", headers=api.bob)  # type: ignore[attr-defined]
    assert other.status == 404 and "There is no job" in (await other.json())["msg"]
    deleted = await api.client.delete(f"/api/jobs/{job_id}", headers=api.headers)
    answer = await deleted.json()
    assert deleted.status == 200, answer
    assert answer["data"]["jobId"] == job_id and answer["data"]["deletedAt"]
    assert not any(path.exists() for path in stored)
    ledger = api.app.store.run_sync(
        lambda s: [r["kind"] for r in s.db["ledger"].rows_where("job_id = ?", [job_id])]
    )
    assert ledger == ["debit"]  # the ledger keeps its rows: nothing refunded

    for method, path in (
        ("GET", f"/api/jobs/{job_id}"),
        ("GET", f"/api/jobs/{job_id}/events"),
        ("DELETE", f"/api/jobs/{job_id}"),  # again: said clearly, never a 500
        ("POST", f"/api/jobs/{job_id}/cancel"),
    ):
        response = await api.client.request(method, path, headers=api.headers)
        gone = await response.json()
        assert response.status == 410, (method, path, gone)
        assert gone == {"code": "1002", "msg": f"Job {job_id} was deleted."}
    status, refused = await api.post(f"/api/jobs/{job_id}/actions", {"action": "upscale"})
    assert status == 410 and "was deleted" in refused["msg"]
    for url in urls:  # the image URLs, public, say so too
        response = await api.client.get(url.split(str(api.client.make_url("")).rstrip("/"))[-1])
        assert response.status == 410
        assert (await response.json())["msg"] == "This image was deleted by its owner."
    link = await region_link(api, job_id)  # the region page's link, made before the 🗑
    info = await api.client.get(link.replace("?", "/info?"))
    submit = await api.client.post(link, json={"mask": mask_png(8, 8)})
    for response in (info, submit):
        assert response.status == 410 and "was deleted" in (await response.json())["msg"]
    chinese = await api.client.get(
        f"/api/jobs/{job_id}", headers={**api.headers, "Accept-Language": "zh-CN"}
    )
    assert chinese.status == 410 and "删除" in (await chinese.json())["msg"]


async def test_delete_of_an_unfinished_job_says_to_cancel_it(api: Api) -> None:
    def queued(s) -> None:  # a job the engine has not finished (it never will: no spec)
        user = s.users.upsert("api", "alice", "alice")
        s.jobs.insert({"id": "waiting1", "user_id": user, "platform": "api"})

    await api.app.store.run(queued)
    response = await api.client.delete("/api/jobs/waiting1", headers=api.headers)
    body = await response.json()
    assert response.status == 409 and body["msg"] == "Job waiting1 is queued: cancel it first."
    assert not api.app.store.run_sync(lambda s: s.jobs.get("waiting1"))["deleted_at"]
    missing = await api.client.delete("/api/jobs/nosuchjob", headers=api.headers)
    assert missing.status == 404


def mask_png(width: int, height: int) -> str:
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, (0, 0, width // 2, height))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


async def test_a_resent_region_submit_is_one_job_and_one_debit(api: Api) -> None:
    up = await upscale(api)
    row = api.app.store.run_sync(lambda s: s.jobs.get(up))
    link = await region_link(api, up)
    body = {"mask": mask_png(row["width"], row["height"])}
    key = {"Idempotency-Key": "3f2a9c0e5b7d4a1e"}

    def region_jobs() -> list[dict]:
        return [
            job
            for job in api.app.store.run_sync(lambda s: s.jobs.of_user("api", "alice", 50))
            if job["action"] == "vary_region"
        ]

    first = await api.client.post(link, json=body, headers=key)
    again = await api.client.post(link, json=body, headers=key)  # the browser's retry
    answers = [await first.json(), await again.json()]
    assert first.status == again.status == 202, answers
    assert answers[0]["jobId"] == answers[1]["jobId"]
    [made] = region_jobs()
    assert made["id"] == answers[0]["jobId"]
    done = await api.done(made["id"])
    assert done["status"] == "done"
    ledger = api.app.store.run_sync(
        lambda s: [r["kind"] for r in s.db["ledger"].rows_where("job_id = ?", [made["id"]])]
    )
    assert ledger == ["debit"]

    other = await api.client.post(link, json={**body, "prompt": "a boat"}, headers=key)
    assert other.status == 409 and "different request" in (await other.json())["msg"]
    fresh = await api.client.post(link, json=body, headers={"Idempotency-Key": "another-1"})
    assert fresh.status == 202 and (await fresh.json())["jobId"] != made["id"]
    bad = await api.client.post(link, json=body, headers={"Idempotency-Key": "bad key"})
    assert bad.status == 400 and "Idempotency-Key" in (await bad.json())["msg"]
    assert len(region_jobs()) == 2
    await api.done((await fresh.json())["jobId"])
