"""An iCalendar feed fetched on a schedule (provider_api)."""

from __future__ import annotations

from datetime import timedelta

from .manifest import AcquisitionPath, Manifest

MANIFEST = Manifest(
    id="ical_feed",
    name="Calendar feed",
    record_noun=("event", "events"),
    summary="A calendar's secret iCal address, fetched on a schedule.",
    paths=(
        AcquisitionPath(
            method="provider_api",
            job="Keep a calendar current from its feed address",
            trigger="scheduled",
            recommended=True,
            needs_credential=True,
            instructions=(
                "In your calendar's settings, copy the secret address in iCal format.",
                "Paste it here; Ownerhub fetches it on the schedule you choose.",
            ),
        ),
    ),
    streams=("events",),
    record_key_rule="event UID and recurrence id",
    expected_refresh=timedelta(days=1),
    recovery="Copy the calendar's secret iCal address again and paste it here.",
)
