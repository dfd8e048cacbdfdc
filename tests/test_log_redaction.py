"""Tokens never reach the log: the redaction filter on real httpx request logs, on a real
python-telegram-bot InvalidToken and its traceback, and on secrets known only by value."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from telegram import Bot
from telegram.error import InvalidToken

from bot.log_redaction import REDACTED, SecretFilter, install, redact
from tests.fakes.telegram_api import FakeBotApi

# Shapes as the platforms issue them (made up, never valid anywhere).
TELEGRAM = "7412589630:AAF3kQ9rT2xW7mZpL0vYbC4nH8sD1eJ6uGi"
DISCORD = "MTE0OTU2NzA4OTEyMzQ1Njc4OQ.GhT4Xk.Q3vB9mR2pL7sW0zY5nC8dF1aK6jH4tE9uI2oP"
API_KEY = "mjk_3q9XbT0vR7wP2mL5kZ8cN1sD4fG6hJ9aQ0eW3rT5yU7"
WEBHOOK_SECRET = "plain-secret-of-no-shape"


@pytest.fixture
def root_stream() -> Iterator[io.StringIO]:
    """A handler on the root logger, as an entry point's logging setup makes, then removed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.close()


TEXTS = {
    "telegram url": (f"POST https://api.telegram.org/bot{TELEGRAM}/getMe", TELEGRAM),
    "telegram file url": (f"https://api.telegram.org/file/bot{TELEGRAM}/photos/1.jpg", TELEGRAM),
    "discord token": (f"Improper token has been passed: {DISCORD}", DISCORD),
    "api key": (f"Authorization: Bearer {API_KEY}", API_KEY),
    "secret by value": (f"secret_token={WEBHOOK_SECRET}&x=1", WEBHOOK_SECRET),
}


@pytest.mark.parametrize(("text", "secret"), TEXTS.values(), ids=list(TEXTS))
def test_secrets_are_redacted_by_shape_or_by_value(text: str, secret: str) -> None:
    redacted = SecretFilter([WEBHOOK_SECRET]).redact(text)
    assert secret not in redacted and REDACTED in redacted


@pytest.mark.parametrize(
    "text",
    ["job k7x2m9pq4a at 12:30:15", "seed 4294967295, 1024x1024", "https://example.com/a.b.c"],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert SecretFilter([WEBHOOK_SECRET]).redact(text) == text


async def test_httpx_request_lines_lose_the_token(root_stream, fake: FakeBotApi) -> None:
    install([])
    logging.getLogger("httpx").setLevel(logging.INFO)
    try:
        async with httpx.AsyncClient() as client:
            await client.post(f"{fake.base_url}/bot{TELEGRAM}/getMe")
    finally:
        logging.getLogger("httpx").setLevel(logging.NOTSET)
    logged = root_stream.getvalue()
    assert "HTTP Request: POST" in logged and "401" in logged  # the line itself is kept
    assert TELEGRAM not in logged and f"bot{REDACTED}/getMe" in logged


async def test_a_refused_telegram_token_is_redacted_in_message_and_traceback(
    root_stream, fake: FakeBotApi
) -> None:
    install([TELEGRAM])
    bot = Bot(TELEGRAM, base_url=f"{fake.base_url}/bot")
    try:
        with pytest.raises(InvalidToken) as refused:
            await bot.initialize()
    finally:
        await bot.shutdown()
    assert TELEGRAM in str(refused.value)  # python-telegram-bot puts it in its message
    logging.getLogger("mjbot.test").error("Telegram refused", exc_info=refused.value)
    logged = root_stream.getvalue()
    assert "InvalidToken" in logged and "Traceback" in logged
    assert TELEGRAM not in logged
    assert redact(str(refused.value)) == f"The token `{REDACTED}` was rejected by the server."


def test_installed_secrets_are_redacted_in_formatted_arguments(root_stream) -> None:
    install([WEBHOOK_SECRET])
    logging.getLogger("mjbot.test").warning("webhook %s on %s", WEBHOOK_SECRET, "/telegram")
    assert root_stream.getvalue() == f"webhook {REDACTED} on /telegram\n"


def test_a_bad_format_string_is_left_for_logging_to_report() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "%d", ("text",), None)
    assert SecretFilter().filter(record) is True  # no exception into the caller's code
    assert (record.msg, record.args) == ("%d", ("text",))  # the handler reports it as usual


def test_every_entry_point_installs_the_filter_with_the_configured_secrets(
    monkeypatch: pytest.MonkeyPatch, root_stream: io.StringIO
) -> None:
    """`mjbot`'s commands all load settings and set up logging through these two."""
    from bot.__main__ import _logging, _settings

    monkeypatch.setenv("MJ_TELEGRAM_WEBHOOK_SECRET", "only-known-by-value_42")
    monkeypatch.setenv("MJ_DISCORD_TOKEN", "also.a.secret-of-any-shape")
    _settings()
    _logging(False)
    assert all(
        any(isinstance(f, SecretFilter) for f in handler.filters)
        for handler in [*logging.getLogger().handlers, logging.lastResort]
    )
    logging.getLogger("mjbot.test").warning(
        "%s / %s", "only-known-by-value_42", "also.a.secret-of-any-shape"
    )
    assert root_stream.getvalue() == f"{REDACTED} / {REDACTED}\n"
