"""The receipt: the owner-facing statement of one batch (DESIGN.md, receipt contract).

``build_receipt`` is pure: a batch row (and the connection it belongs to) in,
a frozen ``Receipt`` out. A preview and a committed receipt come from the same
function on the same stored facts, so they cannot disagree. Facts from outside
the batch (is the background worker running?) are passed in by the caller
(``coverage.evidence.load_receipt``).
"""

from __future__ import annotations

from dataclasses import astuple
from datetime import datetime, tzinfo
from pathlib import PurePath

from django.urls import reverse
from django.utils import timezone

from connections.connectors import get as get_manifest
from connections.connectors.manifest import MEDIA_HINT, METHOD_LABELS
from connections.zones import zone_named

from .days import owner_gaps
from .models import PHASES, AcquisitionBatch
from .pipeline import other_phone
from .receipt_changes import NOTE, changes_of
from .receipt_types import (  # the contract; importable from here as before
    Artifact,
    Counts,
    DuplicateSource,
    DuplicateSplit,
    EventTime,
    Gap,
    Media,
    NextAction,
    OtherSource,
    Phase,
    Receipt,
    ReceiptConnection,
    ReceiptWarning,
    StreamLine,
    WhoIsWho,
)
from .receipt_words import Explanation, changes_sentences, container, explanations, stream_label
from .reread_words import READ_AGAIN, read_again_words, receipt_read_again, receipt_reread
from .words import ITEM, between, count, day, pick, span, zone_name
from .zone_previews import zone_to_read_in, zone_words


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def build_receipt(
    batch: AcquisitionBatch,
    *,
    original: AcquisitionBatch | None = None,
    worker_down: bool = False,
    tz: tzinfo | None = None,
    settled: frozenset[str] = frozenset(),
) -> Receipt:
    """The receipt of ``batch`` (``batch.connection`` loaded), its words in ``tz`` (the owner's zone; else the active one).

    A ``duplicate`` states the facts of ``original`` (default ``batch.duplicate_of``) with ``status: duplicate``.
    ``worker_down``: the background worker is not running; a ``committing`` batch, or a preview the worker
    is to read, then says it waits for it. ``settled``: kinds of notice the preview made that no longer hold (the
    earlier import whose dates it contradicted was read again since: ``evidence.load_receipt``)."""
    tz = tz or timezone.get_current_timezone()
    connection, manifest = batch.connection, get_manifest(batch.connection.connector)
    duplicate = batch.status == AcquisitionBatch.Status.DUPLICATE
    facts = (original or batch.duplicate_of or batch) if duplicate else batch
    media = Media(facts.media_declared, facts.media_attached, facts.media_missing, facts.media_omitted)
    counts = _counts(facts, duplicate=duplicate)
    failed = batch.status == AcquisitionBatch.Status.FAILED
    read_in = _read_in(facts, tz)  # an import read again since: its days as it read them
    return Receipt(
        batch_id=batch.pk,
        connection=ReceiptConnection(connection.slug, connection.name, connection.connector),
        source=manifest.name,
        method=batch.method,
        method_label=METHOD_LABELS.get(batch.method, batch.method),
        source_format=facts.source_format,
        parser_version=facts.parser_version,
        artifact=_artifact(batch),
        status=batch.status,
        sentence=_sentence(batch, facts, counts, media.not_included, manifest.record_noun, read_in)
        + (f" Its days are as it read them then, in {zone_name(read_in)} time." if read_in is not tz else "")
        + (" Picked up from your folder." if batch.trigger == "watched_folder" else ""),  # pipeline.watch
        event_time=EventTime(facts.event_earliest, facts.event_latest),
        counts=counts,
        media=media,
        # Imports made before the one rule (pipeline.summaries.holes) stored gaps for every connector.
        gaps=tuple(Gap(*g) for g in owner_gaps(facts.gaps, read_in)) if manifest.hole_after is not None else (),
        warnings=_warnings(facts, manifest, tz, settled),
        completeness_claim=facts.completeness_claim,
        completeness_text=_completeness_text(facts.completeness_claim, batch.method, manifest.record_noun),
        duplicate_of=batch.duplicate_of_id,
        duplicate_sources=_duplicate_sources(batch),
        time_zone=zone_name(read_in),  # the zone its words use: its reading's, once read again in another
        time_zone_assumed=facts.time_zone_assumed or None,
        question=batch.question,
        reject_reason=batch.reject_reason or None,
        data_changed=batch.data_changed,
        failure_reason=(batch.failure_reason or None) if failed else None,
        waiting_for_worker=worker_down and (batch.status == AcquisitionBatch.Status.COMMITTING or batch.is_reading),
        next_action=_next_action(batch, facts, media.not_included, manifest, worker_down=worker_down, zone=zone_name(tz),
                                 other_source=(other := _other_source(batch)), settled=settled),
        created_at=batch.created_at,
        committed_at=facts.committed_at,
        phases=_phases(batch),
        progress=batch.progress,
        reread=receipt_reread(batch, manifest.record_noun),
        other_source=other,
        duplicate_split=(split := _duplicate_split(batch, counts)),
        explanations=_explanations(batch, facts, counts, split, manifest),
        streams=(streams := _streams(facts, read_in)),
        streams_sentence=_streams_sentence(streams),
        snapshot=changes_of(facts.warnings),
        read_again=receipt_read_again(batch.warnings, tz),
        who_is_who=_who_is_who(batch.warnings),
    )


