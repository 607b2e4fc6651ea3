"""Search in every script: a word typed from inside a Japanese, Chinese or Thai sentence (written
without spaces between words) finds it, and so does an emoji; the spaced scripts keep working.

The chat is imported for real (preview, commit, landing) and searched through the page, on the
suite's database (FTS5 on SQLite, the GIN index and a scan of the owner's texts on PostgreSQL).
"""

from __future__ import annotations

import pytest
from django.db import connection as db

from connections.services import add_connection
from search import backends
from tests.factories import OwnerProfileFactory
from tests.search.test_search import _chat, _import, _results, _search, _text

pytestmark = pytest.mark.django_db

MESSAGES = [  # one a day, from 20 Mar 2023
    "村上春樹の新しい本を読みました 📚",
    "明天见 東京で会いましょう",
    "พรุ่งนี้ไปกินข้าวผัดกันไหม",
    "Miss you ❤️",
    "Привет, как дела?",
    "مرحبا بالعالم",
    "Grüße aus München",
    "내일 서울에서 만나요",
]


@pytest.fixture
def chat(owner):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Lisbon")
    chat = add_connection(owner, "whatsapp", "ana", "Ana")
    lines = [f"{20 + day}/03/2023, 09:00 - Ana Souza: {text}" for day, text in enumerate(MESSAGES)]
    _import(chat, _chat(lines), "WhatsApp Chat with Ana Souza.txt")
    return chat


@pytest.mark.parametrize(
    ("query", "shown", "day"),
    [
        ("村上春樹", "<mark>村上春樹</mark>の新しい本を読みました 📚", "2023-03-20"),  # Japanese
        ("春樹", "村上<mark>春樹</mark>の新しい本を読みました 📚", "2023-03-20"),
        ("本", "村上春樹の新しい<mark>本</mark>を読みました 📚", "2023-03-20"),
        ("「東京」", "明天见 <mark>東京</mark>で会いましょう", "2023-03-21"),
        ("会いましょう 東京", "明天见 <mark>東京</mark>で<mark>会いましょう</mark>", "2023-03-21"),
        ("明天", "<mark>明天</mark>见 東京で会いましょう", "2023-03-21"),  # Chinese
        ("ข้าวผัด", "พรุ่งนี้ไปกิน<mark>ข้าวผัด</mark>กันไหม", "2023-03-22"),  # Thai
        ("📚", "村上春樹の新しい本を読みました <mark>📚</mark>", "2023-03-20"),  # emoji
        ("❤️", "Miss you <mark>❤️</mark>", "2023-03-23"),
        ("❤", "Miss you <mark>❤️</mark>", "2023-03-23"),  # typed without the emoji's variation selector
        ("you ❤️", "Miss <mark>you</mark> <mark>❤️</mark>", "2023-03-23"),  # a word and an emoji
        ("привет", "<mark>Привет</mark>, как дела?", "2023-03-24"),  # Cyrillic, as before
        ("بالعالم", "مرحبا <mark>بالعالم</mark>", "2023-03-25"),  # Arabic, as before
        ("MÜNCHEN", "Grüße aus <mark>München</mark>", "2023-03-26"),  # German, as before
        pytest.param("munchen", "Grüße aus <mark>München</mark>", "2023-03-26", marks=pytest.mark.skipif(
            db.vendor != "sqlite", reason="PostgreSQL's 'simple' configuration keeps diacritics")),
        ("서울에서", "내일 <mark>서울에서</mark> 만나요", "2023-03-27"),  # Korean is spaced: a word, as before
    ],
)
def test_a_word_typed_from_inside_a_message_finds_it_in_any_script(owner_client, chat, query, shown, day):
    page = _search(owner_client, query)
    assert len(_results(page)) == 1, _text(page)
    assert f'<p class="search-snippet">{shown}</p>' in page
    assert f'href="/sources/ana/days/{day}/"' in page
    assert "1 result." in _text(page)


@pytest.mark.parametrize("query", ["大阪", "春樹 大阪", "📷", "ข้าวต้ม", "you 📚"])
def test_what_no_message_holds_is_searched_and_said_so(owner_client, chat, query):
    text = _text(_search(owner_client, query))
    assert f"No message or event holds “{query}”." in text
    assert "Type a word" not in text


def test_a_query_of_punctuation_alone_is_searched_as_typed(owner_client, chat):
    page = _search(owner_client, "?")
    assert len(_results(page)) == 1
    assert "Привет, как дела<mark>?</mark>" in page


def test_pieces_are_found_only_in_the_owners_messages_newest_first_and_paged(owner, other_owner):
    mine = add_connection(owner, "whatsapp", "mine", "Mine")
    theirs = add_connection(other_owner, "whatsapp", "theirs", "Theirs")
    _import(mine, _chat([f"{20 + i}/04/2023, 09:00 - Ana Souza: 東京{i}番目" for i in range(5)]),
            "WhatsApp Chat with Ana Souza.txt")
    _import(theirs, _chat(["20/04/2023, 10:00 - Bob: 東京タワー"]), "WhatsApp Chat with Bob.txt")
    first = backends.search(owner.pk, "東京", offset=0, limit=2)
    assert first.total == 5
    assert [hit.snippet for hit in first.hits] == ["\x02東京\x034番目", "\x02東京\x033番目"]
    assert [hit.snippet for hit in backends.search(owner.pk, "東京", offset=4, limit=2).hits] == ["\x02東京\x030番目"]
    past = backends.search(owner.pk, "東京", offset=10, limit=2)
    assert (past.hits, past.total) == ([], 5)
    assert backends.search(other_owner.pk, "東京", offset=0, limit=10).total == 1
