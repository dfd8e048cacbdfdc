"""What each command of the registry (`bot.core.commands`) does: one handler per command.

A handler gets the core's parts and the call, and returns the answer (or None when it answers
otherwise, like /mj, whose jobs report as they go). Access was checked before it runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core import render
from bot.core.accounts import Accounts
from bot.core.commands import help_text
from bot.core.delivery import Delivery
from bot.core.drawing import Drawing
from bot.core.errors import MjError
from bot.core.language import Languages
from bot.core.queries import JobStatus, Queries, not_yours
from bot.core.requests import Incoming, Origin, Reply, ReplyKind, Responder
from bot.core.safety_commands import SafetyCommands
from bot.core.term_commands import TermCommands
from bot.core.user_settings import UserSettings
from engine.port import EnginePort
from i18n import t
from storage.store import AsyncStore

# `/settings lang X` chooses the user's language; the rest of /settings is /mj defaults.
LANG_WORDS = ("lang", "language", "语言", "語言")


@dataclass(frozen=True, slots=True)
class Parts:
    """The core's parts a handler may use."""

    store: AsyncStore
    engine: EnginePort
    queries: Queries
    accounts: Accounts
    user_settings: UserSettings
    drawing: Drawing
    delivery: Delivery
    safety: SafetyCommands
    languages: Languages
    terms: TermCommands


@dataclass(frozen=True, slots=True)
class Call:
    incoming: Incoming
    name: str  # the command's name in the registry (never an alias)
    args: str  # the text after the command
    respond: Responder


Handler = Callable[[Parts, Call], Awaitable[Reply | None]]
HANDLERS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = handler
        return handler

    return register


@handles("mj")
async def imagine(parts: Parts, call: Call) -> None:
    # Typed /mj only gets the user's defaults: a reroll repeats the stored text, which has them.
    defaults = await parts.user_settings.defaults(call.incoming.origin)
    await parts.drawing.imagine(call.incoming, call.args, call.respond, defaults=defaults)


@handles("cancel")
async def cancel_command(parts: Parts, call: Call) -> Reply | None:
    return await cancel(parts, call.incoming.origin, call.args or None)


async def cancel(parts: Parts, origin: Origin, job_id: str | None) -> Reply | None:
    """Cancel the user's job (by default their latest unfinished one). The job's own message
    says so; the answer is only for a job the engine does not know (it was never queued here)."""
    if job_id is None:
        rows = await parts.store.run(lambda s: s.jobs.of_user(origin.platform, origin.user_id))
        live = [r for r in rows if not JobStatus(r["status"]).finished]
        if not live:
            raise MjError(t("You have no queued or running job to cancel."))
        job_id = live[0]["id"]
    job = await parts.queries.own_job(origin, job_id, not_yours(job_id))
    if JobStatus(job["status"]).finished:
        raise MjError(
            t(
                "Job {job_id} is already {status}.",
                job_id=job_id,
                status=render.status_name(job["status"]),
            )
        )
    if parts.engine.cancel(job_id):
        return None
    # Known to SQLite but not to this engine (e.g. its platform is not connected yet).
    await parts.store.run(lambda s: s.jobs.mark_cancelled(job_id))
    await parts.accounts.refund(job_id, 1.0, "job cancelled")
    await parts.store.run(lambda s: s.jobs.mark_delivered(job_id))
    return Reply(ReplyKind.TEXT, t("Job {job_id} cancelled.", job_id=job_id), job_id)


@handles("settings")
async def settings(parts: Parts, call: Call) -> Reply:
    word, _, rest = call.args.strip().partition(" ")
    if word.lower() in LANG_WORDS:
        return await parts.languages.set_user(call.incoming, rest)
    return await parts.user_settings.command(call.incoming.origin, call.args)


@handles("default-lang")
async def default_language(parts: Parts, call: Call) -> Reply:
    return await parts.languages.command(call.incoming, call.args)


@handles("help")
async def show_help(parts: Parts, call: Call) -> Reply:
    return Reply(ReplyKind.TEXT, help_text())


@handles("quota")
async def quota(parts: Parts, call: Call) -> Reply:
    return Reply(ReplyKind.TEXT, await parts.accounts.quota_text(call.incoming), ephemeral=True)


@handles("history")
async def history(parts: Parts, call: Call) -> Reply:
    """/history [N]: the user's last N jobs (10 by default, at most 50)."""
    rest, origin = call.args.strip(), call.incoming.origin
    count = int(rest) if rest.isdigit() else 10
    if not 1 <= count <= 50 or (rest and not rest.isdigit()):
        raise MjError(t("Usage: /history [N], N from 1 to 50."))
    rows = await parts.store.run(
        lambda s: s.jobs.of_user(origin.platform, origin.user_id, limit=count)
    )
    return Reply(ReplyKind.TEXT, render.history_lines(rows), ephemeral=True)


@handles("show")
async def show(parts: Parts, call: Call) -> Reply:
    """/show JOB_ID: post a past job's result again, with working buttons."""
    job_id = call.args.strip()
    if not job_id:
        raise MjError(t("Usage: /show JOB_ID (see /history for your job ids)."))
    job = await parts.queries.own_job(call.incoming.origin, job_id, not_yours(job_id))
    if JobStatus(job["status"]) is not JobStatus.DONE:
        raise MjError(
            t(
                "Job {job_id} is {status}: there is no result to show.",
                job_id=job["id"],
                status=render.status_name(job["status"]),
            )
        )
    return await parts.delivery.result_reply(job, None)


@handles("ban-term", "unban-term", "allow-term", "banned-terms")
async def terms(parts: Parts, call: Call) -> Reply:
    return await parts.terms.command(call.incoming, call.name, call.args)


@handles("quota-grant", "quota-set", "quota-reset", "tier-set", "block", "unblock")
async def accounts(parts: Parts, call: Call) -> Reply:
    return await parts.accounts.command(call.incoming, call.name, call.args)


@handles("safety", "safety-log", "safety-release")
async def safety(parts: Parts, call: Call) -> Reply:
    return await parts.safety.command(call.incoming, call.name, call.args)
