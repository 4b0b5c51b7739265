"""The stewards' pages: the scan page, presence, the projector; the committee's door tools."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user

from confapp.auth.access import COMMITTEE, of_conference_or_404, requires
from confapp.checkin import presence, services
from confapp.checkin.forms import ActionForm, DoorForm, TokenForm
from confapp.checkin.scans import WORDS
from confapp.checkin.shown import scanned_by
from confapp.confirm import ask_first
from confapp.downloads import download
from confapp.extensions import db
from confapp.models import Delegate, DeviceToken, Door, Presence, Role, Scan, ScanStatus

bp = Blueprint("checkin", __name__)

AT_THE_DOOR = (Role.STEWARD, Role.ADMIN)
C = "/conferences/<int:conference_id>"
A = COMMITTEE
PER_PAGE = 50  # people inside, or scans, per page: a phone scrolls through 50, not 500


@bp.context_processor
def scan_words():
    """The words the scan page shows, and who scanned in words, for the tables of scans."""
    return {"scan_words": WORDS, "scanned_by": scanned_by}


@bp.route(f"{C}/door")
@requires(*AT_THE_DOOR)
def door(conference_id: int):
    """The steward's scan page: camera, keyboard-wedge scanner, or a name."""
    doors = services.doors(g.conference)
    return render_template("checkin/door.html", doors=doors)


@bp.route("/door-sw.js")
def door_service_worker():
    """The scan page's service worker, served from the root so it may keep the door pages."""
    response = send_from_directory(current_app.static_folder, "js/door-sw.js")
    response.headers["Cache-Control"] = "no-cache"  # a new version reaches phones at once
    return response


@bp.route(f"{C}/presence")
@requires(*AT_THE_DOOR)
def presence_page(conference_id: int):
    """Who is inside: per door, per group and section, quorum, and a list of people."""
    conference = g.conference
    now = presence.summary(conference, with_groups=True)
    query = (
        db.select(Presence)
        .join(Presence.delegate)
        .where(Presence.conference_id == conference.id, Presence.is_inside.is_(True))
        .options(sa.orm.contains_eager(Presence.delegate).joinedload(Delegate.group))
        .options(sa.orm.joinedload(Presence.door))
        .order_by(Delegate.name)
    )
    door_id = request.args.get("door", type=int)
    if door_id:
        query = query.where(Presence.door_id == door_id)
    q = request.args.get("q", "").strip()
    if q:
        query = query.where(Delegate.name.ilike(f"%{q}%"))
    inside = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template(
        "checkin/presence.html",
        now=now,
        inside=inside,
        doors=services.doors(conference),
        door_id=door_id,
        q=q,
        close_form=ActionForm(),
    )


@bp.route(f"{C}/presence/people/<int:delegate_id>")
@requires(*AT_THE_DOOR)
def person(conference_id: int, delegate_id: int):
    """One person's entries and exits, with undo for the committee."""
    delegate = of_conference_or_404(Delegate, delegate_id, conference_id)
    scans = (
        db.session.execute(
            db.select(Scan)
            .where(Scan.delegate_id == delegate.id)
            .options(sa.orm.joinedload(Scan.door), sa.orm.joinedload(Scan.user))
            # Newest decision first: ids are drawn under the presence row's lock (scans.py),
            # so they keep the order the doors decided in; times are read before the lock.
            .order_by(Scan.id.desc())
        )
        .scalars()
        .all()
    )
    return render_template(
        "checkin/person.html",
        delegate=delegate,
        now=db.session.get(Presence, delegate.id),
        scans=scans,
        may_undo=Role.ADMIN in current_user.roles_in(conference_id),
        undo_form=ActionForm(),
    )


# ---- the committee's tools ---------------------------------------------------------------------


def _doors_page(token_form: TokenForm | None = None, new_token: str | None = None, status=200):
    conference = g.conference
    doors = services.doors(conference)
    token_form = token_form or TokenForm()
    token_form.door.choices = [(d.id, d.name) for d in doors]
    return render_template(
        "checkin/doors.html",
        doors=doors,
        tokens=services.device_tokens(conference),
        door_form=DoorForm(),
        token_form=token_form,
        action_form=ActionForm(),
        new_token=new_token,
    ), status


@bp.route(f"{A}/doors")
@requires(Role.ADMIN)
def doors(conference_id: int):
    """Doors and scanner tokens."""
    return _doors_page()


@bp.route(f"{A}/doors", methods=["POST"])
@requires(Role.ADMIN)
def add_door(conference_id: int):
    """Add a door."""
    form = DoorForm()
    if form.validate_on_submit():
        try:
            services.add_door(g.conference, form.name.data, current_user)
            flash(f"Door added: {form.name.data.strip()}.", "success")
        except services.DoorError as problem:
            flash(str(problem), "error")
    else:
        flash("A door needs a name of 1 to 100 characters.", "error")
    return redirect(url_for("checkin.doors", conference_id=conference_id))


