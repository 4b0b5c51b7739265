"""Members at scale: the register's import, voting links by e-mail, casting, turnout, the count.

A conference of 150 groups (12 regions) and a register of 21,000 members, all in good standing.
Timed, each against the goal of issue 15 (Performance):

1. import: register.import_members + commit of a generated CSV (21,000 lines, two sensitive
   attribute columns), on an empty register (21,000 added); then the same members again with a
   new e-mail each (21,000 updated). Goal: under 10 s.
2. links by e-mail: a ballot (a yes/no question and an STV race, 10 candidates for 5 seats with
   quotas) gets its roll (roll.make_roll, timed too); an aiosmtpd server on 127.0.0.1 counts
   what it accepts; real workers (`flask --app confapp worker`, subprocesses, on Redis db
   REDIS_DB, emptied first) send the batches. Timed from mailing.request_links until the server
   has every message and every voter is marked sent. Goal: 21,000 under 3 minutes.
3. casting: every voter is given a known code (Voter.code_hash = hash_code(code)); gunicorn
   (4 sync workers; --gunicorn-workers 2 --gunicorn-threads 8 for gthread) serves the app;
   32 clients (4 processes x 8 threads, http.client, keep-alive where the server keeps it: sync
   workers close after each answer) POST /vote/<code> with a yes/no choice and a realistic
   ranking, each vote a different code, for --seconds after a warm-up. Each client GETs a
   paper once first, as a browser does; the vote needs no cookie or token (the code is the key:
   see members/voting_pages.vote), so the POST carries none.
   Then the database is checked: papers cast and voters marked equal the receipts answered,
   and the receipts are the same. Goal: 500 ballots/s, p99 under 100 ms.
4. turnout: the committee's turnout page (an admin logged in, in-process test client), median
   and p95 of 30 requests. Goal: under 100 ms.
5. the count: the papers not cast over HTTP are filled (as realistic), the ballot closed, then
   counting.count alone (median of 5, papers loaded) and counting.publish once (load, count,
   rewrite the papers shuffled, commit). Goal: publish under 2 s.

Nothing is asserted: the figures and a table of figure against goal are printed, with the load
average (the machine may be shared: its other work slows every figure) and the CPU each step
took of this process, PostgreSQL, the workers and the clients: their sum is near what a step
takes on otherwise idle cores, and for casting gives the most ballots/s the cores allow. The
exit status is 0.
--profile prints cProfile's top functions for the in-process steps (1, 4, 5).

Run: BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/confapp_bench \
         .venv/bin/python -m bench.members [--steps import,mail,cast,turnout,count] [--profile]
     (PostgreSQL: only a database named confapp_bench is used, created if missing; its tables
     are dropped first. Without BENCH_DATABASE_URL: a SQLite file, for trying the bench out;
     --queue-url '' puts the queue in the instance folder instead of Redis.)
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import http.client
import io
import multiprocessing
import os
import pstats
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.checkin import Server, ServerSpec, _cpu_seconds, _postgres_pids, cpu_snapshot, free_port
from bench.common import PG_BENCH_DATABASE, bench_app, counting_queries, create_bench_database
from confapp import factories
from confapp.extensions import db
from confapp.members import counting, mailing, register, roll
from confapp.members.codes import hash_code, new_receipt
from confapp.models import (
    Conference,
    EmailStatus,
    Group,
    MemberBallot,
    MemberOption,
    MemberQuestion,
    MemberVote,
    QuestionKind,
    Role,
    Voter,
    utcnow,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REDIS_DB = 11  # the tests use 15, the README 0: this bench empties and uses 11 only
ADMIN_EMAIL = "committee@bench.example.org"
REGIONS = tuple(f"Region {n:02d}" for n in range(1, 13))
FIRST = ("Ann", "Bob", "Cath", "Dev", "Eve", "Femi", "Gus", "Hana", "Ivo", "Jo", "Kofi", "Lena")
LAST = ("Byrne", "Chen", "Doyle", "Evans", "Green", "Iqbal", "Khan", "O'Neill", "Patel", "Smith")
# The STV race: ten candidates, tagged for the quotas; two slates the voters lean to.
CANDIDATES = (
    ("Asha Patel", ("woman",)),
    ("Ben Okafor", ()),
    ("Carla Ruiz", ("woman", "young")),
    ("Dev Sharma", ("young",)),
    ("Elena Novak", ("woman",)),
    ("Finn Byrne", ()),
    ("Grace Lee", ("woman",)),
    ("Hamid Rahimi", ()),
    ("Iona Kerr", ("woman", "young")),
    ("Jack Moss", ()),
)
QUOTAS = {"woman": [2, None], "young": [1, None]}
SEATS = 5
# Each faction's liking for each candidate (weights of a Plackett-Luce draw).
FACTIONS = (
    (0.55, (6, 9, 1, 5, 2, 7, 1.5, 8, 1, 4)),
    (0.45, (3, 1, 8, 2, 7, 1, 9, 1.5, 6, 1)),
)
# How many candidates a voter ranks: many plump for a few, some rank them all; a few none.
RANKED = tuple(range(11))
RANKED_WEIGHTS = (2, 9, 9, 12, 12, 16, 9, 7, 5, 4, 15)
YES_NO = (("yes", 60), ("no", 30), ("abstain", 10))

GOAL_IMPORT_S = 10.0
GOAL_MAIL_S = 180.0
GOAL_CAST_RATE, GOAL_CAST_P99_MS = 500.0, 100.0
GOAL_TURNOUT_MS = 100.0
GOAL_COUNT_S = 2.0
COUNT_RUNS = 5
RECEIPT = re.compile(rb'<code id="receipt">([^<]+)</code>')
KEPT_CLOSED = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


@dataclass
class Row:
    """One line of the closing table: what was measured, against its goal."""

    figure: str
    measured: str
    goal: str
    met: bool | None  # None: not measured


@dataclass
class Bench:
    """What the steps share: the app, its database, the ballot, and the table being filled."""

    app: object
    url: str
    folder: Path
    args: argparse.Namespace
    conference_id: int = 0
    ballot_id: int = 0
    yes_no_id: int = 0
    stv_id: int = 0
    option_ids: list[int] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def postgres(self) -> bool:
        """Whether the database is PostgreSQL."""
        return self.url.startswith("postgresql")


# --- the database, the conference, the register -----------------------------------------------


def prepare_postgres() -> None:
    """With a PostgreSQL BENCH_DATABASE_URL: refuse all but confapp_bench, create it if missing."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url or sa.make_url(url).get_backend_name() != "postgresql":
        return
    url = sa.make_url(url)
    if url.database != PG_BENCH_DATABASE:
        raise SystemExit(f"bench.members drops every table: use the database {PG_BENCH_DATABASE}.")
    create_bench_database(url.render_as_string(hide_password=False))


