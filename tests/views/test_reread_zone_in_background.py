"""A large export is read again in the owner's new zone by the worker, while the page counts it.

Ana's Health export is millions of records; reading it again took as long as its first preview
(about 30 s for 2 million records on a 2-CPU machine), all inside the request for the
"Read your Health exports again" page, past a proxy's usual 60 s for a big export. Now a file as
large as an upload the worker would read is read by the worker: the page says it is being read,
polls, and offers the change once every import is read; nothing moves before she says so.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django_tasks_db.models import DBTaskResult

from connections.services import add_connection
from coverage.models import AcquisitionBatch
from coverage.pipeline import preview_artifact, start_commit
from coverage.pipeline.background import READ_TASK, read_preview
from coverage.pipeline.commit import land_batch
from tests.conftest import stored_files
from tests.factories import OwnerProfileFactory
from tests.page_words import page_words as page_text

pytestmark = pytest.mark.django_db

Status = AcquisitionBatch.Status
SUMMARIES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
    '<ActivitySummary dateComponents="2024-01-15" activeEnergyBurned="512" activeEnergyBurnedUnit="Cal" '
    'appleExerciseTime="38" appleStandHours="11"/>\n'
    "</HealthData>\n"
)


def _export() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml", SUMMARIES)
    return out.getvalue()


@pytest.fixture
def health_read_in_berlin(owner):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    health = add_connection(owner, "apple_health", "health", "Health")
    batch = start_commit(preview_artifact(health, io.BytesIO(_export()), "export.zip"), enqueue=False)
    land_batch(batch.pk)
    return health


def _summary_hour_utc(health) -> int:
    return health.records.get(stream="activity_summaries").event_at.hour


@pytest.mark.parametrize(("threshold", "read_by_the_worker"), [(0, True), (10_000_000, False)])
def test_a_large_export_is_read_again_by_the_worker_while_the_page_counts_it(
    owner_client, health_read_in_berlin, settings, artifact_root, threshold, read_by_the_worker
):
    settings.OWNERHUB_BACKGROUND_PREVIEW_BYTES = threshold
    health = health_read_in_berlin
    assert _summary_hour_utc(health) == 11  # noon in Berlin
    owner_client.post("/settings/time-zone/", {"time_zone": "Pacific/Auckland"})

    page = page_text(owner_client.get("/reread/zone/"))
    readings = AcquisitionBatch.objects.filter(trigger="reread")
    if read_by_the_worker:
        assert "Reading your Health exports again in Pacific/Auckland…" in page
        assert "Reading it again…" in page and "Read them again in" not in page
        assert readings.get().is_reading
        # The page does not copy the file either (seconds for a gigabyte): the worker does, before it reads.
        assert readings.get().artifact_name == "" and len(stored_files(artifact_root)) == 1
        # The page polls; a second look starts no second reading, and a POST changes nothing yet.
        owner_client.get("/reread/zone/")
        assert readings.count() == 1 and DBTaskResult.objects.filter(task_path=READ_TASK).count() == 1
        said = page_text(owner_client.post("/reread/zone/", follow=True))
        assert "1 import is still being read again in Pacific/Auckland: nothing was changed yet." in said
        assert _summary_hour_utc(health) == 11

        assert read_preview(readings.get().pk) == Status.PREVIEW  # the worker's task
        assert readings.get().artifact_name != "" and len(stored_files(artifact_root)) == 2
        page = page_text(owner_client.get("/reread/zone/"))
    assert "Read your Health exports again in Pacific/Auckland?" in page
    assert "Reading it again" not in page and "Read them again in Pacific/Auckland" in page

    owner_client.post("/reread/zone/")
    assert readings.get().status == Status.COMMITTED
    assert _summary_hour_utc(health) == 23  # noon in Auckland (UTC+13 in January), the day before in UTC
