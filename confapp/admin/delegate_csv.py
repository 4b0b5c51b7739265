"""Delegates as CSV: the committee's export, and its all-or-nothing import.

The export writes the conference's registrations, filtered as the committee's delegate list
is (admin/review.py's `filtered_delegates_query`). The import reads a file of people
to register, checks every row against the registration rules (seats within the entitlement,
reserved seats for those who qualify, the alternates limit, one voting place per person)
and either registers them all or changes nothing and lists every problem by line and
column, as the groups import does. It writes in short transactions (on SQLite the doors'
scans wait for the same write lock): see `import_delegates`.
"""

from __future__ import annotations

import difflib
import itertools
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import NoReturn

import sqlalchemy as sa

from confapp import audit, csv_import
from confapp import entitlement as ent
from confapp.auth.services import UserError, normalise_email
from confapp.credentials import services as credentials
from confapp.csv_import import AddProblem, ImportRejected, Problem, Row
from confapp.extensions import db
from confapp.models import (
    ACTIVE_STATUSES,
    BASE_SEAT,
    VOTING_PASSES,
    Conference,
    Credential,
    Delegate,
    Group,
    PassType,
    Status,
    Substitution,
    User,
    utcnow,
)
from confapp.registration import rules
from confapp.registration import services as registration
from confapp.spreadsheet import csv_text, starts_formula, utc_cell

# ---- export --------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "group",
    "section",
    "region",
    "pass_type",
    "seat",
    "alternate_rank",
    "name",
    "email",
    "phone",
    "is_woman",
    "is_young",
    "is_low_paid",
    "elected_on",
    "elected_at",
    "status",
    "status_reason",
    "submitted_at",
    "decided_at",
)


def delegates_csv(delegates: Iterable[Delegate]) -> str:
    """The registrations as CSV text with the EXPORT_COLUMNS header, formula-safe.

    Starts with a byte order mark so that Excel reads it as UTF-8 (Ynys Môn, not Ynys MÃ´n);
    the import skips it. Booleans are yes/no (blank: not asked); times are UTC, ISO 8601.
    """
    rows = (_export_row(delegate) for delegate in delegates)
    return csv_text([EXPORT_COLUMNS, *rows], byte_order_mark=True)


def _export_row(d: Delegate) -> list[str]:
    return [
        d.group.name,
        d.group.section.name,
        d.group.region,
        d.pass_type,
        d.seat or "",
        "" if d.alternate_rank is None else str(d.alternate_rank),
        d.name,
        d.email,
        d.phone,
        _yes_no(d.is_woman),
        _yes_no(d.is_young),
        _yes_no(d.is_low_paid),
        d.elected_on.isoformat() if d.elected_on else "",
        d.elected_at,
        d.status,
        d.status_reason,
        utc_cell(d.submitted_at),
        utc_cell(d.decided_at),
    ]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


# ---- import: reading the file --------------------------------------------------------------

COLUMNS = (
    "group",
    "pass_type",
    "name",
    "email",
    "phone",
    "seat",
    "is_woman",
    "is_young",
    "is_low_paid",
    "elected_on",
    "elected_at",
    "status",
)
REQUIRED = frozenset({"group", "name", "email"})
# The export's other columns: read past, so an exported file can be uploaded as it is.
# alternate_rank among them: imported alternates are ranked after the group's own, in file order.
EXPORT_ONLY = frozenset(EXPORT_COLUMNS) - frozenset(COLUMNS)
IMPORT_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED)
DEFAULT_STATUS = Status.SUBMITTED
# Read for every row of a file, so made once.
_PASS_TYPES = frozenset(p.value for p in PassType)
_IMPORT_STATUS_VALUES = frozenset(s.value for s in IMPORT_STATUSES)