def analyze(bench: Bench, tables: str = "") -> None:
    """VACUUM ANALYZE (PostgreSQL), as autovacuum would have done long before the day."""
    if not bench.postgres:
        return
    with bench.app.app_context(), db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text(f"VACUUM ANALYZE {tables}")
        )


def build(bench: Bench) -> list[str]:
    """The conference, its groups and a committee member (admin); the groups' names."""
    with bench.app.app_context():
        conference = factories.conference("Bench members")
        sections = conference.sections
        names = [f"Branch {n:03d}" for n in range(1, bench.args.groups + 1)]
        db.session.execute(
            sa.insert(Group),
            [
                {
                    "conference_id": conference.id,
                    "section_id": sections[n % 2].id,
                    "name": name,
                    "region": REGIONS[n % len(REGIONS)],
                    "members": bench.args.members // bench.args.groups,
                }
                for n, name in enumerate(names)
            ],
        )
        db.session.commit()
        factories.user(ADMIN_EMAIL, conf=conference, role=Role.ADMIN)
        bench.conference_id = conference.id
    return names


def register_csv(groups: list[str], members: int, domain: str) -> bytes:
    """A register file of `members` lines spread over the groups, as an office would export it."""
    rng = random.Random(members)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(register.COLUMNS + ("woman", "young"))
    for n in range(1, members + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        joined = date(2000, 1, 1) + timedelta(days=rng.randrange(8000))
        writer.writerow(
            [
                f"BM{n:06d}",
                f"{first} {last}",
                f"{first}.{last}.{n}@{domain}".lower().replace("'", ""),
                groups[n % len(groups)],
                joined.isoformat(),
                "yes",
                "",
                rng.choice(("yes", "no")),
                rng.choice(("yes", "no", "no", "no", "")),
            ]
        )
    return out.getvalue().encode("utf-8")


# --- measuring helpers ------------------------------------------------------------------------


@contextmanager
def profiled(bench: Bench, label: str):
    """cProfile's top functions for the block, printed, when --profile is given."""
    if not bench.args.profile:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
        stats.print_stats(18)
        print(f"  --- profile: {label} ---")
        print("\n".join("  " + line for line in out.getvalue().splitlines()[4:] if line.strip()))


def percentile(values: list[float], percent: int) -> float:
    """The value below which `percent` of the values lie (inclusive method)."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def load() -> str:
    """The load average, for the record: other work on the machine slows every figure."""
    return "load average " + ", ".join(f"{n:.2f}" for n in os.getloadavg())


def pg_cpu(bench: Bench) -> float:
    """CPU seconds so far of PostgreSQL's processes working for confapp_bench (0 on SQLite)."""
    return sum(map(_cpu_seconds, _postgres_pids())) if bench.postgres else 0.0


@contextmanager
def cpu_used(bench: Bench):
    """Yield a dict filled on leaving: this process's and PostgreSQL's CPU seconds in the block.

    On a shared machine the wall time waits for the cores; the CPU is the step's own work, and
    their sum is near what the step takes on otherwise idle cores (less any disk waits).
    """
    found: dict[str, float] = {}
    own, pg = time.process_time(), pg_cpu(bench)
    try:
        yield found
    finally:
        found["app"] = time.process_time() - own
        found["pg"] = pg_cpu(bench) - pg


def cpu_text(found: dict[str, float], per: int = 1, unit: str = "s") -> str:
    """'CPU: this process 1.20 s + PostgreSQL 0.80 s' (per item in ms when unit is ms)."""
    scale = 1000 / per if unit == "ms" else 1.0
    return (
        f"CPU: this process {found['app'] * scale:.2f} {unit} + PostgreSQL "
        f"{found['pg'] * scale:.2f} {unit}"
    )


def seconds_row(figure: str, elapsed: float, goal: float) -> Row:
    """A row for a step timed in seconds."""
    return Row(figure, f"{elapsed:.2f} s", f"< {goal:g} s", elapsed < goal)


# --- 1. the import ----------------------------------------------------------------------------


def bench_import(bench: Bench, groups: list[str]) -> None:
    """Import the register into an empty conference, then again with every e-mail changed."""
    print(f"\n1. import ({load()})")
    for label, domain in (("new", "bench.example.org"), ("updated", "members.example.org")):
        data = register_csv(groups, bench.args.members, domain)
        with bench.app.app_context():
            conference = db.session.get(Conference, bench.conference_id)
            start = time.perf_counter()
            with (
                cpu_used(bench) as cpu,
                counting_queries() as counter,
                profiled(bench, f"import ({label})"),
            ):
                summary = register.import_members(conference, data, actor=None)
                db.session.commit()
            elapsed = time.perf_counter() - start
            db.session.remove()
        print(
            f"  {bench.args.members:,} members ({label}), {len(data) // 1024:,} KB: "
            f"{elapsed:.2f} s ({cpu_text(cpu)}), {counter.count} statements; {summary}"
        )
        bench.rows.append(
            seconds_row(f"import {bench.args.members:,} members ({label})", elapsed, GOAL_IMPORT_S)
        )
    analyze(bench, "member")


# --- the ballot -------------------------------------------------------------------------------


def make_ballot(bench: Bench) -> None:
    """An open ballot (a yes/no question, an STV race with quotas) and its roll (timed)."""
    with bench.app.app_context():
        now = utcnow()
        ballot = MemberBallot(
            conference_id=bench.conference_id,
            title="Rule book and national committee",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=7),
            frozen_on=now.date(),
        )
        ballot.questions.append(
            MemberQuestion(
                position=1,
                kind=QuestionKind.YES_NO,
                title="Adopt the new rule book",
                majority="two_thirds",
                turnout_threshold=25,
            )
        )
        race = MemberQuestion(
            position=2,
            kind=QuestionKind.STV,
            title="National committee",
            seats=SEATS,
            rule="scottish",
            quotas=QUOTAS,
        )
        for place, (label, categories) in enumerate(CANDIDATES, start=1):
            race.options.append(MemberOption(position=place, label=label, categories=categories))
        ballot.questions.append(race)
        db.session.add(ballot)
        db.session.commit()
        start = time.perf_counter()
        voters = roll.make_roll(ballot, actor=None)
        elapsed = time.perf_counter() - start
        bench.ballot_id, bench.yes_no_id, bench.stv_id = ballot.id, ballot.questions[0].id, race.id
        bench.option_ids = [option.id for option in race.options]
        db.session.remove()
    analyze(bench, "voter")
    analyze(bench, "member_vote")
    print(f"\nroll: {voters:,} voters and blank papers made in {elapsed:.2f} s (not a goal)")


