"""Banned terms in the core: the check that runs before a job exists, and moderator commands.

Scopes: "global" holds the shipped defaults (`filters/default_terms`, unless
MJ_FILTER_DEFAULTS=false) plus the owner's additions; "<platform>:<community>" (`scope_for`)
holds one community's additions and allowed terms. A prompt answers to global + its scope.

Who may change a list:
- a community's moderators (the adapter sets `Incoming.is_moderator`: Discord's Manage Server
  or a configured role, Telegram's group administrators): their own scope;
- the owner (MJ_OWNER_IDS, "platform:user_id" entries): any scope, `--global` included;
- the console: it is the owner, because whoever types there runs the bot on their machine.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.core.errors import MjError, NotPermitted, PromptBlocked, excerpt
from bot.core.numbers import whole_number
from bot.core.permissions import is_owner
from bot.core.requests import Incoming, Origin, Reply, ReplyKind
from bot.core.settings import ModerationSettings
from engine.job import PromptPart
from filters.terms import (
    Matcher,
    MatcherCache,
    TermError,
    TermList,
    check_term,
    default_terms,
    effective_terms,
    term_keys,
)
from storage.store import AsyncStore, Store
from storage.terms import ListName

GLOBAL = "global"
PAGE_SIZE = 25
MAX_PAGE = 1_000_000  # far beyond any list, and an offset SQLite can hold
USAGE = (
    "Moderators: /ban-term TERM, TERM… · /unban-term TERM… · /allow-term TERM… · "
    "/banned-terms [page]. Separate terms with commas; `*` ends or starts a word (nud*). "
    "The owner adds --global (or --scope platform:id) to manage another list."
)
_TERM_SEPARATORS = re.compile(r"[,，、;；\n]+")
_GLOBAL_FLAG = re.compile(r"(?<!\S)--global(?!\S)")
_SCOPE_FLAG = re.compile(r"(?<!\S)--scope(?:\s+|=)(\S+)")


def scope_for(origin: Origin) -> str:
    """The list a message answers to: its community's (`Origin.scope_id`: a Discord server's
    one list for all its channels, a Telegram group's), else its chat's (a DM, the console)."""
    return f"{origin.platform}:{origin.scope_id or origin.chat_id}"


def screened_texts(prompts: Sequence[PromptPart]) -> list[str]:
    """Every ::part, whatever its weight: each is stored and shown in the caption, and a
    `bad::0` (or `bad::-0.01`) draws nothing while showing everything. The parts that draw
    are one text (a term split over `::` parts still counts), the others another. `--no`
    values are shown as what to keep out: they are not checked."""
    drawn = [part.text for part in prompts if part.weight > 0]
    shown = [part.text for part in prompts if part.weight <= 0]
    return [", ".join(texts) for texts in (drawn, shown) if texts]


def load_terms(store: Store, scope: str, defaults: bool) -> TermList:
    """What applies in `scope`: the defaults, the global list, then the scope's own list."""
    layers = [default_terms()] if defaults else []
    for name in dict.fromkeys((GLOBAL, scope)):
        banned, allowed = store.terms.lists(name)
        layers.append(TermList(tuple(banned), tuple(allowed)))
    return effective_terms(layers)


def paused_until(
    blocks: Sequence[datetime], after: int, window: timedelta, pause: timedelta
) -> datetime | None:
    """When a user's pause ends: `after` blocks within `window` pause them for `pause` from
    the last of those blocks. `blocks` oldest first; None if they never were paused."""
    end = None
    for last in range(after - 1, len(blocks)) if after > 0 else ():
        if blocks[last] - blocks[last - after + 1] <= window:
            end = blocks[last] + pause
    return end


def split_terms(text: str) -> list[str]:
    """'nsfw, child porn，裸体' -> the terms, validated (MjError with the reason if one is bad)."""
    terms = [part.strip() for part in _TERM_SEPARATORS.split(text) if part.strip()]
    try:
        return [check_term(term) for term in terms]
    except TermError as error:
        raise MjError(str(error)) from None


def valid_scope(scope: str) -> bool:
    return scope == GLOBAL or re.fullmatch(r"[a-z]+:\S+", scope) is not None


