"""What each command of the registry (`bot.core.commands`) does: one handler per command.

A handler gets the core's parts and the call, and returns the answer (or None when it answers
otherwise, like /mj, whose jobs report as they go). Access was checked before it runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from bot.core import render
from bot.core.accounts import Accounts
from bot.core.commands import find, help_text
from bot.core.delivery import Delivery
from bot.core.describing import Describing
from bot.core.drawing import Drawing
from bot.core.editing import (
    VARY_REGION,
    ZOOM_OUT,
    Edit,
    parse_regions,
    parse_zoom,
    split_cells,
)
from bot.core.edits import EditRequest, Edits
from bot.core.errors import MjError
from bot.core.jobs import new_job_id
from bot.core.language import Languages
from bot.core.lookbook import Lookbook
from bot.core.numbers import whole_number
from bot.core.permutations import count_permutations, expand_permutations
from bot.core.presses import CONFIRM, CONFIRM_ABOVE, DECLINE, Presses
from bot.core.queries import JobStatus, Queries, not_deleted, not_yours
from bot.core.remix import ask_prompt, region_question, remixing
from bot.core.requests import Button, Incoming, Origin, Reply, ReplyKind, Responder
from bot.core.safety_commands import SafetyCommands
from bot.core.term_commands import TermCommands
from bot.core.user_settings import UserSettings
from engine.port import EnginePort
from i18n import lines, t, verbatim
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
    edits: Edits
    presses: Presses
    safety: SafetyCommands
    languages: Languages
    terms: TermCommands
    describing: Describing
    lookbook: Lookbook


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
async def imagine(parts: Parts, call: Call) -> Reply | None:
    # Typed /mj only gets the user's defaults: a reroll repeats the stored text, which has them.
    origin = call.incoming.origin
    defaults = await parts.user_settings.defaults(origin)
    count = count_permutations(call.args)
    if count > CONFIRM_ABOVE and origin.platform in CONFIRMING:
        return await _confirm_permutations(parts, call, defaults, count)
    await parts.drawing.imagine(call.incoming, call.args, call.respond, defaults=defaults)
    return None


CONFIRMING = ("discord", "telegram")  # chats, where a slip of the keyboard costs 12 jobs


async def _confirm_permutations(parts: Parts, call: Call, defaults: str, count: int) -> Reply:
    """Show what the {...} choices expand to and keep them until the user confirms."""
    prompts = expand_permutations(call.args)  # ParamError now, not after the confirmation
    origin, pending_id = call.incoming.origin, new_job_id()
    row = {
        "id": pending_id,
        "platform": origin.platform,
        "platform_user_id": origin.user_id,
        "chat_id": origin.chat_id,
        "kind": "permutations",
        "payload_json": {"text": call.args, "defaults": defaults},
    }
    await parts.store.run(lambda s: s.editing.add_pending(row))
    listed = lines(verbatim(f"{i}. {prompt}") for i, prompt in enumerate(prompts, start=1))
    text = t(
        "This makes {count} jobs, each charged like a /mj:\n{prompts}\nStart them?",
        count=count,
        prompts=listed,
    )
    buttons = (
        Button(t("Start {count} jobs", count=count), CONFIRM, pending_id),
        Button(t("Cancel"), DECLINE, pending_id),
    )
    return Reply(ReplyKind.TEXT, text, buttons=buttons, ephemeral=True)


@handles("describe")
async def describe(parts: Parts, call: Call) -> None:
    await parts.describing.describe(call.incoming, call.args, call.respond)


@handles("cancel")
async def cancel_command(parts: Parts, call: Call) -> None:
    await cancel(parts, call.incoming.origin, call.args or None)


async def cancel(parts: Parts, origin: Origin, job_id: str | None) -> None:
    """Cancel the user's job (by default their latest unfinished one). Its own message says
    so, with what was refunded; only refusals answer the command itself."""
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
        return  # the engine ends it as cancelled; delivery refunds and says so
    if parts.delivery.following(job_id):
        # The engine ran every step: too late to cancel, the result is being delivered.
        raise MjError(
            t("Job {job_id} has finished drawing; its result is on its way.", job_id=job_id)
        )
    # Known to SQLite but not to this engine (accepted before a restart, not resumed yet).
    if not await parts.delivery.cancel_unheld(job):
        raise MjError(t("Job {job_id} has just ended; see its message.", job_id=job_id))


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
    count = whole_number(rest, 1, 50) if rest else 10
    if count is None:
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
    job = not_deleted(await parts.queries.own_job(call.incoming.origin, job_id, not_yours(job_id)))
    if JobStatus(job["status"]) is not JobStatus.DONE:
        raise MjError(
            t(
                "Job {job_id} is {status}: there is no result to show.",
                job_id=job["id"],
                status=render.status_name(job["status"]),
            )
        )
    reply = await parts.delivery.result_reply(job, None)
    lineage = render.lineage(job)
    return replace(reply, message=lines([reply.message, lineage])) if lineage else reply


@handles("blend")
async def blend(parts: Parts, call: Call) -> None:
    incoming = call.incoming
    images = [incoming.image, *incoming.images] if incoming.image is not None else []
    await parts.edits.blend(incoming, call.args, call.respond, images)


@handles("zoom")
async def zoom(parts: Parts, call: Call) -> None:
    """/zoom JOB FACTOR: Custom Zoom (with a prompt: `/zoom JOB a prompt --zoom 1.5`)."""
    job_id, _, answer = call.args.strip().partition(" ")
    job = await _editable(parts, call, job_id)
    factor, prompt = parse_zoom(answer)
    edit = Edit(ZOOM_OUT, factor=factor)
    await parts.edits.run(call.incoming, job, EditRequest(edit, prompt=prompt), call.respond)


@handles("remix")
async def remix(parts: Parts, call: Call) -> None:
    """/remix JOB V2 PROMPT: a variation drawn towards an edited prompt (Remix mode)."""
    job_id, code, prompt = [*call.args.strip().split(maxsplit=2), "", "", ""][:3]
    if not prompt:
        raise MjError(t("Usage: /remix JOB_ID V1..V4|VS|VX your prompt --params"))
    await parts.presses.remix(call.incoming, job_id, code.upper(), prompt, call.respond)


@handles("region")
async def region(parts: Parts, call: Call) -> Reply | None:
    """/region JOB CELLS [prompt]: Vary (Region) by the thirds of the image (what the thirds
    picker sends). With Remix on and no prompt, it asks for one first, pre-filled."""
    job_id, _, rest = call.args.strip().partition(" ")
    job = await _editable(parts, call, job_id)
    picked, prompt = split_cells(rest)
    cells = parse_regions(picked)
    origin = call.incoming.origin
    if prompt is None and await remixing(parts.store, origin):
        return await ask_prompt(parts.store, origin, job, region_question(job, cells))
    request = EditRequest(Edit(VARY_REGION), cells=cells, prompt=prompt)
    await parts.edits.run(call.incoming, job, request, call.respond)
    return None


async def _editable(parts: Parts, call: Call, job_id: str) -> dict:
    if not job_id:
        command = find(call.name)
        usage = command.usage if command else verbatim(f"/{call.name}")
        raise MjError(t("Usage: {usage}", usage=usage))
    refusal = t("Job {job_id} is not yours to edit.", job_id=job_id)
    return await parts.queries.own_job(call.incoming.origin, job_id, refusal)


@handles("ban-term", "unban-term", "allow-term", "banned-terms")
async def terms(parts: Parts, call: Call) -> Reply:
    return await parts.terms.command(call.incoming, call.name, call.args)


@handles("quota-grant", "quota-set", "quota-reset", "tier-set", "block", "unblock")
async def accounts(parts: Parts, call: Call) -> Reply:
    return await parts.accounts.command(call.incoming, call.name, call.args)


@handles("safety", "safety-log", "safety-release")
async def safety(parts: Parts, call: Call) -> Reply:
    return await parts.safety.command(call.incoming, call.name, call.args)


@handles("models", "themes", "styles", "loras")
async def looks(parts: Parts, call: Call) -> Reply:
    """What there is to pick here: name, description, trigger words."""
    return Reply(ReplyKind.TEXT, await parts.lookbook.listing(call.name, call.incoming.origin))


@handles("allow-themes", "allow-models")
async def allow_looks(parts: Parts, call: Call) -> Reply:
    kind = call.name.removeprefix("allow-").removesuffix("s")
    origin = call.incoming.origin
    if not call.args.strip():
        raise MjError(t("Usage: /{command} NAME, NAME… (or all)", command=call.name))
    text = await parts.lookbook.limit(origin, kind, call.args, origin.user_key)
    return Reply(ReplyKind.TEXT, text, ephemeral=True)


@handles("default-theme")
async def default_theme(parts: Parts, call: Call) -> Reply:
    origin = call.incoming.origin
    text = await parts.lookbook.set_default_theme(origin, call.args, origin.user_key)
    return Reply(ReplyKind.TEXT, text, ephemeral=True)
