"""The local console front end: a REPL over the same core the chat adapters use."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.core.image_fetch import MAX_BYTES
from bot.core.language import Lang, MessageError, render, t
from bot.core.render import FAILED
from bot.core.requests import ButtonPress, Incoming, Origin, Reply, ReplyKind, SinkResponder
from bot.core.service import MjService

log = logging.getLogger(__name__)

PLATFORM = "console"
_SUGGESTIONS = frozenset(f"P{i}" for i in range(1, 5))  # buttons 1-4 under a describe
BUTTON_WORDS = {
    "r": "reroll",
    "reroll": "reroll",
    "🔄": "reroll",
    # under an upscaled image
    "vs": "VS",
    "vx": "VX",
    "u2x": "U2X",
    "u4x": "U4X",
    "vr": "VR",
    "zo2": "ZO2",
    "zo15": "ZO15",
    "zoc": "ZOC",
    "sq": "SQ",
    "pl": "PL",
    "pr": "PR",
    "pu": "PU",
    "pd": "PD",
    # under any result
    "del": "DEL",
    "🗑": "DEL",
    # under a describe: draw prompt N
    **{action[1:]: action for action in _SUGGESTIONS},
}
_DESCRIBE = re.compile(r"^/?describe(?:@\w+)?(?:\s+(?P<what>.*))?$", re.IGNORECASE | re.DOTALL)


class ConsoleError(MessageError):
    """Something typed that the console itself cannot act on (an unreadable file)."""


class ConsoleSink:
    """Prints replies; keeps a live progress line on a terminal, plain lines otherwise."""

    def __init__(self, out: TextIO = sys.stdout, preview_file: Path | None = None) -> None:
        self.out = out
        self.preview_file = preview_file
        self.tty = out.isatty()
        self.last_result: str | None = None  # job id the U/V/R shortcuts act on
        self._printed_progress: dict[str, int] = {}

    async def send(self, origin: Origin, reply: Reply) -> None:
        if reply.kind is ReplyKind.PROGRESS and reply.percent is not None:
            self._progress(reply)
            return
        if self.tty:
            self.out.write("\r\033[K")
        self.out.write(self._format(reply) + "\n")
        self.out.flush()
        if reply.kind is ReplyKind.RESULT:
            self.last_result = reply.job_id

    def _progress(self, reply: Reply) -> None:
        if reply.image_png and self.preview_file is not None:
            self.preview_file.parent.mkdir(parents=True, exist_ok=True)
            self.preview_file.write_bytes(reply.image_png)
        percent = reply.percent or 0
        text = reply.text
        if reply.spoiler:
            flagged = t("{progress} [preview flagged by the safety check]", progress=reply.message)
            text = render(flagged, reply.lang or Lang.EN)
        if self.tty:
            bar = "#" * (percent // 5)
            self.out.write(f"\r\033[K[{bar:<20}] {text}")
            self.out.flush()
            return
        # Not a terminal (logs, pipes): one line per quarter, not one per step.
        last = self._printed_progress.get(reply.job_id or "", -1)
        if percent // 25 > last // 25 or percent == 100:
            self._printed_progress[reply.job_id or ""] = percent
            self.out.write(text + "\n")
            self.out.flush()

    @staticmethod
    def _format(reply: Reply) -> str:
        lang = reply.lang or Lang.EN
        if reply.kind is ReplyKind.RESULT:
            labels = " ".join(f"[{b.label}]" for b in reply.buttons)
            path = str(reply.image_path)
            if any(b.action in _SUGGESTIONS for b in reply.buttons):  # a describe's prompts
                image = t("image: {path}", path=path)
                buttons = t(
                    "buttons: {labels}  (type 1-4 to draw a prompt, R for new prompts)",
                    labels=labels,
                )
                return f"{reply.text}\n  {render(image, lang)}\n  {render(buttons, lang)}"
            # A terminal cannot hide a picture: say so before anyone opens the file.
            if reply.spoiler:
                grid = t("grid: {path}  [spoiler: flagged by the image safety check]", path=path)
            else:
                grid = t("grid: {path}", path=path)
            buttons = t(
                "buttons: {labels}  (type U1, V1, R or DEL; after an upscale VS, VX, U2X, U4X, "
                "VR, ZO2, ZO15, ZOC, SQ, PL, PR, PU or PD)",
                labels=labels,
            )
            return f"{reply.text}\n  {render(grid, lang)}\n  {render(buttons, lang)}"
        if reply.kind is ReplyKind.ERROR:
            return render(t("error: {message}", message=reply.message), lang)
        links = "".join(f"\n  {b.label}: {b.url}" for b in reply.buttons if b.url)
        return reply.text + links


class ConsoleAdapter:
    def __init__(
        self,
        service: MjService,
        user_id: str = "local",
        user_name: str = "you",
        sink: ConsoleSink | None = None,
        locale: Lang | None = None,
    ) -> None:
        self.service = service
        self.origin = Origin(PLATFORM, "local", user_id)
        self.user_name = user_name
        self.locale = locale  # MJ_LANG, else the terminal's locale (LANG, LC_ALL, ...)
        self.sink = sink or ConsoleSink()
        # The console shows progress on every step (and writes a preview file if asked).
        service.register_sink(PLATFORM, self.sink, preview_every_s=0.0)

    def to_incoming(self, line: str) -> Incoming | None:
        """One typed line: plain text means /mj; U1/V2/R (VS/VX/U2X, 1-4 under a describe)
        press the last result's buttons; `describe PATH|URL` describes an image."""
        text = line.strip()
        if not text:
            return None
        word = text.lower()
        if self.sink.last_result and (word in BUTTON_WORDS or _is_uv(word)):
            action = BUTTON_WORDS.get(word, word.upper())
            return Incoming(
                self.origin,
                self.user_name,
                button=ButtonPress(action, self.sink.last_result),
                locale=self.locale,
            )
        if match := _DESCRIBE.match(text):
            return self._describe((match["what"] or "").strip())
        if not text.startswith("/"):
            text = f"/mj {text}"
        return Incoming(self.origin, self.user_name, text=text, locale=self.locale)

    def _describe(self, what: str) -> Incoming:
        """`describe PATH [words]`: the console runs on its owner's machine, so a local file is
        read here and handed over like an attachment; a URL goes to the core, which fetches it
        as safely as any."""
        words = what.split()
        if not words or "://" in words[0]:
            return Incoming(
                self.origin, self.user_name, text=f"/describe {what}", locale=self.locale
            )
        count = _file_words(words)
        path, rest = Path(" ".join(words[:count])).expanduser(), " ".join(words[count:])
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ConsoleError(
                    t(
                        "{path} is larger than {limit} MB.",
                        path=str(path),
                        limit=MAX_BYTES // 10**6,
                    )
                )
            data = path.read_bytes()
        except OSError as error:
            reason = error.strerror or str(error)  # the system's words, in its own language
            raise ConsoleError(
                t("Cannot read {path}: {reason}.", path=str(path), reason=reason)
            ) from None
        return Incoming(
            self.origin, self.user_name, text=f"/describe {rest}", image=data, locale=self.locale
        )

    async def submit_line(self, line: str, *, wait: bool = True) -> None:
        try:
            incoming = self.to_incoming(line)
        except ConsoleError as error:
            failed = Reply(ReplyKind.ERROR, error.message).in_language(self.locale or Lang.EN)
            await self.sink.send(self.origin, failed)
            return
        if incoming is None:
            return
        before = set(self.service.pending_job_ids())
        await self.service.handle(incoming, SinkResponder(self.sink, self.origin))
        if wait:
            for job_id in set(self.service.pending_job_ids()) - before:
                await self.service.wait(job_id)

    async def repl(self, read_line: Callable[[str], str] = input) -> None:
        lang = await self.service.language(
            Incoming(self.origin, self.user_name, locale=self.locale)
        )
        banner = t(
            "mjbot console. Type a prompt (or /mj ... --ar 16:9), describe IMAGE, /help, or quit."
        )
        print(render(banner, lang))
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await loop.run_in_executor(None, read_line, "mj> ")
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if line.strip().lower() in ("quit", "exit", ":q"):
                return
            try:
                await self.submit_line(line)
            except Exception:  # a bug: the core answers what it can; one line must not end us
                log.exception("the console line %r failed", line[:200])
                await self.sink.send(self.origin, Reply(ReplyKind.ERROR, FAILED))


def _file_words(words: list[str]) -> int:
    """How many leading words name an existing file (paths may hold spaces); 1 if none do, so
    the first word is the path an error names."""
    for count in range(len(words), 0, -1):
        if Path(" ".join(words[:count])).expanduser().is_file():
            return count
    return 1


def _is_uv(word: str) -> bool:
    return len(word) == 2 and word[0] in "uv" and word[1] in "1234"
