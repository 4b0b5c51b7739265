"""The floor's pages: ballots for the chair, the tellers' count sheets, results and exports."""

from __future__ import annotations

from html import escape  # str in, str out: cheaper than markupsafe's for 2,000 rows

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
from markupsafe import Markup

from confapp.auth.access import of_conference_or_404, requires
from confapp.checkin.forms import ActionForm
from confapp.confirm import ask_first
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
    """The words for kinds and states of ballots, and the count sheet's buttons."""
    return {
        "kind_words": services.KIND_WORDS,
        "state_words": services.STATE_WORDS,
        "sheet_rows": sheet_rows,
    }


TAPS = (("for", "For"), ("against", "Against"), ("abstain", "Abstain"), ("none", "Not voting"))


def sheet_rows(
    lines: list[services.SheetLine], *, last: int | None, entering: bool, each_link: bool
) -> Markup:
    """The count sheet's rows: the delegation, its votes, this count's entry, four buttons.

    Written here rather than in the template: 2,000 rows of four buttons each took Jinja past
    the sheet's 100 ms. Names and sections are escaped (html.escape, quotes too); the rest are
    numbers and fixed words.
    """
    # The buttons as they are for each entry (none yet, for, against, ...), "{gid}" to fill.
    taps = {chosen: _taps(chosen, each_link) if entering else "" for chosen in (None, *TAPS_BY)}
    rows = []
    for group_id, position, group_name, section, votes, _, entry in lines:
        gid = str(int(group_id))
        name = escape(group_name)
        chosen, said = (entry.choice, entry.words) if entry else (None, "–")
        rows.append(
            f'<tr id="row-{gid}" data-group="{name}"{JUST if group_id == last else ""}>'
            f'<td class="pos">{int(position)}</td>'
            f'<th scope="row" class="who">{name} <small>{escape(section)}</small></th>'
            f'<td class="num">{int(votes):,}</td><td class="entry">{said}</td>'
            f'<td class="tap">{taps[chosen].replace("{gid}", gid)}</td></tr>\n'
        )
    return Markup("".join(rows))


TAPS_BY = dict(TAPS)
JUST = ' class="just"'


def _taps(chosen: str | None, each_link: bool) -> str:
    """A row's four buttons, `chosen` pressed, its delegation's id left as "{gid}"."""
    buttons = "".join(
        f'<button name="tap" value="{{gid}}:{value}" class="c-{value}" '
        f'aria-pressed="{"true" if value == chosen else "false"}">{label}</button>'
        for value, label in TAPS
    )
    return buttons + ('<a href="?group={gid}" class="each">Each delegate…</a>' if each_link else "")


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
    return render_template(
        "voting/ballot.html",
        **_counts_view(ballot),
        shares=services.shares_by_group(ballot) if ballot.mode == "split" else {},
        totals=services.roll_totals(ballot),
        chart=charts.result_chart(ballot.result)
        if ballot.result and "overall" in ballot.result
        else None,
        on_projector=g.conference.projector_ballot_id == ballot.id,
        declare_question=declare_question(ballot),
        declare_detail=DECLARE_DETAIL,
    )


@bp.route(f"{B}/counts")
@requires(*FLOOR)
def counts(conference_id: int, ballot_id: int):
    """The two counts as they stand: the chair's page swaps this in every few seconds."""
    ballot = of_conference_or_404(Ballot, ballot_id, conference_id)
    return render_template("voting/_counts.html", **_counts_view(ballot))


def _counts_view(ballot: Ballot) -> dict:
    """What the chair's page and its live fragment both show of the two counts."""
    return {
        "ballot": ballot,
        "check": services.reconcile(ballot) if ballot.is_card_vote else None,
        "chair": Role.ADMIN in current_user.roles_in(ballot.conference_id),
        "my_sheet": services.sheet_of(ballot, current_user),
        "action_form": ActionForm(),
    }


STEPS = {
    "hands": lambda b, user: services.take_show_of_hands(b, user),
    "hands_carried": lambda b, user: services.record_hands(b, "carried", user),
    "hands_lost": lambda b, user: services.record_hands(b, "lost", user),
    "card_vote_called": lambda b, user: services.record_hands(b, "card_vote_called", user),
    "open": lambda b, user: services.open_card_vote(b, user),
    "close": lambda b, user: services.close_voting(b, user),
    "declare": lambda b, user: services.declare(b, user),
}


def declare_question(ballot: Ballot) -> str:
    """What the chair is asked before a result is declared (the page's dialog says the same)."""
    return f"Declare the result of {ballot.title}?"


DECLARE_DETAIL = (
    "Both counts agree on every delegation. Once declared the result is locked: "
    "a recount is a new ballot."
)


