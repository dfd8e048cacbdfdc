"""The banned-terms commands: /ban-term, /unban-term, /allow-term, /banned-terms.

A community's moderators change its own list; the owner adds --global (or --scope
platform:id) for another (see `bot.core.moderation`, which checks prompts against them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.errors import MjError, excerpt
from bot.core.moderation import (
    GLOBAL,
    keyed,
    placed,
    scope_for,
    target_scope,
    unlist_terms,
)
from bot.core.numbers import whole_number
from bot.core.permissions import is_owner
from bot.core.requests import Incoming, Reply, ReplyKind
from bot.core.settings import ModerationSettings
from filters.terms import TermError, check_term, default_terms
from i18n import Listing, Message, sentences, t, tn, verbatim
from i18n import lines as joined
from storage.store import AsyncStore, Store

PAGE_SIZE = 25
MAX_PAGE = 1_000_000  # far beyond any list, and an offset SQLite can hold
USAGE = t(
    "Moderators: /ban-term TERM, TERM… · /unban-term TERM… · /allow-term TERM… · "
    "/banned-terms [page]. Separate terms with commas; `*` ends or starts a word (nud*). "
    "The owner adds --global (or --scope platform:id) to manage another list."
)
_TERM_SEPARATORS = re.compile(r"[,，、;；\n]+")


@dataclass(frozen=True, slots=True)
class _Listing:
    """What adding terms to one kind of list answers: whole sentences per place (filled with
    the terms), for those already there, and a note after those added."""

    here: Message
    globally: Message
    there: Message
    already: Message
    note: Message | None = None


_BANNED = _Listing(
    t("Banned here: {terms}."),
    t("Banned globally: {terms}."),
    t("Banned in {scope}: {terms}."),
    t("Already banned: {terms}."),
)
_ALLOWED = _Listing(
    t("Allowed here: {terms}."),
    t("Allowed globally: {terms}."),
    t("Allowed in {scope}: {terms}."),
    t("Already allowed: {terms}."),
    t("A banned term found inside an allowed one no longer counts."),
)


def split_terms(text: str) -> list[str]:
    """'nsfw, child porn，裸体' -> the terms, validated (MjError with the reason if one is bad)."""
    terms = [part.strip() for part in _TERM_SEPARATORS.split(text) if part.strip()]
    try:
        return [check_term(term) for term in terms]
    except TermError as error:
        raise MjError(error.message) from None


class TermCommands:
    def __init__(
        self, settings: ModerationSettings, owners: frozenset[str], store: AsyncStore
    ) -> None:
        self.settings = settings
        self.owners = owners
        self.store = store

    async def command(self, incoming: Incoming, command: str, rest: str) -> Reply:
        """Run one moderator command (the dispatch checked the caller moderates here)."""
        name = command
        own = scope_for(incoming.origin)
        refusal = t("Only the bot's owner can manage the global or another list.")
        target, rest = target_scope(rest, own, is_owner(self.owners, incoming.origin), refusal)
        if name == "banned-terms":
            text = await self._listing(target, own, rest)
        else:
            terms = split_terms(rest)
            if not terms:
                raise MjError(USAGE)
            by = incoming.origin.user_key
            if name == "ban-term":
                text = await self._ban(target, own, terms, by)
            elif name == "allow-term":
                text = await self._allow(target, own, terms, by)
            else:
                text = await self._unban(target, own, terms)
        return Reply(ReplyKind.TEXT, text, ephemeral=True)

    async def _ban(self, target: str, own: str, terms: list[str], by: str) -> Message:
        added = await self.store.run(lambda s: s.terms.ban(target, keyed(terms), by))
        return _listed(target, own, terms, added, _BANNED)

    async def _allow(self, target: str, own: str, terms: list[str], by: str) -> Message:
        added = await self.store.run(lambda s: s.terms.allow(target, keyed(terms), by))
        return _listed(target, own, terms, added, _ALLOWED)

    async def _unban(self, target: str, own: str, terms: list[str]) -> Message:
        missing = await self.store.run(lambda s: unlist_terms(s, target, "banned", terms))
        removed = _terms(term for term in terms if term not in missing)
        parts = []
        if len(missing) < len(terms):
            parts.append(
                placed(
                    target,
                    own,
                    here=t("No longer banned here: {terms}.", terms=removed),
                    globally=t("No longer banned globally: {terms}.", terms=removed),
                    there=t("No longer banned in {scope}: {terms}.", scope=target, terms=removed),
                )
            )
        if missing and target != GLOBAL:
            parts.append(
                t(
                    "Not on this list: {terms} (they may come from the global list; "
                    "/allow-term lets one through here).",
                    terms=_unlisted(missing),
                )
            )
        elif missing:
            parts.append(t("Not on the global list: {terms}.", terms=_unlisted(missing)))
        return sentences(parts)

    async def _listing(self, target: str, own: str, rest: str) -> Message:
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
        shown = {"count": count, "page": min(page, pages), "pages": pages}
        lines = [
            placed(
                target,
                own,
                here=tn(
                    "Banned here: {count} term, page {page}/{pages}.",
                    "Banned here: {count} terms, page {page}/{pages}.",
                    count,
                    **shown,
                ),
                globally=tn(
                    "Banned globally: {count} term, page {page}/{pages}.",
                    "Banned globally: {count} terms, page {page}/{pages}.",
                    count,
                    **shown,
                ),
                there=tn(
                    "Banned in {scope}: {count} term, page {page}/{pages}.",
                    "Banned in {scope}: {count} terms, page {page}/{pages}.",
                    count,
                    scope=target,
                    **shown,
                ),
            ),
            verbatim(", ".join(banned)) if banned else t("(none on this page)"),
        ]
        if allowed:
            listed = _terms(allowed)
            lines.append(
                placed(
                    target,
                    own,
                    here=t("Allowed here: {terms}.", terms=listed),
                    globally=t("Allowed globally: {terms}.", terms=listed),
                    there=t("Allowed in {scope}: {terms}.", scope=target, terms=listed),
                )
            )
        if target == GLOBAL and self.settings.filter_defaults:
            lines.append(
                t(
                    "The {count} shipped default terms apply too.",
                    count=len(default_terms().banned),
                )
            )
        elif target != GLOBAL:
            lines.append(t("The global list applies too."))
        return joined(lines)


def _terms(terms: Iterable[str]) -> Listing:
    return Listing.of(terms, "plain")


def _unlisted(terms: list[str]) -> Listing:
    """Terms a moderator typed that are on no list: unchecked, so maybe of any length."""
    return Listing.of((excerpt(term, quote="") for term in terms), "plain")


def _listed(
    target: str, own: str, terms: list[str], added: list[str], listing: _Listing
) -> Message:
    """The answer to adding `terms` to a list, `added` being those that were not on it."""
    already = [term for term in terms if term not in added]
    done = _terms(added)
    parts = []
    if added:
        parts.append(
            placed(
                target,
                own,
                here=listing.here.with_values(terms=done),
                globally=listing.globally.with_values(terms=done),
                there=listing.there.with_values(scope=target, terms=done),
            )
        )
        if listing.note is not None:
            parts.append(listing.note)
    if already:
        parts.append(listing.already.with_values(terms=_terms(already)))
    return sentences(parts)
