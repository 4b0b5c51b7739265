"""Forms of the committee's door tools (CSRF on each)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length


class DoorForm(FlaskForm):
    """Add a door."""

    name = StringField("Door", validators=[DataRequired(), Length(max=100)])


class TokenForm(FlaskForm):
    """Make a scanner token for a door."""

    door = SelectField("Door", coerce=int, validators=[DataRequired()])
    label = StringField(
        "Scanner",
        validators=[Length(max=100)],
        description="Which device this is, e.g. 'Handheld 3' (optional).",
    )


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
