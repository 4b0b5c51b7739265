"""Forms of the floor: a new ballot (buttons use checkin.forms.ActionForm, CSRF only)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

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
