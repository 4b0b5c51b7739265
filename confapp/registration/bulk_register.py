"""Registering many people at once, all or none: the delegates import's writer.

`register_all` takes the rows a reader made (bulk.DelegateRow) and writes nothing until every
row has passed bulk.check. Then, for each part (see PART_ROWS; a group's delegates and
alternates always in one part), it locks the part's groups (services.lock_groups) and reads
again what the checks read of them: should a secretary have registered someone meanwhile,
the checks run again, under the locks. The rows go in with a few bulk inserts, so that each
write is short, and each part commits: the one use case here that commits, because on SQLite
a write holds the database's one lock, which the doors' scans wait for too. Should a later
part fail, the parts already committed are removed, and the audit log says so.

A row is registered as services.register would register it (status, times, alternate rank
after the group's own, the audit entry), and one imported as approved gets its badge code as
approval gives one (credentials.prepare_first_issue / issue_first).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import NoReturn

import sqlalchemy as sa

from confapp import audit
from confapp.credentials import services as credentials
from confapp.csv_import import Problem
from confapp.extensions import db
from confapp.models import Conference, Credential, Delegate, PassType, Status, User, utcnow
from confapp.registration import services
from confapp.registration.bulk import (
    DelegateRow,
    Plan,
    Standing,
    check,
    name_key,
    read_standing,
    reject,
)
from confapp.registration.places import chunks
from confapp.text import plural

# On SQLite every write waits for the database's one write lock, a door's scan too (for up to
# the busy timeout, then it fails). So a big import writes there in parts of about this many
# rows, a tenth of a second each, and pauses between them; on PostgreSQL, where an import locks
# only its groups' rows, in one transaction. Tests make the parts smaller.
PART_ROWS = {"sqlite": 1000}
# Longer than SQLite's longest sleep between two tries for a busy lock (100 ms): every writer
# waiting when a part commits gets its turn before the next part starts.
PART_PAUSE_S = 0.11


@dataclass(frozen=True)
class DelegateImportSummary:
    """What an import registered."""

    by_pass_type: dict[str, int]
    groups: int

    @property
    def total(self) -> int:
        """Registrations created."""
        return sum(self.by_pass_type.values())

    def __str__(self) -> str:
        parts = [
            _passes(self.by_pass_type[p.value], p.value)
            for p in PassType
            if self.by_pass_type.get(p.value)
        ]
        return (
            f"{plural(self.total, 'registration')} imported ({', '.join(parts)}) "
            f"for {plural(self.groups, 'group')}"
        )


def _passes(count: int, pass_type: str) -> str:
    """'3 delegates', '2 press': a count of passes of one type."""
    return plural(count, pass_type, pass_type if pass_type in ("press", "staff") else None)


class _Undo(Exception):
    """A part of the import could not be written: the parts already written are removed."""

    def __init__(self, reason: str, problems: list[Problem] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problems = problems


def register_all(
    conference: Conference,
    rows: list[DelegateRow],
    actor: User | None = None,
    problems: list[Problem] | None = None,
) -> DelegateImportSummary:
    """Register everyone in `rows`, or no one; ImportRejected lists every problem.

    `problems`: those the reader found already; they reject the rows as the checks' do, and
    are listed with them. `actor` decides the rows imported as approved.
    """
    standing = read_standing(conference, rows)
    plan, found = check(rows, standing)
    if problems or found:
        reject([*(problems or []), *found])
    prepared = _prepare_all(conference.id, rows, plan, actor)
    summary = DelegateImportSummary(
        by_pass_type=dict(Counter(row.pass_type for row in rows)),
        groups=len({group.id for group in plan.groups.values()}),
    )
    parts = _parts(rows, plan, PART_ROWS.get(db.engine.dialect.name))
    ids: dict[int, int] = {}  # row index -> id, of the rows in the parts committed
    try:
        for number, part in enumerate(parts):
            if number:
                time.sleep(PART_PAUSE_S)  # the doors' scans waiting for the lock go first
            written = _write_part(conference, rows, part, standing, prepared, actor)
            if number == len(parts) - 1:
                everyone = ids | written
                _record_import(conference.id, [everyone[i] for i in range(len(rows))], summary)
            db.session.commit()
            ids |= written
    except _Undo as undo:
        db.session.rollback()
        _remove(conference.id, list(ids.values()), undo.reason)
        _reject_undone(conference, rows, undo)
    except BaseException as error:
        db.session.rollback()
        _remove(conference.id, list(ids.values()), f"the import failed ({type(error).__name__})")
        raise
    return summary


def _reject_undone(conference: Conference, rows: list[DelegateRow], undo: _Undo) -> NoReturn:
    """Refuse the rows of an import undone, saying why (checked again if need be)."""
    if undo.problems is not None:
        reject(undo.problems)
    # One person, one voting place is a database constraint: someone registered one of
    # these people in the moment since the check. Who it was is told as the check tells
    # it, read again now that the import is undone.
    found = check(rows, read_standing(conference, rows))[1]
    reject(
        found
        or [
            Problem(
                None,
                None,
                "someone registered one of these people at the same moment; nothing was "
                "imported: upload the file again to see who",
            )
        ]
    )


def _record_import(conference_id: int, ids: list[int], summary: DelegateImportSummary) -> None:
    """The import's own audit entry: every registration it made, by id."""
    _record(conference_id, "delegates.import", {"imported": ids}, str(summary))


