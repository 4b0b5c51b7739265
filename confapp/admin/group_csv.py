"""Parse and check the credentials committee's groups CSV, all or nothing.

The module only reads and validates: it never touches the database. Any problem
rejects the whole file with every problem listed by line and column, so the
committee can fix the spreadsheet in one go instead of one error per upload.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

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

_TRUE = frozenset({"yes", "true", "1", "y"})
_FALSE = frozenset({"no", "false", "0", "n"})
# ASCII digits only: str.isdigit() would let through superscripts and other
# scripts' digits, which int() may reject or a reader may misread.
_DIGITS = re.compile(r"[0-9]+")
_NEGATIVE = re.compile(r"-\s*[0-9]+")
_SHOWN_CHARS = 40  # how much of a bad value to quote back in a message

# Records a problem for the current row: (column, message).
_Add = Callable[[str | None, str], None]


@dataclass(frozen=True)
class Problem:
    """One reason the file was refused, located by physical line and column."""

    line: int | None  # 1-based physical line (header is line 1); None for the whole file
    column: str | None
    message: str

    def __str__(self) -> str:
        """Say where the problem is, then what it is."""
        if self.line is None:
            return f"file: {self.message}"
        if self.column is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, column {self.column}: {self.message}"


class ImportRejected(Exception):
    """The file was refused; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        # Pass the list itself to Exception so args round-trip through pickle.
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        """List every problem, one per line."""
        return "\n".join(str(problem) for problem in self.problems)


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
        raise ImportRejected(_capped(problems, max_problems))
    return rows


def _capped(problems: list[Problem], limit: int) -> list[Problem]:
    # A wholly wrong file can produce thousands of problems; the first few
    # hundred are enough to see what is wrong, and the count says how much more.
    if len(problems) <= limit:
        return problems
    extra = len(problems) - limit
    more = "problem" if extra == 1 else "problems"
    return [*problems[:limit], Problem(None, None, f"... and {extra} more {more}")]


@dataclass(frozen=True)
class _Record:
    start: int  # physical line where the record begins
    end: int  # physical line where it ends (differs with quoted newlines)
    fields: list[str] | None  # None when the csv module could not read it
    error: str | None


class _LineCounter:
    """Yield physical lines to csv.reader while counting them."""

    def __init__(self, text: str) -> None:
        # newline="" keeps \r\n inside quoted fields and splits on \n, \r\n and \r,
        # which is what the csv module expects.
        self._lines = io.StringIO(text, newline="")
        self.count = 0

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        return line


def _records(text: str) -> Iterator[_Record]:
    # csv.reader.line_num is the line a record ENDS on; a record starts on the
    # line after the last one the previous record consumed, so count lines.
    lines = _LineCounter(text)
    # strict: a stray quote is reported instead of silently mangling the value.
    reader = csv.reader(lines, strict=True)
    while True:
        start = lines.count + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader drops the rest of the bad line and resumes on the next.
            yield _Record(start, lines.count, None, _explain_csv_error(exc))
            continue
        yield _Record(start, lines.count, fields, None)