def choices(rng: random.Random) -> tuple[str, list[int]]:
    """A voter's yes/no answer and ranking (indexes of CANDIDATES, in order of preference)."""
    answer = rng.choices([a for a, _ in YES_NO], weights=[w for _, w in YES_NO])[0]
    likes = FACTIONS[0][1] if rng.random() < FACTIONS[0][0] else FACTIONS[1][1]
    ranked = rng.choices(RANKED, weights=RANKED_WEIGHTS)[0]
    # A Plackett-Luce draw: candidates in order of u ** (1 / liking), u uniform.
    order = sorted(range(len(CANDIDATES)), key=lambda i: -(rng.random() ** (1 / likes[i])))
    return answer, order[:ranked]


def form_fields(bench: Bench, answer: str, order: list[int]) -> str:
    """The paper's fields as the browser posts them."""
    fields = {f"q-{bench.yes_no_id}": answer}
    for rank, index in enumerate(order, start=1):
        fields[f"q-{bench.stv_id}-o-{bench.option_ids[index]}"] = str(rank)
    return urllib.parse.urlencode(fields)


def stored_choices(bench: Bench, answer: str, order: list[int]) -> dict:
    """The same choices as casting stores them on the paper."""
    return {
        str(bench.yes_no_id): answer,
        str(bench.stv_id): [bench.option_ids[index] for index in order],
    }


