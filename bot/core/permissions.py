"""Who may do what: owners (MJ_OWNER_IDS, and the console) and a community's moderators."""

from __future__ import annotations

from bot.core.requests import Incoming, Origin


def is_owner(owners: frozenset[str], origin: Origin) -> bool:
    """The console is the owner: whoever types there runs the bot on their own machine."""
    return origin.platform == "console" or origin.user_key in owners


def may_moderate(owners: frozenset[str], incoming: Incoming) -> bool:
    """Moderators of the community the message came from (set by the adapter), or an owner."""
    return incoming.is_moderator or is_owner(owners, incoming.origin)
