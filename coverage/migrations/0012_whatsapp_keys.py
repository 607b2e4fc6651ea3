"""Stored WhatsApp messages take the key rule that never moves, and copies are merged.

Until now a message's key was ``YYYYMMDDTHHMMSS-`` (the local time as written, with seconds)
plus a digest of the UTC instant, author, text and n (identical messages at that instant).
The UTC instant depends on the zone the chat was read in and the text on the phone's
language and on whether media was attached, so an owner who corrected their zone, or
imported the chat from a phone in another language, or with media, holds copies. The rule is
now ``connections.connectors.whatsapp.keys.record_key``: the minute as written, author,
content (plain text, or a language-free token of the kind) and n within the minute.

Forward, per WhatsApp connection, in key order and in bounded memory (a minute at a time):

- The old n is recovered from the old digest (it is the only unstored part). Within a minute,
  author and content, records are grouped into messages: a copy from a zone change (same
  local second, text and old n) joins its original; a copy in another language or with media
  joins the message of the same second in the same place among that import's messages,
  unless it came with that import already or is proven another (same words, another old n).
  The messages in order of second give the new n. Copies whose seconds differ (an Android and
  an iPhone export of one chat) are not recognised and stay two messages, as before.
- Where a slot holds several records, one is kept: its first delivery is the earliest
  committed import. Every other delivery (the copies' imports and their provenance rows)
  becomes a provenance row of the kept record when it came through a method the record does
  not have yet, the pipeline's own rule. The best media state wins (attached, then missing,
  then omitted), with its file name. The copies go, and the connection's lane and coverage
  counts are taken again from the records it holds (``_0012_recount``; the covered range
  stays: it comes from the batches, which all stay).
- Staged rows of WhatsApp batches are deleted: a preview read again at commit gives the new
  keys (as in 0007).

Backward regenerates the old keys from what is stored: the local second is the minute of the
key and the second of ``event_at``; n counts identical messages at that instant. Merged copies
stay merged: nothing records which copy a delivery came with, and the copies were the bug.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC

from django.db import migrations

from connections.connectors.whatsapp.keys import key_content, record_key
from coverage.migrations._0012_recount import recount

CHUNK = 2000
MINUTE = len("YYYYMMDDTHHMM")
OLD_PREFIX = len("YYYYMMDDTHHMMSS-")
MAX_N = 512  # identical messages in one second/minute searched for when recovering an n
MEDIA_RANK = {"attached": 3, "missing": 2, "omitted": 1}


def _is_old(key: str) -> bool:
    return len(key) == OLD_PREFIX + 32 and key[8] == "T" and key[OLD_PREFIX - 1] == "-"


def _is_new(key: str) -> bool:
    return len(key) == MINUTE + 33 and key[8] == "T" and key[MINUTE] == "-"


def _iso(at) -> str:
    """The UTC instant as the old reader wrote it into the digest."""
    at = at.astimezone(UTC)
    return f"{at.date().isoformat()}T{at.hour:02d}:{at.minute:02d}:{at.second:02d}+00:00"


def _old_digest(iso: str, author: str, text: str, n: int) -> str:
    return hashlib.blake2b(
        f"{iso}\x1f{author}\x1f{text}\x1f{n}".encode(), digest_size=16
    ).hexdigest()


class _Row:
    __slots__ = tuple("pk key at batch payload media author text content second old_n iso".split())

    def __init__(self, pk, key, at, batch, payload, media):
        self.pk, self.key, self.at, self.batch, self.payload, self.media = (
            pk,
            key,
            at,
            batch,
            payload,
            media,
        )
        payload = payload if isinstance(payload, dict) else {}
        self.author, self.text = payload.get("author"), payload.get("text")
        kind = payload.get("kind") or "text"
        self.content = (
            None if self.author is None or self.text is None else key_content(kind, self.text)
        )
        self.second = key[MINUTE : MINUTE + 2]
        self.old_n = None
        self.iso = ""


def _fetch(Record, connection_id: int, after: str | None) -> list[_Row]:
    rows = Record.objects.filter(connection_id=connection_id, stream="messages")
    if after is not None:
        rows = rows.filter(key__gt=after)
    fields = ("pk", "key", "event_at", "first_batch_id", "payload", "media")
    return [_Row(*row) for row in rows.order_by("key").values_list(*fields)[:CHUNK]]


def _minutes(Record, connection_id: int):
    """Lists of the connection's message rows, one minute (key prefix) at a time, in key order.

    Keyset pages (no open cursor while keys are rewritten); a rewritten key sorts at or before
    its own minute, so no row is read twice.
    """
    carried: list[_Row] = []
    after = None
    while True:
        page = _fetch(Record, connection_id, after)
        if not page:
            break
        after = page[-1].key
        rows = carried + page
        last_minute = rows[-1].key[:MINUTE]
        cut = len(rows)
        while cut and rows[cut - 1].key[:MINUTE] == last_minute:
            cut -= 1
        carried = rows[cut:]
        start = 0
        for i in range(1, cut + 1):
            if i == cut or rows[i].key[:MINUTE] != rows[start].key[:MINUTE]:
                yield rows[start:i]
                start = i
    if carried:
        yield carried


# -- forward ------------------------------------------------------------------------------------
def _recover_old_n(row: _Row) -> None:
    iso, digest = _iso(row.at), row.key[OLD_PREFIX:]
    row.iso = iso
    for n in range(MAX_N):
        if _old_digest(iso, row.author, row.text, n) == digest:
            row.old_n = n
            return


def _forget_foreign_counts(rows: list[_Row]) -> None:
    """Forget an old n that also counted messages of another minute.

    The old n counted identical messages at one UTC instant. Where a clock change maps two
    written minutes to one instant, the count ran across both, and it means nothing here:
    an n is kept only when this minute holds its predecessors (0 … n-1, from any import).
    """
    seen = {(row.iso, row.text, row.old_n) for row in rows if row.old_n is not None}
    for row in rows:
        if row.old_n and any((row.iso, row.text, n) not in seen for n in range(row.old_n)):
            row.old_n = None


def _new_n(row: _Row, minute: str) -> int | None:
    for n in range(MAX_N):
        if record_key(minute, row.author, row.content, n) == row.key:
            return n
    return None


def _slots(rows: list[_Row], minute: str) -> list[list[_Row]]:
    """The records of one minute, author and content, in slots: slot n holds the n-th message."""
    old: list[_Row] = []
    fixed: list[tuple[int, _Row]] = []
    for row in rows:
        if _is_new(row.key):
            n = _new_n(row, minute)
            if n is not None:
                fixed.append((n, row))
        else:
            _recover_old_n(row)
            old.append(row)
    _forget_foreign_counts(old)
    slots = _old_slots(old)
    for n, row in fixed:  # keyed by today's reader already: its n stands
        while len(slots) <= n:
            slots.append([])
        slots[n].append(row)
    return slots


def _old_slots(rows: list[_Row]) -> list[list[_Row]]:
    """Old-keyed records of one minute, author and content as messages, in file order.

    Copies from a zone change share second, text and old n: one message. The others are
    taken a second at a time (an export lists a minute's messages by time): the k-th message
    an import first brought in that second joins the k-th of that second's messages, unless
    that one came with the same import already or is proven another (same words, another n).
    """
    messages: dict[tuple, list[_Row]] = {}
    for row in sorted(rows, key=lambda r: (r.batch, r.pk)):
        ident = ("pk", row.pk) if row.old_n is None else (row.second, row.text, row.old_n)
        messages.setdefault(ident, []).append(row)
    by_second: dict[str, list[list[_Row]]] = defaultdict(list)
    for copies in messages.values():
        by_second[copies[0].second].append(copies)

    def fits(slot: list[_Row], copies: list[_Row]) -> bool:
        if {r.batch for r in slot} & {r.batch for r in copies}:
            return False
        return not any(
            a.text == b.text and None not in (a.old_n, b.old_n) and a.old_n != b.old_n
            for a in slot
            for b in copies
        )

    slots: list[list[_Row]] = []
    for second in sorted(by_second):
        found: list[list[_Row]] = []
        rank: dict[int, int] = defaultdict(int)
        for copies in sorted(
            by_second[second],
            key=lambda c: (c[0].batch, MAX_N if c[0].old_n is None else c[0].old_n, c[0].pk),
        ):
            k = rank[copies[0].batch]
            rank[copies[0].batch] += 1
            if k < len(found) and fits(found[k], copies):
                found[k].extend(copies)
            else:
                found.append(list(copies))
        slots.extend(found)
    return slots


class _Plan:
    """What one connection's rewrite does, flushed in chunks: keys, merges, media."""

    def __init__(self, apps, schema_editor, connection_id: int):
        self.apps, self.schema_editor = apps, schema_editor
        Batch = apps.get_model("coverage", "AcquisitionBatch")
        self.batches = {
            pk: (method, status)
            for pk, method, status in Batch.objects.filter(connection_id=connection_id).values_list(
                "pk", "method", "status"
            )
        }
        self.keys: list[tuple[int, str]] = []
        self.merges: list[tuple[_Row, list[_Row]]] = []
        self.media: list[_Row] = []
        self.merged = False

    def survivor(self, slot: list[_Row]) -> _Row:
        def order(row: _Row):
            committed = self.batches.get(row.batch, ("", ""))[1] == "committed"
            return (not _is_new(row.key), not committed, row.batch, row.pk)

        return min(slot, key=order)

    def add(self, slot: list[_Row], key: str) -> None:
        keep = self.survivor(slot)
        copies = [row for row in slot if row is not keep]
        if copies:
            self.merges.append((keep, copies))
            self.merged = True
            best = max(slot, key=lambda r: MEDIA_RANK.get(r.media, 0))
            if MEDIA_RANK.get(best.media, 0) > MEDIA_RANK.get(keep.media, 0):
                keep.media = best.media
                keep.payload = {**keep.payload, "media_name": best.payload.get("media_name")}
                self.media.append(keep)
        if keep.key != key:
            self.keys.append((keep.pk, key))
        if len(self.keys) + len(self.merges) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        Record = self.apps.get_model("coverage", "Record")
        Provenance = self.apps.get_model("coverage", "RecordProvenance")
        q = self.schema_editor.quote_name
        prov, records = q(Provenance._meta.db_table), q(Record._meta.db_table)
        if self.merges:
            involved = [row.pk for keep, copies in self.merges for row in (keep, *copies)]
            held: dict[int, list[tuple[int, str]]] = defaultdict(list)
            rows = _by_ids(
                self.schema_editor,
                f"SELECT record_id, batch_id, method FROM {prov} WHERE record_id",
                involved,
            )
            for record_id, batch_id, method in sorted(rows, key=lambda r: r[1]):
                held[record_id].append((batch_id, method))
            added = []
            for keep, copies in self.merges:
                methods = {
                    self.batches.get(keep.batch, ("", ""))[0],
                    *(m for _, m in held[keep.pk]),
                }
                batches = {b for b, _ in held[keep.pk]}
                deliveries = sorted(
                    (
                        d
                        for copy in copies
                        for d in [
                            (copy.batch, self.batches.get(copy.batch, ("", ""))[0]),
                            *held[copy.pk],
                        ]
                    ),
                )
                for batch_id, method in deliveries:
                    if method and method not in methods and batch_id not in batches:
                        methods.add(method)
                        batches.add(batch_id)
                        added.append(
                            Provenance(record_id=keep.pk, batch_id=batch_id, method=method)
                        )
            gone = [copy.pk for _, copies in self.merges for copy in copies]
            _by_ids(self.schema_editor, f"DELETE FROM {prov} WHERE record_id", gone)
            _by_ids(self.schema_editor, f"DELETE FROM {records} WHERE id", gone)
            Provenance.objects.bulk_create(added, batch_size=CHUNK, ignore_conflicts=True)
        _update_keys(self.schema_editor, Record, self.keys)
        if self.media:
            rows = [Record(pk=row.pk, media=row.media, payload=row.payload) for row in self.media]
            Record.objects.bulk_update(rows, ["media", "payload"], batch_size=500)
        self.keys, self.merges, self.media = [], [], []


def _by_ids(schema_editor, sql: str, ids: list[int]) -> list[tuple]:
    """Run ``sql``, which ends in "WHERE <id column>", for ``ids``; the rows it returns.

    One ``= ANY(array)`` on PostgreSQL; lists of 500 parameters on SQLite (a queryset's
    ``__in`` spends more time building its parameters than the database spends on them).
    """
    found: list[tuple] = []
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            parts = [(f"{sql} = ANY(%s::bigint[])", [ids])] if ids else []
        else:
            parts = [
                (f"{sql} IN ({', '.join(['%s'] * len(ids[i : i + 500]))})", ids[i : i + 500])
                for i in range(0, len(ids), 500)
            ]
        for statement, params in parts:
            cursor.execute(statement, params)
            if cursor.description is not None:
                found.extend(cursor.fetchall())
    return found


def _update_keys(schema_editor, Record, changed: list[tuple[int, str]]) -> None:
    """Write (pk, key) pairs (not ``bulk_update``: see 0007)."""
    if not changed:
        return
    q = schema_editor.quote_name
    table, pk, key = q(Record._meta.db_table), q(Record._meta.pk.column), q("key")
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET {key} = v.new_key "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, new_key) "
                f"WHERE {table}.{pk} = v.id",
                [[p for p, _ in changed], [k for _, k in changed]],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {key} = %s WHERE {pk} = %s", [(k, p) for p, k in changed]
            )


