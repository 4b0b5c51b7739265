"""The scan's read finds its rows by index, as PostgreSQL plans it once a worker reuses it.

psycopg prepares a statement on its sixth use, and PostgreSQL then keeps one generic plan
for it. If that plan scanned the scan or presence table from end to end, every scan would
get slower as the day's scans pile up; this pins the plan, not a timing.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from confapp.checkin import scans
from confapp.extensions import db
from confapp.models import Delegate, Presence, Scan, utcnow
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL's query plans")

GROWN = 2000  # people inside and scans on record before the plan is made


def generic_plan(sql: str) -> str:
    """EXPLAIN of `sql` (psycopg's %(name)s style) as a prepared statement's generic plan."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    prepared = re.sub(r"%\((\w+)\)s", number, sql)
    with db.engine.connect() as connection:
        connection.exec_driver_sql(f"PREPARE door_read AS {prepared}")
        connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        nulls = ", ".join(["NULL"] * len(names))
        plan = connection.exec_driver_sql(f"EXPLAIN EXECUTE door_read({nulls})").scalars().all()
        connection.exec_driver_sql("DEALLOCATE door_read")
        connection.exec_driver_sql("RESET plan_cache_mode")
        connection.rollback()
    return "\n".join(plan)


def grow_the_day(conference, group_id: int) -> None:
    """GROWN people inside, each with a scan, and the tables analyzed as autovacuum would."""
    now = utcnow()
    db.session.execute(
        sa.insert(Delegate),
        [
            {
                "conference_id": conference.id,
                "group_id": group_id,
                "pass_type": "visitor",
                "name": f"Guest {n}",
                "email": f"guest{n}@example.org",
                "status": "approved",
            }
            for n in range(GROWN)
        ],
    )
    guests = db.session.execute(
        sa.select(Delegate.id).where(Delegate.name.like("Guest %"))
    ).scalars()
    guest_ids = list(guests)
    db.session.execute(
        sa.insert(Presence),
        [
            {"delegate_id": i, "conference_id": conference.id, "is_inside": True, "since": now}
            for i in guest_ids
        ],
    )
    db.session.execute(
        sa.insert(Scan),
        [
            {
                "conference_id": conference.id,
                "device": "t-bench",
                "nonce": f"n{i}",
                "direction": "in",
                "delegate_id": i,
                "scanned_at": now,
                "received_at": now,
                "status": "ok",
            }
            for i in guest_ids
        ],
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE scan, presence, delegate")


@pytest.mark.parametrize("day", ["first morning", "busy day"])
def test_the_read_finds_scan_and_presence_by_index(door, day):
    if day == "busy day":
        grow_the_day(door.conference, door.people["Ann"].group_id)

    plan = generic_plan(scans._PG_READ)

    assert "Index Scan using uq_scan_device_nonce on scan" in plan, plan
    assert "Index Scan using pk_presence on presence" in plan, plan
    assert "Seq Scan on scan" not in plan and "Seq Scan on presence" not in plan, plan
    assert "Seq Scan on credential" not in plan, plan
