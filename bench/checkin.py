"""Door check-in under load: scans per second and latency through the real server, then a count.

Run: .venv/bin/python -m bench.checkin [--db sqlite|postgresql|both] [--clients 32]
     [--seconds 10] [--workers N] [--threads T] [--badges 20000]

For each database it builds a fresh conference with one door ("Main entrance"), 20,000
approved delegates with live badge codes and a scanner's device token, starts gunicorn on a
free loopback port and lets 32 clients post scans (POST /api/v1/scans, one distinct badge
each time, so every scan should admit) for --seconds; then, the same way, GET /healthz,
which touches no database: the ratio of the two shows what the scan path costs. Then it
counts in the database (a scan row for every 200 answer, all 'ok', one person inside per
badge) and runs a contention round: all clients scanning the same 50 badges at once, each of
which must be admitted exactly once.

Server settings: without --workers it measures 4 sync workers (a new connection for every
request) and 2 gthread workers of 4 threads (one process a core, threads overlapping the
database's waits, connections kept open); --workers N alone means N sync workers, with
--threads T > 1 N gthread workers of T threads. PostgreSQL is the server at 127.0.0.1:5432
(user postgres), database confapp_bench, created if missing and emptied; SQLite is a file in
a temporary folder. The load generator is one asyncio process writing HTTP/1.1 by hand, so
it takes little of the two cores it shares with the server and the database; the CPU each
took is printed.

Goal of the product: 1,000 scans/s or more on PostgreSQL with p99 under 50 ms at 32
concurrent clients on a 2-core machine. Nothing here asserts a timing: the figures are
printed. The exit status is 1 only when the count finds a lost scan or a double admission.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.common import PG_BENCH_DATABASE, create_bench_database
from confapp import create_app, factories
from confapp.checkin.services import add_door, create_device_token
from confapp.credentials import codes
from confapp.extensions import db
from confapp.models import AuditEntry, Credential, Delegate, Group, Presence, Scan, utcnow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_DATABASE = PG_BENCH_DATABASE  # the only database this bench creates, empties or writes
DOOR = "Main entrance"
GROUP_SIZE = 10
CONTENDED = 50  # badges every client scans at once in the contention round
WARM_UP_S = 1.0  # scans and health checks before measuring: workers connect and warm up
REQUEST_TIMEOUT_S = 30.0
GOAL_RATE, GOAL_P99_MS = 1000, 50.0
ROLL_TABLES = 'conference, section, "group", delegate, credential, door, device_token'
DEFAULT_SERVERS = ((4, 1), (2, 4))  # (workers, threads): sync ×4, gthread 2×4


# --- the database ---------------------------------------------------------------------------


def postgres_url() -> str:
    """The URL of confapp_bench, created if missing and emptied; no other database is touched."""
    create_bench_database(f"{PG_SERVER}/postgres")
    url = f"{PG_SERVER}/{PG_DATABASE}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if connection.execute(sa.text("SELECT current_database()")).scalar() != PG_DATABASE:
            raise RuntimeError(f"connected to the wrong database, not {PG_DATABASE}")
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def bench_app(url: str, instance: Path):
    """An app on `url` with its instance folder in `instance`, for setting up and counting."""
    return create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SECURE_COOKIES": False,
        }
    )


def populate(app, badges: int) -> tuple[str, list[str]]:
    """Tables, a conference, its door and `badges` approved people with codes; (token, codes)."""
    with app.app_context():
        db.create_all()
        conference = factories.conference("Check-in bench")
        section_id = conference.sections[0].id
        db.session.execute(
            sa.insert(Group),
            [
                {
                    "conference_id": conference.id,
                    "section_id": section_id,
                    "name": f"Bench group {i:05d}",
                    "members": 500 + i,
                }
                for i in range((badges + GROUP_SIZE - 1) // GROUP_SIZE)
            ],
        )
        group_ids = db.session.execute(db.select(Group.id).order_by(Group.id)).scalars().all()
        now = utcnow()
        db.session.execute(
            sa.insert(Delegate),
            [
                {
                    "conference_id": conference.id,
                    "group_id": group_ids[n // GROUP_SIZE],
                    "pass_type": "delegate",
                    "seat": "base",
                    "name": f"Bench Delegate {n:05d}",
                    "email": f"bench{n}@example.org",
                    "status": "approved",
                    "submitted_at": now,
                    "decided_at": now,
                }
                for n in range(badges)
            ],
        )
        delegate_ids = db.session.execute(db.select(Delegate.id).order_by(Delegate.id)).scalars()
        db.session.execute(
            sa.insert(Credential),
            [
                {"conference_id": conference.id, "delegate_id": i, "code": codes.new_code()}
                for i in delegate_ids
            ],
        )
        db.session.commit()
        door = add_door(conference, DOOR)
        _, token = create_device_token(conference, door, "bench scanner")
        badge_codes = db.session.execute(db.select(Credential.code).order_by(Credential.id))
        badge_codes = badge_codes.scalars().all()
        if db.engine.dialect.name == "postgresql":
            # The roll as autovacuum would have left it long before the day (else it runs
            # during the first round). Not scan and presence: see reset_door.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text(f"VACUUM ANALYZE {ROLL_TABLES}"))
                c.execute(sa.text("CHECKPOINT"))
        db.session.remove()
        db.engine.dispose()
    return token, badge_codes


def reset_door(app) -> None:
    """Forget every scan: nobody inside, no scans, no scan audit entries, no dead rows left."""
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as connection:
            connection.execute(sa.delete(AuditEntry).where(AuditEntry.entity_type == "scan"))
            if postgres:
                connection.execute(sa.text("TRUNCATE scan, presence"))
            else:
                connection.execute(sa.delete(Scan))
                connection.execute(sa.delete(Presence))
        if postgres:
            # scan and presence are left as TRUNCATE leaves them, never analyzed, like a new
            # install's on the first morning. Analyzed while empty, PostgreSQL would plan each
            # worker's prepared read to scan them from end to end, and keep that plan as they
            # grow until autovacuum analyzes them again (a minute at most): harmless at a real
            # door's 10 scans a second, but in a 10-second round at 1,000 a second it measured
            # the planner's stale guess (0.7 ms of PostgreSQL a scan) rather than the scan.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("VACUUM ANALYZE audit_entry"))
        db.engine.dispose()


# --- the server -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    """How gunicorn runs: sync workers (threads == 1) or gthread workers."""

    workers: int
    threads: int = 1
    gthread: bool = False  # with one thread: a gthread worker still keeps connections alive

    @property
    def is_sync(self) -> bool:
        """Sync workers: one request a connection, one at a time."""
        return self.threads == 1 and not self.gthread

    @property
    def label(self) -> str:
        """'sync ×4' or 'gthread 2×4'."""
        if self.is_sync:
            return f"sync ×{self.workers}"
        return f"gthread {self.workers}×{self.threads}"

    def arguments(self) -> list[str]:
        """gunicorn's command-line options for this setting."""
        options = ["-w", str(self.workers)]
        if not self.is_sync:
            options += ["-k", "gthread", "--threads", str(self.threads)]
        return options


