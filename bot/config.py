"""Settings: frozen groups, one per concern, built from environment values (and .env) at once.

Each group is defined next to what reads it and writes its defaults once: the core's in
`bot.core.settings`, the front ends' in `bot.adapters.settings`, the engine's and the
translator's below (the composition root builds those). `ENV` maps every variable onto one
field of one group; an unset (or empty) variable keeps the field's default.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bot.adapters.settings import ConsoleSettings, DiscordSettings, HttpSettings, TelegramSettings
from bot.config_values import (
    ConfigError,
    Parse,
    choice,
    flag,
    language,
    lowercase,
    named_wholes,
    number,
    owner_ids,
    path,
    snowflake,
    snowflakes,
    text,
    tiers,
    timezone,
    url,
    webhook_secret,
    whole,
)
from bot.core.settings import (
    ActionSettings,
    CoreSettings,
    DeliverySettings,
    ImagePromptSettings,
    Limits,
    ModelChoice,
    ModerationSettings,
    QuotaSettings,
    SafetySettings,
)
from engine.captioner import DEFAULT_CAPTION_MODEL
from engine.profiles import DEFAULT_MODEL, model_alias
from engine.tuning import COMPILE_MODES, DECODERS, DTYPES, PREVIEWS, SWITCHES, Tuning
from filters.image_safety import OPENNSFW
from filters.safety_policy import DEFAULT_POLICY as DEFAULT_SAFETY
from filters.safety_policy import Mode, PolicyError, SafetyPolicy

__all__ = ["ConfigError", "Settings"]


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """The models the engine loads: MJ_MODEL (the default) and MJ_MODELS (name=source)."""

    model: str = DEFAULT_MODEL
    models: dict[str, str] = field(
        default_factory=lambda: {model_alias(DEFAULT_MODEL): DEFAULT_MODEL}
    )
    device: str = "auto"
    single_file_config: str | None = None
    allow_download: bool = True
    # A dedicated upscaler model for U (hub id, diffusers folder, or "tiny-x4" for tests),
    # loaded on the first upscale; None: the hires fix.
    upscaler: str | None = None
    # An IP-Adapter for /blend (a weights file with its image_encoder/ beside it, a hub path,
    # or "tiny" for tests), loaded on the first blend; None: blends mix the images' latents.
    ip_adapter: str | None = None
    # "Upscale 4x": a GAN upscaler model file (.pth/.safetensors, read by spandrel), or "tiny"
    # for tests; None: no such action.
    gan_upscaler: str | None = None
    # LoRA styles: the folder `mjbot loras add` copies files into (None: data_dir / "loras"),
    # and how many adapters a loaded model keeps (least recently used unloaded first).
    lora_dir: Path | None = None
    lora_max_loaded: int = 8
    # Clip skip per model (anime models are trained with 2): name -> 1..4; others use 1.
    clip_skip: dict[str, int] = field(default_factory=dict)
    # /describe's image-to-text model (hub id, transformers folder, or "tiny" for tests),
    # loaded on the first describe.
    caption_model: str = DEFAULT_CAPTION_MODEL

    @property
    def default(self) -> str:
        return model_alias(self.model)


@dataclass(frozen=True, slots=True)
class QueueSettings:
    max_waiting_per_user: int = 10
    max_waiting: int = 1000
    # With batching: how many of one user's jobs may share one batch (one forward pass).
    max_batch_jobs_per_user: int = 1
    batching: str = "auto"  # auto: on for CUDA, off elsewhere (no throughput gain on CPU)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Where jobs are drawn: "local" (a thread of this process) or "ray" (one worker per GPU on
    a Ray cluster, joined at ray_address, or started in this process when it is None)."""

    kind: str = "local"
    ray_address: str | None = None
    ray_namespace: str = "mjbot"  # worker names are unique in it: one bot per namespace
    ray_workers: int = 0  # 0: one per GPU in the cluster (or one CPU worker)
    ray_worker_cpus: int = 0  # 0: GPU workers; N: CPU workers of N cores (and torch threads)


@dataclass(frozen=True, slots=True)
class TranslationSettings:
    # Chinese prompts: auto (a local LLM if installed, else argos, else the dictionary), llm,
    # argos, dictionary, off
    mode: str = "auto"
    packages_dir: Path | None = None  # argos packages, llm/; None: data_dir / "translation"
    # The translation LLM: a model folder, or a hub name pulled into packages_dir/llm; None:
    # the last one pulled. Each prompt's LLM answer gets this long before the dictionary
    # translation is used instead.
    llm: str | None = None
    llm_timeout_s: float = 8.0


