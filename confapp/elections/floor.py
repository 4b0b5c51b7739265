"""Papers entered by two tellers and reconciled, the count run, the chair's declaration."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from confapp.auth.access import of_conference_or_404, requires
from confapp.checkin.forms import ActionForm
from confapp.confirm import ask_first
from confapp.elections import entries, running
from confapp.elections.entries import EntryError
from confapp.elections.running import RunError
from confapp.elections.views import COMMITTEE, FLOOR, E, bp
from confapp.extensions import db
from confapp.models import Election, ElectionState


def _election(conference_id: int, election_id: int) -> Election:
    return of_conference_or_404(Election, election_id, conference_id)


def _sheet_arg() -> int | None:
    """The sheet asked for (1 or 2), if the request names one."""
    sheet = request.values.get("sheet", type=int)
    return sheet if sheet in entries.SHEETS else None


@bp.route(f"{E}/enter")
@requires(*FLOOR)
def enter(conference_id: int, election_id: int):
    """A teller's sheet: paper number, then preferences, from the keyboard; the last entries."""
    election = _election(conference_id, election_id)
    mine = entries.sheet_of(election, current_user)
    sheet = mine or _sheet_arg()
    names = entries.paper_names(election)
    last = entries.last_entries(election, sheet) if sheet else []
    return render_template(
        "elections/enter.html",
        election=election,
        sheet=sheet,
        my_sheet=mine,
        keepers=entries.keepers(election),
        names=names,
        last=[(e, entries.in_words(entries.from_text(e.preferences), names)) for e in last],
        entered=len(entries.current_entries(election, sheet)) if sheet else 0,
        papers=len(entries.papers(election)),
        open_for_entry=election.state == ElectionState.POLLING,
        form=ActionForm(),
    )


@bp.route(f"{E}/enter", methods=["POST"])
@requires(*FLOOR)
def enter_paper(conference_id: int, election_id: int):
    """Enter (or correct) one paper; the answer is the sheet again, ready for the next paper."""
    election = _election(conference_id, election_id)
    sheet = _sheet_arg()
    target = url_for(
        "elections.enter", conference_id=conference_id, election_id=election.id, sheet=sheet
    )
    number_text = request.form.get("paper", "").strip()
    typed = request.form.get("preferences", "")
    try:
        if not ActionForm().validate_on_submit():
            raise EntryError("The form had expired: type the paper again.")
        if sheet is None:
            raise EntryError("Choose sheet 1 or sheet 2.")
        if number_text and not (number_text.isdigit() and len(number_text) < 9):
            raise EntryError(f"“{number_text[:20]}” is not a paper number.")
        done = entries.enter_paper(
            election,
            current_user,
            sheet,
            int(number_text) if number_text else None,
            typed,
            blank=request.form.get("blank") == "yes",
        )
    except EntryError as problem:
        db.session.rollback()
        flash(str(problem), "error")
        # Keep what was typed, so the teller corrects rather than retypes.
        return redirect(
            url_for(
                "elections.enter",
                conference_id=conference_id,
                election_id=election_id,
                sheet=sheet,
                paper=number_text[:9],
                typed=typed[:100],
            )
        )
    db.session.commit()
    word = "corrected" if done.corrected else "entered"
    flash(f"Paper {done.paper.number} {word}: {done.words}.", "success")
    for warning in done.warnings:
        flash(warning, "warning")
    return redirect(target)


@bp.route(f"{E}/reconcile")
@requires(*FLOOR)
def reconcile(conference_id: int, election_id: int):
    """The two sheets compared: papers that differ, on one sheet only, not returned; the count."""
    election = _election(conference_id, election_id)
    return render_template(
        "elections/reconcile.html",
        election=election,
        check=entries.reconcile(election),
        names=entries.paper_names(election),
        words=entries.in_words,
        from_text=entries.from_text,
        elected=running.elected_names(election),
        on_projector=running.on_projector(election),
        committee=any(r in current_user.roles_in(conference_id) for r in COMMITTEE)
        or current_user.is_site_admin,
        form=ActionForm(),
    )


def _back(conference_id: int, election_id: int) -> str:
    return url_for("elections.reconcile", conference_id=conference_id, election_id=election_id)


@bp.route(f"{E}/count", methods=["POST"])
@requires(*COMMITTEE)
def run_count(conference_id: int, election_id: int):
    """Run the count on the agreed papers (asks first); a refusal is answered at once."""
    election = _election(conference_id, election_id)
    back = _back(conference_id, election_id)
    if not ActionForm().validate_on_submit():
        return redirect(back)
    refusal = _count_refusal(election)
    if refusal is None and (
        question := ask_first(
            f"Run the count of {election.title}?",
            "Yes, run the count",
            back=back,
            detail="The count reads the papers both sheets agree on. "
            "Until the chair declares, it can run again.",
        )
    ):
        return question
    try:
        result = running.run_count(election, current_user)
    except RunError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        db.session.commit()
        names = ", ".join(result.candidates[n - 1] for n in result.elected)
        flash(f"Counted: elected {names}. The chair may now declare.", "success")
    return redirect(back)


def _count_refusal(election: Election) -> str | None:
    """Why the count would be refused now (asked before the question, so it is said at once)."""
    if election.state == ElectionState.DECLARED:
        return "declared"
    if election.state == ElectionState.NOMINATIONS:
        return "nominations"
    return entries.reconcile(election).refusal()


@bp.route(f"{E}/declare", methods=["POST"])
@requires(*COMMITTEE)
def declare(conference_id: int, election_id: int):
    """The chair declares the counted result (asks first); then nothing changes it."""
    election = _election(conference_id, election_id)
    back = _back(conference_id, election_id)
    if not ActionForm().validate_on_submit():
        return redirect(back)
    if election.state == ElectionState.COUNTED and (
        question := ask_first(
            f"Declare the result of {election.title}?",
            "Yes, declare",
            back=back,
            detail=f"Elected: {', '.join(running.elected_names(election))}. Once declared "
            "nothing can be entered or counted again.",
        )
    ):
        return question
    try:
        running.declare(election, current_user)
    except RunError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        db.session.commit()
        flash(f"Declared: {', '.join(running.elected_names(election))} elected.", "success")
    return redirect(back)


@bp.route(f"{E}/project", methods=["POST"])
@requires(*COMMITTEE)
def project(conference_id: int, election_id: int):
    """Put the declared result on the hall's screen, or take it off (show=off)."""
    election = _election(conference_id, election_id)
    back = _back(conference_id, election_id)
    if not ActionForm().validate_on_submit():
        return redirect(back)
    off = request.form.get("show") == "off"
    try:
        running.show_on_projector(g.conference, None if off else election, current_user)
    except RunError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        db.session.commit()
        flash("Taken off the projector." if off else "On the projector.", "success")
    return redirect(back)
