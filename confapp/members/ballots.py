"""Setting up a members' ballot: its times and electorate, its questions, and referrals.

Each service checks everything before it changes anything (BallotError says what is wrong,
naming the field, line or rule), adds its audit entry and flushes; the view commits. A ballot
changes only while it is a draft: once its roll is made, the paper is what members vote on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from confapp import audit
from confapp.database import lock_row
from confapp.elections.model import Category, QuotaError
from confapp.elections.quotas import Quotas
from confapp.extensions import db
from confapp.models import (
    Ballot,
    BallotState,
    Conference,
    Electorate,
    Group,
    MemberBallot,
    MemberBallotState,
    MemberOption,
    MemberQuestion,
    QuestionKind,
    Section,
    Voter,
    utcnow,
)
from confapp.text import plural
from confapp.voting.tally import Majority

MAX_SEATS = 500
MAX_OPTIONS = 200
TITLE_LIMIT = 300
LABEL_LIMIT = 200

PHASE_WORDS = {
    "draft": "Draft",
    "roll": "Roll made",
    "open": "Open",
    "closed": "Closed",
    "published": "Published",
}
KIND_WORDS = {
    QuestionKind.YES_NO: "Yes or no",
    QuestionKind.CHOOSE_ONE: "Choose one",
    QuestionKind.CHOOSE_UP_TO: "Choose up to N",
    QuestionKind.STV: "Election (STV)",
}
MAJORITY_WORDS = {
    "simple": "Simple majority (more yes than no)",
    "two_thirds": "Two-thirds of the votes cast",
}
RULE_WORDS = {
    "scottish": "Scottish STV (the 2007 Order)",
    "meek": "Meek STV",
}
ELECTORATE_WORDS = {
    Electorate.ALL: "All members",
    Electorate.REGION: "One region",
    Electorate.GROUP: "One group",
    Electorate.SECTION: "One section",
}


class BallotError(ValueError):
    """The change is refused; the message says why and nothing was changed."""


@dataclass(frozen=True)
class BallotSetup:
    """What the committee sets for a ballot: times are UTC, the electorate by name or id."""

    title: str
    description: str
    opens_at: datetime | None
    closes_at: datetime | None
    frozen_on: date | None
    electorate: str
    electorate_value: str = ""


@dataclass(frozen=True)
class QuestionSetup:
    """One question as the committee wrote it: options one a line, quotas by category."""

    kind: str
    title: str
    text: str = ""
    majority: str = "simple"
    turnout_threshold: int | None = None
    max_choices: int | None = None
    seats: int | None = None
    rule: str = "scottish"
    options: str = ""  # one a line; for an election "Name | category, category"
    quotas: tuple[tuple[str, int, int | None], ...] = ()  # (category, at least, at most)


@dataclass
class Option:
    """An option read from its line of the form."""

    label: str
    categories: list[str] = field(default_factory=list)


# ---- the ballot ------------------------------------------------------------------------------


def phase(ballot: MemberBallot, now: datetime | None = None) -> str:
    """draft, roll, open, closed or published, as of now."""
    return ballot.phase(now or utcnow())


def ballots(conference: Conference) -> list[tuple[MemberBallot, int]]:
    """The conference's members' ballots, newest first, with how many are on each roll."""
    voters = (
        sa.select(sa.func.count(Voter.id))
        .where(Voter.ballot_id == MemberBallot.id)
        .correlate(MemberBallot)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(MemberBallot, voters)
        .where(MemberBallot.conference_id == conference.id)
        .order_by(MemberBallot.opens_at.desc(), MemberBallot.id.desc())
    ).all()
    return [(ballot, count) for ballot, count in rows]


def regions(conference: Conference) -> list[str]:
    """The regions the conference's groups name, in order."""
    return list(
        db.session.scalars(
            sa.select(Group.region)
            .where(Group.conference_id == conference.id, Group.region != "")
            .distinct()
            .order_by(Group.region)
        )
    )


