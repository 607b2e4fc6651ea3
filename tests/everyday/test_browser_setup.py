"""Browser tests without Chromium skip and say how to install it; where CI requires them, the run stops."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _pytest(**env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "OWNERHUB_REQUIRE_BROWSER")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/browser/test_api_docs.py", "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=ROOT, env={**environ, **env}, capture_output=True, text=True, timeout=300,
    )


def test_browser_tests_skip_with_how_to_install_chromium_when_it_is_missing():
    run = _pytest(CHROMIUM="/nonexistent/chromium")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "skipped" in run.stdout and "error" not in run.stdout.lower()
    assert "Chromium not found at /nonexistent/chromium: install it (Debian/Ubuntu: sudo apt-get install chromium)" in run.stdout


def test_ci_stops_instead_of_skipping_the_browser_tests():
    run = _pytest(CHROMIUM="/nonexistent/chromium", OWNERHUB_REQUIRE_BROWSER="1")
    assert run.returncode != 0
    assert "Browser tests are required here." in run.stdout + run.stderr
    assert "OWNERHUB_REQUIRE_BROWSER=1" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.django_db
def test_the_login_page_says_where_the_first_password_is_kept(client):
    page = client.get("/login/").content.decode()
    assert "first-login.txt" in page and "changepassword owner" in page
