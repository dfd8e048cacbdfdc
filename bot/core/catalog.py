"""What users can pick, as text and as suggestions: /models, /themes, /styles, /loras, and
the choices Discord's autocomplete offers on /mj (pure functions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.core.styles import STYLES
from engine.lora_files import MODEL_BASE_FAMILY, family_name
from i18n import Lang, Message, lines, listed, render, t, verbatim
from storage.looks import LoraRecord, ScopeLooks, ThemeRecord

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
CHOICE_CHARS = 100  # and each choice's label and value hold at most 100 characters
LIST_CHARS = 1900  # a listing fits one Discord message (2000) and one Telegram one (4096)


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    about: Message  # one line: description, family, trigger words (empty: nothing to say)


def model_entries(
    families: Mapping[str, str], default: str, scope: ScopeLooks | None = None
) -> list[Entry]:
    """Configured models (name -> profile family), those the scope allows, default first."""
    allowed = scope.allowed_models if scope else ()
    names = sorted(families, key=lambda name: (name != default, name))
    return [
        Entry(
            name,
            t("{family}, the default", family=_family(families[name]))
            if name == default
            else verbatim(_family(families[name])),
        )
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
        about = verbatim(theme.description or theme.model)
        if scope and theme.name == scope.default_theme:
            about = t("{about} (this community's default)", about=about)
        entries.append(Entry(theme.name, about))
    return entries


def style_entries() -> list[Entry]:
    """Each preset with the start of its template (the prompt goes where the … is)."""
    entries = []
    for name, style in STYLES.items():
        words = style.positive.replace("{prompt}", "…").split(", ")
        entries.append(Entry(name, verbatim(", ".join(words[:3]))))
    return entries


def lora_entries(loras: Iterable[LoraRecord]) -> list[Entry]:
    entries = []
    for lora in loras:
        about = [verbatim(lora.description or family_name(lora.family))]
        if lora.description:
            about.append(verbatim(family_name(lora.family)))
        if lora.trigger_words:
            about.append(t("trigger words: {words}", words=lora.trigger_words))
        about.append(t("default weight {weight}", weight=f"{lora.default_weight:g}"))
        entries.append(Entry(lora.name, listed(about, "semicolons")))
    return entries


def listing(
    title: Message, entries: Sequence[Entry], usage: str, limit: int = LIST_CHARS
) -> Message:
    """A titled list, one entry a line, cut to `limit` characters (as English measures them)
    with a count of the rest."""
    if not entries:
        return t("{title}: none yet.", title=title)
    shown: list[Message] = [t("{title} ({usage}):", title=title, usage=usage)]
    size = len(render(shown[0]))
    for count, entry in enumerate(entries):
        line = _line(entry)
        rest = len(entries) - count
        if size + len(render(line)) + 1 > limit - 30 and rest > 1:
            shown.append(t("… and {count} more", count=rest))
            break
        shown.append(line)
        size += len(render(line)) + 1
    return lines(shown)


def _line(entry: Entry) -> Message:
    if _says_nothing(entry.about):
        return verbatim(f"• {entry.name}")
    return t("• {name}: {about}", name=entry.name, about=entry.about)


def _says_nothing(about: Message) -> bool:
    return not render(about)


def choices(current: str, entries: Sequence[Entry], lang: Lang = Lang.EN) -> list[tuple[str, str]]:
    """Autocomplete (label, value) pairs for what is typed so far, labels in `lang`: names
    starting with it first, then names or descriptions containing it."""
    typed = current.strip().lower()
    about = {entry.name: render(entry.about, lang) for entry in entries}
    starts = [e for e in entries if e.name.startswith(typed)]
    contains = [
        e for e in entries if e not in starts and typed in f"{e.name} {about[e.name]}".lower()
    ]
    picked = (starts + contains)[:MAX_CHOICES]
    return [(_label(entry.name, about[entry.name]), entry.name[:CHOICE_CHARS]) for entry in picked]


def _label(name: str, about: str) -> str:
    label = f"{name} — {about}" if about else name
    return label if len(label) <= CHOICE_CHARS else label[: CHOICE_CHARS - 1] + "…"
