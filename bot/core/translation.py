"""Chinese /mj prompts into English before parsing: the core's side of `translate/`.

The whole /mj text is translated (only its Chinese: params, URLs and ::weights stay as typed)
and the English text is what gets parsed, so --no values and multi-prompt parts are English
too. The job keeps the prompt as written beside the English one the model received.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.errors import MjError, ParamError
from bot.core.params_tokens import normalize_input, split_image_urls, split_params, split_weighted
from engine.job import PromptPart
from i18n import t
from translate.detect import contains_chinese
from translate.translator import AsyncTranslator, Translation, Translator

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PromptTranslation:
    text: str  # the /mj text to parse: English where there was Chinese to translate
    written: tuple[PromptPart, ...]  # the prompt's parts as typed, when translated; else ()
    backend: str  # "argos", "dictionary" or "none"

    @property
    def written_prompt(self) -> str | None:
        """The prompt as typed (params removed) when it was translated, cut the way parse_mj
        cuts MjRequest.prompt; None when `text` is what was typed."""
        return ", ".join(part.text for part in self.written) if self.written else None


def written_parts(text: str) -> tuple[PromptPart, ...]:
    """The prompt's ::parts as the user wrote them (`text` normalised already)."""
    head, _ = split_params(text)
    _, body = split_image_urls(head)
    try:
        return tuple(PromptPart(part, weight) for part, weight in split_weighted(body))
    except ParamError:  # the English text has the same ::weights: its parse reports this
        return (PromptPart(body, 1.0),)


def translate_sync(translator: Translator, text: str) -> Translation:
    """For the CLI: the same normalising as the bot, on the calling thread."""
    if not contains_chinese(text):
        return Translation(text, text, "none")
    result = translator.translate(normalize_input(text))
    if result.backend == "none":
        return Translation(text, text, "none")
    return Translation(text, result.text, result.backend)


async def translate_prompt(translator: AsyncTranslator | None, text: str) -> PromptTranslation:
    """English /mj text for `text` (normalised already), or `text` itself when it has no
    Chinese (or no translator)."""
    if translator is None or not contains_chinese(text):
        return PromptTranslation(text, (), "none")
    try:
        result = await translator.translate(text)
    except Exception:
        log.exception("translating %r failed", text)
        raise MjError(
            t("Translating your prompt failed. Try again, or write the prompt in English.")
        ) from None
    if result.backend == "none":
        return PromptTranslation(text, (), "none")
    return PromptTranslation(result.text, written_parts(text), result.backend)
