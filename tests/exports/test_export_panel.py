"""What the settings page's export panel says about the owner's newest export, in each of its states.

Table-driven from ``ExportFactory`` rows: the panel reads the newest export only, and an export
whose day is over says so (its file is let go) instead of offering a dead link.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from exports.models import Export
from tests.factories import ExportFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MADE = NOW - timedelta(hours=3)

PANELS = [
    # (scenario, the export's fields, what the panel says, polls while the worker builds)
    ("waiting for the worker", {"status": Export.Status.QUEUED}, "Your export is waiting for the worker.", True),
    ("being built", {"status": Export.Status.BUILDING, "done": 40, "total": 160}, "Preparing your export: 25%.", True),
    ("ready", {"status": Export.Status.READY, "finished_at": MADE, "expires_at": NOW + timedelta(hours=21),
               "file_name": "exports/all.zip", "bytes": 5 * 1024**2 + 512 * 1024},
     "Your export is ready (5.5 MB, made", False),
    ("over its day", {"status": Export.Status.READY, "finished_at": MADE - timedelta(days=1),
                      "expires_at": NOW - timedelta(hours=3), "file_name": "exports/old.zip", "bytes": 2048},
     "has expired.", False),
    ("could not be finished", {"status": Export.Status.FAILED, "error": "disk full"},
     "Your last export could not be finished. Nothing was lost; try again.", False),
]


@pytest.mark.parametrize(("fields", "says", "polls"), [row[1:] for row in PANELS], ids=[row[0] for row in PANELS])
def test_the_export_panel_tells_the_newest_export_as_it_stands(owner, owner_client, time_machine, fields, says, polls):
    time_machine.move_to(NOW, tick=False)
    ExportFactory(owner=owner, created_at=MADE - timedelta(days=3), status=Export.Status.FAILED)  # an older one
    newest = ExportFactory(owner=owner, created_at=MADE, **fields)

    panel = owner_client.get("/settings/export/").content.decode()

    assert says in panel
    assert ("every 2s" in panel) is polls
    assert (f"/exports/{newest.token}/download/" in panel) is (fields.get("expires_at", NOW) > NOW)
    assert "disk full" not in panel  # the operator's reason is not the owner's sentence


def test_an_expired_export_lets_its_file_go_but_keeps_saying_it_expired(owner, owner_client, time_machine):
    time_machine.move_to(NOW, tick=False)
    old = ExportFactory(owner=owner, status=Export.Status.READY, finished_at=MADE, expires_at=NOW,
                        file_name="exports/gone.zip")

    assert "has expired." in owner_client.get("/settings/export/").content.decode()

    old.refresh_from_db()
    assert old.file_name == "" and old.status == Export.Status.READY
