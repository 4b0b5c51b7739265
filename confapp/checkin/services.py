"""The committee's door tools: doors, device tokens, undoing a scan, closing the day.

The tools flush and their view commits, once per request. Adding a door and making a token
commit themselves: they are also the setup step of the command line, the benchmarks and tests.
"""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from datetime import datetime

import sqlalchemy as sa

from confapp import audit
from confapp.checkin.scans import token_hash
from confapp.extensions import db
from confapp.models import (
    Conference,
    Delegate,
    DeviceToken,
    Direction,
    Door,
    Group,
    Presence,
    Scan,
    ScanStatus,
    Section,
    User,
    utcnow,
)
from confapp.spreadsheet import safe_cell, utc_cell

TOKEN_PREFIX = "cfd_"  # recognisable in a scanner's settings and in a leaked-secrets scan
COMMITTEE_DEVICE = "committee"


class DoorError(ValueError):
    """A door tool refused, with a message for the committee."""


def doors(conference: Conference) -> list[Door]:
    """The conference's doors by name."""
    return list(
        db.session.execute(
            db.select(Door).where(Door.conference_id == conference.id).order_by(Door.name)
        ).scalars()
    )


def find_door(conference: Conference, name: str) -> Door | None:
    """A door by its exact name."""
    return db.session.execute(
        db.select(Door).where(Door.conference_id == conference.id, Door.name == name)
    ).scalar_one_or_none()


