"""The README's production recipe, run for real: waitress behind a TLS-terminating proxy.

The web server is started exactly as "Running in production" says (the
command is read from the README), with ``OWNERHUB_HTTPS=1``, behind a small
local reverse proxy that adds ``X-Forwarded-For`` and ``X-Forwarded-Proto:
https``. The browser connects from 127.0.0.2, so the address the app records
shows whether the client's address got through the proxy. ``manage.py up``
gets the same treatment with its own options.
"""

from __future__ import annotations

import http.client
import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from tests.hardening.proxy import ReverseProxy

ROOT = Path(__file__).resolve().parents[2]
CLIENT = "127.0.0.2"  # the browser's address (loopback, but not the proxy's 127.0.0.1)
PASSWORD = "correct horse battery"
GiB, MiB = 1024**3, 1024**2


def readme_recipe() -> list[str]:
    """The waitress command of the README's "Running in production" section, as argv."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Running in production", 1)[1]
    block = next(b for b in re.findall(r"```sh\n(.*?)```", section, re.S) if "waitress-serve" in b)
    return shlex.split(block.replace("\\\n", " "))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not start: " + log.read_text())


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def production_env(var: Path, **extra: str) -> dict:
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "s" * 20 + "-from-the-environment-" + "t" * 20,
           "ALLOWED_HOSTS": "127.0.0.1", "OWNERHUB_HTTPS": "1", "OWNERHUB_VAR_DIR": str(var),
           "DATABASE_URL": f"sqlite:///{var / 'ownerhub.sqlite3'}", "ARTIFACT_ROOT": str(var / "artifacts"),
           **extra}
    for name in ("TASKS_BACKEND", "OWNERHUB_MAX_UPLOAD_BYTES"):
        if name not in extra:
            env.pop(name, None)
    return env


class Browser:
    """Just enough of a browser: keeps cookies (Secure ones too: the proxy is its https), sends Referer."""

    def __init__(self, port: int, source: str = CLIENT):
        self.origin = f"https://127.0.0.1:{port}"
        self.port = port
        self.source = source
        self.cookies: dict[str, str] = {}
        self.set_cookies: dict[str, object] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.source, 0))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin,
                        "Referer": f"{self.origin}{path}"}
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read().decode()
        finally:
            conn.close()
        for raw in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(raw)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
                self.set_cookies[name] = morsel
        return response, content


def announce_upload(port: int, length: int, wait: float = 2.0) -> bytes:
    """Send only the headers of an upload of ``length`` bytes; what the server answers at once ('' = it waits)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(wait)
        s.sendall(
            f"POST /api/owner/connections/chat/imports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}\r\n\r\n".encode()
        )
        try:
            return s.recv(200)
        except TimeoutError:
            return b""


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    """The README's waitress command on a free port, with a migrated database holding owners 'ada' and 'bob'."""
    var = tmp_path_factory.mktemp("production")
    env = production_env(var)
    manage(env, "migrate")
    manage(env, "shell", "-c",
           "from django.contrib.auth.models import User\n"
           f"for name in ('ada', 'bob'): User.objects.create_user(name, password={PASSWORD!r})")
    port = free_port()
    argv = readme_recipe()
    assert argv[:3] == ["uv", "run", "waitress-serve"], argv
    argv = [sys.executable, "-m", "waitress", *(re.sub(r"^--listen=.*", f"--listen=127.0.0.1:{port}", a)
                                                 for a in argv[3:])]
    log = var / "waitress.log"
    with log.open("w") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_listening(port, proc, log)
        yield {"port": port, "database": var / "ownerhub.sqlite3", "argv": argv, "env": env, "var": var}
    finally:
        stop(proc)


