"""Preview: an uploaded artifact stored, parsed into staging and measured; nothing reaches ``Record``.

``preview_artifact`` stores and hashes the upload (``storage``), marks it a duplicate when this
connection already committed the same file, else parses it with the connector's
``owner_artifact`` parser into staging and measures it against what the connection holds
(``landing.measure_staged``). ``answer_preview`` reads it again with the owner's answer to the
parser's question (WhatsApp's ambiguous date order). A parser's refusal, or a file over the
limit, makes the batch ``rejected``. The facts helpers here (``add_facts``, ``counts``,
``stamp``) are shared with the commit and the live path.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from connections.connectors.base import (
    MAX_WARNINGS,
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParseOptions,
)
from connections.connectors.manifest import Manifest
from connections.connectors.sniff import hint_for
from connections.models import Connection
from connections.zones import owner_zone, zone_named

from ..models import AcquisitionBatch, GonePreview
from ..words import size as size_words
from . import set_aside
from .accounts import note_identity
from .date_orders import contradicted
from .first_counts import RowCounts, counts_for
from .landing import earliest_of, latest_of, measure_staged
from .other_phone import CLOCK, chosen_names, note_other_phone, suggested_clock, suggested_names
from .removal import discard_preview
from .sqlite_tuning import lean_cache
from .staging import Progress, Staged, drop_staging, stage, text_times
from .storage import TooLarge, delete_artifact, display_name, local_path, store
from .streams import stream_coverage, utc_instant
from .summaries import holes

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
DEFAULT_GAP_AFTER = timedelta(days=3)  # batch gaps when the manifest declares no hole size
DATE_ORDERS = ("dmy", "mdy")  # the answers an owner gives
# ... and a year-first order of short dates (23/12/31), which only a file proves: reading an
# import again in the order its source's files proved (``reread``) may pass it.
READ_ORDERS = (*DATE_ORDERS, "ymd")


class CommitRefused(Exception):
    """The batch cannot be committed (rejected, read only partly, or its preview still asks a question).

    The message is in owner words: the API answers it as a 409's ``detail``.
    """


class NotAnArtifactSource(ValueError):
    """The connector takes no uploaded artifact (a device push or a feed)."""


def preview_artifact(
    connection: Connection, source: IO[bytes], filename: str, *, progress: Progress | None = None, **received
) -> AcquisitionBatch:
    """Store, hash and parse an uploaded artifact; measure it; write nothing to ``Record``.

    ``source`` is a binary file-like object (an ``UploadedFile`` or an open file), read in
    1 MB chunks. ``options`` may carry ``date_order`` (``"dmy"``/``"mdy"``). Returns the new
    batch: ``preview`` (possibly with a ``question``), ``duplicate`` (this connection already
    holds the same sha256; the stored copy is deleted) or ``rejected`` (too large or refused by
    the parser; nothing else written). ``received`` are ``receive_artifact``'s keywords.
    """
    batch = receive_artifact(connection, source, filename, **received)
    if batch.status != Status.PREVIEW:
        return batch
    return parse_and_measure(batch, artifact_parser(connection.manifest), progress)


def receive_artifact(
    connection: Connection,
    source: IO[bytes],
    filename: str,
    *,
    options: dict | None = None,
    now: datetime | None = None,
) -> AcquisitionBatch:
    """The first half of ``preview_artifact``: store and hash the upload, nothing read yet.

    Returns the batch: ``preview`` and ``received`` (to be read: ``parse_and_measure``, here or
    in the worker, ``background``), ``duplicate`` or ``rejected`` (too large).
    """
    manifest = connection.manifest
    artifact_parser(manifest)  # a source that takes no upload is refused before anything is stored
    batch = AcquisitionBatch.objects.create(
        connection=connection,
        method="owner_artifact",
        trigger="manual",
        artifact_filename=display_name(filename),
        options=_clean_options(options),
        status=Status.PREVIEW,
        created_at=now or timezone.now(),
        phases={},
    )
    batch.connection = connection
    limit = settings.OWNERHUB_MAX_UPLOAD_BYTES
    try:
        name, sha256, size = store(source, connection.owner_id, batch.artifact_filename, limit)
    except TooLarge as exc:
        batch.artifact_bytes = exc.read
        return _reject(batch, manifest, "too_large", f"The file is larger than the {size_words(limit)} limit.")
    batch.artifact_name, batch.artifact_sha256, batch.artifact_bytes = name, sha256, size
    stamp(batch, "received")
    batch.save(update_fields=["artifact_name", "artifact_sha256", "artifact_bytes", "phases"])

    # Only a committed import makes a file a duplicate: an unfinished or failed one must never
    # block the same file (its commit resolves a race with a landing one, see ``commit.start_commit``).
    earlier = (
        AcquisitionBatch.objects.filter(connection=connection, artifact_sha256=sha256, status=Status.COMMITTED)
        .exclude(pk=batch.pk)
        .order_by("pk")
        .first()
    )
    if earlier is not None:
        return mark_duplicate(batch, earlier)
    return batch


def waiting_preview(connection: Connection, sha256: str) -> AcquisitionBatch | None:
    """The owner's latest preview of this file (same sha256) on this source, read to the end and waiting:
    for the commit, or for the answer to its question. ``None`` when there is none (or it is still read)."""
    return _waiting(connection.pk, sha256, "owner_artifact").select_related("connection").order_by("-pk").first()


def replace_waiting_previews(batch: AcquisitionBatch) -> None:
    """A new upload of a file that already waits as a preview on this source replaces that preview: the
    source shows one preview of a file, however often it was uploaded."""
    if batch.status != Status.PREVIEW or not batch.artifact_sha256:
        return
    for older in _waiting(batch.connection_id, batch.artifact_sha256, batch.method).exclude(pk=batch.pk):
        discard_preview(older, GonePreview.Reason.REPLACED, newer=batch)


def _waiting(connection_id: int, sha256: str, method: str):
    return AcquisitionBatch.objects.filter(
        Q(phases__has_key="deduplicated") | Q(question__isnull=False),
        connection_id=connection_id, artifact_sha256=sha256, status=Status.PREVIEW, method=method, trigger="manual",
    ).exclude(artifact_name="")


def answer_preview(batch: AcquisitionBatch, date_order: str, *, progress: Progress | None = None) -> AcquisitionBatch:
    """Re-read a preview with the owner's answer to its question (the day/month order)."""
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date order must be one of {', '.join(DATE_ORDERS)}")
    batch = AcquisitionBatch.objects.select_related("connection").get(pk=batch.pk)
    if batch.status != Status.PREVIEW or not batch.artifact_name:
        raise CommitRefused("Only a preview that is still waiting can be answered.")
    batch.options = {**(batch.options or {}), "date_order": date_order}
    batch.question = None
    batch.save(update_fields=["options", "question"])
    return parse_and_measure(batch, artifact_parser(batch.connection.manifest), progress)


