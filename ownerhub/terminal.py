"""One line of progress on a terminal, redrawn in place at most ten times a second (the commands' bars)."""

from __future__ import annotations

import time


class TerminalLine:
    """Draw ``line(text)`` over the previous one; ``done()`` wipes it before the command's own output."""

    def __init__(self, stream):
        self.stream = stream
        self.started = time.monotonic()
        self.last = 0.0
        self.width = 0

    def due(self, *, final: bool = False) -> bool:
        """Whether a redraw is due now (a final state always is)."""
        now = time.monotonic()
        if now - self.last < 0.1 and not final:
            return False
        self.last = now
        return True

    def line(self, text: str) -> None:
        self.stream.write(f"\r{text}", ending="")
        self.stream.flush()
        self.width = max(self.width, len(text))

    def done(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r", ending="")
            self.stream.flush()
