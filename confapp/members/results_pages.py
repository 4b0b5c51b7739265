"""Turnout while the ballot is open; after the close the count, the result, receipts and ballots.

The committee (and the scrutineer) watch turnout live, by group and region, and see who has
voted, never how: no figure of any choice exists before the count. After the close the
committee publishes; from then on anyone, with no login, reads the result, finds their
ballot by its receipt, and downloads every ballot (CSV, and BLT for an STV question) to
recount. Before that these pages say when they will be published.
"""

from __future__ import annotations

import math
import re

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from confapp.auth.access import of_conference_or_404, requires
from confapp.confirm import ask_first
from confapp.downloads import download
from confapp.elections import publish as stv_sheet
from confapp.extensions import db
from confapp.members import counting
from confapp.members.codes import RECEIPT_ALPHABET
from confapp.members.views import COMMITTEE, B, bp
from confapp.models import (
    Group,
    Member,
    MemberBallot,
    MemberBallotState,
    MemberQuestion,
    MemberVote,
    QuestionKind,
    Voter,
    utcnow,
)
from confapp.spreadsheet import csv_text

PUBLIC = "/conferences/<int:conference_id>/member-ballots/<int:member_ballot_id>"
NOT_YET = "There is nothing at this address. {what} published after the close."
PER_PAGE = 100
# A receipt as typed: its 12 characters in any case, with spaces or dashes anywhere.
RECEIPT_TEXT = re.compile(rf"[\s-]*(?:[{RECEIPT_ALPHABET}][\s-]*){{12}}", re.IGNORECASE)


# ---- turnout (the committee) ------------------------------------------------------------------


def turnout_figures(ballot_id: int) -> dict:
    """Voted and entitled overall, by group and by region: counted in SQL, never a choice."""
    # One pass over the ballot's voters, counted by group and region together (and the
    # groups' names joined to those few rows, not to every voter); the totals by group, by
    # region and overall are sums of these rows.
    counts = (
        sa.select(
            Voter.group_id,
            Voter.region,
            sa.func.count().label("entitled"),
            sa.func.count().filter(Voter.has_voted.is_(True)).label("voted"),
        )
        .where(Voter.ballot_id == ballot_id)
        .group_by(Voter.group_id, Voter.region)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(counts.c.group_id, Group.name, counts.c.region, counts.c.entitled, counts.c.voted)
        .select_from(counts)
        .outerjoin(Group, Group.id == counts.c.group_id)
    ).all()
    groups: dict[int | None, list] = {}
    regions: dict[str, list] = {}
    for group_id, name, region, entitled, voted in rows:
        group = groups.setdefault(group_id, [name or "No group", 0, 0])
        group[1] += entitled
        group[2] += voted
        place = regions.setdefault(region or "", [0, 0])
        place[0] += entitled
        place[1] += voted
    in_order = sorted(groups.items(), key=lambda item: (item[0] is None, item[1][0], item[0] or 0))
    return {
        "entitled": sum(n for _, n, _ in groups.values()),
        "voted": sum(v for _, _, v in groups.values()),
        "groups": [(gid, name, n, v) for gid, (name, n, v) in in_order],
        "regions": [(region or "No region", n, v) for region, (n, v) in sorted(regions.items())],
    }


def share(voted: int, entitled: int) -> str:
    """Turnout as a percentage to one place: '41.3%'."""
    return f"{100 * voted / entitled:.1f}%" if entitled else "–"


def _who_voted(ballot_id: int, group_id: int | None, total: int, page: int) -> tuple[list, int]:
    """One page of a group's `total` voters (name, number, has voted) and the number of pages."""
    where = [Voter.ballot_id == ballot_id]
    where.append(Voter.group_id.is_(None) if group_id is None else Voter.group_id == group_id)
    pages = max(1, math.ceil(total / PER_PAGE))
    rows = db.session.execute(
        sa.select(Member.name, Member.number, Voter.has_voted)
        .join(Member, Member.id == Voter.member_id)
        .where(*where)
        .order_by(Member.name, Member.number)
        .limit(PER_PAGE)
        .offset((min(page, pages) - 1) * PER_PAGE)
    ).all()
    return rows, pages


