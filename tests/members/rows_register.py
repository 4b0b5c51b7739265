"""Permission-table rows for the members' routes of this area (see test_permissions)."""

from __future__ import annotations


def rows() -> dict[tuple[str, str], dict]:
    """(method, rule) -> the expected answer for each role, as in tests/test_permissions.TABLE."""
    # Imported here: test_permissions imports this module while it is still being loaded.
    from tests.test_permissions import ADMIN_PAGE, LOGIN, Redirect, row

    register = "/conferences/<int:conference_id>/members"
    to_figures = Redirect(f"{register}/figures")
    return {
        # The register (confapp/members/register_pages.py): the committee's; a scrutineer reads.
        ("GET", register): ADMIN_PAGE,
        ("GET", f"{register}/import"): ADMIN_PAGE,
        ("POST", f"{register}/import"): ADMIN_PAGE,  # no file: the form's errors
        ("GET", f"{register}/sample.csv"): ADMIN_PAGE,
        ("GET", f"{register}/export.csv"): ADMIN_PAGE,
        ("GET", f"{register}/figures"): ADMIN_PAGE,
        # No source chosen: refused with a message, back to the figures.
        ("POST", f"{register}/figures"): row(
            LOGIN, 403, 403, 403, 403, to_figures, 403, to_figures
        ),
    }