def _record(conference_id: int, action: str, after: dict, summary: str) -> None:
    """An audit entry about the conference's import as a whole, in one statement."""
    entry = audit.entry_values(
        action,
        Conference.__name__,
        conference_id,
        conference_id=conference_id,
        after=after,
        summary=summary,
    )
    audit.record_all([entry])


def _write_part(
    conference: Conference,
    rows: list[DelegateRow],
    indexes: list[int],
    standing: Standing,
    prepared: list[_Prepared],
    actor: User | None,
) -> dict[int, int]:
    """Lock the part's groups, check them again if changed, insert its rows (no commit); ids."""
    part = [rows[i] for i in indexes]
    groups = {g.id: g for g in (standing.groups[name_key(r.group)] for r in part)}
    services.lock_groups(groups.values())  # in id order, so two imports cannot deadlock
    group_ids = sorted(groups)
    again = read_standing(conference, part, only=group_ids)
    if again.about(group_ids) != standing.about(group_ids):
        # Someone changed these groups since the first check: check the part again, under
        # the locks, so that the answer holds until the commit.
        plan, found = check(part, read_standing(conference, part))
        if found:
            raise _Undo("a group changed while it was being imported", found)
        now = utcnow()
        for index, row in zip(indexes, part, strict=True):
            # The ids taken for the rows stay theirs (an approved row stays approved).
            before = prepared[index]
            delegate_ids = iter([before.values.get("id")])
            credential_ids = iter([before.issue.row.get("id") if before.issue else None])
            prepared[index] = _prepare(
                conference.id, row, plan, actor, now, delegate_ids, credential_ids
            )
    try:
        written = _insert([prepared[i] for i in indexes])
    except sa.exc.IntegrityError as error:
        raise _Undo("someone registered one of these people at the same moment") from error
    return dict(zip(indexes, written, strict=True))


