"""An Apple Health export.zip holds more than Ownerhub reads: its receipt says, in one line, what and why."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from connections.services import add_connection
from coverage.models import AcquisitionBatch

from .conftest import export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("artifact_storage")]

ECG = b"Name,Ana\nDate of Birth,1990-01-01\nClassification,Sinus Rhythm\n\n-12.3\n-11.9\n"


def _export_zip(ecgs: int, cda: bool = True) -> SimpleUploadedFile:
    """The fixture's export.zip, with ``ecgs`` electrocardiograms added, and its export_cda.xml kept or not."""
    out = io.BytesIO()
    with zipfile.ZipFile(export("apple_health/export.zip")) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if cda or not info.filename.endswith("export_cda.xml"):
                dst.writestr(info, src.read(info))
        for n in range(ecgs):
            dst.writestr(f"apple_health_export/electrocardiograms/ecg_2024-05-{n + 1:02d}.csv", ECG)
    return SimpleUploadedFile("export.zip", out.getvalue())


@pytest.mark.parametrize(("ecgs", "cda", "said"), [
    (12, True, "export_cda.xml (the same records in another format) and 12 electrocardiogram files are not read."),
    (0, True, "export_cda.xml (the same records in another format) is not read."),
    (1, False, "1 electrocardiogram file is not read."),
])
def test_the_receipt_of_a_health_export_says_what_in_the_zip_was_not_read(owner_client, owner, ecgs, cda, said):
    add_connection(owner, "apple_health", "health", "Health")
    owner_client.post("/sources/health/upload/", {"artifact": _export_zip(ecgs, cda)})
    batch = AcquisitionBatch.objects.get()
    assert batch.status == "preview" and batch.count_accepted  # the rest of the zip is read as before

    api = owner_client.get(f"/api/owner/batches/{batch.pk}").json()
    assert [w["detail"] for w in api["warnings"] if w["kind"] == "not_read"] == [said]
    page = " ".join(owner_client.get(f"/receipts/{batch.pk}/").content.decode().split())
    assert page.count(said) == 1
    out = io.StringIO()
    call_command("receipt", str(batch.pk), stdout=out)
    assert f"Warning  {said}" in out.getvalue().splitlines()
    out = io.StringIO()
    call_command("receipt", str(batch.pk), "--json", stdout=out)
    assert json.loads(out.getvalue())["warnings"] == api["warnings"]