# --- 2. the links by e-mail -------------------------------------------------------------------


class CountingHandler:
    """The SMTP server's handler: counts the messages it accepts, keeps nothing."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.count += 1
        return "250 OK"


def queue_url(bench: Bench) -> str:
    """The queue the workers share: Redis db REDIS_DB, emptied, unless --queue-url says."""
    url = bench.args.queue_url
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url)
        keys = client.dbsize()
        client.flushdb()
        client.close()
        print(f"  queue: {url} ({keys} keys there before, emptied)")
    else:
        print("  queue: a SQLite file in the instance folder")
    return url


def start_workers(bench: Bench, env: dict) -> list[tuple[subprocess.Popen, Path]]:
    """The worker processes, each running once it says it waits for work."""
    flask = Path(sys.executable).with_name("flask")
    started = []
    for n in range(bench.args.mail_workers):
        log_path = bench.folder / f"worker-{n}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [str(flask), "--app", "confapp", "worker", "-w", "1"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped with its threads
            )
        started.append((process, log_path))
    give_up = time.monotonic() + 60
    for process, log_path in started:
        while b"Worker for the" not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > give_up:
                stop_processes(started)
                raise RuntimeError(f"a worker did not start:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.1)
    return started


def stop_processes(started: list[tuple[subprocess.Popen, Path]]) -> None:
    """SIGTERM to each worker's process group, SIGKILL if it lingers."""
    for process, _ in started:
        for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if process.poll() is not None:
                break
            try:
                os.killpg(process.pid, sig)
                process.wait(wait_s)
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


def mail_status(bench: Bench) -> dict[str, int]:
    """The voters' e-mail statuses, read on a fresh connection."""
    with db.engine.connect() as connection:
        rows = connection.execute(
            sa.select(Voter.email_status, sa.func.count())
            .where(Voter.ballot_id == bench.ballot_id)
            .group_by(Voter.email_status)
        ).all()
    return {EmailStatus(status).value: n for status, n in rows}


