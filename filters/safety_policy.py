"""What to do with an image the safety check scored: the policy of a scope and the decision.

Pure: no I/O, no model. A scope's policy is a mode (off, spoiler, blur, block), a threshold
(a score at or above it is flagged) and, for Discord servers that allow it, a laxer mode for
channels marked NSFW. `decide` turns a policy and a score into the action for one image.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from i18n import MessageError, t


class PolicyError(MessageError, ValueError):
    """A policy a moderator wrote that cannot be used; the message says what to fix."""


class Mode(StrEnum):
    """What a scope does with flagged images, from laxest to strictest."""

    OFF = "off"  # no check: images go out as drawn (and image prompts are not checked)
    SPOILER = "spoiler"  # flagged images go out hidden behind a spoiler the viewer opens
    BLUR = "blur"  # flagged images go out strongly blurred; moderators keep the original
    BLOCK = "block"  # flagged images are withheld and refunded; moderators may release them

    @property
    def strictness(self) -> int:
        return list(Mode).index(self)


class Action(StrEnum):
    """What happens to one image."""

    SHOW = "show"  # sent as it is (safe, or the scope checks nothing)
    SPOILER = "spoiler"  # sent behind a spoiler
    BLUR = "blur"  # a strongly blurred copy is sent
    BLOCK = "block"  # not sent; the user is told it was withheld

    @property
    def hides(self) -> bool:
        return self is not Action.SHOW


@dataclass(frozen=True, slots=True)
class SafetyPolicy:
    mode: Mode = Mode.BLOCK
    threshold: float = 0.8  # flagged when score >= threshold
    nsfw_mode: Mode | None = None  # in channels marked NSFW; None: the same as everywhere

    def __post_init__(self) -> None:
        if not (isinstance(self.threshold, int | float) and 0.0 <= self.threshold <= 1.0):
            raise PolicyError(
                t("The threshold is a number from 0 to 1, not {value}.", value=str(self.threshold))
            )
        object.__setattr__(self, "threshold", float(self.threshold))
        if self.nsfw_mode is not None and self.nsfw_mode.strictness > self.mode.strictness:
            raise PolicyError(
                t(
                    "The mode for NSFW channels ({nsfw_mode}) must not be stricter than the mode "
                    "everywhere else ({mode}): NSFW channels may only be laxer.",
                    nsfw_mode=self.nsfw_mode.value,
                    mode=self.mode.value,
                )
            )


DEFAULT_POLICY = SafetyPolicy()


@dataclass(frozen=True, slots=True)
class Verdict:
    score: float | None  # None: not checked (the mode is off)
    flagged: bool
    action: Action


def effective_mode(policy: SafetyPolicy, *, nsfw_channel: bool = False) -> Mode:
    if nsfw_channel and policy.nsfw_mode is not None:
        return policy.nsfw_mode
    return policy.mode


def needs_check(policy: SafetyPolicy, *, nsfw_channel: bool = False) -> bool:
    """Whether images (results, previews, image prompts) must be scored before they are used."""
    return effective_mode(policy, nsfw_channel=nsfw_channel) is not Mode.OFF


def is_flagged(policy: SafetyPolicy, score: float) -> bool:
    return score >= policy.threshold


def decide(policy: SafetyPolicy, score: float | None, *, nsfw_channel: bool = False) -> Verdict:
    """The action for one image a user is about to receive."""
    mode = effective_mode(policy, nsfw_channel=nsfw_channel)
    if mode is Mode.OFF:
        flagged = score is not None and is_flagged(policy, score)
        return Verdict(score, flagged, Action.SHOW)
    if score is None:
        raise ValueError(f"a {mode} policy needs the image's score")
    if not is_flagged(policy, score):
        return Verdict(score, False, Action.SHOW)
    return Verdict(score, True, Action(mode.value))


def refuses_input(policy: SafetyPolicy, score: float, *, nsfw_channel: bool = False) -> bool:
    """Whether an image a user gives (an image prompt) is refused: flagged where checks run.

    Every checking mode refuses it, spoiler included: a spoiler hides a picture from viewers,
    but an image prompt would steer what the model draws.
    """
    return needs_check(policy, nsfw_channel=nsfw_channel) and is_flagged(policy, score)


# Parsing what a moderator types: `/safety blur 0.7 --nsfw spoiler`, in any order. -------------

MODE_WORDS: dict[str, Mode] = {
    **{mode.value: mode for mode in Mode},
    "关": Mode.OFF,
    "关闭": Mode.OFF,
    "剧透": Mode.SPOILER,  # Telegram's Chinese interface calls spoilers 剧透
    "遮挡": Mode.SPOILER,
    "模糊": Mode.BLUR,
    "屏蔽": Mode.BLOCK,
    "拦截": Mode.BLOCK,
}
SAME_WORDS = ("same", "inherit", "同上")
_NSFW_FLAGS = ("--nsfw", "nsfw")
_DASHES = re.compile(r"^(?:—{1,2}|–{1,2}|-{1,2})(?=[a-z])")  # phones and Chinese keyboards
_SEPARATORS = re.compile(r"[\s,;，；、]+")
_ASSIGN = re.compile(r"^(--nsfw|nsfw)[=:](.*)$")


def _tokens(text: str) -> list[str]:
    """Words of the text as phones and Chinese keyboards type them (full width, long dashes)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    tokens = []
    for word in _SEPARATORS.split(folded):
        if not word:
            continue
        word = _DASHES.sub("--", word)
        assigned = _ASSIGN.match(word)
        tokens += [assigned[1], assigned[2]] if assigned else [word]
    return tokens


