"""Search (issue 17): the owner finds a message or an event by a word in it, and lands on its day.

Records arrive by real imports (preview, commit, landing: the pipeline's ``INSERT ... SELECT``)
and a real pull from a local HTTP server; the index is the database's own (FTS5 on SQLite, a GIN
expression index on PostgreSQL) and is searched through ``search.backends``.
"""

from __future__ import annotations

import html
import json
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from django.core.management import call_command
from django.db import connection as db
from django.db import transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from connections.services import add_connection
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import land_batch, preview_artifact, start_commit
from coverage.pipeline.pull import pull
from search import backends
from tests.factories import OwnerProfileFactory
from tests.live.conftest import ical
from tests.views.conftest import export

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATEST = ("search", "0002_triggers_parse_only_text")


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


def _import(connection, data: bytes, name: str) -> AcquisitionBatch:
    preview = preview_artifact(connection, BytesIO(data), name)
    assert preview.count_accepted, preview.reject_detail
    start_commit(preview, enqueue=False)
    return land_batch(preview.pk, now=NOW)


def _chat(lines: list[str]) -> bytes:
    return "\n".join(lines).encode() + b"\n"


def _search(client, q: str, **params) -> str:
    response = client.get("/search/", {"q": q, **params})
    assert response.status_code == 200
    return response.content.decode()


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def _results(page: str) -> list[str]:
    return [_text(item) for item in re.findall(r'<li class="search-result">(.*?)</li>', page, re.S)]


@pytest.fixture
def lisbon(owner):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Lisbon")
    chat = add_connection(owner, "whatsapp", "lisbon", "Lisbon trip")
    _import(chat, export("whatsapp/ios_missing_media.zip").read_bytes(), "WhatsApp Chat - Lisbon Trip.zip")
    return chat


def test_a_word_from_a_message_finds_it_and_links_to_its_day(owner_client, lisbon):
    page = _search(owner_client, "lunch")
    assert _results(page) == ["Lisbon trip · 12 Mar 2023 at 12:01 WET Lunch first?"]
    assert 'href="/sources/lisbon/days/2023-03-12/"' in page
    assert "<mark>Lunch</mark> first?" in page
    assert "1 result." in _text(page)


def test_every_word_must_be_there_and_case_does_not_matter(owner_client, lisbon):
    assert len(_results(_search(owner_client, "WELCOME everyone"))) == 1
    assert _results(_search(owner_client, "welcome lunch")) == []
    assert "No message or event holds “welcome lunch”." in _text(_search(owner_client, "welcome lunch"))


def test_operators_and_quotes_are_just_words(owner_client, lisbon):
    for query in ('"lunch', "lunch OR", "NEAR(lunch", "lunch*", "lunch -first", "body:lunch", "'); DROP"):
        page = _search(owner_client, query)  # never a syntax error
        assert "<mark>" in page or "No message or event holds" in page, query


def test_an_event_title_is_found_in_a_calendar(owner, owner_client, httpserver, settings):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = ["127.0.0.1"]
    httpserver.expect_request("/cal.ics").respond_with_data(ical("calendar.ics"), content_type="text/calendar")
    calendar = add_connection(owner, "ical_feed", "cal", "Calendar",
                              feed_url=f"http://127.0.0.1:{httpserver.port}/cal.ics")
    assert pull(calendar, timezone.now()).outcome == "success"
    page = _search(owner_client, "dentist")
    assert _results(page) == ["Calendar · 4 Jun 2024 at 16:30 CEST Dentist with a very long title"] or \
        _results(page)[0].startswith("Calendar · 4 Jun 2024 at 16:30 CEST Dentist")
    assert 'href="/sources/cal/days/2024-06-04/"' in page


def test_what_a_message_says_is_shown_escaped_with_the_match_marked(owner, owner_client):
    chat = add_connection(owner, "whatsapp", "chat", "Chat")
    _import(chat, _chat(["25/03/2023, 09:15 - Ana Souza: try <script>alert(1)</script> & <b>bold</b> pizza"]),
            "WhatsApp Chat with Ana Souza.txt")
    page = _search(owner_client, "pizza")
    assert "<script>alert" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; <mark>pizza</mark>" in page


def test_another_owners_messages_are_never_found(owner, other_owner, client, lisbon):
    theirs = add_connection(other_owner, "whatsapp", "theirs", "Their chat")
    _import(theirs, _chat(["25/03/2023, 09:15 - Bob: lunch at noon?"]), "WhatsApp Chat with Bob.txt")
    client.force_login(other_owner)
    assert [r.split(" · ")[0] for r in _results(_search(client, "lunch"))] == ["Their chat"]
    client.force_login(owner)
    assert [r.split(" · ")[0] for r in _results(_search(client, "lunch"))] == ["Lisbon trip"]
    assert backends.search(other_owner.pk, "welcome", offset=0, limit=10).total == 0


def test_results_are_paged_newest_first(owner, owner_client):
    chat = add_connection(owner, "whatsapp", "chat", "Chat")
    start = datetime(2023, 3, 25, 9, 0)
    lines = [f"{(start + timedelta(minutes=i)):%d/%m/%Y, %H:%M} - Ana Souza: pizza number {i}" for i in range(25)]
    _import(chat, _chat(lines), "WhatsApp Chat with Ana Souza.txt")
    first = _search(owner_client, "pizza")
    assert len(_results(first)) == 20 and "number 24" in _results(first)[0]
    assert "25 results, 1 to 20 shown." in _text(first)
    assert 'href="/search/?q=pizza&amp;page=2"' in first and "Newer results" not in first
    second = _search(owner_client, "pizza", page=2)
    assert [r.rsplit(" ", 1)[-1] for r in _results(second)] == ["4", "3", "2", "1", "0"]
    assert "Older results" not in second and "Newer results" in second


