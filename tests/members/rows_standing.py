"""Permission-table rows for the members' routes of this area (see test_permissions)."""

from __future__ import annotations


def rows() -> dict[tuple[str, str], dict]:
    """(method, rule) -> the expected answer for each role, as in tests/test_permissions.TABLE."""
    return {}
