"""The CLI's receipt names the earlier imports that already hold a file's records as the receipt page
does, by their day and file in the owner's zone, with its number (as the first line and ``receipt`` name an import) after it
(before: "Held 15 already imported by import 61", a number only)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from connections.models import OwnerProfile
from tests.factories import BatchFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("committed_at", "filename", "named"),
    [
        # 23:30 UTC on 5 Dec is 6 Dec in Auckland: the owner's day, not the server's
        (datetime(2026, 12, 5, 23, 30, tzinfo=UTC), "WhatsApp Chat with Ana.zip",
         "the import of 6 Dec 2026 · WhatsApp Chat with Ana.zip"),
        (datetime(2026, 12, 5, 9, 0, tzinfo=UTC), "", "the import of 5 Dec 2026"),
        (None, "", "an earlier import"),
    ],
)
def test_a_reimports_held_records_name_the_import_that_holds_them(owner, chat, committed_at, filename, named):
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "Pacific/Auckland"})
    earlier = BatchFactory(connection=chat, artifact_filename=filename)
    again = BatchFactory(connection=chat, count_parsed=20, count_accepted=5, count_duplicate=15, duplicate_sources=[
        {"batch_id": earlier.pk, "count": 15, "filename": filename,
         "committed_at": committed_at.isoformat() if committed_at else None}])
    out = io.StringIO()
    call_command("receipt", str(again.pk), stdout=out)
    held = [line for line in out.getvalue().splitlines() if line.startswith("Held")]
    assert held == [f"Held     15 already in {named} (import {earlier.pk})"]