def read_as_same_people(batch: AcquisitionBatch, *, names: dict[str, str] | None = None,
                        progress: Progress | None = None) -> AcquisitionBatch:
    """Re-read a preview with the names its ``other_phone`` note pairs (this file's -> the source's), or the
    owner's own pairing (``names``), so the messages the source holds under those names count as held
    (``other_phone``). ``CommitRefused`` for a name the note does not know."""
    batch = AcquisitionBatch.objects.select_related("connection").get(pk=batch.pk)
    clock = suggested_clock(batch)
    if batch.status != Status.PREVIEW or not batch.artifact_name or not (suggested_names(batch) or clock):
        raise CommitRefused("Only a preview that found the same chat from another phone can be read so.")
    try:
        authors = {**(batch.options or {}).get("authors", {}), **suggested_names(batch)} if names is None \
            else chosen_names(batch, names)
    except ValueError as exc:
        raise CommitRefused(str(exc)) from exc
    batch.options = {**(batch.options or {}), "authors": authors}
    if clock:
        batch.options[CLOCK] = clock
    batch.save(update_fields=["options"])
    return parse_and_measure(batch, artifact_parser(batch.connection.manifest), progress)


def artifact_parser(manifest: Manifest):
    """The connector's ``owner_artifact`` parser; ``NotAnArtifactSource`` when it takes no upload."""
    path = manifest.path("owner_artifact")
    if path is None or path.parser is None:
        raise NotAnArtifactSource(f"{manifest.name} does not take an uploaded export.")
    return path.parser


