"""An owner picks a file over the installation's upload limit: the page says so at once, in the
same words as the server, and sends nothing (waitress would otherwise answer a bare 413)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connections.models import Connection
from coverage.models import AcquisitionBatch

from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_file_over_the_limit_is_refused_before_it_is_sent(page, live_server, owner, settings, tmp_path, shots):
    settings.OWNERHUB_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    Connection.objects.create(owner=owner, connector="google_timeline", slug="timeline", name="Timeline")
    big = tmp_path / "Records.json"
    big.write_bytes(b'{"locations": [' + b" " * (3 * 1024 * 1024) + b"]}")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    _log_in(page, live_server, owner.username)
    posts.clear()

    page.goto(f"{live_server.url}/sources/timeline/upload/")
    page.get_by_label("Export file").set_input_files(str(big))
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("The file is larger than the 2 MB limit.")
    page.get_by_role("button", name="Preview the file").click()
    shots(page, "too-large")
    expect(alert).to_be_visible()
    assert posts == [] and not AcquisitionBatch.objects.exists()
