"""CSV cells that a spreadsheet opens safely: no formulas run, times in UTC."""

from __future__ import annotations

from datetime import datetime

# A spreadsheet runs a cell starting with one of these as a formula (OWASP's list: the four
# the formula bar knows, plus tab and carriage return, which some programs strip first).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula (e.g. =HYPERLINK(...) in a name)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def utc_cell(value: datetime | None) -> str:
    """A UTC time as ISO 8601 with Z, to the second; empty for none."""
    return "" if value is None else value.replace(microsecond=0).isoformat() + "Z"
