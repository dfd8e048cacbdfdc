"""What the core reads from the configuration, grouped by concern. Plain frozen values.

Each default is written here once; `bot.config_env` maps environment variables onto these fields
(and keeps a field's default when its variable is unset). The core never sees tokens, ports or
other front-end settings: those groups live with their adapters (`bot.adapters.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.core.tiers import DEFAULT_TIERS, Tier
from engine.profiles import DEFAULT_MODEL, model_alias
from filters.safety_policy import DEFAULT_POLICY, SafetyPolicy


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The models users may pick with --model, and which one /mj uses without it."""

    names: tuple[str, ...] = (model_alias(DEFAULT_MODEL),)
    default: str = model_alias(DEFAULT_MODEL)
    upscaler: bool = False  # an upscaler model (MJ_UPSCALER) draws U; else the 2x hires fix
    ip_adapter: bool = False  # /blend mixes image embeddings (MJ_IP_ADAPTER); else latents
    gan_upscaler: bool = False  # a GAN model (MJ_GAN_UPSCALER) offers Upscale 4x
    clip_skip: dict[str, int] = field(default_factory=dict)  # a model's own default clip skip
    lora_dir: Path = Path("data/loras")  # where registered LoRA files are (MJ_LORA_DIR)


@dataclass(frozen=True, slots=True)
class Limits:
    images_per_job: int = 4  # images in one /mj grid (1..4)
    max_prompt_chars: int = 1500
    max_repeat: int = 4  # largest --repeat


@dataclass(frozen=True, slots=True)
class QuotaSettings:
    """Tiers (daily credits / jobs waiting / fair-share weight), the tier new users get, and
    when a quota day starts."""

    tiers: dict[str, Tier] = field(default_factory=lambda: {t.name: t for t in DEFAULT_TIERS})
    default_tier: str = DEFAULT_TIERS[0].name
    timezone: str = "UTC"
    reset_hour: int = 0


@dataclass(frozen=True, slots=True)
class ModerationSettings:
    """Banned terms: whether the shipped defaults apply, and the pause after repeated blocks."""

    filter_defaults: bool = True
    pause_after: int = 0  # blocked prompts within the window that pause a user; 0: never
    pause_window_min: int = 10
    pause_min: int = 30


@dataclass(frozen=True, slots=True)
class ActionSettings:
    """The buttons' jobs: U (a 2x hires pass repainting `upscale_strength`), V and Vary; /blend
    (image to image from the images' mixed latents, repainting `blend_strength`); how long a
    Vary (Region) page link works."""

    upscale_max_side: int = 2048
    upscale_strength: float = 0.3
    vary_subtle: float = 0.35
    vary_strong: float = 0.65
    blend_strength: float = 0.7
    region_link_ttl_min: int = 30
    gan_max_side: int = 4096  # Upscale 4x is offered while 4x the image stays within this


@dataclass(frozen=True, slots=True)
class ImagePromptSettings:
    fetch_timeout_s: float = 15.0  # for a whole download
    allow_private_urls: bool = False  # tests only: lets downloads reach 127.0.0.1


@dataclass(frozen=True, slots=True)
class SafetySettings:
    """The image safety check's default policy (owners may store another with /safety
    --global; each community may set its own)."""

    default: SafetyPolicy = DEFAULT_POLICY


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """Retrying a job's final message (and its notice) while a platform fails: the first retry
    after `retry_first_s`, then twice as long each time, never more than `retry_max_s` apart,
    so a result arrives within `retry_max_s` of the platform recovering."""

    retry_first_s: float = 1.0
    retry_max_s: float = 30.0


@dataclass(frozen=True, slots=True)
class CoreSettings:
    # Who owns the bot ("platform:user_id"; the console always does): never limited, and
    # managers of the global banned-terms list and of tiers.
    owners: frozenset[str] = frozenset()
    models: ModelChoice = ModelChoice()
    limits: Limits = Limits()
    quota: QuotaSettings = QuotaSettings()
    moderation: ModerationSettings = ModerationSettings()
    actions: ActionSettings = ActionSettings()
    image_prompts: ImagePromptSettings = ImagePromptSettings()
    safety: SafetySettings = SafetySettings()
    # Where the HTTP front end serves the Vary (Region) page (its base URL); None: the HTTP
    # front end is off, and Vary (Region) offers the nine thirds of the image instead.
    region_page_url: str | None = None
    delivery: DeliverySettings = DeliverySettings()
