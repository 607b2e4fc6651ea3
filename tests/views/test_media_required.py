"""An owner marks a source "every media file required": its missing media turns blocking, and back."""

from __future__ import annotations

import html
import re

import pytest

from connections.models import Connection
from tests.scenarios import NOW, SCENARIOS

pytestmark = pytest.mark.django_db


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


@pytest.fixture
def holiday_chat(owner, time_machine):
    time_machine.move_to(NOW, tick=False)
    return SCENARIOS["missing_media_is_attention_with_add_media"][0].save(owner)


def test_owner_requires_every_media_file_and_the_card_cannot_collect_until_they_are_added(
        holiday_chat, owner_client):
    card = _text(owner_client.get("/").content.decode())
    assert "Media missing" in card and "Blocking:" not in card
    page = owner_client.get(f"/sources/{holiday_chat.slug}/").content.decode()
    slug = holiday_chat.slug  # "holiday-chat" (other tests may rename the table's rows)
    form = re.search(rf'<form method="post" action="(/sources/{slug}/media/required/)"[^>]*hx-confirm="([^"]+)"', page)
    assert form, "the card offers the rule as a form that asks first"
    assert "can't collect" in html.unescape(form.group(2))

    fragment = owner_client.post(form.group(1), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and f'id="source-{slug}-card"' in fragment
    text = _text(fragment)
    assert "Can't collect" in text and "Blocking: 1 of 3 media files was not included." in text
    assert "Stop requiring every media file" in text
    holiday_chat.refresh_from_db()
    assert holiday_chat.media_required is True

    answer = owner_client.post(f"/sources/{slug}/media/optional/")
    assert answer.status_code == 302 and answer["Location"] == f"/sources/{slug}/"
    assert Connection.objects.get(pk=holiday_chat.pk).media_required is False
    assert "Media missing" in _text(owner_client.get("/").content.decode())


def test_the_media_rule_changes_only_by_post_and_only_for_its_owner(holiday_chat, owner_client, other_owner, client):
    url = f"/sources/{holiday_chat.slug}/media/required/"
    assert owner_client.get(url).status_code == 405
    client.force_login(other_owner)
    assert client.post(url).status_code == 404
    assert Connection.objects.get(pk=holiday_chat.pk).media_required is False


def test_a_source_without_media_is_not_offered_the_rule(owner, owner_client, time_machine):
    time_machine.move_to(NOW, tick=False)
    SCENARIOS["duplicate_upload_leaves_no_advisory"][0].save(owner)
    assert "Require every media file" not in owner_client.get("/").content.decode()
