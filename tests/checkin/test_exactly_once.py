"""Exactly once: racing stewards admit a badge once; a retried request counts once.

Real threads share one app (one connection pool), and two separate processes each build
their own app: the database alone keeps the count right, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from confapp import factories
from confapp.checkin import scans, services
from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import Conference, Presence, Role, Scan, User
from tests.checkin.test_scan_api import scan
from tests.conftest import PG_URL, restart_database

THREADS = 8


def _people(conf, count: int) -> list[str]:
    group = factories.group(conf, "Leeds", members=5000)
    return [
        live_credential(factories.approved_person(conf, group, f"Person {i}")).code
        for i in range(count)
    ]


def _tokens(conf, count: int) -> list[str]:
    door = services.add_door(conf, "Main entrance")
    return [services.create_device_token(conf, door, f"H{i}")[1] for i in range(count)]


def _race(app, requests: list[tuple[str, dict]]) -> list[dict]:
    """Send every (token, body) at the same instant from its own thread; the answers."""
    barrier = threading.Barrier(len(requests))
    answers: list[dict] = []

    def send(token: str, body: dict) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/scans", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        answers.append(response.get_json() | {"http": response.status_code})

    threads = [threading.Thread(target=send, args=pair) for pair in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _ok_scans_per_person() -> Counter:
    db.session.rollback()
    return Counter(
        db.session.execute(
            sa.select(Scan.delegate_id).where(Scan.status == "ok", Scan.direction == "in")
        ).scalars()
    )


def test_stewards_at_every_door_scanning_one_badge_at_once_admit_it_once(app, conference):
    codes = _people(conference, 3)
    tokens = _tokens(conference, THREADS)
    for round_no, code in enumerate(codes):
        body = {"code": code, "direction": "in"}
        answers = _race(
            app, [(t, body | {"nonce": f"r{round_no}-{i}"}) for i, t in enumerate(tokens)]
        )
        assert [a["http"] for a in answers] == [200] * THREADS
        results = Counter(a["result"] for a in answers)
        assert results == {"admitted": 1, "already_inside": THREADS - 1}, results
    assert set(_ok_scans_per_person().values()) == {1}
    assert db.session.execute(sa.select(sa.func.count()).select_from(Scan)).scalar() == 3 * THREADS


def test_one_device_retrying_one_nonce_at_once_is_counted_once(app, conference):
    (code,) = _people(conference, 1)
    (token,) = _tokens(conference, 1)
    body = {"code": code, "direction": "in", "nonce": "retry-storm"}
    answers = _race(app, [(token, body)] * THREADS)
    assert {a["result"] for a in answers} == {"admitted"}  # every retry hears the first answer
    assert len({a["scan_id"] for a in answers}) == 1
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Scan)).scalar() == 1


def test_in_and_out_racing_leave_presence_matching_the_scans(app, conference):
    """Whatever order the database takes them in, entries and exits alternate."""
    (code,) = _people(conference, 1)
    tokens = _tokens(conference, 4)
    for round_no in range(5):
        requests = [
            (t, {"code": code, "direction": d, "nonce": f"m{round_no}-{i}"})
            for i, (t, d) in enumerate(zip(tokens, ["in", "out", "in", "out"], strict=True))
        ]
        _race(app, requests)
    db.session.rollback()
    ok = Counter(db.session.execute(sa.select(Scan.direction).where(Scan.status == "ok")).scalars())
    assert ok["in"] - ok["out"] in (0, 1)  # entries and exits alternate: never in twice
    presence = db.session.execute(sa.select(Presence)).scalar_one()
    assert presence.is_inside == (ok["in"] - ok["out"] == 1)
    assert ok["in"] >= 1 and sum(ok.values()) >= 5  # every round moved someone
    # In id order (the order the history shows), the changes alternate too: in, out, in...
    in_order = db.session.execute(
        sa.select(Scan.direction).where(Scan.status == "ok").order_by(Scan.id)
    ).scalars()
    assert "".join(d[0] for d in in_order) == "io" * ok["out"] + "i" * (ok["in"] - ok["out"])


SCANNER = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from confapp import create_app
    settings = json.loads(sys.argv[1])
    app = create_app(settings["config"])
    client = app.test_client()
    go = Path(settings["go"])
    while not go.exists():  # both processes start their scans at the same moment
        time.sleep(0.005)
    answers = []
    for i, code in enumerate(settings["codes"]):
        response = client.post(
            "/api/v1/scans",
            json={"code": code, "direction": "in", "nonce": f"p-{i}"},
            headers={"Authorization": "Bearer " + settings["token"]},
        )
        answers.append(response.get_json()["result"])
    print(json.dumps(answers))
    """
)


def test_two_app_processes_scanning_the_same_badges_admit_each_once(app, conference, tmp_path):
    codes = _people(conference, 30)
    tokens = _tokens(conference, 2)
    go = tmp_path / "go"
    processes = []
    for n, token in enumerate(tokens):
        config = {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / f"instance{n}"),
            "RATELIMIT_ENABLED": False,
        }
        settings = {"config": config, "go": str(go), "codes": codes, "token": token}
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", SCANNER, json.dumps(settings)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    time.sleep(0.5)  # let both import and build their apps
    go.touch()
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    first, second = (json.loads(out) for out, _ in outputs)
    for a, b in zip(first, second, strict=True):
        assert sorted([a, b]) == ["admitted", "already_inside"]
    per_person = _ok_scans_per_person()
    assert len(per_person) == 30 and set(per_person.values()) == {1}


