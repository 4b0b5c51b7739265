"""For members, without a login: send my voting link again, and check I can vote.

Both take the membership number and the e-mail the register holds, are rate-limited per
address and per membership number, and answer a number nobody holds exactly as they answer a
member who is on no roll: the pages say nothing of who is on the register.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from confapp.extensions import db, limiter
from confapp.members import mailing
from confapp.members.forms import MemberDetailsForm
from confapp.members.views import bp
from confapp.models import EmailStatus, utcnow

ON_ITS_WAY = "If these match a member on the roll of an open ballot, a new link is on its way."
NOTHING_FOUND = (
    "We found no upcoming or open ballot with a member of this number and e-mail address on "
    "its roll. Check both are as the register holds them; if they are and you think you "
    "should be able to vote, ask your group's secretary or the committee."
)
LINK_WORDS = {
    EmailStatus.PENDING: "Not sent yet: links go out before voting opens.",
    EmailStatus.QUEUED: "On its way.",
    EmailStatus.SENT: "Sent",
    EmailStatus.FAILED: "Not delivered yet: it will be tried again. You can also ask for it again.",
    EmailStatus.BOUNCED: (
        "Your address did not accept it. Ask your group's secretary or the committee to "
        "correct the e-mail on the register."
    ),
}


def _ip_limit() -> str:
    return current_app.config.get("MEMBER_LINK_RATE_LIMIT", "5 per hour")


def _number_limit() -> str:
    return current_app.config.get("MEMBER_NUMBER_RATE_LIMIT", "5 per hour")


def _number_key() -> str:
    """The membership number asked about, however it is typed."""
    return "member-number:" + " ".join(request.form.get("number", "").upper().split())


@bp.route("/members/link", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
@limiter.limit(_number_limit, key_func=_number_key, methods=["POST"])
def link_again():
    """A member asks for their voting link again: a new one for each ballot they are on."""
    form = MemberDetailsForm()
    if form.validate_on_submit():
        voters = [
            voter
            for voter, _ in mailing.rolls_of(form.number.data, form.email.data)
            if not voter.has_voted
        ]
        if voters:
            mailing.resend_to(voters)
        db.session.rollback()
        flash(ON_ITS_WAY, "success")  # the same words whether anything was found or not
        return redirect(url_for("members.link_again"))
    status = 422 if form.is_submitted() else 200
    return render_template("members/link.html", form=form), status


@bp.route("/members/check", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
@limiter.limit(_number_limit, key_func=_number_key, methods=["POST"])
def check():
    """A member checks they are on the roll of each upcoming or open ballot, and their link."""
    form = MemberDetailsForm()
    rolls = None
    status = 200
    if form.validate_on_submit():
        now = utcnow()
        rolls = [
            {
                "ballot": ballot,
                "conference": ballot.conference,
                "phase": ballot.phase(now),
                "link": LINK_WORDS[EmailStatus(voter.email_status)],
                "sent_at": voter.emailed_at if voter.email_status == EmailStatus.SENT else None,
            }
            for voter, ballot in mailing.rolls_of(form.number.data, form.email.data)
        ]
    elif form.is_submitted():
        status = 422
    return render_template(
        "members/link_check.html", form=form, rolls=rolls, nothing_found=NOTHING_FOUND
    ), status
