"""`mjbot api-key create|revoke|list`: the HTTP API's keys (`mjbot http` serves the API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from bot.config import Settings

key_app = typer.Typer(help="API keys for the HTTP API (each key is one user).")


def register(app: typer.Typer, settings: Callable[[], Settings]) -> None:
    """Add the commands; `settings` loads the configuration."""
    app.add_typer(key_app, name="api-key")

    @key_app.command("create")
    def create(
        name: Annotated[str, typer.Argument(help="Who the key is for; becomes the user id")],
        tier: Annotated[str | None, typer.Option(help="Quota tier (MJ_TIERS)")] = None,
    ) -> None:
        """Create a key and print it once: only its hash is stored."""
        from storage.api_keys import ApiKeyError
        from storage.store import Store

        config = settings()
        if tier is not None and tier.lower() not in config.quota.tiers:
            typer.echo(f"Unknown tier {tier!r}; tiers: {', '.join(config.quota.tiers)}", err=True)
            raise typer.Exit(2)
        store = Store(config.db_path)
        try:
            with store.transaction():
                key = store.api_keys.create(name)
                user_id = store.users.upsert("api", name, name)
                if tier is not None:
                    store.users.update(user_id, tier=tier.lower())
        except ApiKeyError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from None
        finally:
            store.close()
        typer.echo(key)
        typer.echo(f"Key {name!r} created; it is shown only this once.", err=True)

    @key_app.command("revoke")
    def revoke(name: Annotated[str, typer.Argument(help="The key's name")]) -> None:
        """Revoke a key at once: requests with it are refused (401)."""
        from storage.api_keys import ApiKeyError
        from storage.store import Store

        store = Store(settings().db_path)
        try:
            store.api_keys.revoke(name)
        except ApiKeyError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from None
        finally:
            store.close()
        typer.echo(f"Key {name!r} revoked.")

    @key_app.command("list")
    def list_keys() -> None:
        """Key names, when each was created, and whether it was revoked."""
        from storage.store import Store

        store = Store(settings().db_path)
        try:
            rows = store.api_keys.list_all()
        finally:
            store.close()
        for row in rows:
            state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
            typer.echo(f"{row['name']}\tcreated {row['created_at']}\t{state}")