def _who_is_who(warnings) -> WhoIsWho | None:
    note = next((w for w in warnings or () if w.get("kind") == other_phone.KIND), None)
    if note is None:
        return None
    return WhoIsWho(tuple((here, held) for here, held, _ in note.get("names", ())),
                    tuple(note.get("here_people", ())), tuple(note.get("held_people", ())))


def _read_in(facts: AcquisitionBatch, tz: tzinfo) -> tzinfo:
    """The zone an import's days are said in: the owner's, or, once it was read again in another zone,
    the zone it read its times without a zone in (those times now stand on the newer reading's days;
    its own, said in today's zone, would fall a day off them)."""
    read_in = facts.time_zone_assumed
    if not read_in or read_in == zone_name(tz) or not any(w.get("kind") == READ_AGAIN for w in facts.warnings or ()):
        return tz
    return zone_named(read_in)


def _artifact(batch: AcquisitionBatch) -> Artifact | None:
    """The uploaded file; an import read again handed its copy on, and its note keeps the file's SHA-256."""
    if not (batch.artifact_sha256 or batch.artifact_filename):
        return None
    handed = next((w.get("sha256") for w in batch.warnings or () if w.get("kind") == READ_AGAIN), "")
    return Artifact(batch.artifact_filename, batch.artifact_sha256 or handed or "", batch.artifact_bytes)


def _phases(batch: AcquisitionBatch) -> tuple[Phase, ...]:
    return tuple(Phase(name, _parse_time((batch.phases or {}).get(name))) for name in PHASES)


def _warnings(facts: AcquisitionBatch, manifest, tz: tzinfo, settled: frozenset[str] = frozenset()) \
        -> tuple[ReceiptWarning, ...]:
    """The batch's warnings, blocking where the connector declares the kind a blocking gap, but the ``settled``
    notices. A note that the import was read again is said in the owner's zone of today (``reread_words``)."""
    return tuple(
        ReceiptWarning(w.get("kind", ""), read_again_words(w, tz) if w.get("kind") == READ_AGAIN else w.get("detail", ""),
                       w.get("position"), w.get("kind") in manifest.blocking_gaps)
        for w in facts.warnings or ()
        if w.get("kind") != NOTE and w.get("kind") not in settled
    )


CONTRADICTED = "date_order_contradicted"  # a preview's notice: its file proves an earlier import's dates wrong
REREAD_FIRST = NextAction(
    "reread_first", "Read the earlier import again",
    "Read the earlier import again first, then import this file: imported now, it would add again, on their right "
    "days, the messages the earlier import holds on the wrong ones.")


