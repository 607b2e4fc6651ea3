"""'The same chat, exported from another phone': messages the source holds under other names.

Each phone writes a chat's people as it knows them: "Ayşe" on one, "Ayşe Yılmaz" or "~ Ayşe" or
"+90 532 …" on another, and the owner's own name as the other phone saved it. A message's key
holds its author as written (``whatsapp.keys``), so the same chat exported from the other
person's phone looked new, message by message, and was counted again without a word.

After a preview of a source of messages (a stream shown as ``messages``) is measured, its new
rows are compared with the messages the source holds in the same written minute: a new row
whose text (or, for media, its kind) is held under another author is a *twin*. When at least
``MIN_TWINS`` and ``MIN_SHARE`` of the new rows are twins, the names behind them are paired
(each name of this file with the held name most of its twins carry, when that pairing has at
least two twins) and the preview gets a note of kind ``other_phone``: its words say how many
new messages look held already and who is who. The note names no one in the logs.

The owner then chooses, and the preview cannot be imported before (as for another account):
read the file as the same people (``preview.read_as_same_people``), so it is read again with
``options["authors"]`` (this file's names -> the source's), which the parser applies before
keying, and those messages key as the ones held and count as duplicates; or import it as it
reads (``import_as_it_reads``: ``options["other_phone_confirmed"]``).

Bounded: the twins are read a row at a time from one query over the new rows of a written
minute the source holds, and what is kept is a count per pair of names.
"""

from __future__ import annotations

from collections import Counter

import orjson
from django.db import connection as db

from connections.connectors.whatsapp.keys import MINUTE_CHARS, key_content

from ..models import AcquisitionBatch, Record
from . import accounts
from .staging import STAGING_TABLE, quote

KIND = "other_phone"
SAME_PEOPLE = "same_people"  # the note of a preview read so
CONFIRMED = "other_phone_confirmed"  # the owner chose to import it as it reads
CHOICE = ("Read its people as this source names them, so the messages it already holds are not added "
          "twice, or import it as it reads.")
REFUSED = ("This file looks like the same chat exported from another phone. Read it as the same people, "
           "or import it as it reads.")
MIN_TWINS = 3  # fewer twins are coincidences ("ok" by two people in one minute)
MIN_SHARE = 0.3  # of the preview's new messages
MIN_PAIR = 2  # twins that pair a name of this file with a held one
MAX_NAMES = 12  # pairs kept on the note (a large group's)


def message_streams(manifest) -> tuple[str, ...]:
    """The streams of authored messages (a day page shows them as messages)."""
    return tuple(stream for stream, view in manifest.views.items() if view.kind == "messages")


def _content(payload: dict) -> str:
    return key_content(payload.get("kind", "text"), payload.get("text") or "")


def _twins(batch: AcquisitionBatch, streams: tuple[str, ...]) -> tuple[int, Counter]:
    """How many new staged rows have a twin, and the twins per (this file's name, held name)."""
    staged, records = quote(STAGING_TABLE), quote(Record._meta.db_table)
    marks = ", ".join(["%s"] * len(streams))
    minute = f"substr(s.{quote('key')}, 1, {MINUTE_CHARS})"
    sql = (
        f"SELECT s.{quote('key')}, s.payload, r.payload FROM {staged} s "
        f"JOIN {records} r ON r.connection_id = %s AND r.stream = s.stream "
        f"AND r.{quote('key')} >= {minute} || '-' AND r.{quote('key')} < {minute} || '.' "
        f"WHERE s.batch_id = %s AND s.stream IN ({marks}) AND NOT EXISTS (SELECT 1 FROM {records} h "
        f"WHERE h.connection_id = %s AND h.stream = s.stream AND h.{quote('key')} = s.{quote('key')}) "
        f"ORDER BY s.{quote('key')}"
    )
    found, pairs, current, names = 0, Counter(), None, set()
    own: dict = {}

    def settle() -> None:
        nonlocal found
        if names:
            found += 1
            author = own.get("author", "")
            for held in names:
                pairs[(author, held)] += 1

    with db.cursor() as cursor:
        cursor.execute(sql, [batch.connection_id, batch.pk, *streams, batch.connection_id])
        for key, new_payload, held_payload in cursor:
            if key != current:
                settle()
                current, names = key, set()
                own = orjson.loads(new_payload) if isinstance(new_payload, str | bytes) else new_payload
            held = orjson.loads(held_payload) if isinstance(held_payload, str | bytes) else held_payload
            if held.get("author") != own.get("author") and _content(held) == _content(own):
                names.add(held.get("author", ""))
        settle()
    return found, pairs


