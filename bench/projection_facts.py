"""What bench/projection.py seeds: its sizes, the five connectors, one connection's profile and
running aggregates, and the facts recomputed after each stage (conditions, summaries)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

STAGES = (("10k", 10_000), ("100k", 100_000), ("1M", 1_000_000))
CONNECTIONS = 1_000
RECORDS_PER_BATCH = 5  # 5,000,000 records at 1,000,000 batches
HISTORY = timedelta(days=60)
# (end of stage window before the start of the run): every stage ends closer to now.
STAGE_ENDS = (timedelta(hours=3), timedelta(hours=2), timedelta(hours=1))

CONNECTORS = ("whatsapp", "google_timeline", "apple_health", "owntracks", "ical_feed")
# Relative share of batches: phones and feeds deliver many small batches, exports few.
WEIGHTS = {
    "whatsapp": 0.5,
    "google_timeline": 0.5,
    "apple_health": 0.5,
    "owntracks": 2.0,
    "ical_feed": 2.0,
}
FORMATS = {
    "whatsapp": "whatsapp_android_zip",
    "google_timeline": "google_timeline_device_json",
    "apple_health": "apple_health_zip",
    "owntracks": "owntracks_json",
    "ical_feed": "ical",
}
TRIGGERS = {"owner_artifact": "manual", "device_sync": "push", "provider_api": "scheduled"}


@dataclass
class LaneAgg:
    batches: int = 0
    records: int = 0
    accepted: int = 0
    earliest: datetime | None = None
    through: datetime | None = None
    last_at: datetime | None = None
    last_id: int | None = None
    partial_id: int | None = None
    days: Counter = field(default_factory=Counter)
    media_days: set = field(default_factory=set)


@dataclass
class Conn:
    """One seeded connection, its profile (which verdict it shows) and its running aggregates."""

    pk: int
    connector: str
    k: int  # index among connections of the same connector
    method: str
    streams: tuple[str, ...]
    weight: float
    profile: str = "plain"
    last_committed: int | None = None  # newest committed batch id
    last_sha: str = ""
    last_created: datetime | None = None
    lane: LaneAgg = field(default_factory=LaneAgg)
    records: int = 0
    media: Counter = field(default_factory=Counter)
    media_batch: int | None = None
    hole: tuple[datetime, datetime] | None = None
    active_conditions: dict = field(default_factory=dict)  # type -> observed_at of the active one


def profile_of(connector: str, k: int) -> str:
    """Stable variety of verdicts: the same connection shows the same state at every stage."""
    if k % 50 == 49:
        return "no_evidence"
    table = {
        "whatsapp": {1: "missing_media", 2: "parser_warning"},
        "google_timeline": {1: "partial", 2: "hole"},
        "apple_health": {},
        "owntracks": {1: "token_revoked", 2: "paused", 3: "credential_rejected"},
        "ical_feed": {1: "one_failure", 2: "three_failures", 3: "runtime_unavailable"},
    }[connector]
    return table.get(k % 10, "plain")

class Facts:
    """The facts a commit keeps beside the batches, recomputed after each stage (a Seeder mixin)."""

    def _conditions(self, window, per_conn) -> None:
        """Superseded history (one per 20 new batches) and one active fact per type, per stage."""
        from django.db import transaction

        rows, supersede = [], defaultdict(list)  # observed_at -> [(connection, type)]
        for conn, n in zip(self.conns, per_conn, strict=True):
            types = []
            if conn.method in ("device_sync", "provider_api") and conn.profile != "no_evidence":
                types.append("credential")
            if conn.method == "provider_api" and conn.profile != "no_evidence":
                types.append("runtime")
            for type_ in types:
                history = max(1, n // 20)
                w0, w1 = window
                times = [w0 + (w1 - w0) * (j + 1) / (history + 1) for j in range(history)] + [w1]
                times = [t.replace(microsecond=0) for t in times]
                if type_ in conn.active_conditions:
                    supersede[self.ts(times[0])].append((conn.pk, type_))
                for j, at in enumerate(times):
                    final = j == len(times) - 1
                    status, reason, message = "ready", "probe_ok", ""
                    if final and type_ == "credential" and conn.profile == "credential_rejected":
                        status, reason, message = (
                            "rejected",
                            "unauthorized",
                            "The phone's token was refused.",
                        )
                    if final and type_ == "runtime" and conn.profile == "runtime_unavailable":
                        status, reason, message = (
                            "unavailable",
                            "collector_down",
                            "The collector is not running.",
                        )
                    rows.append((self.take("condition"), conn.pk, type_, status, reason, message, self.ts(at),
                                 self.ts(at + timedelta(days=2)) if type_ == "runtime" else None,
                                 None if final else self.ts(times[j + 1])))  # fmt: skip
                conn.active_conditions[type_] = times[-1]
        with transaction.atomic(), self.connection.cursor() as c:
            for at, pairs in supersede.items():
                c.executemany(
                    "UPDATE connections_condition SET superseded_at = %s "
                    "WHERE connection_id = %s AND type = %s AND superseded_at IS NULL",
                    [(at, pk, type_) for pk, type_ in pairs],
                )
        self.counts["conditions"] += self.conditions.write(rows)

    def _summaries(self) -> None:
        from connections.connectors import get as get_manifest
        from coverage.models import CoverageSummary, LaneSummary

        existing = {s.connection_id: s for s in CoverageSummary.objects.all()}
        lanes = {(s.connection_id, s.method): s for s in LaneSummary.objects.all()}
        new_s, new_l, upd_s, upd_l = [], [], [], []
        for conn in self.conns:
            lane = conn.lane
            if not lane.batches:
                continue
            holes = []
            if conn.hole and get_manifest(conn.connector).hole_after:
                start, end = conn.hole
                holes = [{"start": start.date().isoformat(), "end": (end - timedelta(days=1)).date().isoformat(),
                          "days": (end - start).days}]  # fmt: skip
            s = existing.get(conn.pk) or CoverageSummary(connection_id=conn.pk)
            s.record_count = conn.records
            s.earliest_event_at, s.covered_through = lane.earliest, lane.through
            s.media_declared = conn.media["declared"]
            s.media_attached = conn.media["attached"]
            s.media_missing = conn.media["missing"]
            s.media_batch_id = conn.media_batch
            s.holes = holes
            s.latest_batch_id = conn.last_committed
            s.updated_at = lane.last_at
            (upd_s if s.pk else new_s).append(s)
            ls = lanes.get((conn.pk, conn.method)) or LaneSummary(
                connection_id=conn.pk, method=conn.method
            )
            ls.batches, ls.records, ls.accepted = lane.batches, lane.records, lane.accepted
            ls.earliest_event_at, ls.covered_through = lane.earliest, lane.through
            ls.last_batch_at, ls.last_batch_id, ls.partial_batch_id = (
                lane.last_at,
                lane.last_id,
                lane.partial_id,
            )
            ls.day_counts = dict(sorted(lane.days.items()))
            ls.media_days = sorted(lane.media_days)
            (upd_l if ls.pk else new_l).append(ls)
        CoverageSummary.objects.bulk_create(new_s, batch_size=500)
        LaneSummary.objects.bulk_create(new_l, batch_size=500)
        s_fields = ["record_count", "earliest_event_at", "covered_through", "media_declared", "media_attached",
                    "media_missing", "media_batch", "holes", "latest_batch", "updated_at"]  # fmt: skip
        l_fields = ["batches", "records", "accepted", "earliest_event_at", "covered_through", "last_batch_at",
                    "last_batch", "partial_batch", "day_counts", "media_days"]  # fmt: skip
        if upd_s:
            CoverageSummary.objects.bulk_update(upd_s, s_fields, batch_size=200)
        if upd_l:
            LaneSummary.objects.bulk_update(upd_l, l_fields, batch_size=100)
