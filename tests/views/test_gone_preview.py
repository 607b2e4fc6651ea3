"""A preview that went without being imported keeps an address that says what became of it (before: the
generic "This page does not exist" for the tab that still showed it).

Ada uploads her chat with Ana in one tab and, not seeing it, uploads the same file again in another. The
first tab's preview gave way to the second: its page, and its Import button, lead to the preview that
waits now and say why, and nothing is imported by the old button. A preview she cancelled, or one that
waited past the preview's time to live, says so and that nothing was imported from it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from connections.models import OwnerProfile
from connections.tokens import issue_access_token
from coverage.models import AcquisitionBatch, GonePreview, Record
from coverage.pipeline import discard_preview
from coverage.pipeline.sweep import remove_expired_previews
from tests.factories import BatchFactory, OwnerFactory
from tests.page_words import ana_chat, page_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_storage")]

FILE = "WhatsApp Chat with Ana.txt"
UPLOADED = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # 21:00 on 4 Dec 2026 in Auckland


@pytest.fixture
def uploaded(owner, owner_client, chat, time_machine):
    """Upload the chat, in Auckland's zone; returns a function that uploads it again and gives the preview."""
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "Pacific/Auckland"})
    time_machine.move_to(UPLOADED, tick=False)

    def upload() -> AcquisitionBatch:
        owner_client.post(f"/sources/{chat.slug}/upload/",
                          {"artifact": SimpleUploadedFile(FILE, ana_chat(12), "text/plain")})
        return AcquisitionBatch.objects.filter(connection=chat).latest("pk")

    return upload


def test_the_first_tabs_preview_leads_to_the_one_that_replaced_it(owner_client, uploaded):
    first = uploaded()
    second = uploaded()
    assert not AcquisitionBatch.objects.filter(pk=first.pk).exists()  # one preview of a file waits, not two

    page = owner_client.get(f"/receipts/{first.pk}/", follow=True)
    assert page.redirect_chain == [(f"/receipts/{second.pk}/", 302)]
    said = page_words(page)
    assert f"{FILE} was uploaded again, so its earlier preview gave way to this one." in said
    assert "Preview: nothing imported yet" in said

    clicked = owner_client.post(f"/receipts/{first.pk}/import/", follow=True)  # the old tab's Import button
    assert clicked.redirect_chain == [(f"/receipts/{second.pk}/", 302)]
    assert AcquisitionBatch.objects.get(pk=second.pk).status == "preview" and not Record.objects.exists()

    third = uploaded()  # a third tab: both earlier previews lead to the newest
    for earlier in (first, second):
        assert owner_client.get(f"/receipts/{earlier.pk}/")["Location"] == f"/receipts/{third.pk}/"
    polled = owner_client.get(f"/receipts/{first.pk}/status/", headers={"HX-Request": "true"})
    assert (polled.status_code, polled["HX-Redirect"]) == (200, f"/receipts/{third.pk}/")


@pytest.mark.parametrize(
    ("gone", "after", "says"),
    [
        ("cancel", timedelta(minutes=5),
         "You cancelled the preview of 4 Dec 2026 · WhatsApp Chat with Ana.txt today at 21:05 NZDT. "
         "Nothing was imported from it."),
        ("expire", timedelta(days=3),
         "The preview of 4 Dec 2026 · WhatsApp Chat with Ana.txt waited 24 hours without being imported and was "
         "cleared today at 21:00 NZDT. Nothing was imported from it. Upload the file again"),
    ],
)
def test_a_cancelled_or_expired_preview_says_it_is_gone_and_nothing_was_imported(
        owner_client, uploaded, time_machine, gone, after, says):
    preview = uploaded()
    time_machine.move_to(UPLOADED + after, tick=False)
    if gone == "cancel":
        owner_client.post(f"/receipts/{preview.pk}/cancel/")
    else:
        assert remove_expired_previews(UPLOADED + after) == [preview.pk]
    page = owner_client.get(f"/receipts/{preview.pk}/")
    assert page.status_code == 410
    page.status_code = 200  # page_words reads a page that answered
    assert "This preview is gone" in page_words(page) and says in page_words(page)