def _rekey_connection(apps, schema_editor, connection_id: int) -> bool:
    """Give one connection's messages the new keys, merging copies; True if any merged."""
    Record = apps.get_model("coverage", "Record")
    plan = _Plan(apps, schema_editor, connection_id)
    for rows in _minutes(Record, connection_id):
        minute = rows[0].key[:MINUTE]
        groups: dict[tuple[str, str], list[_Row]] = defaultdict(list)
        for row in rows:
            if row.content is not None and (_is_old(row.key) or _is_new(row.key)):
                groups[(row.author, row.content)].append(row)
        for (author, content), group in groups.items():
            for n, slot in enumerate(_slots(group, minute)):
                if slot:
                    plan.add(slot, record_key(minute, author, content, n))
    plan.flush()
    return plan.merged


def _drop_staged(apps, schema_editor) -> None:
    """Delete staged rows of WhatsApp batches (a preview reads its file again at commit)."""
    batches = apps.get_model("coverage", "AcquisitionBatch")._meta.db_table
    connections = apps.get_model("connections", "Connection")._meta.db_table
    q = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {q('coverage_stagedrecord')} WHERE batch_id IN ("
            f"SELECT b.id FROM {q(batches)} b JOIN {q(connections)} c ON c.id = b.connection_id "
            "WHERE c.connector = %s)",
            ["whatsapp"],
        )


