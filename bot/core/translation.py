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
from translate.detect import contains_chinese
from translate.translator import AsyncTranslator, Translation, Translator

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PromptTranslation:
    text: str  # the /mj text to parse: English when there was Chinese to translate
    prompt: str | None  # the prompt as written (params removed) when translated, else None
    backend: str  # "argos", "dictionary" or "none"


def written_prompt(text: str) -> str:
    """The prompt as the user wrote it, cut out the way parse_mj cuts MjRequest.prompt."""
    head, _ = split_params(normalize_input(text))
    _, body = split_image_urls(head)
    try:
        return ", ".join(part for part, _ in split_weighted(body))
    except ParamError:  # the English text has the same ::weights: its parse reports this
        return body


def translate_sync(translator: Translator, text: str) -> Translation:
    """For the CLI: the same normalising as the bot, on the calling thread."""
    if not contains_chinese(text):
        return Translation(text, text, "none")
    result = translator.translate(normalize_input(text))
    if result.backend == "none":
        return Translation(text, text, "none")
    return Translation(text, result.text, result.backend)


async def translate_prompt(translator: AsyncTranslator | None, text: str) -> PromptTranslation:
    """English /mj text for `text`, or `text` itself when it has no Chinese (or no translator)."""
    if translator is None or not contains_chinese(text):
        return PromptTranslation(text, None, "none")
    try:
        result = await translator.translate(normalize_input(text))
    except Exception:
        log.exception("translating %r failed", text)
        raise MjError(
            "Translating your prompt failed. Try again, or write the prompt in English."
        ) from None
    if result.backend == "none":
        return PromptTranslation(text, None, "none")
    return PromptTranslation(result.text, written_prompt(text), result.backend)
