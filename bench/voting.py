"""Time a card vote on a large conference: opening it, the tally, and the floor's pages.

2,000 delegations (memberships 200 to 20,000) in two sections weighted 50/50, 6,000 approved
delegates (3 a delegation), every one of them inside the hall. Timed, with the statements each
sends:

- opening the card vote (the roll frozen: 2,000 roll entries; in split mode 6,000 shares too),
  each run on a fresh ballot (making the ballot is not timed);
- the tally: count_result over 2,000 entries; reconcile + count_result over two counts of
  2,000 entries each; declare on a fresh ballot whose two counts agree;
- the pages: the chair's page of a declared ballot, and a teller's count sheet of an open
  ballot (2,000 rows, every one entered), each in block and in split mode; CSRF is off to log in
  (bench_app) and back on for the pages, so every form carries its CSRF field as served;
- the count sheet while counting, at the server, median and 95th percentile of SHEET_RUNS
  requests: the sheet's page (2,000 rows, all entered), one tap as the sheet's script sends it
  (JSON back: the row and the running total) and as a plain form post (a redirect back to the
  row), each a correction (the worst case: the entry before is retired), and the chair's live
  fragment of the two counts. Goal of the issue: each under 100 ms.

Goal of the product: each step under 200 ms on a 2-core machine. Nothing is asserted: the
figures are printed and the exit status is 0.

Run: .venv/bin/python -m bench.voting            (.venv/bin/python -m bench.voting --sheet:
     only the count sheet's figures)
     BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/confapp_bench \
         .venv/bin/python -m bench.voting
     (PostgreSQL: only a database named confapp_bench is used, created if missing; its tables
     are dropped first)
"""

from __future__ import annotations

import gc
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from bench.common import PG_BENCH_DATABASE, bench_app, counting_queries, create_bench_database
from confapp import factories
from confapp.extensions import db
from confapp.models import (
    Ballot,
    Conference,
    Delegate,
    Door,
    Group,
    Presence,
    Role,
    RollEntry,
    TellerEntry,
    TellerSheet,
    User,
    utcnow,
)
from confapp.voting import services
from confapp.voting.services import Votes

GROUPS = 2000
DELEGATES_PER_GROUP = 3
SMALLEST, LARGEST = 200, 20_000  # memberships, spread evenly on a log scale
RUNS = 7
GOAL_MS = 200
SHEET_RUNS = 40
SHEET_GOAL_MS = 100  # the count sheet: a page, or a tap, at the server
PG_DATABASE = PG_BENCH_DATABASE  # the only PostgreSQL database this bench writes (never `test`)


@dataclass(frozen=True)
class Floor:
    """The conference and the people on the platform, by id and e-mail."""

    conference_id: int
    chair_id: int
    chair_email: str
    teller_ids: tuple[int, int]
    teller_email: str


@dataclass(frozen=True)
class Figures:
    """One step's median and best wall time, median CPU time of this process (ms), statements."""

    median: float
    best: float
    cpu: float  # on a busy machine nearer the step's own cost; PostgreSQL's work not included
    queries: int


# --- the database and the conference ----------------------------------------------------------


