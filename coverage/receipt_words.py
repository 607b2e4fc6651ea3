"""One line per count on a receipt: what the number means, for each kind of source (issue 13).

``WORDS`` is the single table: for each count, its row label and one owner sentence, per acquisition
method where a method needs its own (a phone's pushes are no file), else per connector (``"*"`` for
any other). The HTML receipt, ``manage.py receipt`` and the receipt JSON
(``Receipt.explanations``) all show these lines, so they cannot drift apart. Chats follow
docs/whatsapp-counting.md: deleted messages, calls, shared locations and polls are messages (read);
WhatsApp's own notices are skipped; a media placeholder is a message whose file was left out.

A sentence starts with its count ("3 notices…"); ``{a|b}`` picks the singular or plural form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import words

ANY = "*"

# count -> {connector or "*": (label, noun (singular, plural), sentence)}; a None noun uses the source's record noun.
# "<connector> <suffix>" (as "whatsapp .txt") gives a connector's words for an upload of that kind of file.
WORDS: dict[str, dict[str, tuple[str, tuple[str, str] | None, str]]] = {
    "parsed": {
        ANY: ("{Noun} in the file", None, "{count} {was|were} read from the file."),
        "device_sync": ("{Noun} received", None, "{count} {was|were} received from the phone."),
        "whatsapp": ("{Noun} in the file", None,
                     "{count} {was|were} read from the chat: every line a person wrote, deleted messages, calls, "
                     "shared locations, polls and media mentions included."),
        "apple_health": ("{Noun} in the file", None,
                         "{count} {was|were} read from the export: samples, workouts, activity summaries and "
                         "workout route points together."),
    },
    "accepted": {
        ANY: ("New", None, "{count} {is|are} new to this source and {was|were} added."),
    },
    "accepted_preview": {
        ANY: ("Would be new", None, "{count} {is|are} new to this source and would be added if you import."),
    },
    "duplicate_earlier": {
        ANY: ("Already imported", None,
              "{count} {was|were} already in this source, from an earlier import or your phone, so {it is|they are} "
              "not added twice."),
        "whatsapp": ("Already imported", None,
                     "{count} {was|were} already in this source, from an earlier export of this chat (in any "
                     "language, with or without media), so {it is|they are} not added twice."),
    },
    "duplicate_in_file": {
        ANY: ("Repeated inside the file", None,
              "{count} {appears|appear} more than once in this file; each is kept once."),
        "device_sync": ("Sent more than once", None,
                        "{count} {was|were} sent more than once by the phone (a resent push); each is kept once."),
    },
    "skipped": {
        ANY: ("Skipped", ("item", "items"), "{count} in the file {was|were} skipped: {it holds|they hold} no {nouns}."),
        "whatsapp": ("Notices skipped", ("notice", "notices"),
                     "{count} {was|were} WhatsApp's own {line|lines} (the encryption notice, security-code and group "
                     "changes), not written by anyone: skipped, and {it does|they do} not move the chat's dates."),
        "gpx": ("Points without a time", ("point", "points"),
                "{count} {has|have} no time, so {it|they} cannot be placed on a day and {was|were} skipped."),
        "apple_health": ("Grouped entries skipped", ("grouped entry", "grouped entries"),
                         "{count} (blood pressure, food) {was|were} skipped: the samples inside them are counted on "
                         "their own."),
        "google_timeline": ("Entries skipped", ("entry", "entries"),
                            "{count} with no time or no place (trip summaries, Wi-Fi scans) {was|were} skipped: "
                            "{it|they} cannot be put on a map or a day."),
        "device_sync": ("Messages skipped", ("message", "messages"),  # a push (an upload to the source is a file)
                      "{count} from the app {is|are} not {a location|locations} (status, region, settings) and "
                      "{was|were} skipped."),
        "ical_feed": ("Skipped", ("entry", "entries"),
                      "{count} of the calendar {is|are} not {an event|events} and {was|were} skipped."),
    },
    "failed": {
        ANY: ("Could not read", ("item", "items"),
              "{count} could not be read and {was|were} left out; the rest of the file was read. The notes below "
              "say where."),
        "device_sync": ("Left out", ("item", "items"),
                        "{count} could not be read, or carried a time the phone's clock cannot have written, and "
                        "{was|were} left out; the rest of the push was kept. The notes below say why."),
        "whatsapp": ("Could not read", ("line", "lines"),
                     "{count} could not be read (a date that does not exist, a line over the length limit, text that "
                     "is not UTF-8, text before the first message); the rest of the chat was read."),
    },
    "media_attached": {
        ANY: ("Media included", ("media file", "media files"),
              "{count} came with the export and {is|are} kept with {its|their} {nounN}."),
        "apple_health": ("Routes included", ("workout route", "workout routes"),
                         "{count} came with the export and {is|are} kept with {its|their} {workout|workouts}."),
    },
    "media_missing": {
        ANY: ("Media not in the zip", ("media file", "media files"),
              "{count} {is|are} named in the file but {was|were} not in the zip; the {nouns} are kept, and "
              "uploading the export with its media adds the files."),
        "whatsapp": ("Media not in the zip", ("media file", "media files"),
                     "{count} {is|are} mentioned in the chat but {was|were} not in the zip; the {nouns} are kept, "
                     "and uploading the export with its media adds the files."),
        "whatsapp .txt": ("Media not uploaded", ("media file", "media files"),
                          "{count} {is|are} mentioned in the chat but {was|were} not uploaded with it (a .txt export "
                          "carries no media: export the chat with media as a .zip to include them); the {nouns} are "
                          "kept."),
        "apple_health .xml": ("Routes not uploaded", ("workout route", "workout routes"),
                              "{count} {is|are} named by the workouts but {was|were} not uploaded with them "
                              "(export.xml alone carries no routes: upload the whole export.zip to add them); the "
                              "workouts are kept."),
        "apple_health": ("Routes not in the zip", ("workout route", "workout routes"),
                         "{count} {is|are} named by the workouts but {was|were} not in the zip; the workouts are "
                         "kept, and uploading the whole export.zip adds the routes."),
    },
    "media_omitted": {
        ANY: ("Media left out", ("media file", "media files"),
              "{count} {was|were} left out by the phone, because the export was made without media; the {nouns} "
              "are kept, and exporting with media adds the files."),
    },
}


@dataclass(frozen=True)
class Explanation:
    """One count on a receipt, its row label and the sentence that says what it means."""

    count: str  # a key of ``WORDS``: "parsed", "accepted", "duplicate_earlier", "skipped", ...
    value: int
    label: str
    text: str


_CHOICE = re.compile(r"\{([^{}|]*)\|([^{}|]*)\}")


# What a batch came in, as a receipt's sentence names it ("3 repeated inside the file").
CONTAINERS = {"device_sync": "push"}


def container(method: str) -> str:
    """'push' for a phone's pushes, else 'file'."""
    return CONTAINERS.get(method, "file")


