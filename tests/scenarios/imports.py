"""Scenario rows, part of ``tests.scenarios.SCENARIOS`` (read last): what imports cover
(claims, holes, unreadable lines), failed and waiting imports, refused feeds, media and gaps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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

OLD_2015 = datetime(2015, 3, 3, 18, 30, tzinfo=UTC)

FAILED_IMPORT = {
    "artifact_filename": "WhatsApp Chat with Alice.txt",
    "created_at": NOW - 1 * DAY,
    "failure_reason": "Ownerhub ran into an error while saving this import, 3 times. Nothing from it was saved.",
}

CLOCK_2099 = ("A location dated 1 Jun 2099 at 08:00 UTC arrived on 25 Nov 2026 at 11:00 UTC, more than a day "
              "before that time: the phone's clock may be wrong.")
CLOCK_1970 = "A location dated 2 Jan 1970 at 00:00 UTC is from before 2000: the phone's clock may be wrong."

ROWS: dict[str, tuple[Scenario, dict]] = {
    "complete_claim_only_with_evidence": (
        Scenario(
            "health_export",
            connector="apple_health",
            summary=_summary(NOW - 400 * DAY, NOW - 3 * DAY, count=5000),
            lanes=[_lane("owner_artifact", NOW - 400 * DAY, NOW - 3 * DAY, NOW - 3 * DAY)],
            batch={"event_earliest": NOW - 400 * DAY, "event_latest": NOW - 3 * DAY, "count_parsed": 5000,
                   "count_accepted": 5000, "completeness_claim": "complete"},
        ),
        {"state": "healthy", "coverage.completeness": "complete"},
    ),
    "partial_export_is_attention": (
        Scenario(
            "cut_timeline",
            connector="google_timeline",
            summary=_summary(NOW - 20 * DAY, RECENT),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY, partial_batch_id=7)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "partial": True, "count_parsed": 50,
                   "count_accepted": 50},
        ),
        {"state": "attention", "advisories": ["partial_artifact"], "actions": ["add_artifact"]},
    ),
    "hole_in_coverage_is_attention": (
        Scenario(
            "holey_timeline",
            connector="google_timeline",
            summary=_summary(NOW - 40 * DAY, RECENT,
                             holes=[{"start": "2026-10-20", "end": "2026-10-29", "days": 10}]),
            lanes=[_lane("owner_artifact", NOW - 40 * DAY, RECENT, NOW - 1 * DAY)],
        ),
        {"state": "attention", "advisories": ["coverage_hole"], "actions": ["add_artifact"],
         "coverage.gaps.0.days": 10},
    ),
    "unreadable_lines_invite_review": (
        Scenario(
            "messy_chat",
            summary=_summary(NOW - 20 * DAY, RECENT),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 40,
                   "count_accepted": 40, "count_failed": 2},
        ),
        {"state": "attention", "advisories": ["parser_warning"], "actions": ["review_import"]},
    ),
    "failed_import_offers_try_again": (
        Scenario(
            "retry_chat",
            summary=_summary(NOW - 20 * DAY, RECENT),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 2 * DAY)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 40,
                   "count_accepted": 40},
            failed=FAILED_IMPORT,
        ),
        {"state": "attention", "label": "Needs a look", "tone": "info", "advisories": ["failed_import"],
         "actions": ["retry", "add_artifact"], "actions.0.label": "Try again now", "actions.0.method": "POST",
         "actions.0.urgency": "now",
         "forward_has": "Try again now", "needs_now": True},
    ),
    "first_import_failed_offers_try_again": (
        Scenario("first_chat", failed=FAILED_IMPORT),
        {"state": "setup_required", "label": "Finish setup", "advisories": ["failed_import"],
         "actions": ["retry", "add_artifact"], "actions.0.method": "POST",
         "headline_has": "did not finish", "latest_receipt": None, "needs_now": True},
    ),
    "stale_export_and_missing_media_together": (
        Scenario(
            "old_holiday_chat",
            summary=_summary(OLD_START, OLD, media_declared=5, media_attached=2, media_missing=1, media_omitted=2),
            lanes=[_lane("owner_artifact", OLD_START, OLD, NOW - 10 * DAY)],
            batch={"event_earliest": OLD_START, "event_latest": OLD, "count_parsed": 20, "count_accepted": 20},
        ),
        {"state": "attention", "label": "Needs a refresh", "advisories": ["stale_owner_artifact", "missing_media"],
         "actions": ["add_artifact", "add_media"], "coverage.media.missing": 1,
         "coverage.media.omitted": 2},
    ),
    "first_import_being_saved_does_not_need_you": (
        Scenario(
            "saving_chat",
            importing={"artifact_filename": "WhatsApp Chat with Bob.txt", "created_at": NOW - timedelta(minutes=2),
                       "progress": 1200, "count_parsed": 5000},
        ),
        {"state": "setup_required", "label": "Not measured yet", "tone": "neutral",
         "headline_has": "Saving your import · 1,200 of 5,000 messages",
         "actions": [], "needs_now": False, "work.imports.0.phase": "saving", "work.imports.0.counted": 1200,
         "work.imports.0.total": 5000, "work.imports.0.stalled": False},
    ),
    "phone_holding_old_exports_without_a_token_shows_them_and_suggests_connecting": (
        Scenario(
            "imported_phone",
            connector="owntracks",
            summary=_summary(NOW - 60 * DAY, NOW - 20 * DAY),
            lanes=[_lane("owner_artifact", NOW - 60 * DAY, NOW - 20 * DAY, NOW - 2 * DAY)],
            batch={"source_format": "gpx", "event_earliest": NOW - 60 * DAY, "event_latest": NOW - 20 * DAY,
                   "count_parsed": 120, "count_accepted": 120},
        ),
        {"state": "attention", "label": "Needs a refresh", "headline_has": "Covers",
         "actions": ["connect", "add_artifact"], "actions.0.urgency": "soon", "actions.0.label": "Connect the phone",
         "advisories": ["stale_owner_artifact"], "readiness.credential.state": "missing",
         "readiness.runtime.state": "not_required", "coverage.freshness": "stale", "needs_now": False},
    ),
    "phone_holding_a_recent_export_without_a_token_is_up_to_date_and_suggests_connecting": (
        Scenario(
            "exported_phone",
            connector="owntracks",
            summary=_summary(NOW - 10 * DAY, NOW - timedelta(hours=2)),
            lanes=[_lane("owner_artifact", NOW - 10 * DAY, NOW - timedelta(hours=2), NOW - timedelta(hours=1))],
            batch={"source_format": "gpx", "event_earliest": NOW - 10 * DAY, "event_latest": NOW - timedelta(hours=2),
                   "count_parsed": 120, "count_accepted": 120},
        ),
        {"state": "healthy", "label": "Up to date", "headline_has": "Covers", "actions": ["connect", "add_artifact"],
         "actions.0.urgency": "soon", "forward_has": "Connect the phone", "coverage.freshness": "fresh",
         "needs_now": False},
    ),
    "feed_whose_first_pull_is_running_is_not_measured_yet": (
        Scenario(
            "new_calendar",
            **FEED,
            runs=[{**_run("running", 0.01), "finished_at": None}],
        ),
        {"state": "healthy", "label": "Not measured yet", "tone": "neutral", "headline_has": "Not measured yet",
         "coverage.freshness": "unknown", "needs_now": False},
    ),
    "feed_refused_with_401_waits_for_reconnect_not_overdue": (
        Scenario(
            "locked_calendar",
            **{**FEED, "next_due_at": NOW - timedelta(minutes=30)},
            conditions=[{**_cond("credential", "rejected", 0.1), "reason": "http_401"}, _cond("runtime", "ready", 2)],
            runs=[_run("failure", 2, "credential_rejected"), _run("success", 30)],
            summary=_summary(NOW - 90 * DAY, NOW - 2 * DAY),
            lanes=[_lane("provider_api", NOW - 90 * DAY, NOW - 2 * DAY, NOW - 30 / 24 * DAY)],
            batch={"method": "provider_api", "trigger": "scheduled", "source_format": "ical",
                   "created_at": NOW - 30 / 24 * DAY, "committed_at": NOW - 30 / 24 * DAY,
                   "event_earliest": NOW - 90 * DAY, "event_latest": NOW - 2 * DAY, "count_parsed": 12,
                   "count_accepted": 2},
        ),
        {"state": "failing", "actions": ["reconnect"], "schedule.overdue": False,
         "schedule.text": "Paused until you reconnect", "needs_now": True,
         "latest_activity.text": "Last collection from the feed: 24 Nov 2026"},
    ),
    "paused_export_source_says_uploads_still_work": (
        Scenario(
            "paused_chat",
            policy="paused",
            summary=_summary(NOW - 20 * DAY, RECENT),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 40,
                   "count_accepted": 40},
        ),
        {"state": "paused", "label": "Paused", "actions": ["resume"], "forward_has": "uploads still work",
         "schedule.text": "Paused: uploads still work, reminders stop", "needs_now": False},
    ),
    "refused_feed_counts_the_collections_it_skipped": (
        Scenario(
            "refused_calendar",
            **{**FEED, "next_due_at": NOW + timedelta(minutes=20)},
            conditions=[{**_cond("credential", "rejected", 0.2), "reason": "http_401"}, _cond("runtime", "ready", 2)],
            runs=[{**_run("skipped", 3), "finished_at": NOW - timedelta(minutes=40), "missed": 3,
                   "error_class": "credential_refused"},
                  _run("failure", 4, "credential_rejected"), _run("success", 30)],
            summary=_summary(NOW - 90 * DAY, NOW - 2 * DAY),
            lanes=[_lane("provider_api", NOW - 90 * DAY, NOW - 2 * DAY, NOW - 30 / 24 * DAY)],
        ),
        {"state": "failing", "actions": ["reconnect"], "schedule.text": "Paused until you reconnect",
         "schedule.waits_for": "reconnect", "work.consecutive_failures": 1, "work.last_run.outcome": "failure",
         "work.skipped.count": 3, "work.skipped.reason": "credential_refused",
         "work.skipped.text": "3 collections were skipped while access was refused on 25 Nov 2026", "needs_now": True},
    ),
    "live_phone_sending_points_from_2015_is_not_up_to_date": (
        Scenario(
            "time_travel_phone",
            **PHONE,
            conditions=READY_PHONE,
            summary=_summary(OLD_2015 - 2 * DAY, OLD_2015, count=800),
            lanes=[_lane("device_sync", OLD_2015 - 2 * DAY, OLD_2015, NOW - timedelta(minutes=2), batches=40)],
        ),
        {"state": "degraded", "label": "Having trouble", "coverage.freshness": "stale",
         "coverage.stale_since": OLD_2015 + timedelta(hours=6), "headline_has": "is from 3 Mar 2015",
         "forward_has": "clock may be wrong", "actions": ["check_device"], "needs_now": False},
    ),
    "export_cut_off_mid_file_is_failing_and_keeps_what_was_read": (
        Scenario(
            "cut_health",
            connector="apple_health",  # it declares an export cut off mid-file ("cut_off") blocking
            summary=_summary(NOW - 400 * DAY, NOW - 3 * DAY, count=5000),
            lanes=[_lane("owner_artifact", NOW - 400 * DAY, NOW - 3 * DAY, NOW - 3 * DAY, records=5000)],
            batch={"source_format": "apple_health_zip", "event_earliest": NOW - 400 * DAY,
                   "event_latest": NOW - 3 * DAY, "count_parsed": 5000, "count_accepted": 5000,
                   "warnings": [{"kind": "cut_off", "position": "line 48,210",
                                 "detail": "The export stops in the middle of export.xml; what came before was read."}]},
        ),
        {"state": "failing", "label": "Can't collect", "tone": "critical", "advisories": ["cut_off"],
         "advisories.0.severity": "blocking", "actions": ["add_artifact"], "actions.0.blocking": True,
         "actions.0.urgency": "now", "coverage.record_count": 5000, "forward_has": "What was read is kept",
         "needs_now": True},
    ),
    "media_required_by_the_owner_makes_missing_media_blocking": (
        Scenario(
            "strict_holiday_chat",
            media_required=True,
            summary=_summary(NOW - 20 * DAY, RECENT, media_declared=3, media_attached=2, media_missing=1),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 9, "count_accepted": 9,
                   "media_declared": 3, "media_attached": 2, "media_missing": 1},
        ),
        {"state": "failing", "label": "Can't collect", "advisories": ["missing_media"],
         "advisories.0.severity": "blocking", "actions": ["add_media", "media_optional"],
         "actions.1.method": "POST", "actions.1.label": "Stop requiring every media file", "needs_now": True},
    ),
    "preview_waiting_is_said_on_the_card": (
        Scenario(
            "previewed_chat",
            summary=_summary(NOW - 20 * DAY, RECENT),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 40, "count_accepted": 40},
            preview_at=NOW - timedelta(hours=3),
        ),
        {"state": "healthy", "label": "Up to date", "work.previews.count": 1,
         "work.previews.text": "1 preview waiting for you", "needs_now": False},
    ),
    "first_upload_waiting_as_a_preview_leads_to_it_not_to_another_upload": (
        Scenario("first_previewed_chat", preview_at=NOW - timedelta(hours=3)),
        {"state": "setup_required", "label": "Finish setup", "headline_has": "No messages imported yet",
         "forward_has": "Review the preview", "actions": ["review_preview"], "actions.0.label": "Review the upload",
         "actions.0.url": "/receipts/12/", "actions.0.method": "GET", "actions.0.urgency": "now",
         "work.previews.text": "1 preview waiting for you", "needs_now": True},
    ),
    "first_upload_being_read_says_so_and_asks_nothing": (
        Scenario("first_reading_chat", preview_at=NOW - timedelta(minutes=5), preview_reading=True),
        {"state": "setup_required", "label": "Not measured yet", "headline_has": "No messages imported yet",
         "forward_has": "Your file is being read", "actions": [], "work.previews.text": "1 file being read",
         "needs_now": False},
    ),
    "first_upload_waiting_for_the_stopped_worker_says_it_is_read_once_it_runs": (
        Scenario("first_stuck_chat", preview_at=NOW - timedelta(hours=2), preview_reading=True,
                 worker_seen_at=NOW - timedelta(hours=3)),
        {"state": "setup_required", "label": "Not measured yet",
         "forward_has": "read once the background worker runs again", "actions": [], "needs_now": False},
    ),
    "imports_read_by_an_older_reader_offer_reading_again": (
        Scenario(
            "old_reader_chat",
            summary=_summary(NOW - 20 * DAY, RECENT),
            lanes=[_lane("owner_artifact", NOW - 40 * DAY, RECENT, NOW - 1 * DAY, batches=3)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 40, "count_accepted": 40},
            outdated=2,
        ),
        {"state": "attention", "label": "Needs a look", "advisories": ["outdated_reader"], "actions": ["reread"],
         "actions.0.label": "Read again with the improved reader", "actions.0.method": "GET",
         "actions.0.confirm": "",
         "forward_has": "improved reader", "needs_now": False},
    ),
    "answers_a_later_export_proved_wrong_offer_reading_again": (
        Scenario(
            "answered_chat",
            summary=_summary(NOW - 20 * DAY, RECENT),
            lanes=[_lane("owner_artifact", NOW - 40 * DAY, RECENT, NOW - 1 * DAY, batches=3)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 40, "count_accepted": 40},
            misordered=2,
        ),
        {"state": "attention", "label": "Needs a look", "advisories": ["misordered_dates"], "actions": ["reread"],
         "actions.0.label": "Read again in the right day/month order", "actions.0.method": "GET",
         "forward_has": "right days", "needs_now": False},
    ),
    # Issue 11, section 3 (helper D1): the media refill case, and gaps by one rule.
    "media_refilled_by_a_newer_export_is_up_to_date": (
        Scenario(
            "refilled_chat",
            summary=_summary(NOW - 20 * DAY, RECENT, media_declared=3, media_attached=3),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY, batches=2,
                         day_counts={"2026-11-11T09": 60, "2026-11-29T18": 60}, media_days=[])],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 120,
                   "count_accepted": 0, "media_declared": 3, "media_attached": 3},
        ),
        {"state": "healthy", "advisories": [], "coverage.media.missing": 0, "coverage.media.attached": 3,
         "needs_now": False},
    ),
    "quiet_days_in_a_chat_are_no_gap_even_on_an_old_receipt": (
        Scenario(
            "quiet_chat",
            summary=_summary(NOW - 40 * DAY, RECENT),
            lanes=[_lane("owner_artifact", NOW - 40 * DAY, RECENT, NOW - 1 * DAY)],
            # Imported before the one rule: the batch stored a 10-day "gap" for a chat.
            batch={"event_earliest": NOW - 40 * DAY, "event_latest": RECENT, "count_parsed": 120,
                   "count_accepted": 120, "gaps": [{"start": "2026-11-01", "end": "2026-11-10", "days": 10}]},
        ),
        {"state": "healthy", "advisories": [], "coverage.gaps": (), "latest_receipt.gaps": (), "needs_now": False},
    ),
    "points_a_wrong_phone_clock_dated_are_left_out_and_said": (
        Scenario(
            "clock_phone",
            **PHONE,
            conditions=READY_PHONE,
            summary=_summary(NOW - 10 * DAY, NOW - timedelta(minutes=5)),
            lanes=[_lane("device_sync", NOW - 10 * DAY, NOW - timedelta(minutes=5), NOW - timedelta(minutes=5))],
            batch={"method": "device_sync", "trigger": "push", "source_format": "owntracks_http",
                   "event_earliest": NOW - timedelta(minutes=50), "event_latest": NOW - timedelta(minutes=5),
                   "count_parsed": 3, "count_accepted": 3, "count_failed": 2, "created_at": NOW - timedelta(hours=1),
                   "warnings": [{"kind": "wrong_clock", "position": None, "detail": CLOCK_1970},
                                {"kind": "wrong_clock", "position": None, "detail": CLOCK_2099}]},
        ),
        {"state": "attention", "advisories": ["wrong_clock"], "actions": ["check_device"], "needs_now": False,
         "advisories.0.detail": f"2 locations the phone sent were left out. {CLOCK_2099}",
         "forward_has": "date and time", "latest_receipt.counts.failed": 2},
    ),
    "a_phone_quiet_for_three_days_has_the_same_gap_on_card_and_receipt": (
        Scenario(
            "quiet_phone",
            **PHONE,
            conditions=READY_PHONE,
            summary=_summary(NOW - 10 * DAY, NOW - timedelta(minutes=5),
                             holes=[{"start": "2026-11-24", "end": "2026-11-26", "days": 3}]),
            lanes=[_lane("device_sync", NOW - 10 * DAY, NOW - timedelta(minutes=5), NOW - timedelta(minutes=5))],
            batch={"method": "device_sync", "source_format": "owntracks_http", "event_earliest": NOW - 10 * DAY,
                   "event_latest": NOW - timedelta(minutes=5), "count_parsed": 900, "count_accepted": 900,
                   "gaps": [{"start": "2026-11-24", "end": "2026-11-26", "days": 3}]},
        ),
        {"state": "attention", "advisories": ["coverage_hole"], "coverage.gaps.0.days": 3,
         "latest_receipt.gaps.0.days": 3, "latest_activity.text": "Last push from the phone: 15 Nov 2026",
         "coverage.gaps.0.start": "2026-11-24", "latest_receipt.gaps.0.start": "2026-11-24"},
    ),
}
