"""Normalisation before banned-term matching: each evasion undone, innocent text kept apart."""

from __future__ import annotations

import subprocess
import sys

import pytest

from filters import normalize as n
from filters.collapse import collapse
from filters.english import glue, is_word, join_parts
from filters.leet import MAX_COMBINATIONS, variants
from filters.normalize import fold, normalize, term_views, views


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ＮＵＤＥ　Ｐｈｏｔｏ", "nude photo"),
        ("NuDe", "nude"),
        ("n\u200bu\u200cd\u200de\u2060", "nude"),
        ("n\u00adude\ufeff", "nude"),
        ("nudé, naïve, Ñ", "nude, naive, n"),
        ("n̷u̷d̷e̷", "nude"),
        ("nudе", "nude"),  # Cyrillic е
        ("ΝΟΡΕ", "nope"),  # Greek capitals
        ("ΒΟΟΚ", "book"),
        ("НОТ", "hot"),  # Cyrillic capitals
        ("ɴᴜᴅᴇ", "nude"),
        ("𝐧𝐮𝐝𝐞", "nude"),
        ("🇳🇺🇩🇪", "nude"),
        ("🅝🅤🅓🅔", "nude"),
        ("ⓝⓤⓓⓔ", "nude"),
        ("Straße", "strasse"),
        ("n\U000e0041ude", "nude"),  # a tag character
        ("裸體寫真", "裸体写真"),
        ("頭髮乾淨", "头发干净"),
        ("がぎぐ", "がぎぐ"),  # dakuten are part of the letter: kept
        ("한국어", "한국어"),
        ("ǽ", "ae"),
        ("ɑօ×", "aox"),  # Latin alpha, Armenian oh, multiplication sign: confusables data
        ("ᏚᎬX ꓑ", "sex p"),  # Cherokee, Lisu
        ("ΙІ ιі", "ii ii"),  # capitals that look like I are i, not Unicode's l
        ("κχ мв", "kx mb"),  # small letters mapped like their capitals
        ("łøđ ᴅ", "lod d"),  # by name: LATIN SMALL LETTER L WITH STROKE, SMALL CAPITAL D
        ("naïve 漢字 かな 한글", "naive 汉字 かな 한글"),  # other scripts left alone
        ("a\ud800b", "a b"),  # half a surrogate pair
    ],
    ids=lambda value: value.encode("unicode_escape").decode()[:24],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_words_view_turns_punctuation_and_symbols_into_spaces() -> None:
    words, _, _ = views(fold("Child_porn! (nude)… 🙂well-known, 出色，情况"))
    assert " ".join(words.split()) == "child porn nude well known 出色 情况"
    assert words.startswith(" ") and words.endswith(" ")


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("n.s.f.w", "nsfw"),
        ("n-s-f-w", "nsfw"),
        ("n s f w", "nsfw"),
        ("n . s . f . w", "nsfw"),
        ("n_u_d_e", "nude"),
        ("nu*de", "nude"),
        ("nu—de", "nude"),
        ("裸_体", "裸体"),
        ("裸·体", "裸体"),
        ("裸 体", "裸体"),
        ("a n s f w", "ansfw nsfw"),  # "a" may be the article before a spelled-out word
        ("i see a b", "i see ab"),
        ("well-known", "well known"),  # words on their own: not joined
        ("r-ape", "rape"),
        ("sexy-n-u-d-e", "sexy nude"),
        ("出色，情况", "出色情况"),  # nothing separates Chinese: word boundaries decide
        ("裸，体", "裸体"),
        ("裸\u2800体", "裸体"),
        ("裸 🔥 体", "裸体"),
        ("x y z", "xyz"),
    ],
)
def test_joined_view(text: str, joined: str) -> None:
    _, view, _ = views(fold(text))
    assert " ".join(view.split()) == joined


@pytest.mark.parametrize(
    ("text", "unleeted"),
    [
        ("p0rn", "porn"),
        ("s3x", "sex"),
        ("4n4l", "anal"),
        ("@ss", "ass"),
        ("$ex", "sex"),
        ("8d5m", "bdsm"),
        ("or6y", "orgy"),
        ("7i7", "tit"),
    ],
)
def test_leet_is_undone_in_the_joined_view_only(text: str, unleeted: str) -> None:
    words, joined, view = views(fold(text))
    assert view.strip() == unleeted
    assert joined.strip() == text.lower()  # kept, so numbers can be told from leet
    assert words.strip() == text.lower().strip("@$")


