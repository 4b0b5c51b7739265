"""The committee's CSV imports at scale, alone and beside a busy door; print times, never assert.

Run: .venv/bin/python -m bench.imports [--db sqlite|postgresql|both] [--rows 20000 50000]
     [--group-rows 2000 5000] [--no-scans] [--profile]

Delegates: for each size a fresh conference gets one group for every 10 rows (2,000 groups for
20,000 rows), each entitled to 6 delegates and the women's seat, and a file filling every
place: 6 delegates, the women's seat, 2 alternates and a visitor per group, 60% approved (so
they get badge codes), 30% submitted, 10% draft. `import_delegates` is timed end to end and
in two phases, told apart by the SQL it sends: before its first write (reading the file and
checking it) and from that write to the commit. On SQLite the write transactions are the
database's write lock: the longest one and their sum are printed.

Then the same import again into a fresh conference while another process scans badges at a
door through `record_scan` (about 50 scans a second, as a few busy doors do): the longest
scan that overlapped the import, the median, and every scan that failed (on SQLite a scan
waits up to the busy timeout, 5 s, for the write lock, then fails 'database is locked').

Groups: `import_groups` (and its caller's commit) for a file of new groups, half with a
secretary's address, then the same file with every third group's members changed.

PostgreSQL is the server at 127.0.0.1:5432 (user postgres), database confapp_bench (created
if missing), in a schema of this run's own, dropped at the end; SQLite a file in a temporary
folder, WAL and busy timeout as in production (confapp/database.py).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import multiprocessing
import os
import pstats
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa

from bench.common import PG_BENCH_DATABASE, create_bench_database
from confapp import create_app, factories
from confapp.extensions import db

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
RULE = dataclasses.replace(factories.LABOUR_RULE, max_alternates=2)
ROWS_PER_GROUP = 10  # 6 delegates, the women's seat, 2 alternates, a visitor
DOOR_PEOPLE = 200  # approved visitors with badges, scanned in and out during the import
SCAN_INTERVAL_S = 0.02  # one scan every 20 ms: a few busy doors together
HEADER = (
    "group,pass_type,name,email,phone,seat,is_woman,is_young,is_low_paid,elected_on,"
    "elected_at,status\n"
)
GROUPS_HEADER = (
    "name,region,section,members,women_members,young_members,in_good_standing,secretary_email\n"
)


# --- databases --------------------------------------------------------------------------------


@dataclass
class Target:
    """Where a run's data lives: a SQLite file, or a schema of its own in confapp_bench."""

    kind: str
    url: str
    engine_options: dict = field(default_factory=dict)
    schema: str | None = None

    def config(self, folder: str) -> dict:
        """The app's settings for this database."""
        return {
            "DATABASE_URL": self.url,
            "SQLALCHEMY_ENGINE_OPTIONS": self.engine_options,
            "INSTANCE_PATH": folder,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SECURE_COOKIES": False,
        }

    def drop(self) -> None:
        """Remove this run's schema (PostgreSQL); a SQLite file goes with its folder."""
        if self.schema:
            engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(sa.text(f"DROP SCHEMA {self.schema} CASCADE"))
            engine.dispose()


def sqlite_target(folder: str, name: str) -> Target:
    """A fresh SQLite file in `folder`."""
    return Target("sqlite", f"sqlite:///{folder}/{name}.sqlite")


def postgres_target() -> Target:
    """A fresh schema in confapp_bench (never the tests' database), created empty."""
    create_bench_database(f"{PG_SERVER}/postgres")
    url = f"{PG_SERVER}/{PG_BENCH_DATABASE}"
    schema = f"bench_imports_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    return Target("postgresql", url, options, schema)


def make_app(target: Target, folder: str):
    """An app on the target with every table created."""
    app = create_app(target.config(folder))
    with app.app_context():
        db.create_all()
    return app


# --- the conference and its files ---------------------------------------------------------------


@dataclass
class Conference:
    """What a run needs of a conference built for it."""

    id: int
    admin_id: int
    token: str
    codes: list[str]
    group_names: list[str]


