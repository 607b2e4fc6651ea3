"""`manage.py up --demo` from a newcomer's point of view: one command, every state, a clean stop."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_up_demo_serves_every_state_and_stops_cleanly(tmp_path):
    port = _free_port()
    env = {**os.environ, "OWNERHUB_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
           "ARTIFACT_ROOT": str(tmp_path / "artifacts")}
    env.pop("TASKS_BACKEND", None)
    proc = subprocess.Popen([sys.executable, "manage.py", "up", "--demo", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            output.append(line)
            if "Press Ctrl-C" in line or proc.poll() is not None:
                break
        text = "".join(output)
        assert "Press Ctrl-C" in text, text
        password = re.search(r"password '([^']+)'", text).group(1)
        assert (tmp_path / "first-login.txt").read_text().count(password) == 1
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as response:
            assert response.status == 200 and b"password" in response.read().lower()

        health = subprocess.run([sys.executable, "manage.py", "health", "--owner", "owner", "--json"], cwd=ROOT,
                                env=env, capture_output=True, text=True, check=True)
        states = {c["connection"]["slug"]: c["verdict"]["state"] for c in json.loads(health.stdout)}
        assert set(states.values()) == {"setup_required", "paused", "failing", "degraded", "attention", "healthy"}
        assert states["family-chat"] == "attention" and states["work-calendar"] == "failing"

        # The worker is alive: its heartbeat reaches the system projection.
        beat = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from coverage.evidence import load_system; print(load_system().worker.state)"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        for _ in range(30):
            if beat.stdout.strip().endswith("ready"):
                break
            time.sleep(1)
            beat = subprocess.run(beat.args, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        assert beat.stdout.strip().splitlines()[-1] == "ready"
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert "Stopped the web server and the worker." in rest
    # Nothing is left running: the worker was a child in the same group.
    leftover = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
