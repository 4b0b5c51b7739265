"""The floor's pages: ballots for the chair, the tellers' count sheets, results and exports."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from confapp.auth.access import of_conference_or_404, requires
from confapp.checkin.forms import ActionForm
from confapp.extensions import db
from confapp.models import Ballot, Role
from confapp.voting import charts, services
from confapp.voting.forms import BallotForm, EntryForm, StepForm
from confapp.voting.services import Votes, VotingError

bp = Blueprint("voting", __name__)

C = "/conferences/<int:conference_id>"
B = f"{C}/ballots/<int:ballot_id>"
FLOOR = (Role.TELLER, Role.ADMIN)


@bp.context_processor
def words():
    """The words for kinds and states of ballots."""
    return {"kind_words": services.KIND_WORDS, "state_words": services.STATE_WORDS}


@bp.route(f"{C}/ballots")
@requires(*FLOOR)
def ballots(conference_id: int):
    """The conference's ballots; the chair puts a new one."""
    form = BallotForm(mode=g.conference.card_rule.mode)
    return render_template("voting/ballots.html", ballots=services.ballots(g.conference), form=form)


@bp.route(f"{C}/ballots", methods=["POST"])
@requires(Role.ADMIN)
def new_ballot(conference_id: int):
    """Create a ballot in draft."""
    form = BallotForm()
    if form.validate_on_submit():
        try:
            ballot = services.create_ballot(
                g.conference,
                title=form.title.data,
                kind=form.kind.data,
                majority=form.majority.data,
                mode=form.mode.data,
                session=form.session.data or "",
                actor=current_user,
            )
        except VotingError as problem:
            flash(str(problem), "error")
        else:
            db.session.commit()
            return redirect(
                url_for("voting.ballot", conference_id=conference_id, ballot_id=ballot.id)
            )
    return render_template(
        "voting/ballots.html", ballots=services.ballots(g.conference), form=form
    ), 422


@bp.route(B)
@requires(*FLOOR)
def ballot(conference_id: int, ballot_id: int):
    """The chair's page: the steps, the roll, both counts side by side, the result."""
    ballot = of_conference_or_404(Ballot, ballot_id, conference_id)
    check = services.reconcile(ballot) if ballot.is_card_vote else None
    return render_template(
        "voting/ballot.html",
        ballot=ballot,
        check=check,
        shares=services.shares_by_group(ballot) if ballot.mode == "split" else {},
        totals=services.roll_totals(ballot),
        chair=Role.ADMIN in current_user.roles_in(conference_id),
        my_sheet=services.sheet_of(ballot, current_user),
        action_form=ActionForm(),
        chart=charts.result_chart(ballot.result)
        if ballot.result and "overall" in ballot.result
        else None,
        on_projector=g.conference.projector_ballot_id == ballot.id,
    )


STEPS = {
    "hands": lambda b, user: services.take_show_of_hands(b, user),
    "hands_carried": lambda b, user: services.record_hands(b, "carried", user),
    "hands_lost": lambda b, user: services.record_hands(b, "lost", user),
    "card_vote_called": lambda b, user: services.record_hands(b, "card_vote_called", user),
    "open": lambda b, user: services.open_card_vote(b, user),
    "close": lambda b, user: services.close_voting(b, user),
    "declare": lambda b, user: services.declare(b, user),
}


@bp.route(f"{B}/step", methods=["POST"])
@requires(Role.ADMIN)
def step(conference_id: int, ballot_id: int):
    """The chair moves the ballot on: show of hands, card vote, close, declare, recount, screen."""
    ballot = of_conference_or_404(Ballot, ballot_id, conference_id)
    target = url_for("voting.ballot", conference_id=conference_id, ballot_id=ballot.id)
    form = StepForm()
    if not form.validate_on_submit():
        return redirect(target)
    name = form.step.data
    try:
        if name == "recount":
            again = services.recount(ballot, current_user)
            target = url_for("voting.ballot", conference_id=conference_id, ballot_id=again.id)
            flash("Recount started on the same roll: the tellers count again.", "success")
        elif name in ("projector", "projector_off"):
            services.show_on_projector(
                g.conference, ballot if name == "projector" else None, current_user
            )
        elif name in STEPS:
            STEPS[name](ballot, current_user)
        else:
            flash("Unknown step.", "error")
    except VotingError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        db.session.commit()
    return redirect(target)


