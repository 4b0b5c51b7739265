"""The group secretary's pages: the delegation, registering, submitting, substituting.

Each change is a use case of registration/services.py, which flushes; the view commits once,
or rolls back and shows the refusal.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from confapp.auth.access import delegate_or_404, group_or_404
from confapp.confirm import ask_first
from confapp.extensions import db
from confapp.members import standing
from confapp.models import (
    BASE_SEAT,
    VOTING_PASSES,
    Credential,
    Group,
    PassType,
    Status,
    Substitution,
    SubstitutionStatus,
)
from confapp.registration import places, rules, services
from confapp.registration.forms import MEETING_KINDS, PersonForm, SubstitutionForm, WithdrawForm
from confapp.registration.services import PersonDetails, RegistrationError

bp = Blueprint("registration", __name__)

NEW_PERSON = "new"
DELETE_DETAIL = "A draft the committee has not seen: the entry and what you typed are removed."


def _seat_choices(group: Group) -> list[tuple[str, str]]:
    available = rules.seats_available(group.entitlement)
    return [(seat, "Delegate" if seat == BASE_SEAT else seat.capitalize()) for seat in available]


def _person_form(group: Group, pass_type: str, form_class=PersonForm, **kwargs):
    form = form_class(**kwargs)
    seats = _seat_choices(group) if pass_type == PassType.DELEGATE else None
    # The number is asked only of those the register checks: delegates and alternates.
    register = pass_type in VOTING_PASSES and standing.has_register(group.conference_id)
    form.keep_only(rules.facts_asked(group.conference.rule), seats, register=register)
    return form


def _details(form, pass_type: str, number: str = "") -> PersonDetails:
    """What the form says; `number`: the membership number kept when the form does not ask."""
    return PersonDetails(
        membership_number=(
            form.membership_number.data or "" if "membership_number" in form else number
        ),
        name=form.name.data or "",
        email=form.email.data or "",
        phone=(form.phone.data or "").strip(),
        pass_type=pass_type,
        seat=form.seat.data if "seat" in form else None,
        is_woman=form.is_woman.data if "is_woman" in form else None,
        is_young=form.is_young.data if "is_young" in form else None,
        is_low_paid=form.is_low_paid.data if "is_low_paid" in form else None,
        elected_on=form.elected_on.data,
        elected_at=(form.elected_at.data or "").strip(),
    )


@bp.route("/groups/<int:group_id>")
@login_required
def delegation(group_id: int):
    """The group's entitlement, deadline and delegation as it stands."""
    group = group_or_404(group_id)
    people = places.delegation(group)
    holding = places.holding_places(group)
    conference = group.conference
    facts = places.delegation_facts(conference.rule, group.members, group.entitlement, holding)
    substitutions = (
        db.session.execute(
            db.select(Substitution)
            .where(Substitution.group_id == group.id)
            .order_by(Substitution.requested_at.desc())
        )
        .scalars()
        .all()
    )
    badges = {
        c.delegate_id: c
        for c in db.session.execute(
            db.select(Credential).where(
                Credential.delegate_id.in_([p.id for p in people]), Credential.revoked_at.is_(None)
            )
        ).scalars()
    }
    return render_template(
        "registration/delegation.html",
        group=group,
        people=people,
        badges=badges,
        seats=facts.seats,
        used=facts.used,
        alternates=sum(1 for d in holding if d.pass_type == PassType.ALTERNATE),
        sentence=facts.sentence,
        problems=facts.problems,
        drafts=sum(1 for d in people if d.status == Status.DRAFT),
        facts=rules.facts_asked(conference.rule),
        substitutions=substitutions,
        pending_ids={
            s.incoming_id for s in substitutions if s.status == SubstitutionStatus.PENDING
        },
        register=standing.matches(conference, people),
        withdraw_form=WithdrawForm(),
        withdraw_detail=_withdraw_detail,
        delete_detail=DELETE_DETAIL,
        unsent=services.is_unsent_draft,
    )


@bp.route("/groups/<int:group_id>/people/new/<pass_type>", methods=["GET", "POST"])
@login_required
def register(group_id: int, pass_type: str):
    """Add a delegate, alternate, visitor or observer."""
    group = group_or_404(group_id)
    if pass_type not in {p.value for p in PassType} - {PassType.PRESS, PassType.STAFF}:
        abort(404)
    form = _person_form(group, pass_type)
    if request.method == "GET" and "seat" in form and request.args.get("seat"):
        form.seat.data = request.args["seat"]
    if form.validate_on_submit():
        try:
            person = services.register(group, _details(form, pass_type), current_user)
        except RegistrationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(
                f"{person.name} added as {person.seat_label} (draft: submit when ready).", "success"
            )
            _warn_register(person)
            return redirect(url_for("registration.delegation", group_id=group.id))
    return render_template(
        "registration/person_form.html",
        form=form,
        group=group,
        pass_type=pass_type,
        person=None,
        meeting_kinds=MEETING_KINDS,
    )


def _warn_register(person) -> None:
    """Say at once what the register says against a person, not only when submitting."""
    match = standing.matches(person.group.conference, [person]).get(person.id)
    if match is not None and not match.ok:
        flash(
            f"The register: {match.problem}. {person.name} cannot be submitted until this is "
            "put right (or the credentials committee accepts them).",
            "warning",
        )


