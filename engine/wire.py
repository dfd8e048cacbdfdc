"""Plain data that crosses from the dispatcher to a worker process and back.

Workers share no disk with the dispatcher: a job's source images (the start image of img2img,
upscale and variation; an edit's canvas and mask; a blend's images) travel with it as bytes,
and images come back as PNG bytes (compressed lightly: they are stored, re-encoded, by the
dispatcher). Everything here pickles without torch or PIL types.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.captioner import DEFAULT_CAPTION_MODEL
from engine.executor import Assignment, WorkerStatus
from engine.job import Event, Finished, JobSpec, Progress
from engine.loras import DEFAULT_MAX_LOADED
from engine.tuning import Tuning

if TYPE_CHECKING:
    from engine.backend import DiffusersBackend

WIRE_PNG_LEVEL = 1  # fast to write; the dispatcher stores its own encoding


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """How a worker builds its backend: the same settings as the local engine's backend."""

    models: dict[str, str]  # name -> source (hub id, folder, file, "tiny"), as on the dispatcher
    data_dir: str  # absolute: models built or downloaded here (tiny, hub cache aside)
    device: str = "auto"
    tuning: Tuning = Tuning()  # dtype, layout, compile, decoder, previews (MJ_DTYPE...)
    allow_download: bool = True
    single_file_config: str | None = None
    upscaler: str | None = None
    ip_adapter: str | None = None  # MJ_IP_ADAPTER, for blends
    caption_model: str = DEFAULT_CAPTION_MODEL  # /describe's
    preload: str | None = None  # a model to load when the worker starts (the default one)
    torch_threads: int | None = None  # CPU workers: their share of the cores
    gan_upscaler: str | None = None  # Upscale 4x's model file (the same path on every node)
    lora_max_loaded: int = DEFAULT_MAX_LOADED  # LoRA adapters each loaded model keeps

    def build_backend(self, images_dir: Path | None = None) -> DiffusersBackend:
        from engine.backend import DiffusersBackend

        return DiffusersBackend(
            self.models,
            data_dir=Path(self.data_dir),
            device=self.device,
            tuning=self.tuning,
            allow_download=self.allow_download,
            single_file_config=self.single_file_config,
            images_dir=images_dir,
            upscaler=self.upscaler,
            ip_adapter=self.ip_adapter,
            gan_upscaler=self.gan_upscaler,
            lora_max_loaded=self.lora_max_loaded,
            caption_model=self.caption_model,
        )


@dataclass(frozen=True, slots=True)
class WireJob:
    spec: JobSpec  # its source images name files of `files` (the worker's scratch folder)
    task_id: str
    preview_every_s: float | None
    files: dict[str, bytes] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class WireProgress:
    job_id: str
    step: int
    total: int
    preview_png: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class WireFinished:
    job_id: str
    images_png: list[bytes] = field(repr=False)
    seeds: tuple[int, ...]
    elapsed_s: float
    prompts: tuple[str, ...] | None = None  # a describe's, instead of images


@dataclass(frozen=True, slots=True)
class Report:
    """A worker's last word on a batch: its state afterwards (loaded models, jobs done)."""

    status: WorkerStatus


@dataclass(frozen=True, slots=True)
class Superseded:
    """The worker belongs to another dispatcher now: drop this batch, send nothing more."""


def job_to_wire(job: Assignment, images_dir: Path) -> WireJob:
    """The job as sent: its source images read from the image store and carried as bytes,
    named by content (batch-mates sharing an image share one file on the worker)."""
    spec, files = job.spec, {}

    def carried(stored: str | None) -> str | None:
        if stored is None:
            return None
        path = Path(stored)
        try:
            data = (path if path.is_absolute() else images_dir / path).read_bytes()
        except OSError:  # the worker fails the job, naming the unreadable image
            return stored
        name = hashlib.sha256(data).hexdigest()[:32] + (path.suffix or ".png")
        files[name] = data
        return name

    sent = replace(
        spec,
        init_image=carried(spec.init_image),
        mask_image=carried(spec.mask_image),
        blend_images=tuple(name for name in map(carried, spec.blend_images) if name),
    )
    return WireJob(sent, job.task_id, job.preview_every_s, files)


def to_wire(event: Event) -> Any:
    """An event as a worker sends it: images as PNG bytes."""
    if isinstance(event, Progress):
        preview = None if event.preview is None else png(event.preview)
        return WireProgress(event.job_id, event.step, event.total, preview)
    if isinstance(event, Finished):
        images = [png(image) for image in event.images]
        return WireFinished(event.job_id, images, event.seeds, event.elapsed_s, event.prompts)
    return event


def from_wire(item: Any) -> Event:
    """An event as the dispatcher passes it on: images decoded again."""
    if isinstance(item, WireProgress):
        preview = None if item.preview_png is None else unpng(item.preview_png)
        return Progress(item.job_id, item.step, item.total, preview)
    if isinstance(item, WireFinished):
        images = [unpng(data) for data in item.images_png]
        return Finished(item.job_id, images, item.seeds, item.elapsed_s, item.prompts)
    return item


def png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=WIRE_PNG_LEVEL)
    return buffer.getvalue()


def unpng(data: bytes) -> Any:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.copy()
