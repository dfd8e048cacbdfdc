"""The argostranslate backend: an installed zh->en package, run offline on the CPU (and the
model class an en->zh package runs on for /describe's glosses, `translate.gloss`).

argos' own `translate()` splits text into sentences first, with MiniSBD or Stanza models that
it downloads on first use (and importing that module loads spaCy and Stanza: 5 s). Here the
splitting is already done offline: `protect.split_protected` cuts the prompt at every
punctuation mark, param and URL, so each span is a single clause of Han characters, and the
glossary's art terms cut it further. Each clause then goes through argos' package (its
tokenizer and metadata) to one CTranslate2 model, with the decoding options argos uses.

The GPU is the diffusion engine's: translation stays on the CPU.
"""

from __future__ import annotations

import os
import re

from translate.glossary import Glossary
from translate.packages import PackageInfo
from translate.segment import glossary_runs, segmenter_for

_SENTENCE_END = re.compile(r"[\s.。!！]+$")
_LENGTH_PENALTY = 0.2  # argos' value


class ArgosModel:
    """One installed argos package on CTranslate2, in its own direction: clauses in, clauses
    out. Not thread-safe by contract (its owner gives it one thread)."""

    def __init__(self, package: PackageInfo, threads: int | None = None):
        import ctranslate2
        from argostranslate import settings as argos_settings
        from argostranslate.package import Package

        self.package = package
        self._argos_package = Package(package.path)
        self._tokenizer = self._argos_package.tokenizer
        self._target_prefix = self._argos_package.target_prefix
        self._beam_size = int(argos_settings.beam_size)
        self._model = ctranslate2.Translator(
            str(package.path / "model"),
            device="cpu",
            compute_type=str(argos_settings.compute_type),  # argos' "auto": int8 where fast
            inter_threads=1,
            intra_threads=threads or min(4, os.cpu_count() or 1),
        )

    def translate_clauses(self, clauses: list[str]) -> list[str]:
        """One batch through the model, as argos' `apply_packaged_translation` runs it."""
        if not clauses:
            return []
        tokens = [self._tokenizer.encode(clause) for clause in clauses]
        prefix = [[self._target_prefix]] * len(tokens) if self._target_prefix else None
        results = self._model.translate_batch(
            tokens,
            target_prefix=prefix,
            replace_unknowns=True,
            beam_size=self._beam_size,
            num_hypotheses=1,
            length_penalty=_LENGTH_PENALTY,
            # A damaged or mismatched model must not write a page of text into a prompt.
            max_decoding_length=3 * max(len(t) for t in tokens) + 10,
        )
        return [self._clean(self._tokenizer.decode(r.hypotheses[0])) for r in results]

    def _clean(self, text: str) -> str:
        if self._target_prefix and text.startswith(self._target_prefix):
            text = text[len(self._target_prefix) :]
        # A sentence model answers "A cat."; inside a keyword prompt that is "a cat".
        text = _SENTENCE_END.sub("", text.strip())
        if len(text) > 1 and text[0].isupper() and text[1].islower():
            text = text[0].lower() + text[1:]
        return text


class ArgosBackend(ArgosModel):
    """The zh->en model with the glossary's art terms cut out of what it sees."""

    name = "argos"

    def __init__(self, package: PackageInfo, glossary: Glossary, threads: int | None = None):
        super().__init__(package, threads)
        self.glossary = glossary
        self.tag = f"argos:{package.name}:{package.version}:{glossary.digest}"
        self._segmenter = segmenter_for(glossary)

    def translate_spans(self, spans: list[str]) -> list[str | None]:
        return [self.translate_span(span) for span in spans]

    def translate_span(self, span: str) -> str:
        """Art terms as the glossary says; the text between them through the model."""
        runs = glossary_runs(self._segmenter.cut(span), self.glossary)
        texts = [text for text, term in runs if term is None]
        translated = iter(self.translate_clauses(texts))
        parts = [term.english if term else next(translated) for _, term in runs]
        return " ".join(part for part in parts if part)
