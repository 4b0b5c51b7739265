"""The member register as CSV: a file read and checked all or nothing, then written in bulk.

Members are matched by membership number: a new number adds a member, a known one updates
them. Nobody is deleted: a member who has left has a left_on date and stays on the register
as lapsed, and members missing from a file stay as they were. Any problem refuses the whole
file with every problem located by line and column (confapp.csv_import), nothing changed.

21,000 members must import in a few seconds, so the writes are a handful of bulk statements
(one INSERT and one UPDATE, each executemany), never a query a row, and the audit log gets one
entry for the import with its counts.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from confapp import audit, csv_import
from confapp.auth.services import UserError, normalise_email
from confapp.csv_import import ImportRejected, Problem, Row
from confapp.extensions import db
from confapp.members import figures
from confapp.models import Conference, Group, Member, utcnow
from confapp.spreadsheet import csv_text, starts_formula
from confapp.text import plural

COLUMNS = (
    "membership_number",
    "name",
    "email",
    "group",
    "joined_on",
    "in_good_standing",
    "left_on",
)
REQUIRED = frozenset({"membership_number", "name", "email", "group", "joined_on"})
# Any other column is a sensitive attribute (woman, young ...): yes, no, or blank for unknown.
ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_ATTRIBUTES = 20
MAX_PROBLEMS = 200
_LENGTHS = {"membership_number": 40, "name": 200}  # the columns' sizes in the table
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class MemberRow:
    """One checked line of the file, ready to write."""

    line: int
    number: str
    name: str
    email: str
    group_id: int
    joined_on: date
    in_good_standing: bool | None  # None: the file has no in_good_standing column
    left_on: date | None
    attributes: dict[str, bool | None]  # the file's attribute columns; None: left blank


@dataclass(frozen=True)
class RegisterFile:
    """A checked file: its rows, and which of the optional columns it holds."""

    rows: list[MemberRow]
    has_standing: bool
    has_left_on: bool
    attributes: tuple[str, ...]


# ---- reading the file ------------------------------------------------------------------------


def read_register_csv(data: bytes, groups: dict[int, str]) -> RegisterFile:
    """Read and check a register CSV; `groups` maps the conference's group ids to their names.

    Raises ImportRejected listing every problem (at most MAX_PROBLEMS, then how many more).
    """
    problems: list[Problem] = []
    parsed = _read(data, groups, problems)
    if problems or parsed is None:
        raise ImportRejected(csv_import.capped(problems, MAX_PROBLEMS))
    return parsed


def _read(data: bytes, groups: dict[int, str], problems: list[Problem]) -> RegisterFile | None:
    text = csv_import.decode(data, problems)
    if text is None:
        return None
    records = csv_import.records(text, quoted_example='"Ann ""Nan"" Jones"')
    header = next(
        (r for r in records if r.fields is None or any(f.strip() for f in r.fields)), None
    )
    if header is None:
        problems.append(Problem(None, None, "the file is empty"))
        return None
    attributes = _attribute_columns(header.fields or [], header.start, problems)
    before = len(problems)
    layout = csv_import.read_header(
        itertools.chain([header], records),
        problems,
        columns=COLUMNS + attributes,
        required=REQUIRED,
        # Problems name the member's number beside the line: "line 14 (L0001), column group".
        group_column="membership_number",
    )
    if layout is None:
        return None
    checker = _Checker(groups, attributes, header_ok=len(problems) == before)
    rows = csv_import.read_rows(
        records, layout, problems, checker.read, nothing="no members in the file"
    )
    return RegisterFile(
        rows=rows,
        has_standing="in_good_standing" in layout.index,
        has_left_on="left_on" in layout.index,
        attributes=attributes,
    )


def _attribute_columns(fields: list[str], line: int, problems: list[Problem]) -> tuple[str, ...]:
    """The header's names beyond the known columns that can name an attribute."""
    names = []
    for cell in fields:
        name = cell.strip().lower()
        if name and name not in COLUMNS and ATTRIBUTE_NAME.fullmatch(name) and name not in names:
            names.append(name)
    if len(names) > MAX_ATTRIBUTES:
        problems.append(
            Problem(
                line,
                None,
                f"{len(names)} attribute columns ({', '.join(names)}); at most {MAX_ATTRIBUTES}",
            )
        )
        return ()
    return tuple(names)


