"""Shared fixtures. Everything runs offline, on one torch thread, against the tiny pipeline."""

from __future__ import annotations

import os

# Before torch is imported anywhere: no hub access, and no spinning OpenMP threads (other
# processes on a 2-core box make multi-threaded torch many times slower).
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings

TINY_ENV = {"MJ_MODEL": "tiny", "MJ_ALLOW_DOWNLOAD": "false"}


@pytest.fixture(scope="session")
def torch_one_thread() -> None:
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, torch_one_thread: None) -> Path:
    """Build the tiny pipeline once per session (save_pretrained), shared read-only."""
    from engine.tiny import ensure_tiny_model

    return ensure_tiny_model(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(scope="session")
def tiny_captioner_dir(tmp_path_factory: pytest.TempPathFactory, torch_one_thread: None) -> Path:
    """The tiny random BLIP captioner, built and saved once per session, shared read-only."""
    from engine.tiny import ensure_tiny_captioner

    return ensure_tiny_captioner(tmp_path_factory.mktemp("models") / "tiny-captioner")


@pytest.fixture(scope="session")
def tiny_argosmodel(tmp_path_factory: pytest.TempPathFactory, torch_one_thread: None) -> Path:
    """A zh->en .argosmodel with random MarianMT weights (gibberish out), built once."""
    from translate.tiny_package import build_tiny_package

    return build_tiny_package(tmp_path_factory.mktemp("argos"))


@pytest.fixture(scope="session")
def tiny_gloss_argosmodel(
    tmp_path_factory: pytest.TempPathFactory, torch_one_thread: None
) -> Path:
    """An en->zh .argosmodel with random MarianMT weights (for /describe's glosses), built once."""
    from translate.tiny_package import build_tiny_package

    return build_tiny_package(tmp_path_factory.mktemp("argos-gloss"), direction=("en", "zh"))


@pytest.fixture
def settings(tmp_path: Path, tiny_model_dir: Path) -> Settings:
    """Tiny model, fresh data directory per test (the tiny model folder is reused)."""
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    (data / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    return Settings.from_env({**TINY_ENV, "MJ_DATA_DIR": str(data)})


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator:
    from bot.app import open_app

    async with open_app(settings) as application:
        yield application


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail loudly if anything tries to open a socket to somewhere other than this machine."""
    import socket

    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("/"):
            raise OSError(f"tests must not reach the network (tried {address!r})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


def load_image(path: object):
    """Open, fully read and close an image file (no leaked handles under -W error)."""
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.copy()


def make_spec(job_id: str = "j", user: str = "console:a", **changes):
    """A small JobSpec for the tiny model: two 64x64 images, four steps."""
    from dataclasses import replace

    from engine.job import JobSpec, PromptPart

    base = JobSpec(
        job_id=job_id,
        user_key=user,
        model="tiny",
        prompts=(PromptPart("a red fox", 1.0),),
        negative_prompt=None,
        width=64,
        height=64,
        steps=4,
        cfg=5.0,
        sampler="euler_a",
        seeds=(1, 2),
    )
    return replace(base, **changes)


class CaptureSink:
    """The console's own sink writing to memory, keeping every reply for assertions."""

    def __init__(self) -> None:
        import io

        from bot.adapters.console import ConsoleSink

        self.console = ConsoleSink(out=io.StringIO())
        self.replies: list = []
        self.origins: list = []

    @property
    def last_result(self) -> str | None:
        return self.console.last_result

    async def send(self, origin, reply) -> None:
        self.replies.append(reply)
        self.origins.append(origin)
        await self.console.send(origin, reply)
