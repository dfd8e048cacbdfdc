"""/models, /themes, /styles, /loras listings and /mj autocomplete choices (pure)."""

from __future__ import annotations

from bot.core.catalog import (
    CHOICE_CHARS,
    MAX_CHOICES,
    Entry,
    choices,
    listing,
    lora_entries,
    model_entries,
    style_entries,
    theme_entries,
)
from i18n import Lang, render, verbatim
from storage.looks import LoraRecord, ScopeLooks, ThemeRecord

THEMES = [
    ThemeRecord("cyber", "xl", description="neon nights"),
    ThemeRecord("guofeng", "anime", description="古风"),
    ThemeRecord("photo", "sd"),
]


def test_models_default_first_and_as_the_scope_allows() -> None:
    families = {"sd": "sd1", "anime": "sd1", "xl": "sdxl-turbo"}
    assert shown(model_entries(families, "xl")) == [
        ("xl", "SDXL turbo, the default"), ("anime", "SD 1.x"), ("sd", "SD 1.x")
    ]  # fmt: skip
    scoped = model_entries(families, "xl", ScopeLooks("d:1", allowed_models=("sd",)))
    assert [entry.name for entry in scoped] == ["sd"]


def test_themes_as_the_scope_allows_with_its_default_marked() -> None:
    assert [about for _, about in shown(theme_entries(THEMES))] == ["neon nights", "古风", "sd"]
    scope = ScopeLooks("d:1", allowed_themes=("guofeng",), default_theme="photo")
    entries = theme_entries(THEMES, scope)
    assert shown(entries) == [("guofeng", "古风"), ("photo", "sd (this community's default)")]
    assert shown(entries, Lang.ZH_HANT)[1] == ("photo", "sd（本社群預設）")


def test_loras_show_family_trigger_words_and_weight() -> None:
    ink = LoraRecord("ink", "f", "h", "sd1", "kohya", 16, "ink wash", 0.8, "Chinese ink")
    bare = LoraRecord("bare", "f", "h", "sdxl", "diffusers", 4)
    assert [about for _, about in shown(lora_entries([ink, bare]))] == [
        "Chinese ink; SD 1.x; trigger words: ink wash; default weight 0.8",
        "SDXL; default weight 1",
    ]
    assert shown(lora_entries([bare]), Lang.ZH_HANS) == [("bare", "SDXL；默认权重 1")]


def test_listing_fits_a_message() -> None:
    assert render(listing(verbatim("Themes"), [], "--theme NAME")) == "Themes: none yet."
    text = render(listing(verbatim("Styles"), style_entries(), "--style NAME"))
    assert text.startswith("Styles (--style NAME):\n• photo: professional photograph of …")
    many = [Entry(f"lora{i:03}", verbatim("x" * 60)) for i in range(200)]
    cut = render(listing(verbatim("LoRAs"), many, "--lora NAME:0.8"))
    assert len(cut) <= 1900 and cut.endswith("more") and "lora000" in cut


def test_choices_rank_prefixes_first_and_respect_discord_limits() -> None:
    entries = theme_entries(THEMES)
    assert choices("gu", entries) == [("guofeng — 古风", "guofeng")]
    assert [value for _, value in choices("g", entries)] == ["guofeng", "cyber"]  # "nights"
    assert [value for _, value in choices("neon", entries)] == ["cyber"]  # the description
    assert [value for _, value in choices("", entries)] == ["cyber", "guofeng", "photo"]
    long = [Entry(f"m{i}", verbatim("y" * 200)) for i in range(40)]
    picked = choices("", long)
    assert len(picked) == MAX_CHOICES and all(len(label) <= CHOICE_CHARS for label, _ in picked)


def shown(entries: list[Entry], lang: Lang = Lang.EN) -> list[tuple[str, str]]:
    """Entries as a reader sees them: (name, about) in `lang`."""
    return [(entry.name, render(entry.about, lang)) for entry in entries]