@dataclass(frozen=True, slots=True)
class SafetyCheckSettings:
    """The image safety classifier: `opennsfw` (bundled) or `module:attribute` of the owner's
    own, and the threads it may use (the engine keeps the other cores)."""

    scorer: str = OPENNSFW
    threads: int = 1
    # The default policy's parts, as written (bot.core.settings.SafetySettings holds the
    # policy built from them).
    mode: str = DEFAULT_SAFETY.mode.value
    threshold: float = DEFAULT_SAFETY.threshold
    nsfw_mode: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("data")
    owners: frozenset[str] = frozenset()  # "platform:user_id"; see CoreSettings.owners
    models: ModelSettings = ModelSettings()
    speed: Tuning = Tuning()  # how models run: dtype, layout, compile, decoder, previews
    queue: QueueSettings = QueueSettings()
    engine: EngineSettings = EngineSettings()
    translation: TranslationSettings = TranslationSettings()
    limits: Limits = Limits()
    quota: QuotaSettings = QuotaSettings()
    moderation: ModerationSettings = ModerationSettings()
    actions: ActionSettings = ActionSettings()
    image_prompts: ImagePromptSettings = ImagePromptSettings()
    safety: SafetyCheckSettings = SafetyCheckSettings()
    delivery: DeliverySettings = DeliverySettings()
    console: ConsoleSettings = ConsoleSettings()
    discord: DiscordSettings = DiscordSettings()
    telegram: TelegramSettings = TelegramSettings()
    http: HttpSettings = HttpSettings()

    @property
    def core(self) -> CoreSettings:
        """What the core reads: no tokens, ports or engine internals."""
        models = ModelChoice(
            tuple(self.models.models),
            self.models.default,
            self.models.upscaler is not None,
            self.models.ip_adapter is not None,
            self.models.gan_upscaler is not None,
            self.models.clip_skip,
            self.lora_folder,
        )
        http = self.http
        pages = (http.public_url or f"http://{http.host}:{http.port}") if http.enabled else None
        return CoreSettings(
            self.owners,
            models,
            self.limits,
            self.quota,
            self.moderation,
            self.actions,
            self.image_prompts,
            SafetySettings(self.safety_policy),
            pages,
            self.delivery,
        )

    @property
    def safety_policy(self) -> SafetyPolicy:
        """The default policy MJ_SAFETY_* describe (checked when the settings are built)."""
        nsfw = self.safety.nsfw_mode
        return SafetyPolicy(
            Mode(self.safety.mode), self.safety.threshold, Mode(nsfw) if nsfw else None
        )

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """What must never be printed or logged (`bot.log_redaction` redacts it)."""
        return (self.discord.token, self.telegram.token, self.telegram.webhook_secret)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "mjbot.db"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def lora_folder(self) -> Path:
        return self.models.lora_dir or self.data_dir / "loras"

    @property
    def translation_packages_dir(self) -> Path:
        return self.translation.packages_dir or self.data_dir / "translation"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build from a mapping (tests pass a dict); by default os.environ after loading .env."""
        if env is None:
            from dotenv import load_dotenv

            load_dotenv()
            env = os.environ
        values = {key: raw.strip() for key, raw in env.items() if key.startswith("MJ_")}
        # Renamed: the old name still works, the new one wins.
        if "MJ_MAX_RUNNING_PER_USER" in values:
            values.setdefault("MJ_MAX_BATCH_JOBS_PER_USER", values["MJ_MAX_RUNNING_PER_USER"])
        groups: dict[str, dict[str, Any]] = {}
        for key, (group, name, parse) in ENV.items():
            if values.get(key):
                groups.setdefault(group, {})[name] = parse(key, values[key])
        top = groups.pop("", {})
        built = {
            f.name: replace(f.default, **groups.get(f.name, {}))
            for f in fields(cls)
            if f.name in GROUPS
        }
        settings = cls(**top, **built)
        return _checked(settings, values)


# Settings fields that are groups; "" below is a field of Settings itself.
GROUPS = {f.name for f in fields(Settings) if f.name not in ("data_dir", "owners")}
ENV: dict[str, tuple[str, str, Parse]] = {
    "MJ_DATA_DIR": ("", "data_dir", path),
    "MJ_OWNER_IDS": ("", "owners", owner_ids),
    "MJ_MODEL": ("models", "model", text),  # MJ_MODELS is read in _checked, after it
    "MJ_DEVICE": ("models", "device", choice("auto", "cpu", "cuda", "mps")),
    "MJ_MODEL_CONFIG": ("models", "single_file_config", text),
    "MJ_ALLOW_DOWNLOAD": ("models", "allow_download", flag),
    "MJ_UPSCALER": ("models", "upscaler", text),
    "MJ_IP_ADAPTER": ("models", "ip_adapter", text),
    "MJ_CAPTION_MODEL": ("models", "caption_model", text),
    "MJ_DTYPE": ("speed", "dtype", choice(*DTYPES)),
    "MJ_CHANNELS_LAST": ("speed", "channels_last", choice(*SWITCHES)),
    "MJ_COMPILE": ("speed", "compile", choice(*COMPILE_MODES)),
    "MJ_CUDNN_BENCHMARK": ("speed", "cudnn_benchmark", choice(*SWITCHES)),
    "MJ_DECODER": ("speed", "decoder", choice(*DECODERS)),
    "MJ_PREVIEWS": ("speed", "previews", choice(*PREVIEWS)),
    "MJ_TAESD": ("speed", "taesd", text),
    "MJ_GAN_UPSCALER": ("models", "gan_upscaler", text),
    "MJ_LORA_DIR": ("models", "lora_dir", path),
    "MJ_LORA_MAX_LOADED": ("models", "lora_max_loaded", whole(4, 256)),
    "MJ_CLIP_SKIP": ("models", "clip_skip", named_wholes(1, 4)),
    "MJ_MAX_WAITING_PER_USER": ("queue", "max_waiting_per_user", whole(1, 1000)),
    "MJ_MAX_WAITING": ("queue", "max_waiting", whole(1, 100000)),
    "MJ_MAX_BATCH_JOBS_PER_USER": ("queue", "max_batch_jobs_per_user", whole(1, 64)),
    "MJ_BATCHING": ("queue", "batching", choice("auto", "on", "off")),
    "MJ_ENGINE": ("engine", "kind", choice("local", "ray")),
    "MJ_RAY_ADDRESS": ("engine", "ray_address", text),
    "MJ_RAY_NAMESPACE": ("engine", "ray_namespace", text),
    "MJ_RAY_WORKERS": ("engine", "ray_workers", whole(0, 1024)),
    "MJ_RAY_WORKER_CPUS": ("engine", "ray_worker_cpus", whole(0, 1024)),
    "MJ_TRANSLATE": ("translation", "mode", choice("auto", "llm", "argos", "dictionary", "off")),
    "MJ_TRANSLATION_DIR": ("translation", "packages_dir", path),
    "MJ_TRANSLATE_LLM": ("translation", "llm", text),
    "MJ_TRANSLATE_LLM_TIMEOUT_S": ("translation", "llm_timeout_s", number(0.5, 120.0)),
    "MJ_IMAGES_PER_JOB": ("limits", "images_per_job", whole(1, 4)),
    "MJ_MAX_PROMPT_CHARS": ("limits", "max_prompt_chars", whole(10, 6000)),
    "MJ_MAX_REPEAT": ("limits", "max_repeat", whole(1, 40)),
    "MJ_TIERS": ("quota", "tiers", tiers),
    "MJ_DEFAULT_TIER": ("quota", "default_tier", lowercase),
    "MJ_QUOTA_TIMEZONE": ("quota", "timezone", timezone),
    "MJ_QUOTA_RESET_HOUR": ("quota", "reset_hour", whole(0, 23)),
    "MJ_FILTER_DEFAULTS": ("moderation", "filter_defaults", flag),
    "MJ_FILTER_PAUSE_AFTER": ("moderation", "pause_after", whole(0, 1000)),
    "MJ_FILTER_PAUSE_WINDOW_MIN": ("moderation", "pause_window_min", whole(1, 10080)),
    "MJ_FILTER_PAUSE_MIN": ("moderation", "pause_min", whole(1, 10080)),
    "MJ_UPSCALE_MAX_SIDE": ("actions", "upscale_max_side", whole(64, 8192)),
    "MJ_UPSCALE_STRENGTH": ("actions", "upscale_strength", number(0.05, 1.0)),
    "MJ_VARY_SUBTLE": ("actions", "vary_subtle", number(0.05, 1.0)),
    "MJ_VARY_STRONG": ("actions", "vary_strong", number(0.05, 1.0)),
    "MJ_BLEND_STRENGTH": ("actions", "blend_strength", number(0.05, 1.0)),
    "MJ_REGION_LINK_TTL_MIN": ("actions", "region_link_ttl_min", whole(1, 1440)),
    "MJ_GAN_MAX_SIDE": ("actions", "gan_max_side", whole(256, 16384)),
    "MJ_IMAGE_FETCH_TIMEOUT_S": ("image_prompts", "fetch_timeout_s", number(1.0, 120.0)),
    "MJ_ALLOW_PRIVATE_IMAGE_URLS": ("image_prompts", "allow_private_urls", flag),
    "MJ_SAFETY_POLICY": ("safety", "mode", choice(*Mode)),
    "MJ_SAFETY_THRESHOLD": ("safety", "threshold", number(0.0, 1.0)),
    "MJ_SAFETY_NSFW_POLICY": ("safety", "nsfw_mode", choice(*Mode)),
    "MJ_SAFETY_SCORER": ("safety", "scorer", text),
    "MJ_SAFETY_THREADS": ("safety", "threads", whole(1, 256)),
    "MJ_DELIVERY_RETRY_FIRST_S": ("delivery", "retry_first_s", number(0.01, 60.0)),
    "MJ_DELIVERY_RETRY_MAX_S": ("delivery", "retry_max_s", number(0.01, 60.0)),
    "MJ_CONSOLE_USER": ("console", "user", text),
    "MJ_LANG": ("console", "lang", language),
    "MJ_DISCORD_TOKEN": ("discord", "token", text),
    "MJ_DISCORD_GUILD_ID": ("discord", "guild_id", snowflake),
    "MJ_DISCORD_EDIT_EVERY_S": ("discord", "edit_every_s", number(0.0, 60.0)),
    "MJ_DISCORD_MODERATOR_ROLES": ("discord", "moderator_role_ids", snowflakes),
    "MJ_TELEGRAM_TOKEN": ("telegram", "token", text),
    "MJ_TELEGRAM_EDIT_EVERY_S_GROUP": ("telegram", "edit_every_s_group", number(0, 60)),
    "MJ_TELEGRAM_EDIT_EVERY_S_PRIVATE": ("telegram", "edit_every_s_private", number(0, 60)),
    "MJ_TELEGRAM_BASE_URL": ("telegram", "base_url", url),
    "MJ_TELEGRAM_WEBHOOK_URL": ("telegram", "webhook_url", url),
    "MJ_TELEGRAM_WEBHOOK_LISTEN": ("telegram", "webhook_listen", text),
    "MJ_TELEGRAM_WEBHOOK_PORT": ("telegram", "webhook_port", whole(0, 65535)),
    "MJ_TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret", webhook_secret),
    "MJ_HTTP_ENABLED": ("http", "enabled", flag),
    "MJ_HTTP_HOST": ("http", "host", text),
    "MJ_HTTP_PORT": ("http", "port", whole(0, 65535)),
    "MJ_HTTP_MAX_BODY": ("http", "max_body", whole(1024, 16 * 1024 * 1024)),
    "MJ_HTTP_PREVIEW_EVERY_S": ("http", "preview_every_s", number(0.0, 60.0)),
    "MJ_PUBLIC_URL": ("http", "public_url", url),
}


def _checked(settings: Settings, values: Mapping[str, str]) -> Settings:
    """What one variable alone cannot say: the model list, the tier new users get."""
    models = {model_alias(settings.models.model): settings.models.model}
    for item in filter(None, (part.strip() for part in values.get("MJ_MODELS", "").split(","))):
        name, sep, ref = item.partition("=")
        if not sep or not name.strip() or not ref.strip():
            raise ConfigError(f"MJ_MODELS entries look like name=source, got {item!r}")
        models[name.strip().lower()] = ref.strip()
    if settings.engine.kind == "ray" and importlib.util.find_spec("ray") is None:
        raise ConfigError("MJ_ENGINE=ray needs Ray, an optional extra: pip install -e '.[ray]'")
    delivery = settings.delivery
    if delivery.retry_first_s > delivery.retry_max_s:
        raise ConfigError(
            "MJ_DELIVERY_RETRY_FIRST_S must not exceed MJ_DELIVERY_RETRY_MAX_S "
            f"({delivery.retry_first_s:g} > {delivery.retry_max_s:g})"
        )
    quota = settings.quota
    if values.get("MJ_TIERS") and not values.get("MJ_DEFAULT_TIER"):
        quota = replace(quota, default_tier=next(iter(quota.tiers)))
    if quota.default_tier not in quota.tiers:
        raise ConfigError(
            f"MJ_DEFAULT_TIER must be one of {', '.join(quota.tiers)}, got {quota.default_tier!r}"
        )
    try:
        settings.safety_policy  # noqa: B018 - built to be checked
    except PolicyError as error:
        raise ConfigError(f"MJ_SAFETY_NSFW_POLICY: {error}") from None
    return replace(settings, models=replace(settings.models, models=models), quota=quota)
