"""Settings: one frozen dataclass built from environment values (and .env), validated at once."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.quota import DEFAULT_TIERS, Tier, parse_tiers
from engine.profiles import DEFAULT_MODEL


class ConfigError(ValueError):
    """A setting is malformed; the message names the variable and what it accepts."""


def model_alias(ref: str) -> str:
    """What users type after --model for a configured source: its last path component."""
    name = Path(ref.rstrip("/")).name
    for suffix in (".safetensors", ".ckpt"):
        name = name.removesuffix(suffix)
    return name.lower()


def _int(env: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{key} must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], key: str, default: float, low: float, high: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{key} must be between {low:g} and {high:g}, got {value:g}")
    return value


def _snowflakes(env: Mapping[str, str], key: str) -> tuple[int, ...]:
    """Discord ids (servers, roles), separated by commas."""
    ids = []
    for item in filter(None, (part.strip() for part in env.get(key, "").split(","))):
        if not item.isdigit():
            raise ConfigError(
                f"{key} takes Discord ids (digits) separated by commas, got {item!r}"
            )
        ids.append(int(item))
    return tuple(ids)


def _snowflake(env: Mapping[str, str], key: str) -> int | None:
    ids = _snowflakes(env, key)
    if len(ids) > 1:
        raise ConfigError(f"{key} takes one Discord id, got {len(ids)}")
    return ids[0] if ids else None


def _choice(env: Mapping[str, str], key: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(key, "").strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key} must be true or false, got {raw!r}")


def _owner_ids(env: Mapping[str, str]) -> frozenset[str]:
    owners = set()
    for item in filter(None, (part.strip() for part in env.get("MJ_OWNER_IDS", "").split(","))):
        platform, sep, user_id = item.partition(":")
        if not sep or not platform.strip() or not user_id.strip():
            raise ConfigError(f"MJ_OWNER_IDS entries look like platform:user_id, got {item!r}")
        owners.add(f"{platform.strip().lower()}:{user_id.strip()}")
    return frozenset(owners)


def _url(env: Mapping[str, str], key: str) -> str | None:
    raw = env.get(key, "").strip()
    if raw and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", raw):
        raise ConfigError(f"{key} must be an http(s):// URL, got {raw!r}")
    return raw.rstrip("/") or None


def _webhook_secret(env: Mapping[str, str]) -> str | None:
    raw = env.get("MJ_TELEGRAM_WEBHOOK_SECRET", "").strip()
    # Telegram accepts 1-256 characters from this set in X-Telegram-Bot-Api-Secret-Token.
    if raw and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ConfigError("MJ_TELEGRAM_WEBHOOK_SECRET takes 1-256 of A-Z a-z 0-9 _ -")
    return raw or None


def _path(env: Mapping[str, str], key: str) -> Path | None:
    raw = env.get(key, "").strip()
    return Path(raw) if raw else None


def _quota(env: Mapping[str, str]) -> dict[str, Any]:
    try:
        tiers = (
            parse_tiers(env.get("MJ_TIERS", ""))
            if env.get("MJ_TIERS", "").strip()
            else {tier.name: tier for tier in DEFAULT_TIERS}
        )
    except ValueError as error:
        raise ConfigError(f"MJ_TIERS: {error}") from None
    default_tier = env.get("MJ_DEFAULT_TIER", "").strip().lower() or next(iter(tiers))
    if default_tier not in tiers:
        raise ConfigError(
            f"MJ_DEFAULT_TIER must be one of {', '.join(tiers)}, got {default_tier!r}"
        )
    zone = env.get("MJ_QUOTA_TIMEZONE", "").strip() or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"MJ_QUOTA_TIMEZONE must be a zone like UTC or Asia/Shanghai, got {zone!r}"
        ) from None
    return {
        "tiers": tiers,
        "default_tier": default_tier,
        "quota_timezone": zone,
        "quota_reset_hour": _int(env, "MJ_QUOTA_RESET_HOUR", 0, 0, 23),
    }


def _models(env: Mapping[str, str], default_ref: str) -> dict[str, str]:
    models = {model_alias(default_ref): default_ref}
    for item in filter(None, (part.strip() for part in env.get("MJ_MODELS", "").split(","))):
        name, sep, ref = item.partition("=")
        if not sep or not name.strip() or not ref.strip():
            raise ConfigError(f"MJ_MODELS entries look like name=source, got {item!r}")
        models[name.strip().lower()] = ref.strip()
    return models


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("data")
    model: str = DEFAULT_MODEL
    models: dict[str, str] = field(
        default_factory=lambda: {model_alias(DEFAULT_MODEL): DEFAULT_MODEL}
    )
    device: str = "auto"
    dtype: str = "auto"
    single_file_config: str | None = None
    allow_download: bool = True
    images_per_job: int = 4
    max_prompt_chars: int = 1500
    max_repeat: int = 4
    max_waiting_per_user: int = 10
    max_waiting: int = 1000
    max_running_per_user: int = 1
    batching: str = "auto"  # auto: on for CUDA, off elsewhere (no throughput gain on CPU)
    console_user: str = "local"
    # Banned terms: who manages the global list ("platform:user_id"; the console always may),
    # whether the shipped default terms apply, and the pause after repeated blocks (off at 0).
    owner_ids: frozenset[str] = frozenset()
    filter_defaults: bool = True
    filter_pause_after: int = 0  # blocks within the window that pause a user; 0: never
    filter_pause_window_min: int = 10
    filter_pause_min: int = 30
    # Quotas: tiers (daily credits / jobs waiting / fair-share weight), the tier new users get,
    # and when a quota day starts.
    tiers: dict[str, Tier] = field(default_factory=lambda: {t.name: t for t in DEFAULT_TIERS})
    default_tier: str = "free"
    quota_timezone: str = "UTC"
    quota_reset_hour: int = 0
    # Upscale (U buttons: a 2x hires pass repainting this much), variations (V buttons: strong;
    # after an upscale, Vary Subtle/Strong) and image prompts (URL or attachment downloads).
    upscale_max_side: int = 2048
    upscale_strength: float = 0.3
    # A dedicated upscaler model for U (hub id, diffusers folder, or "tiny-x4" for tests), loaded
    # on the first upscale; None: the hires fix above.
    upscaler: str | None = None
    # LoRA styles: the folder `mjbot loras add` copies files into (None: data_dir / "loras"),
    # and how many adapters a loaded model keeps (least recently used unloaded first).
    lora_dir: Path | None = None
    lora_max_loaded: int = 8
    # "Upscale 4x": a GAN upscaler model file (.pth/.safetensors, spandrel), or "tiny" for tests;
    # None: no such action.
    gan_upscaler: str | None = None
    vary_subtle: float = 0.35
    vary_strong: float = 0.65
    image_fetch_timeout_s: float = 15.0
    allow_private_image_urls: bool = False  # tests only: lets downloads reach 127.0.0.1
    translate: str = "auto"  # Chinese prompts: auto (argos if installed), argos, dictionary, off
    translation_dir: Path | None = None  # argos packages; None: data_dir / "translation"
    # Telegram (bot.adapters.telegram_adapter). The token and secret stay out of repr and logs.
    telegram_token: str | None = field(default=None, repr=False)
    telegram_edit_every_s_group: float = 3.0  # progress edits per job: groups allow 20 msg/min
    telegram_edit_every_s_private: float = 1.0  # private chats: about one message a second
    telegram_base_url: str | None = None  # a self-hosted Bot API server (or a test fake)
    telegram_webhook_url: str | None = None  # public URL Telegram posts to; None: long polling
    telegram_webhook_listen: str = "127.0.0.1"  # behind a TLS-terminating reverse proxy
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: str | None = field(default=None, repr=False)  # None: random
    # Discord: the bot token (kept out of repr, so logging Settings never shows it), a server
    # to sync slash commands to at once while developing (None: global sync), the least time
    # between two progress edits of one message, and roles whose members moderate like
    # Manage Server does.
    discord_token: str | None = field(default=None, repr=False)
    discord_guild_id: int | None = None
    discord_edit_every_s: float = 2.0
    discord_moderator_role_ids: frozenset[int] = frozenset()
    # HTTP API (bot.adapters.http_api): off unless enabled; loopback by default, because it
    # belongs behind a TLS-terminating reverse proxy. public_url makes image URLs absolute
    # for clients on other machines (None: the URL the request came in on).
    http_enabled: bool = False
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    http_max_body: int = 64 * 1024  # bytes; a txt2img body is well under 8 KiB
    http_preview_every_s: float = 1.0  # least time between two previews of one API job
    public_url: str | None = None

    @property
    def db_path(self) -> Path:
        return self.data_dir / "mjbot.db"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def lora_folder(self) -> Path:
        return self.lora_dir or self.data_dir / "loras"

    @property
    def translation_packages_dir(self) -> Path:
        return self.translation_dir or self.data_dir / "translation"

    @property
    def default_model(self) -> str:
        return model_alias(self.model)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build from a mapping (tests pass a dict); by default os.environ after loading .env."""
        if env is None:
            from dotenv import load_dotenv

            load_dotenv()
            env = os.environ
        model = env.get("MJ_MODEL", "").strip() or DEFAULT_MODEL
        return cls(
            data_dir=Path(env.get("MJ_DATA_DIR", "").strip() or "data"),
            model=model,
            models=_models(env, model),
            device=_choice(env, "MJ_DEVICE", "auto", ("auto", "cpu", "cuda", "mps")),
            dtype=_choice(env, "MJ_DTYPE", "auto", ("auto", "float32", "float16", "bfloat16")),
            single_file_config=env.get("MJ_MODEL_CONFIG", "").strip() or None,
            allow_download=_bool(env, "MJ_ALLOW_DOWNLOAD", True),
            images_per_job=_int(env, "MJ_IMAGES_PER_JOB", 4, 1, 4),
            max_prompt_chars=_int(env, "MJ_MAX_PROMPT_CHARS", 1500, 10, 6000),
            max_repeat=_int(env, "MJ_MAX_REPEAT", 4, 1, 40),
            max_waiting_per_user=_int(env, "MJ_MAX_WAITING_PER_USER", 10, 1, 1000),
            max_waiting=_int(env, "MJ_MAX_WAITING", 1000, 1, 100000),
            max_running_per_user=_int(env, "MJ_MAX_RUNNING_PER_USER", 1, 1, 64),
            batching=_choice(env, "MJ_BATCHING", "auto", ("auto", "on", "off")),
            console_user=env.get("MJ_CONSOLE_USER", "").strip() or "local",
            owner_ids=_owner_ids(env),
            filter_defaults=_bool(env, "MJ_FILTER_DEFAULTS", True),
            filter_pause_after=_int(env, "MJ_FILTER_PAUSE_AFTER", 0, 0, 1000),
            filter_pause_window_min=_int(env, "MJ_FILTER_PAUSE_WINDOW_MIN", 10, 1, 10080),
            filter_pause_min=_int(env, "MJ_FILTER_PAUSE_MIN", 30, 1, 10080),
            **_quota(env),
            upscale_max_side=_int(env, "MJ_UPSCALE_MAX_SIDE", 2048, 64, 8192),
            upscale_strength=_float(env, "MJ_UPSCALE_STRENGTH", 0.3, 0.05, 1.0),
            upscaler=env.get("MJ_UPSCALER", "").strip() or None,
            lora_dir=_path(env, "MJ_LORA_DIR"),
            lora_max_loaded=_int(env, "MJ_LORA_MAX_LOADED", 8, 4, 256),
            gan_upscaler=env.get("MJ_GAN_UPSCALER", "").strip() or None,
            vary_subtle=_float(env, "MJ_VARY_SUBTLE", 0.35, 0.05, 1.0),
            vary_strong=_float(env, "MJ_VARY_STRONG", 0.65, 0.05, 1.0),
            image_fetch_timeout_s=_float(env, "MJ_IMAGE_FETCH_TIMEOUT_S", 15.0, 1.0, 120.0),
            allow_private_image_urls=_bool(env, "MJ_ALLOW_PRIVATE_IMAGE_URLS", False),
            translate=_choice(env, "MJ_TRANSLATE", "auto", ("auto", "argos", "dictionary", "off")),
            translation_dir=_path(env, "MJ_TRANSLATION_DIR"),
            telegram_token=env.get("MJ_TELEGRAM_TOKEN", "").strip() or None,
            telegram_edit_every_s_group=_float(env, "MJ_TELEGRAM_EDIT_EVERY_S_GROUP", 3, 0, 60),
            telegram_edit_every_s_private=_float(
                env, "MJ_TELEGRAM_EDIT_EVERY_S_PRIVATE", 1, 0, 60
            ),
            telegram_base_url=_url(env, "MJ_TELEGRAM_BASE_URL"),
            telegram_webhook_url=_url(env, "MJ_TELEGRAM_WEBHOOK_URL"),
            telegram_webhook_listen=env.get("MJ_TELEGRAM_WEBHOOK_LISTEN", "").strip()
            or "127.0.0.1",
            telegram_webhook_port=_int(env, "MJ_TELEGRAM_WEBHOOK_PORT", 8443, 0, 65535),
            telegram_webhook_secret=_webhook_secret(env),
            discord_token=env.get("MJ_DISCORD_TOKEN", "").strip() or None,
            discord_guild_id=_snowflake(env, "MJ_DISCORD_GUILD_ID"),
            discord_edit_every_s=_float(env, "MJ_DISCORD_EDIT_EVERY_S", 2.0, 0.0, 60.0),
            discord_moderator_role_ids=frozenset(_snowflakes(env, "MJ_DISCORD_MODERATOR_ROLES")),
            http_enabled=_bool(env, "MJ_HTTP_ENABLED", False),
            http_host=env.get("MJ_HTTP_HOST", "").strip() or "127.0.0.1",
            http_port=_int(env, "MJ_HTTP_PORT", 8080, 0, 65535),
            http_max_body=_int(env, "MJ_HTTP_MAX_BODY", 64 * 1024, 1024, 16 * 1024 * 1024),
            http_preview_every_s=_float(env, "MJ_HTTP_PREVIEW_EVERY_S", 1.0, 0.0, 60.0),
            public_url=_url(env, "MJ_PUBLIC_URL"),
        )
