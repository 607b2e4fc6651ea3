"""The one projection of a connection's health and coverage (DESIGN.md, projection contract).

``project(evidence, now)`` is pure: evidence rows and a time in, a frozen
``ConnectionHealth`` out. It runs no query and reads no clock, so the same
evidence and ``now`` give the same projection byte for byte. The loader in
``coverage.evidence`` fetches evidence for many connections in a constant
number of queries.

It keeps the two questions apart: ``readiness``, ``schedule`` and ``work``
answer "is the pipe working?"; ``coverage`` answers "what data do I have?".
Coverage facts raise the verdict no higher than ``attention`` unless the
connector declares that gap kind blocking.

The package: ``types`` (evidence in, ``ConnectionHealth`` out), ``facts`` (readiness, work,
schedule, coverage, advisories), ``verdict`` (the state ladder, its words and actions),
``system`` (the dashboard's first line, the worker's health). Owner words come from
``coverage.words``.
"""

from .facts import OVERDUE_GRACE
from .system import project_system, summarize
from .types import (
    BUCKETS,
    Action,
    Advisory,
    ConnectionHealth,
    ConnectionRef,
    Coverage,
    DashboardSummary,
    Evidence,
    FailedImport,
    ImportInFlight,
    Importing,
    Lane,
    LastRun,
    LatestActivity,
    PreviewsWaiting,
    Readiness,
    ReadinessFact,
    ReadinessState,
    Schedule,
    SkippedPulls,
    State,
    SummaryPart,
    SystemHealth,
    Tone,
    Upload,
    Verdict,
    Work,
)
from .verdict import FAILING_AFTER, POST_ACTIONS, TONES, project, source_url

__all__ = [
    "BUCKETS", "FAILING_AFTER", "OVERDUE_GRACE", "POST_ACTIONS", "TONES",
    "Action", "Advisory", "ConnectionHealth", "ConnectionRef", "Coverage", "DashboardSummary", "Evidence",
    "FailedImport", "ImportInFlight", "Importing", "Lane", "LastRun", "LatestActivity", "PreviewsWaiting", "SkippedPulls", "Upload", "Readiness", "ReadinessFact", "ReadinessState",
    "Schedule", "State", "SummaryPart", "SystemHealth", "Tone", "Verdict", "Work",
    "project", "project_system", "source_url", "summarize",
]
