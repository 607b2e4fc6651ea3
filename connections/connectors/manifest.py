"""Connector manifests: what a kind of source is, declared in code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Literal

from .base import LOCATION_STREAM, ParsedRecord, Parser

Method = Literal["provider_api", "owner_artifact", "device_sync", "device_backup", "browser_polyfill"]
METHODS: tuple[str, ...] = (
    "provider_api",
    "owner_artifact",
    "device_sync",
    "device_backup",
    "browser_polyfill",
)
METHOD_LABELS = {
    "provider_api": "Feed",
    "owner_artifact": "Export",
    "device_sync": "Phone",
    "device_backup": "Backup",
    "browser_polyfill": "Browser",
}
# What a source's acquisitions by each method are called on its page: a phone's pushes are deliveries, with no file.
METHOD_ARRIVALS = {
    "provider_api": "collections",
    "owner_artifact": "imports",
    "device_sync": "deliveries from the phone",
    "device_backup": "imports",
    "browser_polyfill": "deliveries from the browser",
}
# What became of data that reached Ownerhub by each method, for "Nothing collected yet."
METHOD_KEPT = {
    "provider_api": "collected",
    "owner_artifact": "imported",
    "device_sync": "received from the phone",
    "device_backup": "imported",
    "browser_polyfill": "received from the browser",
}
FILE_METHODS = frozenset({"owner_artifact", "device_backup"})  # the methods whose acquisitions each carry a file
Trigger = Literal["manual", "scheduled", "push"]


Auth = Literal["basic", "bearer"]


@dataclass(frozen=True)
class PushEndpoint:
    """A device push served at ``/ingest/<name>`` (see ``coverage.pipeline.push``).

    ``auth``: ``"basic"`` (user name = the owner's, password = a device token) or ``"bearer"``
    (``Authorization: Bearer <device token>``). ``reply``: the JSON the app expects for an
    accepted push (any other answer may make it send the batch again). ``parser`` has the one
    parser signature; it reads a ``Body``. ``device`` names the phone from the request's headers
    and query (``hints``) and the parsed records, or returns "".
    """

    name: str
    auth: Auth
    reply: list | dict
    parser: Parser
    app: str  # the app's name, in owner words: "OwnTracks (HTTP mode)"
    setup: str  # where the address and token go, with {url}, {user} and "the token"
    device: Callable[[Mapping[str, str], list[ParsedRecord]], str] = lambda hints, records: ""


@dataclass(frozen=True)
class FetchPolicy:
    """How a pull fetches: conditional requests (ETag, Last-Modified) or not, and the path's own
    timeout and size cap (None: the installation's, ``connections.collect.FEED_TIMEOUT_SECONDS``
    and ``MAX_FEED_BYTES``)."""

    conditional: bool = True
    timeout_seconds: float | None = None
    max_bytes: int | None = None


@dataclass(frozen=True)
class AcquisitionPath:
    """One way a connector's data reaches us, presented to the owner as a job."""

    method: Method
    job: str  # owner words: "Import history from an export"
    trigger: Trigger
    instructions: tuple[str, ...]  # steps to get the file or set up the device
    accepted_formats: tuple[str, ...] = ()  # file extensions for an upload picker
    needs_credential: bool = False
    recommended: bool = False
    parser: Parser | None = None  # an export's or a pull's parser (a push's are its endpoints')
    endpoints: tuple[PushEndpoint, ...] = ()  # a push path's endpoints
    fetch: FetchPolicy | None = None  # a pull path's fetch policy


def export_path(
    formats: tuple[str, ...],
    instructions: tuple[str, ...],
    parser: Parser,
    *,
    job: str = "Import history from an export",
    recommended: bool = True,
) -> AcquisitionPath:
    """An export the owner makes and uploads when they choose (``owner_artifact``, ``manual``):
    the upload picker's ``formats``, the steps to get the file, and the parser that reads it."""
    return AcquisitionPath(
        method="owner_artifact",
        job=job,
        trigger="manual",
        recommended=recommended,
        accepted_formats=formats,
        instructions=instructions,
        parser=parser,
    )


ViewKind = Literal["messages", "points", "table", "agenda"]


@dataclass(frozen=True)
class StreamView:
    """How a stream's records are shown on a day page: one template per ``kind``
    (``templates/coverage/day_<kind>.html``) and the payload ``fields`` it shows, in order.
    ``group_by``: a payload field whose value heads a group of rows (a table by type)."""

    kind: ViewKind
    fields: tuple[str, ...] = ()
    group_by: str = ""
    labels: tuple[str, ...] = ()  # column heads for ``fields`` (default: the field names in words)
    group_words: Callable[[str], str] | None = None  # a group's value in owner words (default: as written)
    # field -> its text value in owner words, given the record's payload (default: as written)
    field_words: Mapping[str, Callable[[str, dict], str]] = field(default_factory=dict)
    timed: bool = True  # False: the records name a day, not a time of day (a day's summary)
    until: str = ""  # the payload field holding when a record ends (ISO text): its time reads "22:10 to 06:05"


# A source of places: its records are fixes in ``LOCATION_STREAM``, keyed by ``base.location_key``
# (or a Timeline fix's wall-clock key), and a day page shows them as points. The manifests of
# such sources share these (the views read-only, as one mapping serves them all).
# "device": the phone a pushed point came from (its app's device name); an export's points name none.
LOCATION_VIEW = StreamView("points", ("lat", "lon", "kind", "name", "accuracy", "device"))
LOCATION_VIEWS: Mapping[str, StreamView] = MappingProxyType({LOCATION_STREAM: LOCATION_VIEW})
LOCATION_KEY_RULE = "time of the fix and its position to about a metre"


# What adds the files an export names but did not carry, for a source whose manifest says nothing else.
MEDIA_HINT = "Export again with media included to add the missing files."
MEDIA_NOUN = ("media file", "media files")  # those files, for a source whose manifest says nothing else


@dataclass(frozen=True)
class Manifest:
    id: str
    name: str
    record_noun: tuple[str, str]  # ("message", "messages")
    paths: tuple[AcquisitionPath, ...]
    streams: tuple[str, ...]  # every record's ``stream`` is one of these (tests check each parser)
    record_key_rule: str  # owner-readable statement of the stable key (the catalog shows it)
    expected_refresh: timedelta  # how old covered data may be before it is stale
    blocking_gaps: frozenset[str] = frozenset()
    recovery: str = ""  # what to do when a file is rejected
    re_export_hint: str = ""  # the forward sentence when coverage is stale
    media_hint: str = ""  # the forward sentence when files an export names are missing (default: MEDIA_HINT)
    media_noun: tuple[str, str] = MEDIA_NOUN  # what those files are to the owner ("workout route", "workout routes")
    hole_after: timedelta | None = None  # empty span inside coverage that counts as a hole
    summary: str = ""
    extra: dict = field(default_factory=dict)
    views: Mapping[str, StreamView] = field(default_factory=dict)  # stream -> how a day page shows it

    def path(self, method: str) -> AcquisitionPath | None:
        return next((p for p in self.paths if p.method == method), None)

    @property
    def arrivals(self) -> tuple[str, ...]:
        """What its acquisitions are called, one name per kind, in the order of its paths ("imports")."""
        return tuple(dict.fromkeys(METHOD_ARRIVALS.get(p.method, "imports") for p in self.paths))

    @property
    def recent_heading(self) -> str:
        """The heading of its page's latest acquisitions: "Recent deliveries from the phone and imports"."""
        return "Recent " + " and ".join(self.arrivals)

    @property
    def nothing_arrived(self) -> str:
        return "No " + " or ".join(self.arrivals) + " yet."

    @property
    def nothing_kept(self) -> str:
        """Said when attempts were made (a failed pull) but nothing was kept: "Nothing collected yet."."""
        kept = dict.fromkeys(METHOD_KEPT.get(p.method, "imported") for p in self.paths)
        return "Nothing " + " or ".join(kept) + " yet."

    @property
    def uploads_link(self) -> str:
        """The link to its imports page, which lists uploaded files only (a push has none)."""
        files_only = all(p.method in FILE_METHODS for p in self.paths)
        return "Every import, with its file" if files_only else "Every uploaded file, with its receipt"

    @property
    def media_word(self) -> str:
        """The missing files in a pill's or a button's words: "media" (a chat's), "routes" (Health's)."""
        return "media" if self.media_noun == MEDIA_NOUN else self.media_noun[1].split()[-1]

    @property
    def is_manual(self) -> bool:
        """A source whose only paths need the owner to act (no schedule, no push)."""
        return all(p.trigger == "manual" for p in self.paths)
