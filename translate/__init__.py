"""Offline zh->en prompt translation that never mangles --params, URLs or ::weights.

`translator.Translator` is the entry point: `protect` finds the Chinese, `argos` (an installed
argostranslate package) or `dictionary` (jieba + CC-CEDICT + `glossary.tsv`) translates it.
Nothing here imports `bot`: the core calls in, through `bot.core.translation`.
"""