def bench_mail(bench: Bench) -> None:
    """Links for the whole roll through the queue to a local SMTP server, until all are sent."""
    from aiosmtpd.controller import Controller

    print(f"\n2. voting links by e-mail ({load()})")
    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    url = queue_url(bench)
    env = os.environ | {
        "CONFAPP_DATABASE_URL": bench.url,
        "CONFAPP_QUEUE_URL": url,
        "CONFAPP_MAIL_SERVER": HOST,
        "CONFAPP_MAIL_PORT": str(port),
        "CONFAPP_MAIL_USE_TLS": "0",
        "CONFAPP_MAIL_FROM": "ballots@bench.example.org",
        "CONFAPP_BASE_URL": "https://vote.bench.example.org",
        "CONFAPP_INSTANCE_PATH": str(bench.folder),
        "CONFAPP_SECRET_KEY": "bench",
    }
    bench.app.config.update(
        QUEUE_URL=url or None, MAIL_SERVER=HOST, MAIL_PORT=port, MAIL_USE_TLS=False
    )
    workers = start_workers(bench, env)
    app_cpu, pg_cpu_before = time.process_time(), pg_cpu(bench)
    try:
        with bench.app.app_context():
            start = time.perf_counter()
            ballot = db.session.get(MemberBallot, bench.ballot_id)
            queued = mailing.request_links(ballot, actor=None)
            enqueued = time.perf_counter() - start
            smtp_done = sent_done = None
            give_up = start + bench.args.mail_limit
            while time.perf_counter() < give_up:
                now = time.perf_counter() - start
                if smtp_done is None and handler.count >= queued:
                    smtp_done = now
                statuses = mail_status(bench)
                if statuses.get("sent", 0) + statuses.get("failed", 0) >= queued:
                    sent_done = time.perf_counter() - start
                    break
                time.sleep(0.1)
            statuses = mail_status(bench)
            db.session.remove()
        cpu = {  # the workers' whole lives: starting them took a little of it
            "workers": sum(_cpu_seconds(process.pid) for process, _ in workers),
            "SMTP server and this process": time.process_time() - app_cpu,
            "PostgreSQL": pg_cpu(bench) - pg_cpu_before,
        }
    finally:
        stop_processes(workers)
        controller.stop()
        if url.startswith("redis://"):
            import redis

            redis.Redis.from_url(url).flushdb()
    sent = statuses.get("sent", 0)
    batches = -(-queued // mailing.BATCH)
    if sent_done is None or sent < queued:
        print(
            f"  NOT DONE after {bench.args.mail_limit:g} s: {handler.count:,} messages received, "
            f"statuses {statuses}"
        )
        for _, log_path in workers:
            print(log_path.read_text()[-1500:])
        bench.rows.append(Row(f"{queued:,} links by e-mail", "not done", "< 180 s", False))
        return
    print(
        f"  {queued:,} links in {batches} batches of {mailing.BATCH}, "
        f"{bench.args.mail_workers} worker process(es): request_links {enqueued:.2f} s, "
        f"SMTP server had all at {smtp_done or sent_done:.1f} s, all marked sent at "
        f"{sent_done:.1f} s: {queued / sent_done:,.0f} messages/s; statuses {statuses}"
    )
    print(
        "  CPU a message: "
        + ", ".join(f"{name} {1000 * seconds / queued:.2f} ms" for name, seconds in cpu.items())
    )
    bench.rows.append(
        Row(
            f"{queued:,} links by e-mail (queue, {bench.args.mail_workers} workers)",
            f"{sent_done:.1f} s ({queued / sent_done:,.0f}/s)",
            f"< {GOAL_MAIL_S:g} s",
            sent_done < GOAL_MAIL_S,
        )
    )


# --- 3. casting -------------------------------------------------------------------------------


def give_codes(bench: Bench) -> list[tuple[str, str]]:
    """A known code for every voter (its hash stored); each code with a paper's form fields."""
    rng = random.Random(bench.args.members + 1)
    with bench.app.app_context():
        ids = db.session.scalars(
            sa.select(Voter.id).where(Voter.ballot_id == bench.ballot_id).order_by(Voter.id)
        ).all()
        codes = [secrets.token_urlsafe(16) for _ in ids]
        table = Voter.__table__
        db.session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("v_id"))
            .values(code_hash=sa.bindparam("v_hash")),
            [{"v_id": i, "v_hash": hash_code(c)} for i, c in zip(ids, codes, strict=True)],
        )
        db.session.commit()
        db.session.remove()
    analyze(bench, "voter")
    return [(code, form_fields(bench, *choices(rng))) for code in codes]


class PatientServer(Server):
    """bench.checkin's gunicorn, given longer to start: on a busy machine 4 workers take a while."""

    def wait_healthy(self, limit_s: float = 180.0) -> None:
        """Return once /healthz answers 200 (within three minutes)."""
        super().wait_healthy(limit_s)


@dataclass
class Answer:
    """One POST as a client saw it."""

    sent_at: float  # seconds after the start (the warm-up included)
    latency: float  # seconds
    status: int
    receipt: str | None
    problem: str = ""


