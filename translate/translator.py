"""The translation facade: /mj text in, English /mj text out, whichever backend is installed.

    Translator.translate(text)
      1. nothing Chinese outside params and URLs -> the text as it is, backend "none"
      2. split_protected -> Chinese spans, converted to simplified; traditional text goes
         through OpenCC's Taiwan and Hong Kong phrase tables (軟體 -> 软件)
      3. each span from memory, else from the SQLite cache, else from the backend; a span
         the LLM could not translate (time limit, failed checks) from the dictionary
      4. reassemble in order around the protected pieces

MJ_TRANSLATE=auto picks the best backend installed: a local LLM (MJ_TRANSLATE_LLM, or one
pulled into MJ_TRANSLATION_DIR/llm), else an argos zh->en package, else the built-in
dictionary. Backends load lazily, on the first Chinese prompt: jieba, CC-CEDICT or a model take
seconds that a bot that never sees Chinese should not pay. `AsyncTranslator` keeps one
Translator on one thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lexicon.script import is_traditional, to_mainland, to_simplified
from translate.detect import contains_chinese
from translate.glossary import Glossary, default_glossary
from translate.llm_models import LlmError, find_llm
from translate.packages import PackageInfo, find_package
from translate.protect import chinese_spans, reassemble, split_protected

log = logging.getLogger(__name__)

MODES = ("auto", "llm", "argos", "dictionary")


class TranslatorUnavailable(Exception):
    """The configured backend cannot run; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Translation:
    source: str
    text: str  # English where there was Chinese; `source` unchanged when backend is "none"
    # "llm", "argos", "dictionary", "llm+dictionary" (the LLM's answer for some spans was not
    # used), or "none" when there was nothing to translate
    backend: str
    # time the backends spent on it (0 when all came from the caches); not part of equality
    elapsed_ms: float = field(default=0.0, compare=False)


class SpanBackend(Protocol):
    name: str
    tag: str  # names backend, model and glossary versions: cached spans are per tag

    def translate_spans(self, spans: list[str]) -> list[str | None]:
        """English for each span; None where this backend has no usable translation."""


class SpanCache(Protocol):
    """Persistent span translations (storage.translations.SqliteSpanCache)."""

    def get_many(self, tag: str, spans: Sequence[str]) -> dict[str, str]: ...

    def put_many(self, tag: str, pairs: Mapping[str, str]) -> None: ...

    def close(self) -> None: ...