def _clean_options(options: dict | None) -> dict:
    options = dict(options or {})
    order = options.get("date_order")
    if order in (None, ""):
        options.pop("date_order", None)
    elif order not in READ_ORDERS:
        raise ValueError(f"date order must be one of {', '.join(DATE_ORDERS)}")
    return options


def stage_artifact(
    batch: AcquisitionBatch,
    parser,
    facts: BatchFacts,
    progress: Progress | None = None,
    phase: str | None = None,
    counted: RowCounts | None = None,
) -> Staged:
    """Parse the batch's stored artifact with ``parser`` (in the owner's zone and date order) into
    staging; ``counted`` counts the rows on the way (``first_counts``)."""
    zone = (batch.options or {}).get("time_zone")  # a re-read in a zone named for it (``pipeline.reread``)
    tz = zone_named(zone) if zone else owner_zone(batch.connection.owner_id)
    answers = batch.options or {}
    options = ParseOptions(time_zone=tz, date_order=answers.get("date_order"),
                           date_order_proven=bool(answers.get("date_order_proven")), chat=answers.get("chat"),
                           me=answers.get("me"), authors=answers.get("authors"),
                           clock=_clock(answers.get(CLOCK)))
    with local_path(batch.artifact_name) as path:
        records = parser(Artifact(path=path, filename=batch.artifact_filename), facts, options)
        return stage(batch.pk, records, progress, phase, counted)


def _clock(clock: dict | None) -> tuple[str, str] | None:
    """(the other phone's zone, the source's) from a preview read on another phone's clock (``other_clock``)."""
    return (clock["zone"], clock["source_zone"]) if clock else None


def parse_and_measure(batch: AcquisitionBatch, parser, progress: Progress | None) -> AcquisitionBatch:
    """Parse the stored artifact into staging and measure it: the preview's counts, days, gaps and question."""
    manifest = batch.connection.manifest
    # Committable only once this parse has ended: a process killed mid-file leaves no stamp.
    batch.phases = {k: v for k, v in (batch.phases or {}).items() if k not in ("parsed", "deduplicated")}
    batch.set_aside = None  # nothing is set aside from the rows read now (``set_aside``)
    AcquisitionBatch.objects.filter(pk=batch.pk).update(phases=batch.phases, set_aside=None)
    drop_staging(batch.pk)
    facts = BatchFacts()
    seen = set_aside.rewritten(batch.connection_id)  # before the rows are counted: a removal after it shows
    counted = counts_for(batch.connection_id, by_slot=_by_slot(manifest), text_times=text_times())
    try:
        staged = stage_artifact(batch, parser, facts, progress, "parsing", counted)
    except ArtifactRejected as exc:
        drop_staging(batch.pk)
        return _reject(batch, manifest, exc.reason, exc.detail)
    except Exception:
        # A parser bug: never leave a half-read preview that could be committed.
        log.exception("parsing batch %s failed", batch.pk)
        drop_staging(batch.pk)
        _reject(batch, manifest, "internal_error", "This file could not be read because of an error in Ownerhub.")
        raise
    add_facts(batch, facts, staged, replace=True)
    if facts.date_order_seen:  # proof of the phone's day/month order, against earlier answers (``date_orders``)
        batch.options = {**(batch.options or {}), "date_order_seen": facts.date_order_seen}
        batch.warnings = batch.warnings + contradicted(batch, facts.date_order_seen, owner_zone(batch.connection.owner_id))
    note_identity(batch, facts.identity)  # another account than earlier imports? (``accounts``)
    batch.progress = staged.parsed
    stamp(batch, "parsed")
    if facts.needs_answer and not staged.parsed:
        batch.question = _question(facts.needs_answer)
        batch.count_accepted = batch.count_duplicate = 0
        batch.new_earliest = batch.new_latest = None
        batch.day_counts, batch.duplicate_sources, batch.gaps = {}, [], []
        batch.preview_counts = None
        batch.save()
        return batch
    with lean_cache():  # SQLite: measuring reads every staged row (``sqlite_tuning.lean_cache``)
        _measure(batch, staged, manifest, counted, seen)
    note_other_phone(batch, manifest)  # the same chat from another phone, its people named otherwise?
    batch.save()
    if progress:
        progress("previewed", staged.parsed)
    return batch


