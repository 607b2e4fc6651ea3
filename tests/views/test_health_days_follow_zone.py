"""A Health export's daily activity summaries stay on their own day when the owner moves.

An ``<ActivitySummary dateComponents="2024-01-15">`` names a calendar day, not an instant. It
stands at noon of its day in the owner's zone (``base.day_instant``); no single instant could
stand on one date everywhere (Pago Pago, UTC-11, and Kiritimati, UTC+14, are 25 hours apart).
So a Health export is one of the sources a zone change reads again (``connections.zoneless``),
as chats are: Ana imports her export in one zone, moves, and the settings page's offer reads
it again; each summary is then on its own day in her new zone. Before, Health was never
offered, and a move of more than 12 hours showed every summary a day late.

Her samples, workouts and routes carry their own offset and never move: an export without day
summaries is not read again, and the page says why.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from connections.services import add_connection
from coverage.models import AcquisitionBatch
from coverage.pipeline import preview_artifact, start_commit
from tests.factories import OwnerProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
STEPS = (
    '<Record type="HKQuantityTypeIdentifierStepCount" sourceName="Ana’s iPhone" unit="count" '
    'startDate="2024-01-15 09:00:00 +0100" endDate="2024-01-15 09:10:00 +0100" value="120"/>\n'
)
SUMMARIES = (
    # Auckland keeps summer time (UTC+13) in January, and winter time (UTC+12) in July.
    '<ActivitySummary dateComponents="2024-01-15" activeEnergyBurned="512" activeEnergyBurnedUnit="Cal" '
    'appleExerciseTime="38" appleStandHours="11"/>\n'
    '<ActivitySummary dateComponents="2024-07-15" activeEnergyBurned="300" activeEnergyBurnedUnit="Cal" '
    'appleExerciseTime="60" appleStandHours="9"/>\n'
)


def _zip(xml: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml", HEAD + xml + "</HealthData>\n")
    return out.getvalue()


def _import(health, xml: str) -> AcquisitionBatch:
    batch = start_commit(preview_artifact(health, io.BytesIO(_zip(xml)), "export.zip"))
    batch.refresh_from_db()
    assert batch.status == AcquisitionBatch.Status.COMMITTED, batch.reject_detail
    return batch


def _text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def _summary_days(health, zone: str) -> list[tuple[str, str]]:
    """(its own date, the owner's day it stands on) of each day summary the source holds."""
    rows = health.records.visible().filter(stream="activity_summaries").order_by("payload__date")
    return [(r.payload["date"], r.event_at.astimezone(ZoneInfo(zone)).date().isoformat()) for r in rows]


@pytest.mark.parametrize(("read_in", "moved_to"), [
    ("Europe/Berlin", "UTC"),
    ("Europe/Berlin", "Pacific/Kiritimati"),  # UTC+14: noon in Berlin is the next day there
    ("Europe/Berlin", "Pacific/Pago_Pago"),  # UTC-11
    ("Europe/Berlin", "Pacific/Auckland"),  # UTC+13 in January (summer time), +12 in July
    ("Pacific/Kiritimati", "Pacific/Pago_Pago"),  # 25 hours west: no instant is on one date in both
    ("Pacific/Pago_Pago", "Pacific/Kiritimati"),
])
def test_day_summaries_stay_on_their_day_after_the_owner_moves(owner, owner_client, read_in, moved_to):
    OwnerProfileFactory(owner=owner, time_zone=read_in)
    health = add_connection(owner, "apple_health", "health", "Health")
    _import(health, STEPS + SUMMARIES)
    steps_at = health.records.get(stream="samples").event_at

    owner_client.post("/settings/time-zone/", {"time_zone": moved_to})
    page = _text(owner_client, "/reread/zone/")
    if read_in != moved_to:
        assert f"Read your Health exports again in {moved_to}?" in page
        assert "Health exports name each daily activity summary by its day alone" in page
    owner_client.post("/reread/zone/")

    assert _summary_days(health, moved_to) == [("2024-01-15", "2024-01-15"), ("2024-07-15", "2024-07-15")]
    assert "All day 512 Cal 38 11" in _text(owner_client, "/sources/health/days/2024-01-15/")
    assert "512 Cal" not in _text(owner_client, "/sources/health/days/2024-01-16/")
    assert "512 Cal" not in _text(owner_client, "/sources/health/days/2024-01-14/")
    assert health.records.get(stream="samples").event_at == steps_at  # a sample's own offset: never moved


def test_reread_with_a_zone_reads_a_health_export_again(owner):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    health = add_connection(owner, "apple_health", "health", "Health")
    _import(health, SUMMARIES)

    out = io.StringIO()
    call_command("reread", connection="health", zone="Pacific/Kiritimati", stdout=out)

    assert "moved to Pacific/Kiritimati time" in out.getvalue()
    assert _summary_days(health, "Pacific/Kiritimati") == [("2024-01-15", "2024-01-15"), ("2024-07-15", "2024-07-15")]


def test_a_health_export_without_day_summaries_is_not_read_again_and_the_page_says_why(owner, owner_client):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    health = add_connection(owner, "apple_health", "health", "Health")
    batch = _import(health, STEPS)
    steps_at = health.records.get(stream="samples").event_at

    owner_client.post("/settings/time-zone/", {"time_zone": "Pacific/Kiritimati"})
    page = _text(owner_client, "/reread/zone/")
    owner_client.post("/reread/zone/")

    assert "Nothing to read again" in page
    assert "Health samples, workouts and routes carry their own time, so a zone change never moves them." in page
    assert AcquisitionBatch.objects.filter(trigger="reread").count() == 0
    batch.refresh_from_db()
    assert "superseded_by" not in (batch.options or {})
    assert health.records.get(stream="samples").event_at == steps_at


def test_a_health_preview_waiting_when_the_owner_moves_is_read_again_before_it_imports(owner, owner_client):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    health = add_connection(owner, "apple_health", "health", "Health")
    preview = preview_artifact(health, io.BytesIO(_zip(STEPS + SUMMARIES)), "export.zip")
    owner_client.post("/settings/time-zone/", {"time_zone": "Pacific/Kiritimati"})

    page = _text(owner_client, f"/receipts/{preview.pk}/")
    assert "This file's daily activity summaries carry no time zone. This preview read them in Europe/Berlin" in page
    owner_client.post(f"/receipts/{preview.pk}/import/")
    assert not health.records.exists()  # refused: it would land the summaries on the wrong days

    owner_client.post(f"/receipts/{preview.pk}/read-again/")
    owner_client.post(f"/receipts/{preview.pk}/import/")
    assert _summary_days(health, "Pacific/Kiritimati") == [("2024-01-15", "2024-01-15"), ("2024-07-15", "2024-07-15")]
