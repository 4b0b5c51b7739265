"""The committee's review: the queue of registrations and substitutions waiting, the
decisions on them, and seating alternates on the day.

Every decision is a registration use case (confapp/registration/services.py), which
keeps the rules and flushes; the view commits it once, or rolls back and says why not.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, g, redirect, render_template, session, url_for
from flask_login import current_user

from confapp.admin import bp, registrations
from confapp.admin.forms import (
    RejectForm,
    ReviewButtonForm,
    SeatingForm,
    SubstitutionDecisionForm,
)
from confapp.auth.access import of_conference_or_404, requires
from confapp.extensions import db
from confapp.members import standing
from confapp.models import Delegate, Group, PassType, Role, Status, Substitution
from confapp.registration import places
from confapp.registration import services as registration
from confapp.registration.services import RegistrationError
from confapp.security import local_path


@bp.route("/conferences/<int:conference_id>/queue")
@requires(Role.ADMIN)
def queue(conference_id: int):
    """Groups with registrations or substitutions waiting, with all a decision needs."""
    queue = registrations.review_queue(g.conference)
    return render_template(
        "admin/queue.html",
        queue=queue,
        # What the register says of each delegate and alternate (empty: no register).
        register=standing.matches(g.conference, [p for c in queue.cards for p in c.people]),
        at=session.pop(QUEUE_AT, None),
    )


# The card a decision returns to: its anchor for the browser, and this note for the page to
# show what was done on that card (the reviewer is not at the top, where messages usually are).
QUEUE_AT = "queue_at"


def _decided(form: ReviewButtonForm, group: Group, decide: Callable[[], str]):
    """Run a decision and commit it, saying what it did (or why not); back to the group's card.

    `decide` makes the decision through a registration use case and returns what to say. The
    queue is long: the reviewer returns to the card they were on, or, when that group has
    nothing more waiting, to the next one, not to the top of the page.
    """
    try:
        done = decide()
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done, "success")
    target = local_path(form.next.data) or url_for("admin.queue", conference_id=group.conference_id)
    anchor = registrations.queue_anchor(group)
    if anchor is not None and "#" not in target:
        session[QUEUE_AT] = anchor
        target += f"#group-{anchor}"
    return redirect(target)


@bp.route("/conferences/<int:conference_id>/people/<int:delegate_id>/approve", methods=["POST"])
@requires(Role.ADMIN)
def approve(conference_id: int, delegate_id: int):
    """Approve one submitted registration."""
    delegate = of_conference_or_404(Delegate, delegate_id, conference_id)

    def decide() -> str:
        registration.approve(delegate, current_user)
        return f"Approved {delegate.name} ({delegate.group.name})."

    return _decided(ReviewButtonForm(), delegate.group, decide)


@bp.route("/conferences/<int:conference_id>/people/<int:delegate_id>/reject", methods=["POST"])
@requires(Role.ADMIN)
def reject(conference_id: int, delegate_id: int):
    """Reject one registration with the reason the secretary will read."""
    delegate = of_conference_or_404(Delegate, delegate_id, conference_id)
    form = RejectForm()

    def decide() -> str:
        registration.reject(delegate, current_user, form.reason.data or "")
        return f"Rejected {delegate.name} ({delegate.group.name})."

    return _decided(form, delegate.group, decide)


@bp.route("/conferences/<int:conference_id>/groups/<int:group_id>/approve", methods=["POST"])
@requires(Role.ADMIN)
def approve_delegation(conference_id: int, group_id: int):
    """Approve every submitted registration of a group in one action."""
    group = of_conference_or_404(Group, group_id, conference_id)

    def decide() -> str:
        count = registration.approve_delegation(group, current_user)
        return f"Approved {count} registration(s) of {group.name}."

    return _decided(ReviewButtonForm(), group, decide)


@bp.route(
    "/conferences/<int:conference_id>/substitutions/<int:substitution_id>/decide",
    methods=["POST"],
)
@requires(Role.ADMIN)
def decide_substitution(conference_id: int, substitution_id: int):
    """Approve or reject a substitution request."""
    substitution = of_conference_or_404(Substitution, substitution_id, conference_id)
    form = SubstitutionDecisionForm()

    def decide() -> str:
        approve_it = form.decision.data == "approve"
        reason = form.reason.data or ""
        registration.decide_substitution(
            substitution, current_user, approve=approve_it, reason=reason
        )
        return f"Substitution {substitution.status}."

    return _decided(form, substitution.group, decide)


@bp.route("/conferences/<int:conference_id>/groups/<int:group_id>/seating", methods=["GET", "POST"])
@requires(Role.ADMIN)
def seating(conference_id: int, group_id: int):
    """On the day: seat a group's approved alternates in place of absent delegates."""
    group = of_conference_or_404(Group, group_id, conference_id)
    approved = [d for d in places.delegation(group) if d.status == Status.APPROVED]
    delegates = [d for d in approved if d.pass_type == PassType.DELEGATE]
    alternates = [d for d in approved if d.pass_type == PassType.ALTERNATE]
    form = SeatingForm()
    if form.is_submitted():
        alternate = next((a for a in alternates if str(a.id) == form.alternate.data), None)
        absent = next((d for d in delegates if str(d.id) == form.absent.data), None)
        if alternate is None or (form.absent.data and absent is None):
            abort(404)
        try:
            registration.seat_alternate(alternate, absent, current_user)
        except RegistrationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            what = f"now sits in for {absent.name}" if absent else "no longer sits in"
            flash(f"{alternate.name} {what}.", "success")
        return redirect(url_for("admin.seating", conference_id=conference_id, group_id=group.id))
    return render_template(
        "admin/seating.html", group=group, delegates=delegates, alternates=alternates
    )
