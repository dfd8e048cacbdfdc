"""/describe: from a picture to four prompts, as a job like any other.

    the image: an attachment or a Telegram photo (bytes from the adapter), or an http(s) URL
    fetched through the same safe download as image prompts, or for a 🔄 the image stored with
    the describe it sits under -> checked and stored (`Drawing.user_image`)
    -> a describe job: persisted and charged in one transaction for its GPU work (`JobSpec.cost`,
    `DESCRIBE_COST`), queued fairly among the drawings, run on the same engine
    -> its result: `describe_results` (banned terms out, four prompts, glosses, stored)

The buttons under the answer: 1-4 draw suggestion N as the user's own /mj (`bot.core.presses`:
their /settings defaults, the filter, credits and fair share as typed), 🔄 describes again.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.accounts import Accounts
from bot.core.drawing import Drawing
from bot.core.errors import ImagePromptError
from bot.core.jobs import describe_row, describe_spec, new_job_id, new_seed
from bot.core.quota import job_credits
from bot.core.requests import Incoming, Responder
from bot.core.settings import CoreSettings
from bot.core.sizes import aspect_for_size
from engine.job import spec_from_dict
from i18n import Lang, t
from translate.detect import contains_chinese

USAGE = t(
    "Describe needs one image: attach it (a photo captioned /describe on Telegram, or /describe "
    "as a reply to a photo), or give its URL: /describe https://example.com/cat.png"
)


def image_url(text: str, attached: bool) -> str | None:
    """The URL to fetch from what followed /describe, or None when the attached image is the
    one; ImagePromptError unless there is exactly one image. Other words are allowed (a
    Chinese word asks for Chinese glosses)."""
    links = [word for word in text.split() if "://" in word]
    for link in links:
        if not link.lower().startswith(("http://", "https://")):
            shown = link if len(link) <= 60 else link[:57] + "..."
            raise ImagePromptError(
                t("Images are fetched over http(s) only, not {link}.", link=shown)
            )
    if len(links) + attached > 1:
        raise ImagePromptError(t("Describe one image at a time: one attachment or one URL."))
    if not links and not attached:
        raise ImagePromptError(USAGE)
    return links[0] if links else None


def wants_gloss(text: str, lang: Lang) -> bool:
    """Chinese glosses for a user who reads Chinese (the language chosen for the request:
    their /settings lang, the community's default, their app's locale) or wrote it
    (`/describe 中文`, a Chinese caption)."""
    return lang is not Lang.EN or contains_chinese(text)


class Describing:
    def __init__(self, settings: CoreSettings, accounts: Accounts, drawing: Drawing) -> None:
        self.settings = settings
        self.accounts = accounts
        self.drawing = drawing

    async def describe(
        self,
        incoming: Incoming,
        text: str,
        respond: Responder | None = None,
        *,
        gloss: bool | None = None,
        seed: int | None = None,
    ) -> str:
        """Queue a describe of the image `incoming` carries or `text` links to; its job id.
        `gloss`: whether to add Chinese glosses (None: for a Chinese reader or text); `seed`: for
        the samples that top up too few distinct beams (None: a new one)."""
        url = image_url(text, incoming.image is not None)
        user = await self.accounts.user(incoming.origin, incoming.user_name)  # blocked: refused
        # Fetched and checked before any credit is spent: a bad image costs nothing.
        stored = await self.drawing.user_image(incoming, url, "image")
        gloss = wants_gloss(text, incoming.origin.lang) if gloss is None else gloss
        size = (stored.width, stored.height)
        return await self._enqueue(
            incoming, user, stored.path, size, text, gloss, respond, seed=seed
        )

    async def again(
        self, incoming: Incoming, parent: dict[str, Any], respond: Responder | None
    ) -> str:
        """🔄 under a describe: the same stored image, described with new candidates."""
        image = spec_from_dict(json.loads(parent["spec_json"])).init_image
        assert image is not None
        user = await self.accounts.user(incoming.origin, incoming.user_name)
        gloss = bool(json.loads(parent["params_json"] or "{}").get("gloss"))
        text = parent["mj_text"].removeprefix("/describe").strip()
        size = (parent["width"], parent["height"])
        return await self._enqueue(
            incoming, user, image, size, text, gloss, respond, parent_id=parent["id"]
        )

    async def _enqueue(
        self,
        incoming: Incoming,
        user: dict[str, Any],
        image: str,
        size: tuple[int, int],
        text: str,
        gloss: bool,
        respond: Responder | None,
        *,
        parent_id: str | None = None,
        seed: int | None = None,
    ) -> str:
        model = self.settings.models.default  # whose profile prices it, as for a default /mj
        tier = self.accounts.tier(user)
        again = parent_id is not None
        spec = describe_spec(
            new_job_id(),
            incoming.origin,
            image,
            size,
            new_seed() if seed is None else seed,
            tier.weight,
            model=model,
            again=again,
        )
        credits = job_credits(spec, self.drawing.engine.profile(model))
        row = describe_row(
            spec,
            incoming.origin,
            user["id"],
            text,
            aspect_for_size(*size),
            gloss=gloss,
            parent_id=parent_id,
        )
        return await self.drawing.enqueue_row(incoming, spec, row, user, credits, respond)