def test_removed_records_are_no_longer_found(owner_client, lisbon):
    assert _results(_search(owner_client, "lunch"))
    Record.objects.filter(connection=lisbon).delete()
    assert _results(_search(owner_client, "lunch")) == []


def test_the_index_moves_with_the_records_transaction(owner, lisbon):
    with pytest.raises(RuntimeError), transaction.atomic():
        Record.objects.filter(connection=lisbon).delete()
        assert backends.search(owner.pk, "lunch", offset=0, limit=10).total == 0  # gone inside it
        raise RuntimeError("rolled back")
    assert backends.search(owner.pk, "lunch", offset=0, limit=10).total == 1  # back with the rollback


def test_an_import_still_landing_is_not_searched_yet(owner, owner_client):
    chat = add_connection(owner, "whatsapp", "chat", "Chat")
    _import(chat, _chat(["25/03/2023, 09:15 - Ana Souza: pizza tonight"]), "WhatsApp Chat with Ana Souza.txt")
    AcquisitionBatch.objects.filter(connection=chat).update(status=AcquisitionBatch.Status.COMMITTING)
    assert _results(_search(owner_client, "pizza")) == []


@pytest.mark.django_db(transaction=True)
def test_records_held_before_search_existed_are_indexed_by_its_migration(owner):
    chat = add_connection(owner, "whatsapp", "chat", "Chat")
    with _search_at(None):
        _import(chat, _chat(["25/03/2023, 09:15 - Ana Souza: pizza tonight"]), "WhatsApp Chat with Ana Souza.txt")
    assert backends.search(owner.pk, "pizza", offset=0, limit=10).total == 1


@contextmanager
def _search_at(migration: str | None):
    """The search app at ``migration`` (None: before search existed) while the block runs, then at the latest."""
    MigrationExecutor(db).migrate([("search", migration)])
    try:
        yield
    finally:
        executor = MigrationExecutor(db)
        executor.loader.build_graph()
        executor.migrate([LATEST])


def _indexed() -> int:
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(f"SELECT COUNT(*) FROM {backends.SQLITE_TABLE}")
        else:
            cursor.execute(f"SELECT COUNT(*) FROM coverage_record WHERE {backends._pg_has_text()}")
        return cursor.fetchone()[0]


def _points(count: int) -> bytes:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    return json.dumps({"locations": [
        {"latitudeE7": 387_000_000 + i, "longitudeE7": -91_000_000, "timestamp": f"{start + timedelta(minutes=i):%Y-%m-%dT%H:%M:%SZ}"}
        for i in range(count)
    ]}).encode()


@pytest.mark.django_db(transaction=True)
def test_points_add_nothing_to_the_index_and_messages_are_found_before_and_after_the_lighter_triggers(owner):
    """search 0002 (SQLite): the triggers parse only payloads that name a text field."""
    chat = add_connection(owner, "whatsapp", "chat", "Chat")
    places = add_connection(owner, "google_timeline", "places", "Places")
    with _search_at("0001_record_text_index"):  # the first triggers
        _import(chat, _chat(["25/03/2023, 09:15 - Ana Souza: pizza tonight"]), "WhatsApp Chat with Ana Souza.txt")
    assert _indexed() == 1
    _import(places, _points(500), "Records.json")
    _import(chat, _chat(["26/03/2023, 10:00 - Ana Souza: sushi tomorrow"]), "WhatsApp Chat with Ana Souza.txt")
    assert _indexed() == 2  # 500 points, no text: nothing
    assert backends.search(owner.pk, "pizza", offset=0, limit=10).total == 1
    assert backends.search(owner.pk, "sushi", offset=0, limit=10).total == 1
    Record.objects.filter(connection=places).delete()
    Record.objects.filter(connection=chat, payload__text="pizza tonight").update(payload={"text": "pasta tonight"})
    assert _indexed() == 2
    assert backends.search(owner.pk, "pizza", offset=0, limit=10).total == 0
    assert backends.search(owner.pk, "pasta", offset=0, limit=10).total == 1


def test_every_page_has_a_search_box(owner_client, lisbon):
    page = owner_client.get("/sources/lisbon/").content.decode()
    assert 'action="/search/"' in page and 'role="search"' in page


@pytest.mark.skipif(db.vendor != "sqlite", reason="SQLite rebuilds a table to alter it; PostgreSQL alters in place")
def test_a_rebuilt_record_table_gets_its_index_triggers_back_after_migrate(owner, owner_client):
    with db.cursor() as cursor:  # what Django's ALTER TABLE on SQLite does to them: the old table goes
        for name in ("search_record_inserted", "search_record_deleted", "search_record_changed"):
            cursor.execute(f"DROP TRIGGER {name}")
    call_command("migrate", verbosity=0)
    chat = add_connection(owner, "whatsapp", "chat", "Chat")
    _import(chat, _chat(["25/03/2023, 09:15 - Ana Souza: pizza tonight"]), "WhatsApp Chat with Ana Souza.txt")
    assert len(_results(_search(owner_client, "pizza"))) == 1