def build(app, groups: int, label: str) -> Conference:
    """A conference with `groups` groups, an admin, a door, its token and badged visitors."""
    from confapp.checkin.services import add_door, create_device_token
    from confapp.credentials import codes
    from confapp.models import Credential, Delegate, Group, Role

    with app.app_context():
        conference = factories.conference(f"Imports bench {label}", rule=RULE)
        section_id = conference.sections[0].id
        names = [f"Branch {label} {i:05d}" for i in range(groups)]
        db.session.execute(
            sa.insert(Group),
            [
                {
                    "conference_id": conference.id,
                    "section_id": section_id,
                    "name": name,
                    "members": 2100,  # 6 base delegates (the cap)
                    "women_members": 1000,  # and the women's seat
                    "young_members": 200,
                }
                for name in names
            ]
            + [
                {
                    "conference_id": conference.id,
                    "section_id": section_id,
                    "name": f"Door visitors {label}",
                    "members": 10,
                }
            ],
        )
        door_group = db.session.execute(
            sa.select(Group.id).where(Group.name == f"Door visitors {label}")
        ).scalar_one()
        ids = db.session.execute(
            sa.insert(Delegate).returning(Delegate.id, sort_by_parameter_order=True),
            [
                {
                    "conference_id": conference.id,
                    "group_id": door_group,
                    "pass_type": "visitor",
                    "name": f"Door Visitor {n}",
                    "email": f"door{n}.{label}@bench.example.org",
                    "status": "approved",
                }
                for n in range(DOOR_PEOPLE)
            ],
        ).scalars()
        badge_codes = [codes.new_code() for _ in range(DOOR_PEOPLE)]
        db.session.execute(
            sa.insert(Credential),
            [
                {"conference_id": conference.id, "delegate_id": i, "code": code}
                for i, code in zip(ids, badge_codes, strict=True)
            ],
        )
        db.session.commit()
        admin = factories.user(f"admin.{label}@bench.example.org", conf=conference, role=Role.ADMIN)
        door = add_door(conference, "Main entrance")
        _, token = create_device_token(conference, door, "bench scanner")
        built = Conference(conference.id, admin.id, token, badge_codes, names)
        db.session.remove()
    return built


def delegates_file(group_names: list[str], rows: int, label: str) -> tuple[bytes, int]:
    """A delegates CSV of `rows` rows filling the groups' places; (file, approved rows)."""
    rng = random.Random(rows)
    lines = [HEADER]
    approved = 0
    n = 0
    for group in group_names:
        places = [("delegate", "base", "yes" if i % 2 else "no") for i in range(6)]
        places += [("delegate", "women's seat", "yes")]
        places += [("alternate", "", "no"), ("alternate", "", "yes"), ("visitor", "", "")]
        for pass_type, seat, woman in places:
            status = rng.choices(("approved", "submitted", "draft"), (6, 3, 1))[0]
            approved += status == "approved"
            young = "yes" if n % 7 == 0 else "no"
            lines.append(
                f"{group},{pass_type},Person {n:06d} Surname,person{n}.{label}@bench.example.org,"
                f"07700 900{n % 1000:03d},{seat},{woman},{young},no,2027-01-{n % 28 + 1:02d},"
                f"Branch meeting,{status}\n"
            )
            n += 1
    return "".join(lines).encode(), approved


def groups_file(label: str, groups: int, *, changed: bool = False) -> bytes:
    """A groups CSV: `groups` groups, half with a secretary; `changed` alters every third."""
    lines = [GROUPS_HEADER]
    for i in range(groups):
        members = 1000 + i % 900 + (7 if changed and i % 3 == 0 else 0)
        secretary = f"secretary{i}.{label}@bench.example.org" if i % 2 == 0 else ""
        lines.append(
            f"Group {label} {i:05d},Region {i % 12},Local groups,{members},{members // 2},"
            f"{members // 8},yes,{secretary}\n"
        )
    return "".join(lines).encode()


# --- watching the SQL --------------------------------------------------------------------------


class WriteWatch:
    """When the process first wrote, and every write transaction's span (SQLite: the lock).

    A span runs from the first statement that is not a read to the end of the driver's
    COMMIT or ROLLBACK (SQLAlchemy's own commit event comes before it).
    """

    def __init__(self) -> None:
        self.first_write: float | None = None
        self.opened: float | None = None
        self.spans: list[float] = []
        self.statements = 0
        self.patched: list = []

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements += 1
        self._watch(conn.dialect)
        if self.opened is None and not statement.lstrip().upper().startswith(("SELECT", "PRAGMA")):
            self.opened = time.monotonic()
            if self.first_write is None:
                self.first_write = self.opened

    def _watch(self, dialect) -> None:
        if any(d is dialect for d, _, _ in self.patched):
            return
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection):
            commit(dbapi_connection)
            self.end()

        def do_rollback(dbapi_connection):
            rollback(dbapi_connection)
            self.end()

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback
        self.patched.append((dialect, commit, rollback))

    def end(self) -> None:
        if self.opened is not None:
            self.spans.append(time.monotonic() - self.opened)
            self.opened = None

    def __enter__(self) -> WriteWatch:
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self.before)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", self.before)
        for dialect, _, _ in self.patched:
            del dialect.do_commit, dialect.do_rollback  # the class's own again