@pytest.mark.skipif(not PG_URL, reason="a database restart is simulated on PostgreSQL")
def test_a_scan_after_a_database_restart_is_retried_once_and_counted_once(client, door):
    db.engine.pool._pre_ping = False  # as configured for production: no ping before each use
    scan(client, door.token, door.code("Ann"))
    db.session.rollback()
    restart_database()
    answer = scan(client, door.token, door.code("Ben"))
    assert answer["word"] == "ADMITTED"
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Scan)).scalar() == 2


# ---- the history reads in the order the doors decided ----------------------------------------

ANSWER = re.compile(r'<tr class="scan-row[^"]*">.*?<strong>([A-Z ]+)</strong>', re.DOTALL)


def _history(client, door, name: str) -> list[str]:
    """The answers on a person's history page as the steward reads them, newest first."""
    person = door.people[name]
    page = client.get(f"/conferences/{door.conference.id}/presence/people/{person.id}")
    assert page.status_code == 200
    return ANSWER.findall(page.get_data(as_text=True))


def _door_scan(app, token: str, code: str, direction: str, nonce: str, answers: list) -> None:
    response = app.test_client().post(
        "/api/v1/scans",
        json={"code": code, "direction": direction, "nonce": nonce},
        headers={"Authorization": f"Bearer {token}"},
    )
    answers.append(response.get_json()["word"])


def test_a_door_that_stalls_after_reading_the_clock_is_filed_when_it_decided(
    app, client, login, door, monkeypatch
):
    """Main entrance reads the clock, then its worker stalls while Side door lets Ann in and out.

    Main entrance admits her last; her history must say ADMITTED, LEFT, ADMITTED in that
    order, not two admissions in a row (which is what sorting by the clock read shows).
    """
    clock_read, others_done = threading.Event(), threading.Event()
    real_clock = scans.utcnow

    def stalling_clock():
        now = real_clock()
        if threading.current_thread().name == "slow-door":
            clock_read.set()
            others_done.wait(10)
        return now

    monkeypatch.setattr(scans, "utcnow", stalling_clock)
    slow: list[str] = []
    main = threading.Thread(
        target=_door_scan,
        args=(app, door.token, door.code("Ann"), "in", "main-1", slow),
        name="slow-door",
    )
    main.start()
    assert clock_read.wait(10)
    assert scan(client, door.side_token, door.code("Ann"))["word"] == "ADMITTED"
    assert scan(client, door.side_token, door.code("Ann"), "out")["word"] == "LEFT"
    others_done.set()
    main.join(10)
    assert slow == ["ADMITTED"]

    login(door.steward)
    assert _history(client, door, "Ann") == ["ADMITTED", "LEFT", "ADMITTED"]
    db.session.rollback()
    assert db.session.get(Presence, door.people["Ann"].id).is_inside


def test_a_scan_waiting_for_the_presence_row_is_filed_after_the_change_it_waited_for(
    app, client, login, door
):
    """The committee closes the day, holding Ann's presence row, as a door scans her in.

    The door's scan waits for the row and then admits her: her history must show the
    close's exit before that admission (on PostgreSQL the scan's id is drawn only once the
    row is its own; on SQLite under the database's write lock).
    """
    assert scan(client, door.token, door.code("Ann"))["word"] == "ADMITTED"
    admin = factories.user(conf=door.conference, role=Role.ADMIN)
    holding, release = threading.Event(), threading.Event()
    committee_pid: list[int] = []

    def pause_holding_the_row(conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread().name != "committee":
            return
        if statement.lstrip().upper().startswith("UPDATE PRESENCE"):
            if PG_URL:
                committee_pid.append(cursor.connection.info.backend_pid)
            holding.set()
            release.wait(10)

    def close_the_day() -> None:
        with app.app_context():
            services.close_day(
                db.session.get(Conference, door.conference.id), db.session.get(User, admin.id)
            )
            db.session.commit()  # as the committee's request does

    sa.event.listen(db.engine, "after_cursor_execute", pause_holding_the_row)
    try:
        committee = threading.Thread(target=close_the_day, name="committee")
        committee.start()
        assert holding.wait(10)
        answers: list[str] = []
        door_thread = threading.Thread(
            target=_door_scan, args=(app, door.token, door.code("Ann"), "in", "door-2", answers)
        )
        door_thread.start()
        _wait_until_blocked(committee_pid)
        release.set()
        committee.join(10)
        door_thread.join(10)
    finally:
        release.set()
        sa.event.remove(db.engine, "after_cursor_execute", pause_holding_the_row)
    assert answers == ["ADMITTED"]

    login(door.steward)
    assert _history(client, door, "Ann") == ["ADMITTED", "LEFT", "ADMITTED"]


def _wait_until_blocked(holder_pid: list[int]) -> None:
    """Until a scan waits on the holder's lock (PostgreSQL); SQLite cannot say: a moment."""
    if not PG_URL:
        time.sleep(0.5)
        return
    watcher = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with watcher.connect() as connection:
            for _ in range(200):
                waiting = connection.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE CAST(:pid AS INTEGER) = ANY(pg_blocking_pids(pid))"
                    ),
                    {"pid": holder_pid[0]},
                ).scalar()
                if waiting:
                    return
                time.sleep(0.05)
        raise AssertionError("the door's scan never waited for the presence row")
    finally:
        watcher.dispose()