class Translator:
    """Blocking. Use it from one thread at a time (AsyncTranslator does)."""

    def __init__(
        self,
        mode: str = "auto",
        packages_dir: Path | None = None,
        *,
        cache: SpanCache | None = None,
        glossary: Glossary | None = None,
        memory_size: int = 4096,
        llm: str | None = None,
        llm_time_limit_s: float = 10.0,
        device: str = "cpu",
    ) -> None:
        """`llm`: MJ_TRANSLATE_LLM (a model folder or a pulled name; None: the last pulled);
        `device`: where the LLM runs (the engine's device)."""
        if mode not in MODES:
            raise ValueError(f"translation mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.glossary = glossary or default_glossary()
        self.llm_dir: Path | None = None
        if mode in ("auto", "llm") and (packages_dir is not None or llm):
            try:
                self.llm_dir = find_llm(packages_dir or Path("."), llm)
            except LlmError as error:
                raise TranslatorUnavailable(str(error)) from None
        if mode == "llm" and self.llm_dir is None:
            raise TranslatorUnavailable(
                f"MJ_TRANSLATE=llm but no translation model is installed in {packages_dir}. "
                "Pull one with `mjbot models pull-translation --llm Qwen/Qwen2.5-0.5B-Instruct`, "
                "set MJ_TRANSLATE_LLM to a model folder, or set MJ_TRANSLATE=auto."
            )
        self.package: PackageInfo | None = None
        if mode in ("auto", "argos") and packages_dir is not None:
            self.package = find_package(packages_dir)
        if mode == "argos" and self.package is None:
            raise TranslatorUnavailable(
                f"MJ_TRANSLATE=argos but no zh->en argos package is installed in "
                f"{packages_dir}. Install one with `mjbot models pull-translation`, or set "
                "MJ_TRANSLATE=auto to use the built-in dictionary."
            )
        self.mode = mode
        self.backend_name = "llm" if self.llm_dir else "argos" if self.package else "dictionary"
        self.llm_time_limit_s = llm_time_limit_s
        self.device = device
        self._cache = cache
        self._memory: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._memory_size = memory_size
        self._backend: SpanBackend | None = None
        self._dictionary: SpanBackend | None = None

    def load(self) -> SpanBackend:
        """The backend, loaded on first use. In auto mode a model that fails to load is
        logged and the next best takes over: a damaged download must not stop the bot."""
        if self._backend is None:
            self._backend = self._load_model() or self.dictionary()
            self.backend_name = self._backend.name
        return self._backend

    def _load_model(self) -> SpanBackend | None:
        if self.llm_dir is not None:
            try:
                from translate.llm import LlmBackend

                return LlmBackend(
                    self.llm_dir,
                    self.glossary,
                    device=self.device,
                    time_limit_s=self.llm_time_limit_s,
                )
            except Exception:
                if self.mode != "auto":
                    raise
                log.exception("translation model %s failed to load", self.llm_dir)
        if self.package is not None:
            try:
                from translate.argos import ArgosBackend

                return ArgosBackend(self.package, self.glossary)
            except Exception:
                if self.mode != "auto":
                    raise
                log.exception("argos package %s failed to load", self.package.path)
        return None

    def dictionary(self) -> SpanBackend:
        """The built-in backend: the whole translation, or the fallback for the LLM's."""
        if self._dictionary is None:
            from translate.dictionary import DictionaryBackend

            self._dictionary = DictionaryBackend(self.glossary)
        return self._dictionary

    def translate(self, text: str) -> Translation:
        if not contains_chinese(text):
            return Translation(text, text, "none")
        pieces = split_protected(text)
        spans = chinese_spans(pieces)
        if not spans:  # Chinese only inside params or URLs: nothing to translate
            return Translation(text, text, "none")
        backend = self.load()
        started = time.perf_counter()
        # Taiwan and Hong Kong usage only for text written in traditional characters.
        convert = to_mainland if any(is_traditional(span) for span in spans) else to_simplified
        simplified = {span: convert(span) for span in spans}
        wanted = list(dict.fromkeys(simplified.values()))
        english, fresh = self._translate_spans(backend, wanted)
        used = [backend.name]
        if missing := [span for span in wanted if span not in english]:
            fallback = self.dictionary()
            from_dictionary, more = self._translate_spans(fallback, missing)
            english.update(from_dictionary)
            fresh = fresh or more
            used.append(fallback.name)
        result = reassemble(pieces, lambda span: english[simplified[span]])
        elapsed = (time.perf_counter() - started) * 1000 if fresh else 0.0
        if fresh:
            log.info("translated %d span(s) with %s in %.0f ms", len(wanted), used, elapsed)
        return Translation(text, result, "+".join(used), round(elapsed, 1))

    def _translate_spans(
        self, backend: SpanBackend, spans: list[str]
    ) -> tuple[dict[str, str], bool]:
        """The spans this backend translates (from memory, SQLite, or the backend itself),
        and whether the backend had to run. A span it cannot translate is left out."""
        found: dict[str, str] = {}
        for span in spans:
            key = (backend.tag, span)
            if key in self._memory:
                self._memory.move_to_end(key)
                found[span] = self._memory[key]
        missing = [span for span in spans if span not in found]
        if missing and self._cache is not None:
            found.update(self._cache.get_many(backend.tag, missing))
        missing = [span for span in spans if span not in found]
        answers = backend.translate_spans(missing) if missing else []
        new = {span: text for span, text in zip(missing, answers, strict=True) if text is not None}
        if new and self._cache is not None:
            self._cache.put_many(backend.tag, new)
        found.update(new)
        for span, text in found.items():
            self._remember((backend.tag, span), text)
        return found, bool(missing)

    def _remember(self, key: tuple[str, str], value: str) -> None:
        if self._memory_size <= 0:
            return
        self._memory[key] = value
        self._memory.move_to_end(key)
        while len(self._memory) > self._memory_size:
            self._memory.popitem(last=False)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()


class AsyncTranslator:
    """One Translator on one thread: the loaded model and the SQLite connection live there."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mjbot-translate")

    async def translate(self, text: str) -> Translation:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.translator.translate, text)

    def close(self) -> None:
        self._executor.submit(self.translator.close).result()
        self._executor.shutdown(wait=True)
