"""Coverage of each stream of a file (issue 13: a Health stream that stopped early must be visible).

``stream_coverage`` reads the staged rows of a preview once, grouped by stream (the staging key starts
with (batch, stream), so the groups come in index order): how many rows, the first and the last
instant. The preview keeps it on ``AcquisitionBatch.stream_coverage``; the receipt says it
(``receipts.StreamLine``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection as db

from .staging import STAGING_TABLE


def utc_instant(value) -> datetime:
    """An instant as staging hands it back (SQLite: naive UTC text), aware in UTC."""
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def stream_coverage(batch_id: int) -> dict[str, dict]:
    """{stream: {"count", "earliest", "latest"}} of the batch's staged rows (ISO instants in UTC)."""
    table = db.ops.quote_name(STAGING_TABLE)
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT stream, COUNT(*), MIN(event_at), MAX(event_at) FROM {table} WHERE batch_id = %s "
            "GROUP BY stream ORDER BY stream",
            [batch_id],
        )
        rows = cursor.fetchall()
    return {
        stream: {"count": int(n), "earliest": utc_instant(first).isoformat(), "latest": utc_instant(last).isoformat()}
        for stream, n, first, last in rows
        if n
    }