def prepare_postgres() -> None:
    """With a PostgreSQL BENCH_DATABASE_URL: refuse all but confapp_bench, create it if missing."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url or sa.make_url(url).get_backend_name() != "postgresql":
        return
    url = sa.make_url(url)
    if url.database != PG_DATABASE:
        raise SystemExit(f"bench.voting drops every table: use the database {PG_DATABASE}.")
    create_bench_database(url.render_as_string(hide_password=False))


def build(app) -> Floor:
    """The conference, its delegations and delegates (all inside), a chair and two tellers."""
    rng = random.Random(GROUPS)
    with app.app_context():
        conference = factories.conference("Bench voting")
        sections = conference.sections
        for section in sections:
            section.weight = 50
        door = Door(conference_id=conference.id, name="Main entrance")
        db.session.add(door)
        db.session.flush()
        db.session.execute(
            sa.insert(Group),
            [
                {
                    "conference_id": conference.id,
                    "section_id": sections[i % 2].id,
                    "name": f"Delegation {i:04d}",
                    "region": f"Region {i % 12}",
                    "members": int(SMALLEST * (LARGEST / SMALLEST) ** rng.random()),
                }
                for i in range(GROUPS)
            ],
        )
        group_ids = db.session.execute(
            db.select(Group.id).where(Group.conference_id == conference.id).order_by(Group.id)
        ).scalars()
        now = utcnow()
        db.session.execute(
            sa.insert(Delegate),
            [
                {
                    "conference_id": conference.id,
                    "group_id": group_id,
                    "pass_type": "delegate",
                    "seat": "base",
                    "name": f"Delegate {group_id}-{n}",
                    "email": f"delegate.{group_id}.{n}@bench.example.org",
                    "status": "approved",
                    "submitted_at": now,
                    "decided_at": now,
                }
                for group_id in group_ids
                for n in range(DELEGATES_PER_GROUP)
            ],
        )
        delegate_ids = db.session.execute(
            db.select(Delegate.id).where(Delegate.conference_id == conference.id)
        ).scalars()
        db.session.execute(
            sa.insert(Presence),
            [
                {
                    "delegate_id": delegate_id,
                    "conference_id": conference.id,
                    "is_inside": True,
                    "door_id": door.id,
                    "since": now,
                }
                for delegate_id in delegate_ids
            ],
        )
        db.session.commit()
        chair = factories.user("chair@bench.example.org", conf=conference, role=Role.ADMIN)
        tellers = [
            factories.user(f"teller{n}@bench.example.org", conf=conference, role=Role.TELLER)
            for n in (1, 2)
        ]
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("ANALYZE"))  # as autovacuum would have, long before the day
        return Floor(
            conference_id=conference.id,
            chair_id=chair.id,
            chair_email=chair.email,
            teller_ids=(tellers[0].id, tellers[1].id),
            teller_email=tellers[0].email,
        )


def new_ballot(floor: Floor, mode: str) -> Ballot:
    """A fresh draft ballot, committed."""
    ballot = services.create_ballot(
        db.session.get(Conference, floor.conference_id),
        title=f"Motion on the floor ({mode})",
        kind="motion",
        majority="simple",
        mode=mode,
        actor=the_chair(floor),
    )
    db.session.commit()
    return ballot


def opened_ballot(floor: Floor, mode: str) -> Ballot:
    """A fresh ballot with its card vote open: the roll frozen."""
    return open_vote(new_ballot(floor, mode), the_chair(floor))


def open_vote(ballot: Ballot, chair: User) -> Ballot:
    """Open the card vote and commit, as the chair's request does."""
    services.open_card_vote(ballot, chair)
    db.session.commit()
    return ballot


def declare(ballot: Ballot, chair: User) -> Ballot:
    """Declare the result and commit, as the chair's request does."""
    services.declare(ballot, chair)
    db.session.commit()
    return ballot


def the_votes(rolls: list[RollEntry]) -> dict[int, Votes]:
    """Each delegation's whole vote for one option (or not voting), the same on every run."""
    rng = random.Random(len(rolls))
    choices = ("for",) * 10 + ("against",) * 8 + ("abstain", "none")
    return {r.group_id: services.votes_for_choice(rng.choice(choices), r.votes) for r in rolls}


def enter_counts(floor: Floor, ballot: Ballot) -> dict[int, Votes]:
    """Both tellers' sheets, every delegation entered on each, the two agreeing; committed."""
    votes = the_votes(services.roll(ballot))
    db.session.execute(
        sa.insert(TellerSheet),
        [
            {"ballot_id": ballot.id, "sheet": sheet, "teller_id": teller_id}
            for sheet, teller_id in enumerate(floor.teller_ids, start=1)
        ],
    )
    db.session.execute(
        sa.insert(TellerEntry),
        [
            {
                "ballot_id": ballot.id,
                "sheet": sheet,
                "group_id": group_id,
                "teller_id": teller_id,
                "for_votes": v.for_,
                "against_votes": v.against,
                "abstain_votes": v.abstain,
            }
            for sheet, teller_id in enumerate(floor.teller_ids, start=1)
            for group_id, v in votes.items()
        ],
    )
    db.session.commit()
    return votes


# --- measuring --------------------------------------------------------------------------------


def measure(prepare: Callable[[], object], step: Callable[[object], object]) -> Figures:
    """Time `step(prepare())` RUNS times (preparing is not timed) after one counted warm-up."""
    argument = prepare()
    with counting_queries() as counter:
        step(argument)
    times, cpu_times = [], []
    for _ in range(RUNS):
        argument = prepare()
        start, cpu_start = time.perf_counter(), time.process_time()
        step(argument)
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu_start) * 1000)
    return Figures(
        statistics.median(times), min(times), statistics.median(cpu_times), counter.count
    )


def measure_page(client, url: str) -> tuple[Figures, str]:
    """A page's figures and its HTML (the first GET, not timed, warms up and must answer 200)."""
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return measure(lambda: None, lambda _: client.get(url)), response.get_data(as_text=True)


