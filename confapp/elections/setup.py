"""The committee sets up an election; groups and delegates nominate candidates."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from confapp.admin.services import to_local, to_utc
from confapp.auth.access import group_or_404, of_conference_or_404, requires
from confapp.checkin.forms import ActionForm
from confapp.confirm import ask_first
from confapp.downloads import download
from confapp.elections import services
from confapp.elections.forms import BLANK_QUOTA_ROWS, CandidateForm, ElectionForm
from confapp.elections.services import ElectionError, QuotaRow, Setup
from confapp.elections.views import COMMITTEE, READERS, C, E, bp
from confapp.extensions import db
from confapp.members import standing as register
from confapp.models import Candidate, Election, ElectionWeighting, Group, Role
from confapp.pdf import html_to_pdf

# Secretaries read the elections to nominate for their groups.
VIEWERS = (*READERS, Role.SECRETARY)


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    """Whether a page exists, so a link to another part of the elections appears once it does."""
    return name in current_app.view_functions


@bp.app_template_global()
def taking_nominations(conference_id: int) -> bool:
    """Whether groups may nominate now for one of the conference's elections (home page)."""
    waiting = db.session.scalars(
        db.select(Election).where(
            Election.conference_id == conference_id, Election.state == "nominations"
        )
    )
    return any(services.nominations_open(e) for e in waiting)


@bp.app_context_processor
def setup_words() -> dict:
    """The words for an election's rule, weighting, order and state."""
    return {
        "rule_words": services.RULE_WORDS,
        "weighting_words": services.WEIGHTING_WORDS,
        "order_words": services.ORDER_WORDS,
        "election_state_words": services.STATE_WORDS,
    }


def _is_committee() -> bool:
    return Role.ADMIN in current_user.roles_in(g.conference.id)


def _setup_from(form: ElectionForm) -> Setup:
    """What the form says, times turned into UTC from the conference's zone."""
    zone = g.conference.timezone
    close, polls = form.nominations_close.data, form.polling_closes.data
    return Setup(
        title=form.title.data or "",
        seats=form.seats.data or 0,
        rule=form.rule.data,
        weighting=form.weighting.data,
        candidate_order=form.candidate_order.data,
        nominations_close_at=to_utc(close, zone) if close else None,
        polling_closes_at=to_utc(polls, zone) if polls else None,
        quotas=tuple(
            QuotaRow(
                name=row.form.name.data or "",
                minimum=row.form.minimum.data or 0,
                maximum=row.form.maximum.data,
                id=int(row.form.id.data) if (row.form.id.data or "").isdigit() else 0,
            )
            for row in form.quotas
        ),
    )


def _fill(form: ElectionForm, election: Election) -> None:
    """Put an election's setup in the form, with blank quota rows to add more."""
    zone = g.conference.timezone
    form.title.data = election.title
    form.seats.data = election.seats
    form.rule.data = election.rule
    form.weighting.data = election.weighting
    form.candidate_order.data = election.candidate_order
    if election.nominations_close_at:
        form.nominations_close.data = to_local(election.nominations_close_at, zone)
    if election.polling_closes_at:
        form.polling_closes.data = to_local(election.polling_closes_at, zone)
    while form.quotas.entries:
        form.quotas.pop_entry()
    for category in election.categories:
        form.quotas.append_entry(
            {
                "id": str(category.id),
                "name": category.name,
                "minimum": category.min_seats,
                "maximum": category.max_seats,
            }
        )
    for _ in range(BLANK_QUOTA_ROWS):
        form.quotas.append_entry()


@bp.route(f"{C}/elections")
@requires(*VIEWERS)
def elections(conference_id: int):
    """The conference's elections; the committee sets up a new one."""
    return _list_page(ElectionForm())


def _list_page(form: ElectionForm, status: int = 200):
    return render_template(
        "elections/elections.html",
        elections=services.elections(g.conference),
        form=form,
        committee=_is_committee(),
        my_groups=_my_groups(),
    ), status


def _my_groups() -> list[Group]:
    """The groups this user nominates for as their secretary."""
    ids = current_user.secretary_group_ids(g.conference.id)
    if not ids:
        return []
    return list(db.session.scalars(db.select(Group).where(Group.id.in_(ids)).order_by(Group.name)))


@bp.route(f"{C}/elections", methods=["POST"])
@requires(*COMMITTEE)
def new_election(conference_id: int):
    """Set up an election: it takes nominations at once."""
    form = ElectionForm()
    if form.validate_on_submit():
        try:
            election = services.create_election(g.conference, _setup_from(form), current_user)
        except ElectionError as problem:
            db.session.rollback()
            flash(str(problem), "error")
        else:
            db.session.commit()
            flash(f"{election.title} is set up and taking nominations.", "success")
            return redirect(_page(election))
    return _list_page(form, 422)


