"""The result grid's buttons as persistent Discord components.

Each button's custom_id carries its action and job id (`mj:U1:k7x2m9pq4a`), and one
`DynamicItem` class matches them all by template. Registered at start-up
(`Client.add_dynamic_items`), it answers clicks on messages sent before a restart too: nothing
about a button lives in memory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, cast

import discord

from bot.core.language import Lang, render, t
from bot.core.requests import Button

TEMPLATE = r"mj:(?P<action>\w+):(?P<job>\w+)"
ASK = "ASK"  # a question's button (Remix): opens its form; the id is the question's
MAX_CUSTOM_ID = 100  # Discord's limit


def custom_id(action: str, job_id: str) -> str:
    value = f"mj:{action}:{job_id}"
    if len(value) > MAX_CUSTOM_ID or not re.fullmatch(TEMPLATE, value):
        raise ValueError(f"cannot make a button id from {action!r} and {job_id!r}")
    return value


class PressHandler(Protocol):
    """What the bot does with a click: the adapter hands it to the core."""

    async def press_button(
        self, interaction: discord.Interaction[Any], action: str, job_id: str
    ) -> None: ...


class ResultButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    def __init__(self, action: str, job_id: str, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id(action, job_id),
            ),
            row=_row(action),
        )
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ResultButton:
        return cls(match["action"], match["job"], getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await cast(PressHandler, interaction.client).press_button(
            interaction, self.action, self.job_id
        )


def _row(action: str) -> int | None:
    """Midjourney's layout: U1-U4 and 🔄 on the first row, V1-V4 under them; the rest (the
    editing buttons, 🗑) fill the rows in order, five to a row."""
    if action == "reroll" or (action[:1] == "U" and action[1:].isdigit()):
        return 0
    return 1 if action[:1] == "V" and action[1:].isdigit() else None


def result_view(buttons: Sequence[Button]) -> discord.ui.View:
    """The core's buttons as a view; timeout None, because the buttons never expire. A link
    (the Vary (Region) page) is a plain URL button: Discord opens it, no press comes back."""
    view = discord.ui.View(timeout=None)
    for button in buttons:
        if button.url is not None:
            view.add_item(discord.ui.Button(label=button.label, url=button.url))
        else:
            view.add_item(ResultButton(button.action, button.job_id, button.label))
    return view


REGION_TEMPLATE = r"mjvr:(?P<job>\w+)"
THIRDS = (
    t("top left"),
    t("top"),
    t("top right"),
    t("left"),
    t("middle"),
    t("right"),
    t("bottom left"),
    t("bottom"),
    t("bottom right"),
)
PICK_PARTS = t("The parts to repaint")


class RegionCommand(Protocol):
    """What the bot does with the picked thirds: `/region JOB CELLS`, as if typed."""

    async def relay(
        self, interaction: discord.Interaction[Any], text: str, *, public: bool, job: bool
    ) -> None: ...


class RegionSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=REGION_TEMPLATE):
    """Vary (Region) without the web page: the nine thirds, several may be picked."""

    def __init__(self, job_id: str, lang: Lang = Lang.EN) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"mjvr:{job_id}",
                placeholder=render(PICK_PARTS, lang),
                min_values=1,
                max_values=len(THIRDS),
                options=[
                    discord.SelectOption(label=f"{i} · {render(name, lang)}", value=str(i))
                    for i, name in enumerate(THIRDS, start=1)
                ],
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RegionSelect:
        return cls(match["job"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cells = " ".join(sorted(self.item.values))
        await cast(RegionCommand, interaction.client).relay(
            interaction, f"/region {self.job_id} {cells}", public=True, job=True
        )


def region_view(job_id: str, lang: Lang) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RegionSelect(job_id, lang))
    return view
