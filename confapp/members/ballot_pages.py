"""The committee sets up a members' ballot, makes its roll and sends the voting links.

Also the conference's side: the chair refers a declared conference ballot to the members.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from confapp.admin.services import to_local, to_utc
from confapp.auth.access import of_conference_or_404, requires
from confapp.checkin.forms import ActionForm
from confapp.confirm import ask_first
from confapp.extensions import db
from confapp.members import ballots as services
from confapp.members import mailing
from confapp.members.ballots import BallotError, BallotSetup, QuestionSetup
from confapp.members.forms import BLANK_QUOTA_ROWS, BallotForm, BouncesForm, QuestionForm
from confapp.members.mailing import MailError
from confapp.members.roll import RollError, make_roll
from confapp.members.views import COMMITTEE, B, C, bp
from confapp.models import (
    Ballot,
    EmailStatus,
    Group,
    MemberBallot,
    MemberBallotState,
    MemberQuestion,
    QuestionKind,
    Role,
    Section,
    Voter,
    utcnow,
)
from confapp.text import plural

ROLL_DETAIL = (
    "Every member in good standing on the freeze date, in the electorate, goes on the roll "
    "with one blank paper each. The ballot and its questions can no longer change."
)
SEND_DETAIL = (
    "Each member gets an e-mail with a link of their own; a new link replaces any earlier "
    "one. Sending goes on in the background: the mail page shows how it stands."
)
REFER_DETAIL = (
    "A draft members' ballot is made with this question, to vote yes or no. The committee "
    "sets its times and electorate before making its roll."
)


@bp.app_template_global()
def member_referral(conference_ballot: Ballot) -> MemberBallot | None:
    """The members' ballot a conference ballot was referred to (the chair's page links it)."""
    return services.referral_of(conference_ballot)


@bp.app_context_processor
def ballot_words() -> dict:
    """Words for a members' ballot's phase, kinds, majorities and rules; enums to compare with."""
    return {
        "member_phase_words": services.PHASE_WORDS,
        "question_kind_words": services.KIND_WORDS,
        "member_majority_words": services.MAJORITY_WORDS,
        "member_rule_words": services.RULE_WORDS,
        "QuestionKind": QuestionKind,
        "EmailStatus": EmailStatus,
    }


def _is_committee() -> bool:
    return Role.ADMIN in current_user.roles_in(g.conference.id)


def _page(ballot: MemberBallot, endpoint: str = "members.ballot") -> str:
    return url_for(endpoint, conference_id=ballot.conference_id, member_ballot_id=ballot.id)


def _ballot_or_404(conference_id: int, member_ballot_id: int) -> MemberBallot:
    return of_conference_or_404(MemberBallot, member_ballot_id, conference_id)


# ---- the list and the setup ------------------------------------------------------------------


@bp.route(f"{C}/member-ballots")
@requires(*COMMITTEE)
def ballots(conference_id: int):
    """The conference's members' ballots and where each stands."""
    return render_template(
        "members/ballots.html",
        ballots=services.ballots(g.conference),
        now=utcnow(),
        committee=_is_committee(),
    )


def _electorate_choices(form: BallotForm) -> None:
    conference = g.conference
    form.region.choices = [("", "Choose a region")] + [(r, r) for r in services.regions(conference)]
    groups = db.session.scalars(
        db.select(Group).where(Group.conference_id == conference.id).order_by(Group.name)
    )
    form.group.choices = [("", "Choose a group")] + [(str(gr.id), gr.name) for gr in groups]
    sections = db.session.scalars(
        db.select(Section).where(Section.conference_id == conference.id).order_by(Section.name)
    )
    form.section.choices = [("", "Choose a section")] + [(str(s.id), s.name) for s in sections]


def _setup_from(form: BallotForm) -> BallotSetup:
    """What the form says, times turned into UTC from the conference's zone."""
    zone = g.conference.timezone
    kind = form.electorate.data or "all"
    value = {"region": form.region.data, "group": form.group.data, "section": form.section.data}
    return BallotSetup(
        title=form.title.data or "",
        description=form.description.data or "",
        opens_at=to_utc(form.opens.data, zone) if form.opens.data else None,
        closes_at=to_utc(form.closes.data, zone) if form.closes.data else None,
        frozen_on=form.frozen_on.data,
        electorate=kind,
        electorate_value=(value.get(kind) or "").strip(),
    )