def target_scope(rest: str, own: str, owner: bool, what: str) -> tuple[str, str]:
    """The scope a moderator command acts on (its own, or --global / --scope X for an owner),
    checked, and the rest of its text."""
    target = own
    if _GLOBAL_FLAG.search(rest):
        target, rest = GLOBAL, _GLOBAL_FLAG.sub(" ", rest)
    elif match := _SCOPE_FLAG.search(rest):
        target, rest = match[1], _SCOPE_FLAG.sub(" ", rest)
        if not valid_scope(target):
            raise MjError(f"--scope takes global or platform:id, got {excerpt(target)}.")
    if target != own and not owner:
        raise NotPermitted(f"Only the bot's owner can manage the global or another {what}.")
    return target, rest.strip()


def keyed(terms: Sequence[str]) -> list[tuple[str, str]]:
    """(term, key) pairs for storage: validated terms with the spelling they are matched by."""
    return list(zip(terms, term_keys(terms), strict=True))


def unlist_terms(store: Store, scope: str, which: ListName, terms: Sequence[str]) -> list[str]:
    """Take terms off one of a scope's lists; returns the terms not found there."""
    keys = term_keys(terms)
    removed = set(term_keys(store.terms.remove_terms(scope, which, keys)))
    return [term for term, key in zip(terms, keys, strict=True) if key not in removed]


