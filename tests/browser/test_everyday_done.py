"""The last everyday jobs of issue 14 in a real browser, on a phone (375 px) and a desktop (1280 px).

A Timeline file of a million places, uploaded through the upload page and read by the real worker
(``manage.py worker``, its own process) while the page counts the places read so far; and the
reminder digest the owner sets up on the settings page, sent by ``send_digests`` once a source is
past its cadence, by email and to a signed webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection as db
from django.utils import timezone
from playwright.sync_api import expect
from werkzeug import Response

from connections.services import add_connection
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import land_batch, preview_artifact, start_commit
from tests.factories import DigestSettingsFactory

from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}
MANAGE = Path(__file__).resolve().parents[2] / "manage.py"
MILLION = 1_000_000


def _screen(page, screen: str) -> None:
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[screen], strict=True)))


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def write_records_json(path: Path, points: int, *, last_at: int = 1_683_500_000) -> int:
    """Stream a Google Records.json of ``points`` distinct fixes a minute apart, the last at ``last_at``
    (epoch seconds); returns its size in bytes. Written in chunks: never the whole file in memory.

    (bench/import_timeline.py's generator repeats every 200th fix, so its previews count duplicates.)
    """
    first = last_at - (points - 1) * 60
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"locations":[')
        for start in range(0, points, 10_000):
            chunk = (
                f'{{"latitudeE7":{525_000_000 + i % 9_000},"longitudeE7":{134_000_000 + i % 7_000},'
                f'"timestamp":"{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(first + i * 60))}"}}'
                for i in range(start, min(start + 10_000, points))
            )
            fh.write(("," if start else "") + ",".join(chunk))
        fh.write("]}")
    return path.stat().st_size


def _worker_env(artifact_root: Path) -> dict[str, str]:
    """The real worker's environment: the test database and the test's artifact folder."""
    conf = db.settings_dict
    url = f"postgres://{conf['USER']}:{conf['PASSWORD']}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "ARTIFACT_ROOT": str(artifact_root), "DJANGO_SETTINGS_MODULE": "ownerhub.settings"}


@pytest.mark.skipif(db.vendor != "postgresql", reason="needs PostgreSQL: the real worker runs in its own process, "
                    "and the in-memory SQLite test database cannot be opened from another process")
@pytest.mark.parametrize("screen", WIDTHS)
def test_a_million_places_are_read_by_the_worker_while_the_page_counts_them(
    page, live_server, owner, shots, screen, tmp_path, artifact_root
):
    _screen(page, screen)
    add_connection(owner, "google_timeline", "timeline", "My Timeline")
    big = tmp_path / "Records.json"
    size = write_records_json(big, MILLION)
    _log_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/sources/timeline/upload/")
    shots(page, "upload-page")

    page.get_by_label("Export file").set_input_files(str(big))
    dropped = time.perf_counter()
    with page.expect_response(lambda r: r.request.method == "POST", timeout=60_000) as sent:
        page.get_by_role("button", name="Preview the file").click()
    upload_seconds = time.perf_counter() - dropped
    assert sent.value.status < 400
    expect(page.get_by_role("heading", name="Reading Records.json…")).to_be_visible(timeout=30_000)
    batch = AcquisitionBatch.objects.get()
    assert batch.is_reading and batch.artifact_bytes == size  # the whole file stored; not read in the request
    shots(page, "waiting-for-the-worker")

    worker = subprocess.Popen(  # noqa: S603 - our own manage.py, with our own interpreter
        [sys.executable, str(MANAGE), "worker", "--batch", "--no-startup-delay"],
        env=_worker_env(artifact_root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    seen: list[int] = []
    lead = page.locator("#receipt-body .lead")
    ready = page.get_by_role("heading", name="Preview: nothing imported yet")
    try:
        while worker.poll() is None or not ready.count():
            text = lead.first.text_content(timeout=5_000) if lead.count() else ""
            if text.startswith("Reading… "):
                count = int(text.removeprefix("Reading… ").split(" ")[0].replace(",", ""))
                if not seen or count != seen[-1]:
                    seen.append(count)
                    if len(seen) == 2:
                        shots(page, "count-rising")
            if time.perf_counter() - dropped > 300:
                break
            time.sleep(0.2)
        expect(ready).to_be_visible(timeout=10_000)
    finally:
        if worker.poll() is None:
            worker.terminate()
        output = worker.communicate(timeout=30)[0]
    to_preview = time.perf_counter() - dropped

    assert worker.returncode == 0, output
    assert len(seen) >= 2 and seen == sorted(seen) and seen[-1] <= MILLION, seen  # the count rose as it read
    expect(page.locator("#receipt-body .lead")).to_contain_text(f"{MILLION:,} new places")
    shots(page, "preview-ready")
    assert _no_sideways_scroll(page)
    assert AcquisitionBatch.objects.get().status == "preview" and not Record.objects.exists()
    print(f"\n1M-point Records.json ({size / 1e6:.0f} MB, {screen}): upload request {upload_seconds:.1f} s "
          "(the click to its answer), "
          f"drop to preview {to_preview:.1f} s; counts seen {seen}")


def _import_recent_timeline(owner, tmp_path: Path, now) -> None:
    """A Timeline export whose newest place is from two days ago: fresh today."""
    timeline = add_connection(owner, "google_timeline", "timeline", "My Timeline")
    export = tmp_path / "Records.json"
    write_records_json(export, 50, last_at=int((now - timedelta(days=2)).timestamp()))
    with export.open("rb") as source:
        preview = preview_artifact(timeline, source, "Records.json")
    start_commit(preview, enqueue=False)
    land_batch(preview.pk)


@pytest.mark.parametrize("screen", WIDTHS)
def test_a_source_past_its_cadence_brings_one_digest_by_email_and_one_signed_post(
    page, live_server, owner, shots, screen, tmp_path, mailoutbox, httpserver, settings
):
    _screen(page, screen)
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = [httpserver.host]  # the local receiver is inside the network
    owner.email = "ada@example.org"
    owner.save()
    DigestSettingsFactory(owner=owner, email_enabled=False)
    now = timezone.now()
    _import_recent_timeline(owner, tmp_path, now)
    received: list[tuple[bytes, str | None]] = []

    def answer(request):
        received.append((request.get_data(), request.headers.get("X-Ownerhub-Signature")))
        return Response("ok")

    httpserver.expect_request("/digest", method="POST").respond_with_handler(answer)

    _log_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/settings/#digest")
    panel = page.locator("#digest")
    shots(page, "digest-panel")
    panel.get_by_role("checkbox", name="By email to ada@example.org").check()
    panel.get_by_label("Webhook address (optional)").fill(httpserver.url_for("/digest"))
    panel.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved how your reminder digest reaches you.")).to_be_visible()
    expect(panel.get_by_role("checkbox", name="By email to ada@example.org")).to_be_checked()
    expect(panel.get_by_label("Webhook address (optional)")).to_have_value(httpserver.url_for("/digest"))
    expect(panel.locator("code.secret")).to_have_count(0)  # a secret is shown only when made
    panel.get_by_role("button", name="Make a new signing secret").click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    secret = panel.locator("code.secret").text_content()
    shots(page, "digest-set")
    assert _no_sideways_scroll(page)

    call_command("send_digests")  # today the export is fresh: nothing to say
    assert mailoutbox == [] and received == []

    with time_machine.travel(now + timedelta(days=30), tick=True):  # the newest place is now 32 days old
        call_command("send_digests")

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ada@example.org"] and message.subject == "Ownerhub: 1 source needs you"
    assert "My Timeline: Needs a refresh." in message.body
    assert "Next: Upload a newer export http://127.0.0.1:8000/sources/timeline/upload/" in message.body
    assert len(received) == 1
    body, signature = received[0]
    assert signature == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    payload = json.loads(body)
    assert [(i["name"], i["label"], i["action"]) for i in payload["items"]] == [
        ("My Timeline", "Needs a refresh", "Upload a newer export")
    ]