def _by_slot(manifest: Manifest) -> bool:
    """Slots only for the holes, which only a source with an expected density has (``summaries.holes``)."""
    return manifest.hole_after is not None


def _measure(batch: AcquisitionBatch, staged: Staged, manifest: Manifest, counted: RowCounts, seen: int) -> None:
    """What committing the staged rows would add, on the batch: counts, days, gaps, sources.

    Measured from what staging counted (``first_counts``), unless a repeat came from further back
    than counting sees or the source changed while the rows were staged; else the preview reads
    staging again (``measure_staged``, ``stream_coverage``). ``seen``: the source's ``rewritten``,
    read before staging began.
    """
    batch.question = None
    kept = set_aside.KeptDays(set_aside.inert_holders(batch))  # told each group: the plan's days
    measure = counted.measure(batch.connection_id, batch.pk, kept.note)
    reach = counted.stream_coverage() if measure is not None else None
    if measure is None:
        measure = measure_staged(batch.pk, batch.connection_id, by_slot=_by_slot(manifest), note=kept.note,
                                 rows=staged.parsed)
        reach = stream_coverage(batch.pk)
    batch.count_accepted = measure.accepted
    batch.count_duplicate = staged.parsed - measure.accepted
    # A re-import's new records, where they are not the whole file: its receipt gives their range.
    fresh = measure.held and 0 < measure.accepted < staged.parsed and len(measure.new_reach) == 2
    batch.new_earliest, batch.new_latest = map(utc_instant, measure.new_reach) if fresh else (None, None)
    batch.day_counts = measure.day_counts
    batch.duplicate_sources = measure.duplicate_sources
    batch.media_days = measure.media_days
    batch.gaps = holes(measure.slots, manifest, measure.zone)  # the one rule (summaries.holes), owner's days
    batch.warnings = batch.warnings + _seen_elsewhere(batch)
    batch.preview_counts = counts(batch)
    batch.stream_coverage = reach  # how far each stream reaches (``streams``)
    set_aside.plan(batch, measure, seen, kept)  # what the commit may set aside (``set_aside``)
    stamp(batch, "deduplicated")


def _question(needs: dict) -> dict:
    example = needs.get("example") or ""
    return {
        "kind": needs.get("question", "date_order"),
        "text": (
            f"Dates in this file, like {example}, could be day/month or month/day. "
            "Which does this phone use?"
        ),
        "choices": list(needs.get("choices") or DATE_ORDERS),
        "labels": {"dmy": "Day first (31/12)", "mdy": "Month first (12/31)"},
        "example": example,
    }


def _seen_elsewhere(batch: AcquisitionBatch) -> list[dict]:
    """Idempotency is per connection; still tell the owner the file already landed elsewhere."""
    names = list(
        AcquisitionBatch.objects.filter(
            connection__owner_id=batch.connection.owner_id,
            artifact_sha256=batch.artifact_sha256,
            status=Status.COMMITTED,
        )
        .exclude(connection_id=batch.connection_id)
        .values_list("connection__name", flat=True)
        .distinct()[:3]
    )
    if not names:
        return []
    return [
        {
            "kind": "seen_elsewhere",
            "detail": f"This same file was already imported into {', '.join(names)}.",
            "position": None,
        }
    ]