def _one_client(port: int, work: list[tuple[str, str]], ready, go, stop_at: list, out: list):
    """One client: a paper fetched once (as a browser would), then one vote a code."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", f"/vote/{work[0][0]}")
        response = connection.getresponse()
        page = response.read()
        if b'id="paper"' not in page:
            raise RuntimeError(f"HTTP {response.status}: {page[:200]!r}")
    except Exception as error:  # the round goes on without this client; it is reported
        out.append(Answer(0.0, 0.0, 0, None, f"no paper: {type(error).__name__}: {error}"))
        ready.wait()
        return
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    ready.wait()
    go.wait()
    start = stop_at[1]
    for code, fields in work:
        sent = time.perf_counter()
        if sent >= stop_at[0]:
            break
        for attempt in (1, 2):
            try:
                connection.request("POST", f"/vote/{code}", fields, headers)
                response = connection.getresponse()
                page = response.read()
                break
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                # A kept connection the server closed meanwhile (gthread's keep-alive timeout):
                # sent again once on a new one, as a browser does. Had the first reached the
                # server, the second is refused as used, and the check below says so.
                if attempt == 2 or not isinstance(error, KEPT_CLOSED):
                    failure = f"{type(error).__name__}: {error}"
                    out.append(Answer(sent - start, 0.0, 0, None, failure))
                    page = None
                    break
        if page is None:
            continue
        found = RECEIPT.search(page)
        problem = "" if found else page[:300].decode(errors="replace")
        receipt = found.group(1).decode() if found else None
        out.append(
            Answer(sent - start, time.perf_counter() - sent, response.status, receipt, problem)
        )
    connection.close()


def client_process(port, works, seconds, barrier, results) -> None:
    """A process of client threads, started with the others at the barrier; answers sent back."""
    cpu_start = time.process_time()
    out: list[Answer] = []
    ready = threading.Barrier(len(works) + 1)
    go = threading.Event()
    stop_at = [0.0, 0.0]
    threads = [
        threading.Thread(target=_one_client, args=(port, work, ready, go, stop_at, out))
        for work in works
    ]
    for thread in threads:
        thread.start()
    ready.wait()  # every thread has its paper
    barrier.wait()  # every process too
    stop_at[1] = time.perf_counter()
    stop_at[0] = stop_at[1] + seconds
    go.set()
    for thread in threads:
        thread.join()
    results.put(([vars(a) for a in out], time.process_time() - cpu_start))


def cast_round(bench: Bench, port: int, votes: list[tuple[str, str]], seconds: float):
    """All clients voting for `seconds`: the answers, the client processes' CPU, the elapsed."""
    args = bench.args
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(args.client_processes + 1)
    results = context.Queue()
    per_process = args.clients // args.client_processes
    clients = per_process * args.client_processes
    shares = [votes[n::clients] for n in range(clients)]
    processes = [
        context.Process(
            target=client_process,
            args=(port, shares[p * per_process : (p + 1) * per_process], seconds, barrier, results),
        )
        for p in range(args.client_processes)
    ]
    for process in processes:
        process.start()
    barrier.wait(timeout=120)
    start = time.perf_counter()
    gathered = [results.get(timeout=seconds + 120) for _ in processes]
    elapsed = time.perf_counter() - start
    for process in processes:
        process.join()
    answers = [Answer(**a) for found, _ in gathered for a in found]
    return answers, sum(cpu for _, cpu in gathered), elapsed, clients


def check_cast(bench: Bench, answers: list[Answer]) -> str:
    """Papers cast and voters marked, against the receipts the clients were given."""
    receipts = {a.receipt for a in answers if a.receipt}
    with bench.app.app_context(), db.engine.connect() as connection:
        cast = set(
            connection.execute(
                sa.select(MemberVote.receipt).where(
                    MemberVote.ballot_id == bench.ballot_id, MemberVote.is_cast.is_(True)
                )
            ).scalars()
        )
        marked = connection.execute(
            sa.select(sa.func.count()).where(
                Voter.ballot_id == bench.ballot_id, Voter.has_voted.is_(True)
            )
        ).scalar_one()
    same = "the same receipts" if cast == receipts else "DIFFERENT receipts"
    verdict = "agree" if len(cast) == len(receipts) == marked and cast == receipts else "DISAGREE"
    return (
        f"check: {len(receipts):,} receipts answered, {len(cast):,} papers cast "
        f"({same}), {marked:,} voters marked voted: {verdict}"
    )