def electorate_words(ballot: MemberBallot) -> str:
    """Who votes, in words: 'All members', 'Members of the North region', ..."""
    value = ballot.electorate_value
    if ballot.electorate == Electorate.REGION:
        return f"Members in the {value} region"
    if ballot.electorate == Electorate.GROUP:
        group = db.session.get(Group, int(value)) if value.isdigit() else None
        return f"Members of {group.name if group else 'a group no longer listed'}"
    if ballot.electorate == Electorate.SECTION:
        section = db.session.get(Section, int(value)) if value.isdigit() else None
        return f"Members of groups in {section.name if section else 'a section no longer listed'}"
    return "All members"


def create_ballot(conference: Conference, setup: BallotSetup, actor=None) -> MemberBallot:
    """A new draft ballot of the members; flushed, on the audit log."""
    _check(conference, setup, now=utcnow())
    ballot = MemberBallot(conference_id=conference.id, state=MemberBallotState.DRAFT)
    _apply(ballot, setup)
    db.session.add(ballot)
    db.session.flush()
    audit.record(
        "member_ballot.created",
        ballot,
        after=audit.snapshot(ballot),
        summary=f"Members' ballot {ballot.title} set up",
        actor=actor,
    )
    return ballot


def update_ballot(ballot: MemberBallot, setup: BallotSetup, actor=None) -> None:
    """Change a draft ballot's setup; flushed, on the audit log."""
    lock_row(ballot)
    _only_draft(ballot)
    _check(ballot.conference, setup, now=utcnow())
    before = audit.snapshot(ballot)
    _apply(ballot, setup)
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(ballot))
    old.pop("version", None), new.pop("version", None)
    audit.record(
        "member_ballot.updated",
        ballot,
        before=old,
        after=new,
        summary=f"Members' ballot {ballot.title} changed",
        actor=actor,
    )


def _only_draft(ballot: MemberBallot) -> None:
    if ballot.state != MemberBallotState.DRAFT:
        raise BallotError(
            "The roll is made: the ballot can no longer change (the members vote on it as it is)."
        )


def _apply(ballot: MemberBallot, setup: BallotSetup) -> None:
    ballot.title = setup.title.strip()
    ballot.description = setup.description.strip()
    ballot.opens_at = setup.opens_at
    ballot.closes_at = setup.closes_at
    ballot.frozen_on = setup.frozen_on
    ballot.electorate = Electorate(setup.electorate)
    ballot.electorate_value = "" if setup.electorate == Electorate.ALL else setup.electorate_value


def _check(conference: Conference, setup: BallotSetup, *, now: datetime) -> None:
    """Refuse a setup that cannot be held, naming the field."""
    problems = []
    if not setup.title.strip():
        problems.append("Title: give the ballot a title.")
    elif len(setup.title.strip()) > TITLE_LIMIT:
        problems.append(f"Title: at most {TITLE_LIMIT} characters.")
    if setup.opens_at is None:
        problems.append("Opens: say when voting opens.")
    if setup.closes_at is None:
        problems.append("Closes: say when voting closes.")
    if setup.opens_at and setup.closes_at:
        if setup.closes_at <= setup.opens_at:
            problems.append("Closes: voting must close after it opens.")
        elif setup.closes_at <= now:
            problems.append("Closes: that time has passed; the ballot could not be held.")
    if setup.frozen_on is None:
        problems.append("Freeze date: say on which day members must be in good standing.")
    elif setup.opens_at and setup.frozen_on > setup.opens_at.date():
        problems.append("Freeze date: it must be on or before the day voting opens.")
    problems += _electorate_problems(conference, setup)
    if problems:
        raise BallotError(" ".join(problems))


