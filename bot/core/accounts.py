"""Users' credits in the core: charge a job with its insert, refund, and the quota commands.

Permissions: `quota-grant`, `quota-set`, `quota-reset`, `block` and `unblock` are for the
community's moderators and the owners; `tier-set` is for owners only, because a tier changes a
user's share of the one GPU everywhere, not in one community.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import commands, render
from bot.core.errors import MjError, QuotaExceeded, UserBlocked, excerpt
from bot.core.numbers import decimal_number
from bot.core.permissions import is_owner
from bot.core.quota import next_reset, quota_day
from bot.core.requests import Incoming, Origin, Reply, ReplyKind
from bot.core.settings import QuotaSettings
from bot.core.tiers import Tier
from i18n import Listing, Message, t, verbatim
from storage.credits import Balance, InsufficientCredits
from storage.store import AsyncStore, Store

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Accounts:
    def __init__(
        self,
        settings: QuotaSettings,
        owners: frozenset[str],
        store: AsyncStore,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.owners = owners
        self.store = store
        self.clock = clock
        self.zone = ZoneInfo(settings.timezone)

    # reading -------------------------------------------------------------------------------
    def tier(self, user: dict[str, Any]) -> Tier:
        tiers = self.settings.tiers
        return tiers.get(user.get("tier") or "", tiers[self.settings.default_tier])

    def allowance(self, user: dict[str, Any]) -> float | None:
        """Credits per day; None is unlimited. Owners are never limited: it is their GPU."""
        if user.get("platform") and self.is_owner_row(user):
            return None
        override = user.get("daily_override")
        return override if override is not None else self.tier(user).daily

    def is_owner_row(self, user: dict[str, Any]) -> bool:
        return is_owner(self.owners, Origin(user["platform"], "", user["platform_user_id"]))

    def day(self) -> str:
        return quota_day(self.clock(), self.zone, self.settings.reset_hour)

    def resets_at(self) -> datetime:
        return next_reset(self.clock(), self.zone, self.settings.reset_hour)

    async def user(self, origin: Origin, name: str) -> dict[str, Any]:
        """Create the user on first contact; refuse a blocked one."""

        def upsert(s: Store) -> dict[str, Any]:
            return s.users.get(s.users.upsert(origin.platform, origin.user_id, name))

        user = await self.store.run(upsert)
        if user.get("blocked_at"):
            if user.get("blocked_reason"):
                raise UserBlocked(
                    t(
                        "You are blocked from drawing here: {reason}. Ask a moderator.",
                        reason=user["blocked_reason"],
                    )
                )
            raise UserBlocked(t("You are blocked from drawing here. Ask a moderator."))
        return user

    async def balance(self, user: dict[str, Any]) -> Balance:
        day, allowance = self.day(), self.allowance(user)
        return await self.store.run(lambda s: s.credits.balance(user["id"], day, allowance))

    # charging ------------------------------------------------------------------------------
    async def insert_charged(
        self, user: dict[str, Any], job: dict[str, Any], credits: float
    ) -> None:
        """Persist the job and debit it together, or refuse with when credits return."""
        day, allowance = self.day(), self.allowance(user)
        try:
            await self.store.run(lambda s: s.credits.charge(job, day, credits, allowance))
        except InsufficientCredits as short:
            raise QuotaExceeded(
                t(
                    "Not enough credits: this job needs {needed}, you have {left} left today. "
                    "Credits return {when}.",
                    needed=short.needed,
                    left=short.left,
                    when=render.when(self.resets_at(), self.clock()),
                )
            ) from None

    # commands ------------------------------------------------------------------------------
    async def quota_text(self, incoming: Incoming) -> Message:
        user = await self.store.run(
            lambda s: s.users.find(incoming.origin.platform, incoming.origin.user_id)
        )
        user = user or {"id": -1}
        tier = self.tier(user)
        balance = await self.balance(user)
        when = render.when(self.resets_at(), self.clock())
        if balance.allowance is None:
            if user.get("platform") and self.is_owner_row(user):
                return t("Owner: unlimited credits ({used} used today).", used=balance.used)
            return t(
                "Tier {tier}: unlimited credits ({used} used today).",
                tier=tier.name,
                used=balance.used,
            )
        return t(
            "Tier {tier}: {used} credits used today, {left} left of {total}. Resets {when}. "
            "A default /mj costs 1.",
            tier=tier.name,
            used=balance.used,
            left=balance.left,
            total=balance.allowance + balance.adjusted,
            when=when,
        )

    async def command(self, incoming: Incoming, command: str, rest: str) -> Reply:
        """quota-grant USER N, quota-set USER N, quota-reset USER, tier-set USER TIER,
        block USER [reason], unblock USER (the registry says who may: the dispatch checked)."""
        words = rest.split()
        if not words:
            raise MjError(_usage(command))
        target = await self._target(incoming.origin, words[0])
        actor = incoming.origin.user_key
        day = self.day()
        args = words[1:]
        name = target.get("display_name") or target["platform_user_id"]
        if command == "quota-grant":
            amount = _number(command, args)
            await self.store.run(
                lambda s: s.credits.adjust(target["id"], day, "grant", amount, "granted", actor)
            )
            return _ok(
                t("Granted {amount} credits to {name} for today.", amount=amount, name=name)
            )
        if command in ("quota-set", "quota-reset"):
            balance = await self.balance(target)
            if balance.allowance is None:
                raise MjError(
                    t("{name} has unlimited credits; there is nothing to set.", name=name)
                )
            wanted = _number(command, args) if command == "quota-set" else balance.allowance
            delta = wanted - balance.left
            await self.store.run(
                lambda s: s.credits.adjust(target["id"], day, command[6:], delta, command, actor)
            )
            return _ok(t("{name} now has {left} credits left today.", name=name, left=wanted))
        if command == "tier-set":
            if not args or args[0].lower() not in self.settings.tiers:
                raise MjError(
                    t(
                        "Usage: /tier-set USER TIER (tiers: {tiers})",
                        tiers=Listing.of(self.settings.tiers, "plain"),
                    )
                )
            tier = args[0].lower()
            await self.store.run(lambda s: s.users.update(target["id"], tier=tier))
            return _ok(t("{name} is now on tier {tier}.", name=name, tier=tier))
        if command == "block":
            reason = " ".join(args) or None
            stamp = self.clock().isoformat()
            await self.store.run(
                lambda s: s.users.update(target["id"], blocked_at=stamp, blocked_reason=reason)
            )
            return _ok(t("{name} is blocked from drawing.", name=name))
        await self.store.run(
            lambda s: s.users.update(target["id"], blocked_at=None, blocked_reason=None)
        )
        return _ok(t("{name} may draw again.", name=name))

    async def _target(self, origin: Origin, word: str) -> dict[str, Any]:
        """USER is a platform user id (adapters turn their mentions into ids), or platform:id
        for another platform."""
        platform, sep, user_id = word.partition(":")
        if not sep:
            platform, user_id = origin.platform, word.lstrip("@")
        user = await self.store.run(lambda s: s.users.find(platform, user_id))
        if user is None:
            raise MjError(
                t(
                    "I don't know user {user}: they must have used the bot first.",
                    user=excerpt(word, quote=""),
                )
            )
        return user


def _number(command: str, args: list[str]) -> float:
    if not args:
        raise MjError(_usage(command))
    value = decimal_number(args[0], 0, 1_000_000)
    if value is None:
        raise MjError(
            t(
                "/{command}: the amount must be a number from 0 to 1000000, got {value}.",
                command=command,
                value=excerpt(args[0]),
            )
        )
    return value


def _usage(command: str) -> Message:
    """'Usage: ...' with the command's own usage line from the registry."""
    found = commands.find(command)
    usage = found.usage if found is not None else verbatim(f"/{command}")
    return t("Usage: {usage}", usage=usage)


def _ok(text: Message) -> Reply:
    return Reply(ReplyKind.TEXT, text, ephemeral=True)