def free_port() -> int:
    """A loopback port nobody listens on (for a moment)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving wsgi:app on a free port; stopped, with its workers, on leaving."""

    def __init__(self, spec: ServerSpec, url: str, folder: Path):
        self.spec = spec
        self.on_postgres = url.startswith("postgresql")
        self.port = free_port()
        self.log_path = folder / f"gunicorn-{self.port}.log"
        self.env = os.environ | {
            "CONFAPP_DATABASE_URL": url,
            "CONFAPP_SECRET_KEY": "bench",
            "CONFAPP_INSTANCE_PATH": str(folder),
            "CONFAPP_SECURE_COOKIES": "0",
            # The limiter stays on, as in production: it limits only the login form, so no
            # scan is refused with a 429, but its hook runs on every request.
            "CONFAPP_RATELIMIT_ENABLED": "1",
        }
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        command = [sys.executable, "-m", "gunicorn", *self.spec.arguments()]
        command += ["-b", f"{HOST}:{self.port}", "--error-logfile", str(self.log_path)]
        command.append("--no-control-socket")  # else every run shares ~/.gunicorn/gunicorn.ctl
        command.append("wsgi:app")
        try:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stopped with its workers
            )
            self.wait_healthy()
        except BaseException:  # Ctrl-C while the workers start, too
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_healthy(self, limit_s: float = 30.0) -> None:
        """Return once /healthz answers 200; raise with the server's log if it never does."""
        give_up = time.monotonic() + limit_s
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                break  # it exited: the log says why
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not come up:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The end of gunicorn's error log."""
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM to the master and its workers, SIGKILL if they linger."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait_s)
                return
            except subprocess.TimeoutExpired:
                continue

    def pids(self) -> list[int]:
        """The master and its workers."""
        if self.process is None:
            return []
        try:
            with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as children:
                return [self.process.pid, *map(int, children.read().split())]
        except FileNotFoundError:
            return []