MAX_PROBLEMS = 200
_LENGTHS = {"name": 200, "phone": 40, "elected_at": 200}  # the columns' sizes in the table
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class DelegateRow:
    """One person from the file, as read; `bad` names the columns that had a problem."""

    line: int
    group: str
    pass_type: str
    name: str
    email: str
    phone: str = ""
    seat: str | None = BASE_SEAT  # "base" or a reserved seat's label; None for other passes
    is_woman: bool | None = None
    is_young: bool | None = None
    is_low_paid: bool | None = None
    elected_on: date | None = None
    elected_at: str = ""
    status: str = DEFAULT_STATUS.value
    bad: set[str] = field(default_factory=set)

    def ok(self, *columns: str) -> bool:
        """Whether these columns were read without a problem."""
        return not self.bad.intersection(columns)

    @property
    def is_voting(self) -> bool:
        """A delegate or alternate: holds a place within the group's entitlement."""
        return self.pass_type in VOTING_PASSES

    @property
    def person(self) -> rules.Person:
        """What the registration rules read of this row."""
        seat = self.seat if self.pass_type == PassType.DELEGATE else None
        return rules.Person(self.name, seat, self.is_woman, self.is_young, self.is_low_paid)


def parse_delegates_csv(
    data: bytes, *, seats: Iterable[str] = (), max_problems: int = MAX_PROBLEMS
) -> list[DelegateRow]:
    """Read and check a delegates CSV without the database; ImportRejected lists every problem.

    `seats` are the labels of the conference's reserved seats (besides 'base').
    """
    problems: list[Problem] = []
    rows = _read_rows(data, list(seats), problems)
    if problems:
        raise ImportRejected(csv_import.capped(_sorted(problems), max_problems))
    return rows


def _read_rows(data: bytes, seats: list[str], problems: list[Problem]) -> list[DelegateRow]:
    """Every readable row, problems and all, so the database checks can still look at them."""
    text = csv_import.decode(data, problems)
    if text is None:
        return []
    file_records = csv_import.records(text, quoted_example='"Ann ""Nan"" Jones"')
    layout = csv_import.read_header(
        file_records, problems, columns=COLUMNS, required=REQUIRED, ignored=EXPORT_ONLY
    )
    if layout is None:
        return []

    known_seats = {BASE_SEAT: BASE_SEAT}
    for label in seats:
        known_seats.setdefault(_key(label), label)
    seen_emails: dict[str, int] = {}

    def read_row(row: Row) -> DelegateRow:
        return _read_row(row, known_seats, seen_emails)

    return csv_import.read_rows(
        file_records, layout, problems, read_row, nothing="no registrations in the file"
    )


def _read_row(row: Row, known_seats: dict[str, str], seen_emails: dict[str, int]) -> DelegateRow:
    line, add, layout = row.line, row.add, row.layout

    def cell(column: str) -> str:
        value = row.cell(column)
        return "" if value is None else _unescape(value.strip())

    group = csv_import.normalise(cell("group"))
    if "group" in layout.index and not group:
        add("group", "must not be empty; give the group's name as on the group list")

    pass_type = cell("pass_type").lower() or PassType.DELEGATE.value
    if pass_type not in _PASS_TYPES:
        add(
            "pass_type",
            f"unknown pass type {csv_import.show(cell('pass_type'))}; pass types are: "
            + ", ".join(p.value for p in PassType),
        )

    name = csv_import.normalise(cell("name"))
    if "name" in layout.index and not name:
        add("name", "must not be empty")

    email = _check_email(cell("email"), row, seen_emails)
    seat = None
    if "pass_type" not in row.bad:  # else whether a seat belongs is unknown: one problem, not two
        seat = _check_seat(cell("seat"), pass_type, known_seats, add)
    flags = {column: _check_yes_no(cell(column), column, add) for column in _BOOLEANS}
    elected_on = _check_date(cell("elected_on"), add)

    status = cell("status").lower() or DEFAULT_STATUS.value
    if status not in _IMPORT_STATUS_VALUES:
        add(
            "status",
            f"must be draft, submitted or approved (blank: {DEFAULT_STATUS.value}), "
            f"got {csv_import.show(cell('status'))}",
        )

    values = {
        "name": name,
        "phone": cell("phone"),
        "elected_at": csv_import.normalise(cell("elected_at")),
    }
    for column, limit in _LENGTHS.items():
        if len(values[column]) > limit:
            add(column, f"must be at most {limit} characters, got {len(values[column])}")

    row.check_unnamed()
    for column in REQUIRED - layout.index.keys():
        row.bad.add(column)  # the missing column was reported once, on the header

    return DelegateRow(
        line=line,
        group=group,
        pass_type=pass_type,
        name=name,
        email=email or "",
        phone=values["phone"],
        seat=seat,
        elected_on=elected_on,
        elected_at=values["elected_at"],
        status=status,
        bad=row.bad,
        **flags,
    )


