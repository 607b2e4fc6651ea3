"""Setting aside: a re-import's commit first drops the staged rows whose landing would change nothing.

An export made again holds mostly what its source already has. Landing such a held row only
counts it (a duplicate, and the earlier import that holds it): its record stays as it is, its
lane delivered it already (the record's first import came by the same method, or a provenance
row of that method exists) and no media is filled in. The preview measures every staged row
and notes what they count (``plan``, on ``AcquisitionBatch.set_aside``); as the commit begins,
before the connection lock, ``apply`` deletes those rows and keeps what they counted. The
commit's tally starts from that (``seed``) and its chunks land only the rest (issue 15: a
re-import's commit). The preview, which the owner waits for, makes no extra pass over the rows:
one query for the source's committed imports, and a note per group its measure already reads
(``KeptDays``).

Only rows held by imports that were committed when the preview measured are set aside, and
they stay held until records are taken away or handed to another import: an import undone, or
an import read again. Those count up the source's
``Connection.rewritten`` (``note_rewrite``). A commit that finds it moved since the preview
(``outdated``) reads the stored file again from the start (``commit``), so nothing set aside
is ever lost.
"""

from __future__ import annotations

from django.db import connection as db

from connections.models import Connection

from ..models import AcquisitionBatch, Record, RecordProvenance
from .landing import measure_staged
from .measures import Landed, Measure
from .staging import STAGING_TABLE, keep_staged, quote

# The share of held rows worth a pass over every staged row: below it the pass costs about what
# setting aside saves the commit.
AT_LEAST = 0.5
# Runs of kept days a plan notes at most: a scatter of more (a chat again with its photos, a few on
# every day) is set aside row by row.
MOST_RUNS = 64


def rewritten(connection_id: int) -> int:
    """The source's count of records taken away or handed over (read before a preview measures)."""
    return Connection.objects.values_list("rewritten", flat=True).get(pk=connection_id)


def note_rewrite(connection: Connection) -> None:
    """Records of the source were taken away or handed to another import: previews that set
    rows aside before this must not rely on them. ``connection``: the row the caller holds
    locked (counted on it too, so a later save of it keeps the count)."""
    connection.rewritten += 1
    connection.save(update_fields=["rewritten"])


def plan(batch: AcquisitionBatch, measure: Measure, seen: int, kept: KeptDays | None = None) -> None:
    """Note on a preview (``batch.set_aside``, the caller saves it) what its commit may set aside.

    ``measure``: ``measure_staged`` of all the batch's staged rows, taken after ``seen`` (the
    source's ``rewritten``) was read. Only when most staged rows are held by committed imports;
    else None. A re-read (which compares every row) sets nothing aside. The rows themselves
    stay: deleting them costs about what measuring them did, and the owner waits for the
    preview, not for the commit (``apply`` deletes them as the commit begins).
    """
    batch.set_aside = None
    holders = _committed(measure.duplicate_sources)
    held = measure.staged - measure.accepted
    if not held or held < AT_LEAST * measure.staged or not holders or (batch.options or {}).get("reread_of"):
        return
    batch.set_aside = {"pending": True, "rewritten": seen, "kept_days": kept.runs() if kept else None,
                       **_counted(measure)}


class KeptDays:
    """The days on which a preview's measure finds a staged row that landing may change.

    A measure groups the staged rows by day, media and the import holding their key
    (``measure_staged``'s ``note``). A group changes nothing when it lands if an import of
    the same method, committed before the preview, holds it and it brings no media: its source
    has the records and its lane delivered them. Every other group keeps its day. On the other
    days every row can be set aside without looking its key up again (``apply``); a re-export
    with a few new weeks keeps those weeks. Days are plain numbers: no key is compared outside
    the database, whose collation orders the keys.
    """

    def __init__(self, inert: frozenset[int]):
        self.inert = inert  # ``inert_holders``
        self.days: set[int] = set()

    def note(self, day: int, media: str, first: int | None) -> None:
        if first is None or first not in self.inert or media == "attached":
            self.days.add(day)

    def runs(self) -> list[list[int]] | None:
        """The kept days as runs ``[first, last]`` of ordinals; None when they scatter into more
        than ``MOST_RUNS`` (the commit then looks every staged key up, as it did before)."""
        runs: list[list[int]] = []
        for day in sorted(self.days):
            if runs and day == runs[-1][1] + 1:
                runs[-1][1] = day
            else:
                runs.append([day, day])
                if len(runs) > MOST_RUNS:
                    return None
        return runs


def inert_holders(batch: AcquisitionBatch) -> frozenset[int]:
    """The source's imports by ``batch``'s method that are committed now: a staged row one of them
    holds changes nothing when it lands, unless it brings media (``KeptDays``)."""
    return frozenset(
        AcquisitionBatch.objects.filter(connection_id=batch.connection_id, method=batch.method)
        .exclude(committed_at=None)
        .exclude(pk=batch.pk)
        .values_list("pk", flat=True)
    )


def _committed(sources: list[dict]) -> list[int]:
    """The earlier imports among ``sources`` (``duplicate_sources``) that were committed."""
    return [int(s["batch_id"]) for s in sources if s.get("committed_at")]


