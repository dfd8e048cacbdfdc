"""The command registry is the one list: every command has a handler, fits every platform's
rules, and reaches /help, the Telegram menus and the Discord slash commands."""

from __future__ import annotations

import re

import pytest

from bot.adapters.discord_commands import command_text, slash_command
from bot.adapters.telegram_adapter import COMMAND_NAMES, menu, telegram_name
from bot.core import buttons
from bot.core.commands import COMMANDS, Access, Kind, find, help_text, split_command
from bot.core.handlers import HANDLERS
from i18n import Lang, render

NAMES = [command.name for command in COMMANDS]


def test_every_command_has_a_handler_and_every_handler_a_command() -> None:
    assert sorted(HANDLERS) == sorted(NAMES)
    aliases = [alias for command in COMMANDS for alias in command.aliases]
    assert len(set(NAMES + aliases)) == len(NAMES + aliases)  # no name means two commands


@pytest.mark.parametrize("command", COMMANDS, ids=NAMES)
def test_each_command_fits_discord_and_telegram(command) -> None:
    for name in (command.name, *command.aliases):
        assert re.fullmatch(r"[a-z0-9_]{1,32}", telegram_name(name))  # Telegram's rule
        assert re.fullmatch(r"[-a-z0-9_]{1,32}", name)  # Discord's, lowercase
        assert find(name) is command and find(telegram_name(name).upper()) is command
    for lang in Lang:  # Discord's limit (Telegram allows 256), in every language
        description, usage = render(command.description, lang), render(command.usage, lang)
        assert 1 <= len(description) <= 100
        assert usage.startswith(f"/{command.name}") and usage in render(help_text(), lang)
    required = [arg.required for arg in command.args if arg.kind is not Kind.IMAGE]
    assert required == sorted(required, reverse=True)  # Discord: required options first
    slash = slash_command(command, None)  # type: ignore[arg-type]
    assert [option.name for option in slash.parameters] == [arg.name for arg in command.args]
    hidden = slash.default_permissions is not None
    assert hidden == (command.access is not Access.EVERYONE)


def test_the_telegram_menus_come_from_the_registry() -> None:
    assert {c.command for c in menu(Lang.EN, Access.EVERYONE)} == {
        telegram_name(c.name) for c in COMMANDS if c.access is Access.EVERYONE
    }
    moderators = {c.command for c in menu(Lang.ZH_HANS, Access.MODERATOR)}
    assert "ban_term" in moderators
    assert "tier_set" not in moderators  # owners know theirs
    assert {"mj", "imagine", "start", "ban_term", "tier_set"} <= set(COMMAND_NAMES)


class _Member:
    id = 101


class _Attachment:
    url = "https://cdn.example/cat.png"


@pytest.mark.parametrize(
    ("name", "options", "text"),
    [
        (
            "mj",
            {"prompt": " a cat ", "image": _Attachment()},
            "/mj https://cdn.example/cat.png a cat",
        ),
        ("quota-grant", {"member": _Member(), "credits": 3.0}, "/quota-grant 101 3.0"),
        ("history", {"count": None}, "/history"),
        ("block", {"member": _Member(), "reason": "spam bot"}, "/block 101 spam bot"),
    ],
    ids=["image-url-first", "member-as-id", "optional-left-out", "free-text-last"],
)
def test_discord_options_become_the_cores_text(name: str, options: dict, text: str) -> None:
    command = find(name)
    assert command is not None
    assert command_text(command, options) == text
    assert split_command(text)[0] == name


def test_every_button_action_fits_a_button_id() -> None:
    for action in buttons.ACTIONS:
        assert re.fullmatch(r"\w{1,20}", action.action) and buttons.find(action.action) is action
