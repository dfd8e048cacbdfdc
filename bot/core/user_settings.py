"""Users' default /mj params (`/settings`): added to a /mj for every param it does not set.

`merge_params` and `canonical_params` are pure; `UserSettings` keeps each platform user's
defaults in SQLite and answers `/settings [params | clear]` for every adapter alike.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.errors import ParamError
from bot.core.language import name_of
from bot.core.params_tokens import ALIASES, SPELLING, normalize_input, split_params
from bot.core.requests import Origin, Reply, ReplyKind
from i18n import sentences, t
from storage.store import AsyncStore

USAGE = t(
    "/settings --ar 16:9 --model NAME sets the parameters added to your /mj when it does not "
    "set them itself (what you type wins). /settings shows them; /settings clear removes them; "
    "/settings remix on|off asks for the prompt before variations and zooms; /settings lang "
    "zh-Hans, zh-Hant, en or auto sets the language the bot answers you in."
)
CLEAR_WORDS = ("clear", "reset", "none", "off")
# Params that would change every job in a way a user would not expect from a default.
NOT_DEFAULTS = {
    "seed": t("every grid would be the same"),
    "repeat": t("every /mj would run several jobs"),
    "image_weight": t("it needs an image prompt"),
}


def _field(name: str) -> str:
    """The field a param name sets; an unknown name stands for itself (the parser refuses it)."""
    return ALIASES.get(name, name)


def canonical_params(text: str) -> str:
    """'—ar 16：9  --Model xl' -> '--ar 16:9 --model xl'. ParamError for prompt text or a param
    that cannot be a default. Values are not checked here: the caller parses the result."""
    head, pairs = split_params(normalize_input(text))
    if head:
        raise ParamError(
            t(
                "/settings takes parameters only, and '{text}' is not one. {usage}",
                text=head,
                usage=USAGE,
            )
        )
    parts = []
    for name, value in pairs:
        field = _field(name)
        if field in NOT_DEFAULTS:
            raise ParamError(
                t(
                    "--{name} cannot be a default: {reason}. Put it in the /mj itself.",
                    name=name,
                    reason=NOT_DEFAULTS[field],
                )
            )
        parts.append(f"--{SPELLING.get(field, name)} {value}".rstrip())
    return " ".join(parts)


def merge_params(typed: str, defaults: str) -> str:
    """'a fox --ar 1:1' + '--ar 16:9 --model xl' -> 'a fox --ar 1:1 --model xl'.

    `typed` went through `normalize_input` already. Typed params win, whatever spelling they
    use (`--aspect` overrides a default `--ar`).
    """
    _, default_pairs = split_params(defaults)
    if not default_pairs:
        return typed
    _, typed_pairs = split_params(typed)
    given = {_field(name) for name, _ in typed_pairs}
    extra = [
        f"--{name} {value}".rstrip() for name, value in default_pairs if _field(name) not in given
    ]
    return " ".join([typed.strip(), *extra]) if extra else typed


class UserSettings:
    def __init__(self, store: AsyncStore, parse: Callable[[str], object]) -> None:
        self.store = store
        self.parse = parse  # the service's /mj parser: defaults are checked like a /mj

    async def defaults(self, origin: Origin) -> str:
        params = await self.store.run(lambda s: s.defaults.get(origin.platform, origin.user_id))
        return params or ""

    async def command(self, origin: Origin, rest: str) -> Reply:
        """`/settings`: show; `/settings clear`: remove; `/settings PARAMS`: replace them all."""
        rest = rest.strip()
        words = rest.lower().split()
        if words[:1] == ["remix"]:
            return await self._remix(origin, words[1:])
        if not rest:
            current = await self.defaults(origin)
            remix = await self.store.run(
                lambda s: s.editing.remix(origin.platform, origin.user_id)
            )
            text = sentences(
                [
                    t("Your defaults: {params}.", params=current)
                    if current
                    else t("No defaults."),
                    t("Remix is on.") if remix else t("Remix is off."),
                    t("The bot answers you in {language}.", language=name_of(origin.lang)),
                    USAGE,
                ]
            )
        elif rest.lower() in CLEAR_WORDS:
            await self.store.run(lambda s: s.defaults.clear(origin.platform, origin.user_id))
            text = t("Your defaults are cleared: /mj uses the bot's own again.")
        else:
            params = canonical_params(rest)
            self.parse(f"x {params}")  # a bad value fails now, not on every later /mj
            await self.store.run(lambda s: s.defaults.set(origin.platform, origin.user_id, params))
            text = t(
                "Saved. Your /mj now gets {params} unless it sets them itself.", params=params
            )
        return Reply(ReplyKind.TEXT, text, ephemeral=True)

    async def _remix(self, origin: Origin, words: list[str]) -> Reply:
        """`/settings remix on|off`: V1-V4, Vary (Subtle/Strong) and Custom Zoom ask for the
        prompt first (pre-filled), and the edited one is drawn."""
        if words not in (["on"], ["off"]):
            raise ParamError(t("Use /settings remix on, or /settings remix off."))
        on = words == ["on"]
        await self.store.run(lambda s: s.editing.set_remix(origin.platform, origin.user_id, on))
        if on:
            text = t(
                "Remix is on: V1-V4, Vary (Subtle/Strong), Custom Zoom and Vary (Region) now "
                "ask for the prompt first."
            )
        else:
            text = t("Remix is off: the buttons draw with the job's own prompt.")
        return Reply(ReplyKind.TEXT, text, ephemeral=True)