def bench_cast(bench: Bench, votes: list[tuple[str, str]]) -> None:
    """Ballots per second and latency through gunicorn, 32 clients; then the database's count."""
    args = bench.args
    print(f"\n3. casting ({load()})")
    spec = ServerSpec(args.gunicorn_workers, args.gunicorn_threads)
    with PatientServer(spec, bench.url, bench.folder) as server:
        before = cpu_snapshot(server)
        answers, client_cpu, elapsed, clients = cast_round(
            bench, server.port, votes, args.warm_up + args.seconds
        )
        after = cpu_snapshot(server)
        log_tail = server.log_tail(5)
    cpu = {name: after[name] - before[name] for name in before}
    cpu["clients"] = client_cpu
    # "other" (the machine's busy time less these) is left out: in a container /proc/stat counts
    # the host's cores, not the two this bench shares; the load average stands for it.
    cpu.pop("other", None)
    timed = [a for a in answers if a.sent_at >= args.warm_up]
    good = [a for a in timed if a.status == 200 and a.receipt]
    bad = [a for a in answers if not (a.status == 200 and a.receipt)]
    window = max(elapsed - args.warm_up, 1e-9)
    rate = len(good) / window
    latencies = [a.latency * 1000 for a in good]
    median, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    print(
        f"  gunicorn {spec.label}, {clients} clients ({args.client_processes} processes), "
        f"{args.seconds:g} s after a {args.warm_up:g} s warm-up: {len(good):,} ballots cast, "
        f"{rate:,.0f} ballots/s; latency median {median:.1f} ms, p95 {p95:.1f} ms, "
        f"p99 {p99:.1f} ms; {len(bad)} errors"
    )
    cores = ", ".join(f"{name} {seconds / elapsed:.2f}" for name, seconds in cpu.items())
    print(f"  CPU in cores over the round: {cores}")
    if answers:
        per_vote = {name: 1000 * seconds / len(answers) for name, seconds in cpu.items()}
        total = sum(per_vote.values())
        print(
            "  CPU a ballot: "
            + ", ".join(f"{name} {ms:.1f} ms" for name, ms in per_vote.items())
            + f"; {total:.1f} ms in all: {os.cpu_count()} otherwise idle cores could cast "
            f"at most ~{1000 * (os.cpu_count() or 1) / total:,.0f} ballots/s this way"
        )
    for answer in bad[:3]:
        print(f"  error sample: HTTP {answer.status} {answer.problem[:200]!r}")
    if bad:
        print(f"  server log:\n{log_tail}")
    print(f"  {check_cast(bench, answers)} (all {len(answers):,} answers, warm-up included)")
    bench.rows.append(
        Row(
            f"casting, {clients} clients (gunicorn {spec.label})",
            f"{rate:,.0f}/s, p99 {p99:.0f} ms",
            f">= {GOAL_CAST_RATE:g}/s, p99 < {GOAL_CAST_P99_MS:g} ms",
            rate >= GOAL_CAST_RATE and p99 < GOAL_CAST_P99_MS,
        )
    )


# --- 4. turnout -------------------------------------------------------------------------------


def bench_turnout(bench: Bench) -> None:
    """The committee's turnout page, in process, median and p95 of --turnout-runs requests."""
    print(f"\n4. turnout page ({load()})")
    app = bench.app
    app.config["WTF_CSRF_ENABLED"] = False  # to log in; back on for the page, as served
    client = app.test_client()
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": factories.PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"the committee could not log in (HTTP {response.status_code})")
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/conferences/{bench.conference_id}/member-ballots/{bench.ballot_id}/turnout"
    with counting_queries() as counter:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    page = response.get_data(as_text=True)
    times = []
    with cpu_used(bench) as cpu, profiled(bench, "turnout page"):
        for _ in range(bench.args.turnout_runs):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
    median, p95 = statistics.median(times), percentile(times, 95)
    with app.app_context():
        voted = db.session.execute(
            sa.select(sa.func.count()).where(
                Voter.ballot_id == bench.ballot_id, Voter.has_voted.is_(True)
            )
        ).scalar_one()
        db.session.remove()
    print(
        f"  {bench.args.members:,} voters ({voted:,} voted), {len(page) // 1024} KB, "
        f"{counter.count} statements: median {median:.1f} ms, p95 {p95:.1f} ms over {len(times)} "
        f"requests ({cpu_text(cpu, len(times), 'ms')} a request)"
    )
    bench.rows.append(
        Row(
            "turnout page (median, p95)",
            f"{median:.0f} ms, {p95:.0f} ms",
            f"< {GOAL_TURNOUT_MS:g} ms",
            median < GOAL_TURNOUT_MS and p95 < GOAL_TURNOUT_MS,
        )
    )


# --- 5. the count -----------------------------------------------------------------------------


def fill_and_close(bench: Bench) -> int:
    """Every voter voted: blank papers filled as casting would; the ballot closed. Cast papers."""
    rng = random.Random(bench.args.members + 2)
    with bench.app.app_context():
        blank = db.session.scalars(
            sa.select(MemberVote.id).where(
                MemberVote.ballot_id == bench.ballot_id, MemberVote.is_cast.is_(False)
            )
        ).all()
        table = MemberVote.__table__
        if blank:
            db.session.execute(
                table.update()
                .where(table.c.id == sa.bindparam("p_id"))
                .values(
                    is_cast=True, receipt=sa.bindparam("p_receipt"), choices=sa.bindparam("p_c")
                ),
                [
                    {
                        "p_id": paper,
                        "p_receipt": new_receipt(),
                        "p_c": stored_choices(bench, *choices(rng)),
                    }
                    for paper in blank
                ],
            )
        db.session.execute(
            sa.update(Voter).where(Voter.ballot_id == bench.ballot_id).values(has_voted=True)
        )
        ballot = db.session.get(MemberBallot, bench.ballot_id)
        now = utcnow()
        ballot.opens_at, ballot.closes_at = now - timedelta(days=7), now - timedelta(minutes=1)
        db.session.commit()
        cast = db.session.execute(
            sa.select(sa.func.count()).where(
                MemberVote.ballot_id == bench.ballot_id, MemberVote.is_cast.is_(True)
            )
        ).scalar_one()
        db.session.remove()
    analyze(bench, "member_vote")
    return cast


