"""Shared fixtures: owners, connections, and a real Chromium for browser tests."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from tests.factories import OwnerFactory


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def artifact_root(settings, tmp_path):
    """Uploaded artifacts go to a per-test folder, never to var/."""
    root = tmp_path / "artifacts"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


def stored_files(root) -> list:
    """Files in the artifact storage folder (none when it was never created)."""
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture(autouse=True)
def _no_map_tiles(settings):
    """Maps draw on a blank background: no test asks a tile server on the internet for anything."""
    settings.OWNERHUB_MAP_TILES = ""


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each scenario starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _staging_left_empty(request, django_db_blocker):
    """Transactional tests are not rolled back, and staging is no Django model the flush knows:
    empty it after each, so one test's staged rows never meet another's checks."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM coverage_stagedrecord")


@pytest.fixture
def owner(db):
    return OwnerFactory(username="ada")


@pytest.fixture
def other_owner(db):
    return OwnerFactory(username="bob")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
