"""What the owner's command-line tools share: a refusal that exits with 2, the settings, and
the bot's database (the CLI edits it directly; a running bot sees changes on its next use)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from bot.config import Settings
    from storage.store import Store


def fail(message: str) -> typer.Exit:
    """Say why on stderr; `raise fail(...)` exits with status 2."""
    typer.echo(message, err=True)
    return typer.Exit(2)


def load_settings() -> Settings:
    from bot.config import ConfigError, Settings

    try:
        return Settings.from_env()
    except ConfigError as error:
        raise fail(f"Configuration error: {error}") from None


@contextmanager
def open_store(settings: Settings | None = None) -> Iterator[Store]:
    from storage.store import Store

    store = Store((settings or load_settings()).db_path)
    try:
        yield store
    finally:
        store.close()
