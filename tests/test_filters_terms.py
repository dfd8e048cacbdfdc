"""Banned-term matching: evasions that must be caught, innocent texts that must pass, lists."""

from __future__ import annotations

import pytest

from filters.terms import (
    Matcher,
    MatcherCache,
    TermError,
    TermList,
    check_term,
    default_terms,
    effective_terms,
    format_terms,
    parse_terms,
    term_key,
)

# A moderator's list beside the defaults: the Scunthorpe-prone terms.
CUSTOM = TermList(
    banned=("ass", "cum*", "tit", "hell", "nud*", "*porn", "kill", "xxx", "1488", "血", "雪碧"),
    allowed=("nude beach", "cumulus", "血压"),
)


@pytest.fixture(scope="module")
def defaults() -> Matcher:
    return Matcher(default_terms())


@pytest.fixture(scope="module")
def custom() -> Matcher:
    return Matcher(CUSTOM)


CAUGHT_BY_DEFAULTS = {
    "plain": ("a nude woman on a beach", "nude"),
    "capitals": ("A NUDE WOMAN", "nude"),
    "full-width": ("ａ ｎｕｄｅ ｗｏｍａｎ", "nude"),
    "dots": ("an n.s.f.w picture", "nsfw"),
    "spaces": ("an n s f w picture", "nsfw"),
    "article before spaced letters": ("a n s f w picture", "nsfw"),
    "hyphens": ("n-s-f-w", "nsfw"),
    "underscores": ("n_u_d_e", "nude"),
    "split by a symbol": ("nu*de", "nude"),
    "zero-width space": ("nu\u200bde", "nude"),
    "soft hyphen": ("nu\u00adde", "nude"),
    "bidi override": ("nu\u202ede", "nude"),
    "accents": ("nüdé", "nude"),
    "zalgo": ("n̷̛u̷̢d̷e̷", "nude"),
    "cyrillic e": ("nudе", "nude"),
    "cyrillic capitals": ("НОТ ΡΟRΝ", "porn*"),
    "greek omicron": ("pοrn", "porn*"),
    "small capitals": ("ɴᴜᴅᴇ", "nude"),
    "math bold": ("𝐧𝐮𝐝𝐞", "nude"),
    "flags": ("🇳🇺🇩🇪", "nude"),
    "circled": ("ⓝⓤⓓⓔ", "nude"),
    "leet zero": ("p0rn", "porn*"),
    "leet three": ("s3x", "sex"),
    "leet four and five": ("4n4l 5ex", "anal sex"),
    "leet at and dollar": ("$ex", "sex"),
    "repeated letters": ("nuuuuude", "nude"),
    "repeated twice": ("nuude", "nude"),
    "repeated at the end": ("sexxxx", "sex"),
    "wildcard": ("pornography", "porn*"),
    "two words": ("child porn", "child porn*"),
    "two words glued": ("childporn", "child porn*"),
    "two words hyphenated": ("child-pornography", "child porn*"),
    "between emoji": ("🔥nude🔥", "nude"),
    "inside brackets": ("(nude)", "nude"),
    "after digits": ("4k nude", "nude"),
    "mixed evasions": ("Ｎ.ū.Ð.е", "nude"),
    "zh plain": ("一张裸体照片", "裸体"),
    "zh traditional": ("一張裸體照片", "裸体"),
    "zh underscore": ("裸_体", "裸体"),
    "zh dot": ("裸·体", "裸体"),
    "zh spaced characters": ("裸 体 照", "裸体"),
    "zh zero-width": ("裸\u200b体", "裸体"),
    "zh full-width separator": ("裸＿体", "裸体"),
    "zh compound": ("儿童色情", "儿童色情"),
    "zh in english": ("a 色情 picture", "色情"),
    "zh glued to english": ("日本av女优", "av女优"),
    "zh gore": ("一幅碎尸的画", "碎尸"),
}


@pytest.mark.parametrize(
    ("text", "term"), CAUGHT_BY_DEFAULTS.values(), ids=list(CAUGHT_BY_DEFAULTS)
)
def test_defaults_catch_evasions(defaults: Matcher, text: str, term: str) -> None:
    verdict = defaults.check(text)
    assert verdict.blocked, verdict
    assert term in verdict.terms or all(t in verdict.terms for t in term.split())


