"""The Telegram front end: python-telegram-bot updates in, `Incoming` to the core.

It only translates. A command message becomes `Incoming(text=...)` with the text as typed
(`/mj@Bot ...` and `/ban_term` included: the core reads both spellings); a button press becomes
`Incoming(button=...)` from its callback data (`mj:<action>:<job id>`, so buttons keep working
after a restart). Replies come back through `TelegramSink`. Commands that take an image (/mj,
/describe) take it from a photo captioned with the command, or from the photo the command
replies to.

Moderators (`Incoming.is_moderator`) are a group's administrators (getChatAdministrators, cached
for a minute; anonymous administrators too) and the owners in MJ_OWNER_IDS. In a private chat
nobody else is: a user who could /allow-term in their own chat could let globally banned terms
through there.

Running it (the application, polling or a webhook, the launcher's handle) is
`telegram_front_end`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Coroutine
from functools import partial
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeDefault,
    CallbackQuery,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.settings import TelegramSettings
from bot.adapters.telegram_albums import Albums
from bot.adapters.telegram_format import (
    PLATFORM,
    cells_of,
    parse_button_data,
    region_press,
    regions_keyboard,
)
from bot.adapters.telegram_moves import ChatMoves
from bot.adapters.telegram_responder import TelegramResponder
from bot.adapters.telegram_sink import TelegramSink
from bot.core.commands import COMMANDS, Access, Command, Kind
from bot.core.commands import find as find_command
from bot.core.image_fetch import MAX_BYTES
from bot.core.language import Lang, parse_tag, render, t
from bot.core.language import Message as Text
from bot.core.render import FAILED
from bot.core.requests import Incoming, Origin
from bot.core.service import MjService

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
ADMINS_TTL_S = 60.0  # a demoted administrator keeps moderating for at most this long
ANSWER_WITHIN_S = 1.5  # a button press gets its answer by then, whatever the core still does
PHOTO_DOWNLOAD_FAILED = t("The photo could not be fetched from Telegram, so nothing was done.")
BUTTON_GONE = t("This button no longer works.")
# Command menus per language: Telegram matches a menu by the two-letter ISO 639-1 code of the
# user's app, so one Chinese menu serves both scripts. It is Simplified, the script of most
# Chinese readers; replies still follow each user's language (zh-hant, zh-tw: Traditional).
MENU_LANGUAGES = (("", Lang.EN), ("zh", Lang.ZH_HANS))


def telegram_name(name: str) -> str:
    """Telegram command names allow a-z, 0-9 and _ only; the core reads `_` as its `-`."""
    return name.replace("-", "_")


def takes_image(command: Command | None) -> bool:
    return command is not None and any(arg.kind is Kind.IMAGE for arg in command.args)


# A photo captioned with a command that takes an image (/mj, /describe, /blend) is that image
# (for /blend, one of its images).
_IMAGE_CAPTION = re.compile(
    "^/(?:"
    + "|".join(
        telegram_name(name) for c in COMMANDS if takes_image(c) for name in (c.name, *c.aliases)
    )
    + r")(?:@(\w+))?(?:\s|$)",
    re.IGNORECASE,
)


# From the core's registry: every name and alias, the menu for everyone and the one for group
# administrators (owners' commands work without being listed).
COMMAND_NAMES = tuple(
    telegram_name(name) for command in COMMANDS for name in (command.name, *command.aliases)
)


def menu(lang: Lang, *access: Access) -> tuple[BotCommand, ...]:
    """The commands for `access`, described in `lang`."""
    return tuple(
        BotCommand(telegram_name(c.name), render(c.description, lang))
        for c in COMMANDS
        if c.access in access
    )


class TelegramAdapter:
    """Registers the handlers on `application` and the reply sink with the core."""

    def __init__(
        self, service: MjService, settings: TelegramSettings, application: Application
    ) -> None:
        self.service = service
        self.settings = settings
        self.application = application
        group, private = settings.edit_every_s_group, settings.edit_every_s_private
        moves = ChatMoves(partial(service.chat_moved, PLATFORM))
        self.sink = TelegramSink(
            application.bot, service, moves=moves, group_every_s=group, private_every_s=private
        )
        # The engine renders previews at the faster pace; the sink paces each chat's edits.
        # Results are edited into the job's message, which notifies nobody: notices follow.
        service.register_sink(
            PLATFORM, self.sink, preview_every_s=min(group, private), notices=True
        )
        self._admins: dict[int, tuple[float, frozenset[int]]] = {}
        self.albums = Albums()
        new_messages = filters.UpdateType.MESSAGE  # not edits: an edited /mj must not draw again
        application.add_handlers(
            [
                CommandHandler(COMMAND_NAMES, self.on_command, filters=new_messages),
                MessageHandler(
                    filters.PHOTO & filters.CaptionRegex(_IMAGE_CAPTION) & new_messages,
                    self.on_photo,
                ),
                # The other photos of an album whose caption is a /blend.
                MessageHandler(
                    filters.PHOTO & ~filters.CAPTION & new_messages, self.on_album_photo
                ),
                # Private chats: any other command too, so new core commands work at once and
                # unknown ones get the core's help (groups: other bots' commands stay theirs).
                MessageHandler(
                    filters.COMMAND & filters.ChatType.PRIVATE & new_messages, self.on_command
                ),
                # A reply to the bot's question (Remix: the prompt), which privacy mode
                # delivers in groups too.
                MessageHandler(
                    filters.REPLY & filters.TEXT & ~filters.COMMAND & new_messages,
                    self.on_answer,
                ),
                CallbackQueryHandler(self.on_button),
                # A group upgraded to a supergroup: Telegram says so in both chats.
                MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate),
            ]
        )
        application.add_error_handler(self.on_error)

    # updates -------------------------------------------------------------------------------
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None or not message.text:
            return
        command = find_command(message.text[1:].split(maxsplit=1)[0].split("@", 1)[0])
        # Asking Telegram who moderates costs a request: only for commands that need it.
        needs_moderator = command is not None and command.access is not Access.EVERYONE
        moderator = needs_moderator and await self.is_moderator(message, user)
        # /describe (or /mj) replying to a photo: that photo is the image.
        replied = message.reply_to_message
        image = None
        if takes_image(command) and replied is not None and replied.photo:
            photos = await self._download([replied.photo], message, user)
            if not photos:
                return
            image = photos[0]
        origin = _origin(message, user)
        incoming = Incoming(
            origin,
            _name(message, user),
            text=message.text,
            is_moderator=moderator,
            image=image,
            locale=parse_tag(user.language_code),
        )
        await self.service.handle(incoming, TelegramResponder(self.sink, origin))

    async def on_answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The answer to a question the bot asked (a reply to its ForceReply message): the
        question's command with the answer, as if typed."""
        message, user = update.message, update.effective_user
        asked = message.reply_to_message if message is not None else None
        if message is None or user is None or asked is None or not message.text:
            return
        origin = _origin(message, user)
        question = await self.service.question_in(origin, str(asked.message_id))
        if question is None:
            return  # a reply to something else: not for the bot
        text = f"{question.command} {message.text}"
        incoming = Incoming(
            origin, _name(message, user), text=text, locale=parse_tag(user.language_code)
        )
        await self.service.handle(incoming, TelegramResponder(self.sink, origin))

    async def on_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        match = _IMAGE_CAPTION.match(message.caption or "") if message else None
        if message is None or match is None:
            return
        addressee = match.group(1)
        if addressee and addressee.lower() != (context.bot.username or "").lower():
            return  # /mj@SomeOtherBot
        user = update.effective_user
        if user is None:
            return
        origin = _origin(message, user)

        async def handle(others: list[Any]) -> None:
            photos = await self._download([message.photo, *others], message, user)
            if photos:
                incoming = Incoming(
                    origin,
                    _name(message, user),
                    text=message.caption,
                    image=photos[0],
                    images=tuple(photos[1:]),
                    locale=parse_tag(user.language_code),
                )
                await self.service.handle(incoming, TelegramResponder(self.sink, origin))

        if message.media_group_id:  # an album: its other photos come as messages of their own
            self.albums.finish(message.media_group_id, handle)
        else:
            await handle([])

    async def on_album_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is not None and message.media_group_id and not message.caption:
            self.albums.add(message.media_group_id, message.photo)

    async def _download(self, photos: list[Any], message: Message, user: User) -> list[bytes]:
        """The bytes, not the files' URLs: those hold the bot token, which must not reach the
        jobs table, logs or a downloader. Telegram lists each photo's sizes smallest first."""
        found = []
        try:
            for sizes in photos:
                fitting = [p for p in sizes if (p.file_size or 0) <= MAX_BYTES]
                file = await (fitting or sizes)[-1].get_file()
                found.append(bytes(await file.download_as_bytearray()))
        except TelegramError:
            log.warning("downloading a photo failed", exc_info=True)
            await message.get_bot().send_message(
                message.chat.id,
                await self._say(PHOTO_DOWNLOAD_FAILED, message, user),
                reply_parameters=ReplyParameters(
                    message.message_id, allow_sending_without_reply=True
                ),
            )
            return []
        return found

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every press is answered: an alert if the core refuses it, else a plain answer, and
        never later than ANSWER_WITHIN_S (Telegram drops answers to old presses)."""
        query = update.callback_query
        if query is None:
            return
        press, message = parse_button_data(query.data), query.message
        if press is None or message is None:
            gone = render(BUTTON_GONE, parse_tag(query.from_user.language_code) or Lang.EN)
            await _quietly(query.answer(gone, show_alert=True))
            return
        # A new job answers under the grid whose button was pressed.
        origin = _origin(message, query.from_user)
        if (regions := region_press(press.action)) is not None:
            await self.on_regions(query, origin, press.job_id, *regions)
            return
        respond = TelegramResponder(self.sink, origin, query)
        incoming = Incoming(
            origin,
            query.from_user.full_name,
            button=press,
            locale=parse_tag(query.from_user.language_code),
        )
        task = asyncio.create_task(self.service.handle(incoming, respond))
        done, _ = await asyncio.wait({task}, timeout=ANSWER_WITHIN_S)
        if not done:  # stop the spinner now; whatever the core says later goes to the chat
            await _quietly(respond.answer_query())
        await task
        await _quietly(respond.answer_query())  # accepted: the acknowledgement is in the chat

    async def _say(self, text: Text, message: Message, user: User) -> str:
        """A message of the adapter's own, in the language the core would answer `user` in."""
        return render(text, await self._language_of(_origin(message, user), user))

    async def _language_of(self, origin: Origin, user: User) -> Lang:
        asking = Incoming(origin, user.full_name, locale=parse_tag(user.language_code))
        return await self.service.language(asking)

    async def on_regions(
        self, query: CallbackQuery, origin: Origin, job_id: str, go: bool, picked: int
    ) -> None:
        """The thirds keyboard: a toggle redraws it; Repaint is `/region JOB CELLS`."""
        if not go:
            await _quietly(query.answer())
            lang = await self._language_of(origin, query.from_user)
            keyboard = regions_keyboard(job_id, lang, picked)
            await _quietly(query.edit_message_reply_markup(keyboard))
            return
        text = f"/region {job_id} {cells_of(picked)}"
        respond = TelegramResponder(self.sink, origin, query)
        user = query.from_user
        incoming = Incoming(
            origin, user.full_name, text=text, locale=parse_tag(user.language_code)
        )
        await self.service.handle(incoming, respond)
        await _quietly(respond.answer_query())

    async def on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id:  # said in the old group
            await self.sink.migrated(str(message.chat.id), str(message.migrate_to_chat_id))
        elif message.migrate_from_chat_id:  # said in the new supergroup
            await self.sink.migrated(str(message.migrate_from_chat_id), str(message.chat.id))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A bug met while handling an update (the core answers its own failures): logged, and
        the user told rather than left waiting; the next update is served as usual."""
        log.error("handling a Telegram update failed", exc_info=context.error)
        if not isinstance(update, Update):
            return
        if update.callback_query is not None:
            await _quietly(update.callback_query.answer(FAILED, show_alert=True))
        elif (message := update.effective_message) is not None:
            under = ReplyParameters(message.message_id, allow_sending_without_reply=True)
            await _quietly(message.reply_text(FAILED, reply_parameters=under))

    # moderators ----------------------------------------------------------------------------
    async def is_moderator(self, message: Message, user: User) -> bool:
        if self.service.is_owner(_origin(message, user)):
            return True
        chat = message.chat
        if chat.type == ChatType.PRIVATE:
            return False
        if message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True  # an anonymous administrator, writing as the group itself
        return user.id in await self._administrators(chat.id)

    async def _administrators(self, chat_id: int) -> frozenset[int]:
        now = time.monotonic()
        cached = self._admins.get(chat_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            members = await self.application.bot.get_chat_administrators(chat_id)
        except TelegramError as error:
            log.warning("could not list the administrators of chat %s: %s", chat_id, error)
            return frozenset()
        if len(self._admins) > 1000:  # forget expired groups rather than grow forever
            self._admins = {k: v for k, v in self._admins.items() if v[0] > now}
        admins = frozenset(member.user.id for member in members)
        self._admins[chat_id] = (now + ADMINS_TTL_S, admins)
        return admins

    async def publish_commands(self) -> None:
        """The command menu in each language: everyone's commands, plus moderators' for group
        administrators."""
        bot = self.application.bot
        try:
            for code, lang in MENU_LANGUAGES:
                await bot.set_my_commands(
                    menu(lang, Access.EVERYONE),
                    scope=BotCommandScopeDefault(),
                    language_code=code or None,
                )
                await bot.set_my_commands(
                    menu(lang, Access.EVERYONE, Access.MODERATOR),
                    scope=BotCommandScopeAllChatAdministrators(),
                    language_code=code or None,
                )
        except TelegramError as error:  # cosmetic: commands work without the menu
            log.warning("could not publish the command menu: %s", error)


def _origin(message: Message | Any, user: User) -> Origin:
    """Replies go under `message`; a group (Telegram has no servers) is the community."""
    chat = message.chat
    group = None if chat.type == ChatType.PRIVATE else str(chat.id)
    return Origin(PLATFORM, str(chat.id), str(user.id), str(message.message_id), group)


def _name(message: Message, user: User) -> str:
    # Anonymous administrators and channels post as a chat: name them by its title.
    sender = message.sender_chat
    return (sender.title or user.full_name) if sender is not None else user.full_name


async def _quietly(answer: Coroutine[Any, Any, Any]) -> None:
    try:
        await answer
    except TelegramError as error:  # "query is too old" after a long outage: nothing to do
        log.info("could not answer a button press: %s", error)