def _explain_csv_error(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted value starting on this line is never closed (missing closing '\"')"
    if "expected after" in text:
        return (
            "a '\"' in the middle of a value; put the whole value in double quotes and "
            'double any quote inside it, e.g. "The ""Red"" Branch"'
        )
    if "field larger than field limit" in text:
        return "a value is far too long; a quoted value may not be closed"
    return f"the line cannot be read as CSV ({text})"


def _decode(data: bytes, problems: list[Problem]) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append(
            Problem(
                None,
                None,
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at position "
                f"{exc.start}, on line {line}); save it as 'CSV UTF-8'",
            )
        )
        return None
    # Excel's "CSV UTF-8" starts with a byte order mark; it is not part of the header.
    return text.removeprefix("\ufeff")


def _parse(data: bytes, sections: list[str], problems: list[Problem]) -> list[GroupRow]:
    text = _decode(data, problems)
    if text is None:
        return []
    if not text.strip():
        problems.append(Problem(None, None, "the file is empty"))
        return []

    records = _records(text)
    header = next((r for r in records if r.fields is None or not _is_blank(r.fields)), None)
    if header is None:  # only commas and blank lines
        problems.append(Problem(None, None, "the file is empty"))
        return []
    if header.fields is None:
        # Without a readable header no row can be checked meaningfully.
        problems.append(Problem(header.start, None, f"the header cannot be read: {header.error}"))
        return []

    delimiter = _wrong_delimiter(header.fields)
    if delimiter is not None:
        problems.append(Problem(None, None, f"columns are separated by {delimiter}, expected ','"))
        return []

    layout = _read_header(header, problems)
    if layout is None:
        return []

    known_sections = _known_sections(sections)
    if not known_sections:
        problems.append(
            Problem(None, None, "no sections are set up for this conference; add them first")
        )

    rows: list[GroupRow] = []
    seen_names: dict[str, int] = {}
    data_records = 0
    for record in records:
        if record.fields is None:
            data_records += 1
            problems.append(Problem(record.start, None, record.error or "cannot be read"))
            continue
        if _is_blank(record.fields):
            continue
        data_records += 1
        row = _check_row(record, layout, known_sections, seen_names, problems)
        if row is not None:
            rows.append(row)

    if data_records == 0:
        problems.append(Problem(None, None, "no groups in the file"))
    return rows


def _is_blank(fields: list[str]) -> bool:
    # Spreadsheets export empty rows as ",,,,", which is as blank as an empty line.
    return all(not field.strip() for field in fields)


def _wrong_delimiter(header: list[str]) -> str | None:
    if len(header) != 1:
        return None
    semicolons, tabs = header[0].count(";"), header[0].count("\t")
    if semicolons == 0 and tabs == 0:
        return None
    return "';'" if semicolons >= tabs else "tabs"


@dataclass(frozen=True)
class _Layout:
    width: int  # fields every row must have
    index: dict[str, int]  # known column -> position of its first occurrence
    unnamed: tuple[int, ...]  # positions with an empty header cell


def _read_header(header: _Record, problems: list[Problem]) -> _Layout | None:
    assert header.fields is not None
    line = header.start
    names = [cell.strip() for cell in header.fields]
    if not any(name.lower() in COLUMNS for name in names):
        # Likely a file with no header row at all; one clear problem beats a flood.
        problems.append(
            Problem(
                line,
                None,
                "this is not a header row; the first line must name the columns: "
                + ", ".join(COLUMNS),
            )
        )
        return None

    index: dict[str, int] = {}
    unnamed: list[int] = []
    for position, name in enumerate(names):
        key = name.lower()
        if not key:
            # Trailing empty header cells are common from spreadsheets; tolerated
            # as long as the rows leave them empty too.
            unnamed.append(position)
        elif key not in COLUMNS:
            problems.append(
                Problem(
                    line,
                    name,
                    f"unknown column '{name}'; expected columns are: " + ", ".join(COLUMNS),
                )
            )
        elif key in index:
            problems.append(
                Problem(
                    line,
                    key,
                    f"column '{key}' appears more than once "
                    f"(columns {index[key] + 1} and {position + 1})",
                )
            )
        else:
            index[key] = position
    for column in COLUMNS:
        if column in REQUIRED and column not in index:
            problems.append(Problem(line, column, f"required column '{column}' is missing"))
    return _Layout(width=len(names), index=index, unnamed=tuple(unnamed))


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _known_sections(sections: list[str]) -> dict[str, str]:
    known: dict[str, str] = {}
    for section in sections:
        known.setdefault(_normalise(section).casefold(), section)
    return known


def _show(value: str) -> str:
    if len(value) > _SHOWN_CHARS:
        value = value[: _SHOWN_CHARS - 1] + "…"
    return f"'{value}'"


def _check_row(
    record: _Record,
    layout: _Layout,
    known_sections: dict[str, str],
    seen_names: dict[str, int],
    problems: list[Problem],
) -> GroupRow | None:
    assert record.fields is not None
    line, fields = record.start, record.fields
    if len(fields) != layout.width:
        message = f"has {len(fields)} values but the header has {layout.width} columns"
        if len(fields) > layout.width:
            message += "; a value containing a comma must be in double quotes"
        if record.end > record.start:
            message += f" (this row runs to line {record.end}; is a closing '\"' missing?)"
        problems.append(Problem(line, None, message))
        return None

    before = len(problems)

    def add(column: str | None, message: str) -> None:
        problems.append(Problem(line, column, message))

    def cell(column: str) -> str | None:
        # None means the column is absent from the file (already reported if required).
        position = layout.index.get(column)
        return None if position is None else fields[position]

    name = _normalise(cell("name") or "")
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

    region = _normalise(cell("region") or "")
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

    for position in layout.unnamed:
        if fields[position].strip():
            add(
                None,
                f"value {_show(fields[position].strip())} in column {position + 1}, "
                "which has no name in the header",
            )

    # A required value can also be missing without a problem on this row: its
    # column is absent, or no sections exist; those are reported once, above.
    if len(problems) > before or not name or section is None or members is None:
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


def _check_section(raw: str | None, known: dict[str, str], add: _Add) -> str | None:
    if raw is None or not known:  # absent column or no sections: reported once already
        return None
    value = _normalise(raw)
    listing = "known sections are: " + ", ".join(f"'{s}'" for s in known.values())
    if not value:
        add("section", f"must not be empty; {listing}")
        return None
    canonical = known.get(value.casefold())
    if canonical is None:
        add("section", f"unknown section {_show(value)}; {listing}")
    return canonical


def _check_count(raw: str | None, column: str, *, required: bool, add: _Add) -> int | None:
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
            add(column, f"must be at most {MAX_MEMBERS}, got {_show(value)}")
            return None
        return int(value)
    if _NEGATIVE.fullmatch(value):
        add(column, f"must not be negative, got {_show(value)}")
        return None
    message = f"must be a whole number, got {_show(value)}"
    if "," in value or "." in value:
        # A thousands separator is ambiguous next to comma-separated columns.
        message += " (digits only, without thousands separators or decimals)"
    add(column, message)
    return None


def _check_standing(raw: str, add: _Add) -> bool | None:
    value = raw.strip().lower()
    if not value or value in _TRUE:
        return True
    if value in _FALSE:
        return False
    add(
        "in_good_standing",
        f"must be yes or no (or true/false, y/n, 1/0), got {_show(raw.strip())}",
    )
    return None


def _check_email(raw: str, add: _Add) -> str | None:
    value = raw.strip()
    if not value:
        return None
    try:
        # Deliverability needs DNS; an import must not depend on the network.
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        add("secretary_email", f"is not a valid email address: {exc}")
        return None
