"""How a batch is named and counted on the source page and its receipt: a push or a feed's collection is no file."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from tests.factories import BatchFactory, ConnectionFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)

# name -> (connector, method, file, how the page names the batch, its lane's label beside it)
NAMES = {
    "a_phone_push": ("owntracks", "device_sync", "", "2 Mar 2026 at 09:15 UTC", "Phone"),
    "a_feed_collection": ("ical_feed", "provider_api", "", "2 Mar 2026 at 09:15 UTC", "Feed"),
    "an_uploaded_export": ("whatsapp", "owner_artifact", "WhatsApp Chat with Alice.txt",
                           "2 Mar 2026 · WhatsApp Chat with Alice.txt", "Export"),
}


@pytest.mark.parametrize(("connector", "method", "filename", "name", "label"), list(NAMES.values()), ids=list(NAMES))
def test_a_batch_is_named_once_with_its_lane_beside_it(client, owner, connector, method, filename, name, label):
    source = ConnectionFactory(owner=owner, connector=connector)
    batch = BatchFactory(connection=source, method=method, artifact_filename=filename,
                         artifact_sha256="a" * 64 if filename else "", created_at=AT, count_parsed=4, count_accepted=4, event_earliest=AT, event_latest=AT)
    client.force_login(owner)

    page = client.get(f"/sources/{source.slug}/").content.decode()
    listed = re.search(rf'<a href="/receipts/{batch.pk}/">(.*?)</a>\s*<span class="muted">(.*?)</span>', page, re.S)
    assert listed and (html.unescape(listed[1]), listed[2].strip()) == (name, label)
    assert f"{label} {label}" not in re.sub(r"<[^>]+>|\s+", " ", page)
    receipt = client.get(f"/receipts/{batch.pk}/").content.decode()
    assert re.search(r"<h1>\s*(.*?)\s*</h1>", receipt, re.S)[1] == html.escape(name)


# name -> (connector, method, the sentence's words for the repeats, the count's label)
REPEATS = {
    "a_phone_push": ("owntracks", "device_sync", "3 repeated inside the push.", "Sent more than once"),
    "an_uploaded_export_as_before": ("whatsapp", "owner_artifact", "3 repeated inside the file.",
                                     "Repeated inside the file"),
}


@pytest.mark.parametrize(("connector", "method", "said", "label"), list(REPEATS.values()), ids=list(REPEATS))
def test_repeats_are_said_inside_what_brought_them(client, owner, connector, method, said, label):
    source = ConnectionFactory(owner=owner, connector=connector)
    batch = BatchFactory(connection=source, method=method, artifact_filename="" if method != "owner_artifact" else "a.txt",
                         created_at=AT, count_parsed=5, count_accepted=2, count_duplicate=3, event_earliest=AT,
                         event_latest=AT)
    client.force_login(owner)

    body = client.get(f"/api/owner/batches/{batch.pk}").json()
    assert said in body["sentence"]
    assert {line["count"]: line["label"] for line in body["explanations"]}["duplicate_in_file"] == label
    page = html.unescape(client.get(f"/receipts/{batch.pk}/").content.decode())
    assert said in page
    assert ("inside the file" in page) is (method == "owner_artifact")
