"""Guessing a password: the log-in pages pause an account or an address after repeated failures.

Failures are counted per account and per client address. Once either reaches
the limit, even the right password waits: the page says so and says how long.
The count is kept in the database, so every web process sees the same one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RIGHT = "correct horse battery"
LIMIT = 10  # wrong passwords before a pause (AXES_FAILURE_LIMIT)


def attempt(client, user: str, password: str, *, address: str = "10.0.0.1", page: str = "/login/"):
    return client.post(page, {"username": user, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_many_wrong_passwords_then_the_right_one_waits_and_says_how_long(client, owner):
    with time_machine.travel(T0, tick=False):
        answers = [attempt(client, "ada", f"guess {i}").status_code for i in range(LIMIT)]
        assert answers[0] == 200  # the log-in page again, with "did not match"
        right = attempt(client, "ada", RIGHT)
    assert not logged_in(client)
    assert right.status_code == 429
    text = right.content.decode()
    assert "Too many wrong passwords" in text
    assert "Try again in 15 minutes" in text
    assert right["Retry-After"] == str(15 * 60)
    assert '<form method="post"' in text  # the owner can try again from the same page later


def test_the_wait_counts_down_and_then_the_right_password_works(client, owner):
    with time_machine.travel(T0, tick=False):
        for i in range(LIMIT):
            attempt(client, "ada", f"guess {i}")
    with time_machine.travel(T0 + timedelta(minutes=11, seconds=30), tick=False):
        still = attempt(client, "ada", RIGHT)
    assert still.status_code == 429 and "Try again in 4 minutes" in still.content.decode()
    with time_machine.travel(T0 + timedelta(minutes=14, seconds=30), tick=False):
        last = attempt(client, "ada", RIGHT)
    assert last.status_code == 429 and "Try again in 1 minute." in last.content.decode()
    with time_machine.travel(T0 + timedelta(minutes=15, seconds=1), tick=False):
        response = attempt(client, "ada", RIGHT)
    assert response.status_code == 302 and logged_in(client)


def test_guessing_one_account_from_many_addresses_pauses_that_account(client, owner, other_owner):
    with time_machine.travel(T0, tick=False):
        for i in range(LIMIT):
            attempt(client, "ada", f"guess {i}", address=f"10.1.0.{i + 1}")
        blocked = attempt(client, "ada", RIGHT, address="10.9.9.9")
        assert blocked.status_code == 429 and not logged_in(client)
        # Another account, from an address that guessed, is not paused.
        other = attempt(client, "bob", RIGHT, address="10.1.0.1")
    assert other.status_code == 302 and logged_in(client)


def test_guessing_many_accounts_from_one_address_pauses_that_address(client, owner):
    with time_machine.travel(T0, tick=False):
        for i in range(LIMIT):
            attempt(client, f"user{i}", "guess", address="10.2.0.1")
        blocked = attempt(client, "ada", RIGHT, address="10.2.0.1")
        assert blocked.status_code == 429 and not logged_in(client)
        elsewhere = attempt(client, "ada", RIGHT, address="10.2.0.2")
    assert elsewhere.status_code == 302 and logged_in(client)


def test_the_admin_log_in_page_is_limited_the_same_way(client, django_user_model):
    django_user_model.objects.create_superuser("root", password=RIGHT)
    with time_machine.travel(T0, tick=False):
        for i in range(LIMIT):
            attempt(client, "root", f"guess {i}", page="/admin/login/")
        right = attempt(client, "root", RIGHT, page="/admin/login/")
    assert right.status_code == 429 and not logged_in(client)
    assert "Try again in 15 minutes" in right.content.decode()
    # The pause is per account, whichever page the guesses came through.
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert attempt(client, "root", RIGHT, address="10.3.0.1").status_code == 429


def test_the_count_is_kept_in_the_database_not_in_one_process_memory(client, owner):
    with time_machine.travel(T0, tick=False):
        for i in range(LIMIT):
            attempt(client, "ada", f"guess {i}")
        cache.clear()  # what another web process (with its own local cache) would see
        assert attempt(client, "ada", RIGHT).status_code == 429


def test_a_few_typos_do_not_pause_anyone(client, owner):
    with time_machine.travel(T0, tick=False):
        for i in range(LIMIT - 1):
            wrong = attempt(client, "ada", f"typo {i}")
        assert wrong.status_code == 200
        assert "did not match" in wrong.content.decode()
        assert attempt(client, "ada", RIGHT).status_code == 302