def _electorate_problems(conference: Conference, setup: BallotSetup) -> list[str]:
    kind, value = setup.electorate, setup.electorate_value.strip()
    if kind not in Electorate.__members__.values():
        return ["Electorate: choose all members, a region, a group or a section."]
    if kind == Electorate.REGION and value not in regions(conference):
        return ["Region: choose one of the regions the groups name."]
    if kind == Electorate.GROUP:
        group = db.session.get(Group, int(value)) if value.isdigit() else None
        if group is None or group.conference_id != conference.id:
            return ["Group: choose one of the conference's groups."]
    if kind == Electorate.SECTION:
        section = db.session.get(Section, int(value)) if value.isdigit() else None
        if section is None or section.conference_id != conference.id:
            return ["Section: choose one of the conference's sections."]
    return []


# ---- questions -------------------------------------------------------------------------------


def add_question(ballot: MemberBallot, setup: QuestionSetup, actor=None) -> MemberQuestion:
    """Add a question to a draft ballot's paper; flushed, on the audit log."""
    lock_row(ballot)
    _only_draft(ballot)
    question = build_question(setup)
    question.position = max((q.position for q in ballot.questions), default=0) + 1
    ballot.questions.append(question)
    db.session.flush()
    audit.record(
        "member_ballot.question_added",
        ballot,
        after=question_summary(question),
        summary=f"Question {question.title} added to {ballot.title}",
        actor=actor,
    )
    return question


def remove_question(ballot: MemberBallot, question: MemberQuestion, actor=None) -> None:
    """Take a question off a draft ballot's paper; flushed, on the audit log."""
    lock_row(ballot)
    _only_draft(ballot)
    before = question_summary(question)
    ballot.questions.remove(question)
    for position, rest in enumerate(ballot.questions, start=1):
        rest.position = position
    db.session.flush()
    audit.record(
        "member_ballot.question_removed",
        ballot,
        before=before,
        summary=f"Question {before['title']} removed from {ballot.title}",
        actor=actor,
    )


def question_summary(question: MemberQuestion) -> dict:
    """A question as the audit log keeps it."""
    return {
        "kind": str(question.kind),
        "title": question.title,
        "majority": question.majority,
        "turnout_threshold": question.turnout_threshold,
        "max_choices": question.max_choices,
        "seats": question.seats,
        "rule": question.rule,
        "quotas": question.quotas,
        "options": [[o.label, o.categories] for o in question.options],
    }


def build_question(setup: QuestionSetup) -> MemberQuestion:
    """The question the setup describes, or BallotError naming every problem."""
    problems: list[str] = []
    kind = setup.kind
    if kind not in QuestionKind.__members__.values():
        raise BallotError("Kind: choose yes or no, choose one, choose up to N or an election.")
    title = setup.title.strip()
    if not title:
        problems.append("Question: write the question (or the post, for an election).")
    elif len(title) > TITLE_LIMIT:
        problems.append(f"Question: at most {TITLE_LIMIT} characters.")
    question = MemberQuestion(kind=QuestionKind(kind), title=title, text=setup.text.strip())
    quotas = _quotas(setup, problems) if kind == QuestionKind.STV else {}
    options = _options(setup.options, kind, quotas, problems)
    if kind == QuestionKind.YES_NO:
        _yes_no(question, setup, options, problems)
    elif kind in (QuestionKind.CHOOSE_ONE, QuestionKind.CHOOSE_UP_TO):
        if len(options) < 2:
            problems.append("Options: give at least two options, one a line.")
        if kind == QuestionKind.CHOOSE_UP_TO:
            top = setup.max_choices
            if top is None:
                problems.append("Choose up to: say how many options a member may choose.")
            elif not 1 <= top <= max(len(options), 1):
                problems.append(
                    f"Choose up to: between 1 and the number of options ({len(options)}), "
                    f"not {top}."
                )
            question.max_choices = top
    else:
        _stv(question, setup, options, quotas, problems)
    if problems:
        raise BallotError(" ".join(problems))
    for position, option in enumerate(options, start=1):
        question.options.append(
            MemberOption(position=position, label=option.label, categories=option.categories)
        )
    return question