def _chats(apps) -> list[int]:
    Connection = apps.get_model("connections", "Connection")
    return list(
        Connection.objects.filter(connector="whatsapp").order_by("pk").values_list("pk", flat=True)
    )


def minute_keys(apps, schema_editor) -> None:
    _drop_staged(apps, schema_editor)
    for connection_id in _chats(apps):
        if _rekey_connection(apps, schema_editor, connection_id):
            recount(apps, schema_editor, connection_id)


# -- backward -----------------------------------------------------------------------------------
def second_keys(apps, schema_editor) -> None:
    _drop_staged(apps, schema_editor)
    Record = apps.get_model("coverage", "Record")
    for connection_id in _chats(apps):
        changed: list[tuple[int, str]] = []
        for rows in _minutes(Record, connection_id):
            seen: dict[tuple[str, str, str], int] = defaultdict(int)
            for row in sorted(rows, key=lambda r: (r.at, r.pk)):
                if not _is_new(row.key) or row.content is None:
                    continue
                iso = _iso(row.at)
                n = seen[(iso, row.author, row.text)]
                seen[(iso, row.author, row.text)] = n + 1
                stamp = f"{row.key[:MINUTE]}{row.at.second:02d}-"
                changed.append((row.pk, stamp + _old_digest(iso, row.author, row.text, n)))
            if len(changed) >= CHUNK:
                _update_keys(schema_editor, Record, changed)
                changed = []
        _update_keys(schema_editor, Record, changed)


class Migration(migrations.Migration):
    dependencies = [("coverage", "0011_batch_landing_tally")]

    operations = [migrations.RunPython(minute_keys, second_keys, elidable=False)]
