"""Remix mode: with it on (`/settings remix on`), an edit first asks for the prompt to draw,
pre-filled with the job's own, and the answer completes a command the user could have typed:

    V1-V4, VS, VX        /remix JOB CODE PROMPT
    Custom Zoom (ZOC)    /zoom JOB PROMPT --zoom FACTOR
    the thirds picked    /region JOB CELLS | PROMPT   (the '|' ends the cells: a prompt may
                                                       start with a number)

The question is kept (pending_actions) so that a Telegram reply to it, or a Discord form
opened from it, finds its command again.
"""

from __future__ import annotations

from typing import Any

from bot.core.editing import cells_text
from bot.core.jobs import new_job_id
from bot.core.requests import Origin, Question, Reply, ReplyKind
from i18n import t
from storage.store import AsyncStore

# With Remix on, these buttons ask for the prompt before they draw.
REMIXED = ("V1", "V2", "V3", "V4", "VS", "VX", "ZOC")
PROMPT_LABEL = t("Prompt")  # what a Remix question asks for (a form's field, a reply)


def button_question(job: dict[str, Any], code: str) -> tuple[str, str]:
    """A Remix button's question: the command its answer completes, and the prompt it starts
    from."""
    if code == "ZOC":
        return f"/zoom {job['id']}", job["mj_text"] + " --zoom 2"
    return f"/remix {job['id']} {code}", job["mj_text"]


def region_question(job: dict[str, Any], cells: frozenset[int]) -> tuple[str, str]:
    """Vary (Region)'s question once the thirds are picked."""
    return f"/region {job['id']} {cells_text(cells)} |", job["mj_text"]


async def remixing(store: AsyncStore, origin: Origin) -> bool:
    """Whether the user has Remix on."""
    return await store.run(lambda s: s.editing.remix(origin.platform, origin.user_id))


async def ask_prompt(
    store: AsyncStore, origin: Origin, job: dict[str, Any], question: tuple[str, str]
) -> Reply:
    """The action waits for the prompt: `question` is the command its answer completes and
    the prompt it starts from."""
    command, prefill = question
    asked = Question(new_job_id(), command, prefill, PROMPT_LABEL)
    row = {
        "id": asked.id,
        "platform": origin.platform,
        "platform_user_id": origin.user_id,
        "chat_id": origin.chat_id,
        "kind": "question",
        "job_id": job["id"],
        "payload_json": {"command": command, "prefill": prefill},
    }
    await store.run(lambda s: s.editing.add_pending(row))
    text = t(
        "Remix: send {command} with the prompt to draw, e.g.\n{command} {prefill}",
        command=command,
        prefill=prefill,
    )
    return Reply(ReplyKind.TEXT, text, job["id"], ephemeral=True, question=asked)
