"""The members' blueprint: its URL shapes and who may reach each page.

The routes live in modules named by the work, each registering on this one blueprint:
register_pages.py (the register: import, export, figures at the freeze date),
standing_pages.py (the committee's override for someone the register does not show),
ballot_pages.py (set up a members' ballot, its roll, links sent and bounced),
link_pages.py (for members: send my link again, check I can vote),
voting_pages.py (a member's link: the paper, the vote, the receipt),
results_pages.py (turnout while open; after the close the result, receipts and ballots).
"""

from __future__ import annotations

from flask import Blueprint

from confapp.models import Role

bp = Blueprint("members", __name__)

C = "/conferences/<int:conference_id>"
REGISTER = f"{C}/members"
B = f"{C}/member-ballots/<int:member_ballot_id>"
COMMITTEE = (Role.ADMIN,)  # a scrutineer reads these too (confapp.auth.access)


def load_routes() -> None:
    """Import the modules that put their routes on bp (called once by create_app)."""
    from confapp.members import (  # noqa: F401
        ballot_pages,
        link_pages,
        register_pages,
        results_pages,
        standing_pages,
        voting_pages,
    )