INNOCENT_FOR_DEFAULTS = {
    "landscape": "a lighthouse on a cliff at dusk, oil painting, 4k",
    "analysis": "an analysis of the anatomy of a bird",
    "grape and drape": "grapes on a velvet drape",
    "therapist": "portrait of a therapist in her office",
    "essex and sussex": "a cottage in Essex, a lane in Sussex",
    "cumulus": "cumulus clouds over the sea",
    "cum laude": "graduated magna cum laude, photo",
    "pedometer": "a pedometer on a wrist",
    "sextant": "an old brass sextant",
    "nudge": "a gentle nudge",
    "penistone": "the town of Penistone in the rain",
    "analog": "analog film photo",
    "gory details": "allegory of the cave, category theory",
    "beheld": "the beholder's eye",
    "numbers": "1990s poster, 455 stars",
    "scunthorpe": "Scunthorpe United football kit",
    "middlesex": "Middlesex county map",
    "zh distinctive ambiance": "特色情调的咖啡馆",
    "zh scenery and mood": "景色情景交融的山水画",
    "zh character emotions": "动漫角色情绪表情包",
    "zh excellent plot": "出色情节的电影海报",
    "zh red valentines": "红色情人节贺卡",
    "zh dating": "大学生异性交往",
    "zh rational talk": "理性交流的会议",
    "zh port traffic": "港口交通繁忙的夜景",
    "zh export fair": "出口交易会",
    "zh heart cake": "做爱心蛋糕",
    "zh beasts fighting": "两只野兽交战",
    "zh precise launch": "火箭发射精确入轨",
    "zh bloody mary": "一杯血腥玛丽鸡尾酒",
    "zh comma between words": "很出色，情况很好",
    "zh spaced phrases": "出色 情况",
    "zh traditional cat": "一隻可愛的貓咪坐在窗台上",
    "pen-is": "the pen-is mightier than the sword",
    "the-rapist": "a portrait of the-rapist in her office",
    "hyphenated words": "well-known, well-lit, x-ray of a hand, e-mail icon, nip-and-tuck",
    "word split across a hyphen": "a grape-fruit, g-rape juice",
    "numbers and units": "1girl, 16:9, 4k 1080p, the 1990s, a 6-pack, 455 stars",
    "leet-like words": "b1ue sky, hel1o, mi1k, a$$ets, l0l, a55embly line",
    "look-alike letters": "Ελληνικά, русский текст, Հայերեն",  # other scripts, no term
}


@pytest.mark.parametrize("text", INNOCENT_FOR_DEFAULTS.values(), ids=list(INNOCENT_FOR_DEFAULTS))
def test_defaults_let_innocent_text_through(defaults: Matcher, text: str) -> None:
    assert defaults.check(text) == defaults.check(text)  # deterministic
    assert not defaults.check(text).blocked, defaults.check(text)


CUSTOM_CASES = {
    "ass alone": ("kick ass", ("ass",)),
    "ass repeated": ("asssss", ("ass",)),
    "ass leet": ("@55", ("ass",)),
    "grass": ("grass, class, assassin, bass, pass, mass", ()),
    "as is not ass": ("as good as it gets", ()),
    "number is not leet": ("455 and 4 55", ()),
    "hello not hell": ("hello shell", ()),
    "hell": ("hell yeah", ("hell",)),
    "tit": ("tit", ("tit",)),
    "title and titan": ("title of the titan, a blue tit", ("tit",)),
    "prefix wildcard": ("nudist", ("nud*",)),
    "prefix wildcard not inside": ("denude", ()),
    "suffix wildcard": ("foodporn", ("*porn",)),
    "suffix wildcard word": ("porn", ("*porn",)),
    "suffix wildcard not prefix": ("pornstar", ()),
    "allowed phrase": ("a nude beach", ()),
    "allowed phrase not elsewhere": ("a nude beach and a nude model", ("nud*",)),
    "allowed word under wildcard": ("cumulus clouds", ()),
    "wildcard beside allowed": ("cumulus cumshot", ("cum*",)),
    "kill": ("kill", ("kill",)),
    "skill": ("skill, killer whale, kilt", ()),
    "digits term": ("1488", ("1488",)),
    "digits term glued": ("a1488", ()),
    "xxx": ("xxx", ("xxx",)),
    "xxx shorter": ("xx, x", ()),
    "single cjk": ("鲜血", ("血",)),
    "cjk allowed": ("测量血压", ()),
    "cjk beside allowed": ("测量血压时流血", ("血",)),
    "cjk two characters": ("一瓶雪碧", ("雪碧",)),
    "cjk term inside a longer word": ("流血的伤口", ("血",)),
    "cjk term cut through": ("雪碧绿的湖", ()),  # 雪/碧绿: no 雪碧 there
    "several terms in order": ("hell and ass", ("hell", "ass")),
}


