"""`make run` on a fresh checkout: database created, demo loaded, logins printed, pages served."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def _copy_checkout(target: Path) -> None:
    """Copy the project's files as a fresh clone would have them (no instance data)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_first_time_in_a_fresh_folder(tmp_path):
    checkout = tmp_path / "confapp"
    _copy_checkout(checkout)
    assert not (checkout / "instance" / "confapp.sqlite").exists()
    venv = Path(sys.prefix)  # reuse this environment: installing again would need the network
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFAPP_")}
    command = ["make", "run", f"VENV={venv}", f"PORT={port}", "-o", f"{venv}/.installed-run"]
    server = subprocess.Popen(
        command,
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/healthz", server)
        assert (checkout / "instance" / "confapp.sqlite").exists()
        assert (checkout / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600

        # The demo admin logs in with the printed password and sees the demo's groups.
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        login_page = opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)[1]
        form = {"csrf_token": token, "email": "admin@example.org", "password": "demo-admin-pass"}
        home = opener.open(f"{base}/login", data=urlencode(form).encode()).read().decode()
        assert "Local Groups Network Conference" in home
        groups = opener.open(f"{base}/admin/conferences/1/groups").read().decode()
        assert "150 groups" in groups
        assert "21,000" in groups

        # An invitation made on the Users page links to the port the demo is served on.
        users = opener.open(f"{base}/admin/conferences/1/users").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', users)[1]
        form = {"csrf_token": token, "email": "new@example.org", "role": "steward"}
        invited = opener.open(
            f"{base}/admin/conferences/1/users", data=urlencode(form).encode()
        ).read()
        link = re.search(r'<code id="invitation-link">([^<]+)</code>', invited.decode())[1]
        assert link.startswith(f"{base}/invite/"), link

        # A group's badges printed: the worker `make run` started beside the server renders them.
        assert _print_a_group(opener, base) == "done"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=10)[0]
    assert "Empty database: loading the demo conference" in output
    assert "admin@example.org" in output and "demo-admin-pass" in output
    assert f"http://127.0.0.1:{port}/" in output
    # The command line and the server agree on the address (not Flask's default port 5000).
    assert f"Log in at http://127.0.0.1:{port}/login" in output


def _print_a_group(opener, base: str, seconds: float = 120) -> str:
    """Start a print run for the first demo group with badges; its status once it settles."""
    page = opener.open(f"{base}/admin/conferences/1/badges").read().decode()
    token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', page)[1]
    for group_id in re.findall(r'<option value="(\d+)">', page):
        form = {"csrf_token": token, "kind": "badges", "scope": "group", "group_id": group_id}
        answer = opener.open(f"{base}/admin/conferences/1/badges", data=urlencode(form).encode())
        if "/print-jobs/" in answer.geturl():  # else nothing to print for this group
            break
    else:
        raise AssertionError("no demo group has badges to print")
    deadline = time.monotonic() + seconds
    while (status := json.load(opener.open(f"{answer.geturl()}.json"))["status"]) in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, f"the print run is still {status}"
        time.sleep(0.5)
    return status


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"make run stopped:\n{server.stdout.read()}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds}s")
