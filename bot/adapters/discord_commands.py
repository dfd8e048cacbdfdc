"""The slash commands: each one turns its options back into the core's command text.

Nothing here understands a command: `/ban-term terms:nsfw` becomes the text `/ban-term nsfw`
and the core answers it exactly as it answers Telegram or the console.
"""

from __future__ import annotations

from typing import Any, Protocol

import discord
from discord import app_commands

# A module-level alias: discord.py resolves annotations in the module's namespace.
Credits = app_commands.Range[float, 0, 1_000_000]
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")


class Relay(Protocol):
    """The bot's side: defer, hand the text to the core, render the replies."""

    async def relay(
        self, interaction: discord.Interaction[Any], text: str, *, public: bool, job: bool
    ) -> None: ...


def _text(command: str, *parts: object) -> str:
    return " ".join([command, *(str(part).strip() for part in parts if part is not None)])


def add_commands(tree: app_commands.CommandTree[Any], bot: Relay) -> None:
    """Register every command on `tree`. Public commands show their answer to the channel."""

    @tree.command(name="mj", description="Draw a 2×2 grid (add --ar 16:9, --no …, --seed …)")
    @app_commands.describe(
        prompt="What to draw, then any parameters: a red fox in the snow --ar 3:2",
        image="An image prompt: the drawing starts from it (--iw 0..3 sets how closely)",
    )
    async def mj(
        interaction: discord.Interaction[Any],
        prompt: app_commands.Range[str, 1, 6000],
        image: discord.Attachment | None = None,
    ) -> None:
        if image is not None and (image.content_type or "").split(";")[0] not in IMAGE_TYPES:
            await interaction.response.send_message(
                "The attachment must be an image (PNG, JPEG, WebP or GIF).", ephemeral=True
            )
            return
        # An attachment is an image prompt: its URL goes first, as in `/mj URL prompt`, and
        # the core decides what to do with image prompts.
        text = _text("/mj", image.url if image else None, prompt)
        await bot.relay(interaction, text, public=True, job=True)

    @tree.command(name="cancel", description="Cancel your latest waiting or running job")
    @app_commands.describe(job="A job id (default: your latest unfinished job)")
    async def cancel(interaction: discord.Interaction[Any], job: str | None = None) -> None:
        await bot.relay(interaction, _text("/cancel", job), public=False, job=False)

    @tree.command(name="quota", description="Your credits left today and when they renew")
    async def quota(interaction: discord.Interaction[Any]) -> None:
        await bot.relay(interaction, "/quota", public=False, job=False)

    @tree.command(name="history", description="Your latest jobs, with their seeds")
    @app_commands.describe(count="How many jobs to list")
    async def history(
        interaction: discord.Interaction[Any], count: app_commands.Range[int, 1, 50] | None = None
    ) -> None:
        await bot.relay(interaction, _text("/history", count), public=False, job=False)

    @tree.command(name="show", description="Show a job's grid again, with its buttons")
    @app_commands.describe(job="The job id")
    async def show(interaction: discord.Interaction[Any], job: str) -> None:
        await bot.relay(interaction, _text("/show", job), public=True, job=False)

    @tree.command(name="settings", description="Your default /mj parameters")
    @app_commands.describe(params="e.g. --ar 16:9 --model NAME; 'clear' removes them; empty: show")
    async def settings(interaction: discord.Interaction[Any], params: str | None = None) -> None:
        await bot.relay(interaction, _text("/settings", params), public=False, job=False)

    @tree.command(name="help", description="How to use /mj and its parameters")
    async def help_(interaction: discord.Interaction[Any]) -> None:
        await bot.relay(interaction, "/help", public=False, job=False)

    _add_moderation(tree, bot)
    _add_accounts(tree, bot)


def _add_moderation(tree: app_commands.CommandTree[Any], bot: Relay) -> None:
    """Banned-term commands. Discord shows them only to members with Manage Server unless a
    server changes that (Server Settings › Integrations); the core checks again either way."""

    def moderation(name: str, description: str) -> Any:
        def decorate(callback: Any) -> Any:
            command = app_commands.command(name=name, description=description)(callback)
            command = app_commands.default_permissions(manage_guild=True)(command)
            return app_commands.guild_only()(command)

        return decorate

    terms_help = "Terms separated by commas; * ends or starts a word (nud*)"

    @moderation("ban-term", "Ban terms from prompts in this server")
    @app_commands.describe(terms=terms_help)
    async def ban_term(interaction: discord.Interaction[Any], terms: str) -> None:
        await bot.relay(interaction, _text("/ban-term", terms), public=False, job=False)

    @moderation("unban-term", "Remove terms from this server's banned list")
    @app_commands.describe(terms=terms_help)
    async def unban_term(interaction: discord.Interaction[Any], terms: str) -> None:
        await bot.relay(interaction, _text("/unban-term", terms), public=False, job=False)

    @moderation("allow-term", "Allow terms here, even ones banned globally")
    @app_commands.describe(terms=terms_help)
    async def allow_term(interaction: discord.Interaction[Any], terms: str) -> None:
        await bot.relay(interaction, _text("/allow-term", terms), public=False, job=False)

    @moderation("banned-terms", "List this server's banned and allowed terms")
    @app_commands.describe(page="Page number")
    async def banned_terms(
        interaction: discord.Interaction[Any], page: app_commands.Range[int, 1] | None = None
    ) -> None:
        await bot.relay(interaction, _text("/banned-terms", page), public=False, job=False)

    for command in (ban_term, unban_term, allow_term, banned_terms):
        tree.add_command(command)


def _add_accounts(tree: app_commands.CommandTree[Any], bot: Relay) -> None:
    """Credit and block commands. Shown to Manage Server by default; the core checks again
    (and keeps /tier-set for the bot's owners)."""

    def moderation(name: str, description: str) -> Any:
        def decorate(callback: Any) -> Any:
            command = app_commands.command(name=name, description=description)(callback)
            return app_commands.default_permissions(manage_guild=True)(command)

        return decorate

    async def send(interaction: discord.Interaction[Any], *parts: object) -> None:
        await bot.relay(
            interaction, _text(*(str(p) for p in parts if p is not None)), public=False, job=False
        )

    @moderation("quota-grant", "Give a user extra credits for today")
    async def quota_grant(
        interaction: discord.Interaction[Any], member: discord.User, credits: Credits
    ) -> None:
        await send(interaction, "/quota-grant", member.id, credits)

    @moderation("quota-set", "Set how many credits a user has left today")
    async def quota_set(
        interaction: discord.Interaction[Any], member: discord.User, credits: Credits
    ) -> None:
        await send(interaction, "/quota-set", member.id, credits)

    @moderation("quota-reset", "Give a user their whole daily allowance back")
    async def quota_reset(interaction: discord.Interaction[Any], member: discord.User) -> None:
        await send(interaction, "/quota-reset", member.id)

    @moderation("tier-set", "Move a user to another tier (bot owners only)")
    async def tier_set(
        interaction: discord.Interaction[Any], member: discord.User, tier: str
    ) -> None:
        await send(interaction, "/tier-set", member.id, tier)

    @moderation("block", "Stop a user from drawing")
    async def block(
        interaction: discord.Interaction[Any], member: discord.User, reason: str | None = None
    ) -> None:
        await send(interaction, "/block", member.id, reason)

    @moderation("unblock", "Let a blocked user draw again")
    async def unblock(interaction: discord.Interaction[Any], member: discord.User) -> None:
        await send(interaction, "/unblock", member.id)

    for command in (quota_grant, quota_set, quota_reset, tier_set, block, unblock):
        tree.add_command(command)
