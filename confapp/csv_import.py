"""What the CSV imports share: reading a spreadsheet's file and reporting what is wrong with it.

An import is all or nothing: every problem in the file is collected, located by physical
line and column, and the file is refused with all of them, so the committee can fix the
spreadsheet in one go instead of one error per upload. This module reads the file, its
header and its records; each import checks its own rows with the cell helpers below.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from confapp.inputs import UNSTORABLE
from confapp.text import plural

_TRUE = frozenset({"yes", "true", "1", "y"})
_FALSE = frozenset({"no", "false", "0", "n"})
_SHOWN_CHARS = 40  # how much of a bad value to quote back in a message

_Read = TypeVar("_Read")

# Records a problem for the current row: (column, message).
AddProblem = Callable[[str | None, str], None]


@dataclass(frozen=True)
class Problem:
    """One reason the file was refused, located by physical line and column."""

    line: int | None  # 1-based physical line (header is line 1); None for the whole file
    column: str | None
    message: str
    # The group the line is about, as the file names it: a committee fixing a spreadsheet of
    # hundreds of rows finds "Leeds" faster than "line 212".
    group: str | None = None

    def __str__(self) -> str:
        """Say where the problem is (line, group, column), then what it is."""
        if self.line is None:
            return f"file: {self.message}"
        where = f"line {self.line}"
        if self.group:
            where += f" ({_shortened(self.group)})"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ImportRejected(Exception):
    """The file was refused; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        # Pass the list itself to Exception so args round-trip through pickle.
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        """List every problem, one per line."""
        return "\n".join(str(problem) for problem in self.problems)


def capped(problems: list[Problem], limit: int) -> list[Problem]:
    """The first `limit` problems, then one saying how many more there were."""
    # A wholly wrong file can produce thousands of problems; the first few
    # hundred are enough to see what is wrong, and the count says how much more.
    if len(problems) <= limit:
        return problems
    extra = plural(len(problems) - limit, "more problem", "more problems")
    return [*problems[:limit], Problem(None, None, f"... and {extra}")]


def decode(data: bytes, problems: list[Problem]) -> str | None:
    """The file as text without Excel's byte order mark; None (and a problem) if not UTF-8."""
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
    bad = UNSTORABLE.search(text)
    if bad:
        # A NUL byte or other control character would fail in the database, or print as
        # nothing on a badge: the file is refused with where it is.
        line = text.count("\n", 0, bad.start()) + 1
        problems.append(
            Problem(
                line,
                None,
                f"holds the control character U+{ord(bad.group()):04X}, which cannot be stored; "
                "remove it (it is often left by a copy from another program)",
            )
        )
        return None
    # Excel's "CSV UTF-8" starts with a byte order mark; it is not part of the header.
    return text.removeprefix("\ufeff")


@dataclass(frozen=True)
class Record:
    """One CSV record and the physical lines it spans."""

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


def records(text: str, *, quoted_example: str) -> Iterator[Record]:
    """The records of a CSV text; `quoted_example` shows how to quote in the stray-quote hint."""
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
            yield Record(start, lines.count, None, _explain_csv_error(exc, quoted_example))
            continue
        yield Record(start, lines.count, fields, None)


def _explain_csv_error(exc: csv.Error, quoted_example: str) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted value starting on this line is never closed (missing closing '\"')"
    if "expected after" in text:
        return (
            "a '\"' in the middle of a value; put the whole value in double quotes and "
            f"double any quote inside it, e.g. {quoted_example}"
        )
    if "field larger than field limit" in text:
        return "a value is far too long; a quoted value may not be closed"
    return f"the line cannot be read as CSV ({text})"


def _is_blank(fields: list[str]) -> bool:
    """Whether a record holds nothing but whitespace."""
    # Spreadsheets export empty rows as ",,,,", which is as blank as an empty line.
    return all(not field.strip() for field in fields)


# Spreadsheets in many locales (where ',' is the decimal comma) save "CSV" with ';' between
# columns: say how to get commas, in the menus' own words.
SAVE_AS_CSV = (
    "Save the sheet again with commas between the columns: in LibreOffice Calc, File ▸ Save As, "
    'file type "Text CSV (.csv)", tick "Edit filter settings", then choose "," as the '
    'field delimiter; in Excel, File ▸ Save As, "CSV UTF-8 (Comma delimited)" (if Excel '
    "still writes ';', your computer's list separator is ';': use LibreOffice, or Google "
    'Sheets\' File ▸ Download ▸ "Comma-separated values (.csv)").'
)


def _wrong_delimiter(header: list[str]) -> str | None:
    if len(header) != 1:
        return None
    semicolons, tabs = header[0].count(";"), header[0].count("\t")
    if semicolons == 0 and tabs == 0:
        return None
    return "';'" if semicolons >= tabs else "tabs"


@dataclass(frozen=True)
class Layout:
    """Where the header puts the columns an import reads."""

    width: int  # fields every row must have
    index: dict[str, int]  # column read -> position of its first occurrence
    unnamed: tuple[int, ...]  # positions with an empty header cell
    group_column: str | None = None  # the column naming the group a row is about

    def group(self, fields: list[str]) -> str | None:
        """The group a record names (its problems name it too); None if it names none."""
        position = self.index.get(self.group_column or "")
        if position is None or position >= len(fields):
            return None
        return normalise(fields[position]) or None


