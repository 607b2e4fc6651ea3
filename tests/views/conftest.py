"""Fixtures for the owner pages: a logged-in owner, a WhatsApp connection, export files."""

from __future__ import annotations

from pathlib import Path

import pytest

from connections.services import add_connection

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def chat(owner):
    return add_connection(owner, "whatsapp", "family-chat", "Family chat")


@pytest.fixture
def immediate_tasks(settings):
    """Imports land inside the request, as if a worker picked them up at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def artifact_storage(artifact_root):
    return artifact_root


def export(name: str) -> Path:
    return FIXTURES / name
