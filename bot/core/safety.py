"""The image safety check in the core: which policy applies where, and what users are shown.

Every image a user receives is scored before anyone sees it: a job's images before they are
stored as its result (grid tiles, upscales, variations alike), and its progress previews
wherever the policy in force checks at all. Image prompts (URLs, attachments, photos) are
scored before they are used or anything is charged. The policy of a message is its
community's (`scope_for`, as for banned terms), else the owners' stored default ("global"),
else MJ_SAFETY_*. Each decision on a result or an image prompt is logged for moderators.

If the classifier fails, nothing unchecked goes out: the job fails and is refunded, the
preview is left out, the image prompt is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image

from bot.core.errors import ImagePromptError, MjError
from bot.core.moderation import GLOBAL, scope_for
from bot.core.requests import Incoming, Origin
from bot.core.settings import SafetySettings
from engine.grid import make_grid
from filters.image_safety import SafetyChecker
from filters.safety_images import strong_blur, withheld_tile
from filters.safety_policy import (
    Action,
    Mode,
    SafetyPolicy,
    Verdict,
    decide,
    effective_mode,
    needs_check,
    refuses_input,
)
from i18n import Listing, Message, sentences, t, tn
from storage.images import ImageStore
from storage.rows import ImageRow
from storage.safety import Decision, StoredPolicy
from storage.store import AsyncStore, Store

log = logging.getLogger(__name__)

REFUSED_IMAGE_PROMPT = t(
    "The image was refused by the image safety check, so it was not used and nothing was charged."
)


class SafetyUnavailable(MjError):
    """The classifier failed: whatever it was to check is not shown."""


def stored_policy(stored: StoredPolicy) -> SafetyPolicy:
    nsfw = Mode(stored.nsfw_mode) if stored.nsfw_mode else None
    return SafetyPolicy(Mode(stored.mode), stored.threshold, nsfw)


@dataclass(frozen=True, slots=True)
class ShownImage:
    """One image of a result as users may see it."""

    image_index: int
    path: str | None  # what users may see (the original, or its blurred copy); None: withheld
    seed: int | None
    score: float | None  # None: not checked (the policy there was off)
    action: Action
    released: bool  # a moderator let the original through

    @property
    def hidden(self) -> bool:
        """Users cannot see (or upscale, or vary) it."""
        return self.action in (Action.BLUR, Action.BLOCK) and not self.released

    @property
    def verdict(self) -> str:
        if self.score is None:
            return "unchecked"
        return "flagged" if self.action is not Action.SHOW else "safe"


def shown_images(images: Sequence[ImageRow], decisions: Sequence[Decision]) -> list[ShownImage]:
    """A result's images with what was decided about each (images without a decision were
    drawn where nothing was checked)."""
    by_index = {d.image_index: d for d in decisions}
    shown = []
    for image in images:
        decision = by_index.get(image.image_index)
        if decision is None:
            shown.append(
                ShownImage(image.image_index, image.path, image.seed, None, Action.SHOW, False)
            )
            continue
        action, released = Action(decision.action), decision.released_at is not None
        path: str | None = image.path
        if not released and action is Action.BLUR:
            path = decision.shown_path
        elif not released and action is Action.BLOCK:
            path = None
        shown.append(
            ShownImage(image.image_index, path, image.seed, decision.score, action, released)
        )
    return shown


def read_shown(s: Store, job_id: str) -> tuple[dict[str, Any] | None, list[ShownImage]]:
    """A job's row and its images as users may see them (on the store's thread)."""
    return s.jobs.get(job_id), shown_images(s.jobs.images(job_id), s.safety.job_decisions(job_id))


def result_note(shown: Sequence[ShownImage]) -> Message | None:
    """What a result's caption adds about images the safety check hid; None: nothing."""

    def numbers(action: Action) -> list[int]:
        return [s.image_index for s in shown if s.hidden and s.action is action]

    notes = []
    if withheld := numbers(Action.BLOCK):
        notes.append(
            tn(
                "Image {numbers} withheld by the image safety check (its credits are refunded).",
                "Images {numbers} withheld by the image safety check (their credits are "
                "refunded).",
                len(withheld),
                numbers=Listing.of(map(str, withheld), "plain"),
            )
        )
    if blurred := numbers(Action.BLUR):
        notes.append(
            tn(
                "Image {numbers} blurred by the image safety check.",
                "Images {numbers} blurred by the image safety check.",
                len(blurred),
                numbers=Listing.of(map(str, blurred), "plain"),
            )
        )
    if any(s.action is Action.SPOILER for s in shown):
        notes.append(t("Flagged by the image safety check: behind a spoiler."))
    return sentences(notes) if notes else None


def shown_tiles(images: Sequence[Image.Image], verdicts: Sequence[Verdict]) -> list[Image.Image]:
    """The pictures users see: blurred or withheld where the verdict says so."""
    tiles = []
    for image, verdict in zip(images, verdicts, strict=True):
        if verdict.action is Action.BLUR:
            tiles.append(strong_blur(image))
        elif verdict.action is Action.BLOCK:
            tiles.append(withheld_tile(image.size))
        else:
            tiles.append(image)
    return tiles


