"""The composition root: the only place that knows every concrete class."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Settings
from bot.core.service import MjService
from engine.backend import DiffusersBackend
from engine.worker import Engine
from storage.images import ImageStore
from storage.store import AsyncStore
from storage.translations import SqliteSpanCache
from translate.translator import AsyncTranslator, Translator

log = logging.getLogger(__name__)


@dataclass(slots=True)
class App:
    settings: Settings
    store: AsyncStore
    backend: DiffusersBackend
    engine: Engine
    service: MjService
    translator: AsyncTranslator | None = None


def build_backend(settings: Settings) -> DiffusersBackend:
    return DiffusersBackend(
        settings.models,
        data_dir=settings.data_dir,
        device=settings.device,
        dtype=settings.dtype,
        allow_download=settings.allow_download,
        single_file_config=settings.single_file_config,
        images_dir=settings.images_dir,
        upscaler=settings.upscaler,
        gan_upscaler=settings.gan_upscaler,
        lora_max_loaded=settings.lora_max_loaded,
    )


def batching_enabled(settings: Settings, backend: DiffusersBackend) -> bool:
    """Batching pays on GPUs; on CPUs it was measured to give no throughput (bench/)."""
    if settings.batching != "auto":
        return settings.batching == "on"
    from engine.models import pick_device

    return pick_device(settings.device) == "cuda"


def build_translator(settings: Settings) -> AsyncTranslator | None:
    """None with MJ_TRANSLATE=off; raises TranslatorUnavailable for argos without a package."""
    if settings.translate == "off":
        return None
    translator = Translator(
        settings.translate,
        settings.translation_packages_dir,
        cache=SqliteSpanCache(settings.db_path),
    )
    return AsyncTranslator(translator)


@asynccontextmanager
async def open_app(settings: Settings, *, preload: bool = True) -> AsyncIterator[App]:
    """Open storage, load the default model (failing fast), start the engine; close in reverse."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    translator = build_translator(settings)  # first: a misconfiguration fails before any thread
    store = AsyncStore(settings.db_path)
    backend = build_backend(settings)
    engine = Engine(
        backend,
        max_waiting_per_user=settings.max_waiting_per_user,
        max_waiting=settings.max_waiting,
        max_running_per_user=settings.max_running_per_user,
        batching=batching_enabled(settings, backend),
    )
    service = MjService(
        settings, store, engine, ImageStore(settings.images_dir), translator=translator
    )
    try:
        if preload:
            # Load before accepting anything: a missing model is reported now, not per job.
            import asyncio

            await asyncio.to_thread(backend.load, settings.default_model)
        engine.start()
        yield App(settings, store, backend, engine, service, translator)
    finally:
        await service.close()
        engine.stop()
        if translator is not None:
            translator.close()
        store.close()
