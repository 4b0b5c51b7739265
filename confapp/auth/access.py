"""The one role check, and the lookups that go with it: a row in reach of the user, or 404.

`requires` decides who may open a page of a conference. The lookups load what the URL names
and answer 404, not 403, for a row outside the user's reach (another conference's, another
group's), so that an id of someone else's reads exactly like an id nobody has.
"""

from __future__ import annotations

from functools import wraps
from typing import TypeVar

from flask import abort, g, request
from flask_login import current_user, login_required

from confapp.extensions import db
from confapp.models import Conference, Delegate, Group, Role

_Row = TypeVar("_Row")

SITE_ADMIN = "site_admin"
# Where the committee's pages of a conference live, whichever area serves them (the admin
# blueprint is registered under /admin; badges and the door's tools name it with this).
COMMITTEE = "/admin/conferences/<int:conference_id>"


def requires(*allowed: Role | str):
    """Let through users holding one of `allowed` in the URL's conference (or site admins).

    Pages of one conference take `conference_id` in their URL; the conference is loaded
    into `g.conference` (404 when it does not exist). `SITE_ADMIN` alone means a page for
    the installation's administrators only.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.is_site_admin:
                _load_conference(kwargs)
                return view(*args, **kwargs)
            if allowed == (SITE_ADMIN,):
                abort(403)
            conference = _load_conference(kwargs)
            if conference is None:
                # A page across conferences: any matching role anywhere will do.
                held = {Role(grant.role) for grant in current_user.grants}
            else:
                held = current_user.roles_in(conference.id)
            if not held & {Role(r) for r in allowed} and not reads_as_committee(held, allowed):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def reads_as_committee(held: set[Role], allowed=(Role.ADMIN,)) -> bool:
    """A scrutineer reads what the committee reads (GET and HEAD only), and changes nothing."""
    return Role.SCRUTINEER in held and Role.ADMIN in allowed and request.method in ("GET", "HEAD")


def _load_conference(kwargs) -> Conference | None:
    conference_id = kwargs.get("conference_id")
    if conference_id is None:
        g.conference = None
        return None
    conference = db.session.get(Conference, conference_id)
    if conference is None:
        abort(404)
    g.conference = conference
    return conference


def of_conference_or_404(model: type[_Row], row_id: int, conference_id: int) -> _Row:
    """The row (a group, registration, substitution ...) if it is the conference's; else 404."""
    row = db.session.get(model, row_id)
    if row is None or row.conference_id != conference_id:
        abort(404)
    return row


def group_or_404(group_id: int) -> Group:
    """The group if the user is its secretary or on the committee; else 404, so ids do not leak."""
    group = db.session.get(Group, group_id)
    if group is None:
        abort(404)
    held = current_user.roles_in(group.conference_id)
    allowed = (
        group.id in current_user.secretary_group_ids(group.conference_id)
        or Role.ADMIN in held
        or reads_as_committee(held)
    )
    if not allowed:
        abort(404)
    g.conference = group.conference
    return group


def delegate_or_404(group: Group, delegate_id: int) -> Delegate:
    """A registration of this group, or 404."""
    delegate = db.session.get(Delegate, delegate_id)
    if delegate is None or delegate.group_id != group.id:
        abort(404)
    return delegate
