"""Translating Chinese /mj prompts: quality (key-term recall) and milliseconds per prompt.

Quality: every prompt of tests/data/translation_corpus.tsv (465, of which 60 were written after
the vocabulary was done and held out) through the dictionary backend; `dictionary_recall` is
the share of key terms found (goal >= 0.95), `holdout_recall` the same on the held-out group.

Timing: each backend is loaded and run once over the prompts first (warm), then ROUNDS passes
are timed prompt by prompt with the in-memory and SQLite caches off, so every call translates.
argos runs the zh->en package installed for the bot when there is one; otherwise a package with
random weights built here: `tiny` (plumbing only) by default, or with --base the shape of
argos' real zh->en model. Random weights never emit </s>, so every clause decodes to the
backend's length cap: an upper bound for the real model.

With --llm FOLDER (a chat model folder, e.g. Qwen2.5-0.5B-Instruct) the LLM backend runs too:
`llm_ms` per prompt, `llm_recall` and `llm_fallback_share` (prompts where some span fell back
to the dictionary) over the first --llm-prompts prompts, on --device.
Prints JSON, then a summary. Goals: dictionary_ms <= 20, argos_ms <= 200.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import common

ROUNDS = 3


def measure(translator, prompts: list[str], rounds: int) -> tuple[float, float, list]:
    """(seconds to load, median ms per prompt over `rounds` warm passes, last results)."""
    from bot.core.translation import translate_sync

    started = time.perf_counter()
    translator.load()
    loaded = time.perf_counter() - started
    results = [translate_sync(translator, prompt) for prompt in prompts]
    samples = []
    for _ in range(rounds):
        for prompt in prompts:
            started = time.perf_counter()
            translate_sync(translator, prompt)
            samples.append(time.perf_counter() - started)
    return loaded, common.median_ms(samples), results


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
    parser.add_argument("--base", action="store_true", help="random argos model of real shape")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed passes per backend")
    parser.add_argument("--llm", type=Path, help="a chat model folder for the LLM backend")
    parser.add_argument("--llm-prompts", type=int, default=60, help="corpus prompts for --llm")
    parser.add_argument("--device", default="cpu", help="where the LLM runs (cpu, cuda)")
    args = parser.parse_args()
    from tests.translation_corpus import load_corpus, score
    from translate.translator import Translator

    corpus = load_corpus()
    prompts = [entry.prompt for entry in corpus]
    dictionary = Translator("dictionary", memory_size=0)
    dictionary_load, dictionary_ms, results = measure(dictionary, prompts, args.rounds)
    english = {entry.prompt: result.text for entry, result in zip(corpus, results, strict=True)}
    recall = score(corpus, english.__getitem__)
    holdout = score([e for e in corpus if e.group == "holdout"], english.__getitem__)
    result: dict = {
        "dictionary_recall": recall.recall,
        "holdout_recall": holdout.recall,
        "key_terms": recall.total,
        "dictionary_ms": dictionary_ms,
        "dictionary_load_s": round(dictionary_load, 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        packages, model = argos_package(args.base, Path(tmp))
        argos = Translator("argos", packages, memory_size=0)
        argos_load, argos_ms, _ = measure(argos, prompts[:40], args.rounds)
    result.update(argos_ms=argos_ms, argos_model=model, argos_load_s=round(argos_load, 2))
    if args.llm is not None:
        result.update(llm_figures(args, corpus[: args.llm_prompts]))
    result.update(prompts=len(prompts), rounds=args.rounds)
    print(json.dumps(result, ensure_ascii=False))
    print(f"machine: {common.machine()}")
    print(
        f"dictionary: recall {recall.recall} ({recall.found}/{recall.total} key terms), ", end=""
    )
    print(f"held out {holdout.recall}; {dictionary_ms} ms per prompt (goal <= 20)")
    print(f"argos [{model}]: {argos_ms} ms per prompt (goal <= 200)")
    for prompt, text, missing in recall.misses:
        print(f"  missed {', '.join(missing)}: {prompt} -> {text}")


def llm_figures(args: argparse.Namespace, entries) -> dict:
    from tests.translation_corpus import score
    from translate.translator import Translator

    translator = Translator(
        "llm", llm=str(args.llm), memory_size=0, device=args.device, llm_time_limit_s=30
    )
    prompts = [entry.prompt for entry in entries]
    load_s, llm_ms, results = measure(translator, prompts, max(1, args.rounds - 2))
    english = {entry.prompt: r.text for entry, r in zip(entries, results, strict=True)}
    fallback = sum(r.backend != "llm" for r in results) / len(results)
    return {
        "llm_ms": llm_ms,
        "llm_recall": score(entries, english.__getitem__).recall,
        "llm_fallback_share": round(fallback, 3),
        "llm_model": args.llm.name,
        "llm_device": args.device,
        "llm_load_s": round(load_s, 2),
    }


if __name__ == "__main__":
    main()
