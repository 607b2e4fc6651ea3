import pytest

from connections.tokens import issue_access_token


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def bearer(owner):
    _, secret = issue_access_token(owner)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def worker_at_once(settings, django_capture_on_commit_callbacks):
    """Tasks run when enqueued, and what waits for a commit runs when the test's block ends."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return lambda: django_capture_on_commit_callbacks(execute=True)
