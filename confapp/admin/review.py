"""The committee's review: the queue, approvals, rejections, substitutions, seating alternates."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from confapp import entitlement as ent
from confapp.admin.views import bp
from confapp.auth.access import requires
from confapp.extensions import db
from confapp.models import Delegate, Group, PassType, Role, Status, Substitution
from confapp.registration import rules, services
from confapp.registration.services import RegistrationError
from confapp.security import local_path


def _delegate(conference_id: int, delegate_id: int) -> Delegate:
    delegate = db.session.get(Delegate, delegate_id)
    if delegate is None or delegate.conference_id != conference_id:
        abort(404)
    return delegate


def _group(conference_id: int, group_id: int) -> Group:
    group = db.session.get(Group, group_id)
    if group is None or group.conference_id != conference_id:
        abort(404)
    return group


def _back(default: str):
    """Return to the page the committee acted from (only a path on this site)."""
    return redirect(local_path(request.form.get("next")) or default)


@bp.route("/conferences/<int:conference_id>/queue")
@requires(Role.ADMIN)
def queue(conference_id: int):
    """Groups with registrations or substitutions waiting, with all a decision needs."""
    conference = g.conference
    waiting = (
        db.session.execute(
            sa.select(Delegate)
            .where(Delegate.conference_id == conference_id, Delegate.status == Status.SUBMITTED)
            .options(sa.orm.joinedload(Delegate.group).joinedload(Group.section))
        )
        .scalars()
        .all()
    )
    substitutions = (
        db.session.execute(
            sa.select(Substitution)
            .where(Substitution.conference_id == conference_id, Substitution.status == "pending")
            .options(
                sa.orm.joinedload(Substitution.outgoing),
                sa.orm.joinedload(Substitution.incoming),
                sa.orm.joinedload(Substitution.group),
            )
            .order_by(Substitution.requested_at)
        )
        .scalars()
        .all()
    )
    pending_incoming = {s.incoming_id for s in substitutions}
    group_ids = {d.group_id for d in waiting} | {s.group_id for s in substitutions}
    everyone = defaultdict(list)
    if group_ids:
        for d in db.session.execute(
            sa.select(Delegate)
            .where(Delegate.group_id.in_(group_ids))
            .order_by(Delegate.pass_type, Delegate.alternate_rank, Delegate.name)
        ).scalars():
            everyone[d.group_id].append(d)
    rule, card_rule = conference.rule, conference.card_rule
    cards = []
    for group in sorted(
        {d.group for d in waiting} | {s.group for s in substitutions}, key=lambda x: x.name.lower()
    ):
        entitled = ent.entitle(rule, card_rule, group.figures)
        people = everyone[group.id]
        holding = [
            services.as_person(d)
            for d in people
            if d.is_active and d.pass_type == PassType.DELEGATE and d.id not in pending_incoming
        ]
        cards.append(
            {
                "group": group,
                "sentence": rules.entitlement_sentence(group.members, entitled),
                "people": people,
                "problems": rules.delegation_problems(rule, holding),
                "seats": rules.seats_available(entitled),
                "used": rules.seat_counts(holding),
                "waiting": sum(
                    1
                    for d in people
                    if d.status == Status.SUBMITTED and d.id not in pending_incoming
                ),
                "substitutions": [s for s in substitutions if s.group_id == group.id],
            }
        )
    return render_template(
        "admin/queue.html",
        cards=cards,
        facts=rules.facts_asked(rule),
        pending_incoming=pending_incoming,
    )


@bp.route("/conferences/<int:conference_id>/people/<int:delegate_id>/approve", methods=["POST"])
@requires(Role.ADMIN)
def approve(conference_id: int, delegate_id: int):
    """Approve one submitted registration."""
    delegate = _delegate(conference_id, delegate_id)
    try:
        services.approve(delegate, current_user)
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"Approved {delegate.name} ({delegate.group.name}).", "success")
    return _back(url_for("admin.queue", conference_id=conference_id))


@bp.route("/conferences/<int:conference_id>/people/<int:delegate_id>/reject", methods=["POST"])
@requires(Role.ADMIN)
def reject(conference_id: int, delegate_id: int):
    """Reject one registration with the reason the secretary will read."""
    delegate = _delegate(conference_id, delegate_id)
    try:
        services.reject(delegate, current_user, request.form.get("reason", ""))
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"Rejected {delegate.name} ({delegate.group.name}).", "success")
    return _back(url_for("admin.queue", conference_id=conference_id))


@bp.route("/conferences/<int:conference_id>/groups/<int:group_id>/approve", methods=["POST"])
@requires(Role.ADMIN)
def approve_delegation(conference_id: int, group_id: int):
    """Approve every submitted registration of a group in one action."""
    group = _group(conference_id, group_id)
    count = services.approve_delegation(group, current_user)
    flash(f"Approved {count} registration(s) of {group.name}.", "success")
    return _back(url_for("admin.queue", conference_id=conference_id))


@bp.route(
    "/conferences/<int:conference_id>/substitutions/<int:substitution_id>/decide",
    methods=["POST"],
)
@requires(Role.ADMIN)
def decide_substitution(conference_id: int, substitution_id: int):
    """Approve or reject a substitution request."""
    substitution = db.session.get(Substitution, substitution_id)
    if substitution is None or substitution.conference_id != conference_id:
        abort(404)
    approve_it = request.form.get("decision") == "approve"
    try:
        services.decide_substitution(
            substitution, current_user, approve=approve_it, reason=request.form.get("reason", "")
        )
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"Substitution {substitution.status}.", "success")
    return _back(url_for("admin.queue", conference_id=conference_id))


@bp.route("/conferences/<int:conference_id>/groups/<int:group_id>/seating", methods=["GET", "POST"])
@requires(Role.ADMIN)
def seating(conference_id: int, group_id: int):
    """On the day: seat a group's approved alternates in place of absent delegates."""
    group = _group(conference_id, group_id)
    people = services.delegation(group)
    delegates = [
        d for d in people if d.pass_type == PassType.DELEGATE and d.status == Status.APPROVED
    ]
    alternates = [
        d for d in people if d.pass_type == PassType.ALTERNATE and d.status == Status.APPROVED
    ]
    if request.method == "POST":
        alternate = next(
            (a for a in alternates if str(a.id) == request.form.get("alternate")), None
        )
        if alternate is None:
            abort(404)
        absent_id = request.form.get("absent", "")
        absent = next((d for d in delegates if str(d.id) == absent_id), None)
        if absent_id and absent is None:
            abort(404)
        try:
            services.seat_alternate(alternate, absent, current_user)
        except RegistrationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            what = f"now sits in for {absent.name}" if absent else "no longer sits in"
            flash(f"{alternate.name} {what}.", "success")
        return redirect(url_for("admin.seating", conference_id=conference_id, group_id=group.id))
    return render_template(
        "admin/seating.html", group=group, delegates=delegates, alternates=alternates
    )


DELEGATES_PAGE_SIZE = 200


@bp.route("/conferences/<int:conference_id>/delegates")
@requires(Role.ADMIN)
def delegates(conference_id: int):
    """Every registration, filtered by group, region, section, status and pass type."""
    from confapp.admin.delegate_csv import filtered_delegates_query

    conference = g.conference
    page = db.paginate(
        filtered_delegates_query(conference, request.args),
        per_page=DELEGATES_PAGE_SIZE,
        error_out=False,
        count=True,
    )
    groups = db.session.execute(
        sa.select(Group.id, Group.name, Group.region)
        .where(Group.conference_id == conference_id)
        .order_by(Group.name)
    ).all()
    return render_template(
        "admin/delegates.html",
        page=page,
        groups=groups,
        regions=sorted({row.region for row in groups if row.region}),
        args=request.args,
        link_args={k: v for k, v in request.args.items() if v and k != "page"},
        statuses=[s.value for s in Status],
        pass_types=[p.value for p in PassType],
    )
