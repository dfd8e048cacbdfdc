"""The image safety check's moderator commands: /safety, /safety-log, /safety-release.

A community's moderators set its policy and read and act on its log; the owners (and the
console) add --global for the default every community without its own follows, or --scope
platform:id for any one (an API key's is api:NAME).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.core.delivery import Delivery, origin_of
from bot.core.errors import MjError
from bot.core.moderation import GLOBAL, placed, scope_for, target_scope
from bot.core.permissions import is_owner
from bot.core.requests import Incoming, Reply, ReplyKind
from bot.core.safety import ImageSafety, stored_policy
from filters.safety_policy import PolicyError, SafetyPolicy, format_policy, parse_policy
from i18n import Message, Stamp, sentences, t
from i18n import lines as joined
from storage.safety import Decision

LOG_PAGE = 10
RESET_WORDS = ("default", "reset", "clear", "默认", "預設")
USAGE = t(
    "/safety shows the image safety policy here; /safety MODE [THRESHOLD] [--nsfw MODE] sets "
    "it (modes: off, spoiler, blur, block; a threshold from 0 to 1, e.g. /safety blur 0.7); "
    "/safety default follows the bot's default again."
)


def describe(policy: SafetyPolicy) -> Message:
    values = {"mode": policy.mode.value, "threshold": policy.threshold}
    if policy.nsfw_mode is not None:
        return t(
            "{mode} at {threshold}; in channels marked NSFW: {nsfw_mode}",
            nsfw_mode=policy.nsfw_mode.value,
            **values,
        )
    return t("{mode} at {threshold}", **values)


def log_line(decision: Decision) -> Message:
    values = {
        "id": str(decision.id),
        "when": Stamp(datetime.fromisoformat(decision.created_at or "1970-01-01T00:00:00")),
        "who": f"{decision.user_name} ({decision.platform}:{decision.user_id})",
        "score": round(decision.score, 2),
        "threshold": decision.threshold,
    }
    if decision.kind == "image_prompt":
        if decision.action == "block":
            return t(
                "#{id} · {when} · {who} · image prompt refused · score {score} "
                "(threshold {threshold})",
                **values,
            )
        return t(
            "#{id} · {when} · {who} · image prompt accepted · score {score} "
            "(threshold {threshold})",
            **values,
        )
    values |= {"job_id": decision.job_id or "", "image": decision.image_index or 0}
    values["action"] = decision.action
    if decision.released_at:
        return t(
            "#{id} · {when} · {who} · job {job_id} image {image}: {action}, released by "
            "{released_by} · score {score} (threshold {threshold})",
            released_by=decision.released_by or "",
            **values,
        )
    return t(
        "#{id} · {when} · {who} · job {job_id} image {image}: {action} · score {score} "
        "(threshold {threshold})",
        **values,
    )


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
        refusal = t("Only the bot's owner can manage the global or another policy.")
        target, rest = target_scope(rest, own, owner, refusal)
        if name == "safety":
            text = await self._policy(incoming, target, own, rest)
        elif name == "safety-log":
            text = await self._log(None if target == GLOBAL and owner else target, own, rest)
        else:
            text = await self._release(incoming, target, owner, rest)
        return Reply(ReplyKind.TEXT, text, ephemeral=True)

    async def _in_force(self, target: str) -> tuple[SafetyPolicy, Message]:
        """The policy at `target`, and whose it is."""
        own, default = await self.store.run(
            lambda s: (s.safety.get_policy(target), s.safety.get_policy(GLOBAL))
        )
        if own is not None:
            whose = t("its own") if target != GLOBAL else t("set by the owners")
            return stored_policy(own), whose
        if default is not None:
            return stored_policy(default), t("the owners' default")
        return self.safety.settings.default, t("the bot's default (MJ_SAFETY_*)")

    async def _policy(self, incoming: Incoming, target: str, own: str, rest: str) -> Message:
        current, whose = await self._in_force(target)
        if not rest:
            values = {"policy": describe(current), "whose": whose, "usage": USAGE}
            return placed(
                target,
                own,
                here=t("Image safety here: {policy} ({whose}). {usage}", **values),
                globally=t("Image safety by default: {policy} ({whose}). {usage}", **values),
                there=t(
                    "Image safety in {scope}: {policy} ({whose}). {usage}", scope=target, **values
                ),
            )
        if rest.strip().lower() in RESET_WORDS:
            cleared = await self.store.run(lambda s: s.safety.clear_policy(target))
            policy, whose = await self._in_force(target)
            values = {"policy": describe(policy), "whose": whose}
            if cleared:
                return placed(
                    target,
                    own,
                    here=t("Removed the policy set here; it follows {whose}: {policy}.", **values),
                    globally=t(
                        "Removed the policy set by default; it follows {whose}: {policy}.",
                        **values,
                    ),
                    there=t(
                        "Removed the policy set in {scope}; it follows {whose}: {policy}.",
                        scope=target,
                        **values,
                    ),
                )
            return placed(
                target,
                own,
                here=t("No policy was set here; it follows {whose}: {policy}.", **values),
                globally=t(
                    "No policy was set by default; it follows {whose}: {policy}.", **values
                ),
                there=t(
                    "No policy was set in {scope}; it follows {whose}: {policy}.",
                    scope=target,
                    **values,
                ),
            )
        try:
            policy = parse_policy(rest, current)
        except PolicyError as error:
            raise MjError(sentences([error.message, USAGE])) from None
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
        values = {"policy": describe(policy), "command": f"/safety {format_policy(policy)}"}
        return placed(
            target,
            own,
            here=t("Image safety here is now {policy} ({command}).", **values),
            globally=t("Image safety by default is now {policy} ({command}).", **values),
            there=t(
                "Image safety in {scope} is now {policy} ({command}).", scope=target, **values
            ),
        )

    async def _log(self, scope: str | None, own: str, rest: str) -> Message:
        if rest and not rest.isdigit():
            raise MjError(t("Usage: /safety-log [page]"))
        page = max(int(rest or 1), 1)
        offset = (page - 1) * LOG_PAGE
        entries = await self.store.run(
            lambda s: s.safety.log(scope, limit=LOG_PAGE + 1, offset=offset)
        )
        # The owners' log (scope None) covers every scope; GLOBAL itself has no log of its own.
        where = scope or GLOBAL
        if not entries:
            return placed(
                where,
                own,
                here=t("No image was flagged here (page {page}).", page=page),
                globally=t("No image was flagged anywhere (page {page}).", page=page),
                there=t("No image was flagged in {scope} (page {page}).", scope=where, page=page),
            )
        title = placed(
            where,
            own,
            here=t("Flagged images here, newest first (page {page}):", page=page),
            globally=t("Flagged images everywhere, newest first (page {page}):", page=page),
            there=t(
                "Flagged images in {scope}, newest first (page {page}):", scope=where, page=page
            ),
        )
        footer = [t("Release a blurred or withheld image with /safety-release ID.")]
        if len(entries) > LOG_PAGE:
            footer.append(t("More: /safety-log {page}.", page=str(page + 1)))
        lines = [log_line(entry) for entry in entries[:LOG_PAGE]]
        return joined([title, *lines, sentences(footer)])

    async def _release(self, incoming: Incoming, target: str, owner: bool, rest: str) -> Message:
        number = rest.lstrip("#")
        if not number.isdigit():
            raise MjError(t("Usage: /safety-release ID (the # number in /safety-log)."))
        found = await self.store.run(lambda s: s.safety.decision(int(number)))
        if found is None or (found.scope != target and not (owner and target == GLOBAL)):
            raise MjError(t("There is no #{number} in this log (see /safety-log).", number=number))
        if found.kind != "image" or found.job_id is None:
            raise MjError(
                t(
                    "#{number} was an image prompt: those are not kept, nothing to release.",
                    number=number,
                )
            )
        decision_id, job_id, by = int(number), found.job_id, incoming.origin.user_key
        if not await self.store.run(lambda s: s.safety.release(decision_id, by)):
            raise MjError(
                t("#{number} was not withheld or blurred, or is released already.", number=number)
            )
        # The job's grid again, now with that image as drawn, where the job was shown.
        shown = await self.safety.shown(job_id)
        originals = await self.store.run(lambda s: s.jobs.images(job_id))
        grid = await asyncio.to_thread(self.safety.save_regrid, shown, originals)
        await self.store.run(lambda s: s.jobs.set_grid(job_id, grid))
        row = await self.store.run(lambda s: s.jobs.get(job_id))
        reply = await self.delivery.result_reply(row, None)
        values = {"image": found.image_index or 0, "job_id": job_id}
        if not await self.delivery.send(origin_of(row), reply):
            return t(
                "Released image {image} of job {job_id}: its grid could not be sent to its chat "
                "now (/show {job_id} shows it there).",
                **values,
            )
        return t(
            "Released image {image} of job {job_id}: its grid was sent again where it was drawn.",
            **values,
        )
