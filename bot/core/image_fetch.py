"""Image prompts: download a user's image URL safely, and check any image bytes before use.

A URL comes from a user, so the bot must not become their proxy into its own network (SSRF):
every host, including each redirect's, is resolved first and refused unless all its addresses
are public, and the connection then goes to exactly those checked addresses (no second DNS
answer can point it elsewhere). Bytes are bounded while streaming, the content type must say
image, and Pillow must verify the file and find no more pixels than we are willing to decode.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import socket
from typing import Literal
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from PIL import Image

from bot.core.errors import ImagePromptError
from bot.core.urls import http_target
from i18n import Duration, Message, t

MAX_BYTES = 10 * 1000 * 1000  # 10 MB, Telegram's photo limit and about Discord's
MAX_PIXELS = 40_000_000  # 40 MP decodes to ~120 MB of RGB: the most we accept
MAX_SIDE = 2048  # stored image prompts are shrunk to this; jobs never draw larger
MAX_REDIRECTS = 3
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
_CHUNK = 64 * 1024


# IPv6 prefixes whose last 32 bits are an IPv4 address that a translator, a dual-stack socket
# or an old-style tunnel may connect to (RFC 4291 compatible and mapped, RFC 2765 translated,
# RFC 6052 NAT64 well-known prefix). 64:ff9b:1::/48 (RFC 8215) is for networks' own NAT64,
# never globally reachable, and places the IPv4 address by a prefix length we cannot know.
_EMBEDS_LAST_32 = tuple(
    ipaddress.IPv6Network(prefix) for prefix in ("::/96", "::ffff:0:0/96", "::ffff:0:0:0/96")
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")  # deprecated, yet Python 3.11 calls it global


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: the one in its last 32 bits for the
    prefixes above, the 6to4 (2002::/16) gateway, and a Teredo (2001::/32) server and client
    (the client's bits are stored inverted: `teredo` undoes that)."""
    found = []
    if any(ip in network for network in (*_EMBEDS_LAST_32, _NAT64)):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found += ip.teredo
    return found


