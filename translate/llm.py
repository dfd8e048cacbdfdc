"""The LLM backend: a small instruction-tuned chat model, run locally through transformers.

Qwen2.5-0.5B/1.5B-Instruct or any causal LM folder whose tokenizer has a chat template. It
knows Chinese names, idioms and word order better than any dictionary. The spans of one prompt
go through one batched greedy `generate`, bounded in time: when the time limit is reached, or
an answer fails the checks of `translate.llm_prompt`, that span gets None and the Translator
uses the dictionary's translation instead.

The model runs on the device it is given: the engine's GPU when there is one, else the CPU.
Loading reads the folder only (`local_files_only`): nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any

from translate.glossary import Glossary
from translate.llm_models import LlmError
from translate.llm_prompt import VERSION, build_messages, check_answer, glossary_hints, names_in
from translate.segment import segmenter_for

log = logging.getLogger(__name__)

_MIN_NEW_TOKENS = 24
_MAX_NEW_TOKENS = 160


def _dtype(device: str) -> Any:
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float16 if device == "mps" else torch.float32


class LlmBackend:
    """One loaded model; not thread-safe by contract (the Translator gives it one thread)."""

    name = "llm"

    def __init__(
        self,
        model_dir: Path,
        glossary: Glossary,
        *,
        device: str = "cpu",
        time_limit_s: float = 10.0,
    ) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not (model_dir / "config.json").is_file():
            raise LlmError(f"{model_dir} is not a model folder (it has no config.json).")
        self.glossary = glossary
        self.device = device
        self.time_limit_s = time_limit_s
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        if not self.tokenizer.chat_template:
            raise LlmError(
                f"The tokenizer in {model_dir} has no chat template: use an -Instruct model."
            )
        self.tokenizer.padding_side = "left"  # generation continues from the right edge
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(
            model_dir, local_files_only=True, dtype=_dtype(device)
        ).to(device)
        self.model.eval()
        self._eos = self._eos_ids()
        config = (model_dir / "config.json").read_bytes()
        model_id = f"{model_dir.name}-{hashlib.sha256(config).hexdigest()[:8]}"
        self.tag = f"llm:{VERSION}:{model_id}:{glossary.digest}"
        self._segmenter = segmenter_for(glossary)

    def _eos_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids

    def translate_span(self, span: str) -> str | None:
        return self.translate_spans([span])[0]

    def translate_spans(self, spans: list[str]) -> list[str | None]:
        """Each span in English, or None where the model's answer cannot be used."""
        if not spans:
            return []
        import torch

        # 1. One chat per span, with the glossary's names and art terms found in it.
        hints = [glossary_hints(self._segmenter.cut(span), self.glossary) for span in spans]
        chats = [build_messages(span, hint) for span, hint in zip(spans, hints, strict=True)]
        inputs = self.tokenizer.apply_chat_template(
            chats,
            add_generation_prompt=True,
            tokenize=True,
            padding=True,
            return_tensors="pt",
            return_dict=True,
            sanitize_control_tokens=True,  # a span cannot close the turn with <|im_end|>
        ).to(self.device)
        prompt_length = inputs["input_ids"].shape[1]
        longest = max(len(span) for span in spans)
        # 2. Greedy and bounded: in tokens by the span's length, in time by the limit.
        started = time.perf_counter()
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                do_sample=False,
                max_new_tokens=min(_MAX_NEW_TOKENS, _MIN_NEW_TOKENS + 4 * longest),
                max_time=self.time_limit_s,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        elapsed = time.perf_counter() - started
        if elapsed >= self.time_limit_s:
            log.warning("LLM translation hit its %.1f s limit: dictionary used", elapsed)
            return [None] * len(spans)
        # 3. Only answers that ended by themselves (eos) and pass the checks.
        answers: list[str | None] = []
        for row, span, hint in zip(output[:, prompt_length:], spans, hints, strict=True):
            tokens = row.tolist()
            if not self._eos & set(tokens):
                answers.append(None)  # cut off at max_new_tokens
                continue
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            answers.append(check_answer(text, span, names_in(hint, self.glossary)))
        return answers
