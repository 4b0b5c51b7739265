"""Sample files for the committee's imports: a header and two example rows: they import as they are.

Each sample is written for the conference it is downloaded from (its sections, one of its
groups), so that uploading it unchanged works: the committee sees a file that is right before
filling in its own rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g

from confapp.admin import bp
from confapp.admin.delegate_csv import COLUMNS as DELEGATE_COLUMNS
from confapp.admin.group_csv import COLUMNS as GROUP_COLUMNS
from confapp.auth.access import requires
from confapp.downloads import download
from confapp.extensions import db
from confapp.models import Conference, Delegate, Group, Role
from confapp.spreadsheet import csv_text

# Names no real group or person has, so that a sample uploaded as it is adds rows anyone can
# see are examples, and changes none of the conference's own.
EXAMPLE_GROUPS = ("Example Group North", "Example Group South")


def groups_sample(conference: Conference) -> str:
    """A groups CSV: the header, and two example groups in the conference's sections."""
    sections = [s.name for s in conference.sections] or ["Local groups"]
    first, second = sections[0], sections[min(1, len(sections) - 1)]
    rows = [
        [EXAMPLE_GROUPS[0], "North", first, 820, 410, 60, "yes", ""],
        [EXAMPLE_GROUPS[1], "South", second, 450, 200, 35, "no", ""],
    ]
    return csv_text([GROUP_COLUMNS, *rows], byte_order_mark=True)


def delegates_sample(conference: Conference) -> str:
    """A delegates CSV: the header, a delegate and a visitor for one of the conference's groups."""
    group = _sample_group(conference)
    rows = [
        [group, "delegate", "Ann Example", "ann.example@example.org", "07700 900123", "base",
         "yes", "no", "no", "2027-01-20", "Branch AGM", "submitted"],
        [group, "visitor", "Sam Example", "sam.example@example.org", "", "",
         "", "", "", "", "", "submitted"],
    ]  # fmt: skip
    return csv_text([DELEGATE_COLUMNS, *rows], byte_order_mark=True)


def _sample_group(conference: Conference) -> str:
    """A group in good standing with the fewest registrations: the sample's rows fit in it."""
    registered = (
        sa.select(sa.func.count(Delegate.id))
        .where(Delegate.group_id == Group.id)
        .correlate(Group)
        .scalar_subquery()
    )
    name = db.session.execute(
        sa.select(Group.name)
        .where(Group.conference_id == conference.id, Group.in_good_standing.is_(True))
        .order_by(registered, Group.name)
        .limit(1)
    ).scalar()
    return name or "Your group's name, as on the group list"


@bp.route("/conferences/<int:conference_id>/groups/sample.csv")
@requires(Role.ADMIN)
def sample_groups(conference_id: int):
    """A small groups file to start from: it imports as it is."""
    name = f"{g.conference.slug}-groups-sample.csv"
    return download(groups_sample(g.conference), name, "text/csv; charset=utf-8")


@bp.route("/conferences/<int:conference_id>/delegates/sample.csv")
@requires(Role.ADMIN)
def sample_delegates(conference_id: int):
    """A small delegates file to start from: it imports as it is."""
    name = f"{g.conference.slug}-delegates-sample.csv"
    return download(delegates_sample(g.conference), name, "text/csv; charset=utf-8")
