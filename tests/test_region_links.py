"""Signed links to the Vary (Region) page: one user, one image, until they expire."""

from __future__ import annotations

import pytest

from bot.core.errors import LinkRefused
from bot.core.region_links import RegionLinks

SECRET = "s" * 43


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_fresh_link_names_its_user() -> None:
    links = RegionLinks(SECRET, 600, Clock())
    assert links.check(links.token("discord:42", "k7x2m9pq4a"), "k7x2m9pq4a") == "discord:42"


def test_a_link_expires() -> None:
    clock = Clock()
    links = RegionLinks(SECRET, 600, clock)
    token = links.token("discord:42", "job")
    clock.now += 600
    assert links.check(token, "job") == "discord:42"
    clock.now += 1
    with pytest.raises(LinkRefused, match="expired"):
        links.check(token, "job")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],
        lambda t: t.replace(".", ".x", 1),
        lambda t: t[: len(t) // 2],
        lambda t: "",
        lambda t: "not-a-token",
    ],
    ids=["signature", "timestamp", "cut", "empty", "garbage"],
)
def test_an_altered_link_is_refused(mangle) -> None:
    links = RegionLinks(SECRET, 600, Clock())
    with pytest.raises(LinkRefused, match="not valid"):
        links.check(mangle(links.token("telegram:7", "job")), "job")


def test_a_link_for_another_image_or_from_another_bot_is_refused() -> None:
    links = RegionLinks(SECRET, 600, Clock())
    with pytest.raises(LinkRefused, match="another image"):
        links.check(links.token("telegram:7", "job-a"), "job-b")
    other = RegionLinks("o" * 43, 600, Clock())
    with pytest.raises(LinkRefused, match="not valid"):
        links.check(other.token("telegram:7", "job-a"), "job-a")


def test_a_short_secret_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="32"):
        RegionLinks("short", 600)
