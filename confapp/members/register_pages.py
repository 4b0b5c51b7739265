"""The committee's register: the members listed and searched, imported and exported as CSV,
and the figures page, where the register's count at the freeze date meets each group's
declared figures and the conference can take its figures from the register.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import AnyOf

from confapp import audit
from confapp.auth.access import requires
from confapp.confirm import ask_first
from confapp.csv_import import ImportRejected
from confapp.downloads import download
from confapp.extensions import db
from confapp.members import figures, register
from confapp.members.views import COMMITTEE, REGISTER, bp
from confapp.models import Group, Member
from confapp.text import plural

PAGE_SIZE = 50
STANDINGS = {
    "good": "In good standing",
    "arrears": "In arrears",
    "lapsed": "Lapsed",
}


class ImportRegisterForm(FlaskForm):
    """A register CSV to upload."""

    file = FileField(
        "Register CSV file",
        validators=[FileRequired(), FileAllowed(["csv", "txt"], "Upload a .csv file.")],
        description="UTF-8, comma-separated, with a header row naming the columns.",
    )


class FiguresForm(FlaskForm):
    """Where the conference's figures come from: the register, or the groups' declarations."""

    source = HiddenField(validators=[AnyOf(["register", "declared"])])


def _standing(key: str):
    """The SQL condition for one standing (Member.standing in words)."""
    return {
        "good": sa.and_(Member.left_on.is_(None), Member.in_good_standing.is_(True)),
        "arrears": sa.and_(Member.left_on.is_(None), Member.in_good_standing.is_(False)),
        "lapsed": Member.left_on.is_not(None),
    }[key]


def standing_counts(conference_id: int) -> dict[str, int]:
    """How many members are in good standing, in arrears and lapsed, in one query."""
    row = db.session.execute(
        sa.select(
            *(
                sa.func.coalesce(sa.func.sum(sa.case((_standing(key), 1), else_=0)), 0)
                for key in STANDINGS
            ),
            sa.func.count(),
        ).where(Member.conference_id == conference_id)
    ).one()
    return dict(zip([*STANDINGS, "total"], row, strict=True))


@bp.route(REGISTER)
@requires(*COMMITTEE)
def register_list(conference_id: int):
    """The register: counts by standing, members searched by name, number or e-mail, paged."""
    search = request.args.get("q", "").strip()[:200]
    standing = request.args.get("standing", "")
    query = (
        sa.select(Member)
        .join(Group, Member.group_id == Group.id)
        .where(Member.conference_id == conference_id)
        .options(sa.orm.contains_eager(Member.group))
        .order_by(Member.number)
    )
    if search:
        pattern = f"%{search}%"
        query = query.where(
            sa.or_(
                Member.name.ilike(pattern),
                Member.number.ilike(pattern),
                Member.email.ilike(pattern.lower()),
            )
        )
    if standing in STANDINGS:
        query = query.where(_standing(standing))
    else:
        standing = ""
    return render_template(
        "members/register.html",
        counts=standing_counts(conference_id),
        members=db.paginate(query, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False),
        search=search,
        standing=standing,
        standings=STANDINGS,
        attributes=register.attribute_names(g.conference),
    )


@bp.route(f"{REGISTER}/import", methods=["GET", "POST"])
@requires(*COMMITTEE)
def import_register(conference_id: int):
    """Upload a register CSV: every line is written, or none and every problem is listed."""
    form = ImportRegisterForm()
    problems: list[str] | None = None
    if form.validate_on_submit():
        try:
            summary = register.import_members(g.conference, form.file.data.read())
        except ImportRejected as rejected:
            db.session.rollback()
            problems = [register.describe(p) for p in rejected.problems]
            count = plural(len(problems), "problem")
            flash(f"Nothing was imported: the file has {count}, listed below.", "error")
        else:
            db.session.commit()
            message = f"Imported: {summary}."
            if summary.not_in_file:
                message += (
                    f" {plural(summary.not_in_file, 'member')} on the register "
                    f"{'is' if summary.not_in_file == 1 else 'are'} not in the file and "
                    "kept as before."
                )
            flash(message, "success")
            return redirect(url_for("members.register_list", conference_id=conference_id))
    return render_template(
        "members/register_import.html",
        form=form,
        problems=problems,
        columns=register.COLUMNS,
        groups=db.session.scalar(
            sa.select(sa.func.count()).where(Group.conference_id == conference_id)
        ),
    )


@bp.route(f"{REGISTER}/sample.csv")
@requires(*COMMITTEE)
def register_sample(conference_id: int):
    """A small register file to start from: it imports as it is."""
    name = f"{g.conference.slug}-members-sample.csv"
    return download(register.sample_csv(g.conference), name, "text/csv; charset=utf-8")


@bp.route(f"{REGISTER}/export.csv")
@requires(*COMMITTEE)
def export_register(conference_id: int):
    """The register as CSV, as the import reads it; attributes only when asked, and audited."""
    sensitive = request.args.get("sensitive") == "1"
    text, count = register.register_csv(g.conference, sensitive=sensitive)
    name = f"{g.conference.slug}-members{'-sensitive' if sensitive else ''}.csv"
    if sensitive:
        # Who took the sensitive attributes away, and when: the log is where that is asked.
        audit.record(
            "member.export_sensitive",
            g.conference,
            after={"members": count},
            summary=f"register exported with sensitive attributes ({plural(count, 'member')})",
        )
        db.session.commit()
    return download(text, name, "text/csv; charset=utf-8")


@bp.route(f"{REGISTER}/figures", methods=["GET", "POST"])
@requires(*COMMITTEE)
def register_figures(conference_id: int):
    """Declared figures beside the register's at the freeze date; the switch between them."""
    conference = g.conference
    target = url_for("members.register_figures", conference_id=conference_id)
    form = FiguresForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("Choose where the figures come from: the register or the declarations.", "error")
            return redirect(target)
        to_register = form.source.data == "register"
        question = ask_first(*_switch_words(to_register), back=target, detail=_detail(to_register))
        if question is not None:
            return question
        try:
            figures.switch(conference, to_register=to_register, actor=current_user)
        except figures.FiguresError as problem:
            db.session.rollback()
            flash(str(problem), "error")
        else:
            db.session.commit()
            source = "the register" if to_register else "the groups' declared figures"
            flash(f"The conference's figures are now taken from {source}.", "success")
        return redirect(target)
    lines = figures.comparison(conference) if conference.membership_as_at else []
    on_register = db.session.scalar(
        sa.select(sa.func.count()).where(Member.conference_id == conference_id)
    )
    return render_template(
        "members/figures.html",
        form=form,
        lines=lines,
        on_register=on_register,
        differing=sum(line.differs for line in lines),
        changing=sum(
            line.register_delegates is not None
            and line.register_delegates != line.declared_delegates
            for line in lines
        ),
        women_known=any(line.women_known for line in lines),
        young_known=any(line.young_known for line in lines),
        switch_words=_switch_words(not conference.figures_from_register),
        switch_detail=_detail(not conference.figures_from_register),
    )


def _switch_words(to_register: bool) -> tuple[str, str]:
    """The question and the yes of the switch, in that direction."""
    if to_register:
        return (
            "Take the conference's figures from the register?",
            "Yes, use the register",
        )
    return (
        "Go back to the groups' declared figures?",
        "Yes, use the declared figures",
    )


def _detail(to_register: bool) -> str:
    """What the switch does (the page's dialog says the same)."""
    if to_register:
        source = "the register's count at the freeze date"
    else:
        source = "the figures the groups declared"
    return f"Every group's delegates and card vote will be worked out from {source}."