def test_the_production_recipe_logs_the_owner_in_behind_a_tls_proxy(recipe):
    with ReverseProxy(recipe["port"]) as proxy:
        browser = Browser(proxy.port)
        page, html = browser.request("GET", "/login/")
        assert page.status == 200, (page.status, page.getheader("Location"))  # not a redirect to https://
        assert browser.set_cookies["csrftoken"]["secure"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

        answer, _ = browser.request("POST", "/login/", {"csrfmiddlewaretoken": token, "username": "ada",
                                                         "password": PASSWORD, "next": ""})
        assert answer.status == 302 and answer.getheader("Location") == "/"
        session = browser.set_cookies["sessionid"]
        assert session["secure"] and session["httponly"]

        dashboard, html = browser.request("GET", "/")
        assert dashboard.status == 200 and "Log out" in html
        assert dashboard.getheader("Strict-Transport-Security", "").startswith("max-age=")

    # The app saw the browser's address, not the proxy's: the log-in record says so.
    with sqlite3.connect(recipe["database"]) as db:
        addresses = [row[0] for row in db.execute("SELECT ip_address FROM axes_accesslog WHERE username = 'ada'")]
    assert addresses == [CLIENT]


def test_the_production_recipe_takes_uploads_up_to_the_app_limit(recipe):
    """waitress's own body limit is the app's upload cap plus the form's envelope, not its 1 GiB default."""
    assert announce_upload(recipe["port"], 3 * GiB // 2) == b""  # accepted: waitress waits for the body
    assert settings.OWNERHUB_MAX_UPLOAD_BYTES == 4 * GiB  # the default the README's recipe is written for
    assert f"--max-request-body-size={settings.OWNERHUB_MAX_REQUEST_BYTES}" in recipe["argv"]
    refused = announce_upload(recipe["port"], settings.OWNERHUB_MAX_REQUEST_BYTES + MiB)
    assert refused.startswith(b"HTTP/1.1 413")


def test_a_log_in_pause_holds_across_web_processes(recipe):
    """Wrong passwords sent to one web process pause the account in another one too."""
    port = free_port()
    argv = [re.sub(r"^--listen=.*", f"--listen=127.0.0.1:{port}", a) for a in recipe["argv"]]
    log = recipe["var"] / "second.log"
    with log.open("w") as out:
        second = subprocess.Popen(argv, cwd=ROOT, env=recipe["env"], stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        wait_listening(port, second, log)
        with ReverseProxy(recipe["port"]) as one, ReverseProxy(port) as two:
            guesser = Browser(one.port, source="127.0.0.3")
            for i in range(10):
                _, html = guesser.request("GET", "/login/")
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
                wrong, _ = guesser.request("POST", "/login/", {"csrfmiddlewaretoken": token, "username": "bob",
                                                               "password": f"guess {i}"})
                assert wrong.status == (429 if i == 9 else 200)  # the 10th wrong one starts the pause
            owner = Browser(two.port)
            _, html = owner.request("GET", "/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
            paused, html = owner.request("POST", "/login/", {"csrfmiddlewaretoken": token, "username": "bob",
                                                             "password": PASSWORD})
        assert paused.status == 429 and "Try again in 15 minutes" in html
        assert "sessionid" not in owner.cookies
    finally:
        stop(second)


def test_up_serves_behind_a_tls_proxy_and_takes_uploads_up_to_the_app_limit(tmp_path):
    port = free_port()
    env = production_env(tmp_path, OWNERHUB_MAX_UPLOAD_BYTES=str(2 * GiB))
    log = tmp_path / "up.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "up", "--no-worker", "--port", str(port), "--trusted-proxy", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_listening(port, proc, log)
        with ReverseProxy(port) as proxy:
            page, html = Browser(proxy.port).request("GET", "/login/")
        assert page.status == 200 and "Log in" in html
        assert announce_upload(port, 3 * GiB // 2) == b""
        assert announce_upload(port, 2 * GiB + 2 * MiB).startswith(b"HTTP/1.1 413")
    finally:
        stop(proc)
    assert proc.returncode == 0, log.read_text()
