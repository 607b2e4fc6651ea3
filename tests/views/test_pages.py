"""Every owner page and partial: what the owner sees, what was stored, and whose it is."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from connections.models import Condition, Connection
from connections.services import add_connection
from coverage.models import AcquisitionBatch
from tests.page_words import page_words
from tests.scenarios import SCENARIOS

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ log in, log out


def test_anonymous_owner_is_sent_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_login_page_and_logging_in(client, owner):
    page = client.get("/login/")
    assert page.status_code == 200 and 'name="csrfmiddlewaretoken"' in page.content.decode()
    response = client.post("/login/", {"username": "ada", "password": "correct horse battery"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_wrong_password_says_so_without_detail(client, owner):
    response = client.post("/login/", {"username": "ada", "password": "nope"})
    assert "did not match" in response.content.decode()


def test_logout_is_a_post_form(owner_client):
    text = owner_client.get("/").content.decode()
    assert 'action="/logout/"' in text and 'method="post"' in text
    assert owner_client.post("/logout/").status_code == 302
    assert owner_client.get("/").status_code == 302


# ------------------------------------------------------------------ dashboard


def test_empty_dashboard_has_one_clear_call_to_add_a_source(owner_client):
    text = owner_client.get("/").content.decode()
    assert "Add your first source" in text
    assert 'href="/sources/new/"' in text
    assert "sources need you" not in text


def test_dashboard_shows_summary_and_one_card_per_source(owner_client, owner):
    for scenario, _ in SCENARIOS.values():
        scenario.save(owner)
    response = owner_client.get("/")
    text = response.content.decode()
    assert response.status_code == 200
    assert text.count('class="card ') == len(SCENARIOS)
    assert " need you · " in page_words(response) and " up to date" in text
    assert text.count("hx-trigger") == 1  # only the card whose import is being saved polls


def test_dashboard_shows_the_worker_problem_once(owner_client, owner):
    for name in ("old_export_is_attention_with_reexport", "missing_media_is_attention_with_add_media"):
        SCENARIOS[name][0].save(owner)
    text = owner_client.get("/").content.decode()
    assert text.count("The background worker has not started yet") == 1
    Condition.objects.create(type="worker_heartbeat", status="ready", observed_at=timezone.now())
    assert "background worker" not in owner_client.get("/").content.decode()


def test_dashboard_lists_only_the_owners_sources(owner_client, other_owner):
    add_connection(other_owner, "whatsapp", "bobs-chat", "Bob's chat")
    assert "Bob&#x27;s chat" not in owner_client.get("/").content.decode()
    assert "Add your first source" in owner_client.get("/").content.decode()


def test_card_partial_is_a_fragment(owner_client, chat):
    response = owner_client.get("/sources/family-chat/card/", HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text and 'id="source-family-chat-card"' in text
    assert "No messages imported yet" in text


def test_card_polls_only_while_an_import_is_being_saved(owner_client, chat):
    batch = AcquisitionBatch.objects.create(connection=chat, method="owner_artifact", status="committing")
    assert 'hx-trigger="every 2s"' in owner_client.get("/sources/family-chat/card/").content.decode()
    AcquisitionBatch.objects.filter(pk=batch.pk).update(status="committed")
    assert "hx-trigger" not in owner_client.get("/sources/family-chat/card/").content.decode()


def test_pages_carry_csrf_for_htmx_and_no_inline_script(owner_client, chat):
    response = owner_client.get("/")
    text = response.content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in text
    assert "<script>" not in text and " on" + "click=" not in text
    assert '<script src="/static/js/htmx.min.js" defer></script>' in text
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_vendored_htmx_is_served_by_whitenoise(client):
    response = client.get("/static/js/htmx.min.js")
    assert response.status_code == 200
    assert b"htmx" in b"".join(response.streaming_content)[:200]


# ------------------------------------------------------------------ add a source


def test_catalog_lists_every_connector_with_its_recommended_path_first(owner_client):
    from connections.connectors import all_manifests

    text = owner_client.get("/sources/new/").content.decode()
    for manifest in all_manifests():
        assert f'href="/sources/new/{manifest.id}/"' in text
    assert "Import a chat from an export" in text
    # A connector with several paths shows the recommended one, the rest behind one disclosure.
    entry = text.split('id="connector-owntracks"')[1].split("</li>\n  \n  \n  <li")[0]
    assert entry.index("Keep recent locations current from this phone") < entry.index("<details")
    assert entry.index("<details") < entry.index("Add older locations from a Google Timeline export")


def test_create_adds_a_connection_with_a_slug_from_its_name(owner_client, owner):
    page = owner_client.get("/sources/new/whatsapp/")
    assert 'value="WhatsApp"' in page.content.decode()
    response = owner_client.post("/sources/new/whatsapp/", {"name": "Family chat"})
    conn = Connection.objects.for_owner(owner).get()
    assert (conn.slug, conn.name, conn.connector) == ("family-chat", "Family chat", "whatsapp")
    assert response["Location"] == "/sources/family-chat/upload/"  # an export source: its upload page next
    owner_client.post("/sources/new/whatsapp/", {"name": "Family chat"})
    assert Connection.objects.for_owner(owner).filter(slug="family-chat-2").exists()


def test_create_never_takes_a_slug_that_shadows_a_page(owner_client, owner):
    owner_client.post("/sources/new/whatsapp/", {"name": "New"})
    assert Connection.objects.for_owner(owner).get().slug != "new"


def test_create_asks_for_a_name(owner_client, owner):
    response = owner_client.post("/sources/new/whatsapp/", {"name": "  "})
    assert response.status_code == 400 and "Give the source a name" in response.content.decode()
    assert not Connection.objects.exists()


def test_create_takes_a_feed_address_for_a_feed(owner_client, owner):
    assert 'name="feed_url"' in owner_client.get("/sources/new/ical_feed/").content.decode()
    assert 'name="feed_url"' not in owner_client.get("/sources/new/whatsapp/").content.decode()
    added = owner_client.post("/sources/new/ical_feed/", {"name": "Work", "feed_url": "https://example.org/c.ics?k=s"})
    assert added["Location"] == "/sources/work/"  # a feed has no upload page: its source page next
    assert Connection.objects.get().feed_url == "https://example.org/c.ics?k=s"
    page = owner_client.get("/sources/work/").content.decode()
    assert "k=s" not in page  # the secret address is never shown


def test_unknown_connector_is_404(owner_client):
    assert owner_client.get("/sources/new/myspace/").status_code == 404


# ------------------------------------------------------------------ source detail


def test_source_detail_shows_card_lanes_timeline_and_receipts(owner_client, owner):
    conn = SCENARIOS["stale_export_and_missing_media_together"][0].save(owner)
    lane = conn.lanes.get()
    lane.day_counts = {"2023-03-12": 5, "2023-03-13": 1, "2023-03-25": 14}
    lane.media_days = ["2023-03-13"]
    lane.save()
    summary = conn.coverage_summary
    summary.holes = [{"start": "2023-03-15", "end": "2023-03-22", "days": 8}]
    summary.save()
    text = owner_client.get(f"/sources/{conn.slug}/").content.decode()
    assert f'id="source-{conn.slug}-card"' in text
    assert "Needs a refresh" in text
    assert "Export" in text and "12 Mar to 25 Mar 2023" in text
    assert "<svg" in text and "<title>12 Mar 2023: 5 messages</title>" in text
    assert "<title>13 Mar 2023: 1 message (media missing)</title>" in text
    assert "<title>16 Mar 2023: 0 messages (a gap: nothing recorded)</title>" in text
    assert 'fill="url(#hatch)"' in text
    assert "The same facts as a table" in text
    assert f'<th scope="row"><a href="/sources/{conn.slug}/days/2023-03-25/">25 Mar 2023</a></th>' in text
    assert 'id="re-export"' in text and "Export chat" in text
    assert "Recent imports" in text and "Import #" not in text  # an import is named by its day and file


def test_source_detail_for_a_phone_shows_how_to_connect(owner_client, owner):
    add_connection(owner, "owntracks", "my-phone", "My phone")
    text = owner_client.get("/sources/my-phone/").content.decode()
    assert 'id="connect"' in text and "Install OwnTracks" in text
    assert "Not set up yet" in text
    assert "The timeline appears after the first import." not in text  # nothing yet: says what to do
    assert "Nothing yet." in text


def test_source_detail_empty_state_says_what_to_do_first(owner_client, chat):
    text = owner_client.get("/sources/family-chat/").content.decode()
    assert "Nothing yet. Upload the export to see what data you have." in text
    assert "No imports yet." in text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/sources/{slug}/"),
        ("get", "/sources/{slug}/card/"),
        ("get", "/sources/{slug}/upload/"),
        ("post", "/sources/{slug}/upload/"),
        ("post", "/sources/{slug}/pause/"),
        ("post", "/sources/{slug}/resume/"),
        ("post", "/sources/{slug}/retry/"),
        ("get", "/sources/{slug}/remove/"),
        ("post", "/sources/{slug}/remove/"),
    ],
)
def test_another_owners_source_is_404(method, path, client, chat, other_owner):
    client.force_login(other_owner)
    response = getattr(client, method)(path.format(slug=chat.slug))
    assert response.status_code == 404
    assert "Family chat" not in response.content.decode()
    assert Connection.objects.filter(pk=chat.pk, schedule_policy="manual").exists()


# ------------------------------------------------------------------ pause, resume, retry, remove


def test_pause_then_resume(owner_client, chat):
    response = owner_client.post("/sources/family-chat/pause/")
    assert response["Location"] == "/sources/family-chat/"
    chat.refresh_from_db()
    assert chat.schedule_policy == "paused"
    text = owner_client.get("/sources/family-chat/").content.decode()
    assert 'action="/sources/family-chat/resume/"' in text
    owner_client.post("/sources/family-chat/resume/", {"next": "/"})
    chat.refresh_from_db()
    assert chat.schedule_policy == "manual"


def test_state_changes_need_post(owner_client, chat):
    for part in ("pause", "resume", "retry"):
        assert owner_client.get(f"/sources/family-chat/{part}/").status_code == 405


def test_resume_over_htmx_returns_the_refreshed_card(owner_client, owner):
    conn = SCENARIOS["paused_even_when_stale_is_paused_with_resume"][0].save(owner)
    response = owner_client.post(f"/sources/{conn.slug}/resume/", HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert f'id="source-{conn.slug}-card"' in text and "Paused" not in text


def test_retry_makes_the_source_due_now(owner_client, owner):
    conn = SCENARIOS["one_failed_run_after_success_is_degraded"][0].save(owner)
    conn.next_due_at = timezone.now() + timedelta(hours=2)
    conn.save()
    owner_client.post(f"/sources/{conn.slug}/retry/")
    conn.refresh_from_db()
    assert conn.next_due_at <= timezone.now()


def test_next_never_leaves_the_site(owner_client, chat):
    response = owner_client.post("/sources/family-chat/pause/", {"next": "https://evil.example/"})
    assert response["Location"] == "/sources/family-chat/"


def test_remove_asks_first_then_removes_records_and_batches(owner_client, owner):
    conn = SCENARIOS["old_export_is_attention_with_reexport"][0].save(owner)
    keep = add_connection(owner, "whatsapp", "other-chat", "Other chat")
    page = owner_client.get(f"/sources/{conn.slug}/remove/").content.decode()
    assert "It cannot be undone." in page and "120 messages" in page
    assert Connection.objects.filter(pk=conn.pk).exists()
    response = owner_client.post(f"/sources/{conn.slug}/remove/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert not Connection.objects.filter(pk=conn.pk).exists()
    assert not AcquisitionBatch.objects.filter(connection_id=conn.pk).exists()
    assert Connection.objects.filter(pk=keep.pk).exists()
    assert "Removed" in response.content.decode()


# ------------------------------------------------------------------ error pages


def test_not_found_page_says_what_happened_and_that_nothing_changed(owner_client):
    response = owner_client.get("/sources/nothing-here/")
    text = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in text and "Nothing was changed." in text


def test_server_error_page_says_nothing_was_half_written():
    text = render_to_string("500.html")
    assert "Something went wrong on our side" in text
    assert "nothing was half-written" in text
    assert "Traceback" not in text


def test_expired_form_says_nothing_was_changed(owner, chat):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/sources/family-chat/pause/")
    assert response.status_code == 403
    assert "This form expired" in response.content.decode() and "Nothing was changed." in response.content.decode()
    chat.refresh_from_db()
    assert chat.schedule_policy == "manual"


@pytest.mark.parametrize("count", [3, 30])
def test_dashboard_queries_do_not_grow_with_sources(count, owner_client, owner, django_assert_max_num_queries):
    scenarios = [s for s, _ in SCENARIOS.values()]
    for i in range(count):
        scenario = scenarios[i % len(scenarios)]
        replace(scenario, name=f"{scenario.name}-n{i}").save(owner)
    with django_assert_max_num_queries(12):
        assert owner_client.get("/").status_code == 200


# An uptime check asks with HEAD: each page answers it as it answers GET, without the page (the dashboard's
# own test: tests/views/test_card_parity.py).
HEAD_PAGES = ["/settings/", "/sources/new/", "/search/?q=dentist", "/sources/family-calendar/runs/",
              "/sources/family-calendar/imports/"]


@pytest.mark.parametrize("url", HEAD_PAGES)
def test_a_head_request_answers_like_get(owner_client, owner, url):
    add_connection(owner, "ical_feed", "family-calendar", "Family calendar")
    got, head = owner_client.get(url), owner_client.head(url)
    assert got.status_code == 200 and head.status_code == 200 and head.content == b""

