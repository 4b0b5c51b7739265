"""A big delegates import while the doors scan: every scan goes through, the import all or nothing.

On SQLite a write waits for the database's write lock; the import used to hold it for
seconds, and a door scan that waited past the busy timeout failed with 'database is locked'.
Here the busy timeout is one second, the most a door may wait, so a scan kept waiting longer
fails the test as it would fail at the door.
"""

from __future__ import annotations

import dataclasses
import io
import threading

import pytest
import sqlalchemy as sa

from confapp import database
from confapp.checkin import services as doors
from confapp.checkin.scans import ScanInput, Scanner, record_scan, token_hash
from confapp.credentials import services as credentials
from confapp.extensions import db
from confapp.models import AuditEntry, Credential, Delegate, Group, Role
from confapp.registration import bulk_register as delegate_csv
from confapp.registration import services as registration
from tests import factories

RULE = dataclasses.replace(factories.LABOUR_RULE, max_alternates=2)
GROUPS = 500  # ten rows each: 5,000 rows
HEADER = "group,pass_type,name,email,seat,is_woman,status\n"


@pytest.fixture
def conference(db):
    """A conference whose groups may each send 6 delegates, a woman's seat and 2 alternates."""
    return factories.conference(rule=RULE)


@pytest.fixture
def groups(conference) -> list[str]:
    """The groups the file fills: 2,100 members, 1,000 of them women."""
    names = [f"Branch {i:04d}" for i in range(GROUPS)]
    db.session.add_all(
        Group(
            conference=conference,
            section=conference.sections[0],
            name=name,
            members=2100,
            women_members=1000,
        )
        for name in names
    )
    db.session.commit()
    return names


@pytest.fixture
def admin(conference, login):
    user = factories.user(conf=conference, role=Role.ADMIN)
    login(user)
    return user


def delegates_file(names: list[str]) -> bytes:
    """Every place of every group: 6 delegates, the women's seat, 2 alternates, a visitor."""
    lines = [HEADER]
    n = 0
    for name in names:
        places = [("delegate", "base", "yes" if i % 2 else "no") for i in range(6)]
        places += [("delegate", "women's seat", "yes"), ("alternate", "", "no")]
        places += [("alternate", "", "yes"), ("visitor", "", "")]
        for pass_type, seat, woman in places:
            status = ("approved", "submitted", "approved", "draft")[n % 4]
            lines.append(
                f"{name},{pass_type},Person {n},p{n}@example.org,{seat},{woman},{status}\n"
            )
            n += 1
    return "".join(lines).encode()