def who_is_who(pairs: Counter) -> list[list]:
    """``[[name here, name held, twins], ...]``: each name of this file with the held name most of its twins carry."""
    best: dict[str, tuple[str, int]] = {}
    for (here, held), n in sorted(pairs.items(), key=lambda item: (-item[1], item[0])):
        if here not in best and n >= MIN_PAIR and here:
            best[here] = (held, n)
    return [[here, held, n] for here, (held, n) in sorted(best.items(), key=lambda item: -item[1][1])][:MAX_NAMES]


def note_other_phone(batch: AcquisitionBatch, manifest) -> None:
    """Add the ``other_phone`` note to a measured preview when its new messages are held under other names.

    The caller saves the batch. A preview read as the same people says so (a ``same_people`` note)."""
    batch.warnings = [w for w in batch.warnings or [] if w.get("kind") not in (KIND, SAME_PEOPLE)]
    if read_as := (batch.options or {}).get("authors"):
        who = "; ".join(f"“{here}” as “{held}”" for here, held in read_as.items())
        batch.warnings = [{"kind": SAME_PEOPLE, "position": None,
                           "detail": f"Read as the same people as this source's earlier imports: {who}."},
                          *batch.warnings]
    streams = message_streams(manifest)
    new = batch.count_accepted or 0
    if batch.method != "owner_artifact" or batch.trigger == "reread":  # an export, as uploaded: read so again
        return
    if not streams or new < MIN_TWINS or not Record.objects.filter(connection_id=batch.connection_id).exists():
        return
    twins, pairs = _twins(batch, streams)
    names = who_is_who(pairs)
    if twins < MIN_TWINS or twins < MIN_SHARE * new or not names:
        return
    # Its messages prove it the same chat: its other names are not another account (``accounts``).
    batch.options = {k: v for k, v in (batch.options or {}).items() if k != accounts.OPTION}
    batch.warnings = [{"kind": KIND, "detail": sentence(twins, new, names), "position": None,
                       "twins": twins, "names": names}, *(w for w in batch.warnings if w.get("kind") != accounts.KIND)]


def sentence(twins: int, new: int, names: list[list]) -> str:
    """'8 of the 11 new messages are already held under other names: …'"""
    who = "; ".join(f"“{here}” here is “{held}” in your earlier imports" for here, held, _ in names)
    return (f"{twins:,} of the {new:,} new messages look like messages this source already holds, written "
            f"under other names: {who}. This looks like the same chat exported from another phone.")


def needs_choice(batch: AcquisitionBatch) -> bool:
    """Whether the preview found the same chat from another phone and the owner has not chosen yet."""
    return any(w.get("kind") == KIND for w in batch.warnings or ()) and not (batch.options or {}).get(CONFIRMED)


def import_as_it_reads(batch: AcquisitionBatch) -> None:
    """The owner imports the file with its people as it names them (saved at once)."""
    batch.options = {**(batch.options or {}), CONFIRMED: True}
    AcquisitionBatch.objects.filter(pk=batch.pk).update(options=batch.options)


def suggested_names(batch: AcquisitionBatch) -> dict[str, str]:
    """This file's names -> the source's, from the preview's ``other_phone`` note ({} without one)."""
    for warning in batch.warnings or ():
        if warning.get("kind") == KIND:
            return {here: held for here, held, _ in warning.get("names", ())}
    return {}
