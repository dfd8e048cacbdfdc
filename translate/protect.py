"""Splitting a /mj text into the Chinese to translate and everything that must stay as typed.

The input is the parser's normalised text (`bot.core.params_tokens.normalize_input`), where
every parameter marker has become ` --name` with an ASCII value. On that form finding params
is one regex, the same one the parser uses. What is protected, byte for byte:

- `--params` with their values, except `--no`, whose value is prompt text (what to keep out);
- URLs anywhere (image prompts and links in the text: a translator would mangle them);
- `::` weight separators with their number (`cat::2`, `狗：：-0.5`).

Only runs of Han characters are translated. Numbers, Latin words and other punctuation around
them stay; CJK punctuation there becomes its ASCII twin because the text encoders were trained
on English commas and full stops. A run goes on across a name's middle dot (达·芬奇) and across
capitals or digits between Han characters (哆啦A梦, 赛博朋克2077, 戴VR眼镜): they are part of
the name or phrase, while a lower-case English word (猫wearing帽子) is the writer's English.
`"".join(piece.text for piece in split_protected(t)) == t`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from lexicon.names import NAME_DOTS
from lexicon.script import HAN_CLASS


class Kind(StrEnum):
    CHINESE = "chinese"  # a run of Han characters in the prompt or a --no value: translated
    TEXT = "text"  # the prompt text around it: kept, CJK punctuation made ASCII
    RAW = "raw"  # a param with its value, a URL or a ::weight: kept byte for byte


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    kind: Kind


# The parser's own param pattern (bot.core.params_tokens._PARAM), valid on normalised text.
_PARAM = re.compile(r"(?<!\S)--([a-z]+)")
# --no is the one param whose value is prompt text; Midjourney users write it in Chinese too.
_TRANSLATED_PARAMS = frozenset({"no"})
# A URL runs to the next space, as the parser reads it; Discord users wrap links in <...>.
# A `::` separator keeps the number after it (full-width digits too: input methods type them).
_PROTECTED = re.compile(
    r"<?https?://[^\s<>]+>?"
    r"|(?:::|：：)(?:[-+]?[0-9０-９]*[.．]?[0-9０-９]+)?",
    re.IGNORECASE,
)
_CJK_PUNCTUATION = str.maketrans(
    {
        "，": ", ",
        "、": ", ",
        "。": ". ",
        "；": "; ",
        "：": ": ",
        "！": "! ",
        "？": "? ",
        "（": " (",
        "）": ") ",
        "【": " [",
        "】": "] ",
        "《": ' "',
        "》": '" ',
        "“": ' "',
        "”": '" ',
        "‘": " '",
        "’": "' ",
        "…": "...",
        "～": "~",
        "·": " ",
    }
)
_CHINESE_RUN = re.compile(f"[{HAN_CLASS}]+(?:(?:[{NAME_DOTS}]|[A-Z0-9]{{1,6}})[{HAN_CLASS}]+)*")
_ASCII_WORD_END = re.compile(r"[A-Za-z0-9]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9]")


def split_protected(text: str) -> tuple[Piece, ...]:
    """Cut normalised /mj text into pieces, in order; only CHINESE pieces are to be translated."""
    pieces: list[Piece] = []
    markers = list(_PARAM.finditer(text))
    ends = [m.start() for m in markers[1:]] + [len(text)]
    _split_text(text[: markers[0].start()] if markers else text, pieces)
    for marker, end in zip(markers, ends, strict=False):  # ends has one extra when no markers
        if marker.group(1) in _TRANSLATED_PARAMS:
            pieces.append(Piece(marker.group(), Kind.RAW))
            _split_text(text[marker.end() : end], pieces)
        else:
            pieces.append(Piece(text[marker.start() : end], Kind.RAW))
    return tuple(piece for piece in pieces if piece.text)


def _split_text(text: str, pieces: list[Piece]) -> None:
    pos = 0
    for match in _PROTECTED.finditer(text):
        _split_han(text[pos : match.start()], pieces)
        pieces.append(Piece(match.group(), Kind.RAW))
        pos = match.end()
    _split_han(text[pos:], pieces)


def _split_han(text: str, pieces: list[Piece]) -> None:
    pos = 0
    for match in _CHINESE_RUN.finditer(text):
        pieces.append(Piece(text[pos : match.start()], Kind.TEXT))
        pieces.append(Piece(match.group(), Kind.CHINESE))
        pos = match.end()
    pieces.append(Piece(text[pos:], Kind.TEXT))


def chinese_spans(pieces: Sequence[Piece]) -> list[str]:
    """The distinct texts to translate, in order of first appearance."""
    return list(dict.fromkeys(p.text for p in pieces if p.kind is Kind.CHINESE))


def reassemble(pieces: Sequence[Piece], translated: Callable[[str], str]) -> str:
    """Put the text back together with each CHINESE piece replaced by `translated(piece)`.

    Text between protected pieces is tidied (a dropped particle must not leave `, ,` behind);
    protected pieces are copied as they are.
    """
    out: list[str] = []
    region: list[str] = []  # translated and kept text since the last protected piece
    typed: list[str] = []  # the same, as typed
    for piece in pieces:
        if piece.kind is Kind.RAW:
            before_param = piece.text.startswith("--")
            as_typed = "".join(typed)
            text = _tidy(_join(region), as_typed, not out, before_param)
            out.append(_unglued(text, as_typed, out[-1] if out else "", piece.text))
            region.clear()
            typed.clear()
            out.append(piece.text)
            continue
        typed.append(piece.text)
        if piece.kind is Kind.CHINESE:
            region.append(translated(piece.text))
        else:
            region.append(piece.text.translate(_CJK_PUNCTUATION))
    as_typed = "".join(typed)
    text = _tidy(_join(region), as_typed, not out, True)
    out.append(_unglued(text, as_typed, out[-1] if out else "", ""))
    return "".join(out)


def _unglued(text: str, typed: str, before: str, after: str) -> str:
    """`text` with a space where it would glue onto a protected neighbour it did not touch as
    typed: `::2的2077` must not become the weight `::22077`, nor `猫https://…` a URL the image
    prompt parser can no longer see."""
    if (
        _ASCII_WORD_END.search(before)
        and _ASCII_WORD_START.match(text)
        and not _ASCII_WORD_START.match(typed)
    ):
        text = " " + text
    if (
        _ASCII_WORD_END.search(text)
        and _ASCII_WORD_START.match(after)
        and not _ASCII_WORD_END.search(typed)
    ):
        text += " "
    return text


def _join(parts: Sequence[str]) -> str:
    """Concatenate, with a space where two Latin words would otherwise touch ("猫wearing")."""
    text = ""
    for part in parts:
        if text and part and _ASCII_WORD_END.search(text) and _ASCII_WORD_START.match(part):
            text += " "
        text += part
    return text


def _tidy(text: str, typed: str, at_start: bool, at_end: bool) -> str:
    """One space between words, none before a comma, no empty list items.

    The spaces that separated this text from its neighbours as typed are kept (a URL or param
    must not get glued on); a comma is dropped where nothing follows it: at the end of the
    text or before a param.
    """
    lead = " " if typed[:1].isspace() else ""
    tail = " " if typed[-1:].isspace() else ""
    core = re.sub(r"\s+", " ", text).strip()
    core = re.sub(r" ([,.;!?])", r"\1", core)
    core = re.sub(r"([,;])(?: ?[,;])+", r"\1", core)
    if at_start:
        core = core.lstrip(" ,;")
    if at_end:
        core = core.rstrip(" ,;")
    if not core:
        return " " if lead or tail else ""
    return f"{lead}{core}{tail}"
