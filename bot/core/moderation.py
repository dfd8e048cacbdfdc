"""Banned terms in the core: the check that runs before a job exists, and what the moderator
commands share (`bot.core.term_commands` are the commands themselves).

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
from bot.core.requests import Incoming, Origin
from bot.core.settings import ModerationSettings
from engine.job import PromptPart
from filters.terms import (
    Matcher,
    MatcherCache,
    TermList,
    default_terms,
    effective_terms,
    term_keys,
)
from i18n import Duration, Listing, Message, t, tn
from storage.store import AsyncStore, Store
from storage.terms import ListName

GLOBAL = "global"
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


def valid_scope(scope: str) -> bool:
    return scope == GLOBAL or re.fullmatch(r"[a-z]+:\S+", scope) is not None


def target_scope(rest: str, own: str, owner: bool, refusal: Message) -> tuple[str, str]:
    """The scope a moderator command acts on (its own, or --global / --scope X for an owner),
    checked, and the rest of its text. `refusal`: what a moderator who tries another hears."""
    target = own
    if _GLOBAL_FLAG.search(rest):
        target, rest = GLOBAL, _GLOBAL_FLAG.sub(" ", rest)
    elif match := _SCOPE_FLAG.search(rest):
        target, rest = match[1], _SCOPE_FLAG.sub(" ", rest)
        if not valid_scope(target):
            raise MjError(
                t("--scope takes global or platform:id, got {scope}.", scope=excerpt(target))
            )
    if target != own and not owner:
        raise NotPermitted(refusal)
    return target, rest.strip()


def placed(target: str, own: str, *, here: Message, globally: Message, there: Message) -> Message:
    """The sentence for where a command acted: its own community, the global list (or the
    owners' default), or another scope an owner named. Whole sentences, one per place, so
    each language words them its own way."""
    if target == GLOBAL:
        return globally
    return here if target == own else there


def keyed(terms: Sequence[str]) -> list[tuple[str, str]]:
    """(term, key) pairs for storage: validated terms with the spelling they are matched by."""
    return list(zip(terms, term_keys(terms), strict=True))


def unlist_terms(store: Store, scope: str, which: ListName, terms: Sequence[str]) -> list[str]:
    """Take terms off one of a scope's lists; returns the terms not found there."""
    keys = term_keys(terms)
    removed = set(term_keys(store.terms.remove_terms(scope, which, keys)))
    return [term for term, key in zip(terms, keys, strict=True) if key not in removed]


class Moderation:
    def __init__(self, settings: ModerationSettings, store: AsyncStore) -> None:
        self.settings = settings
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
        terms = Listing.of((quoted(term) for term in found), "plain")
        until = await self._pause_end(origin)
        if until is not None and until > _now():
            message = tn(
                "Not drawn: your prompt contains the banned term {terms}. It cost you nothing. "
                "After {after} blocked prompts you are paused for {pause}.",
                "Not drawn: your prompt contains the banned terms {terms}. It cost you nothing. "
                "After {after} blocked prompts you are paused for {pause}.",
                len(found),
                terms=terms,
                after=self.settings.pause_after,
                pause=_minutes(until - _now()),
            )
        else:
            message = tn(
                "Not drawn: your prompt contains the banned term {terms}. It cost you nothing.",
                "Not drawn: your prompt contains the banned terms {terms}. It cost you nothing.",
                len(found),
                terms=terms,
            )
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
                t(
                    "You are paused for {pause} after {after} blocked prompts. Nothing was "
                    "queued.",
                    pause=_minutes(until - _now()),
                    after=self.settings.pause_after,
                )
            )


def quoted(term: str) -> Message:
    """A term as a message quotes it (“nude”; Taiwan writes 「nude」)."""
    return t("“{term}”", term=term)


def _shown(terms: list[str]) -> str:
    """Terms a moderator typed that are on no list: unchecked, so maybe of any length."""
    return ", ".join(excerpt(term, quote="") for term in terms)


def _now() -> datetime:
    return datetime.now(UTC)


def _minutes(delta: timedelta) -> Duration:
    return Duration(max(1, round(delta.total_seconds() / 60)) * 60, "long")
