"""Shared by the long-running commands: Ctrl-C and SIGTERM set an event instead of killing.

Service managers (systemd, docker stop) send SIGTERM; ending a wait lets the adapters, the
engine and the database close in order instead of dying mid-write.
"""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (where the loop supports signal handlers)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):  # Windows: Ctrl-C still raises KeyboardInterrupt
            loop.add_signal_handler(sig, stop.set)
    return stop
