"""Timeline days are the owner's days, exactly (issue 11, section 1: days are counted in the owner's
zone). A message at 23:30 and one at 00:30 local sit on two different days, however far the owner's
zone is from UTC: the summaries keep counts per UTC hour (per quarter hour for zones such as +05:45),
and the loader buckets them into the owner's days.

The chats go through the real pipeline (preview, commit, landing) and the source page is rendered.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest

from connections.services import add_connection
from coverage.days import owner_day_counts
from coverage.pipeline import preview_artifact, start_commit
from tests.factories import OwnerProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

NIGHT_OWLS = "\n".join([
    "20/11/2023, 23:30 - Ana: Still up?",
    "21/11/2023, 00:30 - Ben: Yes, can't sleep",
    "21/11/2023, 23:30 - Ana: Again?",
    "22/11/2023, 00:30 - Ben: Again.",
    "22/11/2023, 00:45 - Ana: Good night",
]) + "\n"


def timeline_rows(page: str) -> dict[str, int]:
    """The accessible table under the timeline: day label -> count (one lane)."""
    table = page.split('class="timeline-table"', 1)[1]
    return {
        label: int(n)
        for label, n in re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)(?:</a>)?</th><td>(\d+)</td>', table)
    }


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles", "Asia/Kathmandu"])
def test_messages_either_side_of_the_owners_midnight_land_on_their_own_days(owner, owner_client, zone):
    OwnerProfileFactory(owner=owner, time_zone=zone)
    chat = add_connection(owner, "whatsapp", "night-owls", "Night owls")
    start_commit(preview_artifact(chat, io.BytesIO(NIGHT_OWLS.encode()), "WhatsApp Chat with Ben.txt"))

    page = owner_client.get(f"/sources/{chat.slug}/").content.decode()

    assert timeline_rows(page) == {"20 Nov 2023": 1, "21 Nov 2023": 2, "22 Nov 2023": 2}


def test_counts_kept_per_utc_day_before_hours_still_read_approximately():
    """Summaries written before hour keys hold whole UTC days: they move as their first and last records do."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    old = {"2023-11-10": 3}
    days = owner_day_counts(old, ZoneInfo("Pacific/Auckland"), datetime(2023, 11, 10, 12, tzinfo=UTC),
                            datetime(2023, 11, 10, 13, tzinfo=UTC))
    assert days == {date(2023, 11, 11): 3}
