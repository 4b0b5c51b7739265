"""CSV files that a spreadsheet opens safely: no formulas run, times in UTC."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from datetime import datetime

from confapp.text import utc_iso

# A spreadsheet runs a cell starting with one of these as a formula (OWASP's list: the four
# the formula bar knows, plus tab and carriage return, which some programs strip first).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets also fold look-alikes to these (full-width ＝ ＋ － ＠, small ﹦ ﹢ ﹣ ﹫, the
# minus sign −): NFKC folds all but the minus sign, which is named here.
_LOOKALIKES = {"\u2212": "-"}


def starts_formula(value: str) -> bool:
    """Whether a spreadsheet could take `value` for a formula, look-alike characters included."""
    first = value[:1]
    if not first:
        return False
    folded = _LOOKALIKES.get(first) or unicodedata.normalize("NFKC", first)[:1]
    return first in FORMULA_START or folded in FORMULA_START


def safe_cell(value: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula (e.g. =HYPERLINK(...) in a name)."""
    return "'" + value if starts_formula(value) else value


def utc_cell(value: datetime | None) -> str:
    """A UTC time as ISO 8601 with Z, to the second; empty for none."""
    return utc_iso(value) or ""


def csv_text(rows: Iterable[Iterable], *, byte_order_mark: bool = False) -> str:
    """CSV text of `rows` with every text cell defused, so no writer can forget one."""
    out = io.StringIO()
    if byte_order_mark:
        out.write("\ufeff")  # Excel then reads UTF-8 (Ynys Môn, not Ynys MÃ´n)
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) if isinstance(cell, str) else cell for cell in row])
    return out.getvalue()
