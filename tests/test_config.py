"""Settings from the environment: every variable is documented, and no value crashes the
reader: it is a setting or a ConfigError naming the variable."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.config import ENV, ConfigError, Settings

EXAMPLE = (Path(__file__).resolve().parent.parent / ".env.example").read_text()


def test_every_variable_is_in_env_example() -> None:
    for key in [*ENV, "MJ_MODELS"]:
        assert f"{key}=" in EXAMPLE, key


@given(key=st.sampled_from(sorted([*ENV, "MJ_MODELS"])), value=st.text(max_size=40))
def test_any_value_is_a_setting_or_an_error_naming_the_variable(key: str, value: str) -> None:
    try:
        Settings.from_env({key: value})
    except ConfigError as error:
        assert key in str(error) or "MJ_DEFAULT_TIER" in str(error)


def test_groups_keep_their_defaults_and_the_core_sees_no_front_end() -> None:
    settings = Settings.from_env({"MJ_DISCORD_TOKEN": "secret", "MJ_HTTP_PORT": "9000"})
    assert settings.discord.token == "secret" and settings.http.port == 9000
    assert settings.limits.images_per_job == 4 and settings.queue.max_batch_jobs_per_user == 1
    core = repr(settings.core)
    assert "secret" not in core and "9000" not in core and "discord" not in core


def test_the_old_name_of_a_renamed_variable_still_works() -> None:
    old = Settings.from_env({"MJ_MAX_RUNNING_PER_USER": "3"})
    both = Settings.from_env({"MJ_MAX_RUNNING_PER_USER": "3", "MJ_MAX_BATCH_JOBS_PER_USER": "2"})
    assert (old.queue.max_batch_jobs_per_user, both.queue.max_batch_jobs_per_user) == (3, 2)
