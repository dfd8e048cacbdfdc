"""A describe's result: the captioner's candidates become the four suggestions users see.

    candidates (distinct prompts, best first; `engine.captioner`)
    -> banned terms kept out: `choose_suggestions`, against the lists of the chat's community
    -> the first four, each ending in the image's --ar
    -> a Chinese gloss each, when the request asked for one and an en->zh package is installed
    -> stored with the job's done status and the final reply it owes in one transaction
       (`bot.core.endings`), before any answer

A describe whose every candidate is banned fails, refunded. The answer (`reply`) shows the
image with its numbered prompts and the buttons 1-4 and 🔄; built from storage alone, it is the
same after a restart and for /show.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from bot.core import render
from bot.core.buttons import describe_buttons
from bot.core.moderation import Moderation, scope_for
from bot.core.requests import Origin, Reply, ReplyKind
from engine.captioner import SUGGESTIONS
from engine.job import spec_from_dict
from engine.prompt_form import prompt_key
from i18n import t
from storage.images import ImageStore
from storage.store import AsyncStore
from storage.suggestions import Suggestion
from translate.gloss import Glosser

log = logging.getLogger(__name__)

ALL_BANNED = t(
    "Every description of this image holds a banned term, so there are no prompts to suggest."
)


def choose_suggestions(
    candidates: Sequence[str], blocked: Callable[[str], bool], count: int = SUGGESTIONS
) -> list[str]:
    """Up to `count` distinct prompts in which no banned term appears, best first.

    Candidates without one come first, in order. Only if they are too few, the others are
    scrubbed: in each comma-separated part that holds a banned term, the words that are banned
    alone go; a part still holding one (a term of several words) goes whole. A candidate whose
    subject (its first part) goes, or that still holds a banned term, is dropped.
    """
    chosen = [c for c in candidates if not blocked(c)]
    for candidate in candidates:
        if len(chosen) >= count:
            break
        if not blocked(candidate):
            continue
        parts = []
        for part in candidate.split(", "):
            if blocked(part):
                part = " ".join(word for word in part.split() if not blocked(word))
                part = "" if blocked(part) else part
            parts.append(part)
        scrubbed = ", ".join(part for part in parts if part)
        if parts[0] and not blocked(scrubbed):
            chosen.append(scrubbed)
    distinct: list[str] = []
    for prompt in chosen:
        if prompt_key(prompt) not in {prompt_key(p) for p in distinct}:
            distinct.append(prompt)
    return distinct[:count]


class DescribeResults:
    def __init__(
        self,
        store: AsyncStore,
        images: ImageStore,
        moderation: Moderation,
        glosser: Glosser | None,
    ) -> None:
        self.store = store
        self.images = images
        self.moderation = moderation
        self.glosser = glosser  # None: no glosses

    async def suggestions(
        self, origin: Origin, job_id: str, candidates: Sequence[str]
    ) -> list[Suggestion] | None:
        """A finished describe's suggestions; None if every candidate is banned."""
        row = await self.store.run(lambda s: s.jobs.get(job_id))
        assert row is not None
        matcher = await self.moderation.matcher(scope_for(origin))
        chosen = choose_suggestions(candidates, lambda text: matcher.check(text).blocked)
        if not chosen:
            return None
        glosses = await self.glosses(chosen) if _params(row).get("gloss") else None
        return [
            Suggestion(index, f"{prompt} --ar {row['aspect']}", glosses and glosses[index - 1])
            for index, prompt in enumerate(chosen, start=1)
        ]

    async def glosses(self, prompts: list[str]) -> list[str] | None:
        """Chinese glosses of `prompts`, or None without an en->zh package (or if it fails:
        a gloss is a help, never a reason to lose the answer)."""
        if self.glosser is None or not self.glosser.available:
            return None
        try:
            return await asyncio.to_thread(self.glosser.gloss, prompts)
        except Exception:
            log.exception("glossing a describe's prompts failed")
            return None

    async def reply(self, row: dict[str, Any], elapsed: float | None) -> Reply:
        """A done describe's answer: its image, the numbered prompts, buttons 1-4 and 🔄."""
        suggestions = await self.store.run(lambda s: s.suggestions.of_job(row["id"]))
        image = spec_from_dict(json.loads(row["spec_json"])).init_image
        return Reply(
            ReplyKind.RESULT,
            render.describe_text(row, suggestions, row["display_name"], elapsed),
            row["id"],
            image_path=self.images.absolute(image) if image else None,
            buttons=describe_buttons(row["id"], len(suggestions)),
            percent=100,
        )


def _params(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row.get("params_json") or "{}")