def _page(election: Election, **values) -> str:
    return url_for(
        "elections.election",
        conference_id=election.conference_id,
        election_id=election.id,
        **values,
    )


@bp.route(E)
@requires(*VIEWERS)
def election(conference_id: int, election_id: int):
    """The election's page: setup, quotas, candidates, state, and the next step."""
    election = of_conference_or_404(Election, election_id, conference_id)
    form = ElectionForm(formdata=None)
    _fill(form, election)
    return _election_page(election, form)


def _election_page(election: Election, form: ElectionForm, status: int = 200):
    return render_template(
        "elections/election.html",
        election=election,
        form=form,
        committee=_is_committee(),
        my_groups=_my_groups(),
        candidates=election.candidates,
        standing=services.standing(election),
        quota_problem=services.quota_problem(election),
        polling_problem=services.polling_problem(election),
        nominations_open=services.nominations_open(election),
        papers=services.papers(election),
        action_form=ActionForm(),
        draw_key=services.draw_key,
        groups=_group_names(election),
        withdraw_detail=withdraw_detail(election),
        open_question=open_question(election),
        open_detail=OPEN_DETAIL,
    ), status


@bp.route(E, methods=["POST"])
@requires(*COMMITTEE)
def edit_election(conference_id: int, election_id: int):
    """Change the setup while nominations are open."""
    election = of_conference_or_404(Election, election_id, conference_id)
    form = ElectionForm()
    if form.validate_on_submit():
        try:
            services.update_election(election, _setup_from(form), current_user)
        except ElectionError as problem:
            db.session.rollback()
            flash(str(problem), "error")
        else:
            db.session.commit()
            flash("Setup saved.", "success")
            if problem := services.quota_problem(election):
                flash(problem, "warning")
            return redirect(_page(election))
    return _election_page(election, form, 422)


# ---- nominations -----------------------------------------------------------------------------


def _candidate_form(election: Election, groups: list[Group]) -> CandidateForm:
    form = CandidateForm()
    form.group.choices = [(0, "No group")] + [(gr.id, gr.name) for gr in groups]
    form.categories.choices = [(c.id, c.name) for c in election.categories]
    if not register.has_register(election.conference_id):
        del form.membership_number, form.email
    return form


def _nominate(election: Election, groups: list[Group], *, by_committee: bool, action: str):
    """The nomination form, and what it does when sent."""
    form = _candidate_form(election, groups)
    if not by_committee:
        form.group.data = groups[0].id
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            group = next((gr for gr in groups if gr.id == form.group.data), None)
            try:
                candidate = services.nominate(
                    election,
                    name=form.name.data,
                    statement=form.statement.data or "",
                    group=group,
                    category_ids=form.categories.data or [],
                    actor=current_user,
                    by_committee=by_committee,
                    membership_number=_data(form, "membership_number"),
                    email=_data(form, "email"),
                )
            except ElectionError as problem:
                db.session.rollback()
                flash(str(problem), "error")
            else:
                db.session.commit()
                flash(f"{candidate.name} is nominated for {election.title}.", "success")
                match = register.candidate_matches(election).get(candidate.id)
                if match is None or match.ok:
                    return redirect(_page(election))
                # Only the committee's nomination stands against the register: say so, and
                # show it below the form with the place to record a reason.
                flash(
                    f"The register: {match.problem}. Polling cannot open until you record a "
                    f"reason to accept {candidate.name}, or they withdraw.",
                    "warning",
                )
                return redirect(action + f"#candidate-{candidate.id}")
        status = 422
    return render_template(
        "elections/nominate.html",
        election=election,
        form=form,
        action=action,
        by_committee=by_committee,
        group=None if by_committee else groups[0],
        open_for_nominations=services.nominations_open(election) or by_committee,
        # The committee sees every candidate the register is asked about, and accepts them.
        register=register.candidate_matches(election) if by_committee else {},
        group_names=_group_names(election) if by_committee else {},
    ), status


def _data(form: CandidateForm, name: str) -> str:
    """A field's text, or "" when the form does not ask it (no register)."""
    return (form[name].data or "") if name in form else ""


@bp.route(f"{E}/nominate", methods=["GET", "POST"])
@requires(*COMMITTEE)
def nominate(conference_id: int, election_id: int):
    """The committee adds a candidate, for any group or none."""
    election = of_conference_or_404(Election, election_id, conference_id)
    groups = list(
        db.session.scalars(
            db.select(Group).where(Group.conference_id == conference_id).order_by(Group.name)
        )
    )
    action = url_for("elections.nominate", conference_id=conference_id, election_id=election.id)
    return _nominate(election, groups, by_committee=True, action=action)


