"""The image safety check through the core (console front end, tiny model): every policy on
results and previews, refunds, the log, release by a moderator, refused image prompts. The
unsafe path uses stand-in scorers (tests/fakes/safety_scorer.py); the real model runs on the
tiny model's noise in the default setup."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from PIL import Image

from bot.app import open_app
from bot.config import Settings
from bot.core.requests import Incoming, Origin, Reply, ReplyKind, SinkResponder
from filters.safety_images import withheld_tile
from filters.safety_policy import Mode, SafetyPolicy
from tests.fakes.safety_scorer import magenta_image
from tests.helpers import CaptureSink, job, load_image, press, result_of, run_line, tweak

pytestmark = pytest.mark.slow

FLAGGING = "tests.fakes.safety_scorer:FlaggingScorer"
MAGENTA = "tests.fakes.safety_scorer:MagentaScorer"
BROKEN = "tests.fakes.safety_scorer:BrokenScorer"
DRAW = "a red fox --seed 7"


def with_safety(settings: Settings, **changes: Any) -> Settings:
    return tweak(settings, "safety", **changes)


def ledger(app, job_id: str) -> list[tuple[str, float]]:
    rows = app.store.run_sync(
        lambda s: list(s.db.query("select kind, delta from ledger where job_id = ?", [job_id]))
    )
    return [(row["kind"], row["delta"]) for row in rows]


def grid_pixels(app, row: dict) -> np.ndarray:
    return np.asarray(load_image(app.settings.images_dir / row["grid_path"]), dtype=int)


def labels(reply: Reply) -> list[str]:
    return [button.label for button in reply.buttons]


async def say(app, text: str, sink: CaptureSink | None = None) -> str:
    """A console command (the console is the owner); the text it answered."""
    sink = sink or CaptureSink()
    origin = Origin("console", "local", "alice")
    await app.service.handle(Incoming(origin, "Alice", text=text), SinkResponder(sink, origin))
    return sink.replies[-1].text


async def test_out_of_the_box_the_real_model_checks_every_image(settings: Settings) -> None:
    async with open_app(with_safety(settings, scorer="opennsfw")) as app:
        _, sink = await run_line(app, DRAW)
        result = result_of(sink)
        shown = await app.service.queries.shown_images(result.job_id)
        log = app.store.run_sync(lambda s: s.safety.log(flagged_only=False))
    assert [image.verdict for image in shown] == ["safe"] * 4  # the tiny model draws noise
    assert all(image.score is not None and image.score < 0.8 for image in shown)
    assert [(d.job_id, d.action, d.mode) for d in log] == [(result.job_id, "show", "block")] * 4
    assert not result.spoiler and "safety" not in result.text
    assert labels(result)[:4] == ["U1", "U2", "U3", "U4"]


async def test_block_withholds_refunds_and_a_moderator_releases(settings: Settings) -> None:
    async with open_app(with_safety(settings, scorer=FLAGGING)) as app:
        adapter, sink = await run_line(app, DRAW)
        result = result_of(sink)
        job_id = result.job_id
        row = job(app, job_id)
        originals = app.store.run_sync(lambda s: s.jobs.images(job_id))
        # 1. Nothing of the images went out: no preview, a grid of withheld tiles, no U/V.
        assert all(r.image_png is None for r in sink.replies if r.kind is ReplyKind.PROGRESS)
        tile = np.asarray(withheld_tile((originals[0].width, originals[0].height)), dtype=int)
        assert np.array_equal(grid_pixels(app, row)[: tile.shape[0], : tile.shape[1]], tile)
        assert "Images 1, 2, 3, 4 withheld by the image safety check" in result.text
        assert labels(result) == ["🔄", "🗑"]  # a withheld result can still be deleted
        # 2. The user did not get what they paid for: all of it back.
        assert ledger(app, job_id) == [("debit", -1.0), ("refund", 1.0)]
        # 3. A typed U2 for a withheld image is refused.
        await press(adapter, "U2", job_id)
        assert "hidden by the image safety check" in adapter.sink.replies[-1].text
        # 4. The moderator reads the log and releases image 2: the grid comes again.
        text = await say(app, "/safety-log")
        entry = app.store.run_sync(lambda s: s.safety.log(limit=4))[-1]
        assert f"#{entry.id}" in text and f"job {job_id} image 1: block" in text
        watcher = CaptureSink()
        app.service.register_sink("console", watcher)
        second = next(
            d for d in app.store.run_sync(lambda s: s.safety.log()) if d.image_index == 2
        )
        answer = await say(app, f"/safety-release {second.id}")
        assert f"Released image 2 of job {job_id}" in answer
        again = result_of(watcher)
        assert "Images 1, 3, 4 withheld" in again.text
        assert labels(again) == ["U2", "V2", "🔄", "🗑"]
        regrid = grid_pixels(app, job(app, job_id))
        drawn = np.asarray(load_image(app.settings.images_dir / originals[1].path), dtype=int)
        height, width = drawn.shape[:2]
        assert np.array_equal(regrid[:height, width:], drawn)
        assert "released by console:alice" in await say(app, "/safety-log")
        assert "already" in await say(app, f"/safety-release {second.id}")


async def test_blur_shows_a_blurred_grid_and_keeps_the_originals(settings: Settings) -> None:
    async with open_app(with_safety(settings, scorer=FLAGGING, mode="blur")) as app:
        _, sink = await run_line(app, DRAW)
        result = result_of(sink)
        shown = await app.service.queries.shown_images(result.job_id)
        originals = app.store.run_sync(lambda s: s.jobs.images(result.job_id))
        grid = grid_pixels(app, job(app, result.job_id))
        previews = [r.image_png for r in sink.replies if r.kind is ReplyKind.PROGRESS]
        assert ledger(app, result.job_id) == [("debit", -1.0)]  # blurred images are delivered
    assert "blurred by the image safety check" in result.text
    assert [s.action.value for s in shown] == ["blur"] * 4
    assert all(s.path and s.path != o.path for s, o in zip(shown, originals, strict=True))
    # Each 64 px tile is one soft patch: no neighbouring pixels differ sharply.
    assert np.abs(np.diff(grid[:64, :64], axis=0)).max() <= 16
    assert any(previews)  # previews go out, blurred too


async def test_spoiler_marks_results_and_previews(settings: Settings) -> None:
    async with open_app(with_safety(settings, scorer=FLAGGING, mode="spoiler")) as app:
        _, sink = await run_line(app, DRAW)
    result = result_of(sink)
    assert result.spoiler and "behind a spoiler" in result.text
    assert "[spoiler: flagged by the image safety check]" in sink.console.out.getvalue()
    previews = [r for r in sink.replies if r.kind is ReplyKind.PROGRESS and r.image_png]
    assert previews and all(r.spoiler for r in previews)
    assert labels(result)[:4] == ["U1", "U2", "U3", "U4"]  # a spoiler hides, it does not withhold


async def test_off_checks_nothing(settings: Settings) -> None:
    async with open_app(with_safety(settings, scorer=FLAGGING, mode="off")) as app:
        _, sink = await run_line(app, DRAW)
        shown = await app.service.queries.shown_images(result_of(sink).job_id)
        logged = app.store.run_sync(lambda s: s.safety.log(flagged_only=False))
    assert [s.verdict for s in shown] == ["unchecked"] * 4 and logged == []


async def test_a_broken_classifier_fails_the_job_closed_and_refunds(settings: Settings) -> None:
    async with open_app(with_safety(settings, scorer=BROKEN, mode="off")) as app:
        await say(app, "/safety --global block")  # started with the check off, turned on later
        _, sink = await run_line(app, DRAW)
        errors = [r for r in sink.replies if r.kind is ReplyKind.ERROR]
        job_id = errors[-1].job_id
        assert "image safety check failed" in errors[-1].text
        assert job(app, job_id)["status"] == "failed"
        assert ledger(app, job_id) == [("debit", -1.0), ("refund", 1.0)]
        assert app.store.run_sync(lambda s: s.jobs.images(job_id)) == []


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_flagged_image_prompt_is_refused_before_anything_is_charged(
    settings: Settings,
) -> None:
    async with open_app(with_safety(settings, scorer=MAGENTA)) as app:
        sink = CaptureSink()
        origin = Origin("telegram", "-100", "5", "1", "-100")
        app.service.register_sink("telegram", sink)
        respond = SinkResponder(sink, origin)
        photo = Incoming(origin, "Bob", text="/mj a cat", image=png(magenta_image((96, 96))))
        await app.service.handle(photo, respond)
        refusal = sink.replies[-1]
        jobs = app.store.run_sync(lambda s: s.jobs.of_user("telegram", "5"))
        logged = app.store.run_sync(lambda s: s.safety.log("telegram:-100"))
        # The same user with a harmless photo is drawn.
        safe = replace(photo, image=png(Image.new("RGB", (96, 96), (0, 90, 200))))
        await app.service.handle(safe, respond)
        drawn = app.store.run_sync(lambda s: s.jobs.of_user("telegram", "5"))
    assert refusal.kind is ReplyKind.ERROR and "refused by the image safety check" in refusal.text
    assert jobs == []  # no job, so no debit either
    assert [(d.kind, d.action, d.score) for d in logged] == [("image_prompt", "block", 1.0)]
    assert len(drawn) == 1


async def test_moderators_set_the_policy_of_their_community(settings: Settings) -> None:
    async with open_app(settings) as app:
        sink = CaptureSink()
        group = Origin("telegram", "-7", "5", "1", "-7")

        async def as_member(text: str, moderator: bool) -> Reply:
            incoming = Incoming(group, "Bob", text=text, is_moderator=moderator)
            await app.service.handle(incoming, SinkResponder(sink, group))
            return sink.replies[-1]

        refused = await as_member("/safety off", moderator=False)
        shown = await as_member("/safety", moderator=True)
        set_ = await as_member("/safety blur 0.6 --nsfw spoiler", moderator=True)
        policy = await app.service.safety.policy(group)
        elsewhere = await app.service.safety.policy(Origin("telegram", "-8", "5"))
        not_global = await as_member("/safety --global off", moderator=True)
        bad = await as_member("/safety spoiler --nsfw block", moderator=True)
        owner_default = await say(app, "/safety --global spoiler 0.9")
        after = await app.service.safety.policy(Origin("telegram", "-8", "5"))
        reset = await as_member("/safety default", moderator=True)
        back = await app.service.safety.policy(group)
    assert "for moderators" in refused.text or "moderators can" in refused.text
    assert "block at 0.8" in shown.text and "bot's default" in shown.text
    assert "blur at 0.6; in channels marked NSFW: spoiler" in set_.text
    assert policy == SafetyPolicy(Mode.BLUR, 0.6, Mode.SPOILER)
    assert elsewhere.mode.value == "block"
    assert "Only the bot's owner" in not_global.text
    assert "must not be stricter" in bad.text
    assert "spoiler at 0.9" in owner_default and after.mode.value == "spoiler"
    assert "owners' default" in reset.text and back.mode.value == "spoiler"


async def test_an_nsfw_channel_gets_the_laxer_mode_its_server_allows(settings: Settings) -> None:
    async with open_app(with_safety(settings, scorer=FLAGGING)) as app:
        channel = Origin("discord", "30", "5", scope_id="20", nsfw=True)
        await app.store.run(
            lambda s: s.safety.set_policy("discord:20", "block", 0.8, "spoiler", "discord:1")
        )
        sink = CaptureSink()
        app.service.register_sink("discord", sink)
        before = set(app.service.pending_job_ids())
        await app.service.handle(
            Incoming(channel, "Bob", text=f"/mj {DRAW}"), SinkResponder(sink, channel)
        )
        [job_id] = set(app.service.pending_job_ids()) - before
        row = await app.service.wait(job_id)
        result = result_of(sink)
        logged = app.store.run_sync(lambda s: s.safety.job_decisions(job_id))
    assert row["nsfw_chat"] == 1  # kept with the job, for a restart
    assert result.spoiler and [d.mode for d in logged] == ["spoiler"] * 4
