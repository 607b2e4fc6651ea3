"""Browser tests: a real Chromium (see tests/conftest.py) against pytest-django's live_server.

Screenshots of each step go to ``test-artifacts/browser/`` (gitignored).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here (no Chromium where they look), or None."""
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if os.access(path, os.X_OK):
        return None
    return (
        f"Chromium not found at {path}: install it (Debian/Ubuntu: sudo apt-get install chromium) "
        "or set CHROMIUM to its path"
    )


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's event loop lives until the session ends, and Django
    refuses sync database calls from a thread with a running loop (other suites' live servers).

    Without Chromium they are skipped with a reason saying how to install it, unless
    ``OWNERHUB_REQUIRE_BROWSER`` is set (``.ci/run`` sets it): then the run stops instead.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    missing = chromium_missing()
    browser_items = [item for item in items if item.get_closest_marker("browser") is not None]
    if missing is None or not browser_items:
        return
    if os.environ.get("OWNERHUB_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"Browser tests are required here. {missing}.")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=missing))


@pytest.fixture(scope="session", autouse=True)
def _database_before_the_browser(django_db_setup):
    """Create the test database before Playwright starts its event loop in this thread."""


@pytest.fixture(scope="module", autouse=True)
def _async_unsafe_allowed():
    # Playwright's sync API runs an event loop in this thread; the ORM calls of a browser
    # test (and the database flush after each) are still sync. Set for browser modules only.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture
def shots(request) -> Iterator:
    """``shots(page, "step")`` saves test-artifacts/browser/<test>/<nn>-<step>.png."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    count = iter(range(1, 100))

    def take(page, step: str) -> Path:
        path = folder / f"{next(count):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    yield take


@pytest.fixture
def worker(live_server):
    """Runs the real ``db_worker --batch`` in this process, on the live server's database.

    With the in-memory SQLite test database the live server shares one connection with
    this thread, so requests are held for the moment the worker runs (the page keeps
    polling; its next poll sees the result). On PostgreSQL the lock is merely harmless.
    """
    lock = threading.Lock()
    httpd = live_server.thread.httpd
    app = httpd.get_app()

    def serialized(environ, start_response):
        with lock:
            return app(environ, start_response)

    httpd.set_app(serialized)

    @contextmanager
    def _held():
        with lock:
            yield

    def drain() -> None:
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
        try:
            with _held():
                call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    yield drain
    httpd.set_app(app)