# --- CPU accounting -------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")
CLIENT_BACKEND = re.compile(r"\(\d+\)|\[local\]")


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of one process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _postgres_pids() -> list[int]:
    """The PostgreSQL server's own processes and its backends on confapp_bench (no others')."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                title = cmdline.read().decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError):
            continue
        # A backend's title names its user, database and client: "postgres db 127.0.0.1(5)".
        if f" {PG_DATABASE} " in title or not CLIENT_BACKEND.search(title):
            found.append(int(entry))
    return found


def _machine_busy_seconds() -> float:
    """CPU seconds all cores have spent not idle since boot."""
    with open("/proc/stat") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / TICK  # all but idle and iowait


def cpu_snapshot(server: Server) -> dict[str, float]:
    """CPU seconds so far of gunicorn, PostgreSQL, this process (the load generator), the rest."""
    own = os.times()
    found = {"gunicorn": sum(map(_cpu_seconds, server.pids()))}
    if server.on_postgres:
        found["postgres"] = sum(map(_cpu_seconds, _postgres_pids()))
    found["generator"] = own.user + own.system
    found["other"] = _machine_busy_seconds() - sum(found.values())
    return found


# --- the load generator ---------------------------------------------------------------------


class Connection:
    """One client's HTTP/1.1 connection: kept while the server keeps it, reopened when not."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send a request, return the status and body.

        A request on a kept connection the server has just closed is sent again on a new one;
        for a scan that is safe, since its nonce makes a repeat count once.
        """
        for attempt in (1, 2):
            kept = self.writer is not None
            if not kept:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            try:
                self.writer.write(request)
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if kept and attempt == 1:
                    continue
                raise
            status, length, keep = parse_head(head)
            body = await self.reader.readexactly(length)
            if not keep:
                self.close()
            return status, body
        raise ConnectionError("unreachable")

    def close(self) -> None:
        """Drop the connection."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the connection stays open, from a response's head."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep = None, lines[0].startswith("HTTP/1.1")
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            keep = value.strip().lower() != "close"
    if length is None:
        raise ValueError("response without Content-Length")
    return status, length, keep


class Requests:
    """Hand-built requests against one server: a scan of a badge, and the health check."""

    def __init__(self, port: int, token: str):
        self.scan_head = (
            f"POST /api/v1/scans HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        self.healthz = f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()
        self.nonces = itertools.count(1)

    def scan(self, code: str) -> bytes:
        """A check-in scan of `code` at the main door, with a nonce never used before."""
        body = json.dumps(
            {"code": code, "direction": "in", "nonce": f"b{next(self.nonces)}", "door": DOOR}
        ).encode()
        return self.scan_head + b"Content-Length: %d\r\n\r\n" % len(body) + body


@dataclass
class Round:
    """What one round of requests gave: latencies of the answered ones, answers, errors."""

    latencies: list[float] = field(default_factory=list)
    answers: list[tuple[str, int, dict]] = field(default_factory=list)  # (key, status, body)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, what went wrong)
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    ran_out: bool = False

    @property
    def rate(self) -> float:
        """Answered requests per second."""
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, p: float) -> float:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def cpu_line(self) -> str:
        """CPU each party used, in cores (CPU seconds per second); 'other': the rest of the box."""
        return ", ".join(
            f"{name} {seconds / self.elapsed:.2f}"
            for name, seconds in self.cpu.items()
            if seconds >= 0.005 * self.elapsed
        )

    def cost_line(self) -> str:
        """CPU milliseconds per request, and the rate the machine's cores could give at most.

        Less swayed than the rate by other processes sharing the machine.
        """
        if not self.latencies:
            return "no answers"
        ours = {name: s for name, s in self.cpu.items() if name != "other" and s > 0}
        per_request = {name: s / len(self.latencies) * 1000 for name, s in ours.items()}
        total = sum(per_request.values())
        parts = " + ".join(f"{name} {ms:.2f}" for name, ms in per_request.items() if ms >= 0.005)
        ceiling = (os.cpu_count() or 1) * 1000 / total if total else float("inf")
        return f"{parts} = {total:.2f} ms CPU a request: {ceiling:,.0f}/s at most on these cores"


