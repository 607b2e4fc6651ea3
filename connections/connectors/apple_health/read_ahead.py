"""export.xml's chunks read one step ahead, by a thread, while expat parses the last one.

Inflating the zip and checking its CRC release the GIL, so on a machine with two processors
that work (about a fifth of a large export's parse) overlaps the parsing. At most
``READ_AHEAD`` chunks wait in the queue, so memory stays flat. A read error is handed to the
parsing side and raised there, after the chunks read before it, exactly where the reading
loop would have raised it. Closing the iterator (the caller stopped early) stops the thread
and waits for it, so the file is never read after the caller has closed it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from queue import Empty, Full, Queue
from typing import IO

from .safe_xml import _filtered_chunks

READ_AHEAD = 2  # chunks waiting for the parser at most
_END = object()
_POLL = 0.05  # seconds between looks at the stop flag while the queue is full


def chunks_read_ahead(raw: IO[bytes]) -> Iterator[bytes]:
    """``_filtered_chunks(raw)``, read by a thread; its errors are raised here, in order."""
    queue: Queue = Queue(maxsize=READ_AHEAD)
    stop = threading.Event()
    thread = threading.Thread(target=_read, args=(raw, queue, stop), name="health-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                queue.get_nowait()  # frees a put that waits for room
            except Empty:
                thread.join(_POLL)


def _read(raw: IO[bytes], queue: Queue, stop: threading.Event) -> None:
    item: object = _END
    try:
        for chunk in _filtered_chunks(raw):
            if not _put(queue, stop, chunk):
                return
    except BaseException as exc:  # noqa: BLE001 - handed to the parsing thread, raised there
        item = exc
    _put(queue, stop, item)


def _put(queue: Queue, stop: threading.Event, item: object) -> bool:
    """Puts ``item`` once there is room; False when the reader was told to stop first."""
    while not stop.is_set():
        try:
            queue.put(item, timeout=_POLL)
            return True
        except Full:
            continue
    return False
