"""The secretary's forms: a person to register, a substitution to ask for."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

MEETING_KINDS = [
    "Branch meeting",
    "Annual general meeting",
    "Special general meeting",
    "Ballot of members",
    "Executive committee",
]


class PersonForm(FlaskForm):
    """One person: who they are, which seat, the equality facts the rule needs, their election."""

    name = StringField(
        "Full name",
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        "E-mail",
        validators=[DataRequired(), Length(max=254)],
        description="Their badge link is sent here.",
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    membership_number = StringField(
        "Membership number (optional)",
        validators=[Optional(), Length(max=40)],
        description="As on their membership card. Without it they are found by e-mail.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    phone = TelField(
        "Phone (optional)",
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    seat = SelectField("Seat", validators=[Optional()])
    is_woman = BooleanField("Woman")
    is_young = BooleanField("Young member")
    is_low_paid = BooleanField("Low-paid member")
    elected_on = DateField("Date of the meeting that elected them", validators=[Optional()])
    elected_at = StringField(
        "Kind of meeting",
        validators=[Optional(), Length(max=200)],
        render_kw={"list": "meeting-kinds"},
    )

    def keep_only(
        self, facts: set[str], seats: list[tuple[str, str]] | None, register: bool = False
    ) -> None:
        """Drop the equality questions the rule does not ask, the seat for non-delegates, and
        the membership number unless the register checks this person (`register`)."""
        if not register:
            delattr(self, "membership_number")
        for fact, field in (
            ("woman", "is_woman"),
            ("young", "is_young"),
            ("low_paid", "is_low_paid"),
        ):
            if fact not in facts:
                delattr(self, field)
        if seats is None:
            delattr(self, "seat")
        else:
            self.seat.choices = seats


class WithdrawForm(FlaskForm):
    """Why a person is taken off the delegation (optional)."""

    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=300)])


class SubstitutionForm(PersonForm):
    """Who steps in for a delegate, and why."""

    incoming = RadioField("Who replaces them", validators=[DataRequired()])
    reason = TextAreaField(
        "Reason for the substitution",
        validators=[DataRequired(), Length(max=500)],
        render_kw={"rows": 3},
    )
    name = StringField("Full name", validators=[Optional(), Length(max=200)])
    email = EmailField("E-mail", validators=[Optional(), Length(max=254)])
