"""Each front end's own settings, grouped by adapter. Defaults are written here once;
`bot.config_env` maps environment variables onto them. Tokens stay out of repr (and so logs)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    user: str = "local"  # the console's user id: its jobs, history and quota
    # The console's language (zh-Hans, zh-Hant, en); None: the terminal's locale (LANG).
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token: str | None = field(default=None, repr=False)
    guild_id: int | None = None  # sync slash commands to this server at once (None: globally)
    edit_every_s: float = 2.0  # least time between two progress edits of one message
    moderator_role_ids: frozenset[int] = frozenset()  # moderate like Manage Server does


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    token: str | None = field(default=None, repr=False)
    edit_every_s_group: float = 3.0  # progress edits per job: groups allow 20 msg/min
    edit_every_s_private: float = 1.0  # private chats: about one message a second
    base_url: str | None = None  # a self-hosted Bot API server (or a test fake)
    webhook_url: str | None = None  # public URL Telegram posts to; None: long polling
    webhook_listen: str = "127.0.0.1"  # behind a TLS-terminating reverse proxy
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)  # None: random per start


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Off unless enabled; loopback by default, because it belongs behind a TLS-terminating
    reverse proxy. `public_url` makes image URLs absolute for clients on other machines
    (None: the URL the request came in on)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8080
    max_body: int = 64 * 1024  # bytes; a txt2img body is well under 8 KiB
    preview_every_s: float = 1.0  # least time between two previews of one API job
    public_url: str | None = None
