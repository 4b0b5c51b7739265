"""The elections' blueprint: its URL shapes and who may reach each page.

The routes live in modules named by the work (setup.py: set up and nominate; floor.py:
papers entered and reconciled, the count, the declaration; published.py: the count sheet,
BLT and categories anyone can recount from), each registering on this one blueprint.
"""

from __future__ import annotations

from flask import Blueprint

from confapp.models import Election, Role

bp = Blueprint("elections", __name__)

C = "/conferences/<int:conference_id>"
E = f"{C}/elections/<int:election_id>"
COMMITTEE = (Role.ADMIN,)
FLOOR = (Role.TELLER, Role.ADMIN)
READERS = (Role.TELLER, Role.ADMIN, Role.STEWARD)


@bp.context_processor
def election_words():
    """Templates compare with the Election model's enums, as elsewhere."""
    return {"Election": Election}


def load_routes() -> None:
    """Import the modules that put their routes on bp (called once by create_app)."""
    from confapp.elections import floor, published, setup  # noqa: F401
