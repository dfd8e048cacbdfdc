"""`mjbot workers`: the Ray engine's workers, as each describes itself."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Annotated

import typer

from bot.config import Settings
from engine.executor import WorkerStatus

COLUMNS = ("WORKER", "STATE", "NODE", "DEVICE", "MODELS", "JOB", "DONE")


def worker_rows(statuses: Sequence[WorkerStatus]) -> list[tuple[str, ...]]:
    """One row per worker: busy (with its job), idle, or down (with why)."""
    rows = []
    for status in statuses:
        state = "busy" if status.busy else "idle" if status.alive else "down"
        rows.append(
            (
                status.name,
                state,
                status.node or "-",
                status.device or "-",
                ", ".join(status.loaded) or "-",
                ", ".join(status.current_jobs) or "-",
                str(status.jobs_done) if status.alive else "-",
            )
        )
    return rows


def format_workers(statuses: Sequence[WorkerStatus]) -> str:
    rows = [COLUMNS, *worker_rows(statuses)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    notes = [f"{s.name}: {s.note}" for s in statuses if s.note]
    return "\n".join(line.rstrip() for line in [*lines, *notes])


def register(app: typer.Typer, settings: Callable[[], Settings]) -> None:
    @app.command()
    def workers(
        as_json: Annotated[
            bool, typer.Option("--json", help="One JSON object per worker")
        ] = False,
    ) -> None:
        """Show each Ray worker: node, device, loaded models, current job, jobs done."""
        from engine.errors import EngineUnavailable
        from engine.ray_cluster import ClusterConfig, list_workers

        config = settings()
        engine = config.engine
        if engine.kind != "ray":
            typer.echo("MJ_ENGINE=local: the bot draws in its own process (one worker).")
            raise typer.Exit(0)
        cluster = ClusterConfig(engine.ray_address, engine.ray_namespace)
        try:
            statuses = list_workers(cluster)
        except EngineUnavailable as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(1) from None
        if as_json:
            for status in statuses:
                typer.echo(json.dumps(asdict(status), ensure_ascii=False))
        elif not statuses:
            typer.echo(f"No mjbot workers in Ray namespace {engine.ray_namespace!r} yet.")
        else:
            typer.echo(format_workers(statuses))