class _Checker:
    """Checks each line against the conference's groups and the lines before it."""

    def __init__(self, groups: dict[int, str], attributes: tuple[str, ...], *, header_ok: bool):
        # Matched as the group list is searched: any case, runs of spaces as one.
        self.group_ids = {csv_import.normalise(n).casefold(): gid for gid, n in groups.items()}
        self.group_names = {csv_import.normalise(n).casefold(): n for n in groups.values()}
        # With a header problem an "attribute" may be a misspelt column: its values are not
        # checked as yes/no, so its problems do not bury the header's.
        self.attributes = attributes if header_ok else ()
        self.columns = COLUMNS + attributes
        self.numbers: dict[str, int] = {}
        self.unknown_groups: dict[str, str] = {}
        self.emails = _Emails()

    def read(self, row: Row) -> MemberRow | None:
        """The line as a MemberRow; None (its problems noted) if anything is wrong."""

        # Each column's value once, trimmed; "" where the file has no such column.
        cell = dict.fromkeys(self.columns, "")
        cell.update((c, _unescape(row.fields[p].strip())) for c, p in row.layout.index.items())

        number = self._number(row, csv_import.normalise(cell["membership_number"]))
        name = csv_import.normalise(cell["name"])
        if "name" in row.layout.index:
            if not name:
                row.add("name", "must not be empty")
            elif len(name) > _LENGTHS["name"]:
                row.add("name", f"must be at most {_LENGTHS['name']} characters, got {len(name)}")
        email = self.emails.check(row, cell["email"])
        group_id = self._group(row, csv_import.normalise(cell["group"]))
        joined_on = _date(row, "joined_on", cell["joined_on"], required=True)
        standing = None
        if "in_good_standing" in row.layout.index:
            standing = _yes_no(row, "in_good_standing", cell["in_good_standing"], blank=True)
        left_on = _date(row, "left_on", cell["left_on"], required=False)
        if joined_on and left_on and left_on < joined_on:
            row.add(
                "left_on",
                f"{left_on.isoformat()} is before the date joined ({joined_on.isoformat()})",
            )
        attributes = {a: _yes_no(row, a, cell[a], blank=None) for a in self.attributes}
        row.check_unnamed()
        if row.failed or not number or group_id is None or joined_on is None:
            return None
        return MemberRow(
            line=row.line,
            number=number,
            name=name,
            email=email or "",
            group_id=group_id,
            joined_on=joined_on,
            in_good_standing=standing,
            left_on=left_on,
            attributes=attributes,
        )

    def _number(self, row: Row, number: str) -> str:
        if "membership_number" not in row.layout.index:
            return ""
        if not number:
            row.add("membership_number", "must not be empty")
            return ""
        limit = _LENGTHS["membership_number"]
        if len(number) > limit:
            row.add("membership_number", f"must be at most {limit} characters, got {len(number)}")
            return ""
        if number in self.numbers:
            row.add(
                "membership_number",
                f"{csv_import.show(number)} is already on line {self.numbers[number]}: "
                "one line per member",
            )
            return ""
        self.numbers[number] = row.line
        return number

    def _group(self, row: Row, name: str) -> int | None:
        if "group" not in row.layout.index:
            return None
        if not name:
            row.add("group", "must not be empty; give the group's name as on the group list")
            return None
        group_id = self.group_ids.get(name.casefold())
        if group_id is None:
            row.add("group", self._no_such_group(name))
        return group_id

    def _no_such_group(self, name: str) -> str:
        message = self.unknown_groups.get(name)
        if message is None:
            message = f"no group named {csv_import.show(name)} in this conference"
            known = list(self.group_names)
            close = difflib.get_close_matches(name.casefold(), known, n=1, cutoff=0.75)
            if close:
                message += f" (is it '{self.group_names[close[0]]}'?)"
            self.unknown_groups[name] = message
        return message


# A local part the e-mail validator accepts as it is: ASCII "dot-atom" (RFC 5322), its pattern.
_PLAIN_LOCAL = re.compile(
    r"[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+(?:\.[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+)*"
)
_EMAIL_MAX_LENGTH = 254