def _streams_sentence(streams) -> str:
    """'Workouts 3 Jan to 3 Mar 2024; samples to 3 Dec 2024' for a source of several streams, else ''."""
    if len(streams) < 2:
        return ""
    return "; ".join([streams[0].text, *(_lower_first(s.text) for s in streams[1:])])


def _streams(facts, tz: tzinfo) -> tuple[StreamLine, ...]:
    lines = []
    for stream, seen in (facts.stream_coverage or {}).items():
        earliest, latest = _parse_time(seen.get("earliest")), _parse_time(seen.get("latest"))
        if earliest is None or latest is None:
            continue
        label = stream_label(stream)
        lines.append(StreamLine(stream, label, int(seen.get("count", 0)), earliest, latest,
                                f"{label} {span(earliest, latest, tz)}"))
    return tuple(sorted(lines, key=lambda line: (line.earliest, line.stream)))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _explanations(batch, facts, counts: Counts, split: DuplicateSplit, manifest) -> tuple[Explanation, ...]:
    """The line of each count (``receipt_words``); none while nothing was counted (reading, rejected, asking)."""
    status = batch.status
    if status in (AcquisitionBatch.Status.REJECTED, AcquisitionBatch.Status.FAILED) or batch.question:
        return ()
    if status == AcquisitionBatch.Status.PREVIEW and not batch.is_measured:
        return ()
    return explanations(
        connector=batch.connection.connector,
        method=batch.method,
        noun=manifest.record_noun,
        preview=status == AcquisitionBatch.Status.PREVIEW,
        parsed=counts.parsed,
        accepted=counts.accepted,
        earlier=split.earlier,
        in_file=split.in_file,
        skipped=counts.skipped,
        failed=counts.failed,
        media=(facts.media_declared, facts.media_attached, facts.media_missing, facts.media_omitted),
        suffix=PurePath(batch.artifact_filename).suffix.lower(),
    )


def _duplicate_split(batch, counts: Counts) -> DuplicateSplit:
    """``duplicate`` counts keys held by earlier imports and repeats inside this file (DESIGN.md);
    the earlier imports are named in ``duplicate_sources``, so the rest repeat inside the file."""
    if batch.status == AcquisitionBatch.Status.DUPLICATE or batch.trigger == "reread":
        return DuplicateSplit(counts.duplicate, 0)  # a reading again holds what its import held: none repeats
    earlier = sum(s.get("count", 0) for s in batch.duplicate_sources or ())
    return DuplicateSplit(earlier, max(0, counts.duplicate - earlier))


def _other_source(batch: AcquisitionBatch) -> OtherSource | None:
    """From the ``other_source`` note the pipeline adds when it rejects a file as the wrong source."""
    if batch.status != AcquisitionBatch.Status.REJECTED:
        return None
    note = next((w for w in batch.warnings or () if w.get("kind") == "other_source" and w.get("connector")), None)
    if note is None:
        return None
    return OtherSource(note["connector"], note.get("label", ""), reverse("connections:create", args=[note["connector"]]))


def _counts(facts: AcquisitionBatch, *, duplicate: bool) -> Counts:
    """A duplicate upload adds nothing: everything it holds was already imported."""
    return Counts(
        parsed=facts.count_parsed,
        accepted=0 if duplicate else facts.count_accepted,
        duplicate=facts.count_parsed if duplicate else facts.count_duplicate,
        skipped=facts.count_skipped,
        failed=facts.count_failed,
    )


def _duplicate_sources(batch: AcquisitionBatch) -> tuple[DuplicateSource, ...]:
    return tuple(
        DuplicateSource(s["batch_id"], s["count"], _parse_time(s.get("committed_at")), s.get("filename") or "",
                        s.get("method") or "")
        for s in batch.duplicate_sources or ()
    )


