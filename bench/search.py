"""Benchmark search: words through the index, and pieces (Japanese, Chinese, Thai, emoji) found
by reading the owner's texts at query time (search.backends).

    uv run bench/search.py                          # 1,000,000 messages, fresh SQLite
    uv run bench/search.py --messages 2000 --calls 1     # tiny, checks the script
    uv run bench/search.py --database-url postgres://USER:PASS@127.0.0.1:5432/postgres

Creates a fresh database (SQLite in a temporary directory, or ``ownerhub_bench_<random>`` on a
PostgreSQL server, dropped after), migrates it and seeds one owner with one WhatsApp source of
``--messages`` messages (bulk rows, so the index's triggers or its GIN index take each one as an
import's landing does; one message in ``PIECE_EVERY`` is Japanese, Chinese or Thai, with an
emoji), and ``--points`` location points on a second source (text-less records the owner also
holds). Then, for each query, the median time of ``--calls`` calls of ``backends.search`` for
the first page (20 results and the total), and the total. It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from _bulk import Table, open_database

PIECE_EVERY = 50
SPACED = ("Lunch at noon? pizza again", "Running late, see you at the station", "Привет, как дела?",
          "Grüße aus München", "did you get the tickets for saturday")  # fmt: skip
UNSPACED = ("村上春樹の新しい本を読みました 📚", "明天见 東京で会いましょう", "พรุ่งนี้ไปกินข้าวผัดกันไหม ❤️")
QUERIES = (
    ("a word", "pizza"),
    ("a rare word", "tickets saturday"),
    ("Japanese, 2 characters", "春樹"),
    ("Chinese and Japanese", "東京"),
    ("Thai", "ข้าวผัด"),
    ("an emoji", "📚"),
    ("a word and an emoji", "tickets ❤️"),
    ("a piece held by none", "大阪"),
)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=1_000_000, help="messages of the chat")
    p.add_argument("--points", type=int, default=0, help="location points of a second source (no text)")
    p.add_argument("--calls", type=int, default=5, help="calls a query; the median is printed")
    p.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="a PostgreSQL server to create the fresh bench database on (default: $DATABASE_URL, "
        "else SQLite in a temporary directory)",
    )
    p.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    return p.parse_args()


def seed(connection, messages: int, points: int) -> int:
    """One owner with a chat of ``messages`` and a phone of ``points``; returns the owner's id."""
    from django.contrib.auth import get_user_model

    from connections.models import Connection, OwnerProfile
    from coverage.models import AcquisitionBatch, Record

    owner = get_user_model().objects.create_user("bench", password=None)
    OwnerProfile.objects.create(owner=owner, time_zone="UTC")
    table = Table(connection, Record, ("id", "connection_id", "stream", "key", "event_at", "payload", "media",
                                       "first_batch_id"))  # fmt: skip
    sqlite = connection.vendor == "sqlite"
    first_id = 1
    for connector, stream, n, rows in (("whatsapp", "messages", messages, _message),
                                       ("owntracks", "locations", points, _point)):  # fmt: skip
        if not n:
            continue
        source = Connection.objects.create(owner=owner, connector=connector, slug=connector, name=connector)
        batch = AcquisitionBatch.objects.create(connection=source, method="owner_artifact", status="committed",
                                                count_parsed=n, count_accepted=n)  # fmt: skip
        start = datetime(2020, 1, 1, tzinfo=UTC)
        began = time.perf_counter()
        table.write(
            (first_id + i, source.pk, stream, f"{i:09d}", str(at.replace(tzinfo=None)) if sqlite else at,
             rows(i), "", batch.pk)
            for i in range(n)
            for at in (start + timedelta(seconds=60 * i),)
        )  # fmt: skip
        seconds = time.perf_counter() - began
        print(f"seeded {n:,} {stream} in {seconds:.1f} s ({n / max(seconds, 1e-9):,.0f}/s, the index included)")
        first_id += n
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("VACUUM (ANALYZE) coverage_record")
    return owner.pk


def _message(i: int) -> str:
    text = UNSPACED[i // PIECE_EVERY % len(UNSPACED)] if i % PIECE_EVERY == 0 else f"{SPACED[i % len(SPACED)]} {i}"
    return json.dumps({"author": "Ana", "text": text}, ensure_ascii=False)


def _point(i: int) -> str:
    return f'{{"lat": {52.5 + i % 900 / 10_000:.5f}, "lon": 13.4, "accuracy": 5}}'


def measure(owner_id: int, calls: int) -> None:
    from search import backends

    print(f"| query | typed | terms | first page, median of {calls} (ms) | total |")
    print("| --- | --- | --- | ---: | ---: |")
    for label, query in QUERIES:
        terms = backends.read(query)
        times, found = [], None
        for _ in range(calls):
            began = time.perf_counter()
            found = backends.search(owner_id, query, offset=0, limit=20)
            times.append((time.perf_counter() - began) * 1000)
        kind = " and ".join(k for k, v in (("words", terms.words), ("pieces", terms.pieces)) if v)
        print(f"| {label} | {query} | {kind} | {statistics.median(times):,.1f} | {found.total:,} |", flush=True)


def main() -> None:
    args = parse_args()
    connection, _, cleanup = open_database(args)
    try:
        owner_id = seed(connection, args.messages, args.points)
        measure(owner_id, args.calls)
    finally:
        connection.close()
        cleanup()


if __name__ == "__main__":
    main()
