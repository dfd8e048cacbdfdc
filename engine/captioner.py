"""The captioning model behind /describe: one image in, a few distinct prompts out.

BLIP by default (`MJ_CAPTION_MODEL`, a hub id or a local folder, for another image-to-text
model). Transformers' model classes are called directly: the pipeline task names differ between
transformers versions. The model is loaded on the first describe, on the engine's worker thread,
and kept beside the drawing model (BLIP base adds about 0.5 GB in half precision).

Candidates: beam search gives the model's most likely captions; sampling (seeded, so a job
redone gives the same answer) adds others when those clean into too few distinct prompts, and
is all a 🔄 uses, so it gets new ones. `engine.prompt_form` turns captions into prompts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import GenerationFailed, JobCancelled, ModelUnavailable
from engine.models import hub_snapshot, is_hub_id, pick_device, pick_dtype
from engine.prompt_form import distinct_prompts
from i18n import t

log = logging.getLogger(__name__)

DEFAULT_CAPTION_MODEL = "Salesforce/blip-image-captioning-base"
TINY_CAPTIONER = "tiny"  # MJ_CAPTION_MODEL value for the tiny random test captioner
SUGGESTIONS = 4  # what a user gets
CANDIDATES = 8  # what a describe returns at most: spares for suggestions a filter drops
_SEQUENCES = 8  # captions per generate() call: beams, or samples
_SAMPLE_ROUNDS = 2  # sampling passes after the beams, while fewer than CANDIDATES differ
_MAX_NEW_TOKENS = 32  # BLIP's captions are 8-20 tokens; a runaway stops here
_SEED_SPACE = 2**32


class Captioner:
    def __init__(
        self,
        ref: str = DEFAULT_CAPTION_MODEL,
        *,
        data_dir: Path,
        device: str = "auto",
        dtype: str = "auto",
        allow_download: bool = True,
    ) -> None:
        self.ref = ref  # MJ_CAPTION_MODEL
        self.data_dir = data_dir
        self.device_preference = device
        self.dtype_preference = dtype
        self.allow_download = allow_download
        self.device: str | None = None
        self._model: Any = None
        self._processor: Any = None

    def load(self) -> tuple[Any, Any]:
        """The model and its processor, loaded once on first use and kept. Worker thread only."""
        if self._model is None:
            try:
                self._model, self._processor = self._load(self.folder())
            except ModelUnavailable:
                raise
            except Exception as exc:  # whatever the cause, the user gets one readable sentence
                log.exception("could not load the caption model %s", self.ref)
                reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
                raise ModelUnavailable(
                    f"The caption model could not be loaded (MJ_CAPTION_MODEL={self.ref!r}): "
                    f"{reason}"
                ) from exc
        return self._model, self._processor

    def folder(self) -> Path:
        """Where the model is on disk: the tiny one built, a folder, or a hub snapshot."""
        if self.ref == TINY_CAPTIONER:
            from engine.tiny import ensure_tiny_captioner

            log.warning("the caption model is the tiny random test model: it says random words")
            return ensure_tiny_captioner(self.data_dir / "models" / "tiny-captioner")
        path = Path(self.ref).expanduser()
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise ModelUnavailable(
                    f"{path} is a folder but not a transformers model (no config.json). Point "
                    "MJ_CAPTION_MODEL at a folder saved with save_pretrained, or a hub id."
                )
            return path
        if is_hub_id(self.ref):
            return hub_snapshot(
                self.ref,
                allow_download=self.allow_download,
                instead="set MJ_CAPTION_MODEL to a local folder saved with save_pretrained "
                "(MJ_CAPTION_MODEL=tiny runs a tiny test captioner that says random words)",
            )
        raise ModelUnavailable(
            f"MJ_CAPTION_MODEL={self.ref!r} is neither a local folder nor a hub id like "
            f"{DEFAULT_CAPTION_MODEL!r}."
        )

    def _load(self, folder: Path) -> tuple[Any, Any]:
        import transformers

        transformers.utils.logging.disable_progress_bar()  # loading bars from disk are noise
        model_type = json.loads((folder / "config.json").read_text()).get("model_type")
        if model_type == "blip":
            model_class: Any = transformers.BlipForConditionalGeneration
            processor_class: Any = transformers.BlipProcessor
        else:
            from transformers.models.auto.modeling_auto import (
                MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES,
            )

            if model_type not in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES:
                raise ModelUnavailable(
                    f"MJ_CAPTION_MODEL={self.ref!r} is a {model_type!r} model, not an "
                    "image-to-text (captioning) model such as BLIP."
                )
            model_class = transformers.AutoModelForImageTextToText
            processor_class = transformers.AutoProcessor
        self.device = pick_device(self.device_preference)
        dtype = pick_dtype(self.dtype_preference, self.device)
        log.info("loading the caption model %s on %s/%s", self.ref, self.device, dtype)
        model = model_class.from_pretrained(folder, dtype=dtype, local_files_only=True)
        processor = processor_class.from_pretrained(folder, local_files_only=True)
        return model.to(self.device).eval(), processor

    def captions(
        self,
        image: Any,
        *,
        sample: bool,
        seed: int,
        cancel: Callable[[], bool] | None = None,
    ) -> list[str]:
        """_SEQUENCES captions of `image` (a PIL image): the best beams, or seeded samples."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        model, processor = self.load()

        class Cancelled(StoppingCriteria):  # checked after every token: a cancel stops at once
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                stop = cancel is not None and cancel()
                return torch.full((input_ids.shape[0],), stop, device=input_ids.device)

        inputs = processor(images=image.convert("RGB"), return_tensors="pt").to(self.device)
        inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
        search: dict[str, Any] = (
            {"do_sample": True, "top_p": 0.9, "temperature": 1.0}
            if sample
            else {"num_beams": _SEQUENCES}
        )
        # Sampling draws from the global generator: seed it for this call only.
        cuda = (
            [torch.device(self.device).index or 0] if str(self.device).startswith("cuda") else []
        )
        try:
            with torch.random.fork_rng(devices=cuda), torch.inference_mode():
                torch.manual_seed(seed % _SEED_SPACE)
                ids = model.generate(
                    **inputs,
                    **search,
                    num_return_sequences=_SEQUENCES,
                    max_new_tokens=_MAX_NEW_TOKENS,
                    no_repeat_ngram_size=3,
                    stopping_criteria=StoppingCriteriaList([Cancelled()]),
                )
        except torch.cuda.OutOfMemoryError:
            raise  # the worker frees memory and retries
        except (RuntimeError, ValueError, IndexError) as exc:
            raise GenerationFailed(
                f"The caption model could not describe this: {exc}",
                public=t("This image could not be described; try another one."),
            ) from exc
        if cancel is not None and cancel():
            raise JobCancelled("describe")
        return [text.strip() for text in processor.batch_decode(ids, skip_special_tokens=True)]

    def describe(
        self,
        image: Any,
        *,
        seed: int,
        fresh: bool = False,
        cancel: Callable[[], bool] | None = None,
    ) -> list[str]:
        """Between SUGGESTIONS and CANDIDATES distinct prompts for `image`, best first.

        `fresh` (a 🔄): sampling only, so the answer differs from the beams' first one.
        Raises GenerationFailed when the model cannot say four different things.
        """
        # 1. The model's most likely captions, unless asked for new ones.
        captions = [] if fresh else self.captions(image, sample=False, seed=seed, cancel=cancel)
        prompts = distinct_prompts(captions, CANDIDATES)
        # 2. Seeded samples while the captions clean into too few different prompts.
        for round_ in range(_SAMPLE_ROUNDS + (1 if fresh else 0)):
            if len(prompts) >= CANDIDATES:
                break
            captions += self.captions(image, sample=True, seed=seed + round_, cancel=cancel)
            prompts = distinct_prompts(captions, CANDIDATES)
        if len(prompts) < SUGGESTIONS:
            raise GenerationFailed(
                f"The caption model found only {len(prompts)} different descriptions of this "
                f"image; {SUGGESTIONS} are needed. Try another image.",
                public=t(
                    "Only {found} different descriptions of this image came up; {needed} are "
                    "needed. Try another image.",
                    found=len(prompts),
                    needed=SUGGESTIONS,
                ),
            )
        return prompts
