"""The curated word lists' file format: `chinese<TAB>english<TAB>kind` lines, `#` comments.

Shared by the glossary (translate/glossary.tsv) and the names list (lexicon/names.tsv), which
check their own fields; errors name the line, so a broken list fails at start-up, not on some
prompt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def read_table(lines: Iterable[str], what: str) -> tuple[dict[str, tuple[int, str, str]], str]:
    """Rows by their first field: (line number, second field, third field); and a digest of
    the content (part of cache keys, so an edited list is not masked by old translations)."""
    rows: dict[str, tuple[int, str, str]] = {}
    digest = hashlib.sha256()
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        digest.update(line.encode() + b"\n")
        fields = [field.strip() for field in line.split("\t")]
        if len(fields) != 3:
            raise ValueError(f"{what} line {number}: expected 3 tab-separated fields: {line!r}")
        chinese, english, kind = fields
        if chinese in rows:
            raise ValueError(f"{what} line {number}: {chinese} is listed twice")
        rows[chinese] = (number, english, kind)
    return rows, digest.hexdigest()[:12]
