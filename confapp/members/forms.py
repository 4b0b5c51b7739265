"""Forms of members' ballots: the setup, a question, bounces, and the members' own two forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from confapp.members.ballots import (
    ELECTORATE_WORDS,
    KIND_WORDS,
    LABEL_LIMIT,
    MAJORITY_WORDS,
    MAX_SEATS,
    RULE_WORDS,
    TITLE_LIMIT,
)

BLANK_QUOTA_ROWS = 3
LOCAL = "In the conference's time zone."


class BallotForm(FlaskForm):
    """A members' ballot: title, times, freeze date and electorate."""

    title = StringField(
        "Title",
        validators=[DataRequired(), Length(max=TITLE_LIMIT)],
        description="e.g. Referendum on affiliation",
    )
    description = TextAreaField(
        "Description", description="Shown to members above the questions.", render_kw={"rows": 3}
    )
    opens = DateTimeLocalField(
        "Voting opens", format="%Y-%m-%dT%H:%M", validators=[InputRequired()], description=LOCAL
    )
    closes = DateTimeLocalField(
        "Voting closes", format="%Y-%m-%dT%H:%M", validators=[InputRequired()], description=LOCAL
    )
    frozen_on = DateField(
        "Freeze date",
        validators=[InputRequired()],
        description="Members in good standing on this day may vote.",
    )
    electorate = RadioField("Who votes", choices=list(ELECTORATE_WORDS.items()), default="all")
    region = SelectField("Region", choices=[], validate_choice=False)
    group = SelectField("Group", choices=[], validate_choice=False)
    section = SelectField("Section", choices=[], validate_choice=False)


class QuotaRowForm(Form):
    """One quota category of an election: its name and the seats it must or may hold."""

    name = StringField("Category", validators=[Optional(), Length(max=100)])
    minimum = IntegerField("At least", validators=[Optional(), NumberRange(0, MAX_SEATS)])
    maximum = IntegerField(
        "At most", validators=[Optional(), NumberRange(0, MAX_SEATS)], description="Blank: no limit"
    )


class QuestionForm(FlaskForm):
    """A question on the paper; the fields of the other kinds are ignored."""

    kind = SelectField("Kind of question", choices=list(KIND_WORDS.items()), default="yes_no")
    title = StringField(
        "Question",
        validators=[DataRequired(), Length(max=TITLE_LIMIT)],
        description="For an election, the post: e.g. National committee.",
    )
    text = TextAreaField("Explanation", description="Optional.", render_kw={"rows": 3})
    majority = SelectField("Majority", choices=list(MAJORITY_WORDS.items()), default="simple")
    turnout_threshold = IntegerField(
        "Turnout threshold (%)",
        validators=[Optional(), NumberRange(1, 100)],
        description="Carried only if at least this share of the electorate votes. Blank: none.",
    )
    max_choices = IntegerField("Members choose up to", validators=[Optional(), NumberRange(1, 200)])
    options = TextAreaField(
        "Options or candidates",
        description=(
            f"One a line, at most {LABEL_LIMIT} characters each. For an election: "
            "Name | category, category (e.g. Asha Patel | Women, Young)."
        ),
        render_kw={"rows": 6},
    )
    seats = IntegerField("Seats to fill", validators=[Optional(), NumberRange(1, MAX_SEATS)])
    rule = SelectField("Counted by", choices=list(RULE_WORDS.items()), default="scottish")
    quotas = FieldList(FormField(QuotaRowForm), min_entries=BLANK_QUOTA_ROWS)


class BouncesForm(FlaskForm):
    """Addresses the relay reported back as undeliverable."""

    addresses = TextAreaField(
        "Addresses reported back",
        validators=[DataRequired()],
        description="One a line (or separated by commas), as the relay's report lists them.",
        render_kw={"rows": 5},
    )


class MemberDetailsForm(FlaskForm):
    """A member names themselves: membership number and the e-mail on the register."""

    number = StringField(
        "Membership number",
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        "E-mail address",
        validators=[DataRequired(), Length(max=254)],
        description="The address the register holds for you.",
        render_kw={"autocomplete": "email"},
    )
