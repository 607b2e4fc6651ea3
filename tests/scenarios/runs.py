"""Scenario rows, part of ``tests.scenarios.SCENARIOS`` (read second): paused sources, runs
that fail, stale schedules, silent phones, readiness and fresh sources.
"""

from __future__ import annotations

from datetime import timedelta

from tests.scenario_kit import (
    DAY,
    FEED,
    NOW,
    PHONE,
    READY_FEED,
    READY_PHONE,
    Scenario,
    _cond,
    _lane,
    _run,
    _summary,
)

REFUSED_MESSAGE = "2 unreadable pushes this hour; the last: The body is not JSON."


def _push_run(outcome, hours_ago, error_class="", message="") -> dict:
    """A run that counts a phone's pushes (``connections.ingest``): refused ones, or the readable push after them."""
    return {**_run(outcome, hours_ago, error_class), "trigger": "push", "message": message}


ROWS: dict[str, tuple[Scenario, dict]] = {
    "paused_even_when_stale_is_paused_with_resume": (
        Scenario(
            "old_calendar",
            **{**FEED, "policy": "paused"},
            conditions=[_cond("credential", "ready", 60)],
            runs=[_run("success", 60 * 24)],
            summary=_summary(NOW - 200 * DAY, NOW - 60 * DAY),
            lanes=[_lane("provider_api", NOW - 200 * DAY, NOW - 60 * DAY, NOW - 60 * DAY)],
        ),
        {"state": "paused", "label": "Paused", "tone": "neutral", "actions": ["resume"], "needs_now": False},
    ),
    "one_failed_run_after_success_is_degraded": (
        Scenario(
            "team_calendar",
            **FEED,
            conditions=READY_FEED,
            runs=[_run("failure", 0.5, "http_503"), _run("success", 1.5)],
            summary=_summary(NOW - 90 * DAY, NOW - 1 * DAY),
            lanes=[_lane("provider_api", NOW - 90 * DAY, NOW - 1 * DAY, NOW - 1.5 / 24 * DAY)],
        ),
        {"state": "degraded", "label": "Having trouble", "tone": "warning", "actions": ["retry"],
         "work.consecutive_failures": 1, "needs_now": False},
    ),
    "three_failed_runs_in_a_row_are_failing": (
        Scenario(
            "flaky_calendar",
            **FEED,
            conditions=READY_FEED,
            runs=[_run("failure", 0.5, "http_500"), _run("failure", 1.5, "http_500"),
                  _run("failure", 2.5, "timeout"), _run("success", 3.5)],
            summary=_summary(NOW - 90 * DAY, NOW - 1 * DAY),
            lanes=[_lane("provider_api", NOW - 90 * DAY, NOW - 1 * DAY, NOW - 3.5 / 24 * DAY)],
        ),
        {"state": "failing", "actions": ["retry"], "work.consecutive_failures": 3, "needs_now": True},
    ),
    "stale_scheduled_source_is_degraded": (
        Scenario(
            "quiet_calendar",
            **{**FEED, "next_due_at": NOW - 3 * DAY},
            conditions=[_cond("credential", "ready", 3), _cond("runtime", "ready", 3)],
            runs=[_run("success", 72)],
            summary=_summary(NOW - 90 * DAY, NOW - 3 * DAY),
            lanes=[_lane("provider_api", NOW - 90 * DAY, NOW - 3 * DAY, NOW - 3 * DAY)],
        ),
        {"state": "degraded", "coverage.freshness": "stale", "schedule.overdue": True, "advisories": []},
    ),
    "silent_phone_is_degraded_not_failing": (
        Scenario(
            "silent_phone",
            **PHONE,
            conditions=[_cond("credential", "ready", 1), _cond("runtime", "ready", 1)],
            summary=_summary(NOW - 30 * DAY, NOW - 1 * DAY),
            lanes=[_lane("device_sync", NOW - 30 * DAY, NOW - 1 * DAY, NOW - 1 * DAY, batches=700)],
        ),
        {"state": "degraded", "actions": ["check_device"], "advisories": [], "coverage.freshness": "stale",
         "headline_has": "has not reported since"},
    ),
    "never_probed_readiness_stays_unknown": (
        Scenario(
            "new_phone",
            **PHONE,
            summary=_summary(NOW - 1 * DAY, NOW - timedelta(minutes=5)),
            lanes=[_lane("device_sync", NOW - 1 * DAY, NOW - timedelta(minutes=5), NOW - timedelta(minutes=5))],
        ),
        {"state": "healthy", "label": "Not measured yet", "tone": "neutral", "readiness.credential.state": "unknown",
         "readiness.runtime.state": "unknown", "headline_has": "not measured yet"},
    ),
    "no_evidence_at_all_is_setup_required": (
        Scenario("empty_chat"),
        {"state": "setup_required", "coverage.freshness": "unknown", "actions": ["add_artifact"],
         "latest_receipt": None, "needs_now": True},
    ),
    "expired_or_superseded_conditions_do_not_drive_the_verdict": (
        Scenario(
            "recovered_calendar",
            **FEED,
            conditions=[
                _cond("credential", "rejected", 5, expires_at=NOW - 4 * DAY),
                _cond("credential", "rejected", 3, superseded_at=NOW - 2 * DAY),
                _cond("runtime", "unavailable", 3, superseded_at=NOW - 2 * DAY),
                *READY_FEED,
            ],
            runs=[_run("success", 0.5)],
            summary=_summary(NOW - 90 * DAY, NOW - 1 * DAY),
            lanes=[_lane("provider_api", NOW - 90 * DAY, NOW - 1 * DAY, NOW - 0.5 / 24 * DAY)],
        ),
        {"state": "healthy", "label": "Up to date", "readiness.credential.state": "ready", "actions": []},
    ),
    "fresh_feed_with_successful_run_is_healthy": (
        Scenario(
            "home_calendar",
            **FEED,
            conditions=READY_FEED,
            runs=[_run("success", 0.2), _run("not_modified", 1.2)],
            summary=_summary(NOW - 90 * DAY, NOW - 0.5 * DAY),
            lanes=[_lane("provider_api", NOW - 90 * DAY, NOW - 0.5 * DAY, NOW - 0.2 / 24 * DAY)],
        ),
        {"state": "healthy", "label": "Up to date", "tone": "ok", "coverage.freshness": "fresh",
         "coverage.completeness": "observed", "forward_has": "Next collection", "needs_now": False},
    ),
    "a_refused_push_after_a_good_one_says_so_with_the_reason": (
        Scenario(
            "refused_phone",
            **PHONE,
            conditions=READY_PHONE,
            # Newest first: readable pushes closed the hour's first refusal; the last push was refused again.
            runs=[_push_run("failure", 0.1, "bad_payload:not_json", REFUSED_MESSAGE),
                  _push_run("success", 0.3, message="The phone's pushes are readable again."),
                  _push_run("failure", 0.5, "bad_payload:not_json", REFUSED_MESSAGE)],
            summary=_summary(NOW - 30 * DAY, NOW - timedelta(minutes=20)),
            lanes=[_lane("device_sync", NOW - 30 * DAY, NOW - timedelta(minutes=20), NOW - timedelta(minutes=20))],
            batch={"method": "device_sync", "trigger": "push", "source_format": "owntracks_http",
                   "event_earliest": NOW - 30 * DAY, "event_latest": NOW - timedelta(minutes=20),
                   "count_parsed": 40, "count_accepted": 40, "created_at": NOW - timedelta(minutes=50)},
        ),
        {"state": "degraded", "label": "Having trouble", "actions": ["check_device"], "needs_now": False,
         "headline_has": "The phone's last push was refused on 25 Nov 2026", "forward_has": "next push",
         "work.consecutive_failures": 1, "work.last_run.outcome": "failure",
         "work.last_failure_at": NOW - timedelta(hours=0.1) + timedelta(seconds=3),
         "latest_activity.outcome": "rejected", "latest_activity.batch_id": None,
         "latest_activity.text": f"Last push from the phone, 25 Nov 2026, was refused: {REFUSED_MESSAGE}"},
    ),
    "pushes_refused_three_hours_running_are_failing_with_check_the_phone": (
        Scenario(
            "garbled_phone",
            **PHONE,
            conditions=READY_PHONE,
            runs=[_push_run("failure", hours, "bad_payload:no_locations", "1 unreadable push this hour; the last: "
                            'Expected {"locations": [GeoJSON features]}.') for hours in (0.2, 1.2, 2.2)],
            summary=_summary(NOW - 30 * DAY, NOW - 1 * DAY),
            lanes=[_lane("device_sync", NOW - 30 * DAY, NOW - 1 * DAY, NOW - 1 * DAY)],
        ),
        {"state": "failing", "actions": ["check_device"], "needs_now": True,
         "headline_has": "The phone's pushes keep being refused", "work.consecutive_failures": 3,
         "latest_activity.outcome": "rejected"},
    ),
    "fresh_phone_is_healthy": (
        Scenario(
            "pocket_phone",
            **PHONE,
            conditions=READY_PHONE,
            summary=_summary(NOW - 30 * DAY, NOW - timedelta(minutes=3)),
            lanes=[_lane("device_sync", NOW - 30 * DAY, NOW - timedelta(minutes=3), NOW - timedelta(minutes=3))],
        ),
        {"state": "healthy", "label": "Up to date", "actions": []},
    ),
}
