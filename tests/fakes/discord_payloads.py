"""Gateway payloads as Discord sends them (events/gateway-events.mdx,
interactions/receiving-and-responding.mdx): READY, GUILD_CREATE and INTERACTION_CREATE's `d`
for slash commands (type 2) and button clicks (type 3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.discord_api import FakeDiscord
    from tests.fakes.discord_gateway import Session

APP_ID = 900000000000000001
BOT_USER = {
    "id": str(APP_ID),
    "username": "mjbot",
    "discriminator": "0",
    "avatar": None,
    "bot": True,
}
EPHEMERAL = 64
LOADING = 128
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 31)  # view, send, use application commands


@dataclass
class Guild:
    """A server the bot is in: its boost tier sets the upload limit."""

    id: int
    channels: list[int]
    name: str = "art club"
    boost_tier: int = 0
    roles: list[dict[str, Any]] = field(default_factory=list)
    nsfw_channels: set[int] = field(default_factory=set)


def role(role_id: int, name: str, permissions: int = 0) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": 1,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
    }


def ready(session: Session, guilds: list[Guild], resume_url: str) -> dict[str, Any]:
    return {
        "v": 10,
        "user": BOT_USER,
        "guilds": [{"id": str(guild.id), "unavailable": True} for guild in guilds],
        "session_id": session.id,
        "resume_gateway_url": resume_url,
        "application": {"id": str(APP_ID), "flags": 0},
    }


def guild_create(guild: Guild) -> dict[str, Any]:
    channels = [
        {
            "id": str(channel_id),
            "type": 0,
            "name": f"channel-{index}",
            "position": index,
            "guild_id": str(guild.id),
            "nsfw": channel_id in guild.nsfw_channels,
            "permission_overwrites": [],
        }
        for index, channel_id in enumerate(guild.channels)
    ]
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "owner_id": "1",
        "unavailable": False,
        "member_count": 2,
        "large": False,
        "premium_tier": guild.boost_tier,
        "features": [],
        "roles": [role(guild.id, "@everyone", MEMBER_PERMISSIONS), *guild.roles],
        "channels": channels,
        "threads": [],
        "members": [],
        "emojis": [],
        "stickers": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "preferred_locale": "en-US",
        "system_channel_flags": 0,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "afk_timeout": 300,
    }


def member(user_id: int, *, permissions: int = MEMBER_PERMISSIONS, roles: tuple[int, ...] = ()):
    return {
        "user": {
            "id": str(user_id),
            "username": f"user{user_id}",
            "discriminator": "0",
            "avatar": None,
            "global_name": f"User {user_id}",
        },
        "roles": [str(role) for role in roles],
        "permissions": str(permissions),
        "flags": 0,
        "joined_at": "2024-01-01T00:00:00+00:00",
    }


def interaction(
    fake: FakeDiscord,
    kind: int,
    data: dict[str, Any],
    *,
    user_id: int,
    channel_id: int,
    guild_id: int | None,
    permissions: int = MEMBER_PERMISSIONS,
    roles: tuple[int, ...] = (),
    size_limit: int | None = None,
    message: dict[str, Any] | None = None,
    nsfw: bool = False,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload (type 2 command, 3 component), made now by the user: the
    fake starts its 3 s and 15 min from here. `size_limit`: the interaction's
    attachment_size_limit (by default the server's); `nsfw`: the channel is marked NSFW."""
    interaction_id = fake.snowflake()
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"token-{interaction_id}",
        "version": 1,
        "data": data,
        "channel_id": str(channel_id),
        "channel": {
            "id": str(channel_id),
            "type": 0,
            "name": "art",
            "position": 0,
            "guild_id": str(guild_id) if guild_id else None,
            "nsfw": nsfw,
        },
        "app_permissions": str(fake.permissions_in(channel_id)),
        "attachment_size_limit": size_limit or fake.upload_limit(channel_id),
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {},
        "context": 0 if guild_id else 1,
    }
    if guild_id is None:
        payload["user"] = member(user_id)["user"]
        payload["channel"] = {"id": str(channel_id), "type": 1, "recipients": [payload["user"]]}
    else:
        payload["guild_id"] = str(guild_id)
        payload["guild_locale"] = "en-US"
        payload["member"] = member(user_id, permissions=permissions, roles=roles)
    if message is not None:
        payload["message"] = message
    fake.open_interaction(payload)
    return payload


class UserRef(int):
    """A user option's value (type 6): the id, resolved to a user in the payload."""


def command(name: str, **options: Any) -> dict[str, Any]:
    """The `data` of a slash command; strings, ints, floats, users (UserRef) and attachments
    (pass a dict) as options."""

    def option(key: str, value: Any) -> dict[str, Any]:
        if isinstance(value, UserRef):
            return {"name": key, "type": 6, "value": str(int(value))}
        if isinstance(value, float):
            return {"name": key, "type": 10, "value": value}
        kind = 11 if isinstance(value, dict) else 4 if isinstance(value, int) else 3
        return {"name": key, "type": kind, "value": value["id"] if kind == 11 else value}

    data: dict[str, Any] = {
        "id": "800000000000000001",
        "name": name,
        "type": 1,
        "options": [option(k, v) for k, v in options.items() if v is not None],
    }
    attachments = {v["id"]: v for v in options.values() if isinstance(v, dict)}
    users = {
        str(int(v)): member(int(v))["user"] for v in options.values() if isinstance(v, UserRef)
    }
    resolved: dict[str, Any] = {}
    if attachments:
        resolved["attachments"] = attachments
    if users:
        resolved["users"] = users
    if resolved:
        data["resolved"] = resolved
    return data


def click(custom_id: str) -> dict[str, Any]:
    """The `data` of a button click."""
    return {"custom_id": custom_id, "component_type": 2}
