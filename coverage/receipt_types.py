"""The receipt's fields: the contract tools outside the tests rely on (DESIGN.md, receipt contract).

Frozen dataclasses, serialized as they are (``coverage.serializers``); ``coverage.receipts``
builds them from a batch. Add fields, never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .receipt_changes import Changes
from .receipt_words import Explanation, container
from .reread_words import READ_AGAIN


@dataclass(frozen=True)
class ReceiptConnection:
    slug: str
    name: str
    connector: str


@dataclass(frozen=True)
class Artifact:
    filename: str
    sha256: str
    bytes: int | None


@dataclass(frozen=True)
class EventTime:
    earliest: datetime | None
    latest: datetime | None


@dataclass(frozen=True)
class Counts:
    parsed: int
    accepted: int
    duplicate: int
    skipped: int
    failed: int


@dataclass(frozen=True)
class Media:
    """Media files the records mention: ``attached`` in the artifact, ``missing`` (referenced but
    absent from it), ``omitted`` (the export was made without media: a placeholder only)."""

    declared: int
    attached: int
    missing: int
    omitted: int = 0

    @property
    def not_included(self) -> int:
        """Mentioned but not in the export, whatever the reason: what the owner may add."""
        return self.missing + self.omitted


@dataclass(frozen=True)
class Gap:
    start: str
    end: str
    days: int


@dataclass(frozen=True)
class ReceiptWarning:
    kind: str
    detail: str
    position: str | None = None
    blocking: bool = False  # its kind is a gap the connector declares blocking ("cut_off")


@dataclass(frozen=True)
class DuplicateSource:
    batch_id: int
    count: int
    committed_at: datetime | None = None
    filename: str = ""  # the earlier import's file (empty: a push, a pull, or kept before it was noted)
    method: str = ""  # how it came: owner_artifact, device_sync (a phone's push), provider_api (a feed's pull)...


@dataclass(frozen=True)
class NextAction:
    kind: str
    label: str
    detail: str


@dataclass(frozen=True)
class Phase:
    name: str
    at: datetime | None


@dataclass(frozen=True)
class DuplicateSplit:
    """``counts.duplicate`` told apart: keys earlier imports hold, and repeats inside this file."""

    earlier: int
    in_file: int


@dataclass(frozen=True)
class OtherSource:
    """The kind of source that takes a file this source refused (``connections.connectors.sniff``)."""

    connector: str
    label: str  # "Add a Google Maps Timeline source"
    url: str  # the catalog entry that adds one


@dataclass(frozen=True)
class StreamLine:
    """How far one stream of the file reaches (``AcquisitionBatch.stream_coverage``)."""

    stream: str
    label: str  # "Workouts"
    count: int  # rows of this stream in the file
    earliest: datetime
    latest: datetime
    text: str  # "Workouts 3 Jan to 3 Mar 2024", in the owner's zone


@dataclass(frozen=True)
class WhoIsWho:
    """The same chat from another phone: who this file's people are among the source's (``other_phone``)."""

    pairs: tuple[tuple[str, str], ...]  # (name in this file, name this source knows them by), as found
    here: tuple[str, ...]  # the people this file names
    held: tuple[str, ...]  # the people this source's earlier imports name

    @property
    def rows(self) -> tuple[tuple[str, str], ...]:
        """Each name of this file with the source's name it reads as: paired, the same name, or '' (nobody)."""
        paired = dict(self.pairs)
        return tuple((name, paired.get(name) or (name if name in self.held else "")) for name in self.here)


@dataclass(frozen=True)
class Receipt:
    batch_id: int
    connection: ReceiptConnection
    source: str
    method: str
    method_label: str
    source_format: str
    parser_version: str
    artifact: Artifact | None
    status: str
    sentence: str  # the line an owner wants first (UI.md)
    event_time: EventTime
    counts: Counts
    media: Media
    gaps: tuple[Gap, ...]
    warnings: tuple[ReceiptWarning, ...]
    completeness_claim: str
    completeness_text: str
    duplicate_of: int | None
    duplicate_sources: tuple[DuplicateSource, ...]
    time_zone: str  # the owner's zone (IANA name): the zone this receipt's words use, and a client shows its times in
    time_zone_assumed: str | None
    question: dict | None
    reject_reason: str | None
    data_changed: bool
    failure_reason: str | None  # owner words, when the commit failed for good (status ``failed``)
    waiting_for_worker: bool  # committing, and the background worker that would land it is not running
    next_action: NextAction | None
    created_at: datetime
    committed_at: datetime | None
    phases: tuple[Phase, ...]
    progress: int
    # An import read again (trigger "reread"): ``reread_of``, ``difference`` and its ``sentences``.
    reread: dict | None = None
    other_source: OtherSource | None = None  # a rejected file that another kind of source takes
    duplicate_split: DuplicateSplit = DuplicateSplit(0, 0)
    # One line per count saying what it means, for this kind of source (``receipt_words``).
    explanations: tuple[Explanation, ...] = ()
    # Each stream of the file and how far it reaches, earliest first; ``streams_sentence`` joins them
    # ("Workouts 3 Jan to 3 Mar 2024; samples 1 Jan to 3 Dec 2024") when the file holds several streams.
    streams: tuple[StreamLine, ...] = ()
    streams_sentence: str = ""
    # A pull of a source that sends its whole state: what it changed in what the source held (``receipt_changes``).
    snapshot: Changes | None = None
    # An import read again since (``pipeline.reread``): the newer reading's ``batch_id`` and a ``sentence``
    # saying when, in which zone, and where its records stand now.
    read_again: dict | None = None
    # A preview of the same chat from another phone: the pairing of names it suggests, for the owner to change.
    who_is_who: WhoIsWho | None = None

    @property
    def notes(self) -> tuple[ReceiptWarning, ...]:
        """The warnings listed as notes: those its sentence or a notice of its own does not already say."""
        asked = {ASKED_AS_A_QUESTION} if self.question else set()  # the question says it
        return tuple(w for w in self.warnings if w.kind not in SAID_ELSEWHERE and w.kind not in asked)

    @property
    def notices(self) -> tuple[ReceiptWarning, ...]:
        """The warnings said at the receipt's top, before anything else (``NOTICES``)."""
        return tuple(w for w in self.warnings if w.kind in NOTICES)

    @property
    def container(self) -> str:
        """What was received: 'file', 'push' or 'pull' ('3 notes about this push')."""
        return container(self.method)


# Notes a receipt says at its top, each a notice of its own: another account, another phone, an earlier
# import's dates proved off.
NOTICES = frozenset({"other_account", "other_phone", "date_order_contradicted"})
# Notes not listed again: those notices, and what its sentence (media filled in) or a line of its own (read
# again since) says.
SAID_ELSEWHERE = NOTICES | {"media_added", READ_AGAIN}
ASKED_AS_A_QUESTION = "ambiguous_date_order"  # the note a file's date-order question repeats