def read_header(
    records: Iterator[Record],
    problems: list[Problem],
    *,
    columns: tuple[str, ...],
    required: frozenset[str],
    ignored: frozenset[str] = frozenset(),
    group_column: str | None = None,
) -> Layout | None:
    """Read the first non-blank record as the header; None when no row can be checked.

    `columns` are the columns read, `required` those that must be present, and `ignored`
    columns that are allowed but read past (any other name is a problem). A row's problems
    name the group in `group_column`.
    """
    header = next((r for r in records if r.fields is None or not _is_blank(r.fields)), None)
    if header is None:  # only commas and blank lines
        problems.append(Problem(None, None, "the file is empty"))
        return None
    if header.fields is None:
        # Without a readable header no row can be checked meaningfully.
        problems.append(Problem(header.start, None, f"the header cannot be read: {header.error}"))
        return None
    delimiter = _wrong_delimiter(header.fields)
    if delimiter is not None:
        message = f"columns are separated by {delimiter}, expected ','. {SAVE_AS_CSV}"
        problems.append(Problem(None, None, message))
        return None

    line = header.start
    names = [cell.strip() for cell in header.fields]
    if not any(name.lower() in columns for name in names):
        # Likely a file with no header row at all; one clear problem beats a flood.
        problems.append(
            Problem(
                line,
                None,
                "this is not a header row; the first line must name the columns: "
                + ", ".join(columns),
            )
        )
        return None

    index: dict[str, int] = {}
    seen: dict[str, int] = {}
    unnamed: list[int] = []
    for position, name in enumerate(names):
        key = name.lower()
        if not key:
            # Trailing empty header cells are common from spreadsheets; tolerated
            # as long as the rows leave them empty too.
            unnamed.append(position)
        elif key not in columns and key not in ignored:
            problems.append(
                Problem(
                    line,
                    name,
                    f"unknown column '{name}'; expected columns are: " + ", ".join(columns),
                )
            )
        elif key in seen:
            problems.append(
                Problem(
                    line,
                    key,
                    f"column '{key}' appears more than once "
                    f"(columns {seen[key] + 1} and {position + 1})",
                )
            )
        else:
            seen[key] = position
            if key in columns:
                index[key] = position
    for column in columns:
        if column in required and column not in index:
            problems.append(Problem(line, column, f"required column '{column}' is missing"))
    return Layout(width=len(names), index=index, unnamed=tuple(unnamed), group_column=group_column)


@dataclass
class Row:
    """A data record being checked: its line, its values by column, and its problems."""

    line: int
    fields: list[str]
    layout: Layout
    problems: list[Problem]  # the whole file's; this row's are appended
    bad: set[str] = field(default_factory=set)  # columns with a problem on this row
    failed: bool = False  # whether any problem was found on this row, in a column or not

    def add(self, column: str | None, message: str) -> None:
        """Report a problem on this row, in `column` (None: the row as a whole)."""
        self.problems.append(Problem(self.line, column, message, self.layout.group(self.fields)))
        self.failed = True
        if column:
            self.bad.add(column)

    def cell(self, column: str) -> str | None:
        """The value in `column` as written; None when the file has no such column."""
        position = self.layout.index.get(column)
        return None if position is None else self.fields[position]

    def check_unnamed(self) -> None:
        """Report each value under a header cell that names no column."""
        for position in self.layout.unnamed:
            if self.fields[position].strip():
                self.add(
                    None,
                    f"value {show(self.fields[position].strip())} in column {position + 1}, "
                    "which has no name in the header",
                )


def read_rows(
    records: Iterator[Record],
    layout: Layout,
    problems: list[Problem],
    read_row: Callable[[Row], _Read | None],
    *,
    nothing: str,
) -> list[_Read]:
    """Each data record as `read_row` reads it; `nothing` is the problem when there are none.

    Blank records are skipped; one the csv module cannot read, or with a value count other
    than the header's, is a problem and is not passed to `read_row`.
    """
    rows: list[_Read] = []
    data_records = 0
    for record in records:
        if record.fields is None:
            data_records += 1
            problems.append(Problem(record.start, None, record.error or "cannot be read"))
            continue
        if _is_blank(record.fields):
            continue
        data_records += 1
        if len(record.fields) != layout.width:
            # The group as read where its column would be: a comma in an earlier value may
            # have moved it, but it still points at the line meant.
            group = layout.group(record.fields)
            problems.append(Problem(record.start, None, _wrong_width(record, layout.width), group))
            continue
        row = read_row(Row(record.start, record.fields, layout, problems))
        if row is not None:
            rows.append(row)
    if data_records == 0:
        problems.append(Problem(None, None, nothing))
    return rows


def _wrong_width(record: Record, width: int) -> str:
    assert record.fields is not None
    count = len(record.fields)
    message = f"has {count} values but the header has {width} columns"
    if count > width:
        message += "; a value containing a comma must be in double quotes"
    if record.end > record.start:
        message += f" (this row runs to line {record.end}; is a closing '\"' missing?)"
    return message


def normalise(text: str) -> str:
    """The text with runs of whitespace made single spaces, and trimmed."""
    return " ".join(text.split())


def show(value: str) -> str:
    """A value quoted for a message, shortened if long."""
    return f"'{_shortened(value)}'"


def _shortened(value: str) -> str:
    return value if len(value) <= _SHOWN_CHARS else value[: _SHOWN_CHARS - 1] + "…"


def yes_no(value: str) -> bool | None:
    """True for yes/true/1/y, False for no/false/0/n (any case); None for anything else."""
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None
