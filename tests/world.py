"""A small conference with a user for every role and a row behind every URL variable.

Shared by the permission table, the CSRF test and the group-access tests: each builds a fresh
world per test (`build_world()` in its own `world` fixture), fills a route's variables with
`url_for_rule`, logs in with `log_in_as`, and compares `snapshot()` before and after a request
to prove that a refused request changed nothing.

The world is built once a run (per kind of database and app settings) through the models; every
later test that asks for it in an empty database gets those rows copied in, ids and all (some
1,500 tests ask: building each took most of their time).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from confapp import factories
from confapp.auth import services as users
from confapp.credentials import codes
from confapp.credentials.views import badge_link_token
from confapp.extensions import db
from confapp.models import (
    BASE_SEAT,
    Ballot,
    Credential,
    Delegate,
    DeviceToken,
    Door,
    Group,
    PassType,
    Presence,
    PrintJob,
    Role,
    RoleGrant,
    Scan,
    Status,
    Substitution,
    User,
    utcnow,
)

# In the order of the permission table's columns.
ROLES = (
    "anonymous",
    "secretary",
    "other_secretary",
    "steward",
    "teller",
    "admin",
    "other_admin",
    "site_admin",
)
PASS_TYPE = PassType.DELEGATE.value  # the <pass_type> of /groups/<id>/people/new/<pass_type>
MISSING = 999_999  # an id no row has
T = TypeVar("T")

# Labour's rule with two alternates per group: Leeds and York (1,000 members, 120 women) may
# each send three delegates, a women's delegate and two alternates.
RULE = dataclasses.replace(factories.LABOUR_RULE, max_alternates=2)
# The app stores scrypt hashes, slow on purpose (~80 ms a login); the permission table logs in
# some 400 times, so the world's users get a one-round hash that the same check accepts.
QUICK_HASH = generate_password_hash(factories.PASSWORD, "pbkdf2:sha256:1")


@dataclass(frozen=True)
class World:
    """Two conferences; in the first, Leeds and York with registrations; a user per role.

    Leeds (the secretary's group): Ann, an approved delegate; Bob, a submitted delegate (the
    <delegate_id>); Cat, an approved alternate; and a pending substitution (<substitution_id>)
    of Ann by Dan, a new person. York (other_secretary's group): Eve, a submitted delegate,
    and Fay, a draft. A steward with a pending invitation (<user_id>, <token>).
    """

    conference_id: int
    other_conference_id: int
    group_id: int  # Leeds
    delegate_id: int  # Bob, submitted
    approved_delegate_id: int  # Ann, approved, the outgoing delegate of the substitution
    alternate_id: int  # Cat, approved alternate
    substitution_id: int  # Ann -> Dan, pending
    other_group_id: int  # York
    other_delegate_id: int  # Eve, York's submitted delegate
    other_draft_id: int  # Fay, York's draft
    invitee_id: int
    token: str
    emails: dict[str, str]
    job_id: int  # a finished badge print run
    badge_link: str  # the <link> of Bob's personal badge page
    token_id: int  # a scanner token at the Main entrance
    scan_id: int  # Bob admitted at the Main entrance
    ballot_id: int  # a motion carried on a show of hands
    election_id: int  # an election taking nominations: Asha, Bryn, Cerys and Dev stand
    # The register and members' ballots: tests/members/world.py names each id.
    members: dict[str, object] = dataclasses.field(default_factory=dict)

    def url_values(self) -> dict[str, object]:
        """A value for every variable in the app's URL rules."""
        return {
            "conference_id": self.conference_id,
            "user_id": self.invitee_id,
            "token": self.token,
            "group_id": self.group_id,
            "delegate_id": self.delegate_id,
            "substitution_id": self.substitution_id,
            "pass_type": PASS_TYPE,
            "job_id": self.job_id,
            "link": self.badge_link,
            "token_id": self.token_id,
            "scan_id": self.scan_id,
            "ballot_id": self.ballot_id,
            "election_id": self.election_id,
        } | self.members


def _person(group, name: str, status: Status, pass_type=PassType.DELEGATE, **values) -> Delegate:
    now = utcnow()
    row = Delegate(
        conference_id=group.conference_id,
        group_id=group.id,
        pass_type=pass_type.value,
        seat=BASE_SEAT if pass_type == PassType.DELEGATE else None,
        name=name,
        email=f"{name.lower()}@{group.name.lower()}.example.org",
        elected_on=date(2027, 1, 20),
        elected_at="Branch meeting",
        status=status.value,
        submitted_at=None if status == Status.DRAFT else now - timedelta(days=2),
        decided_at=now - timedelta(days=1) if status == Status.APPROVED else None,
        **values,
    )
    db.session.add(row)
    return row


def _user(email: str, conference=None, role: Role | None = None, group=None, **values) -> User:
    values.setdefault("password_hash", QUICK_HASH)
    row = User(email=email, **values)
    db.session.add(row)
    if role is not None:
        db.session.add(RoleGrant(user=row, conference=conference, role=role.value, group=group))
    return row


# What each builder made the first time, per kind of database and app settings: what it
# returned and every table's rows right after.
_BUILT: dict[tuple, tuple[object, dict[str, list[dict]]]] = {}
# Settings that name the test's own files or schema, not anything a world is made of.
_PER_TEST_SETTINGS = {
    "DATABASE_URL",
    "SQLALCHEMY_DATABASE_URI",
    "SQLALCHEMY_ENGINE_OPTIONS",
    "INSTANCE_PATH",
}


def build_world() -> World:
    """The world, committed, in the test's database: the rows `_build` makes (see build_once)."""
    return build_once(_build)


def build_once(build: Callable[..., T], *args) -> T:
    """`build(*args)` in the test's database, made through the models once a run.

    In an empty database the rows that build made the first time (in another test's empty
    database, with the same settings) are copied in, the same rows, ids, tokens and times,
    and what it returned then is returned; in a database that already holds rows it is built
    afresh. What build returns must name rows by id, not hold them.
    """
    if not _is_empty():
        return build(*args)
    settings = sorted((k, repr(v)) for k, v in current_app.config.items())
    key = (
        build.__module__,
        build.__qualname__,
        repr(args),
        db.engine.dialect.name,
        *(item for item in settings if item[0] not in _PER_TEST_SETTINGS),
    )
    if key not in _BUILT:
        made = build(*args)
        _BUILT[key] = (copy.deepcopy(made), _rows())
        return made
    made, rows = _BUILT[key]
    _copy_in(rows)
    return copy.deepcopy(made)  # a test may change what it was given: the next gets the first


def _is_empty() -> bool:
    """Whether no table holds a row (a new test's database)."""
    tables = db.metadata.sorted_tables
    return not db.session.execute(
        sa.select(sa.or_(*(sa.exists().select_from(t) for t in tables)))
    ).scalar()


def _rows() -> dict[str, list[dict]]:
    """Every table's rows, as column values by column key."""
    return {
        table.name: [
            dict(zip([c.key for c in table.columns], row, strict=True))
            for row in db.session.execute(sa.select(table)).all()
        ]
        for table in db.metadata.sorted_tables
    }


def _copy_in(rows: dict[str, list[dict]]) -> None:
    """Insert the rows, parents first, and move each id sequence past them; one commit."""
    connection = db.session.connection()
    quote = db.engine.dialect.identifier_preparer.quote
    for table in db.metadata.sorted_tables:
        if not rows.get(table.name):
            continue
        connection.execute(table.insert(), rows[table.name])
        if db.engine.dialect.name != "postgresql":
            continue  # SQLite gives the next row the highest id plus one
        for column in table.primary_key.columns:
            if isinstance(column.type, sa.Integer):  # no sequence: setval(NULL) does nothing
                sequence = "pg_get_serial_sequence(:table, :column)"
                connection.execute(
                    sa.text(
                        f"SELECT setval({sequence}, max({quote(column.name)}))"
                        f" FROM {quote(table.name)}"
                    ),
                    {"table": quote(table.name), "column": column.name},
                )
    db.session.commit()


def _build() -> World:
    """The world, committed: some thirty rows in three commits, none through the pages."""
    conference = factories.conference(rule=RULE)
    other = factories.conference()
    n = conference.id  # e-mail addresses unique across the worlds of one test
    leeds = Group(conference=conference, section=conference.sections[0], name="Leeds")
    york = Group(conference=conference, section=conference.sections[0], name="York")
    for group in (leeds, york):
        group.members, group.women_members = 1000, 120
        db.session.add(group)
    people = {
        "secretary": _user(f"secretary{n}@leeds.example.org", conference, Role.SECRETARY, leeds),
        "other_secretary": _user(
            f"secretary{n}@york.example.org", conference, Role.SECRETARY, york
        ),
        "steward": _user(f"steward{n}@example.org", conference, Role.STEWARD),
        "teller": _user(f"teller{n}@example.org", conference, Role.TELLER),
        "admin": _user(f"admin{n}@example.org", conference, Role.ADMIN),
        "other_admin": _user(f"admin{n}@other.example.org", other, Role.ADMIN),
        "site_admin": _user(f"site-admin{n}@example.org", is_site_admin=True),
        # Not a column of the permission table: tests/test_scrutineer.py derives its answers.
        "scrutineer": _user(f"scrutineer{n}@example.org", conference, Role.SCRUTINEER),
    }
    invitee = _user(f"invitee{n}@example.org", conference, Role.STEWARD, password_hash=None)
    db.session.flush()
    token = users.issue_invitation(invitee)
    now = utcnow()

    ann = _person(leeds, "Ann", Status.APPROVED, is_woman=True)
    bob = _person(leeds, "Bob", Status.SUBMITTED)
    cat = _person(leeds, "Cat", Status.APPROVED, PassType.ALTERNATE, alternate_rank=1)
    dan = _person(leeds, "Dan", Status.SUBMITTED)
    eve = _person(york, "Eve", Status.SUBMITTED)
    fay = _person(york, "Fay", Status.DRAFT)
    db.session.flush()
    substitution = Substitution(
        conference_id=conference.id,
        group_id=leeds.id,
        outgoing_id=ann.id,
        incoming_id=dan.id,
        reason="Ann is ill",
        requested_by_id=people["secretary"].id,
    )
    db.session.add(substitution)
    # Bob and Eve hold printed badge codes (as after an import); one print run has finished.
    badge = Credential(
        conference_id=conference.id, delegate_id=bob.id, code=codes.new_code(), printed_at=now
    )
    eve_badge = Credential(
        conference_id=conference.id, delegate_id=eve.id, code=codes.new_code(), printed_at=now
    )
    job = PrintJob(
        conference_id=conference.id,
        kind="badges",
        layout="a6",
        status="done",
        total=1,
        done=1,
        pdf=b"%PDF-1.4\n%world\n",
    )
    door = Door(conference_id=conference.id, name="Main entrance")
    device = DeviceToken(conference_id=conference.id, door=door, token_hash="0" * 64, label="H1")
    db.session.add_all([badge, eve_badge, job, door, device])
    db.session.flush()
    scan = Scan(
        conference_id=conference.id,
        device="t" + "0" * 24,
        nonce="world-1",
        direction="in",
        door_id=door.id,
        code=badge.code,
        credential_id=badge.id,
        delegate_id=bob.id,
        device_token_id=device.id,
        scanned_at=now,
        status="ok",
    )
    ballot = Ballot(
        conference_id=conference.id,
        title="Motion 1: Housing",
        state="declared",
        hands="carried",
        is_carried=True,
        declared_at=now,
        result={"hands": "carried"},
    )
    db.session.add_all(
        [
            ballot,
            scan,
            Presence(
                delegate_id=bob.id,
                conference_id=conference.id,
                is_inside=True,
                door_id=door.id,
                since=now,
            ),
        ]
    )
    db.session.commit()
    election = factories.election(conference)
    from tests.members import world as members_world

    members = members_world.add(conference, leeds, york)
    return World(
        conference_id=conference.id,
        other_conference_id=other.id,
        group_id=leeds.id,
        delegate_id=bob.id,
        approved_delegate_id=ann.id,
        alternate_id=cat.id,
        substitution_id=substitution.id,
        other_group_id=york.id,
        other_delegate_id=eve.id,
        other_draft_id=fay.id,
        invitee_id=invitee.id,
        token=token,
        emails={role: person.email for role, person in people.items()},
        job_id=job.id,
        badge_link=badge_link_token(badge),
        token_id=device.id,
        scan_id=scan.id,
        ballot_id=ballot.id,
        election_id=election.id,
        members=members,
    )


def url_for_rule(rule: str, world: World, **values) -> str:
    """The rule with its variables filled from the world (or from `values`)."""
    known = world.url_values() | values
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(known[m.group(1)]), rule)


def log_in_as(client, world: World, role: str) -> None:
    """Log the client in as the world's user of that role (anonymous: do nothing)."""
    if role == "anonymous":
        return
    response = client.post(
        "/login", data={"email": world.emails[role], "password": factories.PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table as the database holds it now (read past the session's cache)."""
    db.session.rollback()  # end any open read, so this one sees every commit
    return {
        table.name: sorted((tuple(row) for row in db.session.execute(sa.select(table))), key=repr)
        for table in db.metadata.sorted_tables
    }
