"""Permission-table rows for the members' routes of this area (see test_permissions)."""

from __future__ import annotations

C = "/conferences/<int:conference_id>"


def rows() -> dict[tuple[str, str], dict]:
    """(method, rule) -> the expected answer for each role, as in tests/test_permissions.TABLE."""
    from tests.test_permissions import LOGIN, Redirect, row  # called while that module loads

    # An empty form gives no reason: refused with a message, back where the committee was.
    to_queue = Redirect("/admin/conferences/<int:conference_id>/queue")
    to_nominations = Redirect(f"{C}/elections/<int:election_id>/nominate")
    override = f"{C}/elections/<int:election_id>/candidates/<int:candidate_id>"
    return {
        ("POST", f"{C}/delegates/<int:delegate_id>/membership-override"): row(
            LOGIN, 403, 403, 403, 403, to_queue, 403, to_queue
        ),
        ("POST", f"{override}/membership-override"): row(
            LOGIN, 403, 403, 403, 403, to_nominations, 403, to_nominations
        ),
    }
