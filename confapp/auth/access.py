"""The one role check: which roles may open a page of a conference."""

from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required

from confapp.extensions import db
from confapp.models import Conference, Role

SITE_ADMIN = "site_admin"


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
            if not held & {Role(r) for r in allowed}:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


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
