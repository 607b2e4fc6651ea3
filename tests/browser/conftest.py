"""Browser tests: a real Chromium (see tests/conftest.py) against pytest-django's live_server.

Screenshots of each step go to ``test-artifacts/browser/`` (gitignored).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's event loop lives until the session ends, and Django
    refuses sync database calls from a thread with a running loop (other suites' live servers)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


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
