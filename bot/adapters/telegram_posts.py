"""New messages in a Telegram chat: answers, a result posted again, a job's notice, and 🗑.

Each takes a moment of the chat's pace (`telegram_pace`), so previews leave room for them.
The job's own message, edited while it runs, is `telegram_sink`'s.
"""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import Bot, CallbackQuery, ForceReply, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.adapters.telegram_format import CAPTION_LIMIT, MESSAGE_LIMIT, PHOTO_BYTES, fit, keyboard
from bot.adapters.telegram_pace import ChatPace
from bot.adapters.text_fit import CAPTION_TAIL
from bot.adapters.uploads import fit_upload
from bot.core.requests import Origin, Reply, ReplyMessages

log = logging.getLogger(__name__)


class ChatPosts:
    def __init__(self, bot: Bot, messages: ReplyMessages, pace: ChatPace) -> None:
        self.bot = bot
        self.messages = messages
        self.pace = pace

    async def post(
        self, origin: Origin, text: str, markup: InlineKeyboardMarkup | ForceReply | None = None
    ) -> Message:
        self.pace.spend(origin.chat_id)
        return await self.bot.send_message(
            int(origin.chat_id),
            fit(text, MESSAGE_LIMIT),
            reply_parameters=reply_to(origin),
            reply_markup=markup,
        )

    async def send_result(self, origin: Origin, reply: Reply) -> Message:
        """A past result posted again (/show), as a new message with its buttons."""
        assert reply.image_path is not None
        # Re-encoded to Telegram's photo size when the grid is larger; off the event loop.
        upload = await asyncio.to_thread(fit_upload, reply.image_path, PHOTO_BYTES)
        self.pace.spend(origin.chat_id)
        return await self.bot.send_photo(
            int(origin.chat_id),
            upload.data,
            caption=fit(reply.text, CAPTION_LIMIT, tail=CAPTION_TAIL),
            filename=upload.filename,
            reply_markup=keyboard(reply.buttons),
            reply_parameters=reply_to(origin),
            has_spoiler=reply.spoiler,
        )

    async def notice(self, origin: Origin, reply: Reply) -> None:
        """A short new message under the job's message (an edit notifies nobody); in groups
        it mentions the user."""
        assert reply.job_id is not None
        stored = await self.messages.reply_message(reply.job_id)
        under = reply_to(origin)
        if stored and stored.isdigit():
            under = ReplyParameters(int(stored), allow_sending_without_reply=True)
        text = html.escape(fit(reply.text, MESSAGE_LIMIT - 100))
        bell = "🔔"
        if origin.chat_id.startswith("-") and origin.user_id.isdigit():  # a group: mention
            bell = f'<a href="tg://user?id={origin.user_id}">🔔</a>'
        self.pace.spend(origin.chat_id)
        await self.bot.send_message(
            int(origin.chat_id),
            " ".join((bell, text)),  # a bell, then the reply's text in its language
            parse_mode=ParseMode.HTML,
            reply_parameters=under,
        )

    async def delete_shown(
        self, origin: Origin, job_id: str | None, query: CallbackQuery | None = None
    ) -> None:
        """🗑: remove the message that shows the job (the one pressed, else its stored one)."""
        message = query.message if query is not None else None
        stored = None if job_id is None else await self.messages.reply_message(job_id)
        message_id = message.message_id if message is not None else stored
        if message_id is None or not str(message_id).lstrip("-").isdigit():
            return
        try:
            await self.bot.delete_message(int(origin.chat_id), int(message_id))
        except TelegramError as error:  # gone already, or too old to delete (48 h)
            log.info("could not delete the message of job %s: %s", job_id, error)


def reply_to(origin: Origin) -> ReplyParameters | None:
    """Answer under the user's message (in its forum topic too); still send if it is gone."""
    handle = origin.reply_handle  # the message that asked (or the grid a button is under)
    if handle is None or not handle.isdigit():
        return None
    return ReplyParameters(int(handle), allow_sending_without_reply=True)