def _mode(word: str, nsfw: bool) -> Mode:
    try:
        return MODE_WORDS[word]
    except KeyError:
        if nsfw:
            message = t(
                "Unknown mode for --nsfw '{word}': use one of off, spoiler, blur, block.",
                word=word,
            )
        else:
            message = t("Unknown mode '{word}': use one of off, spoiler, blur, block.", word=word)
        raise PolicyError(message) from None


def _threshold(word: str) -> float | None:
    """A threshold such as 0.8 or 80%, or None if the word is not a number."""
    percent = word.endswith("%")
    try:
        value = float(word.rstrip("%"))
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    value = value / 100 if percent else value
    if not 0.0 <= value <= 1.0:
        raise PolicyError(
            t("The threshold is a number from 0 to 1 (or 0% to 100%), not {value}.", value=word)
        )
    return value


def parse_policy(text: str, current: SafetyPolicy = DEFAULT_POLICY) -> SafetyPolicy:
    """Change `current` by what a moderator typed: a mode, a threshold, `--nsfw MODE`.

    What the text does not mention is kept from `current`. `--nsfw same` removes the laxer
    mode for NSFW channels.
    """
    tokens = _tokens(text)
    if not tokens:
        raise PolicyError(
            t(
                "Say what to change: a mode (off, spoiler, blur, block), a threshold from 0 to 1, "
                "or --nsfw MODE."
            )
        )
    mode, threshold, nsfw_mode = current.mode, current.threshold, current.nsfw_mode
    seen: set[str] = set()
    index = 0
    while index < len(tokens):
        word = tokens[index]
        index += 1
        if word in _NSFW_FLAGS:
            if index >= len(tokens):
                raise PolicyError(t("--nsfw needs a mode: off, spoiler, blur, block or same."))
            value = tokens[index]
            index += 1
            nsfw_mode = None if value in SAME_WORDS else _mode(value, nsfw=True)
            kind = "nsfw"
        elif (number := _threshold(word)) is not None:
            threshold, kind = number, "threshold"
        else:
            mode, kind = _mode(word, nsfw=False), "mode"
        if kind in seen:
            once = {
                "nsfw": t("Give the mode for --nsfw once."),
                "threshold": t("Give the threshold once."),
                "mode": t("Give the mode once."),
            }
            raise PolicyError(once[kind])
        seen.add(kind)
    return SafetyPolicy(mode, threshold, nsfw_mode)


def format_policy(policy: SafetyPolicy) -> str:
    """The policy as `parse_policy` reads it back: `block 0.8`, `blur 0.7 --nsfw spoiler`."""
    text = f"{policy.mode} {policy.threshold}"
    return text if policy.nsfw_mode is None else f"{text} --nsfw {policy.nsfw_mode}"
