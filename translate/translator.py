"""The translation facade: /mj text in, English /mj text out, whichever backend is installed.

    Translator.translate(text)
      1. nothing Chinese outside params and URLs -> the text as it is, backend "none"
      2. split_protected -> Han spans; each converted to simplified (OpenCC t2s)
      3. each span from memory, else from the SQLite cache, else from the backend
      4. reassemble in order around the protected pieces

The backend is argos when a zh->en package is installed (MJ_TRANSLATE=auto), else the built-in
dictionary. Both load lazily, on the first Chinese prompt: jieba, CC-CEDICT or the model take a
few seconds that a bot that never sees Chinese should not pay. `AsyncTranslator` keeps one
Translator on one thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lexicon.script import to_simplified
from translate.detect import contains_chinese
from translate.glossary import Glossary, default_glossary
from translate.packages import PackageInfo, find_package
from translate.protect import chinese_spans, reassemble, split_protected

log = logging.getLogger(__name__)

MODES = ("auto", "argos", "dictionary")


class TranslatorUnavailable(Exception):
    """The configured backend cannot run; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Translation:
    source: str
    text: str  # English where there was Chinese; `source` unchanged when backend is "none"
    backend: str  # "argos", "dictionary", or "none" when there was nothing to translate


class SpanBackend(Protocol):
    name: str
    tag: str  # names backend, model and glossary versions: cached spans are per tag

    def translate_span(self, span: str) -> str: ...


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
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"translation mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.glossary = glossary or default_glossary()
        self.package: PackageInfo | None = None
        if mode != "dictionary" and packages_dir is not None:
            self.package = find_package(packages_dir)
        if mode == "argos" and self.package is None:
            raise TranslatorUnavailable(
                f"MJ_TRANSLATE=argos but no zh->en argos package is installed in "
                f"{packages_dir}. Install one with `mjbot models pull-translation`, or set "
                "MJ_TRANSLATE=auto to use the built-in dictionary."
            )
        self.mode = mode
        self.backend_name = "argos" if self.package else "dictionary"
        self._cache = cache
        self._memory: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._memory_size = memory_size
        self._backend: SpanBackend | None = None

    def load(self) -> SpanBackend:
        """The backend, loaded on first use. In auto mode a package that fails to load is
        logged and the dictionary takes over: a damaged download must not stop the bot."""
        if self._backend is None:
            if self.package is not None:
                from translate.argos import ArgosBackend

                try:
                    self._backend = ArgosBackend(self.package, self.glossary)
                except Exception:
                    if self.mode == "argos":
                        raise
                    log.exception("argos package %s failed to load", self.package.path)
                    self.backend_name = "dictionary"
            if self._backend is None:
                from translate.dictionary import DictionaryBackend

                self._backend = DictionaryBackend(self.glossary)
        return self._backend

    def translate(self, text: str) -> Translation:
        if not contains_chinese(text):
            return Translation(text, text, "none")
        pieces = split_protected(text)
        spans = chinese_spans(pieces)
        if not spans:  # Chinese only inside params or URLs: nothing to translate
            return Translation(text, text, "none")
        backend = self.load()
        simplified = {span: to_simplified(span) for span in spans}
        english = self._translate_spans(backend, list(dict.fromkeys(simplified.values())))
        result = reassemble(pieces, lambda span: english[simplified[span]])
        return Translation(text, result, backend.name)

    def _translate_spans(self, backend: SpanBackend, spans: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for span in spans:
            key = (backend.tag, span)
            if key in self._memory:
                self._memory.move_to_end(key)
                found[span] = self._memory[key]
        missing = [span for span in spans if span not in found]
        if missing and self._cache is not None:
            found.update(self._cache.get_many(backend.tag, missing))
        new = {span: backend.translate_span(span) for span in spans if span not in found}
        if new and self._cache is not None:
            self._cache.put_many(backend.tag, new)
        found.update(new)
        for span in spans:
            self._remember((backend.tag, span), found[span])
        return found

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
