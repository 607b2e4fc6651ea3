"""One upload limit (OWNERHUB_MAX_UPLOAD_BYTES), enforced while the body streams in, on a real waitress.

The server is a separate waitress process with its own throwaway SQLite database and a 1 MB
cap. A file eight times the cap is sent to the API (with a Content-Length, and chunked) and
to the upload page. The owner gets a rejected receipt in their words, and the bytes the
server process wrote (``/proc/<pid>/io`` ``wchar``: every ``write()`` it made) stay near the
cap instead of growing with the body.

waitress reads a whole request before it calls the app; it is told to keep the body in
memory here (``--inbuf-overflow``) so the count measures Ownerhub's own writes. Its own body
limit (``max_request_body_size``, set by ``up`` from the same setting) bounds that buffer.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CAP = 1024**2
BODY = 8 * CAP
LIMIT_WORDS = "The file is larger than the 1 MB limit."
BOUNDARY = "ownerhub-cap-test"
PASSWORD = "correct horse battery staple"

SETUP = f"""
from django.contrib.auth import get_user_model
from connections.models import Connection
from coverage.services import issue_access_token
owner = get_user_model().objects.create_user("ada", password={PASSWORD!r})
Connection.objects.create(owner=owner, connector="whatsapp", slug="family-chat", name="Family chat")
print(issue_access_token(owner)[1])
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("cap")
    env = {**os.environ, "OWNERHUB_VAR_DIR": str(home), "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
           "ARTIFACT_ROOT": str(home / "artifacts"), "OWNERHUB_MAX_UPLOAD_BYTES": str(CAP),
           "ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SETTINGS_MODULE": "ownerhub.settings"}
    for name in ("TASKS_BACKEND", "DEBUG", "OWNERHUB_HTTPS"):
        env.pop(name, None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    token = subprocess.run([sys.executable, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "waitress", "--listen", f"127.0.0.1:{port}", "--threads", "2",
         f"--inbuf-overflow={4 * BODY}", f"--max-request-body-size={4 * BODY}", "ownerhub.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
    yield {"port": port, "token": token, "pid": proc.pid, "artifacts": home / "artifacts"}
    proc.terminate()
    proc.wait(timeout=30)


def _written(pid: int) -> int:
    """Bytes the process has passed to write() so far (files, pipes, sockets)."""
    return int(re.search(r"^wchar: (\d+)$", Path(f"/proc/{pid}/io").read_text(), re.M).group(1))


def _multipart(field: str, filename: str, size: int, **fields: str) -> tuple[bytes, bytes, bytes]:
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    )
    head += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
             "Content-Type: text/plain\r\n\r\n").encode()
    line = b"01/02/2023, 10:00 - Ada: hello again\n"
    content = (line * (size // len(line) + 1))[:size]
    return head, content, f"\r\n--{BOUNDARY}--\r\n".encode()


def _post_api(server, *, chunked: bool) -> tuple[int, dict, int]:
    head, content, tail = _multipart("file", "WhatsApp Chat with Family.txt", BODY)
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=120)
    headers = {"Authorization": f"Bearer {server['token']}",
               "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    before = _written(server["pid"])
    if chunked:
        pieces = [head] + [content[i:i + 65536] for i in range(0, len(content), 65536)] + [tail]
        conn.request("POST", "/api/owner/connections/family-chat/previews", body=iter(pieces), headers=headers,
                     encode_chunked=True)
    else:
        conn.request("POST", "/api/owner/connections/family-chat/previews", body=head + content + tail,
                     headers=headers)
    response = conn.getresponse()
    body = response.read()
    written = _written(server["pid"]) - before
    conn.close()
    return response.status, json.loads(body), written


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_upload_far_over_the_limit_gets_a_rejected_receipt_and_is_not_kept(server, chunked):
    status, receipt, written = _post_api(server, chunked=chunked)
    print(f"API ({'chunked' if chunked else 'content-length'}): {status}, wrote {written} bytes for {BODY}")

    assert status == 413, receipt
    assert receipt["status"] == "rejected"
    assert receipt["reject_reason"] == "too_large"
    assert receipt["sentence"].startswith(f"This file could not be imported: {LIMIT_WORDS}"), receipt["sentence"]
    assert written < 1.25 * CAP, f"wrote {written} bytes for a {BODY}-byte upload under a {CAP}-byte cap"
    assert not [p for p in server["artifacts"].rglob("*") if p.is_file()]


def test_the_upload_page_says_the_file_is_over_the_limit(server):
    base = f"http://127.0.0.1:{server['port']}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def csrf(path: str) -> str:
        with opener.open(base + path, timeout=30) as page:
            return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)

    login = urllib.parse.urlencode({"username": "ada", "password": PASSWORD,
                                    "csrfmiddlewaretoken": csrf("/login/")}).encode()
    opener.open(urllib.request.Request(base + "/login/", data=login), timeout=30).close()
    head, content, tail = _multipart("artifact", "WhatsApp Chat with Family.txt", BODY,
                                     csrfmiddlewaretoken=csrf("/sources/family-chat/upload/"))
    request = urllib.request.Request(base + "/sources/family-chat/upload/", data=head + content + tail,
                                     headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    before = _written(server["pid"])
    with opener.open(request, timeout=120) as page:  # follows the redirect to the receipt
        html = page.read().decode()
        final_url = page.url
    written = _written(server["pid"]) - before
    print(f"upload page: wrote {written} bytes for {BODY}")

    assert "/receipts/" in final_url
    assert LIMIT_WORDS in html
    assert written < 1.25 * CAP + 256 * 1024, f"wrote {written} bytes (pages included) for a {BODY}-byte upload"
