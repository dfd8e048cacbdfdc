"""SQL for the looks users pick: the LoRA registry, themes, and each community's limits.

    store.looks.add_lora / lora / loras / remove_lora      the registry (`mjbot loras`)
    store.looks.add_theme / theme / themes / remove_theme  themes (`mjbot themes`)
    store.looks.scope(scope) / set_allowed / set_default_theme
                                                           a community's allowed themes and
                                                           models, and its default theme

Values arrive validated (names, weights, families): storage knows no rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlite_utils import Database

from storage.rows import utcnow

AllowKind = Literal["theme", "model"]


@dataclass(frozen=True, slots=True)
class LoraRecord:
    name: str
    file: str  # relative to MJ_LORA_DIR when inside it, else absolute
    sha256: str
    family: str
    layout: str
    rank: int
    trigger_words: str = ""
    default_weight: float = 1.0
    description: str = ""


@dataclass(frozen=True, slots=True)
class ThemeRecord:
    name: str
    model: str
    loras: tuple[tuple[str, float], ...] = ()  # (LoRA name, weight)
    style: str | None = None
    params: str = ""  # canonical /mj params, e.g. "--cfg 6 --steps 25"
    description: str = ""


@dataclass(frozen=True, slots=True)
class ScopeLooks:
    """A community's limits: empty tuples allow everything."""

    scope: str
    allowed_themes: tuple[str, ...] = ()
    allowed_models: tuple[str, ...] = ()
    default_theme: str | None = None


class Looks:
    def __init__(self, db: Database) -> None:
        self.db = db

    # LoRAs -------------------------------------------------------------------------------
    def add_lora(self, lora: LoraRecord, added_by: str) -> bool:
        """Register a LoRA; False if the name is taken (nothing changes then)."""
        cursor = self.db.execute(
            "insert or ignore into loras (name, file, sha256, family, layout, rank, "
            "trigger_words, default_weight, description, added_by, created_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [*_values(lora), added_by, utcnow()],
        )
        return bool(cursor.rowcount)

    def lora(self, name: str) -> LoraRecord | None:
        rows = self.db.execute(f"select {_LORA_COLUMNS} from loras where name = ?", [name])
        row = rows.fetchone()
        return None if row is None else LoraRecord(*row)

    def loras(self) -> list[LoraRecord]:
        rows = self.db.execute(f"select {_LORA_COLUMNS} from loras order by name")
        return [LoraRecord(*row) for row in rows.fetchall()]

    def remove_lora(self, name: str) -> bool:
        return bool(self.db.execute("delete from loras where name = ?", [name]).rowcount)

    def themes_using(self, lora: str) -> list[str]:
        """Themes that apply this LoRA (it cannot be removed while they do)."""
        return [theme.name for theme in self.themes() if lora in dict(theme.loras)]

    # themes ------------------------------------------------------------------------------
    def add_theme(self, theme: ThemeRecord, added_by: str, *, replace: bool = False) -> bool:
        """Save a theme; False if the name is taken and `replace` is off."""
        verb = "insert or replace" if replace else "insert or ignore"
        loras = json.dumps([{"name": n, "weight": w} for n, w in theme.loras], ensure_ascii=False)
        cursor = self.db.execute(
            f"{verb} into themes (name, model, loras_json, style, params, description, "
            "added_by, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [theme.name, theme.model, loras, theme.style, theme.params, theme.description,
             added_by, utcnow()],
        )  # fmt: skip
        return bool(cursor.rowcount)

    def theme(self, name: str) -> ThemeRecord | None:
        row = self.db.execute(f"select {_THEME_COLUMNS} from themes where name = ?", [name])
        found = row.fetchone()
        return None if found is None else _theme(found)

    def themes(self) -> list[ThemeRecord]:
        rows = self.db.execute(f"select {_THEME_COLUMNS} from themes order by name")
        return [_theme(row) for row in rows.fetchall()]

    def remove_theme(self, name: str) -> bool:
        with self.db.atomic():
            removed = self.db.execute("delete from themes where name = ?", [name]).rowcount
            # A theme that is gone is no community's default and allowed nowhere any more.
            self.db.execute("delete from scope_allowed where kind = 'theme' and name = ?", [name])
            self.db.execute(
                "update scope_themes set default_theme = null where default_theme = ?", [name]
            )
        return bool(removed)

    # per-scope limits ----------------------------------------------------------------------
    def scope(self, scope: str) -> ScopeLooks:
        allowed: dict[str, list[str]] = {"theme": [], "model": []}
        rows = self.db.execute(
            "select kind, name from scope_allowed where scope = ? order by name", [scope]
        )
        for kind, name in rows.fetchall():
            allowed[kind].append(name)
        row = self.db.execute(
            "select default_theme from scope_themes where scope = ?", [scope]
        ).fetchone()
        return ScopeLooks(
            scope,
            tuple(allowed["theme"]),
            tuple(allowed["model"]),
            None if row is None else row[0],
        )

    def set_allowed(self, scope: str, kind: AllowKind, names: Iterable[str], by: str) -> None:
        """Allow only `names` of this kind in the scope (none: all of them again)."""
        with self.db.atomic():
            self.db.execute(
                "delete from scope_allowed where scope = ? and kind = ?", [scope, kind]
            )
            for name in dict.fromkeys(names):
                self.db.execute(
                    "insert into scope_allowed (scope, kind, name, added_by, created_at) "
                    "values (?, ?, ?, ?, ?)",
                    [scope, kind, name, by, utcnow()],
                )

    def set_default_theme(self, scope: str, theme: str | None, by: str) -> None:
        self.db.execute(
            "insert into scope_themes (scope, default_theme, updated_by, updated_at) "
            "values (?, ?, ?, ?) on conflict(scope) do update set "
            "default_theme = excluded.default_theme, updated_by = excluded.updated_by, "
            "updated_at = excluded.updated_at",
            [scope, theme, by, utcnow()],
        )


_LORA_COLUMNS = (
    "name, file, sha256, family, layout, rank, trigger_words, default_weight, description"
)
_THEME_COLUMNS = "name, model, loras_json, style, params, description"


def _values(lora: LoraRecord) -> list[Any]:
    return [getattr(lora, name) for name in LoraRecord.__slots__]


def _theme(row: Any) -> ThemeRecord:
    name, model, loras_json, style, params, description = row
    loras = tuple((item["name"], float(item["weight"])) for item in json.loads(loras_json))
    return ThemeRecord(name, model, loras, style, params, description or "")