def _yes_no(question, setup: QuestionSetup, options: list[Option], problems: list[str]) -> None:
    if options:
        problems.append(
            "Options: a yes-or-no question has none (members answer yes, no or abstain); "
            "leave the options empty."
        )
    try:
        question.majority = Majority.from_text(setup.majority or "simple").to_text()
    except ValueError:
        problems.append("Majority: choose a simple majority or two-thirds.")
    threshold = setup.turnout_threshold
    if threshold is not None and not 1 <= threshold <= 100:
        problems.append(f"Turnout threshold: a percentage from 1 to 100, not {threshold}.")
    question.turnout_threshold = threshold


def _stv(question, setup, options: list[Option], quotas: dict, problems: list[str]) -> None:
    seats = setup.seats
    if seats is None or not 1 <= seats <= MAX_SEATS:
        problems.append(f"Seats: between 1 and {MAX_SEATS}.")
        seats = None
    if setup.rule not in RULE_WORDS:
        problems.append("Rule: choose Scottish STV or Meek STV.")
    question.seats, question.rule, question.quotas = seats, setup.rule, quotas
    if not options:
        problems.append("Candidates: list the candidates, one a line.")
    elif (
        seats is not None and not problems and (problem := quota_problem_of(options, seats, quotas))
    ):
        problems.append(problem)


def _quotas(setup: QuestionSetup, problems: list[str]) -> dict[str, list]:
    """{category: [at least, at most or None]} from the form's rows; blank rows skipped."""
    quotas: dict[str, list] = {}
    seen: dict[str, str] = {}
    for row, (name, least, most) in enumerate(setup.quotas, start=1):
        name = name.strip()
        if not name:
            if least or most is not None:
                problems.append(f"Quota row {row}: name the category.")
            continue
        if name.lower() in seen:
            problems.append(f"Quota row {row}: {name} is listed twice.")
            continue
        least = least or 0
        if least < 0 or (most is not None and most < 0):
            problems.append(f"Quota row {row} ({name}): numbers cannot be negative.")
        elif most is not None and most < least:
            problems.append(f"Quota row {row} ({name}): at most {most} is below at least {least}.")
        seen[name.lower()] = name
        quotas[name] = [least, most]
    return quotas


def _options(text: str, kind: str, quotas: dict, problems: list[str]) -> list[Option]:
    """The options (or candidates) one a line, each problem named by its line."""
    known = {name.lower(): name for name in quotas}
    options: list[Option] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        label, categories = line, []
        if kind == QuestionKind.STV and "|" in line:
            label, _, rest = line.partition("|")
            label = label.strip()
            for word in (w.strip() for w in rest.split(",")):
                if not word:
                    continue
                if word.lower() not in known:
                    names = ", ".join(quotas) or "none yet"
                    problems.append(
                        f"Candidates, line {number}: {word} is not a quota category "
                        f"(the categories: {names})."
                    )
                elif known[word.lower()] not in categories:
                    categories.append(known[word.lower()])
        where = "Candidates" if kind == QuestionKind.STV else "Options"
        if not label:
            problems.append(f"{where}, line {number}: the name is missing before the |.")
            continue
        if len(label) > LABEL_LIMIT:
            problems.append(f"{where}, line {number}: at most {LABEL_LIMIT} characters.")
            continue
        key = " ".join(label.lower().split())
        if key in first_line:
            problems.append(
                f"{where}, line {number}: {label} is listed twice (first on line "
                f"{first_line[key]})."
            )
            continue
        first_line[key] = number
        options.append(Option(label, categories))
    if len(options) > MAX_OPTIONS:
        problems.append(f"Options: at most {MAX_OPTIONS}, not {len(options)}.")
    return options