async def hammer(port: int, clients: int, seconds: float, work) -> Round:
    """`clients` connections sending work()'s requests until `seconds` pass or work runs out.

    work() gives (key, request bytes) or None when there is nothing more to send.
    """
    result = Round()
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        connection = Connection(port)
        try:
            while time.perf_counter() < deadline:
                item = work()
                if item is None:
                    result.ran_out = True
                    return
                key, request = item
                start = time.perf_counter()
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT_S):
                        status, body = await connection.send(request)
                except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
                    connection.close()
                    result.failed.append((key, f"{type(e).__name__}: {e}"))
                    continue
                result.latencies.append(time.perf_counter() - start)
                result.answers.append((key, status, _json(body)))
        finally:
            connection.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.elapsed = time.perf_counter() - start
    return result


def _json(body: bytes) -> dict:
    """The answer's JSON object, or {} if it is not one."""
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def measure(
    server: Server, requests: Requests, badges, clients: int, seconds: float, health: bool
) -> Round:
    """A timed round of scans of fresh badges (or of health checks), with the CPU it took."""
    if health:

        def work():
            return "healthz", requests.healthz
    else:

        def work():
            code = next(badges, None)
            return None if code is None else (code, requests.scan(code))

    before = cpu_snapshot(server)
    result = await hammer(server.port, clients, seconds, work)
    after = cpu_snapshot(server)
    result.cpu = {name: after[name] - before[name] for name in before}
    return result


async def contend(server: Server, requests: Requests, contended: list[str], clients: int):
    """Every client scans the same badge at the same moment, badge after badge."""
    result = Round()
    connections = [Connection(server.port) for _ in range(clients)]

    async def one(connection: Connection, code: str) -> None:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                status, body = await connection.send(requests.scan(code))
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            connection.close()
            result.failed.append((code, f"{type(e).__name__}: {e}"))
            return
        result.answers.append((code, status, _json(body)))

    start = time.perf_counter()
    for code in contended:
        await asyncio.gather(*(one(connection, code) for connection in connections))
    result.elapsed = time.perf_counter() - start
    for connection in connections:
        connection.close()
    return result


# --- the count ------------------------------------------------------------------------------


def check_fresh_scans(app, rounds: list[Round]) -> list[str]:
    """Compare the database with the answers to scans of distinct badges; problems, if any."""
    answered = Counter()  # code -> 200 answers
    not_admitted = []
    for result in rounds:
        for code, status, body in result.answers:
            if status == 200:
                answered[code] += 1
                if body.get("result") != "admitted":
                    not_admitted.append((code, body.get("result")))
    failed = {code for result in rounds for code, _ in result.failed}
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(db.select(Scan.code, Scan.status)).all()
        inside = set(
            connection.execute(
                db.select(Credential.code)
                .join(Presence, Presence.delegate_id == Credential.delegate_id)
                .where(Presence.is_inside)
            ).scalars()
        )
        audited = connection.execute(
            db.select(sa.func.count()).where(AuditEntry.entity_type == "scan")
        ).scalar_one()
    per_code = Counter(code for code, _ in rows)
    statuses = Counter(status for _, status in rows)
    problems = []
    sent_twice = [code for code, n in answered.items() if n > 1]
    if sent_twice:
        problems.append(f"{len(sent_twice)} badges were answered twice (bench error)")
    lost = [code for code in answered if code not in per_code]
    if lost:
        problems.append(f"LOST: {len(lost)} scans answered 200 have no scan row")
    doubled = [code for code, n in per_code.items() if n > 1]
    if doubled:
        problems.append(f"DOUBLE: {len(doubled)} badges have more than one scan row")
    if statuses.get("ok", 0) != len(rows):
        problems.append(f"REFUSED: scan rows by status {dict(statuses)}, all should be 'ok'")
    if not_admitted:
        problems.append(
            f"REFUSED: {len(not_admitted)} answers not 'admitted', e.g. {not_admitted[0]}"
        )
    unrecorded_inside = [code for code in answered if code not in inside]
    if unrecorded_inside:
        problems.append(f"LOST: {len(unrecorded_inside)} admitted badges not inside")
    strays = (inside | set(per_code)) - set(answered) - failed
    if strays:
        problems.append(f"STRAY: {len(strays)} people inside or scanned whom no request named")
    recorded_failed = sorted(failed & set(per_code))
    line = (
        f"check: {sum(answered.values()):,} scans answered 200, {len(rows):,} scan rows"
        f" ({statuses.get('ok', 0):,} 'ok', {audited:,} audit entries),"
        f" {len(inside):,} people inside for {len(answered):,} distinct badges"
    )
    if failed:
        line += (
            f"; {len(failed)} requests failed, {len(recorded_failed)} of them recorded"
            " all the same (not counted as lost or double)"
        )
    print(f"  {line}")
    return problems