def _sentence(batch, facts, counts: Counts, media_missing: int, noun: tuple[str, str], tz: tzinfo) -> str:
    status = batch.status
    if status == AcquisitionBatch.Status.REJECTED:
        return f"This file could not be imported: {batch.reject_detail}".strip()
    if status == AcquisitionBatch.Status.DUPLICATE:
        return f"Already imported on {day(facts.committed_at, tz)}: no new records."
    if status == AcquisitionBatch.Status.FAILED:
        return f"This import did not finish. {batch.failure_reason}".strip()
    if status == AcquisitionBatch.Status.REMOVED:  # coverage.pipeline.undo
        return _removed_sentence(batch, noun, tz)
    if batch.question:
        return batch.question.get("text", "This file needs an answer before it can be read.")
    if batch.is_reading:  # the worker reads it (coverage.pipeline.background)
        return f"Reading… {count(batch.progress, noun)} so far." if batch.progress else "Reading the file…"
    if status in (AcquisitionBatch.Status.PREVIEW, AcquisitionBatch.Status.COMMITTED) and batch.trigger == "reread" and (
        said := receipt_reread(batch, noun)
    ):  # an import read again says what reading it again changed, not what it added (``reread_words``)
        return " ".join(said["sentences"])
    if status == AcquisitionBatch.Status.PREVIEW and not batch.is_measured:
        return "This file has not been read to the end, so it cannot be imported. Upload it again."
    where = container(batch.method)
    if counts.parsed == 0:
        if counts.failed:  # items were there, none could be read
            return f"No {noun[1]} were found: {count(counts.failed, ITEM)} in this {where} {_unread(counts.failed, where)}."
        return f"No {noun[1]} were found in this {where}."
    span = ""
    if facts.event_earliest and facts.event_latest:
        span = f" {between(facts.event_earliest, facts.event_latest, tz)}"
    earlier, repeated = (split := _duplicate_split(batch, counts)).earlier, split.in_file
    new_span = span
    if earlier and counts.accepted and facts.new_earliest and facts.new_latest:  # a re-import: where the new ones are
        new_span = f" {between(facts.new_earliest, facts.new_latest, tz)}"
    parts = [f"{counts.accepted:,} new {pick(counts.accepted, noun)}{new_span}."]
    if counts.accepted == 0:
        held = counts.parsed - repeated
        if held > 1:
            parts = [f"No new {noun[1]}{span}: all {held:,} were already imported."]
        elif held == 1:
            parts = [f"No new {noun[1]}{span}: the one {noun[0]} was already imported."]
        else:
            parts = [f"No new {noun[1]}{span}."]
    elif earlier:
        parts.append(f"{earlier:,} already imported.")
    if repeated:
        parts.append(f"{repeated:,} repeated inside the {where}.")
    parts += [w.get("detail", "") for w in facts.warnings or () if w.get("kind") == "media_added"]
    if changes := changes_of(facts.warnings):  # a pull brought what it delivered before up to date
        parts += changes_sentences(*astuple(changes), batch.connection.connector, noun)
    if media_missing:
        files = batch.connection.manifest.media_noun  # "media files", "workout routes"
        parts.append(f"{count(media_missing, files)} {pick(media_missing, ('was', 'were'))} not included in this export.")
    if counts.failed:
        parts.append(f"{count(counts.failed, ITEM)} {_unread(counts.failed, where)}.")
    if facts.partial:
        parts.append("The file looks cut short.")
    return " ".join(parts)


def _unread(n: int, where: str) -> str:
    """What became of items not read: a push's may also have carried an impossible time (``pipeline.push``)."""
    return "could not be read" if where == "file" else f"{pick(n, ('was', 'were'))} left out"


def _removed_sentence(batch, noun: tuple[str, str], tz: tzinfo) -> str:
    removal = batch.removal or {}
    gone, kept = removal.get("removed", 0), removal.get("kept", 0)
    if removal.get("with"):  # an earlier reading, removed with the re-read that replaced it
        return f"Removed on {day(batch.removed_at, tz)}, with the newer reading of this file that replaced it."
    text = f"Removed on {day(batch.removed_at, tz)}: {count(gone, noun)} went."
    if kept:
        text += (f" {count(kept, noun)} {pick(kept, ('stays', 'stay'))}, because another import "
                 "or your phone delivered them too.")
    if removal.get("earlier"):  # a re-read removed with the readings it replaced (``pipeline.undo``)
        text += " The earlier reading of this file was removed with it."
    return text


