"""Translating a Chinese /mj prompt: milliseconds per prompt, warm, for each backend.

Each backend is loaded and run once over the prompts first (warm), then ROUNDS passes are
timed prompt by prompt with the in-memory and SQLite caches off, so every call translates.
argos runs the zh->en package installed for the bot when there is one; otherwise a package
with random weights built here: `tiny` (plumbing only) by default, or with --base the shape of
argos' real zh->en model (Transformer base, 32k vocabulary). Random weights never emit </s>,
so every clause decodes to the backend's length cap (3 tokens per source token + 10): an
upper bound for the real model, which stops at </s>.
Prints JSON, then a summary. Goals: dictionary_ms <= 20, argos_ms <= 200.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import common

ROUNDS = 5
PROMPTS = [
    "一只赛博朋克风格的猫坐在霓虹灯下，水彩画，景深 --ar 16:9 --no 文字, 水印",
    "賽博朋克風格的貓，油畫，電影級光照 --seed 42",
    "a portrait of 穿着红色裙子的女孩 in the rain, 8k",
    "https://example.com/cat.png 森林里的狐狸::2 雪山::-0.5",
    "月光下的古老城堡，神秘氛围，超高清，杰作 --ar 2:3",
    "两只熊猫在竹林中吃竹子，中国风，水墨画",
    "一个宇航员骑着马在火星上，照片级真实，广角镜头 --no 模糊",
    "未来城市的街道，下雨的夜晚，霓虹灯，赛博朋克，电影感",
    "一杯咖啡放在木制桌子上，晨光，浅景深，微距摄影",
    "古风少女，汉服，长发，樱花树下，唯美，高清",
]


def measure(translator, rounds: int) -> tuple[float, float]:
    """(seconds to load, median ms per prompt over `rounds` warm passes)."""
    from bot.core.translation import translate_sync

    started = time.perf_counter()
    translator.load()
    loaded = time.perf_counter() - started
    for prompt in PROMPTS:
        translate_sync(translator, prompt)
    samples = []
    for _ in range(rounds):
        for prompt in PROMPTS:
            started = time.perf_counter()
            translate_sync(translator, prompt)
            samples.append(time.perf_counter() - started)
    return loaded, common.median_ms(samples)


def argos_package(base: bool, work: Path) -> tuple[Path, str]:
    from bot.config import Settings
    from translate.packages import find_package, install_package
    from translate.tiny_package import BASE, TINY, build_tiny_package

    installed = find_package(Settings.from_env().translation_packages_dir)
    if installed is not None:
        return installed.path.parent, f"{installed.name} {installed.version} (installed)"
    common.torch_threads(1)
    shape = BASE if base else TINY
    archive = build_tiny_package(work / "build", shape=shape)
    install_package(archive, work / "packages")
    vocab = f"{shape.vocab} vocabulary" if shape.vocab else "96-piece vocabulary"
    size = f"{shape.layers}+{shape.layers} layers, d_model {shape.d_model}, {vocab}"
    return work / "packages", f"{'base-sized' if base else 'tiny'} random weights ({size})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", action="store_true", help="random model of the real shape")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed passes per backend")
    args = parser.parse_args()
    from translate.translator import Translator

    dictionary_load, dictionary_ms = measure(Translator("dictionary", memory_size=0), args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        packages, model = argos_package(args.base, Path(tmp))
        argos = Translator("argos", packages, memory_size=0)
        argos_load, argos_ms = measure(argos, args.rounds)
        example = argos.translate(PROMPTS[0]).text
    result = {
        "dictionary_ms": dictionary_ms,
        "argos_ms": argos_ms,
        "argos_model": model,
        "dictionary_load_s": round(dictionary_load, 2),
        "argos_load_s": round(argos_load, 2),
        "prompts": len(PROMPTS),
        "rounds": args.rounds,
    }
    print(json.dumps(result, ensure_ascii=False))
    print(f"machine: {common.machine()}")
    print(
        f"dictionary: {dictionary_ms} ms per prompt (goal <= 20), loads in {dictionary_load:.1f} s"
    )
    print(f"argos [{model}]: {argos_ms} ms per prompt (goal <= 200), loads in {argos_load:.1f} s")
    print(f"argos output for the first prompt: {example[:120]}")


if __name__ == "__main__":
    main()