class _Emails:
    """Lower-cases and checks addresses as normalise_email does, checking each domain once.

    The full check costs most of a 21,000-member import, and nearly all of it is the domain's
    (IDNA rules), which a register repeats thousands of times; a plain ASCII local part is
    checked by its pattern, anything else by the full check.
    """

    def __init__(self) -> None:
        self.domains: dict[str, str | None] = {}

    def check(self, row: Row, raw: str) -> str | None:
        """The address in canonical form, or None (and a problem on the row)."""
        if "email" not in row.layout.index or not raw:
            return None  # a member may have no address: they are sent no link
        local, at, domain = raw.rpartition("@")
        if at and _PLAIN_LOCAL.fullmatch(local) and len(raw) <= _EMAIL_MAX_LENGTH:
            if domain not in self.domains:
                try:
                    self.domains[domain] = normalise_email(f"x@{domain}").partition("@")[2]
                except UserError:
                    self.domains[domain] = None
            if self.domains[domain] is not None:
                return f"{local.lower()}@{self.domains[domain]}"
        try:
            return normalise_email(raw)
        except UserError as exc:
            row.add("email", str(exc))
            return None


def _date(row: Row, column: str, raw: str, *, required: bool) -> date | None:
    if column not in row.layout.index:
        return None
    if not raw:
        if required:
            row.add(column, "must not be empty; give a date written like 2024-01-20")
        return None
    if not _ISO_DATE.fullmatch(raw):
        row.add(
            column,
            f"must be a date written like 2024-01-20 (year-month-day), got {csv_import.show(raw)}",
        )
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        row.add(column, f"{csv_import.show(raw)} is not a date in the calendar")
        return None


def _yes_no(row: Row, column: str, raw: str, *, blank: bool | None) -> bool | None:
    if not raw:
        return blank
    value = csv_import.yes_no(raw)
    if value is None:
        blank_means = "yes" if blank else "not known"
        row.add(column, f"must be yes or no (blank: {blank_means}), got {csv_import.show(raw)}")
    return value


def _unescape(value: str) -> str:
    """Undo the export's formula guard, so an exported file imports the values it came from."""
    if value[:1] == "'" and starts_formula(value[1:]):
        return value[1:]
    return value


def describe(problem: Problem) -> str:
    """Where the problem is, then what: "Line 14 (L0001), column 'group': no group named ..."."""
    if problem.line is None:
        return f"The file: {problem.message}"
    where = f"Line {problem.line}"
    if problem.group:  # the member's number (see read_header's group_column above)
        where += f" ({csv_import.show(problem.group)[1:-1]})"
    if problem.column is not None:
        where += f", column '{problem.column}'"
    return f"{where}: {problem.message}"


# ---- writing the register ----------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import changed, for the committee and the audit log."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    lapsed: int = 0  # members the file marks as left who were not lapsed before
    not_in_file: int = 0  # members on the register the file does not name: kept as they were

    def __str__(self) -> str:
        """'3 members added, 1 updated, 1 lapsed, 20 unchanged'."""
        return (
            f"{plural(self.added, 'member')} added, {self.updated} updated "
            f"({self.lapsed} newly lapsed), {self.unchanged} unchanged"
        )

    def as_dict(self) -> dict[str, int]:
        """The counts, for the audit entry."""
        return {
            "added": self.added,
            "updated": self.updated,
            "lapsed": self.lapsed,
            "unchanged": self.unchanged,
            "not_in_file": self.not_in_file,
        }


_KEPT = ("name", "email", "group_id", "joined_on", "in_good_standing", "left_on", "attributes")