def bench_count(bench: Bench) -> None:
    """counting.count alone (papers loaded), then counting.publish once, as the committee's POST."""
    print(f"\n5. the count ({load()})")
    cast = fill_and_close(bench)
    with bench.app.app_context():
        ballot = db.session.get(MemberBallot, bench.ballot_id)
        papers = counting.cast_choices(ballot.id)
        electorate = counting.electorate_size(ballot.id)
        times = []
        with profiled(bench, "counting.count"):
            for _ in range(COUNT_RUNS):
                start = time.perf_counter()
                counting.count(ballot, papers, electorate)
                times.append(time.perf_counter() - start)
        db.session.remove()
        ballot = db.session.get(MemberBallot, bench.ballot_id)
        start = time.perf_counter()
        with (
            cpu_used(bench) as cpu,
            counting_queries() as counter,
            profiled(bench, "counting.publish"),
        ):
            result = counting.publish(ballot, actor=None)
        elapsed = time.perf_counter() - start
        db.session.remove()
    yes_no, race = result["questions"]
    sheet = race["count"]
    elected = ", ".join(sheet["candidates"][n - 1] for n in sheet["elected"])
    distinct = len({tuple(p[str(bench.stv_id)]) for p in papers})
    print(
        f"  {cast:,} papers ({distinct:,} distinct rankings): count alone median "
        f"{statistics.median(times):.2f} s (best {min(times):.2f} s, {COUNT_RUNS} runs); "
        f"publish {elapsed:.2f} s ({cpu_text(cpu)}, {counter.count} statements)"
    )
    print(
        f"  yes/no: {yes_no['for']:,} for, {yes_no['against']:,} against, "
        f"{yes_no['abstain']:,} abstain, carried {yes_no['carried']}; "
        f"STV: {len(sheet['stages'])} stages, elected {elected}"
    )
    bench.rows.append(
        seconds_row(f"publish {cast:,} papers, STV {SEATS} of 10", elapsed, GOAL_COUNT_S)
    )
    bench.rows.append(
        seconds_row("  of which counting.count (median)", statistics.median(times), GOAL_COUNT_S)
    )


# --- main -------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="import,mail,cast,turnout,count")
    parser.add_argument("--members", type=int, default=21_000)
    parser.add_argument("--groups", type=int, default=150)
    parser.add_argument("--queue-url", default=f"redis://127.0.0.1:6379/{REDIS_DB}")
    parser.add_argument("--mail-workers", type=int, default=2, help="worker processes")
    parser.add_argument("--mail-limit", type=float, default=600.0, help="give up after (s)")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--gunicorn-threads", type=int, default=1, help="> 1: gthread workers")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0, help="timed casting round")
    parser.add_argument("--warm-up", type=float, default=2.0, help="untimed, before the round")
    parser.add_argument("--turnout-runs", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process steps")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the steps asked for, print their figures and the table of figures against goals."""
    args = parse_args(argv)
    steps = set(args.steps.split(","))
    prepare_postgres()
    app = bench_app()
    folder = Path(app.instance_path)
    bench = Bench(app, app.config["DATABASE_URL"], folder, args)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"database: {bench.url.split(':')[0]}; {os.cpu_count()} cores; {uptime}")
    groups = build(bench)
    if "import" in steps:
        bench_import(bench, groups)
    else:
        with app.app_context():
            register.import_members(
                db.session.get(Conference, bench.conference_id),
                register_csv(groups, args.members, "bench.example.org"),
            )
            db.session.commit()
            db.session.remove()
    make_ballot(bench)
    if "mail" in steps:
        bench_mail(bench)
    if "cast" in steps:
        bench_cast(bench, give_codes(bench))
    if "turnout" in steps:
        bench_turnout(bench)
    if "count" in steps:
        bench_count(bench)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\nat the end: {uptime}")
    width = max(len(row.figure) for row in bench.rows) if bench.rows else 10
    print(f"\n{'figure':<{width}}  {'measured':<24} {'goal':<28} verdict")
    for row in bench.rows:
        verdict = {True: "meets", False: "MISSES", None: "-"}[row.met]
        print(f"{row.figure:<{width}}  {row.measured:<24} {row.goal:<28} {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
