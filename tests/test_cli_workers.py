"""`mjbot workers` output, and the engine settings (MJ_ENGINE and MJ_RAY_*)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.__main__ import app as cli
from bot.cli_workers import format_workers
from bot.config import ConfigError, Settings
from engine.executor import WorkerStatus


def test_workers_table_shows_state_node_models_job_and_why_one_is_down() -> None:
    text = format_workers(
        [
            WorkerStatus(
                "mjbot-worker-0",
                True,
                "gpu1 (10.0.0.6)",
                "cuda:0 L4",
                ("sd-turbo",),
                ("k7x2m9pq4a",),
                132,
            ),
            WorkerStatus("mjbot-worker-1", True, "gpu2 (10.0.0.7)", "cuda:0 A100", (), (), 0),
            WorkerStatus("mjbot-worker-2", False, note="not answering within 5 s"),
        ]
    )
    lines = text.splitlines()
    assert lines[0].split() == ["WORKER", "STATE", "NODE", "DEVICE", "MODELS", "JOB", "DONE"]
    assert lines[1].split() == [
        "mjbot-worker-0",
        "busy",
        "gpu1",
        "(10.0.0.6)",
        "cuda:0",
        "L4",
        "sd-turbo",
        "k7x2m9pq4a",
        "132",
    ]
    assert lines[2].split()[:2] == ["mjbot-worker-1", "idle"] and lines[2].split()[-3:] == [
        "-",
        "-",
        "0",
    ]
    assert lines[3].split() == ["mjbot-worker-2", "down", "-", "-", "-", "-", "-"]
    assert lines[4] == "mjbot-worker-2: not answering within 5 s"
    # Columns line up: every row starts its STATE where the header does.
    assert len({line.index(line.split()[1]) for line in lines[:4]}) == 1


def test_workers_command_with_the_local_engine_says_there_is_one() -> None:
    result = CliRunner().invoke(cli, ["workers"], env={"MJ_ENGINE": "local"})
    assert result.exit_code == 0 and "MJ_ENGINE=local" in result.output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MJ_ENGINE": "gpu"}, "MJ_ENGINE must be one of local, ray"),
        ({"MJ_RAY_WORKERS": "-1"}, "MJ_RAY_WORKERS must be between 0 and 1024"),
        ({"MJ_RAY_WORKER_CPUS": "two"}, "MJ_RAY_WORKER_CPUS must be a whole number"),
    ],
    ids=["unknown-engine", "negative-workers", "cpus-not-a-number"],
)
def test_engine_settings_are_checked(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_the_ray_engine_without_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[ray\]'"):
        Settings.from_env({"MJ_ENGINE": "ray"})


def test_ray_settings_defaults() -> None:
    engine = Settings.from_env({"MJ_ENGINE": "ray", "MJ_RAY_ADDRESS": " 10.0.0.5:6379 "}).engine
    assert (engine.kind, engine.ray_address, engine.ray_namespace) == (
        "ray",
        "10.0.0.5:6379",
        "mjbot",
    )
    assert (engine.ray_workers, engine.ray_worker_cpus) == (0, 0)
