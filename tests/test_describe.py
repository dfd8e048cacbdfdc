"""/describe through the console and the core, on the real engine with the tiny captioner and
the tiny pipeline: the answer, its price, its buttons, the filter, restarts and glosses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.app import open_app
from bot.core.quota import job_credits
from bot.core.requests import ReplyKind
from engine.job import DESCRIBE_COST, spec_from_dict
from engine.profiles import profile_for_name
from tests.helpers import (
    CaptureSink,
    image_server,
    last_result,
    picture,
    png_bytes,
    press,
    run_line,
    tweak,
)

pytestmark = pytest.mark.slow

KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣")


def prompts_of(reply) -> list[str]:
    """The numbered prompts of a describe's answer, as shown."""
    lines = reply.text.splitlines()
    return [line.split(" ", 1)[1] for line in lines if line[:3] in KEYCAPS]


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo one.png"  # a space in the name: the console reads whole paths
    picture((300, 200)).save(path)
    return path


async def test_describe_answers_four_prompts_ending_in_the_aspect(describe_app, photo) -> None:
    app = describe_app
    adapter, sink = await run_line(app, f"describe {photo}")
    answer = last_result(sink)
    prompts = prompts_of(answer)
    assert len(prompts) == 4 and len(set(prompts)) == 4
    assert all(p.endswith(" --ar 3:2") for p in prompts)
    assert [b.label for b in answer.buttons] == ["1", "2", "3", "4", "🔄"]
    assert [b.action for b in answer.buttons] == ["P1", "P2", "P3", "P4", "reroll"]
    assert answer.image_path is not None and answer.image_path.is_file()  # the image described
    row = app.store.run_sync(lambda s: s.jobs.get(answer.job_id))
    assert (row["action"], row["status"], row["aspect"]) == ("describe", "done", "3:2")
    assert row["delivered_at"] is not None
    stored = app.store.run_sync(lambda s: s.suggestions.of_job(answer.job_id))
    assert [s.prompt for s in stored] == prompts and [s.index for s in stored] == [1, 2, 3, 4]
    # A job in the fair queue with its own cost, charged in the quota like any job.
    spec = spec_from_dict(json.loads(row["spec_json"]))
    assert spec.describe == "beams" and spec.cost == DESCRIBE_COST
    debit = app.store.run_sync(lambda s: s.db["ledger"].get(1))
    assert debit["job_id"] == answer.job_id
    assert -debit["delta"] == job_credits(spec, profile_for_name("tiny")) > 0
    await adapter.submit_line(f"/show {answer.job_id}")  # the answer again, buttons and all
    shown = last_result(sink)
    assert (prompts_of(shown), shown.buttons) == (prompts, answer.buttons)


async def test_buttons_draw_a_prompt_and_describe_again(describe_app, photo) -> None:
    app = describe_app
    adapter, sink = await run_line(app, f"describe {photo}")
    answer = last_result(sink)
    first = prompts_of(answer)
    await adapter.submit_line("2")  # the console's "press 2"
    drawn = last_result(sink)
    row = app.store.run_sync(lambda s: s.jobs.get(drawn.job_id))
    assert (row["action"], row["parent_id"], row["aspect"]) == ("suggestion", answer.job_id, "3:2")
    assert row["mj_text"] == first[1] and row["status"] == "done"
    assert row["prompt"] == first[1].removesuffix(" --ar 3:2")
    assert [b.label for b in drawn.buttons][:4] == ["U1", "U2", "U3", "U4"]
    await press(adapter, "reroll", answer.job_id)
    again = last_result(sink)
    assert again.job_id not in (answer.job_id, drawn.job_id)
    again_row = app.store.run_sync(lambda s: s.jobs.get(again.job_id))
    assert (again_row["action"], again_row["parent_id"]) == ("describe", answer.job_id)
    assert spec_from_dict(json.loads(again_row["spec_json"])).describe == "samples"
    assert prompts_of(again) != first and all(p.endswith("--ar 3:2") for p in prompts_of(again))


async def test_a_banned_word_never_appears_in_a_suggestion(describe_app, photo) -> None:
    app = describe_app
    adapter, sink = await run_line(app, f"describe {photo}")
    words = {w.strip(",") for p in prompts_of(last_result(sink)) for w in p.split()[:3]}
    banned = sorted(w for w in words if len(w) > 3 and w.isalpha())[:2]
    await adapter.submit_line(f"/ban-term {', '.join(banned)}")
    await press(adapter, "reroll", last_result(sink).job_id)
    await adapter.submit_line(f"describe {photo}")
    for answer in [r for r in sink.replies if r.kind is ReplyKind.RESULT][-2:]:
        for prompt in prompts_of(answer):
            assert not set(prompt.replace(",", " ").split()) & set(banned), prompt
        assert len(prompts_of(answer)) >= 1


