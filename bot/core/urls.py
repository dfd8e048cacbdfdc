"""A user's http(s) URL, checked before anything tries to use it.

`urllib.parse`, yarl (aiohttp's URL type) and the resolver raise ValueError (or UnicodeError)
for URLs they cannot read: a port out of range, unbalanced IPv6 brackets, a host label the IDNA
codec cannot encode. A URL in a prompt, or in a redirect's Location, is user input, so
`http_target` answers None for all of them and each caller refuses in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from yarl import URL

MAX_URL_CHARS = 2048  # what browsers and servers reliably accept


@dataclass(frozen=True, slots=True)
class HttpTarget:
    host: str  # as the resolver needs it: IPv6 without brackets, names lower-case
    port: int


def http_target(url: str) -> HttpTarget | None:
    """Where an http(s) URL connects to, or None if it is not one that can be fetched."""
    if len(url) > MAX_URL_CHARS:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
        URL(url)  # aiohttp parses it again with yarl, which is stricter in places
        host = parts.hostname
        if host:
            host.encode("idna")  # what getaddrinfo does to it: empty or 64+ letter labels fail
    except ValueError:  # UnicodeError included
        return None
    if parts.scheme not in ("http", "https") or not host or port == 0:
        return None
    return HttpTarget(host, port if port is not None else 443 if parts.scheme == "https" else 80)
