"""Where translation LLMs live: finding an installed one, and pulling one from the hub.

`mjbot models pull-translation --llm Qwen/Qwen2.5-0.5B-Instruct` downloads the model folder
into MJ_TRANSLATION_DIR/llm/Qwen--Qwen2.5-0.5B-Instruct with huggingface_hub; the bot then
finds it there (MJ_TRANSLATE=auto prefers it to argos). MJ_TRANSLATE_LLM names one: a folder
anywhere, or the name it was pulled under.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

# Only what loading needs: weights, config, tokenizer and chat template (no other formats).
_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.tiktoken"]
_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")


class LlmError(Exception):
    """A model cannot be found or pulled; the message says what to do instead."""


def llm_root(translation_dir: Path) -> Path:
    return translation_dir / "llm"


def folder_name(repo_id: str) -> str:
    """Qwen/Qwen2.5-0.5B-Instruct -> Qwen--Qwen2.5-0.5B-Instruct (the hub cache's own naming)."""
    return repo_id.replace("/", "--")


def is_model_folder(path: Path) -> bool:
    """A causal LM folder as save_pretrained writes it: config, weights and a tokenizer."""
    has_weights = any(path.glob("*.safetensors")) or any(path.glob("*.bin"))
    has_tokenizer = (path / "tokenizer.json").is_file() or (path / "tokenizer.model").is_file()
    return (path / "config.json").is_file() and has_weights and has_tokenizer


def find_llm(translation_dir: Path, wanted: str | None = None) -> Path | None:
    """The model folder to use: `wanted` (a path, or a pulled name) or the last one pulled.

    A `wanted` model that is not there is an error: a configured model must not be skipped."""
    if wanted:
        for candidate in (
            Path(wanted).expanduser(),
            llm_root(translation_dir) / folder_name(wanted),
        ):
            if candidate.is_dir() and is_model_folder(candidate):
                return candidate
        raise LlmError(
            f"MJ_TRANSLATE_LLM={wanted} is neither a model folder nor a model pulled into "
            f"{llm_root(translation_dir)}. Pull it with `mjbot models pull-translation --llm "
            f"{wanted}` or set MJ_TRANSLATE_LLM to a folder holding config.json, the weights "
            "and the tokenizer."
        )
    root = llm_root(translation_dir)
    found = (
        [p for p in root.iterdir() if p.is_dir() and is_model_folder(p)] if root.is_dir() else []
    )
    return max(found, key=lambda p: ((p / "config.json").stat().st_mtime, p.name), default=None)


def pull_llm(repo_id: str, translation_dir: Path) -> Path:
    """Download `repo_id` from the Hugging Face hub into the translation folder."""
    if not _REPO_ID.fullmatch(repo_id):
        raise LlmError(
            f"{repo_id!r} is not a hub model name: use owner/name, "
            "e.g. Qwen/Qwen2.5-0.5B-Instruct."
        )
    from huggingface_hub import snapshot_download

    target = llm_root(translation_dir) / folder_name(repo_id)
    existed = target.exists()
    try:
        snapshot_download(repo_id=repo_id, local_dir=target, allow_patterns=_PATTERNS)
    except Exception as error:  # offline, unknown repo, gated model, disk full: all say why
        if not existed:
            shutil.rmtree(target, ignore_errors=True)  # no half-made folder to be found later
        raise LlmError(
            f"Cannot download {repo_id} from the Hugging Face hub ({type(error).__name__}: "
            f"{error}). Where the hub is not reachable, download the model folder on a machine "
            f"that is online (`hf download {repo_id} --local-dir FOLDER`), copy it here and set "
            "MJ_TRANSLATE_LLM=FOLDER."
        ) from None
    if not is_model_folder(target):
        raise LlmError(f"{repo_id} downloaded to {target}, but it is not a usable model.")
    return target