@dataclass(frozen=True, slots=True)
class JudgedResult:
    """The verdicts on one job's images, with what the log needs to say about them."""

    origin: Origin
    user_name: str
    job_id: str | None
    policy: SafetyPolicy
    verdicts: list[Verdict]

    @property
    def blocked_share(self) -> float:
        """The part of the job's credits to refund: its images users never get."""
        blocked = sum(v.action is Action.BLOCK for v in self.verdicts)
        return blocked / len(self.verdicts) if self.verdicts else 0.0

    def decision(self, index: int | None, verdict: Verdict, shown_path: str | None) -> Decision:
        assert verdict.score is not None
        origin = self.origin
        return Decision(
            kind="image",
            platform=origin.platform,
            user_id=origin.user_id,
            user_name=self.user_name,
            scope=scope_for(origin),
            chat_id=origin.chat_id,
            score=verdict.score,
            threshold=self.policy.threshold,
            mode=effective_mode(self.policy, nsfw_channel=origin.nsfw).value,
            action=verdict.action.value,
            job_id=self.job_id,
            image_index=index,
            shown_path=shown_path,
        )


class ImageSafety:
    def __init__(
        self,
        settings: SafetySettings,
        store: AsyncStore,
        images: ImageStore,
        checker: SafetyChecker | None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.images = images
        self.checker = checker  # None: no classifier, so every policy but off fails closed

    async def policy(self, origin: Origin) -> SafetyPolicy:
        """The policy in force where `origin` is: its community's, the owners', the default."""
        scope = scope_for(origin)
        stored = await self.store.run(
            lambda s: s.safety.get_policy(scope) or s.safety.get_policy(GLOBAL)
        )
        return self.settings.default if stored is None else stored_policy(stored)

    async def scores(self, images: Sequence[Image.Image]) -> list[float]:
        if self.checker is None:
            raise SafetyUnavailable(t("No image safety classifier is configured."))
        try:
            return await self.checker.score_all(images)
        except Exception:  # the model, or an owner's plug-in, failed: details in the log
            log.exception("the image safety check failed")
            raise SafetyUnavailable(t("The image safety check failed.")) from None

    async def judge(
        self, origin: Origin, user_name: str, job_id: str, images: Sequence[Image.Image]
    ) -> JudgedResult:
        """A verdict per image a user is about to receive (SafetyUnavailable if unscored)."""
        policy = await self.policy(origin)
        nsfw = origin.nsfw
        if needs_check(policy, nsfw_channel=nsfw):
            verdicts = [
                decide(policy, score, nsfw_channel=nsfw) for score in await self.scores(images)
            ]
        else:
            verdicts = [decide(policy, None, nsfw_channel=nsfw) for _ in images]
        return JudgedResult(origin, user_name, job_id, policy, verdicts)

    def save_result(
        self,
        result: JudgedResult,
        images: Sequence[Image.Image],
        seeds: Sequence[int | None],
    ) -> tuple[str, list[ImageRow], list[Decision]]:
        """Store a judged result (on a worker thread: PNG encoding takes a while): each image
        as drawn, the blurred copies, and the grid as users see it; with the log entries."""
        tiles = shown_tiles(images, result.verdicts)
        grid = self.images.save_png(make_grid(tiles))
        rows, decisions = [], []
        for index, (image, tile, seed, verdict) in enumerate(
            zip(images, tiles, seeds, result.verdicts, strict=True), start=1
        ):
            stored = self.images.save_png(image)
            rows.append(
                ImageRow(index, stored.path, stored.md5, stored.width, stored.height, seed)
            )
            if verdict.score is None:
                continue  # not checked: nothing was decided
            blurred = self.images.save_png(tile).path if verdict.action is Action.BLUR else None
            decisions.append(result.decision(index, verdict, blurred))
        return grid.path, rows, decisions

    async def preview(
        self, origin: Origin, policy: SafetyPolicy, image: Image.Image
    ) -> tuple[Image.Image | None, bool]:
        """A progress preview as it may be shown, and whether behind a spoiler; None: it may
        not be shown (withheld, or the check failed)."""
        if not needs_check(policy, nsfw_channel=origin.nsfw):
            return image, False
        try:
            [score] = await self.scores([image])
        except SafetyUnavailable:
            return None, False
        action = decide(policy, score, nsfw_channel=origin.nsfw).action
        if action is Action.BLOCK:
            return None, False
        return (strong_blur(image) if action is Action.BLUR else image), action is Action.SPOILER

    async def check_image_prompt(self, incoming: Incoming, image: Image.Image) -> None:
        """Refuse a flagged image a user gave (an image prompt, an image to describe) with
        ImagePromptError, before it is used or charged."""
        origin = incoming.origin
        policy = await self.policy(origin)
        if not needs_check(policy, nsfw_channel=origin.nsfw):
            return
        try:
            [score] = await self.scores([image])
        except SafetyUnavailable:
            raise ImagePromptError(
                t(
                    "Images you send cannot be checked right now, so they are not accepted; "
                    "try again later (or draw without one)."
                )
            ) from None
        refused = refuses_input(policy, score, nsfw_channel=origin.nsfw)
        action = Action.BLOCK if refused else Action.SHOW
        entry = JudgedResult(origin, incoming.user_name, None, policy, [])
        decision = replace(
            entry.decision(None, Verdict(score, refused, action), None), kind="image_prompt"
        )
        await self.store.run(lambda s: s.safety.record([decision]))
        if refused:
            raise ImagePromptError(REFUSED_IMAGE_PROMPT)

    async def shown(self, job_id: str) -> list[ShownImage]:
        return (await self.store.run(lambda s: read_shown(s, job_id)))[1]

    def save_regrid(self, images: Sequence[ShownImage], originals: Sequence[ImageRow]) -> str:
        """After a release: the grid again, from what users may now see. Its stored path."""
        tiles = []
        for shown, original in zip(images, originals, strict=True):
            if shown.path is None:
                tiles.append(withheld_tile((original.width, original.height)))
            else:
                with Image.open(self.images.absolute(shown.path)) as opened:
                    tiles.append(opened.convert("RGB"))
        return self.images.save_png(make_grid(tiles)).path