def _reject(batch: AcquisitionBatch, manifest: Manifest, reason: str, detail: str) -> AcquisitionBatch:
    recovery = manifest.recovery  # how to make the file this source takes
    if reason == "wrong_source" and batch.artifact_name:  # say what the file is, and where it goes
        with local_path(batch.artifact_name) as path:
            hint = hint_for(path, manifest.id)
        if hint is not None:
            detail, recovery = hint.sentence, ""  # the file is fine, for another source: no export to make again
            note = {"kind": "other_source", "detail": hint.sentence, "position": None,
                    "connector": hint.connector, "label": hint.label}
            batch.warnings = [*(batch.warnings or []), note]
    delete_artifact(batch)
    batch.status = Status.REJECTED
    batch.reject_reason = reason[:20]
    batch.reject_detail = f"{detail} {recovery}".strip()[:500]
    batch.question = None
    batch.count_parsed = batch.count_accepted = batch.count_duplicate = 0
    batch.preview_counts = None
    batch.save()
    return batch


def mark_duplicate(batch: AcquisitionBatch, earlier: AcquisitionBatch | None) -> AcquisitionBatch:
    """The batch repeats ``earlier``'s file: its staged rows and stored copy go, it points there."""
    drop_staging(batch.pk)
    delete_artifact(batch)
    batch.status = Status.DUPLICATE
    batch.duplicate_of = earlier
    batch.question = None
    batch.save()
    return batch


def add_facts(batch: AcquisitionBatch, facts: BatchFacts, staged: Staged, *, replace: bool) -> None:
    """Copy what the parser learned onto the batch (replacing, or adding to an open window)."""
    if replace:
        batch.count_parsed = batch.count_skipped = batch.count_failed = 0
        batch.media_declared = batch.media_attached = batch.media_missing = batch.media_omitted = 0
        batch.warnings = []
        batch.event_earliest = batch.event_latest = None
        batch.partial = False
    batch.source_format = facts.source_format or batch.source_format
    batch.parser_version = facts.parser_version or batch.parser_version
    batch.count_parsed += staged.parsed
    batch.count_skipped += facts.skipped
    batch.count_failed += facts.failed
    batch.media_declared += facts.media_declared
    batch.media_attached += facts.media_attached
    batch.media_missing += facts.media_missing
    batch.media_omitted += facts.media_omitted
    batch.warnings = _capped_warnings(list(batch.warnings or []) + [w.as_dict() for w in facts.warnings], facts)
    batch.completeness_claim = facts.completeness_claim or "observed"
    batch.time_zone_assumed = facts.time_zone_assumed or batch.time_zone_assumed or ""
    batch.partial = batch.partial or facts.partial
    batch.event_earliest = earliest_of(batch.event_earliest, staged.earliest)
    batch.event_latest = latest_of(batch.event_latest, staged.latest)


def _capped_warnings(warnings: list[dict], facts: BatchFacts) -> list[dict]:
    """At most ``MAX_WARNINGS`` warnings, then one that counts the rest."""
    dropped = facts.warnings_dropped + max(0, len(warnings) - MAX_WARNINGS)
    warnings = [w for w in warnings if w.get("kind") != "more_warnings"][:MAX_WARNINGS]
    if dropped:
        warnings.append({"kind": "more_warnings", "detail": f"{dropped:,} more warnings not shown.", "position": None})
    return warnings


def counts(batch: AcquisitionBatch) -> dict:
    """The batch's counts as the preview showed them (``preview_counts``) and the commit compares."""
    return {
        "parsed": batch.count_parsed,
        "accepted": batch.count_accepted,
        "duplicate": batch.count_duplicate,
        "skipped": batch.count_skipped,
        "failed": batch.count_failed,
    }


def stamp(batch: AcquisitionBatch, phase: str) -> None:
    """Note when the batch reached ``phase`` (the caller saves the batch)."""
    batch.phases = {**(batch.phases or {}), phase: timezone.now().isoformat()}
