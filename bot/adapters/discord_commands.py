"""The slash commands, built from the core's command registry (`bot.core.commands`).

Nothing here understands a command: each one turns its options back into the core's command
text (`/ban-term terms:nsfw` becomes `/ban-term nsfw`) and the core answers it exactly as it
answers Telegram or the console. Moderators' and owners' commands are shown to members with
Manage Server unless a server changes that (Server Settings › Integrations); the core checks
again either way. Commands that act on a community's lists exist in servers only.

Names stay English (they are what people type); descriptions and choices carry the core's
messages, which `MessageTranslator` renders for the Chinese clients (discord.py's app-command
translator, run by `CommandTree.sync`), so Discord shows each user their own language.
"""

from __future__ import annotations

import inspect
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.core.commands import COMMANDS, Access, Arg, Command, Kind
from bot.core.language import Lang, Message, render, t

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
NOT_AN_IMAGE = t("The attachment must be an image (PNG, JPEG, WebP or GIF).")
# The Discord locales the bot has a language for; every other client reads English.
LOCALES = {discord.Locale.chinese: Lang.ZH_HANS, discord.Locale.taiwan_chinese: Lang.ZH_HANT}


class Relay(Protocol):
    """The bot's side: defer, hand the text to the core, render the replies."""

    async def relay(
        self, interaction: discord.Interaction[Any], text: str, *, public: bool, job: bool
    ) -> None: ...

    async def refuse(self, interaction: discord.Interaction[Any], message: Message) -> None:
        """Answer privately, in the user's language, without asking the core anything else."""

    async def suggest(
        self, interaction: discord.Interaction[Any], kind: str, typed: str
    ) -> list[tuple[str, str]]: ...


def localized(message: Message) -> app_commands.locale_str:
    """A description or choice for discord.py: English as Discord's default text, the message
    itself for the translator."""
    return app_commands.locale_str(render(message), message=message)


class MessageTranslator(app_commands.Translator):
    """Renders the core's messages for Discord's Chinese locales when commands are synced.
    Command and option names are left alone: users type them, in English, as in /help."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        message = string.extras.get("message")
        lang = LOCALES.get(locale)
        if message is None or lang is None:
            return None
        return render(message, lang)


def option_type(arg: Arg) -> Any:
    """The annotation discord.py reads an option's type (and bounds) from."""
    if arg.kind is Kind.USER:
        return discord.User
    if arg.kind is Kind.IMAGE:
        return discord.Attachment
    kind = {Kind.WHOLE: int, Kind.NUMBER: float}.get(arg.kind, str)
    if arg.low is None and arg.high is None:
        return kind
    bound = float if kind is float else int  # a text's bounds are its length
    low = None if arg.low is None else bound(arg.low)
    high = None if arg.high is None else bound(arg.high)
    return app_commands.Range[kind, low, high]


def command_text(command: Command, options: dict[str, Any]) -> str:
    """The core's text for a command and its options, in the registry's order: an image's URL
    first (image prompts lead a /mj text), users as their ids."""
    words: list[str] = []
    for arg in command.args:
        value = options.get(arg.name)
        if value is None:
            continue
        if arg.kind is Kind.IMAGE:
            words.insert(0, value.url)
        elif arg.kind is Kind.USER:
            words.append(str(value.id))
        elif arg.kind is Kind.PARAM:
            words.append(f"--{arg.name} {str(value).strip()}")
        else:
            words.append(str(value).strip())
    return " ".join([f"/{command.name}", *words])


def slash_command(command: Command, bot: Relay) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction[Any], **options: Any) -> None:
        for arg in command.args:
            image = options.get(arg.name) if arg.kind is Kind.IMAGE else None
            if image is not None and (image.content_type or "").split(";")[0] not in IMAGE_TYPES:
                await bot.refuse(interaction, NOT_AN_IMAGE)
                return
        text = command_text(command, options)
        await bot.relay(interaction, text, public=command.public, job=command.queues)

    # discord.py reads the options from the callback's signature: one per argument.
    parameters = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD)] + [
        inspect.Parameter(
            arg.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=option_type(arg) if arg.required else option_type(arg) | None,
            default=inspect.Parameter.empty if arg.required else None,
        )
        for arg in command.args
    ]
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        arg.name: localized(arg.description) for arg in command.args
    }
    callback.__discord_app_commands_param_choices__ = {  # type: ignore[attr-defined]
        arg.name: [
            app_commands.Choice(name=localized(choice.name), value=choice.value)
            for choice in arg.choices
        ]
        for arg in command.args
        if arg.choices
    }
    slash = app_commands.Command(
        name=command.name, description=localized(command.description), callback=callback
    )
    for arg in command.args:
        if arg.suggest:
            slash.autocomplete(arg.name)(_suggestions(bot, arg.suggest))
    if command.access is not Access.EVERYONE:
        slash = app_commands.default_permissions(manage_guild=True)(slash)
    if command.community:
        slash = app_commands.guild_only()(slash)
    return slash


def _suggestions(bot: Relay, kind: str) -> Any:
    """An option's autocomplete: the core's choices for what the user has typed so far."""

    async def suggest(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        pairs = await bot.suggest(interaction, kind, current)
        return [app_commands.Choice(name=label, value=value) for label, value in pairs]

    return suggest


def add_commands(tree: app_commands.CommandTree[Any], bot: Relay) -> None:
    """Register every command of the registry on `tree`."""
    for command in COMMANDS:
        tree.add_command(slash_command(command, bot))