def test_chinese_and_latin_are_spaced_apart_for_whole_word_matching() -> None:
    words, _, _ = views(fold("日本av女优nude"))
    assert " ".join(words.split()) == "日本 av 女优 nude"


def test_collapse_records_runs_and_where_they_began() -> None:
    collapsed = collapse("nuuude  grass")
    assert collapsed.text == "nude gras"
    assert [collapsed.run(i) for i in range(len(collapsed.text))] == [1, 3, 1, 1, 2, 1, 1, 1, 2]
    assert collapsed.original(2) == 4 and collapsed.original(5) == 8  # d, g
    plain = collapse("abc 裸体")
    assert plain.text == "abc 裸体" and plain.run(2) == 1 and plain.original(4) == 4


def test_collapse_handles_chinese_and_repeated_spaces() -> None:
    collapsed = collapse("裸裸体   好")
    assert collapsed.text == "裸体 好"
    assert collapsed.run(0) == 2 and collapsed.run(2) == 3


def test_normalize_lays_out_both_views_for_one_scan() -> None:
    norm = normalize("A p0rn-star\x00!")
    words, joined = norm.scan.text.split("\x00")
    assert words == " a p0rn star "
    assert joined == " a pornstar "
    assert norm.scan.text[norm.joined_start :] == joined
    assert "p0rnstar" in norm.before_leet  # the digits as typed
    assert norm.readable == "a pornstar"


def test_term_views_match_the_views_of_one_term_at_a_time() -> None:
    terms = ["Child Porn", "n.s.f.w", "裸體", "p0rn*", "a b c", "日本av"]
    batch = term_views(terms)
    assert batch == [term_views([term])[0] for term in terms]
    assert batch[1] == ("n s f w", "nsfw") and batch[2] == ("裸体", "裸体")


@pytest.mark.parametrize("table", ["_WORDS", "_JOINED", "_LEET", "_FOLD"])
def test_bytes_and_numpy_forms_of_a_table_agree_on_ascii(table: str) -> None:
    # ASCII goes through bytes.translate, everything else through numpy: one mapping.
    mapping = getattr(n, table)
    text = "".join(map(chr, range(1, 128)))
    through_bytes = mapping.bytes(text.encode("ascii")).decode("ascii")
    through_numpy = n.from_code_points(mapping.codes(n.code_points(text)))
    assert through_bytes == through_numpy


def test_the_filter_does_not_import_torch() -> None:
    code = "import sys, filters.terms; filters.terms.Matcher(filters.terms.default_terms())\n"
    code += "assert 'torch' not in sys.modules and 'diffusers' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("text", "others"),
    [
        ("chi1d", ["child"]),
        ("1o1i", ["1oli", "lo1i", "loli"]),
        ("nipp|e", ["nipple"]),
        ("a 6ang", ["a bang"]),
        ("one two chi1d three four five", ["one two child three four"]),  # two words around
        ("1990 16:9 |||", []),  # no letter: numbers and symbols are not leet words
        ("no ambiguity", []),
    ],
)
def test_leet_variants_are_the_other_readings(text: str, others: list[str]) -> None:
    assert variants(fold(text)) == others


def test_leet_variants_are_bounded_yet_every_word_keeps_its_other_reading() -> None:
    found = variants(fold("1a1a1a1a " * 200 + "chi1d porn"))
    assert len(found) <= MAX_COMBINATIONS + 201
    assert found[-1] == "1a1a1a1a 1a1a1a1a child porn"


def test_other_leet_readings_are_scanned_after_the_joined_view() -> None:
    norm = normalize("a chi1d")
    assert norm.scan.text.split("\0") == [" a chi1d ", " a chid ", " a child "]  # collapsed
    assert norm.readable == "a chiid"  # the first reading


@pytest.mark.parametrize(
    ("parts", "joined"),
    [
        (["r", "ape"], "rape"),
        (["nu", "de"], "nude"),  # rare dictionary words are not words on their own
        (["pen", "is"], "pen is"),
        (["well", "known"], "well known"),
        (["n", "u", "d", "e"], "nude"),
        (["sexy", "n", "u", "d", "e"], "sexy nude"),
        (["p0rn", "star"], "p0rnstar"),
        ([], ""),
    ],
)
def test_separated_parts_join_unless_they_are_words(parts: list[str], joined: str) -> None:
    assert join_parts(parts) == joined


def test_glue_reads_separated_words_that_make_a_word_as_that_word() -> None:
    assert glue("the-rapist and pen-is, well-known") == "therapist and penis, well-known"
    assert glue("child-porn") is None  # not a word when glued: no second reading
    assert is_word("pen") and is_word("is") and not is_word("de") and not is_word("st")
