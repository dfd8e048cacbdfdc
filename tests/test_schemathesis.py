"""The HTTP API against its own OpenAPI description, as a new integrator would test it (issue 24):
schemathesis (`st run`) with every check, the stateful phase (create -> get -> events -> cancel
through the description's links) and a fixed seed, against a real `mjbot http` process on the
tiny model. Bounded examples keep it to a minute or two on a small CPU box."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.store import Store
from tests.helpers import TINY_ENV

pytestmark = pytest.mark.slow

START_TIMEOUT_S = 300  # torch, the tiny model and the word lists, on a busy 2-core box
ST_TIMEOUT_S = 480
ST = Path(sys.executable).with_name("st")
DATA = Path(__file__).with_name("data")
CONFIG = DATA / "schemathesis.toml"  # every check, and the one documented exception
HOOKS = DATA / "schemathesis_hooks.py"  # how to write the prompt's format, mj-text
# Fixed examples (seed) so a run fails only when the API changed (every check: CONFIG).
# Responses are slow by design where txt2img waits for its drawing: generous time limits.
ST_OPTIONS = [
    "--seed=1",
    "--max-examples=8",
    "--workers=1",
    "--request-timeout=120",
    "--max-response-time=300",
]


@pytest.fixture
async def server(tmp_path: Path, tiny_model_dir: Path) -> AsyncIterator[tuple[str, str]]:
    """A real `mjbot http` on a free port, and an API key with unlimited credits."""
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    (data / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    store = Store(data / "mjbot.db")
    key = store.api_keys.create("integrator")
    store.users.update(store.users.upsert("api", "integrator", "integrator"), tier="unlimited")
    store.close()
    env = {**os.environ, **TINY_ENV, "MJ_DATA_DIR": str(data), "MJ_HTTP_PORT": "0"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "http", env=env, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    logged: list[str] = []
    try:
        url = await asyncio.wait_for(_listening(process.stderr, logged), START_TIMEOUT_S)
        # Keep reading what it logs, or a full pipe would stall the server.
        drain = asyncio.create_task(_listening(process.stderr, logged, until=None))
        yield url, key
    finally:
        process.send_signal(signal.SIGTERM)  # the launcher closes everything in order
        await asyncio.wait_for(process.wait(), 60)
    await drain


async def _listening(
    stderr: asyncio.StreamReader, logged: list[str], until: str | None = r"HTTP API on (\S+)"
) -> str:
    """Read the server's stderr into `logged` until a line matches `until` (its group)."""
    while line := (await stderr.readline()).decode(errors="replace"):
        logged.append(line)
        if until and (match := re.search(until, line)):
            return match.group(1)
    if until:
        raise AssertionError("mjbot http stopped before listening:\n" + "".join(logged))
    return ""


async def test_the_api_passes_schemathesis(server: tuple[str, str], tmp_path: Path) -> None:
    url, key = server
    run = await asyncio.create_subprocess_exec(
        str(ST),
        f"--config-file={CONFIG}",
        "run",
        f"{url}/openapi.json",
        "--header",
        f"Authorization: Bearer {key}",
        *ST_OPTIONS,
        cwd=tmp_path,  # its example database and reports stay out of the checkout
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(run.communicate(), ST_TIMEOUT_S)
    report = output.decode(errors="replace")
    assert run.returncode == 0, report[-6000:]
    # The stateful phase ran over the description's links, not just the single requests.
    assert re.search(r"Stateful \(in [\d.]+s\)", report), report[-3000:]
    assert re.search(r"API Links:\s+[1-9]\d* covered", report), report[-3000:]
