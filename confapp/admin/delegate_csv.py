"""Delegates as CSV: the committee's export written, and a file to import read.

The export writes the conference's registrations, filtered as the committee's delegate list
is (admin/registrations.py's `filtered_delegates_query`); a file exported imports as it is.
The reader checks each line on its own (columns, values, an address twice in the file) and
makes a registration.bulk.DelegateRow of it, noting every problem by line and column. What
the rows may register (groups, seats, alternates, one place per person) is registration's
to check, and its to write: registration/bulk.py and bulk_register.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from confapp import csv_import
from confapp.auth.services import UserError, normalise_email
from confapp.csv_import import AddProblem, Problem, Row
from confapp.models import BASE_SEAT, Delegate, PassType, Status
from confapp.registration import bulk
from confapp.registration.bulk import DEFAULT_STATUS, MAX_PROBLEMS, DelegateRow
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
# Read for every row of a file, so made once.
_PASS_TYPES = frozenset(p.value for p in PassType)
_IMPORT_STATUS_VALUES = frozenset(s.value for s in IMPORT_STATUSES)

_LENGTHS = {"name": 200, "phone": 40, "elected_at": 200}  # the columns' sizes in the table
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_delegates_csv(
    data: bytes, *, seats: Iterable[str] = (), max_problems: int = MAX_PROBLEMS
) -> list[DelegateRow]:
    """Read and check a delegates CSV without the database; ImportRejected lists every problem.

    `seats` are the labels of the conference's reserved seats (besides 'base').
    """
    rows, problems = read_delegates_csv(data, seats=seats)
    if problems:
        bulk.reject(problems, max_problems)
    return rows


def read_delegates_csv(
    data: bytes, *, seats: Iterable[str] = ()
) -> tuple[list[DelegateRow], list[Problem]]:
    """Every readable row, and every problem found: the database checks still look at the rows.

    `seats` are the labels of the conference's reserved seats (besides 'base').
    """
    problems: list[Problem] = []
    return _read_rows(data, list(seats), problems), problems


def _read_rows(data: bytes, seats: list[str], problems: list[Problem]) -> list[DelegateRow]:
    """Every readable row, problems and all, so the database checks can still look at them."""
    text = csv_import.decode(data, problems)
    if text is None:
        return []
    file_records = csv_import.records(text, quoted_example='"Ann ""Nan"" Jones"')
    layout = csv_import.read_header(
        file_records,
        problems,
        columns=COLUMNS,
        required=REQUIRED,
        ignored=EXPORT_ONLY,
        group_column="group",
    )
    if layout is None:
        return []

    known_seats = {BASE_SEAT: BASE_SEAT}
    for label in seats:
        known_seats.setdefault(bulk.name_key(label), label)
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

    pass_type = _check_pass_type(cell("pass_type"), add)

    name = csv_import.normalise(cell("name"))
    if "name" in layout.index and not name:
        add("name", "must not be empty")

    email = _check_email(cell("email"), row, seen_emails)
    seat = None
    if "pass_type" not in row.bad:  # else whether a seat belongs is unknown: one problem, not two
        seat = _check_seat(cell("seat"), pass_type, known_seats, add)
    flags = {column: _check_yes_no(cell(column), column, add) for column in bulk.BOOLEANS}
    elected_on = _check_date(cell("elected_on"), add)

    status = _check_status(cell("status"), add)

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


def _check_pass_type(raw: str, add: AddProblem) -> str:
    pass_type = raw.lower() or PassType.DELEGATE.value
    if pass_type not in _PASS_TYPES:
        add(
            "pass_type",
            f"unknown pass type {csv_import.show(raw)}; pass types are: "
            + ", ".join(p.value for p in PassType),
        )
    return pass_type


def _check_status(raw: str, add: AddProblem) -> str:
    status = raw.lower() or DEFAULT_STATUS.value
    if status not in _IMPORT_STATUS_VALUES:
        add(
            "status",
            f"must be draft, submitted or approved (blank: {DEFAULT_STATUS.value}), "
            f"got {csv_import.show(raw)}",
        )
    return status


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
    seat = known.get(bulk.name_key(raw))
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
