"""The parser reads ahead in a second thread while staging writes the chunk before (issue 15).

A preview used one of the machine's CPUs: the parser built a chunk of rows, then waited while
the database stored it. ``chunks_read_ahead`` runs the parser, and the building of staging's
rows, in a thread of its own and hands each chunk over; the caller's thread writes it
meanwhile. Only the caller's thread touches the database (Django's connection, its transactions
and the batch's progress), so nothing about them changes; the reading thread runs no SQL.

The overlap is real only while the writing lets go of the GIL for the whole chunk: SQLite
inserts a chunk in one statement over its JSON array (``staging.SqliteStageWriter``), and
PostgreSQL works in its own process. ``executemany`` takes the GIL back after every row and
waits up to the switch interval (5 ms) to get it from a busy thread: with a reader beside it,
that is slower than no thread at all.

At most two chunks are held: the one being written, and the one being read (the reader waits
for the slot before handing the next over). When the caller stops (an error, or its progress
callback raising), the reader stops at its next chunk and the parser is closed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

Read = Callable[[Callable[[list[tuple]], None], Callable[[int], None]], None]
"""``read(send, told)``: parses, calling ``send(rows)`` for each chunk (handed over) and
``told(items)`` as it goes."""


class _Stopped(Exception):
    """The caller stopped taking chunks: the reading thread ends."""


def chunks_read_ahead(read: Read, close: Callable[[], None]) -> Iterator[tuple[list[tuple] | None, int]]:
    """Yields ``(rows, 0)`` for each chunk ``read`` sends and ``(None, items)`` for each progress
    it tells, in the order it did so, while ``read`` runs in a second thread; its error, if it
    raises, is raised here after the chunks before it. ``close`` runs in the reading thread
    when it ends without finishing (the parser's generator)."""
    handed: queue.SimpleQueue = queue.SimpleQueue()
    slot = threading.Semaphore(1)  # one chunk handed over and not yet written
    stop = threading.Event()

    def send(rows: list[tuple]) -> None:
        slot.acquire()
        if stop.is_set():
            raise _Stopped
        handed.put(("rows", rows))

    def told(items: int) -> None:
        if stop.is_set():
            raise _Stopped
        handed.put(("read", items))

    def run() -> None:
        try:
            read(send, told)
        except _Stopped:
            close()
        except BaseException as exc:  # handed to the caller's thread
            handed.put(("error", exc))
            return
        handed.put(("end", None))

    reader = threading.Thread(target=run, name="ownerhub-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = handed.get()
            if kind == "rows":
                yield value, 0
                slot.release()
            elif kind == "read":
                yield None, value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        slot.release()  # a reader waiting for the slot wakes, sees the stop and ends
        reader.join()
