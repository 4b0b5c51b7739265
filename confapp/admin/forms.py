"""Forms of the credentials committee: a conference with its rules, uploads, a new user, the
review's buttons; and how a rule reads from the form and back into it.

The review's button forms are read, not validated: CSRFProtect has checked the token of every
POST before the view runs, and the registration services judge what the fields say (a reason
that is missing, an alternate who is not approved) with the messages the committee sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from confapp import entitlement as ent

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
    preview = SubmitField("Update preview")  # shows the rule's preview; saves nothing

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError("The last day cannot be before the first.")

    def validate_sections(self, field):
        """Weights total 100 or are all blank: one blank would count the whole vote unweighted."""
        named = [row for row in field.data if (row["name"] or "").strip()]
        blank = [row["name"].strip() for row in named if row["weight"] is None]
        if len(blank) == len(named):
            return
        if blank:
            verb = "has" if len(blank) == 1 else "have"
            raise ValidationError(
                f"Give every section a weight, or leave them all blank (unweighted): "
                f"{' and '.join(blank)} {verb} no weight."
            )
        total = sum(row["weight"] for row in named)
        if total != 100:
            raise ValidationError(
                f"Section weights must add up to 100, or all be left blank (unweighted): "
                f"these add up to {total}."
            )

    def fill_sections(self, sections) -> None:
        """Put the conference's sections into the rows, with blank rows to add more."""
        rows = [{"name": s.name, "weight": s.weight} for s in sections]
        rows += [{"name": "", "weight": None}] * max(0, SECTION_ROWS - len(rows))
        while len(self.sections) < len(rows):
            self.sections.append_entry()
        for entry, row in zip(self.sections, rows, strict=False):
            entry.form.name.data, entry.form.weight.data = row["name"], row["weight"]


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


