"""Where a model comes from (hub id, local folder, single checkpoint, tiny) and how it loads.

The loading path is the same for every source: resolve to something on disk, then load with
diffusers. Nothing here downloads unless asked to (`pull`), and a model that is neither on
disk nor reachable fails fast with a message that says how to fix it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from engine.errors import ModelUnavailable
from engine.profiles import PROFILES, ModelProfile, profile_for_name

log = logging.getLogger(__name__)
T = TypeVar("T")

SourceKind = Literal["tiny", "folder", "file", "hub"]
CHECKPOINT_SUFFIXES = (".safetensors", ".ckpt")
# Files a diffusers pipeline never needs: other frameworks' weights and training leftovers.
PULL_IGNORE = ["*.ckpt", "*.onnx", "*.onnx_data", "*.msgpack", "*.h5", "*.pb", "*non_ema*"]


@dataclass(frozen=True, slots=True)
class ModelSource:
    name: str  # what users type after --model
    ref: str  # as configured: "tiny", a folder, a .safetensors file or a hub id
    kind: SourceKind


def classify(name: str, ref: str) -> ModelSource:
    """Decide what kind of source `ref` is, without touching the network."""
    if ref == "tiny":
        return ModelSource(name, ref, "tiny")
    path = Path(ref).expanduser()
    if path.suffix.lower() in CHECKPOINT_SUFFIXES:
        if not path.is_file():
            raise ModelUnavailable(f"Model file {path} does not exist. Check MJ_MODEL.")
        return ModelSource(name, str(path), "file")
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise ModelUnavailable(
                f"{path} is a folder but not a diffusers model (no model_index.json). "
                "Point MJ_MODEL at a folder saved with save_pretrained, or at a .safetensors file."
            )
        return ModelSource(name, str(path), "folder")
    if is_hub_id(ref):
        return ModelSource(name, ref, "hub")
    raise ModelUnavailable(
        f"MJ_MODEL={ref!r} is neither a local folder, a .safetensors file nor a hub id like "
        "'stabilityai/sd-turbo'."
    )


def is_hub_id(ref: str) -> bool:
    """True for "owner/name", as the Hugging Face hub names models (not a relative path)."""
    parts = ref.split("/")
    return len(parts) == 2 and all(parts) and not ref.startswith((".", "~"))


def folder_profile(folder: Path, name_hint: str) -> ModelProfile:
    """Refine the name-based guess with what the folder says about itself."""
    if (folder / "mjbot-tiny.txt").exists():
        return PROFILES["tiny"]
    guess = profile_for_name(name_hint)
    try:
        index = json.loads((folder / "model_index.json").read_text())
    except (OSError, ValueError):
        return guess
    if "XL" in str(index.get("_class_name", "")):
        return guess if guess.family.startswith("sdxl") else PROFILES["sdxl"]
    if guess.family.startswith("sdxl"):
        guess = PROFILES["sd1"]
    try:
        unet = json.loads((folder / "unet" / "config.json").read_text())
        native = int(unet["sample_size"]) * 8
    except (OSError, ValueError, KeyError, TypeError):
        return guess
    if guess.family in ("sd1", "sd2") and native != guess.native:
        return PROFILES["sd2"] if native == 768 else PROFILES["sd1"]
    return guess


def source_profile(source: ModelSource) -> ModelProfile:
    """A model's profile before it is loaded: from its folder if local, else from its name."""
    if source.kind == "tiny":
        return profile_for_name("tiny")
    if source.kind == "folder":
        return folder_profile(Path(source.ref), source.ref)
    return profile_for_name(source.ref)


def local_hub_snapshot(repo_id: str) -> Path | None:
    """The cached snapshot of a hub model, or None; never touches the network."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None


def hub_reachable(repo_id: str) -> tuple[bool, str]:
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False, "HF_HUB_OFFLINE is set"
    from huggingface_hub import HfApi

    try:
        HfApi().model_info(repo_id, timeout=10)
    except Exception as exc:  # any failure means: we cannot download it now
        return False, f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return True, ""


def pull(repo_id: str) -> Path:
    """Download a hub model into the Hugging Face cache, with a progress bar."""
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id, ignore_patterns=PULL_IGNORE))


def resolve_folder(source: ModelSource, data_dir: Path, *, allow_download: bool) -> Path | None:
    """A local folder for `source`, or None for single-file checkpoints. Fails fast."""
    if source.kind == "tiny":
        from engine.tiny import ensure_tiny_model

        return ensure_tiny_model(data_dir / "models" / "tiny")
    if source.kind == "folder":
        return Path(source.ref)
    if source.kind == "file":
        return None
    return hub_snapshot(
        source.ref,
        allow_download=allow_download,
        instead="set MJ_MODEL to a local diffusers folder or .safetensors file (MJ_MODEL=tiny "
        "runs a tiny test model that draws noise)",
    )


def hub_snapshot(repo_id: str, *, allow_download: bool, instead: str) -> Path:
    """A hub model's local snapshot, downloaded now if allowed and reachable; else
    ModelUnavailable saying how to get it, or `instead` what to configure."""
    snapshot = local_hub_snapshot(repo_id)
    if snapshot is not None:
        return snapshot
    reachable, why = hub_reachable(repo_id) if allow_download else (False, "downloads off")
    if not reachable:
        raise ModelUnavailable(
            f"Model {repo_id!r} is not on this machine and cannot be downloaded now ({why}). "
            f"Run `mjbot models pull {repo_id}` where the Hugging Face hub is reachable, or "
            f"{instead}."
        )
    log.info("downloading %s from the Hugging Face hub (once)", repo_id)
    return pull(repo_id)


def load_or_explain(load: Callable[[str], T], ref: str, setting: str, what: str) -> T:
    """Load a model the owner configured (`setting`={ref}); whatever goes wrong, the user
    gets one readable sentence that names the setting."""
    try:
        return load(ref)
    except Exception as exc:
        log.exception("could not load %s %s", what, ref)
        reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ModelUnavailable(
            f"{what[0].upper()}{what[1:]} could not be loaded ({setting}={ref!r}): {reason}"
        ) from exc


def pick_device(preference: str) -> str:
    import torch

    if preference != "auto":
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(preference: str, device: str, family: str = "") -> Any:
    """The torch dtype for `device` as engine.tuning chooses it for this hardware."""
    import torch

    from engine.hardware import probe
    from engine.tuning import choose_dtype

    return getattr(torch, choose_dtype(preference, probe(device), family))


def load_pipeline(
    source: ModelSource, folder: Path | None, device: str, dtype: Any, config: str | None = None
):
    """Load a text-to-image pipeline from a local folder or a single checkpoint file."""
    import diffusers
    import transformers

    # Loading bars from a local disk are noise; downloads (huggingface_hub) keep theirs.
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    if folder is not None:
        pipe = diffusers.AutoPipelineForText2Image.from_pretrained(
            folder, dtype=dtype, local_files_only=True
        )
    else:
        family = profile_for_name(source.ref).family
        cls = (
            diffusers.StableDiffusionXLPipeline
            if family.startswith("sdxl")
            else diffusers.StableDiffusionPipeline
        )
        # Offline, diffusers needs the matching pipeline's configs from a local folder (or cache).
        kwargs: dict[str, Any] = {"dtype": dtype}
        if config:
            kwargs["config"] = config
        try:
            pipe = cls.from_single_file(source.ref, **kwargs)
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(
                f"Could not load {source.ref}: {exc}. Offline, a single checkpoint needs the "
                "configs of its model family: set MJ_MODEL_CONFIG to a local diffusers folder "
                "of the same family (or its hub id, once cached)."
            ) from exc
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)
