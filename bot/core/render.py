"""What users read: captions, acknowledgements, progress lines, history. Pure.

Each function returns a Message (`i18n`): the core sets its language as the reply leaves.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from i18n import ClockTime, Duration, Message, Stamp, t, tn, verbatim
from i18n import lines as joined

# A bug met while handling someone's message: logged in full, answered briefly, and the bot
# goes on serving everyone else.
FAILED = t(
    "Something went wrong on the bot's side; its owner can find the details in the log. "
    "Please try again."
)


def params_suffix(job: dict[str, Any]) -> str:
    """The parameters a job ran with, in /mj syntax, so a user can copy and tweak them:
    model, theme, style, LoRAs with weights, sampler, seed, cfg and clip skip included."""
    parts = [f"--ar {job['aspect']}"] if job.get("aspect") else []
    parts.append(f"--seed {job['seed']}")
    for name in ("model", "theme", "style", "sampler"):
        if job.get(name):
            parts.append(f"--{name} {job[name]}")
    if job.get("cfg") is not None:
        parts.append(f"--cfg {job['cfg']:g}")
    parts += [f"--lora {lora['name']}:{lora['weight']:g}" for lora in job_loras(job)]
    if (job.get("clip_skip") or 1) > 1:
        parts.append(f"--clip-skip {job['clip_skip']}")
    if job.get("tile"):
        parts.append("--tile")
    if job.get("stop"):
        parts.append(f"--stop {job['stop']}")
    if job.get("chaos"):
        parts.append(f"--chaos {job['chaos']}")
    return " ".join(parts)


def job_loras(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The LoRAs a job row records: [{"name", "weight"}]."""
    raw = job.get("loras_json")
    return json.loads(raw) if isinstance(raw, str) and raw else list(raw or [])


def ack_text(job_id: str, position: int, eta_s: float | None, *, resumed: bool = False) -> Message:
    later = position > 1
    if later and eta_s:
        values = {"job_id": job_id, "position": position, "eta": Duration(eta_s)}
        if resumed:
            return t(
                "Job {job_id} is back after a restart: #{position} in the queue, starts in "
                "about {eta}.",
                **values,
            )
        return t(
            "Job {job_id} accepted: #{position} in the queue, starts in about {eta}.", **values
        )
    if later:
        if resumed:
            return t(
                "Job {job_id} is back after a restart: #{position} in the queue.",
                job_id=job_id,
                position=position,
            )
        return t(
            "Job {job_id} accepted: #{position} in the queue.", job_id=job_id, position=position
        )
    if resumed:
        return t("Job {job_id} is back after a restart: starting now.", job_id=job_id)
    return t("Job {job_id} accepted: starting now.", job_id=job_id)


def queue_text(job_id: str, position: int, eta_s: float | None) -> Message:
    if eta_s:
        return t(
            "Job {job_id}: #{position} in the queue (starts in about {eta}).",
            job_id=job_id,
            position=position,
            eta=Duration(eta_s),
        )
    return t("Job {job_id}: #{position} in the queue.", job_id=job_id, position=position)


def progress_text(job_id: str, percent: int, step: int, total: int) -> Message:
    return t(
        "Job {job_id}: {percent}% (step {step}/{total})",
        job_id=job_id,
        percent=percent,
        step=step,
        total=total,
    )


def result_caption(job: dict[str, Any], user_name: str, elapsed_s: float | None) -> Message:
    prompt = job.get("translated_prompt") or job.get("prompt") or ""
    negative = f" --no {job['negative_prompt']}" if job.get("negative_prompt") else ""
    drawn = verbatim(f"{prompt}{negative} {params_suffix(job)}")
    if elapsed_s:
        return t(
            "{prompt} — {user} in {elapsed} (job {job_id})",
            prompt=drawn,
            user=user_name,
            elapsed=Duration(elapsed_s),
            job_id=job["id"],
        )
    return t("{prompt} — {user} (job {job_id})", prompt=drawn, user=user_name, job_id=job["id"])


def late_cancel_note(job: dict[str, Any]) -> Message | None:
    """Under a result whose cancel was accepted after its (remote) worker ran every step."""
    if not job.get("cancel_came_late"):
        return None
    return t("Your cancel came too late: every step had already run, so the job was charged.")


def failed_text(job_id: str, reason: Message, charged: float, refunded: float) -> Message:
    """A failed job's final reply: why (a whole sentence), and what it gave back."""
    refund = refund_text(charged, refunded)
    return t("Job {job_id} failed: {reason} {refund}", job_id=job_id, reason=reason, refund=refund)


def cancelled_text(job_id: str, charged: float, refunded: float) -> Message:
    refund = refund_text(charged, refunded)
    return t("Job {job_id} cancelled. {refund}", job_id=job_id, refund=refund)