# ---- the tellers -------------------------------------------------------------------------------


@bp.route(f"{B}/count")
@requires(*FLOOR)
def count(conference_id: int, ballot_id: int):
    """A teller's count sheet: the delegations present in walking order, searchable."""
    ballot = of_conference_or_404(Ballot, ballot_id, conference_id)
    sheet = services.sheet_of(ballot, current_user)
    rows = services.roll(ballot)
    mine = services.current_entries(ballot, sheet) if sheet else {}
    q = request.args.get("q", "").strip().lower()
    card = request.args.get("card", "").strip()
    one = request.args.get("group", type=int)
    card_delegate = None
    everyone = rows
    if one:
        rows = [r for r in rows if r.group_id == one]
    elif card:
        try:
            found, card_delegate = services.delegation_for_card(ballot, card)
            rows = [found]
        except VotingError as problem:
            flash(str(problem), "error")
            rows = []
    elif q:
        rows = [r for r in rows if q in r.group_name.lower() or q in r.section.lower()]
    running = services.count_result(ballot, mine, everyone) if sheet else None
    return render_template(
        "voting/count.html",
        ballot=ballot,
        sheet=sheet,
        rows=rows,
        mine=mine,
        shares=services.shares_by_group(ballot) if ballot.mode == "split" else {},
        running=running,
        entered=len(mine),
        totals=services.roll_totals(ballot),
        q=request.args.get("q", ""),
        card=card,
        narrowed=bool(one or card or q),
        card_delegate=card_delegate,
        action_form=ActionForm(),
    )


@bp.route(f"{B}/sheet", methods=["POST"])
@requires(*FLOOR)
def take_sheet(conference_id: int, ballot_id: int):
    """Start counting: the teller takes the first free of the two counts."""
    ballot = of_conference_or_404(Ballot, ballot_id, conference_id)
    if ActionForm().validate_on_submit():
        try:
            number = services.take_sheet(ballot, current_user)
        except VotingError as problem:
            db.session.rollback()
            flash(str(problem), "error")
        else:
            db.session.commit()
            flash(f"You keep count {number} of this ballot.", "success")
    return redirect(url_for("voting.count", conference_id=conference_id, ballot_id=ballot.id))


@bp.route(f"{B}/entries", methods=["POST"])
@requires(*FLOOR)
def enter(conference_id: int, ballot_id: int):
    """Enter (or correct) one delegation's vote on the teller's count."""
    ballot = of_conference_or_404(Ballot, ballot_id, conference_id)
    back = url_for("voting.count", conference_id=conference_id, ballot_id=ballot.id)
    form = EntryForm()
    if not form.validate_on_submit():
        if form.group.errors and "csrf_token" not in form.errors:
            flash("Choose a delegation.", "error")
        return redirect(back)
    group_id = form.group.data
    roll = db.session.get(services.RollEntry, (ballot.id, group_id))
    try:
        if roll is None:
            raise VotingError("That delegation is not on this ballot's roll.")
        votes, choices = _entered_votes(ballot, roll, form)
        services.enter_votes(
            ballot, current_user, group_id, votes, choices=choices, card_code=form.card.data or ""
        )
    except VotingError as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(back)
    db.session.commit()
    flash(f"{roll.group_name}: {_votes_text(votes)}.", "success")
    return redirect(f"{back}#row-{group_id}")


def _entered_votes(ballot: Ballot, roll, form: EntryForm) -> tuple[Votes, dict[int, str] | None]:
    """The delegation's vote from the sheet: one choice (block), or each delegate's (split)."""
    if ballot.mode != "split":
        return services.votes_for_choice(form.choice.data or "", roll.votes), None
    shares = {
        s.delegate_id: s.share for s in services.shares_by_group(ballot).get(roll.group_id, [])
    }
    choices = {d: form.delegate.data.get(d, "none") for d in shares}
    return services.votes_for_delegates(shares, choices), choices


def _votes_text(votes: Votes) -> str:
    parts = [(votes.for_, "for"), (votes.against, "against"), (votes.abstain, "abstain")]
    said = [f"{n:,} {word}" for n, word in parts if n]
    return ", ".join(said) or "not voting"


# Results, the projector and the API live in confapp/voting/results.py (same blueprint).
from confapp.voting import results as _results  # noqa: E402,F401  (registers its routes)
