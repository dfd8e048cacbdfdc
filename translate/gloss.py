"""Chinese glosses of English prompts (/describe's suggestions), with an en->zh argos package.

A gloss helps a Chinese-speaking user read a suggestion; the prompt itself stays English, since
the model draws from English. A suggestion is a keyword prompt, not a sentence, so each of its
comma-separated parts is translated alone (all parts of all prompts in one batch) and the parts
are joined with a Chinese comma. Without an installed en->zh package there is no gloss: the
dictionary backend only knows zh->en.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from translate.packages import GLOSS, PackageInfo, find_package

if TYPE_CHECKING:
    from translate.argos import ArgosModel

log = logging.getLogger(__name__)


class Glosser:
    """Blocking; callers on several threads take turns. The model loads on the first gloss."""

    def __init__(self, packages_dir: Path | None, threads: int | None = None) -> None:
        self.package: PackageInfo | None = (
            find_package(packages_dir, *GLOSS) if packages_dir is not None else None
        )
        self.threads = threads
        self._model: ArgosModel | None = None
        self._broken = False
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.package is not None and not self._broken

    def gloss(self, prompts: Sequence[str]) -> list[str] | None:
        """One gloss per prompt, or None without a (working) en->zh package."""
        if not self.available or not prompts:
            return None
        with self._lock:
            return self._gloss(prompts)

    def _gloss(self, prompts: Sequence[str]) -> list[str] | None:
        if self._model is None:
            from translate.argos import ArgosModel

            assert self.package is not None
            try:
                self._model = ArgosModel(self.package, self.threads)
            except Exception:  # a damaged package must not fail a describe: no gloss then
                log.exception("the en->zh package %s failed to load", self.package.path)
                self._broken = True
                return None
        parts = [
            [part.strip() for part in prompt.split(",") if part.strip()] for prompt in prompts
        ]
        translated = iter(self._model.translate_clauses([p for each in parts for p in each]))
        return ["，".join(next(translated) for _ in each) for each in parts]
