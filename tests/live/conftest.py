"""Fixtures for live acquisition: a phone source with a token, a calendar feed source."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from django.core.cache import cache

from connections.services import add_connection
from connections.tokens import issue_device_token

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"


def ical(name: str) -> bytes:
    return (FIXTURES / "ical" / name).read_bytes()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The failed-auth counter lives in the cache; each test starts at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}


@pytest.fixture
def phone(owner):
    return add_connection(owner, "owntracks", "my-phone", "My phone")


@pytest.fixture
def phone_token(phone) -> str:
    return issue_device_token(phone)[1]


@pytest.fixture
def calendar(owner, httpserver, settings):
    # The local feed server is an inside address: the installation allows it by name, as a self-hoster would.
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = [httpserver.host]
    return add_connection(owner, "ical_feed", "work-calendar", "Work calendar",
                          feed_url=httpserver.url_for("/cal/private-0123456789abcdef/basic.ics"))


FEED_PATH = "/cal/private-0123456789abcdef/basic.ics"
