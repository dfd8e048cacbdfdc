"""What the engine is asked to do (plain data) and what it reports back (events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from i18n import Message

if TYPE_CHECKING:
    from PIL import Image

# What a /describe costs in the fair queue (and the quota), in the unit of `JobSpec.cost`: one
# 512x512 image, one denoising step. Measured by bench/describe.py (see bench/RESULTS.md).
DESCRIBE_COST = 1.0
# A describe's captioning: "beams", the model's most likely captions first (a first describe);
# "samples", seeded samples only (a 🔄: new candidates).
DESCRIBE_MODES = ("beams", "samples")


@dataclass(frozen=True, slots=True)
class PromptPart:
    text: str
    weight: float


@dataclass(frozen=True, slots=True)
class LoraUse:
    """One LoRA applied to a job: the registry's name (for captions), its file and weight."""

    name: str
    path: str  # absolute path of the .safetensors file
    sha256: str  # its content: the same file under two names is one adapter
    weight: float  # -2..2; 0 draws exactly the base image

    @property
    def adapter(self) -> str:
        """The PEFT adapter name: by content, so a replaced file is never mistaken for the old."""
        return f"lora_{self.sha256[:16]}"


@dataclass(frozen=True, slots=True)
class JobSpec:
    """Everything needed to render one job. Plain values only, so it can be rebuilt from SQLite."""

    job_id: str
    user_key: str  # who pays in the fair queue: "platform:user id"
    model: str  # a configured model name
    prompts: tuple[PromptPart, ...]  # already styled and translated; one part if no :: weights
    negative_prompt: str | None
    width: int
    height: int
    steps: int
    cfg: float
    sampler: str
    seeds: tuple[int, ...]  # one per image; image i is reproducible from seeds[i] alone
    tile: bool = False
    stop: int | None = None  # stop denoising at this percent of the steps
    chaos: int = 0  # 0..100: how far the grid's images may stray from each other
    weight: float = 1.0  # the user's fair-share weight (tiers)
    # img2img (upscale, variations, image prompts): the start image, a path relative to the
    # image store (or absolute), fitted to width x height with Lanczos; and how much of it to
    # repaint, 0 (keep it) .. 1 (ignore it). None: text to image.
    init_image: str | None = None
    strength: float | None = None
    # An upscale drawn by the configured upscaler model (MJ_UPSCALER) instead of the hires fix:
    # init_image at width x height, all `steps` steps run (strength 1), `model` and `sampler`
    # unused except for the preview colours and the price.
    upscaler: bool = False
    # Inpainting (Zoom Out, Pan, Make Square, Vary (Region)): init_image is the prepared canvas
    # (exactly width x height) and mask_image a black and white PNG of the same size: white is
    # painted, black kept, and kept pixels are copied back from the canvas exactly.
    mask_image: str | None = None
    # Blend: 2-5 stored images mixed into one grid, each fitted to width x height. Without
    # ip_adapter: image to image from their averaged latents at `strength`; with it: text to
    # image conditioned on their averaged IP-Adapter image embeddings (MJ_IP_ADAPTER).
    blend_images: tuple[str, ...] = ()
    ip_adapter: bool = False
    # LoRA styles, in the order the user gave them; jobs with different sets never share a pass.
    loras: tuple[LoraUse, ...] = ()
    # A1111's clip skip: 1 uses the text encoder's last layer, N its N-th from last.
    clip_skip: int = 1
    # "Upscale 4x" with the GAN upscaler model (MJ_GAN_UPSCALER): init_image, enlarged to
    # width x height in one forward pass per tile; no prompt, steps or seeds take part.
    gan_upscale: bool = False
    # /describe: caption init_image (as stored, not fitted) instead of drawing, one of
    # DESCRIBE_MODES, seeded by seeds[0]; width x height is the image's size. None: draw.
    describe: str | None = None

    @property
    def image_count(self) -> int:
        return len(self.seeds)

    @property
    def run_steps(self) -> int:
        """Denoising steps that really run: img2img skips the first (1 - strength) of them."""
        if self.strength is None:
            return self.steps
        return max(1, int(self.steps * self.strength))

    @property
    def work_pixels(self) -> int:
        """Pixels the model works on: a GAN upscale runs its network on the input image (a
        sixteenth of its output); every other job on its own size."""
        pixels = self.width * self.height
        return pixels // 16 if self.gan_upscale else pixels

    @property
    def cost(self) -> float:
        """GPU work in units of one 512², 1-step image: what the fair queue charges."""
        if self.describe is not None:
            return DESCRIBE_COST
        steps = self.run_steps
        steps = steps if self.stop is None else max(1, steps * self.stop // 100)
        return self.image_count * steps * self.work_pixels / (512 * 512)


def needs_embeddings(spec: JobSpec) -> bool:
    """Plain prompts go to the pipeline as strings: the same path as a bare `pipe()` call.
    `::` weights, --chaos and clip skip need embeddings built apart (`engine.conditioning`)."""
    return (
        spec.chaos > 0
        or spec.clip_skip > 1
        or len(spec.prompts) != 1
        or spec.prompts[0].weight != 1.0
    )


def batch_key(spec: JobSpec) -> tuple:
    """Jobs with equal keys can share one forward pass (images stay identical to unbatched)."""
    return (
        spec.model,
        spec.width,
        spec.height,
        spec.steps,
        spec.sampler,
        spec.cfg,
        spec.tile,
        spec.stop,
        needs_embeddings(spec),
        bool(spec.negative_prompt),
        # img2img jobs share a pass only when they start from the same image at one strength.
        spec.init_image,
        spec.strength,
        spec.upscaler,
        spec.mask_image,
        spec.blend_images,
        spec.ip_adapter,
        spec.loras,
        spec.clip_skip,
        spec.gan_upscale,
        spec.describe,
    )


def check_sources(spec: JobSpec) -> None:
    """What a job starts from: nothing, an init image, a canvas and mask, or 2-5 images."""
    if spec.blend_images and not 2 <= len(spec.blend_images) <= 5:
        raise ValueError(f"a blend takes 2 to 5 images, got {len(spec.blend_images)}")
    if spec.blend_images and spec.init_image is not None:
        raise ValueError("a blend starts from its images, not from an init image")
    if spec.ip_adapter and not spec.blend_images:
        raise ValueError("the IP-Adapter is for blends")
    if spec.mask_image is not None and spec.init_image is None:
        raise ValueError("a mask needs the canvas it masks as init image")
    starts = spec.init_image is not None or (bool(spec.blend_images) and not spec.ip_adapter)
    if starts != (spec.strength is not None):
        raise ValueError("a start image (or blended latents) and a strength go together")


# Events, in the order a job produces them: Queued* -> Started -> Progress* -> one terminal event.


@dataclass(frozen=True, slots=True)
class Queued:
    job_id: str
    position: int  # 1 = next to run
    eta_s: float | None = None


@dataclass(frozen=True, slots=True)
class Started:
    job_id: str
    task_id: str


@dataclass(frozen=True, slots=True)
class Progress:
    job_id: str
    step: int  # 1-based, of `total`
    total: int
    preview: Image.Image | None = None  # a small RGB grid of the images forming

    @property
    def percent(self) -> int:
        return round(100 * self.step / max(1, self.total))


@dataclass(frozen=True, slots=True)
class Finished:
    job_id: str
    images: list[Image.Image] = field(repr=False)
    seeds: tuple[int, ...]
    elapsed_s: float
    prompts: tuple[str, ...] | None = None  # a describe's distinct prompts, best first
    # A cancel was accepted, but the job's worker had run every step before it heard of it
    # (a remote worker): the result stands, and its user is told why.
    cancel_came_late: bool = False


def finished(spec: JobSpec, result: list[Any], elapsed_s: float) -> Finished:
    """A job's result as its event: its images, or a describe's prompts."""
    if spec.describe is not None:
        return Finished(spec.job_id, [], spec.seeds, elapsed_s, tuple(result))
    return Finished(spec.job_id, result, spec.seeds, elapsed_s)


@dataclass(frozen=True, slots=True)
class Failed:
    job_id: str
    error: Message  # for the user, in their language
    detail: str = ""  # for the operator, in English: what went wrong and how to fix it


@dataclass(frozen=True, slots=True)
class Cancelled:
    job_id: str
    while_running: bool


Event = Queued | Started | Progress | Finished | Failed | Cancelled
TERMINAL = (Finished, Failed, Cancelled)


def spec_to_dict(spec: JobSpec) -> dict:
    """JSON-ready form, stored with the job so a restart can rebuild it exactly."""
    data = {name: getattr(spec, name) for name in JobSpec.__slots__}
    data["prompts"] = [{"text": p.text, "weight": p.weight} for p in spec.prompts]
    data["seeds"] = list(spec.seeds)
    data["blend_images"] = list(spec.blend_images)
    data["loras"] = [
        {name: getattr(lora, name) for name in LoraUse.__slots__} for lora in spec.loras
    ]
    return data


def spec_from_dict(data: dict) -> JobSpec:
    values = dict(data)
    values["prompts"] = tuple(PromptPart(p["text"], float(p["weight"])) for p in data["prompts"])
    values["seeds"] = tuple(int(seed) for seed in data["seeds"])
    values["blend_images"] = tuple(data.get("blend_images") or ())
    values["loras"] = tuple(LoraUse(**lora) for lora in data.get("loras", ()))
    return JobSpec(**values)
