"""Live demo sources: phones pushing through the real ingest endpoint, calendars pulled over real HTTP.

A throwaway HTTP server on loopback serves the demo calendars (and a refusal)
while the demo is seeded, so the real ``pull`` does the work. Demo calendars
then pull once a day, so a short demo session stays as seeded.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import RequestFactory
from django.test.utils import override_settings

from connections.collect import set_feed_url
from connections.connectors.base import BatchFacts, ParsedRecord, location_key
from connections.models import Condition, Connection
from connections.runtime import record_condition
from connections.services import pause_connection
from connections.tokens import issue_device_token
from coverage.pipeline import acquire_records
from coverage.pipeline.pull import pull
from coverage.pipeline.push import ingest

DAY_SECONDS = 86_400


def calendar_ics(now: datetime) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Ownerhub demo//EN"]
    for i in range(-30, 15, 3):
        start = (now + timedelta(days=i)).replace(hour=9 + i % 8, minute=0, second=0, microsecond=0)
        lines += [
            "BEGIN:VEVENT",
            f"UID:demo-{i}@ownerhub.local",
            f"DTSTAMP:{now:%Y%m%dT%H%M%SZ}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{('Dentist', 'Team lunch', 'Yoga', 'Parents evening', 'Flight to Lisbon')[i % 5]}",
            "END:VEVENT",
        ]
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


class _Feeds(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 - the stdlib's name
        if self.path.startswith("/refused"):
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def _push(connection: Connection, secret: str, points: list[tuple[datetime, float, float]]) -> int:
    """Send the points through the real OwnTracks endpoint, one request per point, as a phone does."""
    factory = RequestFactory()
    credentials = base64.b64encode(f"{connection.owner.username}:{secret}".encode()).decode()
    status = 0
    for at, lat, lon in points:
        body = {"_type": "location", "lat": lat, "lon": lon, "tst": int(at.timestamp()), "tid": "ph", "acc": 8}
        request = factory.post("/ingest/owntracks", data=json.dumps(body), content_type="application/json",
                               HTTP_AUTHORIZATION=f"Basic {credentials}")
        status = ingest(request, "owntracks").status_code
    return status


def seed_live(owner, now: datetime, source) -> Iterator[str]:
    conn, new = source("owntracks", "pocket-phone", "My phone")
    if new:
        _, secret = issue_device_token(conn)
        points = [(now - timedelta(minutes=15 * i), 52.52 + i * 1e-4, 13.40 + i * 1e-4) for i in range(24, -1, -1)]
        status = _push(conn, secret, points)
        yield f"My phone (pushing now, up to date): {len(points)} points pushed, last answer HTTP {status}"

    conn, new = source("owntracks", "old-phone", "Old phone")
    if new:
        issue_device_token(conn)
        then = now - timedelta(days=2)
        points = [then - timedelta(minutes=30 * i) for i in range(20)]
        records = [
            ParsedRecord("locations", location_key(at, 48.85, 2.35), at, {"lat": 48.85, "lon": 2.35, "kind": "fix"})
            for at in points
        ]
        # The same service the push endpoint calls, at the time the phone last reported.
        acquire_records(conn, method="device_sync", trigger="push", records=records, facts=BatchFacts(),
                        window_key=f"demo:{then:%Y-%m-%dT%H}", now=then)
        record_condition(conn, Condition.Type.CREDENTIAL, Condition.Status.READY, now=then, reason="token_accepted")
        record_condition(conn, Condition.Type.RUNTIME, Condition.Status.READY, now=then, reason="push_received")
        yield "Old phone (silent for two days: having trouble)"

    _Feeds.body = calendar_ics(now).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feeds)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    # The demo's own loopback server is the one inside address these pulls may reach.
    allow_demo_server = override_settings(OWNERHUB_FEED_ALLOWED_HOSTS=["127.0.0.1"])
    allow_demo_server.enable()
    try:
        for slug, name, path, pause, note in (
            ("home-calendar", "Home calendar", "/home.ics", False, "pulled, up to date"),
            ("work-calendar", "Work calendar", "/refused.ics", False, "access refused: can't collect"),
            ("club-calendar", "Club calendar", "/club.ics", True, "pulled once, then paused"),
        ):
            conn, new = source("ical_feed", slug, name)
            if not new:
                continue
            set_feed_url(conn, base + path, now=now)
            conn.interval_seconds = DAY_SECONDS
            conn.save(update_fields=["interval_seconds"])
            run = pull(conn, now)
            if pause:
                pause_connection(conn)
            yield f"{name} ({note}): run {run.outcome}, {run.records} events"
    finally:
        allow_demo_server.disable()
        server.shutdown()
        server.server_close()
