"""Shared fixtures. Everything runs offline, on one torch thread, against the tiny pipeline."""

from __future__ import annotations

import os

# Before torch is imported anywhere: no hub access, and no spinning OpenMP threads (other
# processes on a 2-core box make multi-threaded torch many times slower).
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from bot.config import Settings
from tests.helpers import TINY_ENV, link_captioner, tweak

# `make test` (and so CI) replays the same examples every run: a landing is never refused for
# a case no one has seen before. HYPOTHESIS_PROFILE=explore searches afresh each run; a failure
# it finds goes into the test as an @example, so it is replayed from then on.
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "repeatable")
hypothesis_settings.load_profile(PROFILE)
if PROFILE == "repeatable":
    # Hypothesis also draws string and number constants from the project's modules loaded so
    # far: the examples would change with any edit anywhere, and with which tests ran first
    # (a fuzz failure once appeared only in a full run). Replaying means none of those.
    from hypothesis.internal.conjecture import providers

    if hasattr(providers, "_get_local_constants"):
        _NO_CONSTANTS = providers.Constants()
        providers._get_local_constants = lambda: _NO_CONSTANTS


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
def tiny_loras(
    tmp_path_factory: pytest.TempPathFactory, torch_one_thread: None
) -> dict[str, Path]:
    """Tiny random LoRA files for the tiny pipeline, built once: "a" in the diffusers layout,
    "a-kohya" the same tensors in the kohya layout, "b" another one (diffusers layout)."""
    from engine.tiny_addons import write_tiny_lora

    folder = tmp_path_factory.mktemp("loras")
    return {
        "a": write_tiny_lora(folder / "a.safetensors", seed=1),
        "a-kohya": write_tiny_lora(folder / "a-kohya.safetensors", seed=1, layout="kohya"),
        "b": write_tiny_lora(folder / "b.safetensors", seed=2),
    }


@pytest.fixture(scope="session")
def spandrel_imported() -> None:
    """Import spandrel (the GAN upscaler's loader) once; later imports reuse the module.

    spandrel imports torchvision as it starts, for two of its architectures: LaMa and
    RestoreFormer (inpainting and face restoration, not upscalers). The CPU build of torch
    pinned for tests has no matching torchvision on PyPI (the wheels there link CUDA torch;
    the CPU one is on PyTorch's own index, out of reach here). Where none is installed,
    spandrel gets the three names it imports, which fail if ever called, only while it is
    imported: nothing else sees them. With a real torchvision this is a plain import."""
    import importlib.util
    import sys
    import types

    if importlib.util.find_spec("torchvision") is not None:
        import spandrel

        return

    def unavailable(*_args: object, **_kwargs: object) -> None:
        raise NotImplementedError("torchvision is not installed in the test environment")

    functional = types.ModuleType("torchvision.transforms.functional")
    functional.InterpolationMode = type("InterpolationMode", (), {})  # type: ignore[attr-defined]
    functional.rotate = functional.normalize = unavailable  # type: ignore[attr-defined]
    transforms = types.ModuleType("torchvision.transforms")
    transforms.functional = functional  # type: ignore[attr-defined]
    torchvision = types.ModuleType("torchvision")
    torchvision.transforms = transforms  # type: ignore[attr-defined]
    names = {
        "torchvision": torchvision,
        "torchvision.transforms": transforms,
        "torchvision.transforms.functional": functional,
    }
    sys.modules.update(names)
    try:
        import spandrel  # noqa: F401
    finally:
        for name in names:
            del sys.modules[name]


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
def make_settings(tmp_path: Path, tiny_model_dir: Path) -> Callable[..., Settings]:
    """Settings for the tiny model in this test's data directory, with extra MJ_ values."""

    def make(**env: str) -> Settings:
        data = tmp_path / "data"
        (data / "models").mkdir(parents=True, exist_ok=True)
        link = data / "models" / "tiny"
        if not link.exists():
            link.symlink_to(tiny_model_dir, target_is_directory=True)
        return Settings.from_env({**TINY_ENV, "MJ_DATA_DIR": str(data), **env})

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Tiny model, fresh data directory per test (the tiny model folder is reused)."""
    return make_settings()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator:
    from bot.app import open_app

    async with open_app(settings) as application:
        yield application


@pytest.fixture
def describe_settings(settings: Settings, tiny_captioner_dir: Path) -> Settings:
    """`settings` whose MJ_CAPTION_MODEL=tiny finds the session's tiny captioner."""
    link_captioner(settings.data_dir, tiny_captioner_dir)
    return settings


@pytest.fixture
async def describe_app(describe_settings: Settings) -> AsyncIterator:
    from bot.app import open_app

    async with open_app(describe_settings) as application:
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


@pytest.fixture
async def fake() -> AsyncIterator:
    """A local fake of Telegram's Bot API (tests/fakes/telegram_api.py)."""
    from tests.fakes.telegram_api import FakeBotApi

    api = FakeBotApi()
    await api.start()
    yield api
    await api.close()


@pytest.fixture
def tg_settings(settings: Settings, fake, no_network: None) -> Settings:
    """Telegram pointed at the fake, paced fast, with one owner (user 99)."""
    from tests.fakes.telegram_api import TOKEN

    settings = tweak(
        settings,
        "telegram",
        token=TOKEN,
        base_url=fake.base_url,
        edit_every_s_group=0.2,
        edit_every_s_private=0.1,
    )
    return replace(settings, owners=frozenset({"telegram:99"}))


@pytest.fixture
async def tg_app(tg_settings: Settings) -> AsyncIterator:
    from bot.app import open_app

    async with open_app(tg_settings) as application:
        yield application


@pytest.fixture(scope="session")
def tiny_llm_dir(tmp_path_factory: pytest.TempPathFactory, torch_one_thread: None) -> Path:
    """A tiny Qwen2-style chat model with random weights (gibberish answers), built once."""
    from translate.tiny_llm import build_tiny_llm

    return build_tiny_llm(tmp_path_factory.mktemp("llm") / "tiny-random")


@pytest.fixture(scope="session")
def scripted_llm_dir(tmp_path_factory: pytest.TempPathFactory, torch_one_thread: None) -> Path:
    """A tiny chat model whose weights make greedy decoding answer "watercolor fox"."""
    from translate.tiny_llm import build_tiny_llm

    return build_tiny_llm(tmp_path_factory.mktemp("llm") / "tiny-fox", answer="watercolor fox")