def upload(client, conference, data: bytes):
    return client.post(
        f"/admin/conferences/{conference.id}/delegates/import",
        data={"file": (io.BytesIO(data), "delegates.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


class Door:
    """A scanner at the door in a thread of its own, scanning badges in and out until stopped."""

    def __init__(self, app, conference):
        visitors = factories.group(conference, "Visitors")
        people = [
            factories.approved_person(conference, visitors, f"Guest {i}", "visitor")
            for i in range(3)
        ]
        self.codes = [credentials.live_credential(person).code for person in people]
        entrance = doors.add_door(conference, "Main entrance")
        _, token = doors.create_device_token(conference, entrance, "Handheld")
        self.scanner = Scanner(token_hash=token_hash(token), actor="device token")
        self.app = app
        self.answers: list[str] = []  # the word on the steward's screen, or the error
        self.scanned = threading.Condition()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._scan)

    def _scan(self) -> None:
        inside: set[str] = set()
        with self.app.app_context():
            n = 0
            while not self.stopping.is_set():
                code = self.codes[n % len(self.codes)]
                direction = "out" if code in inside else "in"
                try:
                    word = record_scan(
                        self.scanner, ScanInput(direction=direction, nonce=f"n{n}", code=code)
                    ).word
                    inside ^= {code}
                except Exception as exc:  # what the steward would see: the scan failed
                    word = f"{type(exc).__name__}: {exc}"
                with self.scanned:
                    self.answers.append(word)
                    self.scanned.notify_all()
                n += 1

    def wait_for_scans(self, count: int) -> None:
        """Until the door has answered `count` scans in all."""
        with self.scanned:
            assert self.scanned.wait_for(lambda: len(self.answers) >= count, timeout=60)

    def __enter__(self) -> Door:
        self.thread.start()
        self.wait_for_scans(1)  # scanning before the import starts
        return self

    def __exit__(self, *exc) -> None:
        self.wait_for_scans(len(self.answers) + 1)  # and still after it ends
        self.stopping.set()
        self.thread.join(timeout=60)


@pytest.fixture
def one_second_door(app, monkeypatch):
    """SQLite connections that give up on the write lock after a second, the door's bar."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 1000)
    db.engine.dispose()  # connections made from now on take the shorter timeout


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar()


def test_doors_keep_scanning_through_a_big_import(
    app, client, conference, groups, admin, one_second_door
):
    data = delegates_file(groups)
    with Door(app, conference) as door:
        page = upload(client, conference, data).get_data(as_text=True)

    assert "5,000 registrations imported" in page
    assert count(Delegate, Delegate.group_id != door_group(conference)) == 5000
    assert door.answers, "the door scanned nothing"
    assert set(door.answers) <= {"ADMITTED", "LEFT"}, [
        a for a in door.answers if a not in ("ADMITTED", "LEFT")
    ]


def door_group(conference) -> int:
    return db.session.execute(
        sa.select(Group.id).where(Group.conference_id == conference.id, Group.name == "Visitors")
    ).scalar_one()


@pytest.fixture
def small_parts(monkeypatch):
    """Imports written in parts of about 100 rows, on either database, without pauses."""
    monkeypatch.setattr(delegate_csv, "PART_ROWS", {"sqlite": 100, "postgresql": 100})
    monkeypatch.setattr(delegate_csv, "PART_PAUSE_S", 0)


def entries(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    query = sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.execute(query).scalars())


def test_a_failure_in_a_later_part_removes_the_parts_written(
    client, conference, groups, admin, small_parts, monkeypatch
):
    # 500 rows in five parts; the third part's badge codes fail to go in.
    issue_first, calls = credentials.issue_first, []

    def failing_third_time(issues, delegate_ids):
        calls.append(len(delegate_ids))
        if len(calls) == 3:
            raise RuntimeError("the disk filled up")
        return issue_first(issues, delegate_ids)

    monkeypatch.setattr(credentials, "issue_first", failing_third_time)
    with pytest.raises(RuntimeError, match="disk filled up"):
        upload(client, conference, delegates_file(groups[:50]))

    assert len(calls) == 3  # two parts were written before the failure
    assert count(Delegate, Delegate.conference_id == conference.id) == 0
    assert count(Credential) == 0
    assert entries("delegates.import") == []
    (undo,) = entries("delegates.import.undo")
    written = [e.entity_id for e in entries("delegate.import")]
    assert len(written) == 200 and sorted(undo.after["removed"]) == sorted(written)
    assert undo.summary == (
        "200 registrations of an unfinished import removed: the import failed (RuntimeError); "
        "nothing was imported"
    )
    assert undo.actor == admin.email

    monkeypatch.setattr(credentials, "issue_first", issue_first)
    page = upload(client, conference, delegates_file(groups[:50])).get_data(as_text=True)
    assert "500 registrations imported" in page
    assert count(Delegate, Delegate.conference_id == conference.id) == 500


def test_a_seat_taken_while_earlier_parts_are_written_rejects_the_file(
    client, conference, groups, admin, small_parts, monkeypatch
):
    # A secretary registers a delegate for the last group in the file once the first part is
    # written: that group's part (the fifth) is checked again under the lock, the file is
    # rejected, and the four parts already written are removed.
    lock_groups, locked = registration.lock_groups, []
    last = db.session.execute(sa.select(Group).where(Group.name == groups[49])).scalar_one()

    def secretary_meanwhile(to_lock):
        locked.append(to_lock)
        if len(locked) == 2:
            with db.engine.begin() as connection:
                connection.execute(
                    sa.insert(Delegate).values(
                        conference_id=conference.id,
                        group_id=last.id,
                        pass_type="delegate",
                        seat="base",
                        name="Quick Pick",
                        email="quick@example.org",
                        status="draft",
                    )
                )
        lock_groups(to_lock)

    monkeypatch.setattr(registration, "lock_groups", secretary_meanwhile)
    page = upload(client, conference, delegates_file(groups[:50])).get_data(as_text=True)

    assert "Nothing was imported" in page
    assert f"{groups[49]} is entitled to 6 delegates: 1 already registered and 5 earlier" in page
    people = db.session.execute(
        sa.select(Delegate.name).where(Delegate.conference_id == conference.id)
    ).scalars()
    assert list(people) == ["Quick Pick"]
    assert count(Credential) == 0
    (undo,) = entries("delegates.import.undo")
    assert undo.summary.startswith("400 registrations of an unfinished import removed: a group")