def refund_text(charged: float, refunded: float) -> Message:
    """What a failed or cancelled job gave back, from its ledger rows. (Credits may be
    fractional: the plural follows English, "1 credit", "2.5 credits".)"""
    count = 1 if charged == 1 else 2
    if charged <= 0:
        return t("It cost nothing.")
    if refunded >= charged - 1e-9:
        return tn(
            "Its {credits} credit was refunded.",
            "Its {credits} credits were refunded.",
            count,
            credits=charged,
        )
    if refunded <= 0:
        return tn(
            "Nothing was refunded: every step had run ({credits} credit).",
            "Nothing was refunded: every step had run ({credits} credits).",
            count,
            credits=charged,
        )
    return tn(
        "{refunded} of its {credits} credit refunded, for the steps that did not run.",
        "{refunded} of its {credits} credits refunded, for the steps that did not run.",
        count,
        refunded=refunded,
        credits=charged,
    )


def notice_text(job: dict[str, Any]) -> Message:
    """The short new message that tells a user their job's message now shows its outcome."""
    if job["status"] == "failed":
        return t(
            "Job {job_id} failed; its message says why and what was refunded.", job_id=job["id"]
        )
    prompt = job.get("translated_prompt") or job.get("prompt") or ""
    if len(prompt) > 60:
        prompt = prompt[:57] + "..."
    return t("Job {job_id} is done: {prompt}", job_id=job["id"], prompt=verbatim(prompt))


def describe_text(
    job: dict[str, Any], suggestions: list[Any], user_name: str, elapsed_s: float | None
) -> Message:
    """A describe's answer: its numbered prompts (each with its gloss, if any) and what the
    buttons under them do. The prompts and glosses are shown as they are."""
    if elapsed_s:
        heading = t(
            "Prompts for this image — {user} in {elapsed} (job {job_id}):",
            user=user_name,
            elapsed=Duration(elapsed_s),
            job_id=job["id"],
        )
    else:
        heading = t(
            "Prompts for this image — {user} (job {job_id}):", user=user_name, job_id=job["id"]
        )
    shown = [heading]
    for suggestion in suggestions:
        shown.append(verbatim(f"{_KEYCAPS[suggestion.index - 1]} {suggestion.prompt}"))
        if suggestion.gloss:
            shown.append(verbatim(f"    {suggestion.gloss}"))
    shown.append(t("Press 1–{count} to draw one, 🔄 for new prompts.", count=len(suggestions)))
    return joined(shown)


_KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣")


def when(moment: datetime, now: datetime) -> Message:
    """'at 00:00 UTC (in 5 h 12 min)': a reset time users can read in any zone."""
    minutes = max(1, round((moment - now).total_seconds() / 60))
    return t("at {time} (in {left})", time=ClockTime(moment), left=Duration(minutes * 60))


def history_lines(jobs: list[dict[str, Any]]) -> Message:
    """A user's last jobs, newest first: id, time, status, seed and prompt."""
    if not jobs:
        return t("You have no jobs yet. Try /mj a red fox in the snow.")
    lines = []
    for job in jobs:
        prompt = job.get("translated_prompt") or job.get("prompt") or ""
        if len(prompt) > 60:
            prompt = prompt[:57] + "..."
        lines.append(
            t(
                "{job_id} · {created} · {status} · seed {seed} · {prompt}",
                job_id=job["id"],
                created=Stamp(datetime.fromisoformat(job["created_at"])),
                status=status_name(job["status"]),
                seed=str(job["seed"]),
                prompt=verbatim(prompt),
            )
        )
    return joined(lines)


def status_name(status: str) -> Message:
    """A job's status as users read it."""
    names = {
        "queued": t("queued"),
        "running": t("running"),
        "done": t("done"),
        "failed": t("failed"),
        "cancelled": t("cancelled"),
    }
    return names.get(status, verbatim(status))


def action_name(job: dict[str, Any]) -> Message:
    """What made a job, as users read it: 'Zoom Out 2×', 'Pan left', 'Upscale'."""
    details = json.loads(job.get("action_json") or "{}")
    action = job["action"]
    if action == "zoom_out":
        return t("Zoom Out {factor}×", factor=f"{details.get('factor', 0):g}")
    if action == "pan":
        pans = {
            "left": t("Pan left"),
            "right": t("Pan right"),
            "up": t("Pan up"),
            "down": t("Pan down"),
        }
        return pans.get(details.get("direction", ""), t("Pan"))
    names = {
        "make_square": t("Make Square"),
        "vary_region": t("Vary (Region)"),
        "upscale": t("Upscale"),
        "variation": t("Variation"),
        "reroll": t("Reroll"),
    }
    return names.get(action, verbatim(action))


def lineage(job: dict[str, Any]) -> Message | None:
    """What a job was made from, for /show: 'Zoom Out 2× of job k7x2m9pq4a (image 1)'."""
    if not job.get("parent_id"):
        return None
    what, parent = action_name(job), job["parent_id"]
    if job.get("parent_image"):
        return t(
            "{action} of job {job_id} (image {image})",
            action=what,
            job_id=parent,
            image=job["parent_image"],
        )
    return t("{action} of job {job_id}", action=what, job_id=parent)
