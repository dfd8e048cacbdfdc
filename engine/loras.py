"""LoRA styles on a loaded pipeline: diffusers' PEFT backend, one adapter per LoRA file.

Per job, `LoraSlots.apply` makes the pipeline draw with exactly the job's LoRAs at its weights:

- Adapters stay loaded between jobs (at most `max_loaded` per model; the least recently used
  one is deleted first), so a popular style costs its file read once.
- An unfused LoRA costs every adapted layer two extra small matmuls per step (about 10-20 %
  more step time for two rank-32 LoRAs on SD 1.5). When the next job asks for the same set
  again, the set is fused into the base weights: repeated styles then draw at base speed
  (`bench/lora.py`). Fusing only pays off for a set that repeats; a one-off set stays unfused.
- Unfusing subtracts the LoRA again, which in half precision does not give back the same bits;
  repeated a few thousand times, that drift would change the base model. So before the first
  fuse of a layer its base weight is copied to CPU memory once (base weights never change),
  and unfusing restores that copy: the base model stays bit for bit what was loaded.
- A LoRA at weight 0 is left out, and with nothing left the adapters are switched off: the
  image is exactly the base model's.

Worker thread only, like the pipeline it changes.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import GenerationFailed
from engine.job import LoraUse
from engine.lora_files import (
    CROSS_ATTENTION_FAMILIES,
    LoraFileError,
    family_name,
    inspect_lora,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_LOADED = 8  # adapters kept per model: a few MB each for SD 1.5 at rank 32
_COMPONENTS = ("unet", "text_encoder", "text_encoder_2")
ActiveSet = tuple[tuple[str, float], ...]  # (adapter name, weight), in the job's order


class LoraSlots:
    """The LoRA state of one loaded pipeline (and of pipelines made from it with from_pipe,
    which share its modules)."""

    def __init__(self, pipe: Any, max_loaded: int = DEFAULT_MAX_LOADED) -> None:
        self.pipe = pipe
        self.max_loaded = max_loaded
        self.family = CROSS_ATTENTION_FAMILIES.get(pipe.unet.config.cross_attention_dim, "?")
        self._loaded: OrderedDict[str, str] = OrderedDict()  # adapter -> file, oldest first
        self._active: ActiveSet = ()  # what the pipeline draws with now
        self._fused: ActiveSet = ()  # the set merged into the weights, if any
        self._backups: dict[tuple[str, str], Any] = {}  # (component, module) -> base weight

    @property
    def loaded(self) -> list[str]:
        return list(self._loaded)

    @property
    def fused(self) -> bool:
        return bool(self._fused)

    def apply(self, loras: Sequence[LoraUse]) -> None:
        """Draw the next job with exactly these LoRAs (an empty list: the base model)."""
        wanted: ActiveSet = tuple((lora.adapter, lora.weight) for lora in loras if lora.weight)
        repeated = wanted == self._active
        if wanted == self._fused and wanted:
            return
        # 1. Back to the exact base weights if another set is fused in.
        if self._fused:
            self._unfuse()
        # 2. No LoRA (or all at weight 0): adapters off, the base model draws alone.
        if not wanted:
            if self._loaded:
                self.pipe.disable_lora()
            self._active = ()
            return
        # 3. Load what is missing, then activate the set at the job's weights.
        for lora in loras:
            if lora.weight:
                self._ensure_loaded(lora, keep={name for name, _ in wanted})
        self.pipe.enable_lora()
        self.pipe.set_adapters([name for name, _ in wanted], [weight for _, weight in wanted])
        self._active = wanted
        # 4. The same set twice in a row: fuse it, so the jobs after it run at base speed.
        if repeated:
            self._fuse(wanted)

    def _ensure_loaded(self, lora: LoraUse, keep: set[str]) -> None:
        if lora.adapter in self._loaded:
            self._loaded.move_to_end(lora.adapter)
            return
        path = Path(lora.path)
        try:
            info = inspect_lora(path)
        except LoraFileError as exc:
            raise GenerationFailed(f"The LoRA {lora.name!r} cannot be used: {exc}") from exc
        if info.family != self.family:
            raise GenerationFailed(
                f"The LoRA {lora.name!r} was made for {family_name(info.family)} models and "
                f"this model is {family_name(self.family)}."
            )
        while len(self._loaded) >= self.max_loaded:
            oldest = next((name for name in self._loaded if name not in keep), None)
            if oldest is None:
                break
            log.info("unloading LoRA adapter %s to make room", oldest)
            with _quiet_loading():
                self.pipe.delete_adapters([oldest])
            del self._loaded[oldest]
        log.info("loading LoRA %s (%s) as %s", lora.name, path.name, lora.adapter)
        try:
            with _quiet_loading():
                self.pipe.load_lora_weights(str(path), adapter_name=lora.adapter)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise GenerationFailed(f"The LoRA {lora.name!r} could not be loaded: {exc}") from exc
        self._loaded[lora.adapter] = str(path)

    def _fuse(self, wanted: ActiveSet) -> None:
        names = [name for name, _ in wanted]
        for key, layer in self._lora_layers():
            if key not in self._backups and any(name in layer.lora_A for name in names):
                self._backups[key] = layer.get_base_layer().weight.detach().to("cpu", copy=True)
        self.pipe.fuse_lora(components=self._components(), adapter_names=names)
        self._fused = wanted
        log.info("fused LoRA set %s", ", ".join(names))

    def _unfuse(self) -> None:
        import torch

        self.pipe.unfuse_lora(components=self._components())
        with torch.no_grad():
            for key, layer in self._lora_layers():
                backup = self._backups.get(key)
                if backup is not None:
                    layer.get_base_layer().weight.copy_(backup)
        self._fused = ()

    def _components(self) -> list[str]:
        return [name for name in _COMPONENTS if getattr(self.pipe, name, None) is not None]

    def _lora_layers(self) -> Iterator[tuple[tuple[str, str], Any]]:
        from peft.tuners.tuners_utils import BaseTunerLayer

        for component in self._components():
            for name, module in getattr(self.pipe, component).named_modules():
                if isinstance(module, BaseTunerLayer):
                    yield (component, name), module


@contextmanager
def _quiet_loading() -> Iterator[None]:
    """Loading a LoRA is noisy by design: transformers reports every base weight as "missing"
    from a text-encoder adapter (a LoRA file has none), diffusers that a UNet-only LoRA has no
    text-encoder part; PEFT warns that a second adapter makes a model hold several (the point
    here) and that deleting an active adapter activates another (the job's own set is
    activated right after). Keep them out of the bot's log."""
    import warnings

    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    levels = [(lib, lib.get_verbosity()) for lib in (diffusers_logging, transformers_logging)]
    for lib, _ in levels:
        lib.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Already found a `peft_config`", UserWarning)
            warnings.filterwarnings("ignore", "Adapter .* was active", UserWarning)
            yield
    finally:
        for lib, level in levels:
            lib.set_verbosity(level)
