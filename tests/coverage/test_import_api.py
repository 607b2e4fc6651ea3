"""Owner API imports: upload a preview, commit it, poll the receipt; always the owner's own data."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import land_batch
from coverage.services import issue_access_token
from tests.coverage.conftest import fixture_path

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
Status = AcquisitionBatch.Status


def upload(client, slug: str, name: str, connector: str = "whatsapp", **form):
    with fixture_path(connector, name).open("rb") as fh:
        return client.post(f"/api/owner/connections/{slug}/previews", {"file": fh, **form})


@pytest.fixture
def api(client, owner):
    client.force_login(owner)
    return client


def test_uploading_an_export_returns_its_preview_receipt(api, chat):
    response = upload(api, "family-chat", "android_dayfirst_24h.txt")

    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "preview"
    assert data["counts"] == {"parsed": 20, "accepted": 20, "duplicate": 0, "skipped": 2, "failed": 0}
    assert data["artifact"]["filename"] == "android_dayfirst_24h.txt"
    assert data["connection"]["slug"] == "family-chat"
    assert Record.objects.count() == 0


def test_committing_a_preview_imports_it(api, chat):
    batch_id = upload(api, "family-chat", "android_dayfirst_24h.txt").json()["batch_id"]

    response = api.post(f"/api/owner/previews/{batch_id}/commit")

    assert response.status_code == 200
    assert response.json()["status"] == "committed"
    assert response.json()["counts"]["accepted"] == 20
    assert Record.objects.count() == 20


def test_a_commit_still_running_answers_202_with_a_url_to_poll(api, chat, idle_tasks):
    batch_id = upload(api, "family-chat", "android_dayfirst_24h.txt").json()["batch_id"]

    response = api.post(f"/api/owner/previews/{batch_id}/commit")

    assert response.status_code == 202
    assert response.json()["status"] == "committing"
    poll = response["Location"]
    assert poll == f"/api/owner/batches/{batch_id}"
    assert api.get(poll).json()["status"] == "committing"

    land_batch(batch_id)  # what the worker does

    polled = api.get(poll)
    assert polled.status_code == 200 and polled.json()["status"] == "committed"
    again = api.post(f"/api/owner/previews/{batch_id}/commit")
    assert again.status_code == 200 and again.json()["status"] == "committed"


def test_uploading_the_same_file_again_is_200_duplicate(api, chat):
    first = upload(api, "family-chat", "android_dayfirst_24h.txt").json()["batch_id"]
    api.post(f"/api/owner/previews/{first}/commit")

    response = upload(api, "family-chat", "android_dayfirst_24h.txt")

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "duplicate" and data["duplicate_of"] == first
    assert data["counts"]["accepted"] == 0
    assert api.post(f"/api/owner/previews/{data['batch_id']}/commit").status_code == 200
    assert Record.objects.count() == 20


@pytest.mark.parametrize(("name", "reason"), [("encrypted.zip", "encrypted"), ("empty.txt", "empty")])
def test_a_rejected_file_is_422_with_its_receipt(api, chat, name, reason):
    response = upload(api, "family-chat", name)

    assert response.status_code == 422
    data = response.json()
    assert data["status"] == "rejected" and data["reject_reason"] == reason
    assert data["next_action"]["kind"] == "re_export"
    conflict = api.post(f"/api/owner/previews/{data['batch_id']}/commit")
    assert conflict.status_code == 409


def test_an_ambiguous_chat_is_answered_then_committed(api, chat):
    data = upload(api, "family-chat", "ambiguous.txt").json()
    assert data["question"]["kind"] == "date_order"
    assert api.post(f"/api/owner/previews/{data['batch_id']}/commit").status_code == 409

    answered = api.post(f"/api/owner/previews/{data['batch_id']}/answer", {"date_order": "dmy"})

    assert answered.status_code == 200 and answered.json()["counts"]["accepted"] == 4
    assert api.post(f"/api/owner/previews/{data['batch_id']}/commit").json()["status"] == "committed"


def test_the_date_order_can_come_with_the_upload(api, chat):
    response = upload(api, "family-chat", "ambiguous.txt", date_order="mdy")

    assert response.status_code == 201
    assert response.json()["question"] is None
    assert response.json()["event_time"]["earliest"].startswith("2023-03-04")


def test_bad_requests_say_what_is_wrong(api, chat, make_connection):
    missing = api.post("/api/owner/connections/family-chat/previews", {})
    bad_order = upload(api, "family-chat", "ambiguous.txt", date_order="ymd")
    calendar = make_connection("ical_feed", "calendar")
    no_uploads = upload(api, calendar.slug, "android_dayfirst_24h.txt")

    assert missing.status_code == 400 and "file" in missing.json()["detail"]
    assert bad_order.status_code == 400
    assert no_uploads.status_code == 400
    assert not AcquisitionBatch.objects.exists()


def test_another_owners_connection_and_batches_are_404(client, chat, other_owner):
    client.force_login(other_owner)
    assert upload(client, "family-chat", "android_dayfirst_24h.txt").status_code == 404

    client.force_login(chat.owner)
    batch_id = upload(client, "family-chat", "android_dayfirst_24h.txt").json()["batch_id"]
    client.force_login(other_owner)

    assert client.get(f"/api/owner/batches/{batch_id}").status_code == 404
    assert client.post(f"/api/owner/previews/{batch_id}/commit").status_code == 404
    assert client.post(f"/api/owner/previews/{batch_id}/answer", {"date_order": "dmy"}).status_code == 404
    assert AcquisitionBatch.objects.get().status == Status.PREVIEW


def test_a_personal_access_token_works_and_no_credential_is_401(client, chat, owner):
    _, secret = issue_access_token(owner)

    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as fh:
        response = client.post(
            "/api/owner/connections/family-chat/previews", {"file": fh}, HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
    anonymous = client.get(f"/api/owner/batches/{response.json()['batch_id']}")

    assert response.status_code == 201
    assert anonymous.status_code == 401


def test_api_receipt_equals_the_cli_json(api, chat):
    batch_id = upload(api, "family-chat", "ios_missing_media.zip").json()["batch_id"]
    api.post(f"/api/owner/previews/{batch_id}/commit")
    out = StringIO()

    call_command("receipt", str(batch_id), "--json", stdout=out)

    assert api.get(f"/api/owner/batches/{batch_id}").json() == json.loads(out.getvalue())


def test_the_openapi_schema_declares_every_import_status(api):
    paths = api.get("/api/owner/openapi.json").json()["paths"]

    assert set(paths["/api/owner/connections/{slug}/previews"]["post"]["responses"]) >= {"200", "201", "400", "404", "422"}
    assert set(paths["/api/owner/previews/{batch_id}/commit"]["post"]["responses"]) >= {"200", "202", "404", "409"}
    assert set(paths["/api/owner/batches/{batch_id}"]["get"]["responses"]) >= {"200", "404"}


def test_a_file_over_the_upload_limit_is_a_413_with_its_rejected_receipt(api, chat, settings, artifact_root):
    settings.OWNERHUB_MAX_UPLOAD_BYTES = 100

    response = upload(api, "family-chat", "android_dayfirst_24h.txt")

    assert response.status_code == 413
    assert response.json()["status"] == "rejected"
    assert response.json()["sentence"].startswith("This file could not be imported: The file is larger than the 100 bytes limit.")
    assert not [p for p in artifact_root.rglob("*") if p.is_file()]
