"""Which language the bot answers in, and the commands that choose it.

A request is answered in the first language these name (`choose`):

    1. the user's own choice               /settings lang zh-Hans | zh-Hant | en | auto
    2. their community's default           /default-lang ... (its moderators; by the scope
                                           banned terms use: a server, a group, a DM)
    3. what their platform says they read  Discord's interaction locale, Telegram's
                                           language_code, the console's MJ_LANG or locale,
                                           HTTP's Accept-Language (`Incoming.locale`)
    4. what they wrote                     a Chinese prompt's script (Simplified or
                                           Traditional); a button: its job's language
    5. English

Choices made on purpose (1, 2) come before guesses (3, 4): many Chinese-speaking Telegram
users run an English app (Telegram has no official Chinese), so a group's default must beat
their language_code. Jobs keep the language of the request that made them (`Origin.lang`), so
a result delivered after a restart is written in it too.

The adapters talk to the core only, so the core hands on what they need to write their own
few messages (`t`, `render`, the tag parsers).
"""

from __future__ import annotations

from bot.core.errors import MjError
from bot.core.moderation import GLOBAL, scope_for, target_scope
from bot.core.permissions import is_owner
from bot.core.requests import Incoming, Reply, ReplyKind
from i18n import (
    Lang,
    Listing,
    Message,
    MessageError,
    from_accept_language,
    from_environment,
    parse_tag,
    render,
    t,
    verbatim,
)
from lexicon.script import is_traditional
from storage.store import AsyncStore, Store
from translate.detect import contains_chinese

__all__ = [
    "Lang",
    "Languages",
    "Listing",
    "Message",
    "MessageError",
    "choose",
    "from_accept_language",
    "from_environment",
    "parse_tag",
    "render",
    "t",
    "verbatim",
    "written_in",
]

# Each language named in itself, as language pickers do.
NAMES = {Lang.EN: "English", Lang.ZH_HANS: "简体中文", Lang.ZH_HANT: "繁體中文"}
AUTO_WORDS = ("auto", "default", "自动", "自動", "默认", "預設")
# Words people type for a language besides its tag (parse_tag reads zh-CN, zh-TW, en-US...).
_WORDS = {
    "english": Lang.EN,
    "英文": Lang.EN,
    "英语": Lang.EN,
    "英語": Lang.EN,
    "中文": Lang.ZH_HANS,
    "简体": Lang.ZH_HANS,
    "简体中文": Lang.ZH_HANS,
    "簡體": Lang.ZH_HANS,
    "簡體中文": Lang.ZH_HANS,
    "繁体": Lang.ZH_HANT,
    "繁体中文": Lang.ZH_HANT,
    "繁體": Lang.ZH_HANT,
    "繁體中文": Lang.ZH_HANT,
}


def written_in(text: str | None) -> Lang | None:
    """The script of a text with Chinese in it: Traditional if any character is written
    differently in Simplified, else Simplified. None for text without Chinese."""
    if not text or not contains_chinese(text):
        return None
    return Lang.ZH_HANT if is_traditional(text) else Lang.ZH_HANS


def choose(
    user: Lang | None, scope: Lang | None, locale: Lang | None, written: Lang | None
) -> Lang:
    """The first language named, in the order of the module docstring."""
    return next((lang for lang in (user, scope, locale, written) if lang is not None), Lang.EN)


def read_choice(word: str) -> Lang | None:
    """'zh-Hans', 'zh-TW', '繁體', 'en'... -> the language; 'auto' -> None (automatic).
    MjError naming the choices for anything else."""
    key = word.strip().lower()
    if key in AUTO_WORDS:
        return None
    found = _WORDS.get(key) or parse_tag(key)
    if found is None:
        raise MjError(
            t(
                "Unknown language '{word}': choose zh-Hans (简体中文), zh-Hant (繁體中文), "
                "en (English) or auto.",
                word=word.strip(),
            )
        )
    return found


def name_of(lang: Lang | None) -> Message:
    """A language as users read it: its own name and tag, or "automatic"."""
    return t("automatic") if lang is None else verbatim(f"{NAMES[lang]} ({lang})")


def _stored(tag: str | None) -> Lang | None:
    return None if tag is None else parse_tag(tag)


class Languages:
    def __init__(self, store: AsyncStore, owners: frozenset[str]) -> None:
        self.store = store
        self.owners = owners

    async def resolve(self, incoming: Incoming) -> Lang:
        """The language to answer `incoming` in."""
        origin, button, scope = incoming.origin, incoming.button, scope_for(incoming.origin)

        def read(s: Store) -> tuple[str | None, str | None, str | None]:
            user, default = s.languages.chosen(origin.platform, origin.user_id, scope)
            job = s.jobs.get(button.job_id) if button is not None else None
            return user, default, (job or {}).get("lang")

        user, default, job_lang = await self.store.run(read)
        written = _stored(job_lang) if button is not None else written_in(incoming.text)
        return choose(_stored(user), _stored(default), incoming.locale, written)

    async def set_user(self, incoming: Incoming, word: str) -> Reply:
        """/settings lang X: the user's own language (auto: the bot picks again). The answer
        is in the language they now get, which shows it worked."""
        lang = read_choice(word)
        origin = incoming.origin
        tag = None if lang is None else lang.value
        await self.store.run(lambda s: s.languages.set_user(origin.platform, origin.user_id, tag))
        if lang is None:
            text = t(
                "The bot picks your language again: your community's default, your app's "
                "language, or the one you write in."
            )
        else:
            text = t("The bot now answers you in {language}.", language=name_of(lang))
        shown = lang or await self.resolve(incoming)
        return Reply(ReplyKind.TEXT, text, ephemeral=True).in_language(shown)

    async def command(self, incoming: Incoming, rest: str) -> Reply:
        """/default-lang [LANG | auto]: show or set the community's default (the dispatch
        checked the caller moderates here; owners add --global or --scope)."""
        own = scope_for(incoming.origin)
        owner = is_owner(self.owners, incoming.origin)
        refusal = t("Only the bot's owner can set another community's default language.")
        target, rest = target_scope(rest, own, owner, refusal)
        if target == GLOBAL:
            raise MjError(t("There is no global default language: each community sets its own."))
        if not rest:
            current = await self.store.run(lambda s: s.languages.chosen("", "", target)[1])
            text = t(
                "Default language here: {language}. Set it with /default-lang zh-Hans, "
                "zh-Hant or en; /default-lang auto lets each member's app decide.",
                language=name_of(_stored(current)),
            )
            return Reply(ReplyKind.TEXT, text, ephemeral=True)
        lang = read_choice(rest)
        by = incoming.origin.user_key
        tag = None if lang is None else lang.value
        await self.store.run(lambda s: s.languages.set_scope(target, tag, by))
        if lang is None:
            text = t("No default language here now: each member's app decides.")
        else:
            text = t(
                "The bot now answers in {language} here, except to members who chose their "
                "own language (/settings lang).",
                language=name_of(lang),
            )
        return Reply(ReplyKind.TEXT, text, ephemeral=True)