@bp.route(f"{B}/turnout")
@requires(*COMMITTEE)
def turnout(conference_id: int, member_ballot_id: int):
    """Live turnout by group and region, and who has voted in a group (never how)."""
    ballot = of_conference_or_404(MemberBallot, member_ballot_id, conference_id)
    figures = turnout_figures(ballot.id)
    group_id = request.args.get("group", type=int)
    entitled = {gid: n for gid, _, n, _ in figures["groups"]}
    if group_id not in entitled:
        group_id = next(iter(entitled), None)
    page = max(1, request.args.get("page", 1, type=int))
    voters, pages = (
        _who_voted(ballot.id, group_id, entitled[group_id], page) if entitled else ([], 1)
    )
    return render_template(
        "members/turnout.html",
        ballot=ballot,
        phase=ballot.phase(utcnow()),
        figures=figures,
        share=share,
        group_id=group_id,
        voters=voters,
        page=min(page, pages),
        pages=pages,
    )


@bp.route(f"{B}/publish", methods=["POST"])
@requires(*COMMITTEE)
def publish(conference_id: int, member_ballot_id: int):
    """Count the closed ballot and publish the result, the receipts and the ballots."""
    ballot = of_conference_or_404(MemberBallot, member_ballot_id, conference_id)
    back = url_for("members.turnout", conference_id=conference_id, member_ballot_id=ballot.id)
    phase = ballot.phase(utcnow())
    if phase != "closed":
        flash(
            "The result is published already."
            if phase == "published"
            else "The result is counted and published after the close: voting is not over.",
            "error",
        )
        return redirect(back)
    question = ask_first(
        f"Count and publish the result of {ballot.title}?",
        "Yes, count and publish",
        back=back,
        detail="Everyone can then read the result and every ballot by its receipt. "
        "A published result cannot be withdrawn.",
    )
    if question is not None:
        return question
    try:
        counting.publish(ballot, actor=current_user._get_current_object())
    except counting.PublishError as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(back)
    flash(f"The result of {ballot.title} is published.", "success")
    return redirect(
        url_for("members.result", conference_id=conference_id, member_ballot_id=ballot.id)
    )


# ---- published (anyone) -----------------------------------------------------------------------


def _published(conference_id: int, member_ballot_id: int, what: str) -> MemberBallot:
    """The ballot once its result is published; before, 404 saying when it will be."""
    ballot = of_conference_or_404(MemberBallot, member_ballot_id, conference_id)
    g.conference = ballot.conference
    if ballot.state != MemberBallotState.PUBLISHED or ballot.result is None:
        abort(404, NOT_YET.format(what=what))
    return ballot


def choice_words(question: MemberQuestion, choice) -> str:
    """What a paper says on a question, in words."""
    if question.kind == QuestionKind.YES_NO:
        return {"yes": "Yes", "no": "No", "abstain": "Abstain"}.get(choice, "")
    labels = {option.id: option.label for option in question.options}
    names = [labels.get(option_id, "?") for option_id in choice or []]
    if question.kind == QuestionKind.STV:
        return ", ".join(f"{n}. {name}" for n, name in enumerate(names, 1)) or "No preference"
    return "; ".join(names) or "Abstain"


def paper_words(ballot: MemberBallot, choices: dict) -> list[tuple[MemberQuestion, str]]:
    """Each question of the ballot and what the paper says on it."""
    return [(q, choice_words(q, (choices or {}).get(str(q.id)))) for q in ballot.questions]


def stv_sheets(ballot: MemberBallot) -> dict[int, stv_sheet.CountSheet]:
    """The count sheet of each STV question, by question id."""
    return {
        q["id"]: stv_sheet.count_sheet(q["count"])
        for q in ballot.result["questions"]
        if q["kind"] == QuestionKind.STV
    }


@bp.route(f"{PUBLIC}/result")
def result(conference_id: int, member_ballot_id: int):
    """The published result: turnout, each question's figures, an STV count stage by stage."""
    ballot = _published(conference_id, member_ballot_id, "The result is")
    return render_template(
        "members/result.html",
        ballot=ballot,
        result=ballot.result,
        questions={q.id: q for q in ballot.questions},
        sheets=stv_sheets(ballot),
    )


