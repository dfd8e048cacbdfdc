"""The Discord front end: slash commands and grid buttons in, the core's replies out.

The adapter translates and nothing more. A slash command becomes the core's command text
(`discord_commands`, built from the core's registry), a button click a `ButtonPress`
(`discord_views`), and every `Reply` comes back through the interaction's own Responder, or
`DiscordSink` once no interaction can answer (`discord_delivery`). Each interaction is deferred
before anything else, because Discord allows three seconds and the core may take longer
(translation, a busy database).

`DiscordFrontEnd` is what the launcher (`bot.runner`) runs: it logs in on entry, the core
starts once every front end is open (so results left over from the last run can be
delivered), then `serve()` connects to the gateway.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Self

import aiohttp
import discord
from discord import app_commands

from bot.adapters.discord_commands import MessageTranslator, add_commands
from bot.adapters.discord_delivery import DiscordSink
from bot.adapters.discord_responder import InteractionResponder
from bot.adapters.discord_views import ASK, RegionSelect, ResultButton
from bot.adapters.front_end import FrontEndError
from bot.adapters.settings import DiscordSettings
from bot.core.language import Lang, Message, parse_tag, render, t
from bot.core.render import FAILED
from bot.core.requests import ButtonPress, Incoming, Origin, Question, Reply, ReplyKind
from bot.core.service import MjService

log = logging.getLogger(__name__)

PLATFORM = "discord"
QUESTION_GONE = t("This question was answered already, or it expired: press the button again.")
UNKNOWN_INTERACTION = 10062  # too late to answer (3 s), or answered already


def origin_of(interaction: discord.Interaction[Any]) -> Origin:
    """Plain ids only: the channel, the user and the server (the community), and whether the
    channel is marked NSFW (the server's image safety policy may be laxer there). Late replies
    go to the channel, under the job's own earlier message, so no reply handle is needed."""
    is_nsfw = getattr(interaction.channel, "is_nsfw", None)  # DMs have no such mark
    return Origin(
        PLATFORM,
        str(interaction.channel_id or ""),
        str(interaction.user.id),
        scope_id=str(interaction.guild_id) if interaction.guild_id else None,
        nsfw=bool(is_nsfw()) if callable(is_nsfw) else False,
    )


def is_moderator(interaction: discord.Interaction[Any], role_ids: frozenset[int]) -> bool:
    """Manage Server in this server, or one of the configured moderator roles."""
    if interaction.guild_id is None:
        return False
    if interaction.permissions.manage_guild:
        return True
    roles = getattr(interaction.user, "roles", [])  # a Member's, resolved from the guild cache
    return any(role.id in role_ids for role in roles)


class AnswerForm(discord.ui.Modal):
    """A question's form: one text field, pre-filled; submitted as the question's command."""

    def __init__(self, question: Question, bot: DiscordBot) -> None:
        super().__init__(title=question.command[:45], timeout=None)
        self.question = question
        self.bot = bot
        self.answer: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=question.label,  # in the asking user's language
            style=discord.TextStyle.paragraph,
            default=question.prefill[:4000],
            max_length=4000,
        )
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        text = f"{self.question.command} {self.answer.value}"
        await self.bot.relay(interaction, text, public=True, job=True)


