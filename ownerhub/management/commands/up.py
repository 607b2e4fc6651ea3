"""manage.py up [--demo]: everything a newcomer needs, in one command.

Migrates, creates the owner account on first run (and says how to log in),
optionally seeds demo sources through the real import and collection code,
then serves the app with a real WSGI server (waitress) and runs the background
worker as a child process. Ctrl-C (or SIGTERM) stops both cleanly.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from waitress import create_server

from ownerhub.demo import seed_demo
from ownerhub.wsgi import application

OWNER = "owner"


class Command(BaseCommand):
    help = "Migrate, create the owner, optionally seed demo data, and run the web server and worker."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="seed demo sources showing each state")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")
        parser.add_argument(
            "--trusted-proxy",
            metavar="ADDRESS",
            help="the address of a TLS-terminating proxy in front: take the scheme and the client's "
            "address from its X-Forwarded-Proto and X-Forwarded-For",
        )

    def handle(self, *args, demo, host, port, threads, no_worker, trusted_proxy=None, **options):
        call_command("migrate", interactive=False, verbosity=0)
        owner, password = self._owner()
        if demo:
            for line in seed_demo(owner):
                self.stdout.write(f"  demo: {line}")
        server = create_server(application, **server_options(host, port, threads, trusted_proxy))  # bound from here on
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"Ownerhub is at {url}"))
        if password:
            self.stdout.write(f"Log in as {OWNER!r} with password {password!r} (also saved in {_login_file()}).")
        else:
            self.stdout.write(
                f"Log in as {OWNER!r}; the first-run password is in {_login_file()} "
                f"(change it with: uv run manage.py changepassword {OWNER})."
            )
        self.stdout.write("Press Ctrl-C to stop.")
        self.stdout.flush()
        worker = None if no_worker else self._start_worker()
        self._serve(server, worker)

    def _owner(self):
        User = get_user_model()
        owner = User.objects.filter(username=OWNER).first()
        if owner is not None:
            return owner, None
        password = secrets.token_urlsafe(12)
        owner = User.objects.create_superuser(OWNER, email="", password=password)
        path = _login_file()
        path.write_text(f"username: {OWNER}\npassword: {password}\n")
        path.chmod(0o600)
        return owner, password

    def _start_worker(self) -> subprocess.Popen:
        from django.core.management import get_commands

        command = "worker" if "worker" in get_commands() else "db_worker"
        args = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), command]
        if command == "db_worker":
            args.append("--no-reload")
        return subprocess.Popen(args)

    def _serve(self, server, worker) -> None:
        received = {}

        def stop(signum, frame):
            received["signal"] = signum
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            # One stop is enough: a second Ctrl-C (or uv forwarding it) must not cut the shutdown short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            server.close()
            if worker is not None:
                _stop_worker(worker, group_interrupted=received.get("signal") != signal.SIGTERM)
            self.stdout.write("Stopped the web server" + (" and the worker." if worker else "."))


def _stop_worker(worker: subprocess.Popen, *, group_interrupted: bool) -> None:
    """Let the worker finish its task and exit; Ctrl-C in a terminal already reached it."""
    if group_interrupted:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def server_options(host: str, port: int, threads: int, trusted_proxy: str | None) -> dict:
    """waitress's options: its body limit is the app's (waitress's own default is 1 GiB)."""
    options = {"host": host, "port": port, "threads": threads,
               "max_request_body_size": settings.OWNERHUB_MAX_REQUEST_BYTES}
    if trusted_proxy:
        options |= {"trusted_proxy": trusted_proxy,
                    "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}}
    return options


def _login_file() -> Path:
    return Path(settings.VAR_DIR) / "first-login.txt"