class ImportDelegatesForm(FlaskForm):
    """A delegates CSV to upload."""

    file = FileField(
        "Delegates CSV file",
        validators=[FileRequired(), FileAllowed(["csv", "txt"], "Upload a .csv file.")],
        description="UTF-8, comma-separated, with a header row naming the columns.",
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


BAND_LINE = re.compile(r"^\s*(\d+|\*)\s*[:=,]?\s*(\d+)\s*$")


# ---- the review's buttons --------------------------------------------------------------------


class ReviewButtonForm(FlaskForm):
    """A button of the review queue: the page to return to afterwards (a path on this site)."""

    next = HiddenField()


class RejectForm(ReviewButtonForm):
    """Reject a registration, with the reason the secretary will read."""

    reason = StringField("Reason (the secretary sees it)")


class SubstitutionDecisionForm(ReviewButtonForm):
    """Approve or reject a substitution: the button pressed, and the reason for a rejection."""

    decision = StringField()  # "approve" or "reject", the value of the button pressed
    reason = StringField("Reason (needed to reject)")


class SeatingForm(FlaskForm):
    """Seat an approved alternate for an absent delegate (blank: seat them for nobody)."""

    alternate = HiddenField()
    absent = StringField("Sits in for")


# ---- the rule in the form, and back --------------------------------------------------------------


def parse_bands(text: str) -> tuple[ent.Band, ...]:
    """Band-table rows from 'N: D' lines; RuleError names the line that is wrong."""
    bands = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = BAND_LINE.match(line)
        if not match:
            raise ent.RuleError(
                "band table",
                f"line {number}: {line.strip()!r} is not “members: delegates”, e.g. 300: 2",
            )
        up_to = None if match[1] == "*" else int(match[1])
        bands.append(ent.Band(up_to=up_to, delegates=int(match[2])))
    return tuple(bands)


def format_bands(bands) -> str:
    """The band table as the form shows it."""
    return "\n".join(f"{'*' if b.up_to is None else b.up_to}: {b.delegates}" for b in bands)


def rules_from_form(form) -> tuple[ent.EntitlementRule, ent.CardVoteRule]:
    """Both rules from a RuleForm's data, validated; RuleError says what is wrong."""
    reserved = tuple(
        ent.ReservedSeat(
            label=row["label"].strip(),
            figure=row["figure"],
            at_least=row["at_least"] or 0,
            seats=row["seats"] or 1,
            filled_by=row["filled_by"],
        )
        for row in form.reserved.data
        if (row["label"] or "").strip()
    )
    rule = ent.EntitlementRule(
        formula=form.formula.data or "steps",
        first=form.first.data or 0,
        step=form.step.data or 1,
        rounding=form.rounding.data,
        bands=_bands(form) if form.formula.data == "bands" else (),
        minimum=form.minimum.data or 0,
        cap=form.cap.data,
        reserved=reserved,
        equality=ent.EqualityRule(
            women_every_second=bool(form.women_every_second.data),
            low_paid_from=form.low_paid_from.data,
            young_from=form.young_from.data,
        ),
        max_alternates=form.max_alternates.data or 0,
    )
    card_rule = ent.CardVoteRule(
        mode=form.card_mode.data,
        round_to=form.card_round_to.data or 1,
        rounding=form.card_rounding.data,
        cap=form.card_cap.data,
    )
    try:
        rule.validate()
    except ent.RuleError as exc:
        raise in_words(exc, RULE_FIELDS) from exc
    try:
        card_rule.validate()
    except ent.RuleError as exc:
        raise in_words(exc, CARD_RULE_FIELDS) from exc
    return rule, card_rule


def _bands(form) -> tuple[ent.Band, ...]:
    try:
        return parse_bands(form.bands.data)
    except ent.RuleError as exc:
        raise in_words(exc, RULE_FIELDS) from exc


class RuleProblem(ent.RuleError):
    """A RuleError told in the form's words ("The cap on base delegates must be ...")."""

    def __init__(self, field_name: str, sentence: str) -> None:
        ValueError.__init__(self, sentence)
        self.field = field_name


# The rule's field keys as the form names them, so that a problem reads as a sentence.
RULE_FIELDS = {
    "formula": "The base formula",
    "first": "The first band's number of members",
    "step": "“Then 1 more per”",
    "rounding": "The rounding",
    "bands": "The band table",
    "band table": "The band table",
    "minimum": "The minimum number of delegates",
    "cap": "The cap on base delegates",
    "max_alternates": "The number of alternates allowed",
    "equality.women_every_second": "“At least every second base delegate a woman”",
    "equality.low_paid_from": "“Low-paid member required from”",
    "equality.young_from": "“Young member required from”",
    "sample groups": "The sample groups",
}
CARD_RULE_FIELDS = {
    "mode": "The card vote mode",
    "round_to": "“Card vote rounded to a multiple of”",
    "rounding": "The card vote rounding",
    "cap": "The card vote cap",
}
ROW_FIELDS = {
    "up_to": "its number of members",
    "delegates": "its number of delegates",
    "label": "its name",
    "figure": "its figure",
    "at_least": "“are at least”",
    "seats": "its number of seats",
    "filled_by": "“filled by”",
}
ROW = re.compile(r"^(bands|reserved)\[(\d+)\](?:\.(\w+))?$")


def in_words(exc: ent.RuleError, fields: dict[str, str]) -> RuleProblem:
    """The rule's problem as a sentence naming the field as the form shows it."""
    problem = str(exc).removeprefix(f"{exc.field}: ")
    if exc.field in fields:
        return RuleProblem(exc.field, _sentence(f"{fields[exc.field]} {_as_clause(problem)}"))
    if row := ROW.match(exc.field):
        table, number, key = row[1], int(row[2]) + 1, row[3]
        where = f"Row {number} of the band table" if table == "bands" else f"Reserved seat {number}"
        what = ROW_FIELDS.get(key or "", key or "the row")
        return RuleProblem(exc.field, _sentence(f"{where}: {what} {_as_clause(problem)}"))
    subject = exc.field.replace("_", " ").capitalize()
    return RuleProblem(exc.field, _sentence(f"{subject} {_as_clause(problem)}"))


def _sentence(text: str) -> str:
    return (text if text.endswith((".", "”")) else text + ".").replace(" , ", ", ")


def _as_clause(problem: str) -> str:
    """'line 2: ...' follows a comma; 'must be ...' follows the subject directly."""
    if problem.startswith(("must", "may", "needs", "is ")):
        return problem
    return f", {problem}"


def fill_rule_form(form, rule: ent.EntitlementRule, card_rule: ent.CardVoteRule) -> None:
    """Put a stored rule into the form's fields for editing."""
    form.formula.data = rule.formula
    form.first.data = rule.first
    form.step.data = rule.step
    form.rounding.data = rule.rounding
    form.bands.data = format_bands(rule.bands)
    form.minimum.data = rule.minimum
    form.cap.data = rule.cap
    for row, seat in zip(form.reserved, rule.reserved, strict=False):
        row.form.label.data = seat.label
        row.form.figure.data = seat.figure
        row.form.at_least.data = seat.at_least
        row.form.seats.data = seat.seats
        row.form.filled_by.data = seat.filled_by
    form.women_every_second.data = rule.equality.women_every_second
    form.low_paid_from.data = rule.equality.low_paid_from
    form.young_from.data = rule.equality.young_from
    form.max_alternates.data = rule.max_alternates
    form.card_mode.data = card_rule.mode
    form.card_round_to.data = card_rule.round_to
    form.card_rounding.data = card_rule.rounding
    form.card_cap.data = card_rule.cap


@dataclass(frozen=True)
class PreviewRow:
    """What the rule gives one sample group."""

    figures: ent.GroupFigures
    result: ent.Entitlement


def parse_samples(text: str) -> list[ent.GroupFigures]:
    """Sample groups from 'members, women, young' lines; RuleError names a bad line."""
    samples = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip().replace("_", "") for p in re.split(r"[,;\s]+", line.strip()) if p]
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
            raise ent.RuleError(
                "sample groups", f"line {number}: {line.strip()!r} is not “members, women, young”"
            )
        members, women, young = ([int(p) for p in parts] + [0, 0])[:3]
        if women > members or young > members:
            raise ent.RuleError(
                "sample groups", f"line {number}: women or young members exceed members"
            )
        samples.append(ent.GroupFigures(members, women, young, True))
    return samples[:30]


def preview(form) -> tuple[str, list[PreviewRow]]:
    """The rule in words and what it gives each sample group; RuleError if it cannot."""
    rule, card_rule = rules_from_form(form)
    try:
        samples = parse_samples(form.samples.data)
    except ent.RuleError as exc:
        raise in_words(exc, RULE_FIELDS) from exc
    rows = [PreviewRow(figures, ent.entitle(rule, card_rule, figures)) for figures in samples]
    return ent.describe(rule), rows
