"""Prompt permutations, as Midjourney writes them: `a {red, green} bird --ar {1:1, 16:9}` is
four prompts, one per combination, leftmost choice varying slowest. Pure.

- Choices are separated by commas (`，` and `、` from Chinese input methods too) and may nest:
  `a {bird, {red, blue} car}` is "a bird", "a red car", "a blue car".
- A backslash keeps a brace, comma or backslash literal: `\\{`, `\\}`, `\\,`, `\\\\`.
  Full-width braces `｛｝` count as braces.
- Whitespace around choices is tidied, so `a {, big} dog` gives "a dog" and "a big dog".
- Unbalanced braces and more than `limit` prompts (12, each a job of its own) are a
  ParamError that says what to change; nothing is expanded half-way.
"""

from __future__ import annotations

import itertools

from bot.core.errors import ParamError
from i18n import t

LIMIT = 12
MAX_DEPTH = 8  # nesting deeper than this is a typo, not a prompt
_OPEN, _CLOSE, _SEPARATORS = "{｛", "}｝", ",，、"
_ESCAPABLE = _OPEN + _CLOSE + _SEPARATORS + "\\"
_REPORT_CAP = 10_000  # counts above this are reported as "more than"

# A sequence of literal text and groups; a group is a list of choices, each a sequence.
Sequence = list["str | Group"]
Group = list[Sequence]


def _parse(text: str) -> tuple[Sequence, bool]:
    """The text as a tree, and whether it has any group. ParamError for unbalanced braces."""
    root: Sequence = []
    current = root
    open_groups: list[tuple[Group, Sequence]] = []  # each open group and the sequence it is in
    literal: list[str] = []
    found = False

    def flush() -> None:
        if literal:
            current.append("".join(literal))
            literal.clear()

    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in _ESCAPABLE:
            literal.append(text[index + 1])
            index += 2
            continue
        if char in _OPEN:
            if len(open_groups) >= MAX_DEPTH:
                raise ParamError(
                    t("Choices in {{...}} nest at most {depth} deep.", depth=MAX_DEPTH)
                )
            flush()
            group: Group = [[]]
            current.append(group)
            open_groups.append((group, current))
            current, found = group[-1], True
        elif char in _SEPARATORS and open_groups:
            flush()
            open_groups[-1][0].append([])
            current = open_groups[-1][0][-1]
        elif char in _CLOSE:
            if not open_groups:
                raise ParamError(
                    t(
                        "There is a }} without its {{. To write a brace itself, put a backslash "
                        "before it: \\}}."
                    )
                )
            flush()
            current = open_groups.pop()[1]
        else:
            literal.append(char)
        index += 1
    if open_groups:
        raise ParamError(
            t(
                "A {{ is not closed: end its choices with }}, like {{red, green}}. To write a "
                "brace itself, put a backslash before it: \\{{."
            )
        )
    flush()
    return root, found


def _count(sequence: Sequence) -> int:
    """How many prompts a sequence expands to, capped above _REPORT_CAP."""
    cap, total = _REPORT_CAP + 1, 1
    for item in sequence:
        if isinstance(item, list):
            total = min(total * min(sum(_count(choice) for choice in item), cap), cap)
    return total


def _expand(sequence: Sequence) -> list[str]:
    pieces = [
        [item] if isinstance(item, str) else [text for c in item for text in _expand(c)]
        for item in sequence
    ]
    return ["".join(combination) for combination in itertools.product(*pieces)]


def count_permutations(text: str) -> int:
    """How many prompts `text` stands for (1 without choices); ParamError if malformed."""
    tree, _ = _parse(text)
    return _count(tree)


def expand_permutations(text: str, limit: int = LIMIT) -> tuple[str, ...]:
    """Every prompt `text` stands for, in order; `(text,)` (unescaped) without choices."""
    tree, found = _parse(text)
    total = _count(tree)
    if total > limit:
        if total > _REPORT_CAP:
            message = t(
                "These {{...}} choices make more than {count} prompts; at most {limit} at once, "
                "each a job of its own. Remove some choices.",
                count=_REPORT_CAP,
                limit=limit,
            )
        else:
            message = t(
                "These {{...}} choices make {count} prompts; at most {limit} at once, each a "
                "job of its own. Remove some choices.",
                count=total,
                limit=limit,
            )
        raise ParamError(message)
    prompts = _expand(tree)
    return tuple(" ".join(p.split()) for p in prompts) if found else tuple(prompts)
