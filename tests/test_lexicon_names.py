"""lexicon/: the names list, CC-CEDICT's names, regional conversion; translate/inflect.py."""

from __future__ import annotations

import pytest

from lexicon.cedict import clean_name, load_cedict
from lexicon.names import load_names, parse_names, strip_name_dots
from lexicon.script import is_traditional, to_mainland
from translate.glossary import NAME, default_glossary, parse_glossary
from translate.inflect import participle, plural


def test_names_list_is_large_and_spelled_for_prompts() -> None:
    names = load_names()
    assert len(names) >= 500
    assert {n.kind for n in names.entries.values()} == {
        "person", "studio", "work", "place", "character",
    }  # fmt: skip
    assert names.get("新海诚").english == "Makoto Shinkai"
    assert names.get("宫崎骏").english == "Hayao Miyazaki"  # CC-CEDICT: "Miyazaki Hayao"
    assert names.get("神隐少女").english == names.get("千与千寻").english  # Taiwan title


def test_names_and_glossary_do_not_overlap() -> None:
    # Where both listed a word, the glossary would silently win: keep each word in one list.
    from importlib import resources

    text = resources.files("translate").joinpath("glossary.tsv").read_text(encoding="utf-8")
    glossary = parse_glossary(text.splitlines())
    assert not set(glossary.terms) & set(load_names().entries)
    merged = default_glossary()
    assert merged.get("新海诚").category == NAME and merged.get("水彩").category == "medium"


def test_names_keys_are_simplified() -> None:
    traditional = [key for key in load_names().entries if is_traditional(key)]
    assert traditional == []


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["新海诚\tMakoto Shinkai"], "3 tab-separated"),
        (["达·芬奇\tLeonardo da Vinci\tperson"], "not a Chinese name"),
        (["新海诚\tMakoto, Shinkai\tperson"], "without commas"),
        (["新海诚\tMakoto::Shinkai\tperson"], "without commas"),
        (["新海诚\tMakoto Shinkai\tdirector"], "unknown kind"),
        (["新海诚\tMakoto Shinkai\tperson", "新海诚\tShinkai\tperson"], "listed twice"),
    ],
)
def test_names_errors_name_the_line(lines: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=f"line 3: .*{message}|{message}"):
        parse_names(["# a", "# b", *lines])


@pytest.mark.parametrize(
    ("sense", "name"),
    [
        ("Qi Baishi (1864-1957), famous Chinese painter", "Qi Baishi"),
        ("Chang Dai-chien or Zhang Daqian (1899-1983), Chinese artist", "Zhang Daqian"),
        ("Guilin prefecture-level city in Guangxi", "Guilin"),
        ("Yellow Crane Tower in Wuhan City, built in 223", "Yellow Crane Tower"),
        ("Mt. Fuji, Japan", "Mount Fuji"),
        ("Disney (company name, surname)", "Disney"),
        ('"Journey to the West", Ming dynasty novel', "Journey to the West"),
        ("surname Qi", None),
        ("abbr. for Guangdong province", None),
        ("lowercase is not a name", None),
    ],
)
def test_cedict_name_senses(sense: str, name: str | None) -> None:
    assert clean_name(sense) == name


def test_cedict_names_only_for_proper_nouns() -> None:
    cedict = load_cedict()
    assert cedict.name("齐白石") == "Qi Baishi"
    assert cedict.name("京都") is None  # also "capital": a common word decides
    assert cedict.name("伯纳斯李") == cedict.name(strip_name_dots("伯纳斯·李")) is not None
    assert "猫" in cedict and cedict.keyword("猫").text == "cat"  # filters/ still rely on these


def test_regional_phrases_only_for_traditional_text() -> None:
    assert to_mainland("軟體工程師") == "软件工程师"  # Taiwan
    assert to_mainland("電腦滑鼠") == "电脑鼠标"
    assert to_mainland("賽博龐克") == "赛博庞克"  # no table has it: the glossary does
    assert is_traditional("龐克") and not is_traditional("影片")


@pytest.mark.parametrize(
    ("word", "plural_form"),
    [("panda", "pandas"), ("fox", "foxes"), ("butterfly", "butterflies"), ("child", "children"),
     ("sheep", "sheep"), ("red fox", "red foxes"), ("Makoto Shinkai", "Makoto Shinkai"),
     ("boys", "boys"), ("leaf", "leaves")],
)  # fmt: skip
def test_plural(word: str, plural_form: str) -> None:
    assert plural(word) == plural_form


@pytest.mark.parametrize(
    ("verb", "ing"),
    [("eat bamboo", "eating bamboo"), ("sit", "sitting"), ("lie", "lying"), ("make", "making"),
     ("see", "seeing"), ("knit", "knitting"), ("howl", "howling"), ("fix", "fixing"),
     ("visit", "visiting"), ("swim", "swimming"), ("sleeping", "sleeping")],
)  # fmt: skip
def test_participle(verb: str, ing: str) -> None:
    assert participle(verb) == ing