def show(label: str, figures: Figures, extra: str = "") -> None:
    """Print one step's figures, flagged when over the goal."""
    over = f"  <-- over {GOAL_MS} ms" if figures.median > GOAL_MS else ""
    print(
        f"{label}: {figures.median:.0f} ms median, {figures.best:.0f} ms best "
        f"(CPU {figures.cpu:.0f} ms), {figures.queries} queries{extra}{over}"
    )


def the_chair(floor: Floor) -> User:
    """The chair, as the request's logged-in user."""
    return db.session.get(User, floor.chair_id)


def fresh(ballot_id: int) -> Ballot:
    """The ballot read afresh in an empty session, as a request would find it."""
    db.session.expunge_all()
    return db.session.get(Ballot, ballot_id)


def with_roll(ballot_id: int) -> tuple[Ballot, list[RollEntry]]:
    """The ballot read afresh, and its frozen roll."""
    ballot = fresh(ballot_id)
    return ballot, services.roll(ballot)


# --- the steps --------------------------------------------------------------------------------


def bench_opening(app, floor: Floor) -> None:
    """Open a card vote in block and in split mode, a fresh ballot each run."""
    shares = f"{GROUPS * DELEGATES_PER_GROUP:,} shares"
    with app.app_context():
        for mode, rows in (("block", "no shares"), ("split", shares)):
            figures = measure(
                lambda mode=mode: (new_ballot(floor, mode), the_chair(floor)),
                lambda ballot_and_chair: open_vote(*ballot_and_chair),
            )
            show(f"open card vote ({mode}, {GROUPS:,} delegations, {rows})", figures)


def bench_tally(app, floor: Floor) -> tuple[int, int]:
    """The tally three ways; returns (a declared ballot, an open one with both counts in)."""
    with app.app_context():
        counted = opened_ballot(floor, "block")
        entries = enter_counts(floor, counted)
        n = f"{len(entries):,}"

        figures = measure(
            lambda: with_roll(counted.id),
            lambda loaded: services.count_result(loaded[0], entries, loaded[1]),
        )
        show(f"count_result ({n} entries, the roll loaded)", figures)

        def reconcile_and_count(ballot: Ballot) -> None:
            check = services.reconcile(ballot)
            agreed = {line.roll.group_id: line.first for line in check.lines if line.first}
            services.count_result(ballot, agreed, [line.roll for line in check.lines])

        figures = measure(lambda: fresh(counted.id), reconcile_and_count)
        show(f"reconcile + count_result (2 counts x {n} entries)", figures)

        def agreed_ballot() -> tuple[Ballot, User]:
            ballot = opened_ballot(floor, "block")
            enter_counts(floor, ballot)
            return fresh(ballot.id), the_chair(floor)

        figures = measure(agreed_ballot, lambda ballot_and_chair: declare(*ballot_and_chair))
        show(f"declare (2 agreeing counts x {n} entries)", figures)
        declared_id = db.session.execute(
            db.select(sa.func.max(Ballot.id)).where(Ballot.state == "declared")
        ).scalar_one()
        return declared_id, counted.id


def logged_in(app, email: str):
    """A test client logged in as this user."""
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"{email} could not log in (HTTP {response.status_code})")
    return client


def declared_ballot(floor: Floor, mode: str) -> int:
    """A fresh ballot, its two counts in and agreeing, declared; its id."""
    ballot = opened_ballot(floor, mode)
    enter_counts(floor, ballot)
    declare(fresh(ballot.id), the_chair(floor))
    return ballot.id


def bench_pages(app, floor: Floor, declared_id: int, counted_id: int) -> None:
    """The chair's page of declared ballots and a teller's count sheets, through the app."""
    with app.app_context():
        declared = {"block": declared_id, "split": declared_ballot(floor, "split")}
        counted = {"block": counted_id, "split": opened_ballot(floor, "split").id}
        enter_counts(floor, db.session.get(Ballot, counted["split"]))
    chair = logged_in(app, floor.chair_email)
    teller = logged_in(app, floor.teller_email)
    # Logged in, CSRF goes back on: the pages are timed as served, a CSRF field in every form.
    app.config["WTF_CSRF_ENABLED"] = True
    base = f"/conferences/{floor.conference_id}/ballots"
    for mode, ballot_id in declared.items():
        figures, html = measure_page(chair, f"{base}/{ballot_id}")
        verdict = "CARRIED" if 'id="verdict">CARRIED' in html else "LOST"
        show(
            f"chair's ballot page ({mode}, declared, {GROUPS:,} delegations)",
            figures,
            f", {len(html) // 1024:,} KB, {verdict}",
        )
    for mode, ballot_id in counted.items():
        figures, html = measure_page(teller, f"{base}/{ballot_id}/count")
        rows = html.count('<tr id="row-')
        show(
            f"teller's count sheet ({mode}, open, {rows:,} rows, all entered)",
            figures,
            f", {len(html) // 1024:,} KB",
        )