@dataclass
class Timing:
    """One import's figures, in seconds."""

    total: float
    check: float  # before the first write: reading and checking the file
    write: float  # from the first write to the end
    longest_lock: float
    locked: float
    transactions: int
    statements: int
    result: str


def timed_import(run, profile: bool = False) -> Timing:
    """Run `run()` (an import, committed) under the write watch; its figures."""
    profiler = cProfile.Profile() if profile else None
    with WriteWatch() as watch:
        start = time.monotonic()
        if profiler:
            profiler.enable()
        result = run()
        if profiler:
            profiler.disable()
        end = time.monotonic()
    first = watch.first_write or end
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
    return Timing(
        total=end - start,
        check=first - start,
        write=end - first,
        longest_lock=max(watch.spans, default=0.0),
        locked=sum(watch.spans),
        transactions=len(watch.spans),
        statements=watch.statements,
        result=str(result),
    )


# --- the door ---------------------------------------------------------------------------------


def door_worker(config: dict, token: str, badge_codes: list[str], ready, stop, results) -> None:
    """Scan badges in and out through record_scan until told to stop; send back every scan."""
    from confapp.checkin.scans import ScanInput, Scanner, record_scan, token_hash

    app = create_app(config)
    scanner = Scanner(token_hash=token_hash(token), actor="device token")
    inside: set[str] = set()
    scans: list[tuple[float, float, str | None]] = []
    n = 0
    with app.app_context():
        while not stop.is_set():
            code = badge_codes[n % len(badge_codes)]
            direction = "out" if code in inside else "in"
            start = time.monotonic()
            try:
                outcome = record_scan(
                    scanner, ScanInput(direction=direction, nonce=uuid.uuid4().hex, code=code)
                )
                error = None if outcome.word in ("ADMITTED", "LEFT") else outcome.word
            except Exception as exc:  # what a steward would see as a failed scan
                db.session.rollback()
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
            scans.append((start, time.monotonic(), error))
            if error is None:
                inside ^= {code}
            n += 1
            if n == 20:
                ready.set()  # connected and warm: the import may start
            time.sleep(SCAN_INTERVAL_S)
    results.put(scans)


@dataclass
class DoorReport:
    """The scans that overlapped an import."""

    scans: int
    longest: float
    median: float
    errors: list[str]


def with_door(
    target: Target, folder: str, conference: Conference, run
) -> tuple[object, DoorReport]:
    """Run `run()` while another process scans at the conference's door."""
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Event(), context.Event(), context.Queue()
    worker = context.Process(
        target=door_worker,
        args=(target.config(folder), conference.token, conference.codes, ready, stop, results),
    )
    worker.start()
    if not ready.wait(60):
        raise RuntimeError("the door process did not start scanning")
    start = time.monotonic()
    value = run()
    end = time.monotonic()
    time.sleep(0.3)
    stop.set()
    scans = results.get(timeout=60)
    worker.join(30)
    during = [s for s in scans if s[1] >= start and s[0] <= end]
    waits = [s[1] - s[0] for s in during]
    report = DoorReport(
        scans=len(during),
        longest=max(waits, default=0.0),
        median=statistics.median(waits) if waits else 0.0,
        errors=[s[2] for s in during if s[2]],
    )
    return value, report


# --- the runs ---------------------------------------------------------------------------------


def delegates_import(app, conference: Conference, data: bytes):
    """A function that imports `data` into the conference as its admin, as the page does."""
    from confapp.admin.registrations import import_delegates
    from confapp.models import Conference as ConferenceRow
    from confapp.models import User

    def run():
        with app.app_context():
            row = db.session.get(ConferenceRow, conference.id)
            actor = db.session.get(User, conference.admin_id)
            summary = import_delegates(row, data, actor=actor)
            db.session.remove()
            return summary

    return run


def count_import(app, conference_id: int) -> str:
    """What the database holds after an import: registrations, badge codes, audit entries."""
    from confapp.models import AuditEntry, Credential, Delegate

    with app.app_context():

        def count(model, *where) -> int:
            query = sa.select(sa.func.count()).select_from(model).where(*where)
            return db.session.execute(query).scalar_one()

        imported = ["delegate.import", "credential.issue", "delegates.import"]
        entries = count(
            AuditEntry,
            AuditEntry.conference_id == conference_id,
            AuditEntry.action.in_(imported),
        )
        people = count(Delegate, Delegate.conference_id == conference_id) - DOOR_PEOPLE
        codes = count(Credential, Credential.conference_id == conference_id) - DOOR_PEOPLE
        found = f"{people:,} registrations, {codes:,} codes, {entries:,} audit entries"
        db.session.remove()
    return found


