"""The home page: each user's conferences and what they can do in each."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from confapp import database
from confapp.extensions import db
from confapp.models import Conference, Group, Role
from confapp.registration import progress

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    """The user's conferences and tasks; for a secretary, where each group stands."""
    conferences = db.session.execute(db.select(Conference).order_by(Conference.starts_on)).scalars()
    mine = []
    for conference in conferences:
        roles = current_user.roles_in(conference.id)
        if roles:
            group_ids = current_user.secretary_group_ids(conference.id)
            groups = (
                db.session.execute(
                    db.select(Group).where(Group.id.in_(group_ids)).order_by(Group.name)
                ).scalars()
                if group_ids
                else []
            )
            mine.append((conference, sorted(roles), [progress.of_group(g) for g in groups]))
    return render_template("home.html", conferences=mine, Role=Role, Stage=progress.Stage)


@bp.route("/healthz")
def healthz():
    """A cheap answer for the proxy's health check."""
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    """Readiness: 200 when the database answers, 503 when it does not (not for every probe)."""
    if database.ready():
        return {"status": "ready"}
    return {"status": "not ready", "reason": "the database is not answering"}, 503