@bp.route(f"{A}/doors/tokens", methods=["POST"])
@requires(Role.ADMIN)
def make_token(conference_id: int):
    """Make a scanner token and show it once, on this page (never in a URL or a cookie)."""
    form = TokenForm()
    form.door.choices = [(d.id, d.name) for d in services.doors(g.conference)]
    if not form.validate_on_submit():
        return _doors_page(form, status=422)
    chosen = db.session.get(Door, form.door.data)
    _, token = services.create_device_token(g.conference, chosen, form.label.data, current_user)
    return _doors_page(new_token=token)


@bp.route(f"{A}/doors/tokens/<int:token_id>/revoke", methods=["POST"])
@requires(Role.ADMIN)
def revoke_token(conference_id: int, token_id: int):
    """Revoke a scanner token, once the committee has said yes."""
    device = of_conference_or_404(DeviceToken, token_id, conference_id)
    back = url_for("checkin.doors", conference_id=conference_id)
    scanner = f"{device.label} at {device.door.name}" if device.label else device.door.name
    question = ask_first(
        f"Revoke the scanner token for {scanner}?",
        "Yes, revoke it",
        back=back,
        detail="A scanner using it is refused from now on; a new token must be made for it.",
    )
    if question is not None:
        return question
    if ActionForm().validate_on_submit():
        try:
            services.revoke_device_token(device, current_user)
        except services.DoorError as problem:
            flash(str(problem), "error")
        else:
            db.session.commit()
            flash(f"The token for {device.door.name} is revoked.", "success")
    return redirect(back)


@bp.route(f"{A}/scans")
@requires(Role.ADMIN)
def scans(conference_id: int):
    """The scans at every door, newest first, a page at a time; flagged or refused ones apart."""
    query = (
        db.select(Scan)
        .where(Scan.conference_id == conference_id)
        .options(
            sa.orm.joinedload(Scan.door),
            sa.orm.joinedload(Scan.delegate).joinedload(Delegate.group),
            sa.orm.joinedload(Scan.user),
            sa.orm.joinedload(Scan.device_token).joinedload(DeviceToken.door),
        )
        .order_by(Scan.id.desc())  # the order the doors decided in (see person())
    )
    show = request.args.get("show", "")
    if show == "flagged":
        query = query.where(Scan.is_flagged.is_(True))
    elif show == "refused":
        query = query.where(Scan.status == ScanStatus.REFUSED.value)
    else:
        show = ""
    return render_template(
        "checkin/scans.html",
        scans=db.paginate(query, per_page=PER_PAGE, error_out=False),
        show=show,
        undo_form=ActionForm(),
    )


@bp.route(f"{A}/scans/<int:scan_id>/undo", methods=["POST"])
@requires(Role.ADMIN)
def undo_scan(conference_id: int, scan_id: int):
    """Undo a mistaken scan; the person's presence follows the scans that remain."""
    scan = of_conference_or_404(Scan, scan_id, conference_id)
    if ActionForm().validate_on_submit():
        try:
            services.undo_scan(scan, current_user)
        except services.DoorError as problem:
            db.session.rollback()
            flash(str(problem), "error")
        else:
            db.session.commit()
            flash("Scan undone.", "success")
    if scan.delegate_id is None:
        return redirect(url_for("checkin.scans", conference_id=conference_id))
    return redirect(
        url_for("checkin.person", conference_id=conference_id, delegate_id=scan.delegate_id)
    )


@bp.route(f"{A}/presence/close", methods=["POST"])
@requires(Role.ADMIN)
def close_day(conference_id: int):
    """Check out everyone inside at the end of the day, once the committee has said yes."""
    back = url_for("checkin.presence_page", conference_id=conference_id)
    inside = presence.summary(g.conference).inside_now
    question = ask_first(
        f"Close the day: check out all {inside:,} inside?",
        "Yes, close the day",
        back=back,
        detail="Each gets an exit on their record; badges are scanned in again the next morning.",
    )
    if question is not None:
        return question
    if ActionForm().validate_on_submit():
        count = services.close_day(g.conference, current_user)
        db.session.commit()
        flash(f"Day closed: {count:,} checked out.", "success")
    return redirect(back)


@bp.route(f"{A}/attendance.csv")
@requires(Role.ADMIN)
def attendance_csv(conference_id: int):
    """Attendance as CSV: each person who came through a door."""
    return download(
        services.attendance_csv(g.conference), f"{g.conference.slug}-attendance.csv", "text/csv"
    )
