"""Scenario rows, part of ``tests.scenarios.SCENARIOS`` (read first): exports, muting,
pausing, media, duplicates, declared gaps and credentials.
"""

from __future__ import annotations

from datetime import timedelta

from tests.scenario_kit import (
    DAY,
    FEED,
    NOW,
    OLD,
    OLD_START,
    PHONE,
    READY_PHONE,
    RECENT,
    Scenario,
    _cond,
    _lane,
    _run,
    _summary,
)

ROWS: dict[str, tuple[Scenario, dict]] = {
    "old_export_is_attention_with_reexport": (
        Scenario(
            "family_chat",
            summary=_summary(OLD_START, OLD),
            lanes=[_lane("owner_artifact", OLD_START, OLD, NOW - 10 * DAY)],
            batch={"event_earliest": OLD_START, "event_latest": OLD, "count_parsed": 20, "count_accepted": 20},
        ),
        {
            "state": "attention",
            "label": "Needs a refresh",
            "tone": "info",
            "actions": ["add_artifact"],
            "advisories": ["stale_owner_artifact"],
            "coverage.covered_through": OLD,
            "coverage.freshness": "stale",
            "coverage.stale_since": OLD + timedelta(days=30),
            "needs_now": False,
        },
    ),
    "export_source_offers_mute_reminders_not_pause": (
        Scenario(
            "book_club_chat",
            summary=_summary(OLD_START, OLD),
            lanes=[_lane("owner_artifact", OLD_START, OLD, NOW - 10 * DAY)],
            batch={"event_earliest": OLD_START, "event_latest": OLD, "count_parsed": 20, "count_accepted": 20},
        ),
        {"state": "attention", "actions": ["add_artifact"], "manage": ["mute"]},
    ),
    "muted_export_source_still_shows_it_is_stale": (
        Scenario(
            "muted_chat",
            reminders_muted=True,
            summary=_summary(OLD_START, OLD),
            lanes=[_lane("owner_artifact", OLD_START, OLD, NOW - 10 * DAY)],
            batch={"event_earliest": OLD_START, "event_latest": OLD, "count_parsed": 20, "count_accepted": 20},
        ),
        {"state": "attention", "label": "Needs a refresh", "advisories": ["stale_owner_artifact"],
         "coverage.freshness": "stale", "actions": ["add_artifact"], "manage": ["unmute"]},
    ),
    "collected_sources_offer_pause": (
        Scenario(
            "walking_phone",
            **PHONE,
            conditions=READY_PHONE,
            summary=_summary(NOW - 30 * DAY, NOW - timedelta(minutes=3)),
            lanes=[_lane("device_sync", NOW - 30 * DAY, NOW - timedelta(minutes=3), NOW - timedelta(minutes=3))],
        ),
        {"state": "healthy", "actions": [], "manage": ["pause"]},
    ),
    "missing_media_is_attention_with_add_media": (
        Scenario(
            "holiday_chat",
            summary=_summary(NOW - 20 * DAY, RECENT, media_declared=3, media_attached=2, media_missing=1),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 9, "count_accepted": 9,
                   "media_declared": 3, "media_attached": 2, "media_missing": 1},
        ),
        {
            "state": "attention",
            "label": "Media missing",
            "actions": ["add_media"],
            "advisories": ["missing_media"],
            "coverage.media.missing": 1,
            "readiness.runtime.state": "not_required",
            "work.consecutive_failures": 0,
            "needs_now": False,
        },
    ),
    "missing_workout_routes_say_routes": (  # a Health export's missing files are routes, not media (tester, session 20)
        Scenario(
            "health",
            connector="apple_health",
            summary=_summary(NOW - 20 * DAY, RECENT, media_declared=2, media_attached=1, media_missing=1),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 9, "count_accepted": 9,
                   "media_declared": 2, "media_attached": 1, "media_missing": 1},
        ),
        {
            "state": "attention",
            "label": "Routes missing",
            "actions": ["add_media"],
            "actions.0.label": "Add the missing routes",
            "advisories": ["missing_media"],
            "advisories.0.detail": "1 of 2 workout routes was not included.",
            "forward_has": "Upload the whole export.zip from the Health app",
        },
    ),
    "duplicate_upload_leaves_no_advisory": (
        Scenario(
            "chat_uploaded_twice",
            summary=_summary(NOW - 20 * DAY, RECENT),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY, batches=1)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 120,
                   "count_accepted": 120, "artifact_filename": "WhatsApp Chat with Eve.txt"},
            duplicate_upload_at=NOW - 1 * DAY,
        ),
        {"state": "healthy", "label": "Up to date", "advisories": [], "actions": ["add_artifact"],
         "needs_now": False, "latest_activity.outcome": "duplicate",
         "latest_activity.text": "Last upload, 24 Nov 2026 · WhatsApp Chat with Eve.txt, was already imported "
                                 "(15 Nov 2026 · WhatsApp Chat with Eve.txt): nothing new"},
    ),
    "blocking_gap_declared_by_connector_is_failing": (
        Scenario(
            "strict_chat",
            connector="strict_chat",
            summary=_summary(NOW - 20 * DAY, RECENT, media_declared=3, media_attached=2, media_missing=1),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 9, "count_accepted": 9},
        ),
        {"state": "failing", "label": "Can't collect", "tone": "critical", "actions": ["add_media"],
         "advisories": ["missing_media"], "advisories.0.severity": "blocking", "actions.0.blocking": True,
         "actions.0.urgency": "now", "needs_now": True},
    ),
    "credential_rejected_is_failing_with_reconnect": (
        Scenario(
            "work_calendar",
            **FEED,
            conditions=[_cond("credential", "rejected", 1), _cond("runtime", "ready", 2)],
            runs=[_run("failure", 24, "http_401"), _run("success", 30)],
            summary=_summary(NOW - 90 * DAY, NOW - 2 * DAY),
            lanes=[_lane("provider_api", NOW - 90 * DAY, NOW - 2 * DAY, NOW - 30 / 24 * DAY)],
        ),
        {"state": "failing", "actions": ["reconnect"], "readiness.credential.state": "rejected",
         "actions.0.urgency": "now", "needs_now": True},
    ),
    "credential_never_captured_is_setup_required": (
        Scenario("my_phone", connector="owntracks"),
        {"state": "setup_required", "label": "Finish setup", "readiness.credential.state": "missing",
         "actions": ["connect"], "coverage.freshness": "unknown"},
    ),
}
