"""The committee's badge forms: a print run to start, a badge to reissue.

Read, not validated, by the views: CSRFProtect has checked the token of every POST already,
and the views refuse what the fields cannot mean (400) as they always have.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import Optional

from confapp.models import PrintKind, PrintScope


class PrintRunForm(FlaskForm):
    """What to print: badges or cards, for whom, in which layout (blank: the conference's)."""

    kind = StringField(default=PrintKind.BADGES.value)
    scope = StringField(default=PrintScope.ALL.value)
    layout = StringField()
    group_id = IntegerField(validators=[Optional()])  # for scope "group"; not a number: none


class ReissueForm(FlaskForm):
    """Why a badge is reissued (lost badge, name corrected, ...)."""

    reason = StringField()