def _completeness_text(claim: str, method: str, noun: tuple[str, str]) -> str:
    if claim == "complete":
        return f"The source states this holds all of its {noun[1]}."
    if method == "owner_artifact":
        return f"This covers what the export contained. It is not a claim that the {noun[1]} are complete."
    return f"This covers the {noun[1]} received. It is not a claim that nothing was missed."


REJECTED_STEP = "Upload the export"  # UI.md's words for uploading an export, when what came could not be read


def _next_action(
    batch, facts, media_missing: int, manifest, *, worker_down: bool = False, zone: str = "UTC",
    other_source: OtherSource | None = None, settled: frozenset[str] = frozenset(),
) -> NextAction | None:
    status = batch.status
    if status == AcquisitionBatch.Status.REJECTED and other_source is not None:
        # The file is fine, for another kind of source (``other_source`` links to adding one): no newer export helps.
        return NextAction("add_source", other_source.label, f"{other_source.label}, then upload this file to it.")
    if status == AcquisitionBatch.Status.REJECTED:
        # The step is about this file (a complete, readable export), never "newer": the receipt states one
        # file, and a source that holds nothing yet has nothing for an export to be newer than (UI.md).
        return NextAction("re_export", REJECTED_STEP, manifest.recovery or "Export the data again and upload it.")
    if status == AcquisitionBatch.Status.DUPLICATE:
        return None
    if status == AcquisitionBatch.Status.FAILED:
        return NextAction("retry", "Try again now", "Nothing from this import was saved. Try again, or upload the file again.")
    if status == AcquisitionBatch.Status.COMMITTING:
        if worker_down:
            return NextAction(
                "wait_for_worker",
                "Start the background worker",
                "This import waits for the background worker, which is not running. "
                "It carries on by itself once the worker runs again.",
            )
        return None
    if batch.question:
        return NextAction("answer", "Choose the date order", "Tell us how dates are written in this file.")
    if batch.is_reading:
        if worker_down:
            return NextAction(
                "wait_for_worker",
                "Start the background worker",
                "This file waits for the background worker to read it, and the worker is not running. "
                "It is read by itself once the worker runs again; nothing is imported before you have seen it.",
            )
        return None
    if status == AcquisitionBatch.Status.PREVIEW and not batch.is_measured:
        return NextAction("add_artifact", "Upload it again", "Reading stopped before the end of the file; nothing was imported.")
    if status == AcquisitionBatch.Status.PREVIEW:
        if new_zone := zone_to_read_in(batch, zone):
            return NextAction("read_in_zone", f"Read again in {new_zone}", zone_words(batch, new_zone, manifest.record_noun[0]))
        if other_phone.needs_choice(batch):
            return NextAction("same_people", "Read as the same people", other_phone.CHOICE)
        if CONTRADICTED not in settled and any(w.get("kind") == CONTRADICTED for w in batch.warnings or ()):
            return REREAD_FIRST
        if batch.count_accepted:
            return NextAction("commit", "Import", f"Import {count(batch.count_accepted, manifest.record_noun)}.")
        return None
    if status == AcquisitionBatch.Status.COMMITTED:
        if any(w.get("kind") in manifest.blocking_gaps for w in facts.warnings or ()):
            return NextAction("re_export", "Upload a newer export",
                              "This export is incomplete: export again and upload the whole file. What was read is kept.")
        if media_missing:
            return NextAction("add_media", f"Add the missing {manifest.media_word}", manifest.media_hint or MEDIA_HINT)
        if facts.partial:
            return NextAction("re_export", "Upload a newer export", "The file looked cut short; export it again.")
    return None
