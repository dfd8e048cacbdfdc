"""The image safety check's moderator commands: /safety, /safety-log, /safety-release.

A community's moderators set its policy and read and act on its log; the owners (and the
console) add --global for the default every community without its own follows, or --scope
platform:id for any one (an API key's is api:NAME).
"""

from __future__ import annotations

import asyncio

from bot.core.delivery import Delivery, origin_of
from bot.core.errors import MjError
from bot.core.moderation import GLOBAL, scope_for, target_scope
from bot.core.permissions import is_owner
from bot.core.requests import Incoming, Reply, ReplyKind
from bot.core.safety import ImageSafety, stored_policy
from filters.safety_policy import PolicyError, SafetyPolicy, format_policy, parse_policy
from storage.safety import Decision

LOG_PAGE = 10
RESET_WORDS = ("default", "reset", "clear", "默认")
USAGE = (
    "/safety shows the image safety policy here; /safety MODE [THRESHOLD] [--nsfw MODE] sets "
    "it (modes: off, spoiler, blur, block; a threshold from 0 to 1, e.g. /safety blur 0.7); "
    "/safety default follows the bot's default again."
)


def describe(policy: SafetyPolicy) -> str:
    text = f"{policy.mode} at {policy.threshold:g}"
    if policy.nsfw_mode is not None:
        text += f"; in channels marked NSFW: {policy.nsfw_mode}"
    return text


def log_line(decision: Decision) -> str:
    when = (decision.created_at or "")[:16].replace("T", " ")
    if decision.kind == "image_prompt":
        what = "image prompt " + ("refused" if decision.action == "block" else "accepted")
    else:
        what = f"job {decision.job_id} image {decision.image_index}: {decision.action}"
    released = f", released by {decision.released_by}" if decision.released_at else ""
    who = f"{decision.user_name} ({decision.platform}:{decision.user_id})"
    score = f"score {decision.score:.2f} (threshold {decision.threshold:g})"
    return f"#{decision.id} · {when} UTC · {who} · {what}{released} · {score}"


class SafetyCommands:
    def __init__(self, owners: frozenset[str], safety: ImageSafety, delivery: Delivery) -> None:
        self.owners = owners
        self.safety = safety
        self.delivery = delivery
        self.store = safety.store

    async def command(self, incoming: Incoming, name: str, rest: str) -> Reply:
        """Run one command (the dispatch checked the caller moderates here)."""
        own = scope_for(incoming.origin)
        owner = is_owner(self.owners, incoming.origin)
        target, rest = target_scope(rest, own, owner, "policy")
        where = "by default" if target == GLOBAL else "here" if target == own else f"in {target}"
        if name == "safety":
            text = await self._policy(incoming, target, where, rest)
        elif name == "safety-log":
            text = await self._log(None if target == GLOBAL and owner else target, where, rest)
        else:
            text = await self._release(incoming, target, owner, rest)
        return Reply(ReplyKind.TEXT, text, ephemeral=True)

    async def _in_force(self, target: str) -> tuple[SafetyPolicy, str]:
        """The policy at `target`, and whose it is."""
        own, default = await self.store.run(
            lambda s: (s.safety.get_policy(target), s.safety.get_policy(GLOBAL))
        )
        if own is not None:
            return stored_policy(own), "its own" if target != GLOBAL else "set by the owners"
        if default is not None:
            return stored_policy(default), "the owners' default"
        return self.safety.settings.default, "the bot's default (MJ_SAFETY_*)"

    async def _policy(self, incoming: Incoming, target: str, where: str, rest: str) -> str:
        current, whose = await self._in_force(target)
        if not rest:
            return f"Image safety {where}: {describe(current)} ({whose}). {USAGE}"
        if rest.strip().lower() in RESET_WORDS:
            cleared = await self.store.run(lambda s: s.safety.clear_policy(target))
            policy, whose = await self._in_force(target)
            done = "Removed the policy set" if cleared else "No policy was set"
            return f"{done} {where}; it follows {whose}: {describe(policy)}."
        try:
            policy = parse_policy(rest, current)
        except PolicyError as error:
            raise MjError(f"{error} {USAGE}") from None
        by = incoming.origin.user_key
        await self.store.run(
            lambda s: s.safety.set_policy(
                target,
                policy.mode.value,
                policy.threshold,
                policy.nsfw_mode.value if policy.nsfw_mode else None,
                by,
            )
        )
        return f"Image safety {where} is now {describe(policy)} (/safety {format_policy(policy)})."

    async def _log(self, scope: str | None, where: str, rest: str) -> str:
        if rest and not rest.isdigit():
            raise MjError("Usage: /safety-log [page]")
        page = max(int(rest or 1), 1)
        offset = (page - 1) * LOG_PAGE
        entries = await self.store.run(
            lambda s: s.safety.log(scope, limit=LOG_PAGE + 1, offset=offset)
        )
        shown = "everywhere" if scope is None else where
        if not entries:
            return f"No image was flagged {shown} (page {page})."
        more = f" More: /safety-log {page + 1}." if len(entries) > LOG_PAGE else ""
        lines = [log_line(entry) for entry in entries[:LOG_PAGE]]
        release = " Release a blurred or withheld image with /safety-release ID."
        return (
            f"Flagged images {shown}, newest first (page {page}):\n"
            + "\n".join(lines)
            + (f"\n{release.strip()}{more}")
        )

    async def _release(self, incoming: Incoming, target: str, owner: bool, rest: str) -> str:
        number = rest.lstrip("#")
        if not number.isdigit():
            raise MjError("Usage: /safety-release ID (the # number in /safety-log).")
        found = await self.store.run(lambda s: s.safety.decision(int(number)))
        if found is None or (found.scope != target and not (owner and target == GLOBAL)):
            raise MjError(f"There is no #{number} in this log (see /safety-log).")
        if found.kind != "image" or found.job_id is None:
            raise MjError(
                f"#{number} was an image prompt: those are not kept, nothing to release."
            )
        decision_id, job_id, by = int(number), found.job_id, incoming.origin.user_key
        if not await self.store.run(lambda s: s.safety.release(decision_id, by)):
            raise MjError(f"#{number} was not withheld or blurred, or is released already.")
        # The job's grid again, now with that image as drawn, where the job was shown.
        shown = await self.safety.shown(job_id)
        originals = await self.store.run(lambda s: s.jobs.images(job_id))
        grid = await asyncio.to_thread(self.safety.save_regrid, shown, originals)
        await self.store.run(lambda s: s.jobs.set_grid(job_id, grid))
        row = await self.store.run(lambda s: s.jobs.get(job_id))
        reply = await self.delivery.result_reply(row, None)
        sent = await self.delivery.send(origin_of(row), reply)
        if not sent:
            where = f"could not be sent to its chat now (/show {job_id} shows it there)"
        else:
            where = "sent again where it was drawn"
        return f"Released image {found.image_index} of job {job_id}: its grid was {where}."
