"""Bench: simulated phones pushing locations to the real server on loopback.

    uv run python bench/device_push.py [--phones 20] [--seconds 60] [--threads 8]

It makes a throwaway installation in a temporary folder (SQLite, migrated),
one owner with one phone source and a device token per phone, starts the
WSGI app under waitress in a subprocess, and runs one thread per phone that
pushes one point per second (half OwnTracks with HTTP Basic, half Overland
with a bearer token). Everything stops by itself after ``--seconds`` (plus a
grace period for requests in flight), and the folder is removed.

Printed: accepted points/s, p50/p95/max latency, lost points (sent and
answered 200, but not stored), refused requests by status, and batches
created (one per device per hour is the design, so about one per phone).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_installation(var_dir: Path, phones: int) -> list[str]:
    """Migrate a fresh database in ``var_dir`` and return one device token per phone."""
    os.environ["OWNERHUB_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ownerhub.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from connections.services import add_connection
    from connections.tokens import issue_device_token

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench", password="bench-password-1")
    connection = add_connection(owner, "owntracks", "bench-phones", "Bench phones")
    return [issue_device_token(connection)[1] for _ in range(phones)]


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not start on port {port}")


class Phone(threading.Thread):
    def __init__(self, n: int, token: str, port: int, seconds: float, start_at: float):
        super().__init__(name=f"phone-{n}", daemon=True)
        self.n, self.token, self.port, self.seconds, self.start_at = n, token, port, seconds, start_at
        self.kind = "owntracks" if n % 2 == 0 else "overland"
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.accepted = 0

    def body_and_headers(self, i: int) -> tuple[bytes, dict]:
        tst = int(time.time())
        lat, lon = 52.0 + self.n * 0.01, 13.0 + i * 0.0001  # every point distinct
        if self.kind == "owntracks":
            body = {"_type": "location", "lat": lat, "lon": lon, "tst": tst, "tid": f"{self.n:02d}"}
            auth = base64.b64encode(f"bench:{self.token}".encode()).decode()
            headers = {"Authorization": f"Basic {auth}", "X-Limit-U": "bench", "X-Limit-D": f"phone{self.n}"}
        else:
            stamp = datetime.fromtimestamp(tst, UTC).isoformat()
            body = {"locations": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                                   "properties": {"timestamp": stamp, "device_id": f"phone{self.n}"}}]}
            headers = {"Authorization": f"Bearer {self.token}"}
        return json.dumps(body).encode(), {"Content-Type": "application/json", **headers}

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        for i in range(int(self.seconds)):
            # Pace by the clock, one point per second, whatever the last answer took.
            delay = self.start_at + i - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            body, headers = self.body_and_headers(i)
            started = time.perf_counter()
            try:
                conn.request("POST", f"/ingest/{self.kind}", body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = "error"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status] += 1
            if status == 200:
                self.accepted += 1
        conn.close()


def warm_up(port: int, token: str, requests: int) -> None:
    """Concurrent zero-length OwnTracks pushes (answered [] and stored as nothing), so every server
    thread has loaded the app and opened its database connection before the clock starts."""
    auth = base64.b64encode(f"bench:{token}".encode()).decode()

    def one() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/ingest/owntracks", b"", {"Authorization": f"Basic {auth}"})
        conn.getresponse().read()
        conn.close()

    threads = [threading.Thread(target=one) for _ in range(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to state the cost per push apart from load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--conn-max-age", type=int, default=0,
                        help="DATABASE_CONN_MAX_AGE for the server (0 = a new connection per request)")
    parser.add_argument("--verbose", action="store_true", help="latency second by second")
    parser.add_argument("--burst", action="store_true", help="all phones push at the same instant each second")
    return parser.parse_args()


def start_server(args, var_dir: Path, port: int) -> subprocess.Popen:
    """The WSGI app under waitress on 127.0.0.1:PORT, in a subprocess."""
    env = {**os.environ, "OWNERHUB_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "ownerhub.settings",
           "DATABASE_CONN_MAX_AGE": str(args.conn_max_age)}
    return subprocess.Popen(
        [sys.executable, "-m", "waitress", f"--port={port}", "--host=127.0.0.1", f"--threads={args.threads}",
         "ownerhub.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def push_all(args, tokens: list[str], port: int) -> tuple[list[Phone], float]:
    """Every phone pushes for ``--seconds``; (the phones, the seconds it took)."""
    start_at = time.monotonic() + 0.5
    # Real phones are not synchronized: spread their first push over the first second
    # (--burst makes them all push at the same instant instead, a worst case).
    spread = 0.0 if args.burst else 1.0 / max(1, args.phones)
    phones = [Phone(n, token, port, args.seconds, start_at + n * spread) for n, token in enumerate(tokens)]
    for phone in phones:
        phone.start()
    for phone in phones:
        phone.join(args.seconds + 30)  # bounded: a stuck phone is abandoned, not waited for
    return phones, time.monotonic() - start_at


def report(args, phones: list[Phone], elapsed: float, server_cpu: float) -> None:
    from django.db.models import Count

    from connections.models import Connection
    from coverage.models import AcquisitionBatch, Record

    connection = Connection.objects.get(slug="bench-phones")
    stored = Record.objects.filter(connection=connection).count()
    batches = AcquisitionBatch.objects.filter(connection=connection, method="device_sync")
    windows = batches.values("window_key").annotate(n=Count("pk"))

    latencies = [x for p in phones for x in p.latencies]
    statuses = sum((p.statuses for p in phones), Counter())
    accepted = sum(p.accepted for p in phones)
    sent = sum(len(p.latencies) for p in phones)
    timing = "synchronized bursts" if args.burst else "spread over each second"
    print(f"phones {args.phones}, {args.seconds:g} s, waitress threads {args.threads}, SQLite, {timing}, "
          f"CONN_MAX_AGE {args.conn_max_age}")
    print(f"requests sent        {sent}")
    print(f"answered 200         {accepted}   other: {dict((k, v) for k, v in statuses.items() if k != 200)}")
    print(f"accepted points/s    {accepted / elapsed:.1f}")
    print(f"latency p50          {percentile(latencies, 0.50) * 1000:.1f} ms")
    print(f"latency p95          {percentile(latencies, 0.95) * 1000:.1f} ms")
    print(f"latency max          {max(latencies, default=0) * 1000:.1f} ms")
    print(f"mean                 {statistics.fmean(latencies) * 1000:.1f} ms" if latencies else "")
    if args.verbose:
        for second in range(int(args.seconds)):
            row = [p.latencies[second] * 1000 for p in phones if len(p.latencies) > second]
            print(f"  second {second:3d}: max {max(row):7.1f} ms, median {statistics.median(row):6.1f} ms")
    print(f"server CPU per push  {server_cpu / max(1, sent) * 1000:.1f} ms  (load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"stored records       {stored}")
    print(f"lost points          {sent - stored}  (sent - stored; accepted - stored = {accepted - stored})")
    print(f"batches created      {batches.count()}  ({len(windows)} device-hour windows)")


def main() -> None:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="ownerhub-device-push-"))
    server = None
    try:
        tokens = setup_installation(var_dir, args.phones)
        port = free_port()
        server = start_server(args, var_dir, port)
        wait_for_port(port)
        for _ in range(3):
            warm_up(port, tokens[0], args.threads * 2)
        cpu_before = cpu_seconds(server.pid)
        phones, elapsed = push_all(args, tokens, port)
        report(args, phones, elapsed, cpu_seconds(server.pid) - cpu_before)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