def check_contention(app, result: Round, contended: list[str], clients: int) -> list[str]:
    """Each contended badge admitted exactly once, by the answers and by the database."""
    admitted = Counter(code for code, s, body in result.answers if body.get("result") == "admitted")
    results = Counter(body.get("result") or f"HTTP {s}" for _, s, body in result.answers)
    answered_200 = sum(1 for _, s, _ in result.answers if s == 200)
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(
            db.select(Scan.code, Scan.status).where(Scan.code.in_(contended))
        ).all()
        inside = connection.execute(
            db.select(sa.func.count())
            .select_from(Presence)
            .join(Credential, Credential.delegate_id == Presence.delegate_id)
            .where(Credential.code.in_(contended), Presence.is_inside)
        ).scalar_one()
    ok_rows = Counter(code for code, status in rows if status == "ok")
    problems = []
    twice = {code: n for code, n in ok_rows.items() if n > 1}
    if twice:
        problems.append(f"DOUBLE: {len(twice)} contended badges have more than one 'ok' scan")
    never = [code for code in contended if ok_rows[code] == 0]
    if never:
        problems.append(f"LOST: {len(never)} contended badges were never admitted")
    if any(n != 1 for n in admitted.values()) or len(admitted) != len(contended):
        problems.append(f"answers: badges answered 'admitted' {dict(Counter(admitted.values()))}")
    if inside != len(contended):
        problems.append(f"{inside} of the {len(contended)} contended people are inside")
    if len(rows) != answered_200:
        problems.append(f"{len(rows)} scan rows for {answered_200} answers 200")
    verdict = "each admitted exactly once" if not problems else "NOT each admitted once"
    print(
        f"  contention: {clients} clients × the same {len(contended)} badges at once,"
        f" {len(result.answers):,} answers {dict(results)}, {len(result.failed)} failed,"
        f" {len(rows):,} scan rows, {inside} inside: {verdict}"
    )
    return problems


# --- one database, several server settings --------------------------------------------------


@dataclass
class Figures:
    """One server setting's printed line."""

    database: str
    spec: ServerSpec
    scans: Round
    health: Round

    def line(self) -> str:
        """The figures in the table's columns."""
        s, h = self.scans, self.health
        ratio = s.rate / h.rate if h.rate else float("nan")
        errors = len(s.failed) + sum(1 for _, status, _ in s.answers if status != 200)
        return (
            f"  {self.spec.label:<14} {s.rate:>8,.0f} {s.percentile_ms(50):>7.1f}"
            f" {s.percentile_ms(95):>7.1f} {s.percentile_ms(99):>7.1f} {errors:>6}"
            f" | {h.rate:>9,.0f} {h.percentile_ms(99):>7.1f} | {ratio:>6.2f}"
        )


HEADER = (
    f"  {'server':<14} {'scans/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
    f" | {'healthz/s':>9} {'p99 ms':>7} | {'ratio':>6}"
)


def run_database(kind: str, args, specs: list[ServerSpec], folder: Path):
    """Build the database, then measure and count under each server setting.

    Returns the figures and the problems the counts found.
    """
    instance = folder / kind
    instance.mkdir()
    url = postgres_url() if kind == "postgresql" else f"sqlite:///{instance / 'bench.sqlite'}"
    app = bench_app(url, instance)
    start = time.perf_counter()
    token, badge_codes = populate(app, args.badges)
    with app.app_context(), db.engine.connect() as connection:
        version = connection.execute(
            sa.text("SHOW server_version" if kind == "postgresql" else "SELECT sqlite_version()")
        ).scalar()
    print(
        f"\n== {kind} {version}: {len(badge_codes):,} badges made in"
        f" {time.perf_counter() - start:.1f} s; {args.clients} clients, {args.seconds:g} s a round"
    )
    figures, problems = [], []
    for number, spec in enumerate(specs):
        if number:
            reset_door(app)
        with Server(spec, url, instance) as server:
            result, found = run_setting(app, kind, server, token, badge_codes, args)
        figures.append(result)
        for problem in found:
            print(f"  PROBLEM: {problem}")
        if not found:
            print("  no lost scan, no double admission")
        problems += found
    return figures, problems


