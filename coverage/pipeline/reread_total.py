"""What reading several imports again changes together, each record counted once.

Two exports of one chat overlap: the second holds the first's messages and some after. Each
import's own difference (``reread.difference``) counts the rows of its file, so the two together
count the shared messages twice (a page said "44 messages will move" of a chat holding 25, and
"25 moved" once done). ``combined_difference`` measures the waiting re-read previews at once, from
their staged rows: records that move or change are counted by record, records added by key.
"""

from __future__ import annotations

from django.db import connection as db

from ..models import AcquisitionBatch
from ..reread_words import Difference, previewed
from .reread import RECLASSIFYING_FIELDS, _field, _media_changes, _names, _same_key
from .staging import has_staged


def combined_difference(previews: list[AcquisitionBatch]) -> Difference:
    """The difference of reading the imports of ``previews`` (re-read previews, staged) again, together.

    Records leaving (``going``, ``kept``) belong to one import each (the one that delivered them
    first) and add up as they are. A preview whose staged rows are gone is counted as it states.
    """
    total = Difference()
    staged = []
    for batch in previews:
        stated = previewed(batch)
        total = total + Difference(going=stated.going, kept=stated.kept, reader_from=stated.reader_from,
                                   reader_to=stated.reader_to, zone_from=stated.zone_from, zone_to=stated.zone_to)
        if has_staged(batch.pk):
            staged.append(batch.pk)
        else:
            total = total + Difference(added=stated.added, moved=stated.moved, reclassified=stated.reclassified,
                                       updated=stated.updated, unchanged=stated.unchanged)
    if staged:
        total = total + _measured({b.pk: int((b.options or {}).get("reread_of") or 0) for b in previews if b.pk in staged})
    return total


def _measured(olds: dict[int, int]) -> Difference:
    """``olds``: each staged preview -> the import it reads again. A record one of those imports delivered
    first is compared with that import's reading alone (another import of the chat holding it too, another
    phone's export read as the same people, would count it twice and call its seconds a change)."""
    n = _names()
    ids = ", ".join(str(int(i)) for i in olds)
    reading_of = " ".join(f"WHEN {int(p)} THEN {int(o)}" for p, o in olds.items())
    own = (f"(r.first_batch_id NOT IN ({', '.join(str(int(o)) for o in olds.values())}) "
           f"OR r.first_batch_id = CASE s.batch_id {reading_of} END)")
    moved = "r.event_at <> s.event_at"
    kind = " OR ".join(f"{_field('r', f)} <> {_field('s', f)}" for f in RECLASSIFYING_FIELDS)
    reclassified = f"({_media_changes()} OR {kind})"
    changed = f"({moved} OR r.payload <> s.payload OR {_media_changes()})"

    def records(condition: str) -> str:
        return f"COUNT(DISTINCT CASE WHEN {condition} THEN r.id END)"

    held = (
        f"FROM {n['S']} s JOIN {n['B']} nb ON nb.id = s.batch_id "
        f"JOIN {n['R']} r ON r.connection_id = nb.connection_id AND {_same_key(n)} "
        f"JOIN {n['B']} b ON b.id = r.first_batch_id WHERE s.batch_id IN ({ids}) AND b.method = nb.method AND {own}"
    )
    new = (
        f"SELECT COUNT(*) FROM (SELECT DISTINCT nb.connection_id, s.stream, s.{n['key']} FROM {n['S']} s "
        f"JOIN {n['B']} nb ON nb.id = s.batch_id WHERE s.batch_id IN ({ids}) AND NOT EXISTS "
        f"(SELECT 1 FROM {n['R']} r WHERE r.connection_id = nb.connection_id AND {_same_key(n)})) AS added"
    )
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(DISTINCT r.id), {records(moved)}, {records(reclassified)}, "
            f"{records(f'NOT {reclassified} AND r.payload <> s.payload')}, {records(changed)} {held}"
        )
        same_lane, moved_n, reclassified_n, updated_n, changed_n = (int(v or 0) for v in cursor.fetchone())
        cursor.execute(new)
        (added,) = cursor.fetchone()
    return Difference(added=int(added or 0), moved=moved_n, reclassified=reclassified_n, updated=updated_n,
                      unchanged=same_lane - changed_n)
