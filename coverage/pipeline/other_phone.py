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
least two twins or is unambiguous) and the preview gets a note of kind ``other_phone``: its words say how many
new messages look held already and who is who. The note names no one in the logs.

The owner then chooses, and the preview cannot be imported before (as for another account):
read the file as the same people (``preview.read_as_same_people``), so it is read again with
``options["authors"]`` (this file's names -> the source's), which the parser applies before
keying, and those messages key as the ones held and count as duplicates; or import it as it
reads (``import_as_it_reads``: ``options["other_phone_confirmed"]``).

A preview made before another import of the source landed (two phones' exports previewed side
by side, then both imported) is checked again when it is committed (``noticed_since``): the
messages the first one landed are then held, and the second waits for the owner's choice too.

Bounded: the twins are read a row at a time from one query over the new rows of a written
minute the source holds, and what is kept is a count per pair of names.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, tzinfo

import orjson
from django.db import connection as db

from connections.connectors.identity import people
from connections.connectors.whatsapp.keys import MINUTE_CHARS, key_content
from connections.zones import owner_zone, zone_named

from ..models import AcquisitionBatch, Record
from . import accounts
from .other_clock import Clock, offset_words, other_clock
from .staging import STAGING_TABLE, quote

KIND = "other_phone"
SAME_PEOPLE = "same_people"  # the note of a preview read so
CONFIRMED = "other_phone_confirmed"  # the owner chose to import it as it reads
CLOCK = "clock"  # the other phone's clock, {"zone", "source_zone"} (``other_clock``), on the note and the options
CHOICE = ("Read its people as this source names them, so the messages it already holds are not added "
          "twice, or import it as it reads.")
REFUSED = ("This file looks like the same chat exported from another phone. Read it as the same people, "
           "or import it as it reads.")
MIN_TWINS = 3  # fewer twins are coincidences ("ok" by two people in one minute)
MIN_SHARE = 0.1  # of the preview's new messages (a later export shares only its start with what is held)
MIN_PAIR = 2  # twins that pair a name of this file with a held one (or one, unambiguous: ``who_is_who``)
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


def _still_new(batch: AcquisitionBatch, streams: tuple[str, ...]) -> int:
    """The preview's staged messages the source does not hold now."""
    if not streams:
        return 0
    staged, records = quote(STAGING_TABLE), quote(Record._meta.db_table)
    marks = ", ".join(["%s"] * len(streams))
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {staged} s WHERE s.batch_id = %s AND s.stream IN ({marks}) AND NOT EXISTS "
            f"(SELECT 1 FROM {records} h WHERE h.connection_id = %s AND h.stream = s.stream "
            f"AND h.{quote('key')} = s.{quote('key')})",
            [batch.pk, *streams, batch.connection_id],
        )
        return cursor.fetchone()[0]


def who_is_who(pairs: Counter, here_people: frozenset[str] = frozenset(),
               held_people: frozenset[str] = frozenset()) -> list[list]:
    """``[[name here, name held, twins], ...]``: each name of this file with the held name most of its twins carry.

    A pairing needs ``MIN_PAIR`` twins, or one when it is unambiguous: the name's one twin is held
    under a single name no other name of this file is paired with (someone who wrote once in the
    stretch both phones hold), and neither name is someone both phones name alike: not a name the
    source's earlier imports have (``held_people``) nor a held name this file has (``here_people``),
    lower-cased, from the identity hints (``accounts``)."""
    best: dict[str, tuple[str, int]] = {}
    for (here, held), n in sorted(pairs.items(), key=lambda item: (-item[1], item[0])):
        if here not in best and n >= MIN_PAIR and here:
            best[here] = (held, n)
    taken = {held for held, _ in best.values()}
    candidates: dict[str, set[str]] = {}
    for here, held in pairs:
        candidates.setdefault(here, set()).add(held)
    for here, helds in sorted(candidates.items()):
        claims = [other for other, names in candidates.items() if other != here and names & helds]
        alike = here.lower() in held_people or any(held.lower() in here_people for held in helds)
        if here and here not in best and len(helds) == 1 and not (helds & taken) and not claims and not alike:
            held = next(iter(helds))
            best[here], taken = (held, pairs[(here, held)]), taken | {held}
    return [[here, held, n] for here, (held, n) in sorted(best.items(), key=lambda item: -item[1][1])][:MAX_NAMES]


def note_other_phone(batch: AcquisitionBatch, manifest, *, new: int | None = None) -> None:
    """Add the ``other_phone`` note to a measured preview when its new messages are held under other names.

    The caller saves the batch. A preview read as the same people says so (a ``same_people`` note).
    ``new``: the new messages now, when other imports landed since the preview was measured."""
    batch.warnings = [w for w in batch.warnings or [] if w.get("kind") not in (KIND, SAME_PEOPLE)]
    read_as, clock = (batch.options or {}).get("authors") or {}, (batch.options or {}).get(CLOCK)
    if read_as or clock:  # the owner said it is this source's chat: not another account (``accounts``)
        batch.options = {k: v for k, v in (batch.options or {}).items() if k != accounts.OPTION}
        batch.warnings = [{"kind": SAME_PEOPLE, "position": None, "detail": same_people_words(read_as, clock)},
                          *(w for w in batch.warnings if w.get("kind") != accounts.KIND)]
    streams = message_streams(manifest)
    new = (batch.count_accepted or 0) if new is None else new
    if batch.method != "owner_artifact" or batch.trigger == "reread":  # an export, as uploaded: read so again
        return
    if not streams or new < MIN_TWINS or not Record.objects.filter(connection_id=batch.connection_id).exists():
        return
    twins, pairs = _twins(batch, streams)
    here_names = people((batch.options or {}).get("identity"))
    held_names = people(accounts.source_identity(batch.connection_id, exclude=batch.pk))
    here_people, held_people = frozenset(p.lower() for p in here_names), frozenset(p.lower() for p in held_names)
    names = who_is_who(pairs, here_people, held_people)
    if twins >= MIN_TWINS and twins >= MIN_SHARE * new and names:
        note = {"kind": KIND, "detail": sentence(twins, new, names), "position": None, "twins": twins, "names": names}
    elif clock := other_clock(batch, streams[0], _read_in(batch)):  # the other phone's clock in another zone?
        pairs = Counter({pair: n for pair, n in clock.pairs.items() if pair[0] != pair[1]})
        names = who_is_who(pairs, here_people, held_people)
        note = {"kind": KIND, "detail": clock_sentence(clock, names), "position": None, "twins": clock.matched,
                "checked": clock.checked, "names": names, CLOCK: clock.option}
    else:
        return
    note.update(here_people=here_names, held_people=held_names)  # whom the owner may pair otherwise
    # Its messages prove it the same chat: its other names are not another account (``accounts``).
    batch.options = {k: v for k, v in (batch.options or {}).items() if k != accounts.OPTION}
    batch.warnings = [note, *(w for w in batch.warnings if w.get("kind") != accounts.KIND)]


