"""What the `mjbot loras …` and `mjbot themes …` commands share (`bot.cli_loras`,
`bot.cli_themes`): the looks tables of the bot's database, names checked as users type them,
JSON out, and the name changes are recorded under.

The CLI edits the bot's SQLite database directly; a running bot sees a change on its next
prompt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from bot.cli_common import fail, open_store

if TYPE_CHECKING:
    from bot.config import Settings
    from storage.looks import Looks

ADDED_BY = "cli"


@contextmanager
def looks_of(settings: Settings) -> Iterator[Looks]:
    with open_store(settings) as store:
        yield store.looks


def checked_name(kind: str, name: str) -> str:
    from bot.core.errors import ParamError
    from bot.core.looks import check_name

    try:
        return check_name(kind, name)
    except ParamError as error:
        raise fail(str(error)) from None


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
