"""`mjbot http` (serve the HTTP API until Ctrl-C) and `mjbot api-key create|revoke|list`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

import typer

from bot.cli_signals import stop_on_signals
from bot.config import Settings

key_app = typer.Typer(help="API keys for the HTTP API (each key is one user).")


def register(
    app: typer.Typer, settings: Callable[[], Settings], logs: Callable[[bool], None]
) -> None:
    """Add the commands; `settings` loads the configuration, `logs(verbose)` sets up logging."""
    app.add_typer(key_app, name="api-key")

    @app.command("http")
    def serve(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
        """Serve the HTTP API (MJ_HTTP_HOST:MJ_HTTP_PORT) until Ctrl-C."""
        from engine.errors import ModelUnavailable

        logs(verbose)
        config = settings()
        try:
            asyncio.run(_serve(config))
        except KeyboardInterrupt:  # where signal handlers are unavailable (Windows)
            pass
        except ModelUnavailable as error:
            typer.echo(f"Cannot start: {error}", err=True)
            raise typer.Exit(1) from None
        except OSError as error:  # the port is taken, or the host is not ours
            typer.echo(
                f"Cannot listen on {config.http.host}:{config.http.port}: {error}", err=True
            )
            raise typer.Exit(1) from None

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


async def _serve(config: Settings) -> None:
    from bot.adapters.http_api import open_http_api
    from bot.app import open_app

    # Ctrl-C and SIGTERM end the wait; then the server, engine and store close in order.
    stop = stop_on_signals()
    async with open_app(config) as application:
        api = await open_http_api(application.service, config.http)
        await api.start()
        await application.service.start()  # after the sink is registered: resumed jobs
        typer.echo(f"HTTP API on {api.url} (Ctrl-C stops it)", err=True)
        try:
            await stop.wait()
        finally:
            await api.stop()