def explain(name: str, value: int, connector: str, noun: tuple[str, str], method: str = "",
            suffix: str = "") -> Explanation:
    """The line of one count, in the words of ``method`` or else ``connector`` for a file ending in ``suffix``
    (".txt"), or else ``connector`` (a source's record ``noun``: ("message", "messages"))."""
    rows = WORDS[name]
    label, own_noun, sentence = (rows.get(method) or rows.get(f"{connector} {suffix}") or rows.get(connector)
                                 or rows[ANY])
    counted = own_noun or noun
    text = sentence.replace("{count}", f"{value:,} {counted[0] if value == 1 else counted[1]}")
    text = text.replace("{nounN}", noun[0] if value == 1 else noun[1])  # agrees with the count
    text = _CHOICE.sub(lambda m: m[1] if value == 1 else m[2], text)
    text = text.replace("{nouns}", noun[1]).replace("{Noun}", noun[1].capitalize())
    label = label.replace("{Noun}", noun[1].capitalize())
    return Explanation(name, value, label, text)


def explanations(
    *,
    connector: str,
    noun: tuple[str, str],
    preview: bool,
    method: str = "",
    parsed: int,
    accepted: int,
    earlier: int,
    in_file: int,
    skipped: int,
    failed: int,
    media: tuple[int, int, int, int] = (0, 0, 0, 0),
    suffix: str = "",
) -> tuple[Explanation, ...]:
    """Every count of a receipt with its line, in the order the receipt shows them.

    ``media`` is (declared, attached, missing, omitted); its lines appear when the file mentions media.
    "Repeated inside the file" appears only when something repeats. ``method``: how the batch came
    (its words win over the connector's where ``WORDS`` has them); ``suffix``: how the uploaded file's
    name ends (".txt": a chat without its zip).
    """
    lines = [
        explain("accepted_preview" if preview else "accepted", accepted, connector, noun, method),
        explain("duplicate_earlier", earlier, connector, noun, method),
    ]
    if in_file:
        lines.append(explain("duplicate_in_file", in_file, connector, noun, method))
    lines += [
        explain("parsed", parsed, connector, noun, method),
        explain("skipped", skipped, connector, noun, method),
        explain("failed", failed, connector, noun, method),
    ]
    declared, attached, missing, omitted = media
    if declared:
        lines.append(explain("media_attached", attached, connector, noun, method))
        if missing:
            lines.append(explain("media_missing", missing, connector, noun, method, suffix))
        if omitted:
            lines.append(explain("media_omitted", omitted, connector, noun, method))
    return tuple(lines)


