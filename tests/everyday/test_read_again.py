"""A file set aside after its reading stopped three times is read again when the owner asks (page and API)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from coverage.models import AcquisitionBatch
from coverage.pipeline.background import MAX_READ_ATTEMPTS
from coverage.pipeline.sweep import Sweeper

from .conftest import run_worker
from .test_reading_never_stuck import _reader_died_mid_file, _upload

Status = AcquisitionBatch.Status
pytestmark = pytest.mark.django_db(transaction=True)


def _set_aside(owner_client) -> AcquisitionBatch:
    batch = _upload(owner_client)
    _reader_died_mid_file(batch, attempts=MAX_READ_ATTEMPTS)
    Sweeper()(timezone.now())
    batch.refresh_from_db()
    assert (batch.status, batch.reject_reason) == (Status.REJECTED, "reading_stopped")
    return batch


def test_owner_reads_a_set_aside_file_again_from_its_receipt(owner_client, timeline, read_in_background):
    batch = _set_aside(owner_client)
    page = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "Read it again" in page and f'action="/receipts/{batch.pk}/read-again/"' in page

    assert owner_client.get(f"/receipts/{batch.pk}/read-again/").status_code == 405  # a POST only
    page = owner_client.post(f"/receipts/{batch.pk}/read-again/", follow=True).content.decode()

    assert "Reading the file again, from the start." in page
    run_worker()
    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW and batch.is_measured and batch.count_parsed > 0
    assert "Read it again" not in owner_client.get(f"/receipts/{batch.pk}/").content.decode()


def test_another_owner_cannot_read_a_set_aside_file_again(owner_client, timeline, read_in_background, client,
                                                          other_owner):
    batch = _set_aside(owner_client)
    client.force_login(other_owner)
    assert client.post(f"/receipts/{batch.pk}/read-again/").status_code == 404
    batch.refresh_from_db()
    assert batch.status == Status.REJECTED


def test_the_api_reads_a_set_aside_file_again_and_refuses_any_other(owner_client, timeline, read_in_background):
    batch = _set_aside(owner_client)

    answer = owner_client.post(f"/api/owner/batches/{batch.pk}/read-again")

    assert answer.status_code == 202 and answer["Location"].endswith(f"/batches/{batch.pk}")
    assert answer.json()["status"] == "preview"
    run_worker()
    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW and batch.count_parsed > 0
    again = owner_client.post(f"/api/owner/batches/{batch.pk}/read-again")
    assert again.status_code == 409 and "not waiting to be read again" in again.json()["detail"]