@bp.route(f"{E}/groups/<int:group_id>/nominate", methods=["GET", "POST"])
@requires(Role.SECRETARY, Role.ADMIN)
def group_nominate(conference_id: int, election_id: int, group_id: int):
    """A group's secretary nominates for their group, until nominations close."""
    election = of_conference_or_404(Election, election_id, conference_id)
    group = group_or_404(group_id)
    if group.conference_id != conference_id:
        abort(404)
    action = url_for(
        "elections.group_nominate",
        conference_id=conference_id,
        election_id=election.id,
        group_id=group.id,
    )
    return _nominate(election, [group], by_committee=False, action=action)


@bp.route(f"{E}/withdraw", methods=["POST"])
@requires(*COMMITTEE)
def withdraw(conference_id: int, election_id: int):
    """A candidate withdraws (the committee records it)."""
    election = of_conference_or_404(Election, election_id, conference_id)
    target = _page(election)
    number = request.form.get("candidate", type=int)
    candidate = db.session.get(Candidate, number) if number and number < 2**31 else None
    if not ActionForm().validate_on_submit() or candidate is None:
        flash("Choose a candidate to withdraw.", "error")
        return redirect(target)
    if candidate.election_id != election.id:
        abort(404)
    question = ask_first(
        f"Withdraw {candidate.name} from {election.title}?",
        "Yes, withdraw",
        back=target,
        detail=withdraw_detail(election),
    )
    if question is not None:
        return question
    try:
        services.withdraw(election, candidate, current_user)
    except ElectionError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        db.session.commit()
        flash(f"{candidate.name} has withdrawn.", "success")
    return redirect(target)


def withdraw_detail(election: Election) -> str:
    """What withdrawing does now (the page's dialog says the same)."""
    if election.state == "nominations":
        return "They will not be on the ballot paper."
    return "Their name stays on the printed paper; the count passes over them."


# ---- opening the poll --------------------------------------------------------------------------


def open_question(election: Election) -> str:
    """What the committee is asked before polling opens (the page's dialog says the same)."""
    return f"Open polling for {election.title}?"


OPEN_DETAIL = (
    "The order of the paper is fixed, the seed is drawn and papers are issued to the "
    "delegates inside now. Nominations close and the setup can no longer change."
)


@bp.route(f"{E}/open", methods=["POST"])
@requires(*COMMITTEE)
def open_polling(conference_id: int, election_id: int):
    """Open polling: fix the paper, draw the seed, issue the papers."""
    election = of_conference_or_404(Election, election_id, conference_id)
    target = _page(election)
    if not ActionForm().validate_on_submit():
        return redirect(target)
    # A refusal is answered at once, saying why, rather than after a question.
    problem = services.polling_problem(election)
    if problem is None and not services.papers_to_issue(election):
        problem = "No voting delegate is inside: polling opens once delegates are admitted."
    if problem:
        flash(problem, "error")
        return redirect(target)
    if (
        question := ask_first(
            open_question(election), "Yes, open polling", back=target, detail=OPEN_DETAIL
        )
    ) is not None:
        return question
    try:
        count = services.open_polling(election, current_user)
    except ElectionError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        db.session.commit()
        flash(f"Polling is open: {count:,} papers issued. The seed is {election.seed}.", "success")
    return redirect(target)


# ---- the ballot paper ----------------------------------------------------------------------------


@bp.route(f"{E}/paper.pdf")
@requires(*READERS)
def paper_pdf(conference_id: int, election_id: int):
    """The ballot papers, one a page; `?sample=1`: one specimen paper."""
    election = of_conference_or_404(Election, election_id, conference_id)
    sample = request.args.get("sample") == "1"
    if election.state == "nominations":
        if not sample:
            flash("Papers are issued when polling opens; until then, print the specimen.", "error")
            return redirect(_page(election))
        order = services.alphabetical(services.standing(election))  # no draw before polling
        issued = [None]
    else:
        order = [c for c in election.candidates if c.position is not None]
        issued = [None] if sample else services.papers(election)
    html = render_template(
        "elections/paper_pdf.html",
        election=election,
        candidates=order,
        issued=issued,
        weighted=election.weighting != ElectionWeighting.ONE_EACH,
        groups=_group_names(election),
        sample=sample,
    )
    name = f"election-{election.id}-{'specimen' if sample else 'papers'}.pdf"
    return download(html_to_pdf(html), name, "application/pdf")


def _group_names(election: Election) -> dict[int, str]:
    ids = {c.group_id for c in election.candidates if c.group_id}
    if not ids:
        return {}
    return dict(db.session.execute(db.select(Group.id, Group.name).where(Group.id.in_(ids))).all())