def _fill(form: BallotForm, ballot: MemberBallot) -> None:
    zone = g.conference.timezone
    form.title.data = ballot.title
    form.description.data = ballot.description
    form.opens.data = to_local(ballot.opens_at, zone)
    form.closes.data = to_local(ballot.closes_at, zone)
    form.frozen_on.data = ballot.frozen_on
    form.electorate.data = ballot.electorate.value
    field = {"region": form.region, "group": form.group, "section": form.section}
    if ballot.electorate.value in field:
        field[ballot.electorate.value].data = ballot.electorate_value


def _defaults(form: BallotForm) -> None:
    """A week from tomorrow at nine, frozen at the conference's membership date or today."""
    conference = g.conference
    today = to_local(utcnow(), conference.timezone)
    start = datetime(today.year, today.month, today.day, 9, 0) + timedelta(days=1)
    form.opens.data = start
    form.closes.data = start + timedelta(days=7)
    form.frozen_on.data = conference.membership_as_at or today.date()


@bp.route(f"{C}/member-ballots/new", methods=["GET", "POST"])
@requires(*COMMITTEE)
def new_ballot(conference_id: int):
    """Set up a members' ballot as a draft; its questions come next."""
    form = BallotForm()
    _electorate_choices(form)
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                ballot = services.create_ballot(g.conference, _setup_from(form), current_user)
            except BallotError as problem:
                db.session.rollback()
                flash(str(problem), "error")
            else:
                db.session.commit()
                flash(f"{ballot.title} is set up as a draft: add its questions.", "success")
                return redirect(_page(ballot))
        status = 422
    else:
        _defaults(form)
    return render_template(
        "members/ballot_form.html", form=form, ballot=None, zone=g.conference.timezone
    ), status


@bp.route(f"{B}/edit", methods=["GET", "POST"])
@requires(*COMMITTEE)
def edit_ballot(conference_id: int, member_ballot_id: int):
    """Change a draft ballot's title, times, freeze date or electorate."""
    ballot = _ballot_or_404(conference_id, member_ballot_id)
    if ballot.state != MemberBallotState.DRAFT:
        flash("The roll is made: the ballot can no longer change.", "error")
        return redirect(_page(ballot))
    form = BallotForm()
    _electorate_choices(form)
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                services.update_ballot(ballot, _setup_from(form), current_user)
            except BallotError as problem:
                db.session.rollback()
                flash(str(problem), "error")
            else:
                db.session.commit()
                flash("Saved.", "success")
                return redirect(_page(ballot))
        status = 422
    else:
        _fill(form, ballot)
    return render_template(
        "members/ballot_form.html", form=form, ballot=ballot, zone=g.conference.timezone
    ), status


# ---- the ballot's page and its questions -----------------------------------------------------


@bp.route(B)
@requires(*COMMITTEE)
def ballot(conference_id: int, member_ballot_id: int):
    """A members' ballot: its setup, questions, roll and links, and the next step."""
    ballot = _ballot_or_404(conference_id, member_ballot_id)
    return _ballot_page(ballot, QuestionForm(formdata=None))


def _ballot_page(ballot: MemberBallot, form: QuestionForm, status: int = 200):
    now = utcnow()
    on_roll = ballot.state != MemberBallotState.DRAFT
    to_send = 0
    if on_roll:
        to_send = db.session.scalar(
            db.select(db.func.count(Voter.id)).where(
                Voter.ballot_id == ballot.id,
                Voter.has_voted.is_(False),
                Voter.email_status.in_([EmailStatus.PENDING, EmailStatus.FAILED]),
            )
        )
    return render_template(
        "members/ballot.html",
        ballot=ballot,
        phase=ballot.phase(now),
        electorate=services.electorate_words(ballot),
        problems={q.id: services.question_problem(q) for q in ballot.questions},
        roll_problem=services.roll_problem(ballot, now) if not on_roll else None,
        counts=mailing.mail_counts(ballot) if on_roll else None,
        to_send=to_send,
        send_problem=mailing.send_problem(ballot) if on_roll else None,
        referred_from=db.session.get(Ballot, ballot.referred_from_id)
        if ballot.referred_from_id
        else None,
        form=form,
        action_form=ActionForm(),
        committee=_is_committee(),
        roll_question=roll_question(ballot),
        roll_detail=ROLL_DETAIL,
        send_question=send_question(ballot, to_send),
        send_detail=SEND_DETAIL,
        blank_quota_rows=BLANK_QUOTA_ROWS,
    ), status