# What each reader of a source reads better than the one before it, for a pull read again with it
# (``pipeline.snapshot``: the first pull after a new reader): (reader, what it shows that earlier ones did not).
READERS_IMPROVED: dict[str, tuple[tuple[str, str], ...]] = {
    "ical_feed": (
        ("ical/3", "repeating events now show each occurrence, and all-day events each day they span"),
        ("ical/4", "events that run past midnight show on each day they touch"),
    ),
}


def _reader_number(reader: str) -> int:
    number = reader.rpartition("/")[2]
    return int(number) if number.isdigit() else 0


def improvements(connector: str, reader_from: str) -> str:
    """What the readers since ``reader_from`` show that it did not ("repeating events now show each
    occurrence, ..."); "" when none is told."""
    after = _reader_number(reader_from)
    told = [text for reader, text in READERS_IMPROVED.get(connector, ()) if _reader_number(reader) > after]
    return "; ".join(told)


def changes_said(changed: int, gone: int, moved: int, reader_from: str) -> list[str]:
    """A pull's changes to what the source held, short, for its run's message ("1 changed")."""
    if reader_from:
        return ["read with the improved reader"] + ([f"{gone:,} as read before replaced"] if gone else [])
    parts = [f"{changed:,} changed"] if changed else []
    if gone:
        parts.append(f"{gone:,} no longer in the feed")
    if moved:
        parts.append(f"{moved:,} moved to your new time zone")
    return parts


def changes_sentences(changed: int, gone: int, moved: int, reader_from: str, connector: str,
                      noun: tuple[str, str]) -> list[str]:
    """A pull's changes to what the source held, in the receipt's sentence: what the calendar changed and
    no longer holds, what moved to the owner's new zone, or that the feed was read with the improved reader."""

    def n(value: int) -> str:
        return f"{value:,} {noun[0] if value == 1 else noun[1]}"

    def verb(value: int, one: str, many: str) -> str:
        return one if value == 1 else many

    if reader_from:
        better = improvements(connector, reader_from)
        said = [f"Read with the improved reader: {better}." if better else "Read with the improved reader."]
        if gone:
            said.append(f"{n(gone)} as the older reader read {verb(gone, 'it', 'them')} "
                        f"{verb(gone, 'was', 'were')} replaced by what it reads now.")
        if changed:
            said.append(f"{n(changed)} {verb(changed, 'is', 'are')} read differently now.")
        return said
    said = []
    if changed:
        said.append(f"{n(changed)} changed in the calendar {verb(changed, 'was', 'were')} updated.")
    if gone:
        said.append(f"{n(gone)} no longer in the feed {verb(gone, 'was', 'were')} removed.")
    if moved:
        said.append(f"{n(moved)} moved to your new time zone.")
    return said


# Stream names as an owner reads them (a stream not listed: its name, spaced and capitalised).
STREAM_LABELS = {
    "samples": "Samples",
    "workouts": "Workouts",
    "activity_summaries": "Activity summaries",
    "workout_routes": "Workout routes",
    "messages": "Messages",
    "places": "Places",
    "points": "Points",
}


def stream_label(stream: str) -> str:
    return STREAM_LABELS.get(stream) or stream.replace("_", " ").capitalize()


# How an earlier delivery that already holds a file's records is named, by how it came.
_HELD_BY = {"device_sync": "the phone's pushes of {day}", "provider_api": "the feed's collection of {day}"}


def held_in(held, tz) -> str:
    """Where a receipt's already-held records are (a ``DuplicateSource``): 'the import of 4 Dec 2026 · Records.json',
    'the phone's pushes of 4 Dec 2026', 'an earlier import'. Never a number (UI.md)."""
    if held.committed_at is None:
        return "an earlier import"
    if held.method in _HELD_BY:
        return _HELD_BY[held.method].format(day=words.day(held.committed_at, tz))
    return f"the import of {words.import_name(held.committed_at, held.filename, tz)}"