_BOOLEANS = ("is_woman", "is_young", "is_low_paid")


def _check_email(raw: str, row: Row, seen: dict[str, int]) -> str | None:
    if "email" not in row.layout.index:
        return None
    if not raw:
        row.add("email", "must not be empty")
        return None
    try:
        email = normalise_email(raw)  # the form registration stores, so duplicates are found
    except UserError as exc:
        row.add("email", str(exc))
        return None
    if email in seen:
        row.add("email", f"{email} is already on line {seen[email]}: one person, one registration")
        return None
    seen[email] = row.line
    return email


def _check_seat(raw: str, pass_type: str, known: dict[str, str], add: AddProblem) -> str | None:
    if pass_type != PassType.DELEGATE:
        if raw:
            add("seat", f"only delegates take a seat; leave it empty for pass type '{pass_type}'")
        return None
    if not raw:
        return BASE_SEAT
    seat = known.get(_key(raw))
    if seat is None:
        listing = ", ".join(f"'{label}'" for label in known.values())
        add("seat", f"unknown seat {csv_import.show(raw)}; this conference's seats are: {listing}")
    return seat


def _check_yes_no(raw: str, column: str, add: AddProblem) -> bool | None:
    if not raw:
        return None
    value = csv_import.yes_no(raw)
    if value is None:
        add(column, f"must be yes or no (or true/false, 1/0), or empty; got {csv_import.show(raw)}")
    return value


def _check_date(raw: str, add: AddProblem) -> date | None:
    if not raw:
        return None
    if not _ISO_DATE.fullmatch(raw):
        add("elected_on", f"must be a date written like 2027-01-20, got {csv_import.show(raw)}")
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        add("elected_on", f"{csv_import.show(raw)} is not a date in the calendar")
        return None


def _unescape(value: str) -> str:
    """Undo the export's formula guard, so an exported file imports the values it came from."""
    if value.startswith("'") and starts_formula(value[1:]):
        return value[1:]
    return value


def _key(text: str) -> str:
    return csv_import.normalise(text).casefold()


def _sorted(problems: list[Problem]) -> list[Problem]:
    # Whole-file problems first, then by line; within a line, in the order found.
    return sorted(problems, key=lambda p: -1 if p.line is None else p.line)


# ---- import: checking against the conference and applying ------------------------------------

_CHUNK = 500  # ids or addresses in one IN list: well inside every database's parameter limit
# On SQLite every write waits for the database's one write lock, a door's scan too (for up to
# the busy timeout, then it fails). So a big import writes there in parts of about this many
# rows, a tenth of a second each, and pauses between them; on PostgreSQL, where an import locks
# only its groups' rows, in one transaction. Tests make the parts smaller.
PART_ROWS = {"sqlite": 1000}
# Longer than SQLite's longest sleep between two tries for a busy lock (100 ms): every writer
# waiting when a part commits gets its turn before the next part starts.
PART_PAUSE_S = 0.11


@dataclass(frozen=True)
class _GroupFacts:
    """A group as the checks read it."""

    id: int
    name: str
    figures: ent.GroupFigures


@dataclass(frozen=True)
class _Holder:
    """A registration holding one of its group's places, as the checks read it."""

    id: int
    group_id: int
    pass_type: str
    seat: str | None
    name: str
    is_woman: bool | None
    is_young: bool | None
    is_low_paid: bool | None


@dataclass
class _Standing:
    """What the checks read from the database; read again and the same, their answer stands.

    Who already holds a place under an address in the file (`taken`) is not read again under
    the locks: there the database's one-person-one-place index has the last word.
    """

    rule: ent.EntitlementRule
    card_rule: ent.CardVoteRule
    groups: dict[str, _GroupFacts]  # by _key(name): the conference's groups
    holding: dict[int, tuple[_Holder, ...]]  # group id -> its places taken, for groups in the file
    max_ranks: dict[int, int]  # group id -> the highest active alternate rank
    taken: list[tuple[str, str, str]] = field(default_factory=list)
    # (email, seat label, group name) of each place already held by an address in the file

    def about(self, group_ids: Iterable[int]) -> tuple:
        """What was read of these groups, to compare with another reading."""
        by_id = {group.id: group for group in self.groups.values()}
        return (
            self.rule,
            self.card_rule,
            [(by_id.get(i), self.holding.get(i), self.max_ranks.get(i)) for i in group_ids],
        )


