"""Themes, LoRAs, models and styles for the core: applied to /mj, listed, limited per community.

`Lookbook` reads the registry (`store.looks`) and applies the pure rules of `bot.core.themes`:
before the parse, a theme's params join the text as defaults; after it, the model, the LoRAs
(with their files, weights and trigger words) and the clip skip are settled, and a community's
limits checked. All of it before anything is charged: a ParamError goes back as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.catalog import (
    Entry,
    choices,
    listing,
    lora_entries,
    model_entries,
    style_entries,
    theme_entries,
)
from bot.core.errors import ParamError
from bot.core.looks import check_name
from bot.core.moderation import scope_for
from bot.core.params import MjRequest
from bot.core.requests import Origin
from bot.core.settings import ModelChoice
from bot.core.themes import (
    ResolvedLoras,
    check_scope,
    merge_loras,
    pick_model,
    resolve_loras,
    theme_named,
    theme_params,
    unknown_theme,
)
from bot.core.user_settings import merge_params
from engine.port import EnginePort
from i18n import Lang, Listing, Message, t, verbatim
from storage.looks import ScopeLooks, ThemeRecord
from storage.store import AsyncStore

KINDS = ("models", "themes", "styles", "loras")
_USAGE = {
    "models": verbatim("--model NAME"),
    "themes": verbatim("--theme NAME"),
    "styles": verbatim("--style NAME"),
    "loras": t("--lora NAME:0.8 or <lora:NAME:0.8>"),
}
_TITLES = {
    "models": t("Models"),
    "themes": t("Themes"),
    "styles": t("Styles"),
    "loras": t("LoRAs"),
}


@dataclass(frozen=True, slots=True)
class Themed:
    """A /mj text with its theme applied, and the community's limits."""

    text: str  # the theme's params merged in as defaults (and --theme when the scope chose it)
    theme: ThemeRecord | None
    scope: ScopeLooks
    default_model: str  # without --model: the bot's default, or the scope's first allowed


@dataclass(frozen=True, slots=True)
class Look:
    """What a job draws with, beyond its prompt."""

    model: str
    theme: str | None
    loras: ResolvedLoras
    clip_skip: int


class Lookbook:
    def __init__(self, store: AsyncStore, engine: EnginePort, models: ModelChoice) -> None:
        self.store = store
        self.engine = engine
        self.models = models

    async def scope(self, origin: Origin) -> ScopeLooks:
        scope = scope_for(origin)
        return await self.store.run(lambda s: s.looks.scope(scope))

    async def theme_text(self, origin: Origin, text: str, field: str | None = None) -> Themed:
        """`text` (normalised, with the user's defaults) with its theme's params as defaults;
        `field`: a theme given apart from the text (the HTTP API's)."""
        scope = await self.scope(origin)
        default_model = pick_model(scope, None, self.models.default)
        named = theme_named(text) or (field.strip().lower() if field else None)
        name = named or scope.default_theme
        if name is None:
            return Themed(text, None, scope, default_model)
        theme = await self.store.run(lambda s: s.looks.theme(name))
        if theme is None:
            themes = await self.store.run(lambda s: [t.name for t in s.looks.themes()])
            raise unknown_theme(name, themes)
        if named is None:  # the community's default: written down, so a 🔄 keeps it
            text = f"{text} --theme {name}"
        return Themed(merge_params(text, theme_params(theme)), theme, scope, default_model)

    async def look(self, request: MjRequest, themed: Themed) -> Look:
        """The model, LoRAs and clip skip of a parsed request; ParamError for what is refused."""
        model = request.model or themed.default_model
        theme = themed.theme.name if themed.theme else None
        check_scope(themed.scope, theme, model)
        refs = merge_loras(themed.theme, request.loras)
        registry = {}
        if refs:  # the whole registry: an unknown name is answered with the known ones
            registry = await self.store.run(lambda s: {r.name: r for r in s.looks.loras()})
        family = self.engine.profile(model).family
        loras = resolve_loras(refs, registry, model, family, self.models.lora_dir)
        clip_skip = request.clip_skip or self.models.clip_skip.get(model, 1)
        return Look(model, theme, loras, clip_skip)

    async def entries(self, kind: str, origin: Origin) -> list[Entry]:
        if kind == "styles":
            return style_entries()
        scope = await self.scope(origin)
        if kind == "models":
            families = {name: self.engine.profile(name).family for name in self.models.names}
            return model_entries(families, self.models.default, scope)
        if kind == "themes":
            return theme_entries(await self.store.run(lambda s: s.looks.themes()), scope)
        return lora_entries(await self.store.run(lambda s: s.looks.loras()))

    async def listing(self, kind: str, origin: Origin) -> Message:
        """/models, /themes, /styles, /loras."""
        return listing(_TITLES[kind], await self.entries(kind, origin), _USAGE[kind])

    async def choices(
        self, kind: str, origin: Origin, typed: str, lang: Lang = Lang.EN
    ) -> list[tuple[str, str]]:
        """Autocomplete for /mj's model, theme and style options: (label, value) pairs, the
        labels in `lang`."""
        return choices(typed, await self.entries(kind, origin), lang)

    async def limit(self, origin: Origin, kind: str, names: str, by: str) -> Message:
        """A moderator's /allow-themes or /allow-models: only these here ("all": no limit)."""
        scope = scope_for(origin)
        words = [w for w in names.replace(",", " ").split() if w]
        wanted = [] if [w.lower() for w in words] == ["all"] else words
        known = await self._names(kind)
        keys = [check_name(kind.capitalize(), word) for word in wanted]
        unknown = [key for key in keys if key not in known]
        if unknown:
            values = {
                "unknown": Listing.of(unknown, "plain"),
                "known": Listing.of(sorted(known), "plain") if known else t("none yet"),
            }
            raise ParamError(
                t("Unknown themes: {unknown}. Known: {known}.", **values)
                if kind == "theme"
                else t("Unknown models: {unknown}. Known: {known}.", **values)
            )
        await self.store.run(lambda s: s.looks.set_allowed(scope, kind, keys, by))
        chosen = Listing.of(dict.fromkeys(keys), "plain")
        if kind == "theme":
            if not keys:
                return t("Every theme is allowed here again.")
            return t("Only these themes are allowed here now: {names}.", names=chosen)
        if not keys:
            return t("Every model is allowed here again.")
        return t("Only these models are allowed here now: {names}.", names=chosen)

    async def set_default_theme(self, origin: Origin, name: str, by: str) -> Message:
        """A moderator's /default-theme NAME (or "none")."""
        scope = scope_for(origin)
        key = None if name.strip().lower() in ("", "none", "off") else check_name("Theme", name)
        if key is not None and key not in await self._names("theme"):
            themes = await self._names("theme")
            raise unknown_theme(key, sorted(themes))
        await self.store.run(lambda s: s.looks.set_default_theme(scope, key, by))
        if key is None:
            return t("No default theme here now: prompts without --theme use the plain model.")
        return t("Prompts here without --theme now use the theme '{theme}'.", theme=key)

    async def _names(self, kind: str) -> set[str]:
        if kind == "model":
            return set(self.models.names)
        return set(await self.store.run(lambda s: [t.name for t in s.looks.themes()]))
