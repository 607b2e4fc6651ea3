"""How a batch is named and counted on the source page and its receipt: a push or a feed's collection is no file."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from tests.factories import BatchFactory, ConnectionFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)

# name -> (connector, method, how the page names the batch, its lane's label beside it)
NAMES = {
    "a_phone_push": ("owntracks", "device_sync", "2 Mar 2026 at 09:15 UTC", "Phone"),
    "a_feed_collection": ("ical_feed", "provider_api", "2 Mar 2026 at 09:15 UTC", "Feed"),
}
EXPORT = ("records.json", "2 Mar 2026 · records.json", "Export")  # an uploaded file, named as before


def _listed(page: str, batch) -> tuple[str, str]:
    """How the source page's list of imports names ``batch``, and the label beside it."""
    found = re.search(rf'<a href="/receipts/{batch.pk}/">(.*?)</a>\s*<span class="muted">(.*?)</span>', page, re.S)
    assert found, batch
    return html.unescape(found[1]), found[2].strip()


@pytest.mark.parametrize(("connector", "method", "name", "label"), list(NAMES.values()), ids=list(NAMES))
def test_a_batch_without_a_file_is_named_once_with_its_lane_beside_it(client, owner, connector, method, name, label):
    source = ConnectionFactory(owner=owner, connector=connector)
    batch = BatchFactory(connection=source, method=method, trigger="push", created_at=AT, count_parsed=4,
                         count_accepted=4, event_earliest=AT, event_latest=AT)
    export = None
    if source.manifest.path("owner_artifact") is not None:  # the phone source takes exports too
        export = BatchFactory(connection=source, artifact_filename=EXPORT[0], artifact_sha256="a" * 64,
                              created_at=AT, count_parsed=4, count_accepted=4, event_earliest=AT, event_latest=AT)
    client.force_login(owner)

    page = client.get(f"/sources/{source.slug}/").content.decode()
    assert _listed(page, batch) == (name, label)
    assert f"{label} {label}" not in re.sub(r"<[^>]+>|\s+", " ", page)
    if export is not None:
        assert _listed(page, export) == EXPORT[1:]
    receipt = client.get(f"/receipts/{batch.pk}/").content.decode()
    assert re.search(r"<h1>\s*(.*?)\s*</h1>", receipt, re.S)[1] == html.escape(name)


def test_a_push_repeats_inside_the_push_and_an_export_of_the_same_source_inside_the_file(client, owner):
    phone = ConnectionFactory(owner=owner, connector="owntracks")
    repeats = {"created_at": AT, "count_parsed": 5, "count_accepted": 2, "count_duplicate": 3, "event_earliest": AT,
               "event_latest": AT}
    pushed = BatchFactory(connection=phone, method="device_sync", trigger="push", **repeats)
    exported = BatchFactory(connection=phone, artifact_filename="records.json", artifact_sha256="b" * 64, **repeats)
    client.force_login(owner)

    # batch -> (the receipt sentence's words for the repeats, the count's label)
    for batch, said, label in ((pushed, "3 repeated inside the push.", "Sent more than once"),
                               (exported, "3 repeated inside the file.", "Repeated inside the file")):
        body = client.get(f"/api/owner/batches/{batch.pk}").json()
        assert said in body["sentence"]
        assert {line["count"]: line["label"] for line in body["explanations"]}["duplicate_in_file"] == label
        page = html.unescape(client.get(f"/receipts/{batch.pk}/").content.decode())
        assert said in page and label in page
    assert "inside the file" not in html.unescape(client.get(f"/receipts/{pushed.pk}/").content.decode())
