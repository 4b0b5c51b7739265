"""How the app writes counts and times: one pluraliser, one ISO 8601 UTC formatter.

Templates reach both as filters (`plural`, `utc_iso`, registered in confapp.templating).
"""

from __future__ import annotations

from datetime import datetime


def thousands(value) -> str:
    """1240 -> '1,240'."""
    return f"{value:,}" if isinstance(value, int) else str(value)


def plural(count: int, singular: str, many: str | None = None) -> str:
    """'1 delegate', '1,240 delegates' ('entries' where a noun takes its own plural)."""
    word = singular if count == 1 else (many or singular + "s")
    return f"{thousands(count)} {word}"


def utc_iso(moment: datetime | None) -> str | None:
    """A stored UTC time as ISO 8601 to the second with Z ('2027-03-13T08:59:30Z'); None if none."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"
