"""Permission-table rows for the members' routes of this area (see test_permissions).

The world's voting code is held by no voter, and its members' ballot is a draft: the voting
link answers 404 to everyone (the same page whether or not any ballot exists), the published
pages 404 to everyone until the result is published, and only the committee reads turnout.
A publish before the close is refused with a message on the turnout page.
"""

from __future__ import annotations

MB = "/conferences/<int:conference_id>/member-ballots/<int:member_ballot_id>"


def rows() -> dict[tuple[str, str], dict]:
    """(method, rule) -> the expected answer for each role, as in tests/test_permissions.TABLE."""
    from tests.test_permissions import ADMIN_PAGE, LOGIN, Redirect, row

    nobody = row(404, 404, 404, 404, 404, 404, 404, 404)
    to_turnout = Redirect(f"{MB}/turnout")
    return {
        ("GET", "/vote/<code>"): nobody,
        ("POST", "/vote/<code>"): nobody,
        ("GET", f"{MB}/turnout"): ADMIN_PAGE,
        ("POST", f"{MB}/publish"): row(LOGIN, 403, 403, 403, 403, to_turnout, 403, to_turnout),
        ("GET", f"{MB}/result"): nobody,
        ("GET", f"{MB}/receipts"): nobody,
        ("GET", f"{MB}/receipts.csv"): nobody,
        ("GET", f"{MB}/questions/<int:question_id>/ballots.blt"): nobody,
    }