def run_setting(app, kind: str, server: Server, token: str, badge_codes: list[str], args):
    """Warm up, time scans and health checks, count, contend, count again; (figures, problems)."""
    requests = Requests(server.port, token)
    contended, badges = badge_codes[:CONTENDED], iter(badge_codes[CONTENDED:])

    def timed(seconds: float, health: bool) -> Round:
        return asyncio.run(measure(server, requests, badges, args.clients, seconds, health))

    warm_up = timed(WARM_UP_S, False)
    timed(WARM_UP_S, True)
    scans = timed(args.seconds, False)
    health = timed(args.seconds, True)
    figures = Figures(kind, server.spec, scans, health)
    print(HEADER)
    print(figures.line())
    print(f"  cpu in cores: scans: {scans.cpu_line()}; healthz: {health.cpu_line()}")
    print(f"  scan: {scans.cost_line()}")
    print(f"  healthz: {health.cost_line()}")
    busy_elsewhere = scans.cpu.get("other", 0) / scans.elapsed
    if busy_elsewhere > 0.25:
        print(
            f"  note: other processes took {busy_elsewhere:.2f} cores during the scans:"
            " the figures are lower than a quiet machine would give"
        )
    if scans.ran_out:
        print(f"  (the badges ran out after {scans.elapsed:.1f} s: try --badges)")
    if health.failed:
        print(f"  healthz: {len(health.failed)} requests failed, e.g. {health.failed[0][1]}")
    samples = scans.failed[:3] + [(k, f"HTTP {s} {b}") for k, s, b in scans.answers if s != 200]
    for key, what in samples[:3]:
        print(f"  error sample: {key}: {what}")
    problems = check_fresh_scans(app, [warm_up, scans])
    contention = asyncio.run(contend(server, requests, contended, args.clients))
    problems += check_contention(app, contention, contended, args.clients)
    if problems:
        print(f"  server log:\n{server.log_tail(10)}")
    return figures, problems


def parse_args(argv=None):
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--workers", type=int, help="gunicorn workers (default: sync ×4, then gthread 2×4)"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument(
        "--gthread", action="store_true", help="gthread workers even with one thread each"
    )
    parser.add_argument("--badges", type=int, default=20_000)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the rounds, print the figures; 1 on a lost scan or a double admission."""
    args = parse_args(argv)
    if args.workers:
        specs = [ServerSpec(args.workers, args.threads, args.gthread)]
    else:
        specs = [ServerSpec(w, t) for w, t in DEFAULT_SERVERS]
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    # SIGTERM unwinds like Ctrl-C, so the servers are stopped and the files removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="confapp-checkin-"))
    print(
        f"cores: {os.cpu_count()}; python {sys.version.split()[0]};"
        f" sqlite {sqlite3.sqlite_version}; load average {os.getloadavg()[0]:.2f};"
        f" goal: {GOAL_RATE:,} scans/s or more on postgresql, p99 under {GOAL_P99_MS:g} ms"
    )
    results: list[Figures] = []
    problems: list[str] = []
    try:
        for kind in kinds:
            figures, found = run_database(kind, args, specs, folder)
            results += figures
            problems += [f"{kind}: {problem}" for problem in found]
    except KeyboardInterrupt:
        print("\ninterrupted")
        return 130
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for result in results:
        s = result.scans
        met = s.rate >= GOAL_RATE and s.percentile_ms(99) < GOAL_P99_MS
        print(
            f"{result.database:<10} {result.spec.label:<14} {s.rate:>7,.0f} scans/s,"
            f" p99 {s.percentile_ms(99):.1f} ms:"
            f" {'meets' if met else 'misses'} the goal"
            f"{'' if result.database == 'postgresql' else ' (set for postgresql)'}"
        )
    if problems:
        print(f"CORRECTNESS FAILURE: {len(problems)} problems; first: {problems[0]}")
        return 1
    print("every count agreed: no lost scan, no double admission")
    return 0


if __name__ == "__main__":
    sys.exit(main())
