"""Forms of an election's setup and its nominations."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from confapp.elections.services import (
    MAX_SEATS,
    ORDER_WORDS,
    RULE_WORDS,
    STATEMENT_LIMIT,
    WEIGHTING_WORDS,
)

BLANK_QUOTA_ROWS = 2  # empty rows under the categories so far, to add more without script


class QuotaRowForm(Form):
    """One quota category: its name and the seats it must or may hold."""

    id = HiddenField(default="0")
    name = StringField("Category", validators=[Optional(), Length(max=100)])
    minimum = IntegerField(
        "At least", default=0, validators=[Optional(), NumberRange(0, MAX_SEATS)]
    )
    maximum = IntegerField(
        "At most", validators=[Optional(), NumberRange(0, MAX_SEATS)], description="Blank: no limit"
    )


class ElectionForm(FlaskForm):
    """The committee's setup of an election: seats, rule, weighting, order, deadlines, quotas."""

    title = StringField(
        "Title", validators=[DataRequired(), Length(max=300)], description="e.g. National committee"
    )
    seats = IntegerField(
        "Seats to fill", default=1, validators=[InputRequired(), NumberRange(1, MAX_SEATS)]
    )
    rule = SelectField("Rule", choices=list(RULE_WORDS.items()))
    weighting = SelectField("Each paper carries", choices=list(WEIGHTING_WORDS.items()))
    candidate_order = SelectField("Order of names on the paper", choices=list(ORDER_WORDS.items()))
    nominations_close = DateTimeLocalField(
        "Nominations close",
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description="In the conference's time zone. Blank: open until polling opens.",
    )
    polling_closes = DateTimeLocalField(
        "Polling closes",
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description="In the conference's time zone. Optional.",
    )
    quotas = FieldList(FormField(QuotaRowForm), min_entries=BLANK_QUOTA_ROWS)


class MultiCheckboxField(SelectMultipleField):
    """Several ticks: a list of checkboxes rather than a multiple select."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CandidateForm(FlaskForm):
    """A nomination: the candidate's name, statement, group and categories."""

    name = StringField("Candidate's name", validators=[DataRequired(), Length(max=200)])
    statement = TextAreaField(
        "Statement",
        description=f"At most {STATEMENT_LIMIT:,} characters, shown to the conference.",
        render_kw={"rows": 8},
    )
    group = SelectField("Nominated by", coerce=int, default=0, choices=[(0, "No group")])
    # Asked only when the conference has a register: a group's candidate must be its member.
    membership_number = StringField(
        "Membership number",
        validators=[Optional(), Length(max=40)],
        description="As on their membership card.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    email = StringField(
        "Or their e-mail on the register",
        validators=[Optional(), Length(max=254)],
        description="Used only to find them on the register when the number is not known.",
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )
    categories = MultiCheckboxField("Categories the candidate belongs to", coerce=int, choices=[])