class Moderation:
    def __init__(
        self, settings: ModerationSettings, owners: frozenset[str], store: AsyncStore
    ) -> None:
        self.settings = settings
        self.owners = owners
        self.store = store
        self._matchers = MatcherCache()

    # the check -------------------------------------------------------------------------------
    async def matcher(self, scope: str) -> Matcher:
        """The compiled lists of `scope`, rebuilt only after one of them changed."""
        scopes = tuple(dict.fromkeys((GLOBAL, scope)))
        key = (scopes, self.settings.filter_defaults)
        revisions = await self.store.run(lambda s: s.terms.revisions(scopes))
        matcher = self._matchers.get((key, revisions))
        if matcher is None:
            defaults = self.settings.filter_defaults
            terms = await self.store.run(lambda s: load_terms(s, scope, defaults))
            # Thousands of terms take a noticeable moment to compile: off the event loop.
            matcher = await asyncio.to_thread(Matcher, terms)
            self._matchers.put((key, revisions), matcher)
        return matcher

    async def check_prompt(self, texts: list[str], scope: str) -> list[str]:
        """The banned terms found in any of `texts` under `scope`'s lists; [] if none.

        Callers pass every positive text: as typed, and its English translation where one
        is made, so a term banned in either language is caught."""
        return (await self.matcher(scope)).find(texts)

    async def screen(self, incoming: Incoming, prompt: str, texts: list[str]) -> None:
        """Refuse (PromptBlocked, recorded in the audit table) a prompt that may not be drawn."""
        origin = incoming.origin
        await self._refuse_if_paused(origin)
        scope = scope_for(origin)
        found = await self.check_prompt(texts, scope)
        if not found:
            return
        await self.store.run(
            lambda s: s.terms.record_block(
                platform=origin.platform,
                user_id=origin.user_id,
                user_name=incoming.user_name,
                scope=scope,
                chat_id=origin.chat_id,
                prompt=prompt,
                terms=found,
            )
        )
        quoted = ", ".join(f"“{term}”" for term in found)
        noun = "the banned term" if len(found) == 1 else "the banned terms"
        message = f"Not drawn: your prompt contains {noun} {quoted}. It cost you nothing."
        until = await self._pause_end(origin)
        if until is not None and until > _now():
            message += f" After {self.settings.pause_after} blocked prompts you are "
            message += f"paused for {_minutes(until - _now())}."
        raise PromptBlocked(message, tuple(found))

    async def _pause_end(self, origin: Origin) -> datetime | None:
        after = self.settings.pause_after
        if after <= 0:
            return None
        window = timedelta(minutes=self.settings.pause_window_min)
        pause = timedelta(minutes=self.settings.pause_min)
        since = (_now() - window - pause).isoformat(timespec="milliseconds")
        times = await self.store.run(
            lambda s: s.terms.block_times(origin.platform, origin.user_id, since)
        )
        return paused_until([datetime.fromisoformat(t) for t in times], after, window, pause)

    async def _refuse_if_paused(self, origin: Origin) -> None:
        until = await self._pause_end(origin)
        if until is not None and until > _now():
            raise PromptBlocked(
                f"You are paused for {_minutes(until - _now())} after "
                f"{self.settings.pause_after} blocked prompts. Nothing was queued."
            )

    # the commands ----------------------------------------------------------------------------
    def is_owner(self, origin: Origin) -> bool:
        return is_owner(self.owners, origin)

    async def command(self, incoming: Incoming, command: str, rest: str) -> Reply:
        """Run one moderator command (the dispatch checked the caller moderates here)."""
        name = command
        own = scope_for(incoming.origin)
        target, rest = target_scope(rest, own, self.is_owner(incoming.origin), "list")
        where = "globally" if target == GLOBAL else "here" if target == own else f"in {target}"
        if name == "banned-terms":
            text = await self._listing(target, where, rest)
        else:
            terms = split_terms(rest)
            if not terms:
                raise MjError(USAGE)
            by = incoming.origin.user_key
            if name == "ban-term":
                text = await self._ban(target, where, terms, by)
            elif name == "allow-term":
                text = await self._allow(target, where, terms, by)
            else:
                text = await self._unban(target, where, terms)
        return Reply(ReplyKind.TEXT, text, ephemeral=True)

    async def _ban(self, target: str, where: str, terms: list[str], by: str) -> str:
        added = await self.store.run(lambda s: s.terms.ban(target, keyed(terms), by))
        already = [term for term in terms if term not in added]
        text = f"Banned {where}: {', '.join(added)}." if added else ""
        return " ".join(filter(None, [text, _listed("Already banned", already)]))

    async def _allow(self, target: str, where: str, terms: list[str], by: str) -> str:
        added = await self.store.run(lambda s: s.terms.allow(target, keyed(terms), by))
        already = [term for term in terms if term not in added]
        text = f"Allowed {where}: {', '.join(added)}. " if added else ""
        text += "A banned term found inside an allowed one no longer counts." if added else ""
        return " ".join(filter(None, [text, _listed("Already allowed", already)]))

    async def _unban(self, target: str, where: str, terms: list[str]) -> str:
        missing = await self.store.run(lambda s: unlist_terms(s, target, "banned", terms))
        removed = [term for term in terms if term not in missing]
        text = f"No longer banned {where}: {', '.join(removed)}." if removed else ""
        if missing and target != GLOBAL:
            hint = "they may come from the global list; /allow-term lets one through here"
            text += f" Not on this list: {_shown(missing)} ({hint})."
        elif missing:
            text += f" Not on the global list: {_shown(missing)}."
        return text.strip()

    async def _listing(self, target: str, where: str, rest: str) -> str:
        page = whole_number(rest, 1, MAX_PAGE) if rest else 1
        if page is None:
            raise MjError(USAGE)

        def read(s: Store) -> tuple[int, list[str], list[str]]:
            count = s.terms.count_terms(target, "banned")
            offset = (page - 1) * PAGE_SIZE
            banned = s.terms.list_terms(target, "banned", limit=PAGE_SIZE, offset=offset)
            return count, banned, s.terms.list_terms(target, "allowed")

        count, banned, allowed = await self.store.run(read)
        pages = max(-(-count // PAGE_SIZE), 1)
        lines = [f"Banned {where}: {count} term(s), page {min(page, pages)}/{pages}."]
        lines.append(", ".join(banned) if banned else "(none on this page)")
        if allowed:
            lines.append(f"Allowed {where}: {', '.join(allowed)}.")
        if target == GLOBAL and self.settings.filter_defaults:
            lines.append(f"The {len(default_terms().banned)} shipped default terms apply too.")
        elif target != GLOBAL:
            lines.append("The global list applies too.")
        return "\n".join(lines)


def _listed(label: str, terms: list[str]) -> str:
    return f"{label}: {', '.join(terms)}." if terms else ""


def _shown(terms: list[str]) -> str:
    """Terms a moderator typed that are on no list: unchecked, so maybe of any length."""
    return ", ".join(excerpt(term, quote="") for term in terms)


def _now() -> datetime:
    return datetime.now(UTC)


def _minutes(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