def _remove(conference_id: int, ids: list[int], reason: str) -> None:
    """Remove the registrations (and codes) of an import's committed parts; logged."""
    if not ids:
        return
    for chunk in chunks(ids):
        db.session.execute(
            sa.delete(Credential)
            .where(Credential.delegate_id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            sa.delete(Delegate)
            .where(Delegate.id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
    removed = f"{plural(len(ids), 'registration')} of an unfinished import removed"
    summary = f"{removed}: {reason}; nothing was imported"
    _record(conference_id, "delegates.import.undo", {"removed": ids}, summary)
    db.session.commit()


def _parts(rows: list[DelegateRow], plan: Plan, limit: int | None) -> list[list[int]]:
    """Row indexes in parts of about `limit` rows (None: one part), in file order in each.

    A group's delegates and alternates stay together: its entitlement is checked as a whole.
    """
    if limit is None or len(rows) <= limit:
        return [list(range(len(rows)))]
    units: dict[object, list[int]] = {}
    for index, row in enumerate(rows):
        key = plan.groups[row.line].id if row.is_voting else ("loose", index)
        units.setdefault(key, []).append(index)
    parts, part = [], []
    for unit in units.values():
        part.extend(unit)
        if len(part) >= limit:
            parts.append(sorted(part))
            part = []
    if part:
        parts.append(sorted(part))
    return parts


# ---- the rows made ready, and inserted -----------------------------------------------------

# The model's own words for a seat ("delegate", "women's seat", "alternate 2"), from plain values.
_seat_label = Delegate.seat_label.fget


@dataclass
class _Prepared:
    """One row made ready to insert: the Python work done before any lock is taken."""

    values: dict  # the registration's column values
    entry: dict  # its audit entry (audit.entry_values); the id goes into it and its snapshot
    issue: credentials.FirstIssue | None  # the badge code of a row imported as approved


def _prepare_all(
    conference_id: int, rows: list[DelegateRow], plan: Plan, actor: User | None
) -> list[_Prepared]:
    """Every row made ready, with the ids taken for them beforehand (see _take_ids)."""
    now = utcnow()
    approved = sum(1 for row in rows if row.status == Status.APPROVED)
    delegate_ids = _take_ids(Delegate.__table__, len(rows))
    credential_ids = _take_ids(Credential.__table__, approved)
    return [
        _prepare(conference_id, row, plan, actor, now, delegate_ids, credential_ids) for row in rows
    ]


def _prepare(
    conference_id: int,
    row: DelegateRow,
    plan: Plan,
    actor: User | None,
    now: datetime,
    delegate_ids: Iterator[int | None],
    credential_ids: Iterator[int | None],
) -> _Prepared:
    """The row's registration, audit entry and code, as one at a time would have made them.

    Its ids come from those taken beforehand (see _take_ids); a None: the insert gives one.
    """
    delegate_id = next(delegate_ids)
    group = plan.groups[row.line]
    sent, approved = row.status != Status.DRAFT, row.status == Status.APPROVED
    values = {
        "conference_id": conference_id,
        "group_id": group.id,
        "pass_type": row.pass_type,
        "seat": row.seat if row.pass_type == PassType.DELEGATE else None,
        "alternate_rank": plan.ranks.get(row.line),
        "name": row.name,
        "email": row.email,
        "phone": row.phone,
        "is_woman": row.is_woman,
        "is_young": row.is_young,
        "is_low_paid": row.is_low_paid,
        "elected_on": row.elected_on,
        "elected_at": row.elected_at,
        "status": row.status,
        "status_reason": "",
        "submitted_at": now if sent else None,
        "decided_at": now if approved else None,
        "decided_by_id": (actor.id if actor is not None else None) if approved else None,
        "seated_for_id": None,
        "created_at": now,
        "updated_at": now,
    }
    if delegate_id is not None:
        values["id"] = delegate_id
    label = _seat_label(SimpleNamespace(**values))
    entry = audit.entry_values(
        "delegate.import",
        Delegate.__name__,
        delegate_id,
        conference_id=conference_id,
        after=audit.snapshot_values(Delegate, values),
        summary=f"{row.name} as {label} for {group.name}, {row.status}",
    )
    issue = None
    if approved:
        issue = credentials.prepare_first_issue(
            conference_id, row.name, actor, "approved on import", next(credential_ids)
        )
    return _Prepared(values, entry, issue)


def _take_ids(table: sa.Table, count: int) -> Iterator[int | None]:
    """`count` new ids from the table's sequence on PostgreSQL; Nones on SQLite (none there).

    On PostgreSQL inserting thousands of rows with RETURNING takes several times as long as
    without; ids taken from the sequence beforehand (never given twice, a rollback or not)
    are just as good.
    """
    if db.engine.dialect.name != "postgresql" or count == 0:
        return itertools.repeat(None)
    sequence = sa.func.pg_get_serial_sequence(table.name, "id")
    taken = sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count))
    return iter(sorted(db.session.execute(taken).scalars()))


def _insert(rows: list[_Prepared]) -> list[int]:
    """Insert the rows, their codes and audit entries in a few statements; their ids."""
    # The table, not the class: the ORM's bulk insert leaves out None values, which splits the
    # rows into groups.
    table = Delegate.__table__
    values = [row.values for row in rows]
    if all("id" in v for v in values):  # taken beforehand: no RETURNING, much faster there
        db.session.execute(sa.insert(table), values)
        ids = [v["id"] for v in values]
    else:
        # Rows come back matched by e-mail (one row per address in a file), not in order:
        # SQLite returns them in order only by inserting one at a time.
        returned = sa.insert(table).returning(table.c.email, table.c.id)
        inserted = {email: i for email, i in db.session.execute(returned, values)}
        ids = [inserted[v["email"]] for v in values]
        for row, delegate_id in zip(rows, ids, strict=True):
            row.entry["entity_id"] = row.entry["after"]["id"] = delegate_id
    approved = [(row, i) for row, i in zip(rows, ids, strict=True) if row.issue]
    issued = iter(
        credentials.issue_first([row.issue for row, _ in approved], [i for _, i in approved])
    )
    # In the order one at a time made them: each person, then their code.
    entries = []
    for row in rows:
        entries.append(row.entry)
        if row.issue:
            entries.append(next(issued))
    audit.record_all(entries)
    return ids