def _reachable(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def is_public(address: str) -> bool:
    """False for private, loopback, link-local, reserved, multicast and shared (CGNAT) ones,
    and for IPv6 addresses that embed such an IPv4 address (::ffff:127.0.0.1, ::10.0.0.1,
    64:ff9b::a9fe:a9fe, 2002:7f00:1::, Teredo): every address one leads to is judged."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv4Address):
        return _reachable(ip)
    if ip in _LOCAL_NAT64 or ip in _SITE_LOCAL:
        return False
    if not all(map(_reachable, _embedded_ipv4(ip))):
        return False
    # A mapped address is how a dual-stack socket spells IPv4: its IPv4 address was judged.
    return ip.ipv4_mapped is not None or _reachable(ip)


class _PinnedResolver(AbstractResolver):
    """Answers with addresses checked beforehand, so the connection goes where we checked."""

    def __init__(self, answers: list[ResolveResult]) -> None:
        self.answers = answers

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return self.answers

    async def close(self) -> None:
        return None


async def _checked_addresses(host: str, port: int, allow_private: bool) -> list[ResolveResult]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ImagePromptError(
            t("The image URL's host '{host}' does not exist.", host=host)
        ) from None
    answers: list[ResolveResult] = []
    for family, _, proto, _, sockaddr in infos:
        address = str(sockaddr[0])
        if not allow_private and not is_public(address):
            raise ImagePromptError(
                t(
                    "The image URL points to a private or local address ({host}); only public "
                    "web addresses can be image prompts.",
                    host=host,
                )
            )
        answers.append(
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": family,
                "proto": proto,
                "flags": socket.AI_NUMERICHOST,
            }
        )
    return answers


async def fetch_image(
    url: str, *, timeout_s: float, allow_private: bool = False, max_bytes: int = MAX_BYTES
) -> bytes:
    """The bytes at `url` (following at most MAX_REDIRECTS), or ImagePromptError saying why."""
    shown = url if len(url) <= 80 else url[:77] + "..."
    try:
        async with asyncio.timeout(timeout_s):
            for hop in range(MAX_REDIRECTS + 1):
                target = http_target(url)
                if target is None:
                    raise ImagePromptError(
                        t(
                            "The image URL {url} redirects to an address that is not a valid "
                            "http(s) URL.",
                            url=shown,
                        )
                        if hop
                        else t("The image URL {url} is not a valid http(s) URL.", url=shown)
                    )
                answers = await _checked_addresses(target.host, target.port, allow_private)
                connector = aiohttp.TCPConnector(resolver=_PinnedResolver(answers))
                async with (
                    aiohttp.ClientSession(connector=connector) as session,
                    session.get(url, allow_redirects=False) as response,
                ):
                    if response.status in (301, 302, 303, 307, 308):
                        url = _redirect(url, response.headers.get("Location", ""))
                        continue
                    return await _read_body(response, shown, max_bytes)
            raise ImagePromptError(t("The image URL {url} redirects too many times.", url=shown))
    except TimeoutError:
        raise ImagePromptError(
            t(
                "The image URL {url} did not answer within {timeout}.",
                url=shown,
                timeout=Duration(timeout_s),
            )
        ) from None
    except aiohttp.ClientError as error:
        raise ImagePromptError(
            t(
                "The image URL {url} could not be downloaded ({error}).",
                url=shown,
                error=type(error).__name__,
            )
        ) from None


def _redirect(url: str, location: str) -> str:
    """The URL a redirect leads to; "" when its Location cannot be read (refused next)."""
    try:
        return urljoin(url, location)
    except ValueError:  # e.g. unbalanced IPv6 brackets
        return ""


async def _read_body(response: aiohttp.ClientResponse, shown: str, max_bytes: int) -> bytes:
    if response.status != 200:
        raise ImagePromptError(
            t(
                "The image URL {url} answered HTTP {status}.",
                url=shown,
                status=str(response.status),
            )
        )
    if not response.content_type.startswith("image/"):
        if not response.content_type:
            raise ImagePromptError(t("The URL {url} is not an image (it has no type).", url=shown))
        raise ImagePromptError(
            t(
                "The URL {url} is not an image (it is {type}).",
                url=shown,
                type=response.content_type,
            )
        )
    too_big = ImagePromptError(
        t("The image at {url} is larger than {size} MB.", url=shown, size=max_bytes // 10**6)
    )
    if (response.content_length or 0) > max_bytes:
        raise too_big
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > max_bytes:  # a lying or missing Content-Length: stop reading now
            raise too_big
    return bytes(body)


# What a refusal calls the image: an image prompt (and a blend's images), an image to
# describe, a drawn mask.
ImageRole = Literal["image prompt", "image", "mask"]
# Each refusal written whole for each role, so that no translation is built from fragments:
# (too large, not an image, too many pixels).
_REFUSALS: dict[str, tuple[Message, Message, Message]] = {
    "image prompt": (
        t("The image prompt is larger than {size} MB."),
        t("The image prompt is not a valid PNG, JPEG, WebP, GIF or BMP."),
        t("The image prompt is {width}x{height}: at most {most} megapixels."),
    ),
    "image": (
        t("The image is larger than {size} MB."),
        t("The image is not a valid PNG, JPEG, WebP, GIF or BMP."),
        t("The image is {width}x{height}: at most {most} megapixels."),
    ),
    "mask": (
        t("The mask is larger than {size} MB."),
        t("The mask is not a valid PNG, JPEG, WebP, GIF or BMP."),
        t("The mask is {width}x{height}: at most {most} megapixels."),
    ),
}


def load_image(
    data: bytes, max_bytes: int = MAX_BYTES, what: ImageRole = "image prompt"
) -> Image.Image:
    """Verified, decoded RGB image no larger than MAX_SIDE, or ImagePromptError (naming it as
    `what`: an image prompt, an image to describe).

    The pixel count is checked from the header, before decoding, so a small file that
    expands to gigabytes (a decompression bomb) is refused without being decoded.
    """
    image = _decoded(data, max_bytes, "RGB", what)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def load_mask(data: bytes, max_bytes: int = MAX_BYTES) -> Image.Image:
    """A drawn Vary (Region) mask, checked like an image prompt; its transparency is kept
    (strokes on a clear canvas mark the region)."""
    return _decoded(data, max_bytes, None, "mask")


def _decoded(data: bytes, max_bytes: int, mode: str | None, what: ImageRole) -> Image.Image:
    """Checked and decoded, converted to `mode` (None: RGBA if it has transparency, else L)."""
    too_big, not_an_image, too_many_pixels = _REFUSALS[what]
    if len(data) > max_bytes:
        raise ImagePromptError(too_big.with_values(size=max_bytes // 10**6))
    not_image = ImagePromptError(not_an_image)
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
            width, height = probe.size
            probe.verify()
        if width * height > MAX_PIXELS:
            raise ImagePromptError(
                too_many_pixels.with_values(
                    width=str(width), height=str(height), most=MAX_PIXELS // 10**6
                )
            )
        with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
            if mode is None:
                clear = opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info
                mode = "RGBA" if clear else "L"
            return opened.convert(mode)
    except ImagePromptError:
        raise
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise not_image from None
