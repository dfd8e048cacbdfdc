"""The core answers each Telegram update through its `TelegramResponder`: refusals of a button
press become an alert on the press, the rest a reply to the user's message (Telegram has no
messages only one member of a group can see); news of the jobs it made go to the sink's job
views (`telegram_sink`). What Telegram will never take is Undeliverable (`telegram_errors`)."""

from __future__ import annotations

import asyncio
import logging

from telegram import CallbackQuery, ForceReply
from telegram.error import TelegramError

from bot.adapters.telegram_errors import refusals
from bot.adapters.telegram_format import ALERT_LIMIT, fit, keyboard, regions_keyboard
from bot.adapters.telegram_sink import TelegramSink
from bot.core.language import Lang
from bot.core.requests import Origin, Reply, ReplyKind

log = logging.getLogger(__name__)

PLACEHOLDER_LIMIT = 64  # Telegram's input_field_placeholder


class TelegramResponder:
    """One update the core answers: a command or photo message, or a button press (`query`,
    answered once: an alert for a refusal, else a plain answer that stops the spinner)."""

    def __init__(
        self, sink: TelegramSink, origin: Origin, query: CallbackQuery | None = None
    ) -> None:
        self.sink = sink
        self.origin = origin
        self.query = query
        self.answered = False
        self._lock = asyncio.Lock()

    async def answer(self, reply: Reply) -> None:
        with refusals():  # blocked by the user, removed from the group: never
            await self._answer(reply)

    async def _answer(self, reply: Reply) -> None:
        if reply.kind is ReplyKind.RESULT and reply.image_path is not None:
            await self.sink.posts.send_result(
                self.origin, reply
            )  # a past result shown again (/show)
            return
        if reply.kind is ReplyKind.DELETED:
            await self.sink.posts.delete_shown(self.origin, reply.job_id, self.query)
            await self.answer_query(reply.text)
            return
        if reply.pick_regions and reply.job_id is not None:
            picker = regions_keyboard(reply.job_id, reply.lang or Lang.EN)
            await self.sink.posts.post(self.origin, reply.text, picker)
            await self.answer_query()
            return
        if reply.question is not None:  # Remix: the answer is a reply to this message
            await self.ask(reply)
            return
        if reply.buttons:  # a link (the Vary (Region) page): a message with its button
            await self.sink.posts.post(self.origin, reply.text, keyboard(reply.buttons))
            await self.answer_query()
            return
        if reply.ephemeral and self.query is not None:
            try:
                if await self.answer_query(reply.text, alert=True):
                    return
            except TelegramError as error:  # e.g. "query is too old": say it in the chat
                log.info("could not answer a button press (%s); replying instead", error)
        await self.sink.posts.post(self.origin, reply.text)

    async def report(self, reply: Reply) -> None:
        await self.sink.send(self.origin, reply)

    async def ask(self, reply: Reply) -> None:
        """A question as a ForceReply: the user's reply to it is the answer (found again by
        this message's id, across restarts too)."""
        assert reply.question is not None
        question = reply.question
        text = (
            f"{reply.text}\n\nOr reply to this message with the prompt; as it stands:\n"
            f"{question.prefill}"
        )
        placeholder = fit(question.prefill, PLACEHOLDER_LIMIT)
        asked = await self.sink.posts.post(
            self.origin, text, ForceReply(selective=True, input_field_placeholder=placeholder)
        )
        await self.sink.messages.asked_in(question.id, str(asked.message_id))
        await self.answer_query()

    async def answer_query(self, text: str | None = None, *, alert: bool = False) -> bool:
        """Answer the button press (stops the client's spinner); False if that was done."""
        async with self._lock:
            if self.query is None or self.answered:
                return False
            self.answered = True
            await self.query.answer(fit(text, ALERT_LIMIT) if text else None, show_alert=alert)
            return True