@bp.route("/groups/<int:group_id>/people/<int:delegate_id>/edit", methods=["GET", "POST"])
@login_required
def edit(group_id: int, delegate_id: int):
    """Correct a draft or rejected registration."""
    group = group_or_404(group_id)
    person = delegate_or_404(group, delegate_id)
    form = _person_form(group, person.pass_type, obj=person)
    if form.validate_on_submit():
        try:
            services.update(
                person,
                _details(form, person.pass_type, person.membership_number),
                current_user,
            )
        except RegistrationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"{person.name} saved (draft: submit when ready).", "success")
            _warn_register(person)
            return redirect(url_for("registration.delegation", group_id=group.id))
    return render_template(
        "registration/person_form.html",
        form=form,
        group=group,
        pass_type=person.pass_type,
        person=person,
        meeting_kinds=MEETING_KINDS,
    )


@bp.route("/groups/<int:group_id>/people/<int:delegate_id>/withdraw", methods=["POST"])
@login_required
def withdraw(group_id: int, delegate_id: int):
    """Take a person the committee has seen off the delegation, once the secretary confirms."""
    group = group_or_404(group_id)
    person = delegate_or_404(group, delegate_id)
    back = url_for("registration.delegation", group_id=group.id)
    try:
        services.check_withdraw(person, current_user)
    except RegistrationError as exc:
        flash(str(exc), "error")
        return redirect(back)
    question = ask_first(
        f"Withdraw {person.name}?", "Yes, withdraw", back=back, detail=_withdraw_detail(person)
    )
    if question is not None:
        return question
    try:
        services.withdraw(person, current_user, WithdrawForm().reason.data or "")
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{person.name} withdrawn.", "success")
    return redirect(back)


def _withdraw_detail(person) -> str:
    """What withdrawing this person undoes, in the words the question page and dialog use."""
    if person.status == Status.APPROVED:
        return (
            f"{person.name} is approved: their badge stops working at the door, and their "
            "place is free for someone else. To bring them back, register them again for "
            "the committee to approve."
        )
    return (
        f"The committee will not decide on {person.name}, and their place is free for someone "
        "else. To bring them back, register them again."
    )


@bp.route("/groups/<int:group_id>/people/<int:delegate_id>/delete", methods=["POST"])
@login_required
def delete(group_id: int, delegate_id: int):
    """Delete a draft never sent to the committee, once the secretary confirms."""
    group = group_or_404(group_id)
    person = delegate_or_404(group, delegate_id)
    back = url_for("registration.delegation", group_id=group.id)
    try:
        services.check_delete(person, current_user)
    except RegistrationError as exc:
        flash(str(exc), "error")
        return redirect(back)
    question = ask_first(f"Delete {person.name}?", "Yes, delete", back=back, detail=DELETE_DETAIL)
    if question is not None:
        return question
    name = person.name
    try:
        services.delete_draft(person, current_user)
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{name} deleted.", "success")
    return redirect(back)


@bp.route("/groups/<int:group_id>/submit", methods=["POST"])
@login_required
def submit(group_id: int):
    """Send the drafts to the credentials committee."""
    group = group_or_404(group_id)
    try:
        sent = services.submit(group, current_user)
    except RegistrationError as exc:
        db.session.rollback()
        flash(f"Not submitted: {exc}", "error")
    else:
        db.session.commit()
        flash(f"Submitted {len(sent)} to the credentials committee.", "success")
    return redirect(url_for("registration.delegation", group_id=group.id))


@bp.route("/groups/<int:group_id>/people/<int:delegate_id>/substitute", methods=["GET", "POST"])
@login_required
def substitute(group_id: int, delegate_id: int):
    """Ask the committee to replace a delegate with an alternate or a new person."""
    group = group_or_404(group_id)
    outgoing = delegate_or_404(group, delegate_id)
    form = _person_form(group, PassType.DELEGATE, form_class=SubstitutionForm)
    del form.seat  # the incoming person takes the outgoing delegate's seat
    alternates = [
        d
        for d in places.holding_places(group)
        if d.pass_type == PassType.ALTERNATE and d.status != Status.DRAFT
    ]
    form.incoming.choices = [
        (str(a.id), f"{a.name} (alternate {a.alternate_rank})") for a in alternates
    ]
    form.incoming.choices.append((NEW_PERSON, "Someone new"))
    if form.validate_on_submit():
        alternate = details = None
        if form.incoming.data == NEW_PERSON:
            details = _details(form, PassType.DELEGATE)
        else:
            alternate = next((a for a in alternates if str(a.id) == form.incoming.data), None)
        try:
            if details is not None and not (details.name and details.email):
                raise RegistrationError("Enter the new person's name and e-mail.")
            services.request_substitution(
                outgoing, current_user, form.reason.data, alternate=alternate, details=details
            )
        except RegistrationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("Substitution requested: the credentials committee will decide.", "success")
            return redirect(url_for("registration.delegation", group_id=group.id))
    return render_template(
        "registration/substitute.html",
        form=form,
        group=group,
        outgoing=outgoing,
        meeting_kinds=MEETING_KINDS,
    )