def spread(times: list[float]) -> tuple[float, float]:
    """Median and 95th percentile of these times (ms)."""
    return statistics.median(times), statistics.quantiles(times, n=20, method="inclusive")[18]


def show_spread(label: str, timing: tuple[list[float], list[float], int], extra: str = "") -> None:
    """Print a step's median and 95th percentile (wall and CPU), flagged when over the goal."""
    times, cpu_times, queries = timing
    median, p95 = spread(times)
    cpu, cpu_p95 = spread(cpu_times)
    over = f"  <-- over {SHEET_GOAL_MS} ms" if median > SHEET_GOAL_MS else ""
    print(
        f"{label}: {median:.0f} ms median, {p95:.0f} ms p95 "
        f"(CPU {cpu:.0f} ms median, {cpu_p95:.0f} ms p95; {len(times)} requests), "
        f"{queries} queries{extra}{over}"
    )


def time_requests(send: Callable[[int], object]) -> tuple[list[float], list[float], int]:
    """SHEET_RUNS requests `send(i)` timed one by one (wall and CPU), after a counted warm-up."""
    with counting_queries() as counter:
        send(-1)
    times, cpu_times = [], []
    for i in range(SHEET_RUNS):
        start, cpu_start = time.perf_counter(), time.process_time()
        send(i)
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu_start) * 1000)
    return times, cpu_times, counter.count


def bench_count_sheet(app, floor: Floor) -> None:
    """The count sheet while counting: its page, a tap (script or plain), the chair's live part."""
    app.config["WTF_CSRF_ENABLED"] = False  # to log in; back on below, as served
    with app.app_context():
        ballot = opened_ballot(floor, "block")
        groups = list(enter_counts(floor, ballot))
        ballot_id = ballot.id
    teller = logged_in(app, floor.teller_email)
    chair = logged_in(app, floor.chair_email)
    app.config["WTF_CSRF_ENABLED"] = True
    base = f"/conferences/{floor.conference_id}/ballots/{ballot_id}"
    html = teller.get(f"{base}/count").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    rows = html.count('<tr id="row-')

    def page(_: int) -> None:
        response = teller.get(f"{base}/count")
        assert response.status_code == 200, response.status_code

    show_spread(
        f"count sheet page (block, {rows:,} rows, all entered)",
        time_requests(page),
        f", {len(html) // 1024:,} KB",
    )

    def tap(i: int, headers: dict) -> None:
        group = groups[i % len(groups)]
        choice = ("for", "against", "abstain", "none")[i % 4]
        response = teller.post(
            f"{base}/entries",
            data={"csrf_token": token, "tap": f"{group}:{choice}"},
            headers=headers,
        )
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:300]

    json = {"Accept": "application/json"}
    show_spread(
        "one tap, the script's (a correction, JSON back)", time_requests(lambda i: tap(i, json))
    )
    show_spread(
        "one tap, without script (a correction, redirect to the row)",
        time_requests(lambda i: tap(i + SHEET_RUNS + 1, {})),
    )

    def live(_: int) -> None:
        response = chair.get(f"{base}/counts")
        assert response.status_code == 200, response.status_code

    show_spread("chair's live fragment of the two counts (2 x 2,000 entries)", time_requests(live))


def main() -> None:
    """Build the conference, then print each step's times and statements."""
    prepare_postgres()
    app = bench_app()
    print(f"database: {app.config['DATABASE_URL'].split(':')[0]}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{n:.2f}" for n in os.getloadavg()))
    floor = build(app)
    with app.app_context():
        rolls = services.roll(opened_ballot(floor, "block"))
        weights = {r.section: r.section_weight for r in rolls}
        print(
            f"conference: {len(rolls):,} delegations in {len(weights)} sections weighted "
            f"{'/'.join(map(str, weights.values()))}, "
            f"{sum(r.delegates_present for r in rolls):,} voting delegates inside, "
            f"{sum(r.votes for r in rolls):,} votes; {RUNS} timed runs a step; "
            f"goal: each under {GOAL_MS} ms"
        )
    # As wsgi.py does at a worker's start: what was built before the timed requests (here the
    # whole conference, which no worker holds) is left out of the collector's full passes.
    gc.collect()
    gc.freeze()
    if "--sheet" in sys.argv:  # the count sheet alone: `python -m bench.voting --sheet`
        bench_count_sheet(app, floor)
        return
    bench_opening(app, floor)
    declared_id, counted_id = bench_tally(app, floor)
    bench_pages(app, floor, declared_id, counted_id)
    bench_count_sheet(app, floor)


if __name__ == "__main__":
    main()