def normal_receipt(text: str) -> str | None:
    """A receipt as typed (any case, spaces or dashes anywhere) as printed, or None."""
    if not RECEIPT_TEXT.fullmatch(text or ""):
        return None
    chars = re.sub(r"[\s-]", "", text).upper()
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


@bp.route(f"{PUBLIC}/receipts")
def receipts(conference_id: int, member_ballot_id: int):
    """Every cast ballot by its receipt, in receipt order; find one's own by its receipt."""
    ballot = _published(conference_id, member_ballot_id, "The ballots are")
    asked = request.args.get("receipt", "").strip()[:40]
    found, problem = None, ""
    if asked:
        receipt = normal_receipt(asked)
        paper = None
        if receipt is not None:
            paper = db.session.execute(
                sa.select(MemberVote.receipt, MemberVote.choices).where(
                    MemberVote.ballot_id == ballot.id, MemberVote.receipt == receipt
                )
            ).first()
        if paper is None:
            problem = (
                f"No ballot has the receipt {asked}. Check each character: receipts are "
                "12 letters and digits, with no 0, O, 1, I or L."
            )
        else:
            found = (paper.receipt, paper_words(ballot, paper.choices))
    cast = ballot.result["cast"]
    pages = max(1, math.ceil(cast / PER_PAGE))
    page = min(max(1, request.args.get("page", 1, type=int)), pages)
    rows = db.session.execute(
        sa.select(MemberVote.receipt, MemberVote.choices)
        .where(MemberVote.ballot_id == ballot.id, MemberVote.is_cast.is_(True))
        .order_by(MemberVote.receipt)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "members/receipts.html",
        ballot=ballot,
        asked=asked,
        found=found,
        problem=problem,
        rows=[(r.receipt, paper_words(ballot, r.choices)) for r in rows],
        page=page,
        pages=pages,
    )


def receipts_rows(ballot: MemberBallot) -> list[list]:
    """The CSV's rows: a heading, then receipt and each question's choice, by receipt."""
    head = ["receipt"] + [f"Question {n}: {q.title}" for n, q in enumerate(ballot.questions, 1)]
    rows = [head]
    for receipt, choices in db.session.execute(
        sa.select(MemberVote.receipt, MemberVote.choices)
        .where(MemberVote.ballot_id == ballot.id, MemberVote.is_cast.is_(True))
        .order_by(MemberVote.receipt)
    ):
        rows.append([receipt] + [words for _, words in paper_words(ballot, choices)])
    return rows


@bp.route(f"{PUBLIC}/receipts.csv")
def receipts_csv(conference_id: int, member_ballot_id: int):
    """Every cast ballot as CSV: its receipt and its choice on each question."""
    ballot = _published(conference_id, member_ballot_id, "The ballots are")
    return download(
        csv_text(receipts_rows(ballot), byte_order_mark=True),
        f"member-ballot-{ballot.id}-ballots.csv",
        "text/csv",
    )


@bp.route(f"{PUBLIC}/questions/<int:question_id>/ballots.blt")
def ballots_blt(conference_id: int, member_ballot_id: int, question_id: int):
    """An STV question's ballots in BLT, identical papers summed, so anyone can recount."""
    ballot = _published(conference_id, member_ballot_id, "The ballots are")
    question = db.session.get(MemberQuestion, question_id)
    if question is None or question.ballot_id != ballot.id or question.kind != QuestionKind.STV:
        abort(404, "There is nothing at this address. Only an election's ballots are in BLT.")
    candidates, _, ballots = counting.stv_input(question, _marks(ballot.id, question.id))
    text = stv_sheet.blt_text(
        question.title,
        candidates,
        question.seats or 1,
        [(b.preferences, b.weight) for b in ballots],
    )
    return download(text, f"member-ballot-{ballot.id}-question-{question.id}.blt", "text/plain")


def _marks(ballot_id: int, question_id: int) -> list:
    return [choices.get(str(question_id)) for choices in counting.cast_choices(ballot_id)]