def test_a_preview_imported_from_another_tab_leads_to_that_import(owner_client, chat, uploaded):
    preview = uploaded()
    gone_id = preview.pk
    landed = BatchFactory(connection=chat, artifact_filename=FILE, artifact_sha256=preview.artifact_sha256)
    assert discard_preview(preview, GonePreview.Reason.LANDED, newer=landed)  # what a commit of another preview does
    page = owner_client.get(f"/receipts/{gone_id}/", follow=True)
    assert page.redirect_chain == [(f"/receipts/{landed.pk}/", 302)]
    assert f"{FILE} was imported from another preview of it (in another tab or window): this is that import." \
        in page_words(page)


def test_another_owners_gone_preview_and_an_unknown_one_are_not_found(client, owner_client, uploaded):
    preview = uploaded()
    owner_client.post(f"/receipts/{preview.pk}/cancel/")
    assert owner_client.get(f"/receipts/{preview.pk + 1000}/").status_code == 404
    client.force_login(OwnerFactory(username="bob"))
    stranger = client.get(f"/receipts/{preview.pk}/")
    assert stranger.status_code == 404 and b"This page does not exist" in stranger.content


def test_the_sweep_forgets_a_gone_preview_after_thirty_days(owner_client, uploaded):
    preview = uploaded()
    owner_client.post(f"/receipts/{preview.pk}/cancel/")
    remove_expired_previews(UPLOADED + timedelta(days=29))
    assert GonePreview.objects.filter(batch_id=preview.pk).exists()
    remove_expired_previews(UPLOADED + timedelta(days=31))
    assert owner_client.get(f"/receipts/{preview.pk}/").status_code == 404


@pytest.mark.parametrize("gone", ["replaced", "cancelled"])
def test_a_script_asking_for_a_gone_preview_hears_what_became_of_it(owner, owner_client, client, uploaded, gone):
    """The owner API says it as the page does: 410 ``preview_gone``, the sentence, and the batch in its place."""
    first = uploaded()
    first_id = first.pk
    if gone == "replaced":
        newer = uploaded()
    else:
        owner_client.post(f"/receipts/{first_id}/cancel/")
        newer = None
    token = issue_access_token(owner, "script")[1]
    bearer = {"Authorization": f"Bearer {token}"}

    for method, path in (("get", f"/api/owner/batches/{first_id}"), ("post", f"/api/owner/previews/{first_id}/commit")):
        answer = getattr(client, method)(path, headers=bearer)
        body = answer.json()
        assert (answer.status_code, body["code"]) == (410, "preview_gone")
        if newer is not None:
            assert body["newer_batch_id"] == newer.pk
            assert body["detail"] == ("The preview of 4 Dec 2026 · WhatsApp Chat with Ana.txt gave way to a newer "
                                      "upload of the same file today at 21:00 NZDT; nothing was imported from it.")
        else:
            assert "newer_batch_id" not in body
            assert body["detail"] == ("You cancelled the preview of 4 Dec 2026 · WhatsApp Chat with Ana.txt today at "
                                      "21:00 NZDT. Nothing was imported from it.")
    assert not Record.objects.exists()
    assert client.get(f"/api/owner/batches/{first_id + 1000}", headers=bearer).status_code == 404


def test_the_cli_receipt_of_a_gone_preview_says_what_became_of_it(owner_client, uploaded):
    first = uploaded()
    first_id = first.pk
    newer = uploaded()
    with pytest.raises(CommandError) as said:
        call_command("receipt", str(first_id))
    assert str(said.value) == ("The preview of 4 Dec 2026 · WhatsApp Chat with Ana.txt gave way to a newer upload of "
                               f"the same file today at 21:00 NZDT; nothing was imported from it. In its place: import "
                               f"{newer.pk}.")


def test_the_first_tab_after_the_second_imported_the_file_says_it_is_imported(owner_client, uploaded):
    """Tester's fault (session 20): the banner said "Nothing has been imported from it yet" over an import."""
    first = uploaded()
    first_id = first.pk
    second = uploaded()
    owner_client.post(f"/receipts/{second.pk}/import/")  # the second tab imports it
    clicked = owner_client.post(f"/receipts/{first_id}/import/", follow=True)  # then the first tab's button
    assert clicked.redirect_chain == [(f"/receipts/{second.pk}/", 302)]
    said = page_words(clicked)
    assert f"{FILE} was uploaded again, so its earlier preview gave way to this one, which is imported." in said
    assert "Nothing has been imported" not in said
    assert Record.objects.count() == 12  # once
