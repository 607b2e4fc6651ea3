"""WhatsApp chat exports: the reader keeps no state per message (issue 15: flat memory).

Four times the messages over the same kind of chat must not need four times the memory: the
reader's counters of repeated messages forget past minutes, its caches are per day and capped.
Measured with tracemalloc (Python's own allocations, deterministic), not RSS.
"""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

from connections.connectors.base import Artifact, BatchFacts, ParseOptions
from connections.connectors.whatsapp import parse

SENDERS = ("Ana Souza", "Ben Carter", "Chloé Martin")


def write_chat(path: Path, messages: int) -> Path:
    """An Android export: several messages a minute, some repeated ("ok"), some of two lines."""
    at = datetime(2021, 1, 4, 8, 0)
    lines = []
    for i in range(messages):
        at += timedelta(seconds=20)
        text = "ok" if i % 7 == 0 else f"message number {i} about the trip"
        if i % 16 == 5:
            text += "\n- passport"
        lines.append(f"{at:%d/%m/%Y, %H:%M} - {SENDERS[i % 3]}: {text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def traced_peak(path: Path) -> tuple[int, int]:
    """(records read, tracemalloc peak in bytes while reading them one at a time)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        count = 0
        for _ in parse(Artifact(path=path, filename=path.name), BatchFacts(), ParseOptions(date_order="dmy")):
            count += 1
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return count, peak


def test_four_times_the_messages_do_not_need_four_times_the_memory(tmp_path):
    small = traced_peak(write_chat(tmp_path / "WhatsApp Chat with Ana Souza.txt", 20_000))
    large = traced_peak(write_chat(tmp_path / "WhatsApp Chat with Ben Carter.txt", 80_000))
    assert (small[0], large[0]) == (20_000, 80_000)
    # Any state kept per message (a set of keys, a list of authors or media) would grow by 60,000
    # entries, several megabytes; the reader's buffers and per-day caches stay far below that.
    assert large[1] < 1.5 * small[1], (small, large)
    assert large[1] - small[1] < 1024 * 1024, (small, large)
