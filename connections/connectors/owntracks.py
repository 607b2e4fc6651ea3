"""OwnTracks and Overland: a phone pushing its locations (device_sync)."""

from __future__ import annotations

from datetime import timedelta

from .manifest import AcquisitionPath, Manifest

MANIFEST = Manifest(
    id="owntracks",
    name="Phone locations",
    record_noun=("location", "locations"),
    summary="Recent locations pushed by the OwnTracks or Overland app on your phone.",
    paths=(
        AcquisitionPath(
            method="device_sync",
            job="Keep recent locations current from this phone",
            trigger="push",
            recommended=True,
            needs_credential=True,
            instructions=(
                "Install OwnTracks (HTTP mode) or Overland on your phone.",
                "Create a device token on this source's page; it is shown once.",
                "OwnTracks: URL /ingest/owntracks, user name your Ownerhub user, password the token.",
                "Overland: receiver URL /ingest/overland, access token the token.",
            ),
        ),
    ),
    streams=("locations",),
    record_key_rule="time of the fix and its position to about a metre",
    expected_refresh=timedelta(hours=6),
    hole_after=timedelta(days=2),
    recovery="Check the app's URL and token on your phone.",
)