def _ask_before_declaring(ballot: Ballot, target: str) -> str | None:
    """The question page unless the chair confirmed; None when the declaration would be refused.

    A declaration cannot be undone, so it asks first; but a refusal (the counts disagree) is
    answered at once, saying why, rather than after a question.
    """
    if ballot.state not in services.ENTERING or not ballot.is_card_vote:
        return None
    if not services.reconcile(ballot).may_declare:
        return None
    return ask_first(declare_question(ballot), "Yes, declare", back=target, detail=DECLARE_DETAIL)


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
    if name == "declare" and (question := _ask_before_declaring(ballot, target)):
        return question
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
    """A teller's count sheet: one compact row per delegation present, in walking order."""
    ballot = of_conference_or_404(Ballot, ballot_id, conference_id)
    sheet = services.sheet_of(ballot, current_user)
    everyone = services.sheet_lines(ballot, sheet)
    rows, card_delegate, one = _narrowed(ballot, everyone)
    last = request.args.get("last", type=int)
    return render_template(
        "voting/count.html",
        ballot=ballot,
        sheet=sheet,
        rows=rows,
        delegations=len(everyone),
        votes_present=sum(line.votes for line in everyone),
        # Split mode asks each delegate only on a sheet narrowed to one delegation.
        shares={one: services.shares_of(ballot, one)} if one and ballot.mode == "split" else {},
        delegate_choices=services.current_choices(ballot, sheet, one) if one else {},
        running=services.Running.of(everyone) if sheet else None,
        last=next((line for line in everyone if line.group_id == last), None) if last else None,
        q=request.args.get("q", ""),
        card=request.args.get("card", "").strip(),
        narrowed=len(rows) != len(everyone) or bool(one),
        card_delegate=card_delegate,
        open_for_entry=bool(sheet) and ballot.state in services.ENTERING,
        action_form=ActionForm(),
    )


def _narrowed(ballot: Ballot, lines: list) -> tuple[list, int | None, int | None]:
    """The rows a search, a scanned card or one delegation narrows the sheet to.

    Returns the rows, the delegate whose card was scanned (split mode) and the one delegation
    whose rows are shown when the sheet shows exactly one.
    """
    q = request.args.get("q", "").strip().lower()
    card = request.args.get("card", "").strip()
    one = request.args.get("group", type=int)
    if one:
        rows = [line for line in lines if line.group_id == one]
        return rows, None, one if rows else None
    if card:
        try:
            found, card_delegate = services.delegation_for_card(ballot, card)
        except VotingError as problem:
            flash(str(problem), "error")
            return [], None, None
        return (
            [line for line in lines if line.group_id == found.group_id],
            card_delegate,
            (found.group_id),
        )
    if q:
        return (
            [line for line in lines if q in line.group_name.lower() or q in line.section.lower()],
            None,
            None,
        )
    return lines, None, None


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
    """Enter (or correct) one delegation's vote on the teller's count.

    The sheet's script asks for JSON and updates the row in place; without script the answer
    is the sheet again, at the row just entered.
    """
    ballot = of_conference_or_404(Ballot, ballot_id, conference_id)
    as_json = request.accept_mimetypes.best == "application/json"
    form = EntryForm()
    group_id, choice = form.tapped()
    try:
        if not form.validate_on_submit() or group_id is None:
            raise VotingError("Choose a delegation.")
        roll = db.session.get(services.RollEntry, (ballot.id, group_id))
        if roll is None:
            raise VotingError("That delegation is not on this ballot's roll.")
        votes, choices = _entered_votes(ballot, roll, choice, form)
        sheet = services.enter_votes(
            ballot, current_user, group_id, votes, choices=choices, card_code=form.card.data or ""
        ).sheet
        said = f"{roll.group_name}: {votes.said}."
    except VotingError as problem:
        db.session.rollback()
        if as_json:
            return {"error": str(problem), "group": group_id}, 422
        flash(str(problem), "error")
        return redirect(url_for("voting.count", conference_id=conference_id, ballot_id=ballot.id))
    db.session.commit()
    if not as_json:
        return redirect(
            url_for(
                "voting.count",
                conference_id=conference_id,
                ballot_id=ballot_id,
                last=group_id,
                _anchor=f"row-{group_id}",
            )
        )
    running = services.running_total(ballot, sheet)
    return {
        "group": group_id,
        "entry": votes.words,
        "choice": votes.choice,
        "said": said,
        "running": {
            "entered": f"{running.entered:,}",
            "for": f"{running.for_:,}",
            "against": f"{running.against:,}",
            "abstain": f"{running.abstain:,}",
        },
    }


def _entered_votes(
    ballot: Ballot, roll, choice: str, form: EntryForm
) -> tuple[Votes, dict[int, str] | None]:
    """The delegation's vote from the sheet: one choice for all, or (split) each delegate's."""
    if ballot.mode != "split":
        return services.votes_for_choice(choice, roll.votes), None
    shares = {s.delegate_id: s.share for s in services.shares_of(ballot, roll.group_id)}
    if choice in services.CHOICES:  # the whole delegation voted alike: one tap for all
        choices = dict.fromkeys(shares, choice)
    else:
        # A scanned card shows one delegate: the others keep what this count has for them.
        sheet = services.sheet_of(ballot, current_user)
        before = services.current_choices(ballot, sheet, roll.group_id)
        choices = {d: form.delegate.data.get(d, before.get(d, "none")) for d in shares}
    return services.votes_for_delegates(shares, choices), choices


# Results, the projector and the API live in confapp/voting/results.py (same blueprint).
from confapp.voting import results as _results  # noqa: E402,F401  (registers its routes)
