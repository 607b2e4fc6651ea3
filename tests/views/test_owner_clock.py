"""The owner's clock, everywhere (issue 11, section 1): one chat, written 10 to 29 Nov in the owner's
own zone, reads "10 Nov to 29 Nov" on the card, the source page, ``health``, ``health --json``, the
owner API and the receipt, whatever zone the installation runs in, never "9 Nov to 28 Nov".

Each row is a real import (preview, commit, landing) of a WhatsApp export whose times carry no zone,
so they are read in the owner's zone; then every surface is rendered for that owner.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO, StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from connections.models import Condition
from connections.services import add_connection
from connections.tokens import issue_access_token
from coverage.models import AcquisitionBatch
from coverage.pipeline import land_batch, preview_artifact, start_commit
from tests.factories import OwnerProfileFactory

NOW = datetime(2026, 12, 3, 0, 30, tzinfo=UTC)

# owner zone -> (local time of day of every message, the zone's abbreviation, days UTC would wrongly say)
OWNERS = {
    "Pacific/Auckland": ("09:00", "NZDT", ("9 Nov", "28 Nov")),  # 09:00 NZDT is the evening before in UTC
    "America/Los_Angeles": ("20:00", "PST", ("11 Nov", "30 Nov")),  # 20:00 PST is the morning after in UTC
}
INSTALLATIONS = ("Pacific/Kiritimati", "Pacific/Pago_Pago")  # far east (UTC+14) and far west (UTC-11) of UTC
ROWS = [pytest.param((o, i), id=f"owner-{o.split('/')[1]}-installation-{i.split('/')[1]}")
        for o in OWNERS for i in INSTALLATIONS]
SPAN = "10 Nov to 29 Nov 2026"
IMPORTED_ON = {"Pacific/Auckland": "3 Dec 2026", "America/Los_Angeles": "2 Dec 2026"}  # NOW, in each zone


def _chat(at: str) -> bytes:
    lines = [f"{d:02d}/11/2026, {at} - {'Ana' if d % 2 else 'Ben'}: message of the {d}th" for d in range(10, 30)]
    return ("\n".join(lines) + "\n").encode()


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def _wrong_day(text: str, wrong: tuple[str, ...]) -> list[str]:
    return [w for w in wrong if re.search(rf"(?<!\d){w}\b", text)]


@pytest.fixture
def imported(owner, settings, time_machine, request):
    """The chat imported for an owner in ``zone`` on an installation in ``installation``."""
    zone, installation = request.param
    settings.TIME_ZONE = installation
    time_machine.move_to(NOW, tick=False)
    OwnerProfileFactory(owner=owner, time_zone=zone)
    chat = add_connection(owner, "whatsapp", "family-chat", "Family chat")
    preview = preview_artifact(chat, BytesIO(_chat(OWNERS[zone][0])), "WhatsApp Chat with Ana.txt")
    assert preview.count_parsed == 20, preview.reject_detail
    start_commit(preview, enqueue=False)
    batch = land_batch(preview.pk, now=NOW)
    assert batch.status == AcquisitionBatch.Status.COMMITTED
    return zone, chat, batch


def _local_days(item: dict, zone: str) -> tuple[date, date]:
    coverage = item["coverage"]
    for key in ("earliest_event_at", "covered_through"):  # JSON stays ISO 8601 UTC
        assert datetime.fromisoformat(coverage[key]).utcoffset() == timedelta(0), coverage[key]
    first, last = (datetime.fromisoformat(coverage[k]).astimezone(ZoneInfo(zone)).date()
                   for k in ("earliest_event_at", "covered_through"))
    return first, last


@pytest.mark.django_db
@pytest.mark.parametrize("imported", ROWS, indirect=True)
def test_a_chat_reads_the_same_days_on_every_surface(imported, owner, client):
    zone, chat, batch = imported
    _, _, wrong = OWNERS[zone]
    client.force_login(owner)

    for url in ("/", f"/sources/{chat.slug}/card/"):
        text = _text(client.get(url).content.decode())
        assert f"Covers {SPAN}" in text and "Covered through 29 Nov 2026" in text, url
        assert _wrong_day(text, wrong) == [], url
    source = _text(client.get(f"/sources/{chat.slug}/").content.decode())
    assert f"Covers {SPAN}" in source
    assert "Coverage from 10 Nov 2026 to 29 Nov 2026" in source  # the timeline's own days
    cells = [int(d) for d in re.findall(r"(\d+) Nov 2026: \d+ messages?", source)]
    assert sorted(set(cells)) == list(range(10, 30))  # a cell per day the owner wrote on, one message each
    assert f"Export {SPAN}" in source  # the lane

    out = StringIO()
    call_command("health", stdout=out)
    text = out.getvalue()
    assert SPAN in text and "29 Nov 2026" in text
    assert _wrong_day(text, wrong) == []

    out = StringIO()
    call_command("health", "--json", stdout=out)
    (item,) = json.loads(out.getvalue())
    assert item["connection"]["time_zone"] == zone
    assert _local_days(item, zone) == (date(2026, 11, 10), date(2026, 11, 29))
    assert item["latest_receipt"]["time_zone"] == zone

    _, secret = issue_access_token(owner)
    api = client.get("/api/owner/connections", headers={"Authorization": f"Bearer {secret}"}).json()
    assert api == [item]  # the API and health --json are the same JSON
    assert _local_days(api[0], zone) == (date(2026, 11, 10), date(2026, 11, 29))


@pytest.mark.django_db
@pytest.mark.parametrize("imported", ROWS, indirect=True)
def test_a_receipt_names_its_zone_and_shows_no_raw_utc_time(imported, owner, client):
    zone, chat, batch = imported
    at, abbreviation, wrong = OWNERS[zone]
    client.force_login(owner)
    raw = client.get(f"/receipts/{batch.pk}/").content.decode()
    page = _text(raw)
    # An import is named by its date (the owner's) and its file, never by a number (UI.md).
    named = re.search(r"<h1>\s*(.*?)\s*</h1>", raw, re.S).group(1)
    assert named == f"{IMPORTED_ON[zone]} · WhatsApp Chat with Ana.txt"
    source = _text(client.get(f"/sources/{chat.slug}/").content.decode())
    assert f"{IMPORTED_ON[zone]} · WhatsApp Chat with Ana.txt" in source and "Import #" not in source + page
    out = StringIO()
    call_command("receipt", str(batch.pk), stdout=out)
    for text in (page, out.getvalue()):
        assert f"20 new messages from {SPAN}." in text
        assert f"{at} {abbreviation}" in text  # a time of day names its zone
        assert not re.search(r"\d{4}-\d\d-\d\d|\d\d:\d\d UTC", text), text
        assert _wrong_day(text, wrong) == []


@pytest.mark.django_db
@pytest.mark.parametrize("installation", INSTALLATIONS)
def test_a_stopped_worker_is_told_in_the_owners_time_on_the_dashboard_the_cli_and_the_api(
    owner, client, settings, time_machine, installation
):
    settings.TIME_ZONE = installation
    time_machine.move_to(NOW, tick=False)
    OwnerProfileFactory(owner=owner, time_zone="Pacific/Auckland")
    add_connection(owner, "whatsapp", "family-chat", "Family chat")
    Condition.objects.create(connection=None, type=Condition.Type.WORKER_HEARTBEAT, status="ready",
                             observed_at=NOW - timedelta(hours=2))  # 11:30 NZDT on 3 Dec, the owner's today
    said = "The background worker has not reported since today at 11:30 NZDT"

    client.force_login(owner)
    assert said in _text(client.get("/").content.decode())
    out = StringIO()
    call_command("health", stdout=out)
    assert said in out.getvalue()
    _, secret = issue_access_token(owner)
    client.logout()
    system = client.get("/api/owner/system", headers={"Authorization": f"Bearer {secret}"}).json()
    assert system["headline"].startswith(said)
    assert system["worker"]["observed_at"].endswith(("Z", "+00:00"))  # JSON stays UTC
