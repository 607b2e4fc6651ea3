"""Ana moves from Berlin to India (+05:30) and Nepal (+05:45): the strip's days agree with the day pages.

The summaries counted her records per UTC hour while she lived in Berlin. An hour of 18:00–19:00 UTC
is 23:30–00:30 in India: after the move the strip put a message of 00:10 on the day before, while the
day page, which reads the records, put it on its own day. Moving to a zone that is not whole hours from
UTC counts her summaries again in quarter hours (``pipeline.zone_slots``).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from io import BytesIO

import pytest

from connections.services import add_connection
from coverage.pipeline import land_batch, preview_artifact, start_commit
from tests.factories import OwnerProfileFactory

pytestmark = pytest.mark.django_db

# Written in Berlin (UTC+1 in March): 18:10 UTC and 18:40 UTC, and 18:50 UTC the next evening.
CHAT = (
    b"05/03/2024, 19:10 - Ana: late in the evening\n"
    b"05/03/2024, 19:40 - Ana: past midnight in India\n"
    b"06/03/2024, 19:50 - Ana: past midnight in Nepal\n"
    b"13/03/2024, 09:00 - Ben: a day above 12 shows the day comes first\n"
)


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


@pytest.mark.parametrize(("zone", "per_day"), [
    ("Asia/Kolkata", {"5 Mar 2024": 1, "6 Mar 2024": 1, "7 Mar 2024": 1, "13 Mar 2024": 1}),  # 23:40, 00:10, 00:20 IST
    ("Asia/Kathmandu", {"5 Mar 2024": 1, "6 Mar 2024": 1, "7 Mar 2024": 1, "13 Mar 2024": 1}),  # 23:55, 00:25, 00:35
    ("Asia/Dubai", {"5 Mar 2024": 2, "6 Mar 2024": 1, "13 Mar 2024": 1}),  # 22:10, 22:40, 22:50: hours suffice
])
def test_the_strip_counts_each_day_as_the_day_pages_do_after_a_move(owner, owner_client, zone, per_day):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    chat = add_connection(owner, "whatsapp", "family-chat", "Family chat")
    preview = preview_artifact(chat, BytesIO(CHAT), "WhatsApp Chat with Ana.txt")
    start_commit(preview, enqueue=False)
    land_batch(preview.pk)
    held = sorted(chat.records.values_list("event_at", flat=True))
    assert held[1] == datetime(2024, 3, 5, 18, 40, tzinfo=UTC)

    owner_client.post("/settings/time-zone/", {"time_zone": zone})

    source = _text(owner_client.get("/sources/family-chat/"))
    strip = {day: int(n) for day, n in re.findall(r"(\d+ Mar 2024): (\d+) messages?", source) if int(n)}
    assert strip == per_day
    for day, n in per_day.items():
        iso = datetime.strptime(day, "%d %b %Y").date().isoformat()
        page = _text(owner_client.get(f"/sources/family-chat/days/{iso}/"))
        assert sum(text in page for text in ("a day above 12 shows",
            "late in the evening", "past midnight in India", "past midnight in Nepal")) == n