def import_members(conference: Conference, data: bytes, *, actor=None) -> ImportSummary:
    """Check a register file and write it all, or raise ImportRejected and change nothing.

    Flushes but does not commit: the caller commits (or rolls back).
    """
    groups = {
        group_id: name
        for group_id, name in db.session.execute(
            sa.select(Group.id, Group.name).where(Group.conference_id == conference.id)
        )
    }
    parsed = read_register_csv(data, groups)
    # Two imports at once would both add the same new numbers: the second waits here for the
    # first (PostgreSQL's row lock; SQLite has one writer anyway).
    db.session.execute(
        sa.select(Conference.id).where(Conference.id == conference.id).with_for_update()
    )
    table = Member.__table__
    existing = {
        row.number: row
        for row in db.session.execute(
            sa.select(table.c.id, table.c.number, *(table.c[k] for k in _KEPT)).where(
                table.c.conference_id == conference.id
            )
        )
    }
    summary = ImportSummary()
    now = utcnow()
    inserts: list[dict] = []
    updates: list[dict] = []
    for row in parsed.rows:
        old = existing.pop(row.number, None)
        values = _values(row, old, parsed)
        if old is None:
            summary.added += 1
            summary.lapsed += values["left_on"] is not None
            inserts.append(
                {
                    "conference_id": conference.id,
                    "number": row.number,
                    "created_at": now,
                    "updated_at": now,
                    **values,
                }
            )
        elif any(values[k] != getattr(old, k) for k in _KEPT):
            summary.updated += 1
            summary.lapsed += old.left_on is None and values["left_on"] is not None
            updates.append({"member_id": old.id, "updated_at": now, **values})
        else:
            summary.unchanged += 1
    summary.not_in_file = len(existing)
    # The table, not the class: one INSERT and one UPDATE, each executemany (see the docstring).
    if inserts:
        db.session.execute(sa.insert(table), inserts)
    if updates:
        db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("member_id")), updates)
    audit.record(
        "member.import",
        conference,
        after=summary.as_dict(),
        summary=f"register imported: {summary}",
        actor=actor,
    )
    figures.refresh(conference)
    db.session.flush()
    return summary


def _values(row: MemberRow, old, parsed: RegisterFile) -> dict:
    """The member's columns after the import: a column the file leaves out keeps its value."""
    attributes = dict(old.attributes or {}) if old is not None else {}
    for name, value in row.attributes.items():
        if value is None:
            attributes.pop(name, None)
        else:
            attributes[name] = value
    standing = row.in_good_standing
    if standing is None:
        standing = True if old is None else old.in_good_standing
    left_on = row.left_on if parsed.has_left_on or old is None else old.left_on
    return {
        "name": row.name,
        "email": row.email,
        "group_id": row.group_id,
        "joined_on": row.joined_on,
        "in_good_standing": standing,
        "left_on": left_on,
        "attributes": attributes,
    }


# ---- the export --------------------------------------------------------------------------


def attribute_names(conference: Conference) -> list[str]:
    """The attributes the register records for anyone, in alphabetical order."""
    # Each distinct set once, as text (PostgreSQL's json has no equality): a register of
    # 21,000 holds a handful of combinations, not 21,000 dicts to decode on every page.
    held = sa.select(sa.cast(Member.attributes, sa.Text)).distinct()
    names: set[str] = set()
    for text in db.session.scalars(held.where(Member.conference_id == conference.id)):
        names.update(json.loads(text or "null") or {})
    return sorted(names)


def register_csv(conference: Conference, *, sensitive: bool = False) -> tuple[str, int]:
    """The register as CSV (the import's columns, so it imports as it is) and its member count.

    The sensitive attributes are left out unless `sensitive`.
    """
    attributes = attribute_names(conference) if sensitive else []
    rows = db.session.execute(
        sa.select(Member, Group.name)
        .join(Group, Member.group_id == Group.id)
        .where(Member.conference_id == conference.id)
        .order_by(Member.number)
    )
    lines = []
    for member, group in rows:
        line = [
            member.number,
            member.name,
            member.email,
            group,
            member.joined_on.isoformat(),
            "yes" if member.in_good_standing else "no",
            member.left_on.isoformat() if member.left_on else "",
        ]
        held = member.attributes or {}
        line += ["" if held.get(a) is None else ("yes" if held[a] else "no") for a in attributes]
        lines.append(line)
    return csv_text([[*COLUMNS, *attributes], *lines], byte_order_mark=True), len(lines)


def sample_csv(conference: Conference) -> str:
    """A small register file for the conference: it imports as it is."""
    name = db.session.scalar(
        sa.select(Group.name).where(Group.conference_id == conference.id).order_by(Group.name)
    )
    group = name or "Your group's name, as on the group list"
    rows = [
        ["EXAMPLE-0001", "Ann Example", "ann.example@example.org", group, "2024-01-20", "yes", "",
         "yes", "no"],
        ["EXAMPLE-0002", "Sam Example", "sam.example@example.org", group, "2019-06-01", "no",
         "2025-03-31", "", "yes"],
    ]  # fmt: skip
    return csv_text([[*COLUMNS, "woman", "young"], *rows], byte_order_mark=True)
