"""Fixtures for the owner's everyday jobs: uploading, the imports list, undo, runs, the phone page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from connections.services import add_connection

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"


def fixture(name: str) -> Path:
    return FIXTURES / name


def run_worker() -> None:
    """The real background worker, once over what is queued (django-tasks' database backend)."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def chat(owner):
    return add_connection(owner, "whatsapp", "family-chat", "Family chat")


@pytest.fixture
def timeline(owner):
    return add_connection(owner, "google_timeline", "timeline", "My Timeline")


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}


@pytest.fixture
def read_in_background(settings):
    """Every upload, however small, is read by the worker (as a large one is by default)."""
    settings.OWNERHUB_BACKGROUND_PREVIEW_BYTES = 0
