"""The composition root: the only place that knows every concrete class."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Settings
from bot.core.service import MjService
from engine.backend import DiffusersBackend
from engine.dispatcher import Engine
from engine.errors import ModelUnavailable
from engine.wire import WorkerConfig
from engine.worker import local_engine
from filters.image_safety import SafetyChecker, ScorerUnavailable, load_scorer
from storage.images import ImageStore
from storage.store import AsyncStore
from storage.translations import SqliteSpanCache
from translate.gloss import Glosser
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


def worker_config(settings: Settings) -> WorkerConfig:
    """How every worker (the local one, or each Ray actor) builds its diffusers backend."""
    models = settings.models
    return WorkerConfig(
        dict(models.models),
        str(settings.data_dir.resolve()),
        device=models.device,
        tuning=settings.speed,
        allow_download=models.allow_download,
        single_file_config=models.single_file_config,
        upscaler=models.upscaler,
        ip_adapter=models.ip_adapter,
        caption_model=models.caption_model,
        preload=models.default,
        torch_threads=settings.engine.ray_worker_cpus or None,
        gan_upscaler=models.gan_upscaler,
        lora_max_loaded=models.lora_max_loaded,
    )


def build_backend(settings: Settings) -> DiffusersBackend:
    return worker_config(settings).build_backend(settings.images_dir)


def batching_enabled(settings: Settings) -> bool:
    """Batching pays on GPUs; on CPUs it was measured to give no throughput (bench/)."""
    if settings.queue.batching != "auto":
        return settings.queue.batching == "on"
    if settings.engine.kind == "ray":
        return not settings.engine.ray_worker_cpus  # GPU workers
    from engine.models import pick_device

    return pick_device(settings.models.device) == "cuda"


def build_engine(settings: Settings, backend: DiffusersBackend) -> Engine:
    """MJ_ENGINE: the local worker thread, or workers on a Ray cluster. Either way this process
    keeps the fair queue, and `backend` answers model profiles without loading anything."""
    options = {
        "max_waiting_per_user": settings.queue.max_waiting_per_user,
        "max_waiting": settings.queue.max_waiting,
        "max_batch_jobs_per_user": settings.queue.max_batch_jobs_per_user,
        "batching": batching_enabled(settings),
    }
    engine = settings.engine
    if engine.kind == "local":
        return local_engine(backend, **options)
    from engine.ray_cluster import ClusterConfig
    from engine.ray_pool import ray_engine  # lazily: Ray is an optional extra

    cluster = ClusterConfig(
        engine.ray_address, engine.ray_namespace, engine.ray_workers, engine.ray_worker_cpus
    )
    config = worker_config(settings)
    return ray_engine(cluster, config, settings.images_dir, backend.profile, **options)


def translator_for(settings: Settings, cache: SqliteSpanCache | None = None) -> Translator:
    """The configured Translator (not with MJ_TRANSLATE=off); raises TranslatorUnavailable
    for a backend that is required but not installed. An LLM runs on the engine's device."""
    from engine.models import pick_device

    return Translator(
        settings.translation.mode,
        settings.translation_packages_dir,
        cache=cache,
        llm=settings.translation.llm,
        llm_time_limit_s=settings.translation.llm_timeout_s,
        device=pick_device(settings.models.device),
    )


def build_translator(settings: Settings) -> AsyncTranslator | None:
    """None with MJ_TRANSLATE=off; raises TranslatorUnavailable for argos without a package."""
    if settings.translation.mode == "off":
        return None
    return AsyncTranslator(translator_for(settings, SqliteSpanCache(settings.db_path)))


def build_checker(settings: Settings) -> SafetyChecker:
    """The image safety classifier on its own thread. One that cannot load stops the start
    (as a missing drawing model does), not each image."""
    try:
        scorer = load_scorer(settings.safety.scorer, threads=settings.safety.threads)
    except ScorerUnavailable as error:
        raise ModelUnavailable(str(error)) from None
    return SafetyChecker(scorer)


@asynccontextmanager
async def open_app(settings: Settings, *, preload: bool = True) -> AsyncIterator[App]:
    """Open storage, load the default model (failing fast), start the engine; close in reverse."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    translator = build_translator(settings)  # first: a misconfiguration fails before any thread
    checker = build_checker(settings)
    store = AsyncStore(settings.db_path)
    backend = build_backend(settings)
    engine = build_engine(settings, backend)
    service = MjService(
        settings.core,
        store,
        engine,
        ImageStore(settings.images_dir),
        translator=translator,
        safety_checker=checker,
        # /describe's Chinese glosses, when an en->zh argos package is installed.
        glosser=Glosser(settings.translation_packages_dir),
    )
    try:
        if preload and settings.engine.kind == "local":  # Ray workers load it where they run
            # Load before accepting anything: a missing model is reported now, not per job.
            import asyncio

            await asyncio.to_thread(backend.load, settings.models.default)
            if settings.safety.mode != "off":
                try:
                    await checker.warm_up()
                except ScorerUnavailable as error:
                    raise ModelUnavailable(str(error)) from None
        engine.start()
        yield App(settings, store, backend, engine, service, translator)
    finally:
        await service.close()
        engine.stop()
        checker.close()
        if translator is not None:
            translator.close()
        store.close()