def add_door(conference: Conference, name: str, actor: User | None = None) -> Door:
    """Add a door (names are unique in a conference); committed."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise DoorError("A door needs a name of 1 to 100 characters.")
    if find_door(conference, name) is not None:
        raise DoorError(f"There is already a door called '{name}'.")
    door = Door(conference_id=conference.id, name=name)
    db.session.add(door)
    db.session.flush()
    audit.record(
        "door.add", door, after=audit.snapshot(door), summary=f"Door {name} added", actor=actor
    )
    db.session.commit()
    return door


def create_device_token(
    conference: Conference, door: Door, label: str = "", actor: User | None = None
) -> tuple[DeviceToken, str]:
    """A new scanner token for a door; the token itself is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = DeviceToken(
        conference_id=conference.id,
        door_id=door.id,
        label=" ".join(label.split())[:100],
        token_hash=token_hash(token),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(device)
    db.session.flush()
    audit.record(
        "device_token.create",
        device,
        after=audit.snapshot(device),
        summary=f"Scanner token made for {door.name}"
        + (f" ({device.label})" if device.label else ""),
        actor=actor,
    )
    db.session.commit()
    return device, token


def revoke_device_token(device: DeviceToken, actor: User | None = None) -> None:
    """Stop a token opening the scan API from now on."""
    if device.revoked_at is not None:
        raise DoorError("That scanner token was already revoked.")
    before = audit.snapshot(device)
    device.revoked_at = utcnow()
    audit.record(
        "device_token.revoke",
        device,
        before=before,
        after=audit.snapshot(device),
        summary=f"Scanner token for {device.door.name} revoked",
        actor=actor,
    )


def device_tokens(conference: Conference) -> list[DeviceToken]:
    """The conference's scanner tokens, newest first."""
    return list(
        db.session.execute(
            db.select(DeviceToken)
            .where(DeviceToken.conference_id == conference.id)
            .order_by(DeviceToken.created_at.desc(), DeviceToken.id.desc())
        ).scalars()
    )


def _lock_presence(delegate_id: int) -> Presence | None:
    """The person's presence row, locked: a scan at a door waits until the change is made."""
    return db.session.execute(
        db.select(Presence).where(Presence.delegate_id == delegate_id).with_for_update()
    ).scalar_one_or_none()


def undo_scan(scan: Scan, actor: User) -> None:
    """Strike out a mistaken scan and put the person's presence back as the other scans say."""
    if scan.undone_at is not None:
        raise DoorError("That scan was already undone.")
    if scan.status != ScanStatus.OK or scan.delegate_id is None:
        raise DoorError("Only a scan that let someone in or out can be undone.")
    if db.engine.dialect.name == "sqlite":
        db.session.commit()  # start the write from a fresh snapshot (see lock_groups)
    presence = _lock_presence(scan.delegate_id)
    before = audit.snapshot(scan)
    scan.undone_at = utcnow()
    scan.undone_by_id = actor.id
    db.session.flush()
    latest = db.session.execute(
        db.select(Scan)
        .where(
            Scan.delegate_id == scan.delegate_id,
            Scan.status == ScanStatus.OK.value,
            Scan.undone_at.is_(None),
        )
        .order_by(Scan.id.desc())  # the last decision stands (ids follow the row lock)
        .limit(1)
    ).scalar_one_or_none()
    if presence is not None:
        if latest is None:
            presence.is_inside, presence.door_id, presence.since = False, None, scan.scanned_at
        else:
            presence.is_inside = latest.direction == Direction.IN
            presence.door_id, presence.since = latest.door_id, latest.scanned_at
    name = scan.delegate.name if scan.delegate else "?"
    audit.record(
        "scan.undo",
        scan,
        before=before,
        after=audit.snapshot(scan),
        summary=f"Scan of {name} ({scan.direction}) undone; now "
        + ("inside" if presence is not None and presence.is_inside else "not inside"),
        actor=actor,
    )


def close_day(conference: Conference, actor: User) -> int:
    """Check everyone out (end of the day); each exit is a scan of its own. Returns how many."""
    if db.engine.dialect.name == "sqlite":
        db.session.commit()
    now = utcnow()
    moved = (
        db.session.execute(
            sa.update(Presence)
            .where(Presence.conference_id == conference.id, Presence.is_inside.is_(True))
            .values(is_inside=False, door_id=None, since=now)
            .returning(Presence.delegate_id)
        )
        .scalars()
        .all()
    )
    run = uuid.uuid4().hex[:12]
    for delegate_id in moved:
        db.session.add(
            Scan(
                conference_id=conference.id,
                device=COMMITTEE_DEVICE,
                nonce=f"close-{run}-{delegate_id}",
                direction=Direction.OUT.value,
                delegate_id=delegate_id,
                user_id=actor.id,
                scanned_at=now,
                received_at=now,
                status=ScanStatus.OK.value,
                manual_reason="day closed",
            )
        )
    audit.record(
        "presence.close_day",
        conference,
        after={"checked_out": len(moved)},
        summary=f"Day closed: {len(moved)} checked out",
        conference_id=conference.id,
        actor=actor,
    )
    return len(moved)


ATTENDANCE_COLUMNS = (
    "name",
    "group",
    "section",
    "pass_type",
    "inside_now",
    "since",
    "door",
    "first_in",
    "last_out",
    "entries",
)


def attendance_rows(conference: Conference) -> list[dict]:
    """Per person who came through a door: first in, last out, entries, and where they are now."""
    ok = sa.and_(Scan.status == ScanStatus.OK.value, Scan.undone_at.is_(None))
    first_in = sa.func.min(Scan.scanned_at).filter(ok, Scan.direction == Direction.IN.value)
    last_out = sa.func.max(Scan.scanned_at).filter(ok, Scan.direction == Direction.OUT.value)
    entries = sa.func.count().filter(ok, Scan.direction == Direction.IN.value)
    per_person = (
        db.select(
            Scan.delegate_id,
            first_in.label("first_in"),
            last_out.label("last_out"),
            entries.label("entries"),
        )
        .where(Scan.conference_id == conference.id, Scan.delegate_id.is_not(None))
        .group_by(Scan.delegate_id)
        .subquery()
    )
    rows = db.session.execute(
        db.select(
            Delegate.name,
            Group.name,
            Section.name,
            Delegate.pass_type,
            Presence.is_inside,
            Presence.since,
            Door.name,
            per_person.c.first_in,
            per_person.c.last_out,
            per_person.c.entries,
        )
        .join(per_person, per_person.c.delegate_id == Delegate.id)
        .join(Group, Group.id == Delegate.group_id)
        .join(Section, Section.id == Group.section_id)
        .outerjoin(Presence, Presence.delegate_id == Delegate.id)
        .outerjoin(Door, Door.id == Presence.door_id)
        .order_by(Group.name, Delegate.name)
    ).all()
    return [dict(zip(ATTENDANCE_COLUMNS, row, strict=True)) for row in rows]


def attendance_csv(conference: Conference) -> str:
    """Attendance as CSV, one line per person, times in UTC."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ATTENDANCE_COLUMNS)
    for row in attendance_rows(conference):
        writer.writerow(
            [
                _cell(row[column]) if column != "inside_now" else ("yes" if row[column] else "no")
                for column in ATTENDANCE_COLUMNS
            ]
        )
    return out.getvalue()


def _cell(value) -> str:
    if value is None or isinstance(value, datetime):
        return utc_cell(value)
    return safe_cell(str(value))