def _counted(measure: Measure) -> dict:
    return {
        "of": measure.staged,
        "staged": measure.staged,
        "staged_media": measure.staged_media,
        "duplicate_sources": measure.duplicate_sources,
        "media_slots": measure.media_slots,
    }


def apply(batch: AcquisitionBatch) -> None:
    """As a commit begins, before its first chunk: delete the staged rows its preview planned to
    set aside whose landing would change nothing, and keep on the batch what they counted.

    The caller holds the batch (not the connection: no push waits for this) in a transaction and
    saves ``set_aside``. When records were taken away since the preview, nothing is set aside.
    """
    noted = batch.set_aside
    if not noted or not noted.get("pending"):
        return
    batch.set_aside = None
    if noted["rewritten"] != rewritten(batch.connection_id):
        return
    holders = _committed(noted["duplicate_sources"])
    dropped = _drop_unkept_days(batch, noted.get("kept_days"))
    if not _delete_inert(batch, holders) and not dropped:
        return
    rest = measure_staged(batch.pk, batch.connection_id, by_slot=False)
    batch.set_aside = {
        **noted,
        "pending": False,
        "staged": noted["staged"] - rest.staged,
        "staged_media": _minus(noted["staged_media"], rest.staged_media),
        "duplicate_sources": _minus_sources(noted["duplicate_sources"], rest.duplicate_sources),
    }


def _drop_unkept_days(batch: AcquisitionBatch, runs: list[list[int]] | None) -> int:
    """Delete the staged rows on the days the preview kept none on (``KeptDays``): no key looked up."""
    if runs is None:
        return 0
    kept = " OR ".join(["s.event_day BETWEEN %s AND %s"] * len(runs)) or "FALSE"
    return keep_staged(batch.pk, kept, [day for run in runs for day in run])


def _delete_inert(batch: AcquisitionBatch, holders: list[int]) -> int:
    """Delete the staged rows held by ``holders``' records that landing would leave as they are
    (after ``_drop_unkept_days``: the rows on the kept days, each key looked up).

    A scalar subquery looks each staged key up, not ``EXISTS``: PostgreSQL turns an ``EXISTS``
    into a join it plans from its statistics, and right after a large import, before autovacuum
    has counted the new records, it walked every record of the source and looked each up in
    staging (1M points held, 51,544 staged rows left to look at: 2.3 s, against 0.19 s this way).
    """
    same_lane = list(
        AcquisitionBatch.objects.filter(pk__in=holders, method=batch.method).values_list("pk", flat=True)
    )
    s, r, p, key = quote(STAGING_TABLE), quote(Record._meta.db_table), quote(RecordProvenance._meta.db_table), quote("key")
    held_by = ", ".join(["%s"] * len(holders))
    lane = f"r.first_batch_id IN ({', '.join(['%s'] * len(same_lane))}) OR " if same_lane else ""
    inert = (
        f"SELECT r.first_batch_id IN ({held_by}) "
        f"AND ({lane}EXISTS (SELECT 1 FROM {p} p WHERE p.record_id = r.id AND p.method = %s)) "
        "AND NOT (s.media = 'attached' AND r.media IN ('missing', 'omitted')) "
        f"FROM {r} r WHERE r.connection_id = %s AND r.stream = s.stream AND r.{key} = s.{key}"
    )
    with db.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {s} AS s WHERE s.batch_id = %s AND ({inert})",
            [batch.pk, *holders, *same_lane, batch.method, batch.connection_id],
        )
        return max(cursor.rowcount, 0)


def _minus(whole: dict[str, int], part: dict[str, int]) -> dict[str, int]:
    left = {k: n - part.get(k, 0) for k, n in whole.items()}
    return {k: n for k, n in left.items() if n > 0}


def _minus_sources(whole: list[dict], part: list[dict]) -> list[dict]:
    """The earlier imports holding the rows set aside: ``whole``'s counts less ``part``'s."""
    rest = {int(s["batch_id"]): int(s["count"]) for s in part}
    left = [{**s, "count": int(s["count"]) - rest.get(int(s["batch_id"]), 0)} for s in whole]
    return [s for s in left if s["count"] > 0]


def _done(batch: AcquisitionBatch) -> dict | None:
    noted = batch.set_aside
    return noted if noted and not noted.get("pending") else None


def outdated(batch: AcquisitionBatch, connection: Connection) -> bool:
    """Whether records the rows set aside rely on may have been taken away since the preview."""
    noted = _done(batch)
    return noted is not None and noted["rewritten"] != connection.rewritten


def all_set_aside(batch: AcquisitionBatch) -> bool:
    """Whether every staged row was set aside (an empty staging is then no loss)."""
    noted = _done(batch)
    return noted is not None and noted["staged"] >= noted["of"]


def seed(batch: AcquisitionBatch) -> Landed:
    """What the rows set aside count, as a landing of nothing new: the first thing a commit's tally adds
    (nothing when none were)."""
    noted = _done(batch) or {}
    measure = Measure(
        staged=noted.get("staged", 0),
        staged_media=dict(noted.get("staged_media", {})),
        duplicate_sources=list(noted.get("duplicate_sources", [])),
        media_slots=list(noted.get("media_slots", [])),
    )
    return Landed(0, measure)
