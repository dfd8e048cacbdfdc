"""Settings: frozen groups, one per concern, built from environment values (and .env) at once.

Each group is defined next to what reads it and writes its defaults once: the core's in
`bot.core.settings`, the front ends' in `bot.adapters.settings`, the engine's and the
translator's in `bot.config_groups` (the composition root builds those). `ENV`
(`bot.config_env`) maps every variable onto one field of one group; an unset (or empty)
variable keeps the field's default. Here: `Settings`, which gathers the groups and builds them
from the environment, and the checks no single variable can make.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from bot.adapters.settings import ConsoleSettings, DiscordSettings, HttpSettings, TelegramSettings
from bot.config_env import ENV
from bot.config_groups import (
    EngineSettings,
    ModelSettings,
    QueueSettings,
    SafetyCheckSettings,
    TranslationSettings,
)
from bot.config_values import ConfigError
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
from engine.profiles import model_alias
from engine.tuning import Tuning
from filters.safety_policy import Mode, PolicyError, SafetyPolicy

__all__ = ["ConfigError", "Settings"]


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


# Settings fields that are groups; ENV's "" group is a field of Settings itself.
GROUPS = {f.name for f in fields(Settings) if f.name not in ("data_dir", "owners")}


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