class DiscordBot(discord.Client):
    """A discord.py client whose sink delivers the core's replies for platform "discord".

    Building one registers that sink with the service.
    """

    def __init__(
        self,
        service: MjService,
        settings: DiscordSettings,
        *,
        sink_options: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        # Slash commands and buttons arrive whatever the intents; `guilds` (not privileged)
        # keeps servers and their roles cached, which moderator roles need.
        options.setdefault("intents", discord.Intents(guilds=True))
        # Prompts are user text: never let one ping @everyone or a role.
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        # The bot has no voice features; discord.py's warnings about voice libraries would
        # only make owners install packages it never uses.
        for flag in ("warn_nacl", "warn_dave"):
            if hasattr(discord.VoiceClient, flag):
                setattr(discord.VoiceClient, flag, False)
        super().__init__(**options)
        self.service = service
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        add_commands(self.tree, self)
        # `sink_options` lets tests set the sink's clocks and pace.
        paced = {"edit_every_s": settings.edit_every_s, **(sink_options or {})}
        self.sink = DiscordSink(self, service, **paced)
        # Previews are computed at the pace the sink may show them, not faster. Outcomes are
        # edited into the job's message, which notifies nobody: notices follow them.
        service.register_sink(
            PLATFORM, self.sink, preview_every_s=settings.edit_every_s, notices=True
        )

    async def setup_hook(self) -> None:
        """After login, before the gateway: buttons from any earlier run work from now on, and
        the commands are synced with their descriptions in every language the bot speaks."""
        self.add_dynamic_items(ResultButton, RegionSelect)
        await self.tree.set_translator(MessageTranslator())
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """To the development server at once if one is configured; globally otherwise (Discord
        may take a while to show global changes)."""
        guild_id = self.settings.guild_id
        if guild_id is None:
            synced = await self.tree.sync()
        else:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        where = f"server {guild_id}" if guild_id else "all servers"
        log.info("synced %d slash commands to %s", len(synced), where)

    # from Discord to the core -----------------------------------------------------------------
    def incoming(
        self,
        interaction: discord.Interaction[Any],
        *,
        text: str | None = None,
        button: ButtonPress | None = None,
    ) -> Incoming:
        return Incoming(
            origin_of(interaction),
            interaction.user.display_name,
            text=text,
            button=button,
            is_moderator=is_moderator(interaction, self.settings.moderator_role_ids),
            # The language of the user's Discord app (zh-CN, zh-TW, en-US, ...).
            locale=parse_tag(interaction.locale.value),
        )

    async def refuse(self, interaction: discord.Interaction[Any], message: Message) -> None:
        """A private answer of the adapter's own (an attachment that is no image), in the
        language the core would answer this user in."""
        lang = await self.service.language(self.incoming(interaction))
        await interaction.response.send_message(render(message, lang), ephemeral=True)

    async def relay(
        self, interaction: discord.Interaction[Any], text: str, *, public: bool, job: bool
    ) -> None:
        """A slash command: defer, let the core answer, and tidy a deferral left unanswered.

        `public`: the answer is for the channel (a grid), else only for the user. `job`: the
        command queues work, whose acknowledgement comes after the core returns.
        """
        if not await self._defer(interaction, ephemeral=not public, thinking=True):
            return
        incoming = self.incoming(interaction, text=text)
        respond = self.responder(interaction, incoming.origin, public=public, fill=True)
        await self._handle(incoming, respond)
        if not job:
            await respond.settle()

    async def suggest(
        self, interaction: discord.Interaction[Any], kind: str, typed: str
    ) -> list[tuple[str, str]]:
        """Autocomplete for a /mj option: the core's suggestions, those allowed here."""
        lang = parse_tag(interaction.locale.value) or Lang.EN
        return await self.service.choices(kind, origin_of(interaction), typed, lang)

    async def press_button(
        self, interaction: discord.Interaction[Any], action: str, job_id: str
    ) -> None:
        """A click on a grid's button. Deferred without a visible response (the grid must not
        be replaced); the answers are followups: a new job's message, or a private note.
        The button of a question (Remix) opens its form instead: that must be the answer."""
        if action == ASK:
            await self.ask(interaction, job_id)
            return
        if not await self._defer(interaction):
            return
        incoming = self.incoming(interaction, button=ButtonPress(action, job_id))
        respond = self.responder(interaction, incoming.origin, public=False, fill=False)
        await self._handle(incoming, respond)

    def responder(
        self, interaction: discord.Interaction[Any], origin: Origin, *, public: bool, fill: bool
    ) -> InteractionResponder:
        """A deferred interaction's Responder; `fill`: its deferred response awaits a text."""
        return InteractionResponder(self.sink, interaction, origin, public, fill)

    async def _defer(self, interaction: discord.Interaction[Any], **options: Any) -> bool:
        """Answer within Discord's 3 s; False if Discord says it is too late. That happens
        when events were held up (a reconnecting gateway replays them): the user has already
        seen "The application did not respond", and nothing was done or charged."""
        try:
            await interaction.response.defer(**options)
        except discord.NotFound as error:
            if error.code != UNKNOWN_INTERACTION:
                raise
            log.warning(
                "interaction %s from user %s reached the bot after Discord's 3 s to answer it "
                "(its events were held up): nothing was done",
                interaction.id,
                interaction.user.id,
            )
            return False
        return True

    async def ask(self, interaction: discord.Interaction[Any], question_id: str) -> None:
        """A form pre-filled with the answer as it stands; its submission is the command."""
        question = await self.service.question(question_id)
        lang = await self.service.language(self.incoming(interaction))
        if question is None:
            await interaction.response.send_message(render(QUESTION_GONE, lang), ephemeral=True)
            return
        await interaction.response.send_modal(AnswerForm(replace(question, lang=lang), self))

    async def _handle(self, incoming: Incoming, respond: InteractionResponder) -> None:
        try:
            await self.service.handle(incoming, respond)
        except Exception:
            # The core turns every expected failure into a reply; this is a bug. Say so
            # rather than leave the user looking at "thinking…" until the token dies.
            log.exception("handling %r failed", incoming.text or incoming.button)
            oops = Reply(ReplyKind.ERROR, FAILED, ephemeral=True)
            await respond.answer(oops.in_language(incoming.locale or incoming.origin.lang))


class DiscordFrontEnd:
    """The launcher's handle (`bot.adapters.front_end`): log in on entry, so the core can
    deliver what it owes before the gateway connects in `serve()`."""

    name = PLATFORM
    ready = "Discord: logged in"

    def __init__(self, service: MjService, settings: DiscordSettings) -> None:
        assert settings.token, "the launcher checks MJ_DISCORD_TOKEN"
        self.token = settings.token
        self.bot = DiscordBot(service, settings)

    async def __aenter__(self) -> Self:
        await self.bot.__aenter__()
        try:
            await self.bot.login(self.token)
        except BaseException as error:
            await self.bot.close()
            if isinstance(error, _REFUSED):
                raise _failure(error) from None
            raise
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.bot.__aexit__(*exc_info)

    async def serve(self) -> None:
        try:
            await self.bot.connect()
        except _REFUSED as error:
            raise _failure(error) from None


_REFUSED = (discord.LoginFailure, aiohttp.ClientConnectionError)


def _failure(error: Exception) -> FrontEndError:
    if isinstance(error, discord.LoginFailure):
        return FrontEndError("Discord refused MJ_DISCORD_TOKEN: copy it again from the portal.")
    return FrontEndError(f"Cannot reach Discord: {error}")