def same_people_words(read_as: dict[str, str], clock: dict | None) -> str:
    """'Read as the same people as this source's earlier imports, its times read on its own phone's clock: …'"""
    who = "; ".join(f"“{here}” as “{held}”" for here, held in read_as.items())
    when = ", its times read on its own phone's clock" if clock else ""
    return f"Read as the same people as this source's earlier imports{when}" + (f": {who}." if who else ".")


def clock_sentence(clock: Clock, names: list[list]) -> str:
    """'5 of the 6 new messages checked look like messages this source already holds, each written 5 or 6 hours
    earlier on this file's clock (…). This looks like the same chat exported from a phone set to another time zone.'"""
    who = "; ".join(f"“{here}” here is “{held}” in your earlier imports" for here, held, _ in names)
    near, far = (-minutes for minutes in clock.offsets)  # this file's clock against the source's
    if near == far:
        hours = offset_words(near)
    elif near % 60 == 0 and far % 60 == 0:  # "5 or 6 hours"
        hours = f"{abs(near) // 60} or {offset_words(far)}"
    else:
        hours = f"{offset_words(near)} or {offset_words(far)}"
    when = "later" if near > 0 else "earlier"
    changed = " (the two phones changed their clocks on different nights)" if near != far else ""
    return (f"{clock.matched:,} of the {clock.checked:,} new messages checked look like messages this source "
            f"already holds, each written {hours} {when} on this file's clock{changed}"
            + (f", and under other names: {who}" if who else "") + ". This looks like the same chat exported from "
            "a phone set to another time zone.")


def sentence(twins: int, new: int, names: list[list]) -> str:
    """'8 of the 11 new messages are already held under other names: …'"""
    who = "; ".join(f"“{here}” here is “{held}” in your earlier imports" for here, held, _ in names)
    return (f"{twins:,} of the {new:,} new messages look like messages this source already holds, written "
            f"under other names: {who}. This looks like the same chat exported from another phone.")


def noticed_since(batch: AcquisitionBatch, manifest) -> bool:
    """At commit: whether a preview measured before another import of this source landed now finds
    the same chat from another phone (its note is saved; the commit is then refused).

    Costs one query when nothing landed since the preview, the twins' query when something did."""
    options = batch.options or {}
    measured = (batch.phases or {}).get("deduplicated")
    if needs_choice(batch) or options.get(CONFIRMED) or options.get("authors") or options.get(CLOCK) or not measured:
        return False
    landed_since = AcquisitionBatch.objects.filter(
        connection_id=batch.connection_id, status=AcquisitionBatch.Status.COMMITTED,
        committed_at__gt=datetime.fromisoformat(measured),
    ).exclude(pk=batch.pk)
    if not landed_since.exists():
        return False
    note_other_phone(batch, manifest, new=_still_new(batch, message_streams(manifest)))
    if not needs_choice(batch):
        return False
    AcquisitionBatch.objects.filter(pk=batch.pk).update(warnings=batch.warnings, options=batch.options)
    return True


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


def chosen_names(batch: AcquisitionBatch, chosen: dict[str, str]) -> dict[str, str]:
    """The owner's own pairing of names (this file's -> the source's; an empty one: nobody the source names),
    checked against the people the note names; ``ValueError`` in owner words for a name it does not know."""
    note = next((w for w in batch.warnings or () if w.get("kind") == KIND), {})
    here, held = set(note.get("here_people", ())) | set(suggested_names(batch)), set(note.get("held_people", ()))
    held |= set(suggested_names(batch).values())
    for name, as_name in chosen.items():
        if name not in here:
            raise ValueError(f"“{name}” is not a name this file gives anyone.")
        if as_name and as_name not in held:
            raise ValueError(f"“{as_name}” is not a name this source's earlier imports give anyone.")
    return {name: as_name for name, as_name in chosen.items() if as_name and as_name != name}


def suggested_clock(batch: AcquisitionBatch) -> dict | None:
    """The other phone's clock the preview's note found ({"zone", "source_zone"}), or None: the same clock."""
    return next((w.get(CLOCK) for w in batch.warnings or () if w.get("kind") == KIND), None)


def _read_in(batch: AcquisitionBatch) -> tzinfo:
    """The zone the preview read its times in (a re-read names one; else the owner's)."""
    zone = (batch.options or {}).get("time_zone")
    return zone_named(zone) if zone else owner_zone(batch.connection.owner_id)
