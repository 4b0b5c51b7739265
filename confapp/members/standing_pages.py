"""The committee's override: accepting a delegate, alternate or candidate the register refuses.

The reason is required and recorded on the registration or candidate; the audit log keeps
who recorded it and when (confapp/members/standing.py does the work).
"""

from __future__ import annotations

from flask import abort, flash, redirect, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from confapp.auth.access import of_conference_or_404, requires
from confapp.extensions import db
from confapp.members import standing
from confapp.members.standing import StandingError
from confapp.members.views import COMMITTEE, C, bp
from confapp.models import Candidate, Delegate, Election
from confapp.security import local_path

# The review queue shows a decision's message on the card it returns to (admin/review.py's
# QUEUE_AT); an override made there returns to its card the same way.
QUEUE_AT = "queue_at"


class OverrideForm(FlaskForm):
    """The committee's reason for accepting someone the register does not show."""

    reason = TextAreaField(
        "Reason for accepting them",
        validators=[Optional(), Length(max=standing.OVERRIDE_LIMIT)],
    )
    next = HiddenField()


def _done(form: OverrideForm, run, message: str) -> None:
    """Run the override and commit it, or roll back and say why not."""
    if not form.validate_on_submit():
        problems = [e for errors in form.errors.values() for e in errors]
        flash(" ".join(problems) or "Send the form again.", "error")
        return
    try:
        run()
    except StandingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")


@bp.route(f"{C}/delegates/<int:delegate_id>/membership-override", methods=["POST"])
@requires(*COMMITTEE)
def delegate_override(conference_id: int, delegate_id: int):
    """Record why the committee accepts a delegate or alternate the register refuses."""
    delegate = of_conference_or_404(Delegate, delegate_id, conference_id)
    form = OverrideForm()
    _done(
        form,
        lambda: standing.accept_delegate(delegate, form.reason.data or "", current_user),
        f"{delegate.name} accepted without the register; the reason is recorded.",
    )
    target = local_path(form.next.data)
    if target is None:
        session[QUEUE_AT] = delegate.group_id
        target = url_for("admin.queue", conference_id=conference_id) + f"#group-{delegate.group_id}"
    return redirect(target)


@bp.route(
    f"{C}/elections/<int:election_id>/candidates/<int:candidate_id>/membership-override",
    methods=["POST"],
)
@requires(*COMMITTEE)
def candidate_override(conference_id: int, election_id: int, candidate_id: int):
    """Record why the committee accepts a candidate the register refuses."""
    election = of_conference_or_404(Election, election_id, conference_id)
    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None or candidate.election_id != election.id:
        abort(404)
    form = OverrideForm()
    _done(
        form,
        lambda: standing.accept_candidate(candidate, form.reason.data or "", current_user),
        f"{candidate.name} accepted without the register; the reason is recorded.",
    )
    target = local_path(form.next.data) or url_for(
        "elections.nominate", conference_id=conference_id, election_id=election.id
    )
    return redirect(target)
