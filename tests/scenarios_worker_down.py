"""Scenario rows with the background worker down.

The worker's heartbeat is one row for the whole installation, so these rows are saved on their own
(``tests/coverage/test_worker_down.py``), never beside the rows of ``tests.scenarios``. Missed pulls
are a system fact: cards stay as they were and say their next pull waits for the worker.
"""

from __future__ import annotations

from datetime import timedelta

from tests.scenario_kit import DAY, FEED, NOW, RECENT, Scenario, _cond, _lane, _run, _summary

__all__ = ["NOW", "WORKER_DOWN"]
HOUR = timedelta(hours=1)

WORKER_DOWN: dict[str, tuple[Scenario, dict]] = {
    "fresh_feed_stays_up_to_date_while_the_worker_is_down": (
        Scenario(
            "steady_calendar",
            **{**FEED, "next_due_at": NOW - 23 * HOUR},
            conditions=[_cond("credential", "ready", 1.5), _cond("runtime", "ready", 1.5)],
            runs=[_run("success", 36)],
            summary=_summary(NOW - 90 * DAY, NOW - 2 * DAY),
            lanes=[_lane("provider_api", NOW - 90 * DAY, NOW - 2 * DAY, NOW - 1.5 * DAY)],
            worker_seen_at=NOW - 1 * DAY,
        ),
        {"state": "healthy", "label": "Up to date", "tone": "ok", "advisories": [], "actions": [],
         "coverage.freshness": "fresh", "schedule.waits_for": "worker", "schedule.overdue": False,
         "schedule.text": "Every hour; the next collection waits for the background worker",
         "forward_has": "waits for the background worker", "needs_now": False},
    ),
    "failing_feed_waits_for_the_worker_to_try_again": (
        Scenario(
            "wobbly_calendar",
            **{**FEED, "next_due_at": NOW - 20 * HOUR},
            conditions=[_cond("credential", "ready", 1.5), _cond("runtime", "ready", 1.5)],
            runs=[_run("failure", 26, "http_503"), _run("success", 30)],
            summary=_summary(NOW - 90 * DAY, NOW - 2 * DAY),
            lanes=[_lane("provider_api", NOW - 90 * DAY, NOW - 2 * DAY, NOW - 30 * HOUR)],
            worker_seen_at=NOW - 1 * DAY,
        ),
        {"state": "degraded", "label": "Having trouble", "actions": ["retry"], "work.consecutive_failures": 1,
         "schedule.waits_for": "worker", "forward_has": "once the background worker is back", "needs_now": False},
    ),
    "import_saved_while_the_worker_is_down_is_stalled": (
        Scenario(
            "stalled_chat",
            summary=_summary(NOW - 20 * DAY, RECENT),
            lanes=[_lane("owner_artifact", NOW - 20 * DAY, RECENT, NOW - 1 * DAY)],
            batch={"event_earliest": NOW - 20 * DAY, "event_latest": RECENT, "count_parsed": 40,
                   "count_accepted": 40},
            importing={"artifact_filename": "WhatsApp Chat with Bob.txt", "created_at": NOW - 20 * HOUR,
                       "progress": 1200, "count_parsed": 5000},
            worker_seen_at=NOW - 1 * DAY,
        ),
        {"state": "healthy", "label": "Up to date", "work.imports.0.stalled": True,
         "work.imports.0.text": "Saving your import · 1,200 of 5,000 messages; it waits for the background worker",
         "needs_now": False},
    ),
}
