"""A model in memory: its pipeline and what is derived from it once and reused, the
img2img and inpainting pipelines (`from_pipe`: the same modules, no new weights) and one
scheduler per sampler.

Apart from the backend, which keeps a few of these (the least recently used unloaded first)
and runs jobs on them: this is what one of them holds and builds for itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.loras import LoraSlots
from engine.profiles import SAMPLERS, ModelProfile
from engine.speed import Acceleration


@dataclass(slots=True)
class LoadedModel:
    pipe: Any
    profile: ModelProfile
    default_scheduler: Any
    speed: Acceleration
    loras: LoraSlots  # the LoRA adapters loaded into this model, and which are applied
    schedulers: dict[str, Any] = field(default_factory=dict)
    img2img: Any = None  # derived with from_pipe on first use: the same modules, no new weights
    inpaint: Any = None  # likewise, for the editing actions (engine.inpaint)

    def scheduler(self, sampler: str) -> Any:
        """The sampler's scheduler, built from the checkpoint's own config on first use."""
        if sampler == "default":
            return self.default_scheduler
        if sampler not in self.schedulers:
            import diffusers

            class_name, extra = SAMPLERS[sampler]
            cls = getattr(diffusers, class_name)
            self.schedulers[sampler] = cls.from_config(self.default_scheduler.config, **extra)
        return self.schedulers[sampler]
