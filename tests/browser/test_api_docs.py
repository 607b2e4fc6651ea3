"""The owner API's docs page in a real browser: it renders from the vendored Swagger UI under
the site's 'self'-only policy, and asks nothing of any other host."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_from_local_files_with_no_policy_errors(page, live_server, owner, shots):
    errors, requests = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda request: requests.append(request.url))
    _log_in(page, live_server, owner.username)

    page.goto(f"{live_server.url}/api/owner/docs")

    # Swagger UI builds the page from the whole schema in the browser: about 4 s here, more when
    # CI runs the two databases' suites side by side.
    expect(page.get_by_text("/api/owner/connections/{slug}/previews")).to_be_visible(timeout=30_000)
    shots(page, "api-docs")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert [u for u in requests if not u.startswith(live_server.url)] == []
