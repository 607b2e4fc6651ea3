"""Which of a file's records at one point comes first: a visit, then a trip's end or parking, then the rest.

A location's key is its UTC second and place (``common._record``), so a visit that begins where and
when a trip ends is the same point as the trip's end, and a path's point at that second is too. The
pipeline keeps the first record of a key and counts the others as repeats inside the file, so the
order decides what is kept: read as written, the trip's end came first and the visit's place id and
type ("HOME", "WORK") were dropped. ``best_first`` hands out the records of a place-and-trip document
(on-device Android and iOS, Semantic months) with the one that says most first, inside a window of
recent points: Android and the Semantic months list segments by their start, so the points that share a
key are near each other; iOS may list a day's paths after its visits, which a window of 4,096 points
still holds together for a day's worth of segments, not for a whole file written out of order. Every record is still handed out, so the counts stay as they were; only the
order within a key changes. Records.json (raw fixes, one kind) is not passed through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..base import ParsedRecord

# A kind's rank: the higher says more about the place. Unknown kinds (path, raw) rank 0.
RANK = {"visit": 2, "activity_start": 1, "activity_end": 1, "parking": 1}
WINDOW = 4096  # distinct keys held back; the oldest goes out first once more are read


def best_first(records: Iterable[ParsedRecord], window: int = WINDOW) -> Iterator[ParsedRecord]:
    """``records`` with, for each key, its best-ranked record first (the first of equals stays first).

    Reading that stops with an error (a cut or damaged file) still hands out every record read before
    it, then raises the error again for the reader to report.
    """
    held: dict[str, list[ParsedRecord]] = {}  # key -> its records, best first; oldest key first
    rank = RANK.get
    try:
        for record in records:
            same = held.get(record.key)
            if same is None:
                held[record.key] = [record]
                if len(held) > window:
                    yield from held.pop(next(iter(held)))
            elif rank(record.payload.get("kind"), 0) > rank(same[0].payload.get("kind"), 0):
                same.insert(0, record)
            else:
                same.append(record)
    except Exception:
        for same in held.values():
            yield from same
        raise
    for same in held.values():
        yield from same