@dataclass
class _Plan:
    """What the checks resolved: each row's group, and the rank of each alternate."""

    groups: dict[int, _GroupFacts] = field(default_factory=dict)  # line -> group
    ranks: dict[int, int] = field(default_factory=dict)  # line -> alternate rank


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
            _count(self.by_pass_type[p.value], p.value)
            for p in PassType
            if self.by_pass_type.get(p.value)
        ]
        return (
            f"{_count(self.total, 'registration')} imported ({', '.join(parts)}) "
            f"for {_count(self.groups, 'group')}"
        )


class _Undo(Exception):
    """A part of the import could not be written: the parts already written are removed."""

    def __init__(self, reason: str, problems: list[Problem] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problems = problems


def import_delegates(
    conference: Conference, data: bytes, actor: User | None = None
) -> DelegateImportSummary:
    """Register everyone in a delegates CSV, or no one; ImportRejected lists every problem.

    Nothing is written until every row has passed: the file is read, then checked against the
    groups' entitlements and the conference's registrations, and the rows, their audit entries
    and badge codes are made ready. Then, for each part (see PART_ROWS; a group's delegates
    and alternates always in one part), its groups are locked and what the checks read of
    them is read again: should a secretary have registered someone meanwhile, the checks run
    again. The rows go in with a few bulk inserts, so each write is short. Should a later part
    fail, the parts already committed are removed, and the audit log says so. Imported
    alternates are ranked after the group's own. `actor` decides approved rows.
    """
    seats = [s.label for s in conference.rule.reserved]
    problems: list[Problem] = []
    rows = _read_rows(data, seats, problems)
    if not rows:
        _reject(problems or [Problem(None, None, "no registrations in the file")])
    standing = _read_standing(conference, rows)
    plan, found = _check(rows, standing)
    if problems or found:
        _reject(problems + found)
    now = utcnow()
    approved = sum(1 for row in rows if row.status == Status.APPROVED)
    delegate_ids = _take_ids(Delegate.__table__, len(rows))
    credential_ids = _take_ids(Credential.__table__, approved)
    prepared = [
        _prepare(conference.id, row, plan, actor, now, delegate_ids, credential_ids) for row in rows
    ]
    summary = DelegateImportSummary(
        by_pass_type=dict(Counter(row.pass_type for row in rows)),
        groups=len({group.id for group in plan.groups.values()}),
    )
    conference_id = conference.id
    parts = _parts(rows, plan, PART_ROWS.get(db.engine.dialect.name))
    ids: dict[int, int] = {}  # row index -> id, of the rows in the parts committed
    try:
        for number, part in enumerate(parts):
            if number:
                time.sleep(PART_PAUSE_S)  # the doors' scans waiting for the lock go first
            written = _write_part(
                conference, [rows[i] for i in part], part, standing, prepared, actor
            )
            if number == len(parts) - 1:
                everyone = ids | written
                audit.record_all(
                    [
                        audit.entry_values(
                            "delegates.import",
                            Conference.__name__,
                            conference_id,
                            conference_id=conference_id,
                            after={"imported": [everyone[i] for i in range(len(rows))]},
                            summary=str(summary),
                        )
                    ]
                )
            db.session.commit()
            ids |= written
    except _Undo as undo:
        db.session.rollback()
        _remove(conference_id, list(ids.values()), undo.reason)
        if undo.problems is not None:
            _reject(undo.problems)
        # One person, one voting place is a database constraint: someone registered one of
        # these people in the moment since the check. Who it was is told as the check tells
        # it, read again now that the import is undone.
        found = _check(rows, _read_standing(conference, rows))[1]
        _reject(
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
    except BaseException as error:
        db.session.rollback()
        _remove(conference_id, list(ids.values()), f"the import failed ({type(error).__name__})")
        raise
    return summary


def _write_part(
    conference: Conference,
    rows: list[DelegateRow],
    indexes: list[int],
    standing: _Standing,
    prepared: list[_Prepared],
    actor: User | None,
) -> dict[int, int]:
    """Lock the part's groups, check them again if changed, insert its rows (no commit); ids."""
    group_ids = _lock_groups([r.group for r in rows], standing)
    again = _read_standing(conference, rows, only=group_ids)
    if again.about(group_ids) != standing.about(group_ids):
        # Someone changed these groups since the first check: check the part again, under
        # the locks, so that the answer holds until the commit.
        plan, found = _check(rows, _read_standing(conference, rows))
        if found:
            raise _Undo("a group changed while it was being imported", found)
        now = utcnow()
        for index, row in zip(indexes, rows, strict=True):
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
    for chunk in _chunks(ids):
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
    audit.record_all(
        [
            audit.entry_values(
                "delegates.import.undo",
                Conference.__name__,
                conference_id,
                conference_id=conference_id,
                after={"removed": ids},
                summary=f"{_count(len(ids), 'registration')} of an unfinished import removed: "
                f"{reason}; nothing was imported",
            )
        ]
    )
    db.session.commit()


def _reject(problems: list[Problem]) -> NoReturn:
    raise ImportRejected(csv_import.capped(_sorted(problems), MAX_PROBLEMS))


def _chunks(values: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


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


def _parts(rows: list[DelegateRow], plan: _Plan, limit: int | None) -> list[list[int]]:
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


def _lock_groups(names: list[str], standing: _Standing) -> list[int]:
    """Lock the named groups in id order, so two imports cannot deadlock; their ids.

    The first goes through registration's lock (on SQLite that takes the database's write
    lock, which is all a second writer could wait for); the others in a statement per 500
    rather than one each, which on SQLite would keep every door waiting for thousands of
    round trips.
    """
    groups = {g.id: g for g in (standing.groups[_key(name)] for name in set(names))}
    ids = sorted(groups)
    registration.lock_groups([groups[ids[0]]])
    for chunk in _chunks(ids[1:]):
        # FOR NO KEY UPDATE in id order: the lock an UPDATE takes, in lock_groups' order.
        db.session.execute(
            sa.select(Group.id)
            .where(Group.id.in_(chunk))
            .order_by(Group.id)
            .with_for_update(key_share=True)
        ).all()
        db.session.execute(
            sa.update(Group)
            .where(Group.id.in_(chunk))
            .values(registration_version=Group.registration_version + 1)
            .execution_options(synchronize_session=False)
        )
    return ids


def _read_standing(
    conference: Conference, rows: list[DelegateRow], *, only: list[int] | None = None
) -> _Standing:
    """Read what the checks need, in a few queries however many groups the file names.

    `only`: just these groups (ids), and not who holds the file's addresses: what a part of
    the import reads again under its locks.
    """
    columns = sa.select(
        Group.id,
        Group.name,
        Group.members,
        Group.women_members,
        Group.young_members,
        Group.in_good_standing,
    ).where(Group.conference_id == conference.id)
    queries = [columns] if only is None else [columns.where(Group.id.in_(c)) for c in _chunks(only)]
    groups = {
        _key(name): _GroupFacts(id, name, ent.GroupFigures(members, women, young, standing))
        for query in queries
        for id, name, members, women, young, standing in db.session.execute(query)
    }
    named = only
    if named is None:
        named = sorted({groups[_key(r.group)].id for r in rows if _key(r.group) in groups})
    holding: dict[int, list[_Holder]] = {group_id: [] for group_id in named}
    max_ranks: dict[int, int] = {}
    pending = sa.select(Substitution.incoming_id).where(Substitution.status == "pending")
    active = [s.value for s in ACTIVE_STATUSES]
    for chunk in _chunks(named):
        # As registration.holding_places counts: active delegates and alternates, not people
        # proposed in open substitutions.
        for holder in db.session.execute(
            sa.select(
                Delegate.id,
                Delegate.group_id,
                Delegate.pass_type,
                Delegate.seat,
                Delegate.name,
                Delegate.is_woman,
                Delegate.is_young,
                Delegate.is_low_paid,
            )
            .where(
                Delegate.group_id.in_(chunk),
                Delegate.status.in_(active),
                Delegate.pass_type.in_([p.value for p in VOTING_PASSES]),
                Delegate.id.not_in(pending),
            )
            .order_by(Delegate.id)
        ):
            holding[holder.group_id].append(_Holder(*holder))
        # After the highest rank still active, as registration numbers a new alternate.
        max_ranks.update(
            (group_id, rank)
            for group_id, rank in db.session.execute(
                sa.select(Delegate.group_id, sa.func.max(Delegate.alternate_rank))
                .where(
                    Delegate.group_id.in_(chunk),
                    Delegate.pass_type == PassType.ALTERNATE,
                    Delegate.status.in_(active),
                )
                .group_by(Delegate.group_id)
            )
        )
    return _Standing(
        rule=conference.rule,
        card_rule=conference.card_rule,
        groups=groups,
        holding={group_id: tuple(held) for group_id, held in holding.items()},
        max_ranks=max_ranks,
        taken=_read_taken(conference, rows) if only is None else [],
    )


def _read_taken(conference: Conference, rows: list[DelegateRow]) -> list[tuple[str, str, str]]:
    """Places already held in the conference under the addresses of the file's voting rows."""
    emails = list(
        {r.email: r for r in rows if r.ok("email", "pass_type") and r.is_voting and r.email}
    )
    taken = []
    for chunk in _chunks(emails):
        holders = db.session.execute(
            sa.select(Delegate)
            .where(
                Delegate.conference_id == conference.id,
                Delegate.email.in_(chunk),
                Delegate.status.in_([s.value for s in ACTIVE_STATUSES]),
                Delegate.pass_type.in_([p.value for p in VOTING_PASSES]),
            )
            .options(sa.orm.joinedload(Delegate.group))
            .order_by(Delegate.id)
        ).scalars()
        taken.extend((h.email, h.seat_label, h.group.name) for h in holders)
    return taken


def _check(rows: list[DelegateRow], standing: _Standing) -> tuple[_Plan, list[Problem]]:
    """The problems with the rows given what was read, and each good row's group and rank."""
    found: list[Problem] = []

    def add(row: DelegateRow, column: str, message: str) -> None:
        found.append(Problem(row.line, column, message))

    plan = _Plan()
    by_key = standing.groups
    for row in rows:
        if not row.ok("group"):
            continue
        group = by_key.get(_key(row.group))
        if group is None:
            message = f"no group named {csv_import.show(row.group)} in this conference"
            close = difflib.get_close_matches(_key(row.group), list(by_key), n=1, cutoff=0.8)
            if close:
                message += f"; did you mean '{by_key[close[0]].name}'?"
            add(row, "group", message)
        elif row.is_voting and row.ok("pass_type") and not group.figures.in_good_standing:
            add(
                row,
                "group",
                f"{group.name} is not in good standing, so it may send no delegates or alternates",
            )
        else:
            plan.groups[row.line] = group

    by_group: dict[int, list[DelegateRow]] = defaultdict(list)
    for row in rows:
        if row.line in plan.groups and row.ok("pass_type") and row.is_voting:
            by_group[plan.groups[row.line].id].append(row)
    for group_rows in by_group.values():
        _check_places(plan.groups[group_rows[0].line], standing, group_rows, plan, add)

    _check_people_free(standing, [r for r in rows if r.ok("email", "pass_type")], add)
    return plan, found


def _check_places(
    group: _GroupFacts,
    standing: _Standing,
    rows: list[DelegateRow],
    plan: _Plan,
    add: Callable[[DelegateRow, str, str], None],
) -> None:
    """Seats within the entitlement, counting the group's registrations and the file's rows."""
    rule = standing.rule
    # Computed here, not through the cached property: the figures may have changed under lock.
    entitled = ent.entitle(rule, standing.card_rule, group.figures)
    available = rules.seats_available(entitled)
    holding = standing.holding.get(group.id, ())
    existing = Counter(d.seat for d in holding if d.pass_type == PassType.DELEGATE)
    existing_alternates = sum(1 for d in holding if d.pass_type == PassType.ALTERNATE)
    in_file: dict[str, list[int]] = defaultdict(list)  # seat -> lines that took one
    alternates: list[int] = []
    people: list[rules.Person] = [
        registration.as_person(d) for d in holding if d.pass_type == PassType.DELEGATE
    ]

    for row in rows:
        if row.pass_type == PassType.ALTERNATE:
            if existing_alternates + len(alternates) >= rule.max_alternates:
                add(
                    row,
                    "pass_type",
                    _alternates_message(group, rule, existing_alternates, alternates),
                )
            else:
                alternates.append(row.line)
            continue
        if not row.ok("seat"):
            continue
        seat = row.seat
        if not available.get(seat):
            add(row, "seat", _no_such_seat(group, seat))
            continue
        taken = existing[seat] + len(in_file[seat])
        if taken >= available[seat]:
            add(
                row, "seat", _seat_full(group, seat, available[seat], existing[seat], in_file[seat])
            )
            continue
        if row.ok(*_BOOLEANS):
            # With nobody else taken, the rules can only object that the person doesn't qualify.
            problem = rules.seat_problem(rule, entitled, [], row.person)
            if problem:
                add(row, "seat", problem)
                continue
        in_file[seat].append(row.line)
        people.append(row.person)

    first_rank = standing.max_ranks.get(group.id, 0) + 1
    for rank, line in enumerate(alternates, start=first_rank):
        plan.ranks[line] = rank

    # Rows that go in as submitted (or approved) skip the secretary's submission, where the
    # equality rule is checked; so it is checked here. Drafts wait for that submission.
    sent = [r for r in rows if r.status != Status.DRAFT and r.pass_type == PassType.DELEGATE]
    if sent and all(r.ok(*_BOOLEANS) for r in rows):
        for message in rules.delegation_problems(rule, people):
            add(sent[0], "group", f"{group.name}'s delegation would break the rule: {message}")


def _no_such_seat(group: _GroupFacts, seat: str) -> str:
    if seat == BASE_SEAT:
        return f"{group.name} is entitled to no delegates"
    return f"{group.name}'s entitlement does not include the {seat}"


def _seat_full(
    group: _GroupFacts, seat: str, available: int, existing: int, lines: list[int]
) -> str:
    noun = "delegate" if seat == BASE_SEAT else seat
    taken = []
    if existing:
        taken.append(f"{existing} already registered")
    if lines:
        where = "line" if len(lines) == 1 else "lines"
        taken.append(f"{len(lines)} earlier in this file ({where} {_lines(lines)})")
    return f"{group.name} is entitled to {_count(available, noun)}: {' and '.join(taken)}"


def _alternates_message(
    group: _GroupFacts, rule: ent.EntitlementRule, existing: int, lines: list[int]
) -> str:
    if rule.max_alternates == 0:
        return "this conference's rule allows no alternates"
    taken = []
    if existing:
        taken.append(f"{existing} already registered")
    if lines:
        where = "line" if len(lines) == 1 else "lines"
        taken.append(f"{len(lines)} earlier in this file ({where} {_lines(lines)})")
    return (
        f"the rule allows {_count(rule.max_alternates, 'alternate')} per group; "
        f"{group.name} has {' and '.join(taken)}"
    )


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:10])
    return shown + (", ..." if len(lines) > 10 else "")


def _check_people_free(
    standing: _Standing, rows: list[DelegateRow], add: Callable[[DelegateRow, str, str], None]
) -> None:
    """One person, one voting place in the conference, as registration enforces."""
    voting = {row.email: row for row in rows if row.is_voting and row.email}
    for email, seat_label, group_name in standing.taken:
        add(
            voting[email],
            "email",
            f"{email} is already registered as {seat_label} for "
            f"{group_name}: one person can hold only one place at the conference",
        )


def _count(n: int, noun: str) -> str:
    if n == 1 or noun in ("press", "staff"):
        return f"{n:,} {noun}"
    return f"{n:,} {noun}s"


# The model's own words for a seat ("delegate", "women's seat", "alternate 2"), from plain values.
_seat_label = Delegate.seat_label.fget


@dataclass
class _Prepared:
    """One row made ready to insert: the Python work done before any lock is taken."""

    values: dict  # the registration's column values
    entry: dict  # its audit entry (audit.entry_values); the id goes into it and its snapshot
    issue: credentials.FirstIssue | None  # the badge code of a row imported as approved


def _prepare(
    conference_id: int,
    row: DelegateRow,
    plan: _Plan,
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
