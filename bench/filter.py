"""Banned-term check speed: a 1,000-character prompt against 20,000 terms.

Prints one JSON object, then a summary:
- check_us: median microseconds to check an English prompt with no banned term in it (the
  common case), normalisation included: `Matcher.find`, what the bot runs per prompt.
  Goal: <= 100. (`Matcher.check`, for the CLI, also renders the normalised text.)
- build_ms: median milliseconds to build the matcher from the 20,000 terms. Goal: <= 1,000.
- speedup_vs_regex: the median of the same check done with one compiled regex alternation of
  the same keys (word-boundary padded like the automaton's) over the same normalised text,
  divided by check_us. Goal: >= 10.
- check_zh_us, check_zh_traditional_us: the same check on Chinese prompts (simplified, and
  traditional, which goes through OpenCC first). No banned term's characters in them.
- check_zh_candidates_us: a Chinese-heavy prompt where every sentence holds a banned term's
  characters across two words (颜色情况: 色情), against the 20,000 terms plus the shipped
  defaults: each of its 25 candidates is segmented (jieba + CC-CEDICT) to be ruled out. The
  worst case a real prompt is likely to reach; the segmenter is loaded before timing.
- check_defaults_us: the English prompt against the shipped default lists only.

The terms are generated (85% Latin pseudo-words of 4-10 letters, some with `*`, some of two
words; 15% Chinese terms of 2-4 characters), with a fixed seed, so runs are comparable.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import time
from collections.abc import Callable

import common

from filters.normalize import normalize
from filters.terms import Matcher, TermList, default_terms

TERMS = 20_000
PROMPT_CHARS = 1_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"
SCENE = (
    "a majestic lighthouse on the rocky cliff at dusk, dramatic clouds, well-lit windows, "
    "35mm photo, 4k, highly detailed oil painting by an old master, cinematic lighting, "
    "volumetric fog, golden hour, sharp focus, intricate, concept art, smooth, octane render, "
    "portrait of a fisherman with a weathered face; grass, glass and brass in the morning sun"
)
CHINESE = "一只可爱的猫咪坐在窗台上，阳光洒在它的毛上，背景是城市的天际线，油画风格，高细节，"
TRADITIONAL = "一隻可愛的貓咪坐在窗台上，陽光灑在牠的毛上，背景是城市的天際線，油畫風格，高細節，"
CANDIDATES = "一只可爱的猫咪坐在窗台上，背景是颜色情况复杂的城市天际线，油画风格，"


def generate_terms(rng: random.Random) -> list[str]:
    terms: set[str] = set()
    while len(terms) < TERMS:
        roll = rng.random()
        if roll < 0.15:
            terms.add("".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(2, 4))))
            continue
        word = "".join(rng.choice(LETTERS) for _ in range(rng.randint(4, 10)))
        if roll < 0.20:
            word += "*"
        elif roll < 0.25:
            word += " " + "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 7)))
        terms.add(word)
    return sorted(terms)


def english_prompt(rng: random.Random) -> str:
    vocabulary = SCENE.split()
    words: list[str] = []
    while len(" ".join(words)) < PROMPT_CHARS:
        words.append(rng.choice(vocabulary))
    return " ".join(words)[:PROMPT_CHARS]


def median_us(fn: Callable[[], object], runs: int, number: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples) * 1e6


def regex_check(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        return pattern.search(normalize(text).scan.text) is not None

    return check


def main() -> None:
    rng = random.Random(20240601)
    terms = TermList(tuple(generate_terms(rng)))
    prompt = english_prompt(rng)
    chinese = (CHINESE * 40)[:PROMPT_CHARS]
    traditional = (TRADITIONAL * 40)[:PROMPT_CHARS]

    build_ms = median_us(lambda: Matcher(terms), runs=5, number=1) / 1000
    matcher = Matcher(terms)
    for text in (prompt, chinese, traditional):
        assert not matcher.check(text).blocked, "the benchmark prompts must be innocent"
    check_us = median_us(lambda: matcher.find([prompt]), runs=31, number=200)
    check_zh_us = median_us(lambda: matcher.find([chinese]), runs=31, number=50)
    check_zh_traditional_us = median_us(lambda: matcher.find([traditional]), runs=31, number=50)
    with_defaults = Matcher(TermList((*terms.banned, *default_terms().banned)))
    candidates = (CANDIDATES * 40)[:PROMPT_CHARS]
    assert not with_defaults.check(candidates).blocked, "颜色情况 is not 色情"
    check_zh_candidates_us = median_us(lambda: with_defaults.find([candidates]), runs=11, number=5)
    defaults = Matcher(default_terms())
    check_defaults_us = median_us(lambda: defaults.find([prompt]), runs=31, number=200)

    # The baseline: the automaton's keys as one alternation, longest first, over the same text.
    keys = sorted(matcher.keys, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, keys)))
    regex = regex_check(pattern)
    regex_us = median_us(lambda: regex(prompt), runs=5, number=3)

    result = {
        "check_us": round(check_us, 1),
        "build_ms": round(build_ms, 1),
        "speedup_vs_regex": round(regex_us / check_us, 1),
        "regex_us": round(regex_us, 1),
        "check_zh_us": round(check_zh_us, 1),
        "check_zh_traditional_us": round(check_zh_traditional_us, 1),
        "check_zh_candidates_us": round(check_zh_candidates_us, 1),
        "zh_candidates": candidates.count("颜色情况"),
        "check_defaults_us": round(check_defaults_us, 1),
        "terms": TERMS,
        "prompt_chars": len(prompt),
        "machine": common.machine(),
    }
    print(json.dumps(result))
    print(
        f"{TERMS:,} terms, {len(prompt):,}-character prompt: check {check_us:.0f} µs "
        f"(goal <= 100), build {build_ms:.0f} ms (goal <= 1,000), "
        f"{regex_us / check_us:.0f}x faster than one regex alternation (goal >= 10). "
        f"Chinese prompt: {check_zh_us:.0f} µs simplified, "
        f"{check_zh_traditional_us:.0f} µs traditional (OpenCC), {check_zh_candidates_us:.0f} µs "
        f"with {candidates.count('颜色情况')} candidates to segment. Default lists only: "
        f"{check_defaults_us:.0f} µs. On {common.machine()}."
    )


if __name__ == "__main__":
    main()
