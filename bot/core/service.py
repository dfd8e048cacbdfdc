"""The platform-neutral core: every adapter hands it `Incoming` with a `Responder`.

Entry points for adapters:
    handle(incoming, respond)     a command text or a button press; every outcome, errors
                                  included, is answered through `respond`
    imagine(incoming, text, ...)  a drawing from a prompt and fields (the HTTP API), raising
                                  MjError; its jobs report to the platform's sink
    describe(incoming, text)      /describe's job for the HTTP API, the same way
    cancel(origin, job_id)        the same as /cancel, raising MjError
    register_sink(platform, sink) where replies go that outlive a request (after a restart)
    start() / close()             resume and deliver what a previous run left; stop following
    queries, health(), image_file(name), wait(job_id), remember_reply_message(...)
    choices(kind, origin, typed)  autocomplete for /mj's model, theme and style options
    looks(kind, origin)           what /models, /themes, /styles, /loras list, as entries

Commands are `bot.core.commands` (the registry) and `bot.core.handlers`; buttons are
`bot.core.buttons` and `bot.core.presses`; the /mj flow is `bot.core.drawing`. On start-up jobs
left queued or running are queued again and results never delivered are delivered, so nothing
acknowledged is lost across restarts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.core import commands
from bot.core.accounts import Accounts, Clock, utc_now
from bot.core.catalog import Entry
from bot.core.commands import Access
from bot.core.delivery import Delivery, origin_of
from bot.core.describe_results import DescribeResults
from bot.core.describing import Describing
from bot.core.drawing import Drawing
from bot.core.editing import VARY_REGION, Edit
from bot.core.edits import EditRequest, Edits
from bot.core.endings import Endings
from bot.core.errors import MjError, NotPermitted, excerpt
from bot.core.handlers import HANDLERS, Call, Parts, cancel
from bot.core.language import Languages
from bot.core.lookbook import Lookbook
from bot.core.moderation import GLOBAL, Moderation
from bot.core.params import Fields
from bot.core.permissions import is_owner, may_moderate
from bot.core.presses import Order, Presses
from bot.core.queries import Queries, not_deleted
from bot.core.remix import PROMPT_LABEL
from bot.core.render import FAILED
from bot.core.requests import (
    Incoming,
    Origin,
    Question,
    Reply,
    ReplyKind,
    ReplySink,
    RequestKey,
    Responder,
)
from bot.core.retries import Retries
from bot.core.safety import ImageSafety
from bot.core.safety_commands import SafetyCommands
from bot.core.settings import CoreSettings
from bot.core.term_commands import TermCommands
from bot.core.user_settings import UserSettings
from engine.executor import WorkerStatus
from engine.job import spec_from_dict
from engine.port import EnginePort
from filters.image_safety import SafetyChecker
from i18n import Lang, render, sentences, t
from storage.images import ImageStore
from storage.store import AsyncStore
from translate.gloss import Glosser
from translate.translator import AsyncTranslator

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Health:
    alive: bool  # the engine runs and takes jobs
    waiting: int  # jobs waiting in its queue
    workers: tuple[WorkerStatus, ...] = ()  # who draws: the local one, or one per Ray GPU

    @property
    def workers_alive(self) -> int:
        """Workers ready to draw: with none, jobs wait (and are still accepted)."""
        return sum(worker.alive for worker in self.workers)


class MjService:
    def __init__(
        self,
        settings: CoreSettings,
        store: AsyncStore,
        engine: EnginePort,
        images: ImageStore,
        *,
        translator: AsyncTranslator | None = None,
        safety_checker: SafetyChecker | None = None,
        glosser: Glosser | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.images = images
        self.queries = Queries(store)
        self.accounts = Accounts(settings.quota, settings.owners, store, clock)
        moderation = Moderation(settings.moderation, store)
        self.languages = Languages(store, settings.owners)
        # Without a checker, every policy but off fails closed (nothing unchecked goes out).
        self.safety = ImageSafety(settings.safety, store, images, safety_checker)
        described = DescribeResults(store, images, moderation, glosser)
        endings = Endings(store, images, self.accounts, self.safety, described)
        self.delivery = Delivery(settings, store, endings, settings.models.gan_upscaler)
        self.lookbook = Lookbook(store, engine, settings.models)
        self.drawing = Drawing(
            settings,
            store,
            engine,
            images,
            moderation,
            self.accounts,
            self.delivery,
            translator,
            self.lookbook,
        )
        self.edits = Edits(settings, store, images, self.queries, self.accounts, self.drawing)
        self.describing = Describing(settings, self.accounts, self.drawing)
        self.retries = Retries(store, clock)
        user_settings = UserSettings(store, self.drawing.parse)
        self.presses = Presses(
            settings,
            self.queries,
            self.accounts,
            self.drawing,
            self.edits,
            self.describing,
            user_settings,
        )
        self.parts = Parts(
            store,
            engine,
            self.queries,
            self.accounts,
            user_settings,
            self.drawing,
            self.delivery,
            self.edits,
            self.presses,
            SafetyCommands(settings.owners, self.safety, self.delivery),
            self.languages,
            TermCommands(settings.moderation, settings.owners, store),
            self.describing,
            self.lookbook,
        )

    # wiring ------------------------------------------------------------------------------
    def register_sink(
        self,
        platform: str,
        sink: ReplySink,
        preview_every_s: float | None = None,
        *,
        notices: bool = False,
    ) -> None:
        """An adapter says: send replies for `platform` to me, with previews this often, and
        (`notices`) a NOTICE after each final reply, which it edits in without notifying."""
        self.delivery.register_sink(platform, sink, preview_every_s, notices=notices)

    async def start(self) -> None:
        """Re-queue what a previous run left unfinished and deliver what it left undelivered."""
        # The banned-term matcher loads its word lists (seconds) on first use: now, rather
        # than while the first user waits for an answer.
        await self.drawing.moderation.matcher(GLOBAL)
        # Front ends listen before this runs (their sinks must be registered for what it
        # resumes), so jobs of this run may be recorded already: they are not resumed twice.
        async with self.drawing.admission:
            for row in await self.store.run(lambda s: s.jobs.unfinished()):
                if self.delivery.taken_before_start(row["id"]):
                    continue
                origin = origin_of(row)
                spec = spec_from_dict(json.loads(row["spec_json"]))
                log.info("resuming job %s (%s before the restart)", row["id"], row["status"])
                handle = self.engine.submit(
                    spec, preview_every_s=self.delivery.pace(origin), force=True
                )
                self.delivery.follow(origin, handle, resumed=True)
        await self.delivery.start()

    async def close(self) -> None:
        await self.delivery.close()

    # what adapters ask -----------------------------------------------------------------------
    def health(self) -> Health:
        engine = self.engine
        return Health(engine.is_alive(), engine.waiting_count(), tuple(engine.workers()))

    def image_file(self, name: str) -> Path | None:
        """A stored image (a result or an image prompt) by its public name, if there is one."""
        return self.images.find(name)

    async def image_deleted(self, name: str) -> bool:
        """Whether the stored file of that public name was removed by its job's 🗑."""
        return await self.store.run(lambda s: s.editing.deleted_image(name))

    def model_steps(self) -> dict[str, int]:
        """The models users may pick (the default first), each with the most steps it takes."""
        names = dict.fromkeys((self.settings.models.default, *self.settings.models.names))
        return {name: self.engine.profile(name).max_steps for name in names}

    def look_names(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The themes and LoRAs installed now (the HTTP API's description names them)."""
        return self.store.run_sync(
            lambda s: (
                tuple(theme.name for theme in s.looks.themes()),
                tuple(lora.name for lora in s.looks.loras()),
            )
        )

    def is_owner(self, origin: Origin) -> bool:
        return is_owner(self.settings.owners, origin)

    async def choices(
        self, kind: str, origin: Origin, typed: str, lang: Lang = Lang.EN
    ) -> list[tuple[str, str]]:
        """What to suggest for /mj's `kind` option ("models", "themes", "styles") as the user
        types `typed`: (label, value) pairs, at most 25, those allowed in the community."""
        return await self.lookbook.choices(kind, origin, typed, lang)

    async def looks(self, kind: str, origin: Origin) -> list[Entry]:
        """What `kind` ("models", "themes", "styles", "loras") offers to `origin`: name and
        one line about it (description, family, trigger words), those allowed there."""
        return await self.lookbook.entries(kind, origin)

    def pending_job_ids(self) -> list[str]:
        """Jobs this process is still following (queued, running or being delivered)."""
        return self.delivery.pending_job_ids()

    async def wait(self, job_id: str) -> dict[str, Any]:
        """Until the job's outcome has been delivered; returns its row (for one-shot commands)."""
        return await self.delivery.wait(job_id)

    async def remember_reply_message(self, job_id: str, message_id: str) -> None:
        """An adapter records the message that shows a job's progress (to edit it later)."""
        await self.store.run(lambda s: s.jobs.set_reply_message(job_id, message_id))

    async def reply_message(self, job_id: str) -> str | None:
        """The message an adapter recorded for this job, even from before a restart."""
        job = await self.queries.job(job_id)
        return None if job is None else job.get("reply_message_id")

    async def chat_moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """A chat goes on under a new id (a Telegram group upgraded to a supergroup): its jobs,
        the answers it is owed and its community's settings follow it."""
        moved = await self.store.run(lambda s: s.chats.moved(platform, old_chat_id, new_chat_id))
        log.info(
            "%s chat %s is now %s: %d job(s) and its settings moved",
            platform,
            old_chat_id,
            new_chat_id,
            moved,
        )

    # requests ------------------------------------------------------------------------------
    async def language(self, incoming: Incoming) -> Lang:
        """The language to answer `incoming` in (`bot.core.language`): for adapters that say
        something of their own (an attachment of the wrong type, an HTTP error)."""
        return await self.languages.resolve(incoming)

    async def handle(self, incoming: Incoming, respond: Responder) -> None:
        """Answer one user action; every outcome, including errors, goes to `respond`, in the
        language chosen for it (and its jobs keep that language)."""
        lang = await self.languages.resolve(incoming)
        incoming = replace(incoming, origin=replace(incoming.origin, lang=lang))
        try:
            if incoming.button is not None:
                await self.presses.press(incoming, incoming.button, respond)
                return
            name, rest = commands.split_command(incoming.text or "")
            command = commands.find(name)
            if command is None:
                if name:
                    unknown = t("I don't know {command}.", command=excerpt(f"/{name}", quote=""))
                else:
                    unknown = t("I don't know that.")
                raise MjError(sentences([unknown, commands.help_text()]))
            self._check_access(command, incoming)
            call = Call(incoming, command.name, rest, respond)
            reply = await HANDLERS[command.name](self.parts, call)
            if reply is not None:
                await self.delivery.answer(respond, reply, lang)
        except MjError as error:
            refusal = Reply(ReplyKind.ERROR, error.message, ephemeral=True)
            await self.delivery.answer(respond, refusal, lang)
        except Exception:
            what = render(excerpt(incoming.text, 200)) if incoming.text else incoming.button
            log.exception("handling %s from %s failed", what, incoming.origin.user_key)
            oops = Reply(ReplyKind.ERROR, FAILED, ephemeral=True)
            await self.delivery.answer(respond, oops, lang)

    def _check_access(self, command: commands.Command, incoming: Incoming) -> None:
        owners = self.settings.owners
        if command.access is Access.OWNER and not is_owner(owners, incoming.origin):
            raise NotPermitted(command.refused())
        if command.access is Access.MODERATOR and not may_moderate(owners, incoming):
            raise NotPermitted(command.refused())

    async def imagine(
        self,
        incoming: Incoming,
        text: str,
        *,
        fields: Fields | None = None,
        images: int | None = None,
    ) -> list[str]:
        """Draw `text` (a prompt with any /mj parameters) plus `fields`; returns the job ids.
        MjError when it is refused; the jobs report to the platform's sink, in the language
        chosen for `incoming` (given `text` as what they wrote). With a retry key
        (`Incoming.key`), a retry of the same request returns the first one's jobs."""
        incoming = await self._in_language(replace(incoming, text=text))
        return await self.retries.once(
            incoming,
            lambda: self.drawing.imagine(incoming, text, fields=fields, images=images),
        )

    async def _in_language(self, incoming: Incoming) -> Incoming:
        """`incoming` with the language chosen for it, which the jobs it makes keep."""
        lang = await self.languages.resolve(incoming)
        return replace(incoming, origin=replace(incoming.origin, lang=lang))

    async def act(self, incoming: Incoming, job_id: str, order: Order) -> str:
        """An action on job `job_id` by name and fields (upscale ... vary_region); the new
        job's id (with a retry key, the first request's). MjError when refused; the job
        reports to the platform's sink."""
        incoming = await self._in_language(incoming)
        return await self.retries.one(incoming, lambda: self.presses.act(incoming, job_id, order))

    async def blend(self, incoming: Incoming, text: str) -> str:
        """/blend `text` (2-5 image URLs, maybe a prompt and --dimensions); the job's id
        (with a retry key, the first request's)."""
        incoming = await self._in_language(replace(incoming, text=text))
        return await self.retries.one(incoming, lambda: self.edits.blend(incoming, text, None, []))

    async def region_page(self, token: str, job_id: str) -> dict[str, Any]:
        """What the Vary (Region) page shows, if `token` is a fresh link for that job."""
        origin, job = await self.edits.linked_job(token, job_id)
        not_deleted(job)
        images = await self.queries.job_images(job_id)
        if not images:
            raise MjError(t("Job {job_id} has no image to repaint.", job_id=job_id))
        remix = await self.store.run(lambda s: s.editing.remix(origin.platform, origin.user_id))
        image = images[0]
        prompt = job["mj_text"]
        return {
            "path": image.path,
            "width": image.width,
            "height": image.height,
            "prompt": prompt,
            "remix": remix,
        }

    async def link_language(self, token: str, job_id: str, locale: Lang | None) -> Lang:
        """The language of the region page a link opens: its user's, as for their messages
        (`locale`: the browser's Accept-Language). LinkRefused if the link is not good."""
        origin, job = await self.edits.linked_job(token, job_id)
        name = job["display_name"] or origin.user_id
        return await self.languages.resolve(Incoming(origin, name, locale=locale))

    async def region_submit(
        self,
        token: str,
        job_id: str,
        mask: bytes,
        prompt: str | None,
        key: RequestKey | None = None,
    ) -> str:
        """Vary (Region) from the page: the drawn mask (PNG), and with Remix a prompt. With a
        retry key (the page's Idempotency-Key), a resent submit gets the first one's job."""
        origin, job = await self.edits.linked_job(token, job_id)
        incoming = Incoming(origin, job["display_name"] or origin.user_id, key=key)
        request = EditRequest(Edit(VARY_REGION), mask=mask, prompt=prompt or None)
        return await self.retries.one(
            incoming, lambda: self.edits.run(incoming, job, request, None)
        )

    # questions (Remix prompts): where the adapters find them again ----------------------------
    async def question(self, question_id: str) -> Question | None:
        row = await self.store.run(lambda s: s.editing.pending(question_id))
        return None if row is None else _question(row)

    async def asked_in(self, question_id: str, message_id: str) -> None:
        """The message that shows the question (a Telegram ForceReply), to find it by."""
        await self.store.run(lambda s: s.editing.set_pending_message(question_id, message_id))

    async def question_in(self, origin: Origin, message_id: str) -> Question | None:
        """The question the bot's message `message_id` asked `origin`'s user, if any."""
        row = await self.store.run(
            lambda s: s.editing.pending_by_message(origin.platform, origin.chat_id, message_id)
        )
        if row is None or row["kind"] != "question" or row["platform_user_id"] != origin.user_id:
            return None
        return _question(row)

    async def describe(
        self,
        incoming: Incoming,
        text: str = "",
        *,
        gloss: bool | None = None,
        seed: int | None = None,
    ) -> str:
        """Describe the image `incoming` carries (or `text` links to); returns the job id
        (with a retry key, the first request's). MjError when it is refused; the job reports
        to the platform's sink."""
        incoming = await self._in_language(incoming)
        return await self.retries.one(
            incoming, lambda: self.describing.describe(incoming, text, gloss=gloss, seed=seed)
        )

    async def delete(self, origin: Origin, job_id: str) -> Reply:
        """🗑 by id (the HTTP API's DELETE): as the button does, `origin`'s job's images and
        files removed, the job kept as deleted. JobDeleted if it was already, JobUnfinished
        while it is queued or running."""
        return await self.edits.delete(await self.queries.own_job(origin, job_id))

    async def cancel(self, origin: Origin, job_id: str) -> None:
        """Cancel `origin`'s job `job_id`; MjError if it is not theirs or already finished.
        The job's final reply says so (through the platform's sink)."""
        await cancel(self.parts, origin, job_id)


def _question(row: dict[str, Any]) -> Question:
    payload = row["payload_json"]
    return Question(row["id"], payload["command"], payload["prefill"], PROMPT_LABEL)
