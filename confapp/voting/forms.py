"""Forms of the floor: a new ballot, the chair's steps, a teller's entry.

Buttons that only change something carry checkin.forms.ActionForm (CSRF only).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectField, StringField
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, Length, Optional

KINDS = [
    ("motion", "Motion"),
    ("composite", "Composite"),
    ("rule_change", "Rule change (always a card vote)"),
    ("emergency_motion", "Emergency motion"),
]
MAJORITIES = [
    ("simple", "Simple majority (more for than against)"),
    ("two_thirds", "Two-thirds of the votes cast"),
    ("3/5", "Three-fifths of the votes cast"),
]
MODES = [
    ("block", "Block: each delegation casts its whole vote one way"),
    ("split", "Split: each delegate present votes an equal share"),
]


class BallotForm(FlaskForm):
    """Put a motion or rule change to the conference."""

    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    session = StringField(
        "Session", validators=[Length(max=100)], description="e.g. Saturday morning"
    )
    kind = SelectField("Kind", choices=KINDS)
    majority = SelectField("Majority required", choices=MAJORITIES)
    mode = SelectField("Card vote", choices=MODES)


class StepForm(FlaskForm):
    """A button of the chair's: the step it takes (show of hands, open, close, declare, ...)."""

    step = StringField()


class DelegateChoicesField(Field):
    """Split mode's ticks, one input per delegate named `<name>-<delegate id>`: {id: choice}."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        """Gather every input of this field's name, one per delegate on the count sheet."""
        self.process_errors = []
        self.data = {}
        prefix = f"{self.name}-"
        for key in formdata or ():
            number = key.removeprefix(prefix)
            if key.startswith(prefix) and number.isdigit():
                self.data[int(number)] = formdata.get(key)


class EntryForm(FlaskForm):
    """One delegation's vote on a teller's count, as the count sheet's buttons send it.

    The sheet is one form for all its rows (one CSRF field, not 2,000), so each button says
    both which delegation and what: tap = "<group id>:<choice>". group + choice say the same.
    """

    tap = StringField()
    group = IntegerField(validators=[Optional()])
    # for, against, abstain or none (checked by the service): the whole delegation's vote;
    # in split mode "each" takes every delegate's own choice from the delegate-<id> fields.
    choice = StringField()
    delegate = DelegateChoicesField()  # split mode: delegate-<id> = each present delegate's
    card = StringField()  # the card scanned to find the delegation, if one was

    def tapped(self) -> tuple[int | None, str]:
        """The delegation (None if the request named none) and the choice the teller tapped."""
        if self.tap.data:
            group, _, choice = self.tap.data.partition(":")
            return (int(group) if group.isdigit() and len(group) < 10 else None), choice
        return self.group.data, self.choice.data or ""