REFUSALS = [
    ("describe", "Describe needs one image"),
    ("describe /no/such/file.png", "Cannot read /no/such/file.png"),
    ("describe ftp://example.com/a.png", "over http(s) only"),
    ("/describe https://a.example/x.png https://b.example/y.png", "one image at a time"),
    ("describe {notes}", "not a valid PNG"),
]


async def test_refusals_name_the_fix_and_cost_nothing(describe_app, tmp_path: Path) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("not an image")
    for line, error in REFUSALS:  # one app for all: each is refused before anything is made
        _, sink = await run_line(describe_app, line.format(notes=notes))
        [reply] = sink.replies
        assert reply.kind is ReplyKind.ERROR and error in reply.text, (line, reply.text)
    counts = describe_app.store.run_sync(lambda s: (s.db["jobs"].count, s.db["ledger"].count))
    assert counts == (0, 0)


@pytest.fixture
async def image_url(no_network) -> AsyncIterator[str]:
    async with image_server({"/cat.png": png_bytes(picture((160, 90)))}) as base:
        yield f"{base}/cat.png"


async def test_a_url_goes_through_the_safe_download(describe_settings, image_url) -> None:
    async with open_app(describe_settings) as app:  # 127.0.0.1 is refused as private
        _, sink = await run_line(app, f"describe {image_url}")
        assert "private or local address" in sink.replies[-1].text
    loopback = tweak(describe_settings, "image_prompts", allow_private_urls=True)
    async with open_app(loopback) as app:
        _, sink = await run_line(app, f"describe {image_url}")
        assert all(p.endswith("--ar 16:9") for p in prompts_of(last_result(sink)))
        _, sink = await run_line(app, f"describe {image_url.replace('cat.png', 'page')}")
        assert "is not an image" in sink.replies[-1].text


async def test_a_describe_survives_a_restart(describe_settings, photo) -> None:
    async with open_app(describe_settings) as app:
        app.engine.stop()  # accepted and stored, never run
        adapter = ConsoleAdapter(app.service, "alice", "Alice", sink=CaptureSink())
        await adapter.submit_line(f"describe {photo}", wait=False)
        [job_id] = app.store.run_sync(lambda s: [row["id"] for row in s.db["jobs"].rows])
    async with open_app(describe_settings) as app:
        sink = CaptureSink()
        app.service.register_sink("console", sink)
        await app.service.start()
        row = await app.service.wait(job_id)
        assert row["status"] == "done" and row["delivered_at"] is not None
        answer = last_result(sink)
        assert answer.job_id == job_id and len(prompts_of(answer)) == 4
    async with open_app(describe_settings) as app:  # its buttons still work after a restart
        adapter, sink = await run_line(app, "/help")
        await press(adapter, "P4", job_id)
        drawn = last_result(sink)
        row = app.store.run_sync(lambda s: s.jobs.get(drawn.job_id))
        assert row["parent_id"] == job_id and row["status"] == "done"


async def test_chinese_users_get_glosses(describe_settings, photo, tiny_gloss_argosmodel) -> None:
    from translate.packages import install_package

    install_package(tiny_gloss_argosmodel, describe_settings.translation_packages_dir)
    async with open_app(describe_settings) as app:
        _, sink = await run_line(app, f"describe {photo} 中文")
        answer = last_result(sink)
        lines = answer.text.splitlines()
        numbered = [i for i, line in enumerate(lines) if line[:3] in KEYCAPS]
        assert len(numbered) == 4
        assert all(lines[i + 1].startswith("    ") for i in numbered)  # a gloss under each
        stored = app.store.run_sync(lambda s: s.suggestions.of_job(answer.job_id))
        assert all(s.gloss for s in stored) and all(s.prompt.isascii() for s in stored)
        _, sink = await run_line(app, f"describe {photo}")  # English: no gloss
        stored = app.store.run_sync(lambda s: s.suggestions.of_job(last_result(sink).job_id))
        assert not any(s.gloss for s in stored)
        await run_line(app, "/settings lang zh-Hant")  # reads Chinese, writes no Chinese
        _, sink = await run_line(app, f"describe {photo}")
        stored = app.store.run_sync(lambda s: s.suggestions.of_job(last_result(sink).job_id))
        assert all(s.gloss for s in stored)


async def test_the_image_safety_check_refuses_a_flagged_image(describe_app, tmp_path) -> None:
    from tests.fakes.safety_scorer import magenta_image  # what the test scorer flags

    flagged = tmp_path / "flagged.png"
    magenta_image((120, 80)).save(flagged)
    _, sink = await run_line(describe_app, f"describe {flagged}")
    [refusal] = sink.replies
    assert refusal.kind is ReplyKind.ERROR and "refused by the image safety check" in refusal.text
    counts = describe_app.store.run_sync(lambda s: (s.db["jobs"].count, s.db["ledger"].count))
    assert counts == (0, 0)  # nothing made, nothing charged
    logged = describe_app.store.run_sync(lambda s: s.safety.log("console:local"))
    assert [(entry.kind, entry.action) for entry in logged] == [("image_prompt", "block")]
