"""Permission-table rows for the members' routes of this area (see test_permissions)."""

from __future__ import annotations


def rows() -> dict[tuple[str, str], dict]:
    """(method, rule) -> the expected answer for each role, as in tests/test_permissions.TABLE."""
    # Imported here: test_permissions imports this module while it is still being loaded.
    from tests.test_permissions import ADMIN_PAGE, LOGIN, PUBLIC, Redirect, row

    c = "/conferences/<int:conference_id>"
    b = f"{c}/member-ballots/<int:member_ballot_id>"
    form_errors = row(LOGIN, 403, 403, 403, 403, 422, 403, 422)  # an empty form: its errors
    asks_first = row(LOGIN, 403, 403, 403, 403, 200, 403, 200)  # not confirmed: the question
    to_ballot, to_mail = Redirect(b), Redirect(f"{b}/mail")
    anyone_form = row(422, 422, 422, 422, 422, 422, 422, 422)  # no login: an empty form's errors
    return {
        # Setting up (confapp/members/ballot_pages.py): the committee's; a scrutineer reads.
        # The world's ballot is a draft with one question, its freeze date today.
        ("GET", f"{c}/member-ballots"): ADMIN_PAGE,
        ("GET", f"{c}/member-ballots/new"): ADMIN_PAGE,
        ("POST", f"{c}/member-ballots/new"): form_errors,
        ("GET", b): ADMIN_PAGE,
        ("GET", f"{b}/edit"): ADMIN_PAGE,
        ("POST", f"{b}/edit"): form_errors,
        ("POST", f"{b}/questions"): form_errors,
        ("POST", f"{b}/questions/<int:question_id>/delete"): asks_first,
        ("POST", f"{b}/roll"): asks_first,
        # A draft has no roll: sending and retrying are refused with a message.
        ("POST", f"{b}/send"): row(LOGIN, 403, 403, 403, 403, to_ballot, 403, to_ballot),
        ("GET", f"{b}/mail"): ADMIN_PAGE,
        ("POST", f"{b}/mail/retry"): row(LOGIN, 403, 403, 403, 403, to_mail, 403, to_mail),
        ("POST", f"{b}/mail/bounced"): form_errors,
        # The chair refers the world's declared motion (not confirmed: the question).
        ("POST", f"{c}/ballots/<int:ballot_id>/refer"): asks_first,
        # For members (confapp/members/link_pages.py): no login; rate-limited.
        ("GET", "/members/link"): PUBLIC,
        ("POST", "/members/link"): anyone_form,
        ("GET", "/members/check"): PUBLIC,
        ("POST", "/members/check"): anyone_form,
    }
