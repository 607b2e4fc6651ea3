"""One connector contract: a push app and a feed are declared on the manifest and served from it.

A connector that is only a manifest (here "Pager", a made-up phone app that pushes JSON lines
and also publishes a feed) gets its ``/ingest/<endpoint>``, its phone set-up page and its
scheduled pull without an edit to a view, a template or a URL file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug import Response

from connections import connectors
from connections.connectors.base import (
    Artifact,
    BatchFacts,
    Body,
    ParsedRecord,
    ParseOptions,
    PayloadRejected,
)
from connections.connectors.manifest import AcquisitionPath, FetchPolicy, Manifest, PushEndpoint
from connections.services import add_connection
from connections.tokens import issue_device_token
from coverage.models import Record
from coverage.pipeline.pull import pull

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def parse_lines(body, facts: BatchFacts, options: ParseOptions):
    """One JSON object per line: {"t": ISO time with offset, "level": number}."""
    facts.source_format = "pager"
    records = []
    for n, line in enumerate(body.text().splitlines(), 1):
        try:
            item = json.loads(line)
            at = datetime.fromisoformat(item["t"]).astimezone(UTC)
        except (ValueError, KeyError, TypeError):
            raise PayloadRejected("not_lines", f"Line {n} is not a reading.") from None
        records.append(ParsedRecord("readings", at.isoformat(), at, {"level": item.get("level")}))
    return records


PAGER_ENDPOINT = PushEndpoint(
    name="pager",
    auth="bearer",
    reply={"received": True},
    parser=parse_lines,
    device=lambda hints, records: hints.get("X-Pager-Id", ""),
    app="Pager",
    setup="Server {url}, key: the token.",
)
PAGER = Manifest(
    id="pager",
    name="Pager",
    record_noun=("reading", "readings"),
    paths=(
        AcquisitionPath(method="device_sync", job="Keep readings current from the pager", trigger="push",
                        instructions=("Open Pager's settings.",), endpoints=(PAGER_ENDPOINT,)),
        AcquisitionPath(method="provider_api", job="Keep readings current from the pager's feed",
                        trigger="scheduled", needs_credential=True, instructions=("Copy the feed address.",),
                        parser=parse_lines, fetch=FetchPolicy(conditional=False)),
    ),
    streams=("readings",),
    record_key_rule="the time of the reading",
    expected_refresh=timedelta(hours=1),
)


@pytest.fixture
def pager_connector():
    connectors.register(PAGER)
    yield PAGER
    connectors._REGISTRY.pop("pager", None)


@pytest.fixture
def pager(owner, pager_connector):
    return add_connection(owner, "pager", "my-pager", "My pager")


def _lines(*times: str) -> bytes:
    return "\n".join(json.dumps({"t": t, "level": 3}) for t in times).encode()


def test_a_new_push_app_is_served_at_its_endpoint_from_its_manifest(pager, client):
    secret = issue_device_token(pager)[1]
    response = client.post("/ingest/pager", _lines("2024-05-01T10:00:00+02:00", "2024-05-01T10:05:00+02:00"),
                           content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_X_PAGER_ID="p1")
    assert response.status_code == 200 and response.json() == {"received": True}
    assert Record.objects.filter(connection=pager, stream="readings").count() == 2
    batch = pager.batches.get()
    assert batch.method == "device_sync" and batch.window_key.startswith("p1:")


def test_a_push_app_refuses_what_its_auth_scheme_does_not_carry(pager, client):
    secret = issue_device_token(pager)[1]
    basic = client.post("/ingest/pager", _lines("2024-05-01T10:00:00+02:00"), content_type="text/plain",
                        HTTP_AUTHORIZATION=f"Basic {secret}")
    assert basic.status_code == 401 and basic["WWW-Authenticate"] == 'Bearer realm="Ownerhub"'
    unreadable = client.post("/ingest/pager", b"nonsense", content_type="text/plain",
                             HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert unreadable.status_code == 400 and unreadable.json()["error"] == "not_lines"
    assert client.post("/ingest/nobody", b"", content_type="text/plain").status_code == 404


def test_the_phone_page_shows_the_apps_the_source_declares(pager, client, owner):
    client.force_login(owner)
    page = client.post("/sources/my-pager/token/", follow=True).content.decode()
    assert "Pager" in page and "http://testserver/ingest/pager" in page
    assert "OwnTracks" not in page and "Overland" not in page


def test_the_phone_page_of_phone_locations_still_names_both_apps(owner, client):
    add_connection(owner, "owntracks", "my-phone", "My phone")
    client.force_login(owner)
    page = client.post("/sources/my-phone/token/", follow=True).content.decode()
    assert "OwnTracks (HTTP mode)" in page and "<code>http://testserver/ingest/owntracks</code>" in page
    assert f"user name <code>{owner.get_username()}</code>" in page
    assert "Overland" in page and "<code>http://testserver/ingest/overland</code>" in page


def test_a_new_feed_is_pulled_with_its_manifests_parser_and_policy(owner, pager_connector, httpserver, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = [httpserver.host]
    seen = []

    def answer(request):
        seen.append(request.headers.get("If-None-Match"))
        return Response(_lines("2024-05-01T08:00:00Z"), headers={"ETag": '"v1"'})

    httpserver.expect_request("/pager/feed").respond_with_handler(answer)
    feed = add_connection(owner, "pager", "pager-feed", "Pager feed", feed_url=httpserver.url_for("/pager/feed"))
    first, second = pull(feed), pull(feed)
    assert [first.outcome, second.outcome] == ["success", "success"]
    assert Record.objects.filter(connection=feed).count() == 1
    assert seen == [None, None]  # the policy asks for no conditional request


def test_connectors_register_themselves_from_one_list():
    package = Path(connectors.__file__).parent
    declared = {
        path.stem if path.name != "__init__.py" else path.parent.name
        for path in [*package.glob("*.py"), *package.glob("*/__init__.py")]
        if "\nMANIFEST = " in path.read_text(encoding="utf-8")
    }
    assert {module.__name__.rpartition(".")[2] for module in connectors.CONNECTORS} == declared
    assert [m.id for m in connectors.all_manifests()][: len(connectors.CONNECTORS)] == [
        module.MANIFEST.id for module in connectors.CONNECTORS
    ]


def test_no_manifest_keeps_push_endpoints_in_extra():
    for manifest in connectors.all_manifests():
        assert "push_endpoints" not in manifest.extra
        for path in manifest.paths:
            assert bool(path.endpoints) == (path.trigger == "push")
            assert (path.fetch is not None) == (path.method == "provider_api")


EXPORT_FIXTURES = {
    "whatsapp": "whatsapp/android_dayfirst_24h.txt",
    "google_timeline": "google_timeline/records.json",
    "apple_health": "apple_health/export.zip",
    "gpx": "gpx/garmin_connect.gpx",
}


@pytest.mark.parametrize("connector", sorted(EXPORT_FIXTURES))
def test_every_record_an_export_parser_yields_is_in_a_declared_stream(connector):
    manifest = connectors.get(connector)
    path = FIXTURES / EXPORT_FIXTURES[connector]
    parser = manifest.path("owner_artifact").parser
    streams = {r.stream for r in parser(Artifact(path, path.name), BatchFacts(), ParseOptions())}
    assert streams and streams <= set(manifest.streams)


def test_every_record_a_push_or_feed_parser_yields_is_in_a_declared_stream():
    checked = {}
    owntracks = connectors.get("owntracks")
    fix = json.dumps({"_type": "location", "lat": 52.5, "lon": 13.4, "tst": 1714550400}).encode()
    overland = json.dumps({"locations": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.4, 52.5]},
                                          "properties": {"timestamp": "2024-05-01T08:00:00Z"}}]}).encode()
    for endpoint, body in zip(owntracks.path("device_sync").endpoints, (fix, overland), strict=True):
        checked[endpoint.name] = {r.stream for r in endpoint.parser(Body(body), BatchFacts(), ParseOptions())}
    feed = connectors.get("ical_feed")
    ics = (FIXTURES / "ical" / "calendar.ics").read_bytes()
    checked["ical_feed"] = {r.stream for r in feed.path("provider_api").parser(Body(ics), BatchFacts(), ParseOptions())}
    assert checked == {"owntracks": {"locations"}, "overland": {"locations"}, "ical_feed": {"events"}}
    assert set(owntracks.streams) == {"locations"} and set(feed.streams) == {"events"}


def test_the_catalog_says_how_each_source_recognises_a_repeat(owner, client):
    client.force_login(owner)
    page = client.get("/sources/new/").content.decode()
    for manifest in connectors.all_manifests():
        if not manifest.extra.get("hidden"):
            assert manifest.record_key_rule in page