def _question_from(form: QuestionForm) -> QuestionSetup:
    return QuestionSetup(
        kind=form.kind.data or "",
        title=form.title.data or "",
        text=form.text.data or "",
        majority=form.majority.data or "simple",
        turnout_threshold=form.turnout_threshold.data,
        max_choices=form.max_choices.data,
        seats=form.seats.data,
        rule=form.rule.data or "",
        options=form.options.data or "",
        quotas=tuple(
            (row.form.name.data or "", row.form.minimum.data or 0, row.form.maximum.data)
            for row in form.quotas
        ),
    )


@bp.route(f"{B}/questions", methods=["POST"])
@requires(*COMMITTEE)
def add_question(conference_id: int, member_ballot_id: int):
    """Add a question to a draft ballot's paper."""
    ballot = _ballot_or_404(conference_id, member_ballot_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            question = services.add_question(ballot, _question_from(form), current_user)
        except BallotError as problem:
            db.session.rollback()
            flash(str(problem), "error")  # shown on the page below, the form as it was typed
        else:
            db.session.commit()
            flash(f"Question added: {question.title}", "success")
            return redirect(_page(ballot) + "#questions")
    return _ballot_page(ballot, form, 422)


@bp.route(f"{B}/questions/<int:question_id>/delete", methods=["POST"])
@requires(*COMMITTEE)
def remove_question(conference_id: int, member_ballot_id: int, question_id: int):
    """Take a question off a draft ballot's paper (asks first)."""
    ballot = _ballot_or_404(conference_id, member_ballot_id)
    question = db.session.get(MemberQuestion, question_id)
    if question is None or question.ballot_id != ballot.id:
        abort(404)
    target = _page(ballot) + "#questions"
    if not ActionForm().validate_on_submit():
        return redirect(target)
    if ballot.state != MemberBallotState.DRAFT:
        flash("The roll is made: the questions can no longer change.", "error")
        return redirect(target)
    if (
        asked := ask_first(
            f"Remove {question.title} from {ballot.title}?",
            "Yes, remove it",
            back=target,
            detail="The question and its options are deleted; add it again to bring it back.",
        )
    ) is not None:
        return asked
    title = question.title
    try:
        services.remove_question(ballot, question, current_user)
    except BallotError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        db.session.commit()
        flash(f"Question removed: {title}", "success")
    return redirect(target)


# ---- the roll and the links ------------------------------------------------------------------


def roll_question(ballot: MemberBallot) -> str:
    """What the committee is asked before the roll is made (the dialog says the same)."""
    return f"Make the roll of {ballot.title}?"


def send_question(ballot: MemberBallot, count: int) -> str:
    """What the committee is asked before links are sent (the dialog says the same)."""
    return f"Send voting links to {plural(count, 'member')} for {ballot.title}?"


@bp.route(f"{B}/roll", methods=["POST"])
@requires(*COMMITTEE)
def roll(conference_id: int, member_ballot_id: int):
    """Make the roll: the electorate frozen, a blank paper each (asks first)."""
    ballot = _ballot_or_404(conference_id, member_ballot_id)
    target = _page(ballot)
    if not ActionForm().validate_on_submit():
        return redirect(target)
    # A refusal is answered at once, saying why, rather than after a question.
    if problem := services.roll_problem(ballot, utcnow()):
        flash(problem, "error")
        return redirect(target)
    if (
        asked := ask_first(
            roll_question(ballot), "Yes, make the roll", back=target, detail=ROLL_DETAIL
        )
    ) is not None:
        return asked
    try:
        count = make_roll(ballot, actor=current_user)
    except RollError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        flash(f"The roll is made: {plural(count, 'member')} may vote.", "success")
    return redirect(target)


@bp.route(f"{B}/send", methods=["POST"])
@requires(*COMMITTEE)
def send(conference_id: int, member_ballot_id: int):
    """Queue a voting link for every voter not yet sent one, or whose last one failed."""
    ballot = _ballot_or_404(conference_id, member_ballot_id)
    target = _page(ballot)
    if not ActionForm().validate_on_submit():
        return redirect(target)
    if problem := mailing.send_problem(ballot):
        flash(problem, "error")
        return redirect(target)
    waiting = db.session.scalar(
        db.select(db.func.count(Voter.id)).where(
            Voter.ballot_id == ballot.id,
            Voter.has_voted.is_(False),
            Voter.email_status.in_([EmailStatus.PENDING, EmailStatus.FAILED]),
        )
    )
    if not waiting:
        flash("Every voter has been sent a link (or is queued for one).", "info")
        return redirect(target)
    if (
        asked := ask_first(
            send_question(ballot, waiting), "Yes, send the links", back=target, detail=SEND_DETAIL
        )
    ) is not None:
        return asked
    try:
        count = mailing.request_links(ballot, actor=current_user)
    except MailError as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(target)
    flash(f"Voting links queued for {plural(count, 'member')}.", "success")
    return redirect(_page(ballot, "members.mail"))


@bp.route(f"{B}/mail")
@requires(*COMMITTEE)
def mail(conference_id: int, member_ballot_id: int):
    """How the links stand: counts by status, and every failure and bounce."""
    ballot = _ballot_or_404(conference_id, member_ballot_id)
    return _mail_page(ballot, BouncesForm(formdata=None))


def _mail_page(ballot: MemberBallot, form: BouncesForm, status: int = 200):
    on_roll = ballot.state != MemberBallotState.DRAFT
    return render_template(
        "members/mail.html",
        ballot=ballot,
        phase=ballot.phase(utcnow()),
        counts=mailing.mail_counts(ballot),
        stuck=mailing.stuck_queued(ballot) if on_roll else 0,
        stuck_minutes=mailing.STUCK_AFTER.seconds // 60,
        problems=mailing.problems(ballot) if on_roll else [],
        send_problem=mailing.send_problem(ballot) if on_roll else None,
        preview=mailing.preview(ballot),
        form=form,
        action_form=ActionForm(),
        committee=_is_committee(),
    ), status


@bp.route(f"{B}/mail/retry", methods=["POST"])
@requires(*COMMITTEE)
def retry(conference_id: int, member_ballot_id: int):
    """Send again to every voter whose link failed, or stands queued by a worker that stopped."""
    ballot = _ballot_or_404(conference_id, member_ballot_id)
    target = _page(ballot, "members.mail")
    if not ActionForm().validate_on_submit():
        return redirect(target)
    stuck = mailing.stuck_queued(ballot)
    statuses = (EmailStatus.FAILED, EmailStatus.QUEUED) if stuck else (EmailStatus.FAILED,)
    try:
        count = mailing.request_links(
            ballot, statuses, action="member_ballot.links_retried", actor=current_user
        )
    except MailError as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(target)
    if count:
        what = "failed or was stuck in the queue" if stuck else "failed"
        flash(f"Sending again to {plural(count, 'member')} whose link {what}.", "success")
    else:
        flash("No failed links to retry.", "info")
    return redirect(target)


@bp.route(f"{B}/mail/bounced", methods=["POST"])
@requires(*COMMITTEE)
def bounced(conference_id: int, member_ballot_id: int):
    """Record the addresses the relay reported back: their voters' links bounced."""
    ballot = _ballot_or_404(conference_id, member_ballot_id)
    form = BouncesForm()
    if form.validate_on_submit():
        try:
            count, unknown = mailing.record_bounces(ballot, form.addresses.data, current_user)
        except MailError as problem:
            db.session.rollback()
            flash(str(problem), "error")
        else:
            db.session.commit()
            flash(f"{plural(count, 'link')} recorded as bounced.", "success")
            if unknown:
                flash("Not on this ballot's roll: " + ", ".join(unknown[:20]) + ".", "warning")
            return redirect(_page(ballot, "members.mail"))
    return _mail_page(ballot, form, 422)


# ---- a referral from the conference ----------------------------------------------------------


@bp.route("/conferences/<int:conference_id>/ballots/<int:ballot_id>/refer", methods=["POST"])
@requires(Role.ADMIN)
def refer(conference_id: int, ballot_id: int):
    """The chair refers a declared conference ballot to the members (asks first)."""
    conference_ballot = of_conference_or_404(Ballot, ballot_id, conference_id)
    target = url_for("voting.ballot", conference_id=conference_id, ballot_id=ballot_id)
    if not ActionForm().validate_on_submit():
        return redirect(target)
    if existing := services.referral_of(conference_ballot):
        flash(f"{conference_ballot.title} is already referred to the members.", "info")
        return redirect(_page(existing))
    if problem := services.refer_problem(conference_ballot):
        flash(problem, "error")
        return redirect(target)
    if (
        asked := ask_first(
            f"Refer {conference_ballot.title} to the members?",
            "Yes, refer it",
            back=target,
            detail=REFER_DETAIL,
        )
    ) is not None:
        return asked
    try:
        ballot = services.refer(conference_ballot, current_user)
    except BallotError as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(target)
    db.session.commit()
    flash(
        f"{conference_ballot.title} is referred to the members: set the ballot's times and "
        "electorate, then make its roll.",
        "success",
    )
    return redirect(_page(ballot))
