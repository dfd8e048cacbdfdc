"""Who may do what: owners (MJ_OWNER_IDS, and the console) and a community's moderators."""

from __future__ import annotations

from bot.core.requests import Incoming, Origin


def is_owner(owners: frozenset[str], origin: Origin) -> bool:
    """The console is the owner: whoever types there runs the bot on their own machine."""
    return origin.platform == "console" or origin.user_key in owners


def owner_in_private(owners: frozenset[str], origin: Origin) -> bool:
    """An owner asked where nobody else reads the answers (the console, a Telegram private chat,
    a Discord DM: no community): the operator's details may be shown there."""
    return is_owner(owners, origin) and origin.scope_id is None


def may_moderate(owners: frozenset[str], incoming: Incoming) -> bool:
    """Moderators of the community the message came from (set by the adapter), or an owner."""
    return incoming.is_moderator or is_owner(owners, incoming.origin)