def bench_delegates(target: Target, folder: str, sizes: list[int], scans: bool, profile: bool):
    """Import each size alone, then beside the door; print the figures."""
    app = make_app(target, folder)
    print(
        f"\n{target.kind}: delegates import"
        f"\n{'rows':>7} {'total s':>8} {'check s':>8} {'write s':>8} {'lock s':>7} "
        f"{'locked s':>8} {'txns':>5} {'stmts':>7}  stored"
    )
    door_lines = []
    for rows in sizes:
        label = f"q{rows}"
        conference = build(app, rows // ROWS_PER_GROUP, label)
        data, approved = delegates_file(conference.group_names, rows, label)
        timing = timed_import(delegates_import(app, conference, data), profile=profile)
        print(
            f"{rows:>7,} {timing.total:>8.2f} {timing.check:>8.2f} {timing.write:>8.2f} "
            f"{timing.longest_lock:>7.2f} {timing.locked:>8.2f} {timing.transactions:>5} "
            f"{timing.statements:>7,}  {count_import(app, conference.id)} "
            f"({approved:,} approved)"
        )
        if not scans:
            continue
        label = f"d{rows}"
        conference = build(app, rows // ROWS_PER_GROUP, label)
        data, _ = delegates_file(conference.group_names, rows, label)
        run = delegates_import(app, conference, data)
        timing, door = with_door(target, folder, conference, lambda run=run: timed_import(run))
        errors = ", ".join(f"{n} × {e}" for e, n in _counted(door.errors)) or "none"
        door_lines.append(
            f"{rows:>7,} {timing.total:>8.2f} {timing.longest_lock:>7.2f} {door.scans:>6} "
            f"{door.median * 1000:>9.1f} {door.longest * 1000:>10.1f}  {errors}"
        )
    if door_lines:
        print(
            f"\n{target.kind}: delegates import beside a door scanning every "
            f"{SCAN_INTERVAL_S * 1000:.0f} ms"
            f"\n{'rows':>7} {'total s':>8} {'lock s':>7} {'scans':>6} {'median ms':>9} "
            f"{'longest ms':>10}  failed scans"
        )
        print("\n".join(door_lines))
    with app.app_context():
        db.engine.dispose()


def bench_groups(target: Target, folder: str, sizes: list[int]):
    """Import each size of groups file, then re-import it with changes; print the figures."""
    from confapp.admin.services import import_groups
    from confapp.models import Conference as ConferenceRow

    app = make_app(target, folder)
    print(
        f"\n{target.kind}: groups import (caller commits)"
        f"\n{'groups':>7} {'file':>9} {'total s':>8} {'check s':>8} {'write s':>8} "
        f"{'lock s':>7} {'stmts':>7}  summary"
    )
    for size in sizes:
        label = f"g{size}"
        with app.app_context():
            conference_id = factories.conference(f"Groups bench {label}", rule=RULE).id
            db.session.remove()
        for kind, data in (
            ("new", groups_file(label, size)),
            ("changed", groups_file(label, size, changed=True)),
        ):

            def run(data=data, conference_id=conference_id):
                with app.app_context():
                    summary = import_groups(db.session.get(ConferenceRow, conference_id), data)
                    db.session.commit()
                    db.session.remove()
                    return summary

            timing = timed_import(run)
            print(
                f"{size:>7,} {kind:>9} {timing.total:>8.2f} {timing.check:>8.2f} "
                f"{timing.write:>8.2f} {timing.longest_lock:>7.2f} {timing.statements:>7,}  "
                f"{timing.result}"
            )
    with app.app_context():
        db.engine.dispose()


def _counted(items: list[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


def main(argv=None) -> None:
    """Run the imports on each database asked for and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, nargs="*", default=[20_000, 50_000])
    parser.add_argument("--group-rows", type=int, nargs="*", default=[2_000, 5_000])
    parser.add_argument("--no-scans", action="store_true", help="skip the runs beside a door")
    parser.add_argument("--profile", action="store_true", help="cProfile each quiet import")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="confapp-bench-imports-") as folder:
            os.environ["CONFAPP_INSTANCE_PATH"] = folder
            target = sqlite_target(folder, "bench") if kind == "sqlite" else postgres_target()
            try:
                if args.rows:
                    bench_delegates(target, folder, args.rows, not args.no_scans, args.profile)
                if args.group_rows:
                    bench_groups(target, folder, args.group_rows)
            finally:
                target.drop()


if __name__ == "__main__":
    main()
