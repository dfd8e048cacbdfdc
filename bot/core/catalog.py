"""What users can pick, as text and as suggestions: /models, /themes, /styles, /loras, and
the choices Discord's autocomplete offers on /mj (pure functions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.core.styles import STYLES
from engine.lora_files import MODEL_BASE_FAMILY, family_name
from storage.looks import LoraRecord, ScopeLooks, ThemeRecord

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
CHOICE_CHARS = 100  # and each choice's label and value hold at most 100 characters
LIST_CHARS = 1900  # a listing fits one Discord message (2000) and one Telegram one (4096)


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    about: str  # one line: description, family, trigger words


def model_entries(
    families: Mapping[str, str], default: str, scope: ScopeLooks | None = None
) -> list[Entry]:
    """Configured models (name -> profile family), those the scope allows, default first."""
    allowed = scope.allowed_models if scope else ()
    names = sorted(families, key=lambda name: (name != default, name))
    return [
        Entry(name, _family(families[name]) + (", the default" if name == default else ""))
        for name in names
        if not allowed or name in allowed
    ]


def _family(profile_family: str) -> str:
    base = family_name(MODEL_BASE_FAMILY.get(profile_family, profile_family))
    return f"{base} turbo" if "turbo" in profile_family else base


def theme_entries(themes: Iterable[ThemeRecord], scope: ScopeLooks | None = None) -> list[Entry]:
    allowed = (*scope.allowed_themes, scope.default_theme) if scope else ()
    entries = []
    for theme in themes:
        if scope and scope.allowed_themes and theme.name not in allowed:
            continue
        extra = (
            " (this community's default)" if scope and theme.name == scope.default_theme else ""
        )
        entries.append(Entry(theme.name, f"{theme.description or theme.model}{extra}"))
    return entries


def style_entries() -> list[Entry]:
    """Each preset with the start of its template (the prompt goes where the … is)."""
    entries = []
    for name, style in STYLES.items():
        words = style.positive.replace("{prompt}", "…").split(", ")
        entries.append(Entry(name, ", ".join(words[:3])))
    return entries


def lora_entries(loras: Iterable[LoraRecord]) -> list[Entry]:
    entries = []
    for lora in loras:
        about = [lora.description or family_name(lora.family)]
        if lora.description:
            about.append(family_name(lora.family))
        if lora.trigger_words:
            about.append(f"trigger words: {lora.trigger_words}")
        about.append(f"default weight {lora.default_weight:g}")
        entries.append(Entry(lora.name, "; ".join(about)))
    return entries


def listing(title: str, entries: Sequence[Entry], usage: str, limit: int = LIST_CHARS) -> str:
    """A titled list, one entry a line, cut to `limit` characters with a count of the rest."""
    if not entries:
        return f"{title}: none yet."
    lines = [f"{title} ({usage}):"]
    size = len(lines[0])
    for shown, entry in enumerate(entries):
        line = f"• {entry.name}: {entry.about}" if entry.about else f"• {entry.name}"
        rest = len(entries) - shown
        if size + len(line) + 1 > limit - 30 and rest > 1:
            lines.append(f"… and {rest} more")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def choices(current: str, entries: Sequence[Entry]) -> list[tuple[str, str]]:
    """Autocomplete (label, value) pairs for what is typed so far: names starting with it
    first, then names or descriptions containing it."""
    typed = current.strip().lower()
    starts = [e for e in entries if e.name.startswith(typed)]
    contains = [e for e in entries if e not in starts and typed in f"{e.name} {e.about}".lower()]
    picked = (starts + contains)[:MAX_CHOICES]
    return [(_label(entry), entry.name[:CHOICE_CHARS]) for entry in picked]


def _label(entry: Entry) -> str:
    label = f"{entry.name} — {entry.about}" if entry.about else entry.name
    return label if len(label) <= CHOICE_CHARS else label[: CHOICE_CHARS - 1] + "…"
