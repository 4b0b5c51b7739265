"""Forms of the credentials committee: a conference with its rules, an upload, a new user."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
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
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

ROUNDING_CHOICES = [
    ("up", "up (“or part thereof”)"),
    ("down", "down (whole steps only)"),
    ("nearest", "to nearest (halves up)"),
]
FIGURE_CHOICES = [
    ("women_members", "women members"),
    ("young_members", "young members"),
    ("members", "members"),
]
FILLED_BY_CHOICES = [
    ("anyone", "anyone"),
    ("woman", "a woman"),
    ("young", "a young member"),
    ("low_paid", "a low-paid member"),
]
SECTION_ROWS = 4
RESERVED_ROWS = 3
DEFAULT_SAMPLES = "1\n100\n749\n750\n1000, 500, 120\n1750, 900, 300\n10000, 5200, 1400"


def _known_timezone(form, field):
    try:
        ZoneInfo(field.data)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"{field.data!r} is not a known time zone, e.g. Europe/London"
        ) from exc


class SectionForm(Form):
    """One section of the conference; a blank name leaves the row unused."""

    name = StringField("Section", validators=[Optional(), Length(max=100)])
    weight = IntegerField(
        "Weight %", validators=[Optional(), NumberRange(0, 100)], description="blank: unweighted"
    )


class ReservedSeatForm(Form):
    """One reserved extra seat outside the cap; a blank label leaves the row unused."""

    label = StringField("Seat", validators=[Optional(), Length(max=100)])
    figure = SelectField("If the group's", choices=FIGURE_CHOICES, default="women_members")
    at_least = IntegerField("are at least", validators=[Optional(), NumberRange(min=0)])
    seats = IntegerField("Seats", default=1, validators=[Optional(), NumberRange(min=1, max=20)])
    filled_by = SelectField("Filled by", choices=FILLED_BY_CHOICES, default="anyone")


class RuleForm(FlaskForm):
    """The entitlement and card-vote rule; also what the live preview reads."""

    formula = RadioField(
        "Base formula",
        choices=[("steps", "First band + steps"), ("bands", "Band table")],
        default="steps",
    )
    first = IntegerField(
        "First band (members)",
        default=0,
        validators=[Optional(), NumberRange(min=0)],
        description="1 delegate for the first this many members; 0 for “1 per step”.",
    )
    step = IntegerField(
        "Then 1 more per (members)", default=100, validators=[Optional(), NumberRange(min=1)]
    )
    rounding = SelectField("Rounding", choices=ROUNDING_CHOICES, default="up")
    bands = TextAreaField(
        "Band table",
        description="One row a line: “up to N members: D delegates” as N: D, last row may be *: D.",
        render_kw={"rows": 5, "placeholder": "100: 1\n300: 2\n*: 3"},
    )
    minimum = IntegerField("Minimum delegates", default=1, validators=[Optional(), NumberRange(0)])
    cap = IntegerField(
        "Cap on base delegates",
        validators=[Optional(), NumberRange(min=0)],
        description="blank: no cap",
    )
    reserved = FieldList(FormField(ReservedSeatForm), min_entries=RESERVED_ROWS)
    women_every_second = BooleanField("At least every second base delegate a woman")
    low_paid_from = IntegerField(
        "Low-paid member required from (delegates)", validators=[Optional(), NumberRange(min=1)]
    )
    young_from = IntegerField(
        "Young member required from (delegates)", validators=[Optional(), NumberRange(min=1)]
    )
    max_alternates = IntegerField(
        "Alternates allowed", default=0, validators=[Optional(), NumberRange(min=0, max=50)]
    )
    card_mode = SelectField(
        "Card vote mode",
        choices=[
            ("block", "Block: delegation votes as one"),
            ("split", "Split: each delegate a share"),
        ],
        default="block",
    )
    card_round_to = IntegerField(
        "Card vote rounded to a multiple of", default=1, validators=[Optional(), NumberRange(1)]
    )
    card_rounding = SelectField("Card vote rounding", choices=ROUNDING_CHOICES, default="down")
    card_cap = IntegerField(
        "Card vote cap", validators=[Optional(), NumberRange(min=1)], description="blank: no cap"
    )
    samples = TextAreaField(
        "Sample groups for the preview",
        default=DEFAULT_SAMPLES,
        description="One group a line: members, women members, young members.",
        render_kw={"rows": 7},
    )


class ConferenceForm(RuleForm):
    """A conference: names, dates, deadline, sections and the rule."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Short name",
        validators=[
            Optional(),
            Length(max=100),
            Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="lower-case letters, digits and dashes"),
        ],
        description="Used on the command line; made from the name if left blank.",
    )
    venue = StringField("Venue", validators=[Optional(), Length(max=200)])
    timezone = StringField(
        "Time zone", default="Europe/London", validators=[DataRequired(), _known_timezone]
    )
    starts_on = DateField("First day", validators=[DataRequired()])
    ends_on = DateField("Last day", validators=[DataRequired()])
    registration_deadline = DateTimeLocalField(
        "Registration deadline",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired()],
        description="In the conference's time zone.",
    )
    membership_as_at = DateField("Membership counted as at", validators=[Optional()])
    quorum_percent = IntegerField(
        "Quorum: % of registered voting delegates, plus one",
        default=50,
        validators=[DataRequired(), NumberRange(1, 100)],
    )
    badge_layout = SelectField(
        "Badge layout",
        choices=[
            ("a4-8up", "A4, 8 credit-card badges (85 x 54 mm) with crop marks"),
            ("a6", "A6, one badge a page"),
        ],
        default="a4-8up",
    )
    sections = FieldList(FormField(SectionForm), min_entries=SECTION_ROWS)

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError("The last day cannot be before the first.")


class ImportGroupsForm(FlaskForm):
    """A groups CSV to upload."""

    file = FileField(
        "Groups CSV file",
        validators=[FileRequired(), FileAllowed(["csv", "txt"], "Upload a .csv file.")],
        description=(
            "Columns: name, region, section, members, women_members, young_members, "
            "in_good_standing, secretary_email. UTF-8, comma-separated."
        ),
    )


class NewUserForm(FlaskForm):
    """A person to invite, with their role in this conference."""

    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField(
        "Role",
        choices=[
            ("admin", "Credentials committee (admin)"),
            ("secretary", "Group secretary"),
            ("steward", "Steward"),
            ("teller", "Teller"),
        ],
    )
    group = StringField(
        "Group (for a secretary)",
        validators=[Optional(), Length(max=200)],
        description="The group's name exactly as listed.",
        render_kw={"list": "group-names", "autocomplete": "off"},
    )
    is_site_admin = BooleanField("Also an administrator of the whole installation")
