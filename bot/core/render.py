"""What users read: captions, acknowledgements, progress lines, history. Pure."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

# A bug met while handling someone's message: logged in full, answered briefly, and the bot
# goes on serving everyone else.
FAILED = (
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


def ack_text(job_id: str, position: int, eta_s: float | None, *, resumed: bool = False) -> str:
    where = "starting now" if position <= 1 else f"#{position} in the queue"
    eta = f", starts in about {format_duration(eta_s)}" if eta_s and position > 1 else ""
    if resumed:
        return f"Job {job_id} is back after a restart: {where}{eta}."
    return f"Job {job_id} accepted: {where}{eta}."


def queue_text(job_id: str, position: int, eta_s: float | None) -> str:
    eta = f" (starts in about {format_duration(eta_s)})" if eta_s else ""
    return f"Job {job_id}: #{position} in the queue{eta}."


def progress_text(job_id: str, percent: int, step: int, total: int) -> str:
    return f"Job {job_id}: {percent}% (step {step}/{total})"


def result_caption(job: dict[str, Any], user_name: str, elapsed_s: float | None) -> str:
    prompt = job.get("translated_prompt") or job.get("prompt") or ""
    negative = f" --no {job['negative_prompt']}" if job.get("negative_prompt") else ""
    took = f" in {format_duration(elapsed_s)}" if elapsed_s else ""
    return f"{prompt}{negative} {params_suffix(job)} — {user_name}{took} (job {job['id']})"


def failed_text(job_id: str, error: str, charged: float, refunded: float) -> str:
    end = "" if error.rstrip().endswith((".", "!", "?", "。")) else "."
    return f"Job {job_id} failed: {error.rstrip()}{end} {refund_text(charged, refunded)}"


def cancelled_text(job_id: str, charged: float, refunded: float) -> str:
    return f"Job {job_id} cancelled. {refund_text(charged, refunded)}"


def refund_text(charged: float, refunded: float) -> str:
    """What a failed or cancelled job gave back, from its ledger rows."""
    if charged <= 0:
        return "It cost nothing."
    if refunded >= charged - 1e-9:
        return f"Its {credits(charged)} {'was' if charged == 1 else 'were'} refunded."
    if refunded <= 0:
        return f"Nothing was refunded: every step had run ({credits(charged)})."
    return f"{refunded:g} of its {credits(charged)} refunded, for the steps that did not run."


def credits(amount: float) -> str:
    return f"{amount:g} credit{'' if amount == 1 else 's'}"


def notice_text(job: dict[str, Any]) -> str:
    """The short new message that tells a user their job's message now shows its outcome."""
    if job["status"] == "failed":
        return f"Job {job['id']} failed; its message says why and what was refunded."
    prompt = job.get("translated_prompt") or job.get("prompt") or ""
    if len(prompt) > 60:
        prompt = prompt[:57] + "..."
    return f"Job {job['id']} is done: {prompt}"


def describe_text(
    job: dict[str, Any], suggestions: list[Any], user_name: str, elapsed_s: float | None
) -> str:
    """A describe's answer: its numbered prompts (each with its gloss, if any) and what the
    buttons under them do."""
    took = f" in {format_duration(elapsed_s)}" if elapsed_s else ""
    lines = [f"Prompts for this image — {user_name}{took} (job {job['id']}):"]
    for suggestion in suggestions:
        lines.append(f"{_KEYCAPS[suggestion.index - 1]} {suggestion.prompt}")
        if suggestion.gloss:
            lines.append(f"    {suggestion.gloss}")
    lines.append(f"Press 1–{len(suggestions)} to draw one, 🔄 for new prompts.")
    return "\n".join(lines)


_KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣")


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min"


def when(moment: datetime, now: datetime) -> str:
    """'at 00:00 UTC (in 5 h 12 min)': a reset time users can read in any zone."""
    minutes = max(0, round((moment - now).total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    left = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"at {moment:%H:%M} {moment.tzname()} (in {left})"


def history_lines(jobs: list[dict[str, Any]]) -> str:
    """A user's last jobs, newest first: id, time, status, seed and prompt."""
    if not jobs:
        return "You have no jobs yet. Try /mj a red fox in the snow."
    lines = []
    for job in jobs:
        created = job["created_at"][:16].replace("T", " ")
        prompt = job.get("translated_prompt") or job.get("prompt") or ""
        if len(prompt) > 60:
            prompt = prompt[:57] + "..."
        lines.append(
            f"{job['id']} · {created} UTC · {job['status']} · seed {job['seed']} · {prompt}"
        )
    return "\n".join(lines)


def lineage(job: dict[str, Any]) -> str:
    """What a job was made from, for /show: 'Zoom Out 2x of job k7x2m9pq4a (image 1)'."""
    if not job.get("parent_id"):
        return ""
    details = json.loads(job.get("action_json") or "{}")
    what = {
        "zoom_out": f"Zoom Out {details.get('factor', 0):g}x",
        "pan": f"Pan {details.get('direction', '')}",
        "make_square": "Make Square",
        "vary_region": "Vary (Region)",
        "upscale": "Upscale",
        "variation": "Variation",
        "reroll": "Reroll",
    }.get(job["action"], job["action"])
    image = f" (image {job['parent_image']})" if job.get("parent_image") else ""
    return f"{what} of job {job['parent_id']}{image}"
