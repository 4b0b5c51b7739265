"""Parse and check the credentials committee's groups CSV, all or nothing.

The module only reads and validates: it never touches the database. Any problem
rejects the whole file with every problem listed by line and column, so the
committee can fix the spreadsheet in one go instead of one error per upload.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from confapp import csv_import

# Problem and ImportRejected are re-exported: the groups import's callers take them from here.
from confapp.csv_import import AddProblem, ImportRejected, Problem, Row

COLUMNS = (
    "name",
    "region",
    "section",
    "members",
    "women_members",
    "young_members",
    "in_good_standing",
    "secretary_email",
)
# The other columns may be absent or have empty cells; frozen so no caller can
# loosen the rules for everyone by mutating it.
REQUIRED = frozenset({"name", "section", "members"})

MAX_TEXT_LENGTH = 200
# Far above any real group, and well inside a 32-bit database integer, so a
# typo such as an extra digit is caught here rather than failing mid-import.
MAX_MEMBERS = 10_000_000

# ASCII digits only: str.isdigit() would let through superscripts and other
# scripts' digits, which int() may reject or a reader may misread.
_DIGITS = re.compile(r"[0-9]+")
_NEGATIVE = re.compile(r"-\s*[0-9]+")


@dataclass(frozen=True)
class GroupRow:
    """One checked group from the file, ready for the caller to apply."""

    line: int
    name: str
    region: str
    section: str
    members: int
    women_members: int
    young_members: int
    in_good_standing: bool
    secretary_email: str | None


def parse_groups_csv(
    data: bytes, *, sections: Iterable[str], max_problems: int = 200
) -> list[GroupRow]:
    """Parse and check a groups CSV; raise ImportRejected listing every problem."""
    if max_problems < 1:
        raise ValueError("max_problems must be at least 1")
    problems: list[Problem] = []
    rows = _parse(data, list(sections), problems)
    if problems:
        raise ImportRejected(csv_import.capped(problems, max_problems))
    return rows


def _parse(data: bytes, sections: list[str], problems: list[Problem]) -> list[GroupRow]:
    text = csv_import.decode(data, problems)
    if text is None:
        return []
    if not text.strip():
        problems.append(Problem(None, None, "the file is empty"))
        return []

    file_records = csv_import.records(text, quoted_example='"The ""Red"" Branch"')
    layout = csv_import.read_header(
        file_records, problems, columns=COLUMNS, required=REQUIRED, group_column="name"
    )
    if layout is None:
        return []

    known_sections = _known_sections(sections)
    if not known_sections:
        problems.append(
            Problem(None, None, "no sections are set up for this conference; add them first")
        )

    seen_names: dict[str, int] = {}

    def check_row(row: Row) -> GroupRow | None:
        return _check_row(row, known_sections, seen_names)

    return csv_import.read_rows(
        file_records, layout, problems, check_row, nothing="no groups in the file"
    )


def _known_sections(sections: list[str]) -> dict[str, str]:
    known: dict[str, str] = {}
    for section in sections:
        known.setdefault(csv_import.normalise(section).casefold(), section)
    return known


def _check_row(
    row: Row, known_sections: dict[str, str], seen_names: dict[str, int]
) -> GroupRow | None:
    # A cell is None when its column is absent from the file (already reported if required).
    line, add, cell = row.line, row.add, row.cell

    name = csv_import.normalise(cell("name") or "")
    if cell("name") is not None:
        if not name:
            add("name", "must not be empty")
        else:
            if len(name) > MAX_TEXT_LENGTH:
                add("name", f"must be at most {MAX_TEXT_LENGTH} characters, got {len(name)}")
            key = name.casefold()
            if key in seen_names:
                add("name", f"duplicate name '{name}': already on line {seen_names[key]}")
            else:
                seen_names[key] = line

    region = csv_import.normalise(cell("region") or "")
    if len(region) > MAX_TEXT_LENGTH:
        add("region", f"must be at most {MAX_TEXT_LENGTH} characters, got {len(region)}")

    section = _check_section(cell("section"), known_sections, add)

    members = _check_count(cell("members"), "members", required=True, add=add)
    women = _check_count(cell("women_members"), "women_members", required=False, add=add)
    young = _check_count(cell("young_members"), "young_members", required=False, add=add)
    if members is not None:
        if women is not None and women > members:
            add("women_members", f"women_members ({women}) is greater than members ({members})")
        if young is not None and young > members:
            add("young_members", f"young_members ({young}) is greater than members ({members})")

    standing = _check_standing(cell("in_good_standing") or "", add)
    email = _check_email(cell("secretary_email") or "", add)
    row.check_unnamed()

    # A required value can also be missing without a problem on this row: its
    # column is absent, or no sections exist; those are reported once, above.
    if row.failed or not name or section is None or members is None:
        return None
    return GroupRow(
        line=line,
        name=name,
        region=region,
        section=section,
        members=members,
        women_members=women or 0,
        young_members=young or 0,
        in_good_standing=bool(standing),
        secretary_email=email,
    )


def _check_section(raw: str | None, known: dict[str, str], add: AddProblem) -> str | None:
    if raw is None or not known:  # absent column or no sections: reported once already
        return None
    value = csv_import.normalise(raw)
    listing = "known sections are: " + ", ".join(f"'{s}'" for s in known.values())
    if not value:
        add("section", f"must not be empty; {listing}")
        return None
    canonical = known.get(value.casefold())
    if canonical is None:
        add("section", f"unknown section {csv_import.show(value)}; {listing}")
    return canonical


def _check_count(raw: str | None, column: str, *, required: bool, add: AddProblem) -> int | None:
    if raw is None:
        return None if required else 0
    value = raw.strip()
    if not value:
        if required:
            add(column, "must not be empty; give a whole number")
            return None
        return 0
    if _DIGITS.fullmatch(value):
        # Checking the length first also keeps int() away from Python's limit
        # on converting very long digit strings.
        if len(value.lstrip("0")) > len(str(MAX_MEMBERS)) or int(value) > MAX_MEMBERS:
            add(column, f"must be at most {MAX_MEMBERS}, got {csv_import.show(value)}")
            return None
        return int(value)
    if _NEGATIVE.fullmatch(value):
        add(column, f"must not be negative, got {csv_import.show(value)}")
        return None
    message = f"must be a whole number, got {csv_import.show(value)}"
    if "," in value or "." in value:
        # A thousands separator is ambiguous next to comma-separated columns.
        message += " (digits only, without thousands separators or decimals)"
    add(column, message)
    return None


def _check_standing(raw: str, add: AddProblem) -> bool | None:
    if not raw.strip():
        return True
    standing = csv_import.yes_no(raw)
    if standing is None:
        add(
            "in_good_standing",
            f"must be yes or no (or true/false, y/n, 1/0), got {csv_import.show(raw.strip())}",
        )
    return standing


def _check_email(raw: str, add: AddProblem) -> str | None:
    value = raw.strip()
    if not value:
        return None
    try:
        # Deliverability needs DNS; an import must not depend on the network.
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        add("secretary_email", f"is not a valid email address: {exc}")
        return None