@pytest.mark.parametrize(("text", "terms"), CUSTOM_CASES.values(), ids=list(CUSTOM_CASES))
def test_custom_list(custom: Matcher, text: str, terms: tuple[str, ...]) -> None:
    verdict = custom.check(text)
    assert verdict.terms == terms
    assert verdict.blocked is bool(terms)


def test_find_over_several_texts_reports_each_term_once(custom: Matcher) -> None:
    assert custom.find(["hell", "a hell of an ass", "fine"]) == ["hell", "ass"]
    assert custom.find([]) == []


def test_verdict_shows_the_normalised_text(defaults: Matcher) -> None:
    assert defaults.check("Ｎ.Ｓ.Ｆ.Ｗ ɑrt").normalized == "nsfw art"  # Latin alpha: a
    assert defaults.check("裸體").normalized == "裸体"


def test_an_empty_list_blocks_nothing() -> None:
    matcher = Matcher(TermList())
    assert not matcher.check("anything at all").blocked
    assert matcher.keys == ()


def test_many_chinese_terms_keep_matching() -> None:
    # Thousands of CJK-first keys go to the automaton that spells characters as byte pairs.
    many = (*(chr(0x4E00 + i) + chr(0x6000 + i) for i in range(3000)), "色情", "nude")
    matcher = Matcher(TermList(many, ("特色情",)))
    assert matcher.check("一幅色情画").terms == ("色情",)
    assert matcher.check("特色情调").terms == ()
    assert matcher.check(chr(0x4E00 + 2999) + chr(0x6000 + 2999) + " nude").terms == (
        many[2999],
        "nude",
    )
    assert not matcher.check("一只猫").blocked


def test_parse_terms_reads_comments_wildcards_and_allowed_terms() -> None:
    text = "# a comment\nnude\n\n  child porn  # inline comment\nnud*\n!nude beach\n"
    assert parse_terms(text) == TermList(("nude", "child porn", "nud*"), ("nude beach",))
    assert parse_terms(format_terms(parse_terms(text), header="x\ny")) == parse_terms(text)


@pytest.mark.parametrize(
    ("line", "reason"),
    [("f*ck", "may only start or end"), ("*", "no letters"), ("x", "too short"), ("!!!", "no")],
)
def test_parse_terms_names_the_bad_line(line: str, reason: str) -> None:
    with pytest.raises(TermError, match=rf"my.txt, line 2: .*{reason}"):
        parse_terms(f"fine\n{line}\n", "my.txt")


def test_check_term_trims_and_keeps_single_cjk_characters() -> None:
    assert check_term("  child   porn ") == "child porn"
    assert check_term("血") == "血"
    with pytest.raises(TermError, match="at most"):
        check_term("a" * 101)


def test_term_key_is_one_per_spelling() -> None:
    assert term_key("Nude") == term_key("ＮＵＤＥ") == term_key("nude") == "nude"
    assert term_key("nud*") == "nud*" != term_key("nude")
    assert term_key("裸體") == term_key("裸体")


def test_effective_terms_layers_from_widest_to_narrowest() -> None:
    defaults = TermList(("nude", "gore"), ("特色情",))
    global_list = TermList(("blood",), ("gore",))
    server = TermList(("gore", "lighthouse"), ("nude",))
    stacked = effective_terms([defaults, global_list, server])
    assert set(stacked.banned) == {"blood", "gore", "lighthouse"}  # server re-bans gore
    assert set(stacked.allowed) == {"特色情", "nude"}
    assert set(effective_terms([defaults, global_list]).banned) == {"nude", "blood"}


def test_default_lists_parse_and_cover_both_languages() -> None:
    terms = default_terms()
    assert "nude" in terms.banned and "裸体" in terms.banned and "血腥玛丽" in terms.allowed
    assert len(set(map(term_key, terms.banned))) == len(terms.banned)  # no duplicates


def test_matcher_cache_keeps_the_most_recently_used() -> None:
    cache = MatcherCache(size=2)
    first, second, third = (Matcher(TermList((word,))) for word in ("one", "two", "six"))
    cache.put("a", first)
    cache.put("b", second)
    assert cache.get("a") is first  # now the most recent
    cache.put("c", third)
    assert cache.get("b") is None and cache.get("a") is first and cache.get("c") is third