def quota_problem_of(options: list[Option], seats: int, quotas: dict) -> str | None:
    """Why these candidates cannot fill the seats and meet the quotas, or None."""
    if len(options) < seats:
        stand = "stands" if len(options) == 1 else "stand"
        return (
            f"Candidates: {plural(len(options), 'candidate')} {stand} for "
            f"{plural(seats, 'seat')}: at least {seats} must stand."
        )
    if not quotas:
        return None
    categories = [
        Category(
            name,
            frozenset(i for i, o in enumerate(options, start=1) if name in o.categories),
            least,
            most,
        )
        for name, (least, most) in quotas.items()
    ]
    try:
        Quotas(categories).check_before_polling(range(1, len(options) + 1), seats)
    except QuotaError as problem:
        text = str(problem)
        return "Quotas: " + text[:1].upper() + text[1:] + "."
    return None


def question_problem(question: MemberQuestion) -> str | None:
    """Why a stored election cannot be polled as it stands, or None (shown before the roll)."""
    if question.kind != QuestionKind.STV:
        return None
    options = [Option(o.label, list(o.categories or [])) for o in question.options]
    return quota_problem_of(options, question.seats or 0, question.quotas or {})


def roll_problem(ballot: MemberBallot, now: datetime | None = None) -> str | None:
    """Why the roll cannot be made, or None; given `now`, also a closed or early roll."""
    if ballot.state != MemberBallotState.DRAFT:
        return "The roll is already made: the electorate was frozen then."
    if not ballot.questions:
        return "Add at least one question before making the roll."
    for question in ballot.questions:
        if problem := question_problem(question):
            return f"{question.title}: {problem}"
    if now is None:  # make_roll's own check: factories make rolls of past ballots for tests
        return None
    if ballot.closes_at <= now:
        return "The closing time has passed: change it before making the roll."
    if ballot.frozen_on > now.date():
        return (
            f"The freeze date is {ballot.frozen_on:%-d %B %Y}: the roll can be made from that "
            "day, when the register shows who is in good standing."
        )
    return None


# ---- referral from the conference ------------------------------------------------------------


def referral_of(conference_ballot: Ballot) -> MemberBallot | None:
    """The members' ballot a conference ballot was referred to, if any."""
    return db.session.scalars(
        sa.select(MemberBallot)
        .where(MemberBallot.referred_from_id == conference_ballot.id)
        .order_by(MemberBallot.id)
        .limit(1)
    ).first()


def refer_problem(conference_ballot: Ballot) -> str | None:
    """Why the ballot cannot be referred to the members, or None."""
    if conference_ballot.state != BallotState.DECLARED:
        return "Only a declared ballot can be referred: the conference decides first."
    if existing := referral_of(conference_ballot):
        return (
            f"{conference_ballot.title} is already referred to the members: see {existing.title}."
        )
    return None


def refer(conference_ballot: Ballot, actor=None, *, now: datetime | None = None) -> MemberBallot:
    """The conference refers its question to the members: a draft ballot with one yes/no question.

    Times are placeholders (a week from now, for a week) the committee sets before the roll.
    """
    if problem := refer_problem(conference_ballot):
        raise BallotError(problem)
    now = now or utcnow()
    start = now.replace(minute=0, second=0, microsecond=0)
    try:
        majority = Majority.from_text(conference_ballot.majority).to_text()
    except ValueError:
        majority = "simple"
    ballot = MemberBallot(
        conference_id=conference_ballot.conference_id,
        title=f"Referred by the conference: {conference_ballot.title}"[:TITLE_LIMIT],
        description=(
            f"The conference referred {conference_ballot.title} to a ballot of the members."
        ),
        opens_at=start + timedelta(days=7),
        closes_at=start + timedelta(days=14),
        frozen_on=now.date(),
        electorate=Electorate.ALL,
        referred_from_id=conference_ballot.id,
    )
    ballot.questions.append(
        MemberQuestion(
            kind=QuestionKind.YES_NO,
            position=1,
            title=conference_ballot.title,
            majority=majority,
        )
    )
    db.session.add(ballot)
    db.session.flush()
    audit.record(
        "member_ballot.referred",
        ballot,
        after={"referred_from_id": conference_ballot.id, "title": ballot.title},
        summary=f"The conference's {conference_ballot.title} referred to the members",
        actor=actor,
    )
    return ballot
