"""Telegram settings and the `mjbot telegram` command's refusals."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.__main__ import app
from bot.config import ConfigError, Settings


def test_telegram_settings_are_read_and_the_token_stays_out_of_repr() -> None:
    settings = Settings.from_env(
        {
            "MJ_TELEGRAM_TOKEN": "123:SECRET",
            "MJ_TELEGRAM_EDIT_EVERY_S_GROUP": "4.5",
            "MJ_TELEGRAM_BASE_URL": "http://localhost:8081/",
            "MJ_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
            "MJ_TELEGRAM_WEBHOOK_SECRET": "abc-DEF_1",
        }
    )
    assert settings.telegram.token == "123:SECRET" and "SECRET" not in repr(settings)
    assert settings.telegram.edit_every_s_group == 4.5
    assert settings.telegram.edit_every_s_private == 1.0
    assert settings.telegram.base_url == "http://localhost:8081"
    assert settings.telegram.webhook_url == "https://bot.example.org/tg"
    assert "abc-DEF_1" not in repr(settings)
    defaults = Settings.from_env({})
    assert defaults.telegram.token is None and defaults.telegram.webhook_url is None
    assert defaults.telegram.edit_every_s_group == 3.0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("MJ_TELEGRAM_EDIT_EVERY_S_GROUP", "fast"),
        ("MJ_TELEGRAM_EDIT_EVERY_S_PRIVATE", "-1"),
        ("MJ_TELEGRAM_WEBHOOK_URL", "bot.example.org/tg"),
        ("MJ_TELEGRAM_WEBHOOK_SECRET", "has spaces"),
        ("MJ_TELEGRAM_WEBHOOK_PORT", "70000"),
    ],
    ids=["pace-not-a-number", "pace-negative", "url-without-scheme", "secret-chars", "port"],
)
def test_bad_telegram_settings_name_the_variable(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key):
        Settings.from_env({key: value})


def test_mjbot_telegram_without_a_token_says_what_to_set(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["telegram"], env={"MJ_TELEGRAM_TOKEN": "", "MJ_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 2
    assert "MJ_TELEGRAM_TOKEN" in result.output
