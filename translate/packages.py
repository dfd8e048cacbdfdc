"""argostranslate packages (.argosmodel zip files): finding, installing and downloading zh->en
(Chinese prompts) and en->zh (Chinese glosses of /describe's English prompts).

Packages are unpacked into the bot's own folder (MJ_TRANSLATION_DIR), not argos' per-user
directory, so the bot finds its model whoever runs it and a test never sees the developer's.
The layout is argos' own: `<name>/metadata.json`, `<name>/model/` (CTranslate2) and
`<name>/sentencepiece.model`, so argos' `Package` class loads it.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FROM_CODE, TO_CODE = "zh", "en"  # the prompt translator's direction, the default here
GLOSS = ("en", "zh")  # /describe's glosses
DIRECTIONS = ((FROM_CODE, TO_CODE), GLOSS)


class PackageError(Exception):
    """A package cannot be installed or downloaded; the message says what to do instead."""


@dataclass(frozen=True, slots=True)
class PackageInfo:
    path: Path  # the unpacked package folder
    name: str
    version: str


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _translates(metadata: Mapping[str, Any], from_code: str, to_code: str) -> bool:
    return (
        metadata.get("from_code") == from_code
        and metadata.get("to_code") == to_code
        and metadata.get("type", "translate") == "translate"
    )


def find_package(
    packages_dir: Path, from_code: str = FROM_CODE, to_code: str = TO_CODE
) -> PackageInfo | None:
    """The newest installed package from `from_code` to `to_code` (zh->en unless asked for
    another direction) under `packages_dir`, or None."""
    found = []
    if packages_dir.is_dir():
        for folder in packages_dir.iterdir():
            try:
                metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # not a package (or a half-written one): ignore it
            if _translates(metadata, from_code, to_code) and (folder / "model").is_dir():
                version = str(metadata.get("package_version", "0"))
                found.append(PackageInfo(folder, folder.name, version))
    return max(found, key=lambda p: (_version_key(p.version), p.name), default=None)


def install_package(archive: Path, packages_dir: Path) -> PackageInfo:
    """Unpack a zh->en or en->zh .argosmodel into `packages_dir`, replacing a copy of the
    same name."""
    if not zipfile.is_zipfile(archive):
        raise PackageError(f"{archive} is not an .argosmodel file (a zip archive).")
    with zipfile.ZipFile(archive) as package:
        roots = {name.split("/", 1)[0] for name in package.namelist() if name.strip("/")}
        if len(roots) != 1:
            raise PackageError(f"{archive} should hold one package folder, found {len(roots)}.")
        (root,) = roots
        try:
            metadata = json.loads(package.read(f"{root}/metadata.json"))
        except (KeyError, ValueError) as error:
            raise PackageError(f"{archive} has no readable metadata.json: {error}") from None
        direction = next((d for d in DIRECTIONS if _translates(metadata, *d)), None)
        if direction is None:
            found = f"{metadata.get('from_code')}->{metadata.get('to_code')}"
            raise PackageError(
                f"{archive} translates {found}; the bot uses zh->en (Chinese prompts) and "
                "en->zh (glosses of /describe's prompts)."
            )
        packages_dir.mkdir(parents=True, exist_ok=True)
        # Unpack beside the target and swap it in, so a failure leaves the old copy usable.
        staging = Path(tempfile.mkdtemp(dir=packages_dir, prefix=".installing-"))
        try:
            package.extractall(staging)  # zipfile refuses absolute and ../ member names
            target = packages_dir / root
            if target.exists():
                shutil.rmtree(target)
            (staging / root).rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    info = find_package(packages_dir, *direction)
    if info is None or info.path != target:
        raise PackageError(f"{archive} unpacked, but {target} is not a usable package.")
    return info


def default_index_url() -> str:
    """argos' package index (its settings honour ARGOS_PACKAGE_INDEX)."""
    from argostranslate import settings

    return str(settings.remote_package_index)


def pull_package(
    packages_dir: Path,
    index_url: str | None = None,
    timeout: float = 20,
    direction: tuple[str, str] = (FROM_CODE, TO_CODE),
) -> PackageInfo:
    """Download the newest package in `direction` (zh->en unless asked) listed in argos' index
    and install it.

    Every request has a timeout, so an offline machine fails in seconds with instructions.
    """
    url = index_url or default_index_url()
    name = "->".join(direction)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            index = json.load(response)
    except (OSError, ValueError) as error:
        raise PackageError(
            f"Cannot read the argos package index {url}: {error}. Download "
            f"translate-{'_'.join(direction)}-*.argosmodel on a machine that is online and "
            "install it here with: mjbot models pull-translation --file PATH"
        ) from None
    candidates = [
        m for m in index if isinstance(m, dict) and _translates(m, *direction) and m.get("links")
    ]
    if not candidates:
        raise PackageError(f"The argos package index {url} lists no {name} package.")
    best = max(candidates, key=lambda m: _version_key(str(m.get("package_version", "0"))))
    errors = []
    for link in best["links"]:
        with tempfile.NamedTemporaryFile(suffix=".argosmodel") as download:
            try:
                with urllib.request.urlopen(link, timeout=timeout) as response:
                    shutil.copyfileobj(response, download)
                download.flush()
            except OSError as error:
                errors.append(f"{link}: {error}")
                continue
            return install_package(Path(download.name), packages_dir)
    raise PackageError(f"Downloading the {name} package failed ({'; '.join(errors)}).")
