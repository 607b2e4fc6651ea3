"""Demo sources for ``up --demo``, seeded through the real import and collection code.

Sample exports are written here (dates relative to today where freshness
matters), imported through the acquisition pipeline exactly as an upload would
be, and live sources get their evidence from the real push and pull services.
The result shows every verdict state on the dashboard. Seeding is idempotent:
sources that already exist are left alone.
"""

from __future__ import annotations

import io
import json
import random
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.utils import timezone

from connections.models import Connection
from connections.services import add_connection
from coverage.pipeline import land_batch, preview_artifact, start_commit
from coverage.receipts import build_receipt
from ownerhub.demo_live import seed_live

OLD_CHAT_START = datetime(2023, 3, 12, 9, 15)


def family_chat_txt() -> str:
    """An Android day-first 24 h chat export from March 2023: stale coverage today."""
    lines = [f"{OLD_CHAT_START:%d/%m/%Y, %H:%M} - Messages and calls are end-to-end encrypted."]
    rng = random.Random(7)
    people = ("Ana", "Ben", "Grandma")
    texts = ("Good morning!", "Who is cooking on Sunday?", "I can bring dessert", "Photos from the park",
             "Call me later", "Happy birthday!!", "Running late, sorry", "See you at 6")
    at = OLD_CHAT_START
    for i in range(60):
        at += timedelta(hours=rng.randint(3, 16), minutes=rng.randint(0, 59))
        body = "<Media omitted>" if i % 17 == 5 else rng.choice(texts)
        lines.append(f"{at:%d/%m/%Y, %H:%M} - {rng.choice(people)}: {body}")
    return "\n".join(lines) + "\n"


def holiday_chat_zip(today: datetime) -> bytes:
    """An iOS 12 h chat export of the last two weeks with photos, one of them missing from the zip."""
    rng = random.Random(11)
    start = (today - timedelta(days=14)).replace(hour=8, minute=0, second=0, microsecond=0, tzinfo=None)
    lines, media = [], []
    at = start
    for i in range(40):
        at += timedelta(hours=rng.randint(4, 9), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        stamp = f"[{at.month}/{at.day}/{at:%y}, {at.hour % 12 or 12}:{at:%M:%S} {'AM' if at.hour < 12 else 'PM'}]"
        who = rng.choice(("Ana Souza", "Ben Carter"))
        if i % 9 == 4:
            name = f"{i:08d}-PHOTO-{at:%Y-%m-%d-%H-%M-%S}.jpg"
            media.append(name)
            lines.append(f"{stamp} {who}: \u200e<attached: {name}>")
        else:
            lines.append(f"{stamp} {who}: {rng.choice(('Beach today?', 'Look at this view', 'Dinner at 8', 'Ferry at 10'))}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("_chat.txt", "\n".join(lines) + "\n")
        for name in media[:-1]:  # the last photo was not included in the export
            zf.writestr(name, b"\xff\xd8\xff demo photo")
    return buf.getvalue()


def timeline_records_json(today: datetime) -> bytes:
    """A legacy Records.json with a point every 30 minutes over the last 12 days."""
    rng = random.Random(3)
    lat, lon = 52.52, 13.405
    at = (today - timedelta(days=12)).replace(minute=0, second=0, microsecond=0)
    points = []
    while at < today - timedelta(hours=6):
        lat += rng.uniform(-0.002, 0.002)
        lon += rng.uniform(-0.002, 0.002)
        points.append({"latitudeE7": int(lat * 1e7), "longitudeE7": int(lon * 1e7), "accuracy": 12,
                       "source": "WIFI", "timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
        at += timedelta(minutes=30)
    return json.dumps({"locations": points}).encode()


def health_export_zip(today: datetime) -> bytes:
    """A small Apple Health export: daily steps and heart rate for the last 20 days, one workout."""
    rows = []
    for d in range(20, 0, -1):
        day = (today - timedelta(days=d)).replace(hour=9, minute=0, second=0, microsecond=0)
        stamp = f"{day:%Y-%m-%d %H:%M:%S} +0000"
        end = f"{day + timedelta(hours=1):%Y-%m-%d %H:%M:%S} +0000"
        rows.append(f' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Demo iPhone" unit="count" '
                    f'creationDate="{end}" startDate="{stamp}" endDate="{end}" value="{4000 + d * 137}"/>')
        rows.append(f' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Demo Watch" unit="count/min" '
                    f'creationDate="{stamp}" startDate="{stamp}" endDate="{stamp}" value="{60 + d % 9}"/>')
    day = (today - timedelta(days=3)).replace(hour=7, minute=30, second=0, microsecond=0)
    rows.append(f' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min" '
                f'sourceName="Demo Watch" creationDate="{day:%Y-%m-%d %H:%M:%S} +0000" '
                f'startDate="{day:%Y-%m-%d %H:%M:%S} +0000" endDate="{day + timedelta(minutes=30):%Y-%m-%d %H:%M:%S} +0000"/>')
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
           f' <ExportDate value="{today:%Y-%m-%d %H:%M:%S} +0000"/>\n' + "\n".join(rows) + "\n</HealthData>\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml", xml)
    return buf.getvalue()


def _import(connection: Connection, filename: str, data: bytes) -> str:
    """Preview then commit through the real pipeline, in-process (the worker may not run yet)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / filename
        path.write_bytes(data)
        with path.open("rb") as fh:
            batch = preview_artifact(connection, fh, filename)
    if batch.status == "preview":
        batch = start_commit(batch, enqueue=False)
        if batch.status == "committing":
            batch = land_batch(batch.pk)
    return build_receipt(batch).sentence


def seed_demo(owner, now: datetime | None = None) -> Iterator[str]:
    """Create the demo sources for ``owner``; yields one line per source for the console."""
    now = now or timezone.now()

    def source(connector, slug, name, **kw):
        existing = Connection.objects.for_owner(owner).filter(slug=slug).first()
        return (existing, False) if existing else (add_connection(owner, connector, slug, name, **kw), True)

    imports = (  # (connector, slug, name, what the demo shows, file name, the file)
        ("whatsapp", "family-chat", "Family chat", "old export, needs a refresh", "WhatsApp Chat with Family.txt",
         lambda: family_chat_txt().encode()),
        ("whatsapp", "holiday-chat", "Holiday chat", "photo missing", "WhatsApp Chat - Holiday.zip",
         lambda: holiday_chat_zip(now)),
        ("google_timeline", "timeline", "Google Maps Timeline", "up to date", "Records.json",
         lambda: timeline_records_json(now)),
        ("apple_health", "health", "Apple Health", "up to date", "export.zip", lambda: health_export_zip(now)),
    )
    for connector, slug, name, shows, filename, data in imports:
        conn, new = source(connector, slug, name)
        if new:
            yield f"{name} ({shows}): {_import(conn, filename, data())}"
    yield from _seed_live(owner, now, source)
    conn, new = source("whatsapp", "book-club", "Book club chat")
    if new:
        yield "Book club chat (nothing imported yet: finish setup)"


def _seed_live(owner, now, source) -> Iterator[str]:
    """Phones and calendars: evidence from the real push and pull services."""
    yield from seed_live(owner, now, source)
