"""Casting a members' vote: the link's code used once, one blank paper filled, in one transaction.

The secrecy is in the order of the writes. Nothing links a voter to a paper: the voter row
only learns `has_voted`; the paper filled is a blank one chosen at random (the first blank id
at or after a random hex start, wrapping round), and it takes no time, no voter and no
member. Both writes and the audit entry (which names no member) commit together, so a crash
between them loses nothing and doubles nothing, and two requests with one code (two app
processes at the same instant) fill one paper: the voter UPDATE is conditional (`NOT
has_voted`), and the loser's UPDATE matches no row once the winner commits.

What one transaction cannot hide on PostgreSQL: every row a transaction writes carries its
transaction id (the system column xmin), so until a row is written again a voter row and the
paper filled with it share an xmin, readable by anyone who may SELECT from both tables. (A
VACUUM FREEZE does not clear it: PostgreSQL keeps the original xmin on frozen rows.) A new
row version also lands in its page's free space in the order of the updates, so ctid orders
the papers of one page by when they were cast. Publishing the result (counting.publish)
rewrites every paper of the ballot in a random order in one transaction, which gives them
all one xmin and a shuffled ctid; until then, only those with read access to the database
itself could link a paper to a voter, and a paper's choices stay unreadable to the app's
users until the close. SQLite keeps neither: an UPDATE leaves a row's rowid where it was.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from confapp import audit
from confapp.extensions import db
from confapp.members.codes import hash_code, new_receipt
from confapp.models import (
    AuditEntry,
    MemberBallot,
    MemberBallotState,
    MemberQuestion,
    MemberVote,
    QuestionKind,
    Voter,
    utcnow,
)

YES_NO = ("yes", "no", "abstain")
ABSTAIN = "abstain"


class ChoiceError(ValueError):
    """Choices the paper does not allow: a message for each question that is wrong."""

    def __init__(self, problems: dict[int, str]):
        self.problems = problems
        super().__init__("; ".join(problems.values()))


class CastRefused(ValueError):
    """The code cannot vote now: `reason` is invalid, used, not_open or closed."""

    def __init__(self, reason: str, ballot: MemberBallot | None = None):
        self.reason = reason
        self.ballot = ballot
        super().__init__(reason)


@dataclass(frozen=True)
class Link:
    """What a voting link leads to: its ballot, and whether it has voted (never how)."""

    ballot: MemberBallot
    has_voted: bool


def open_link(code: str) -> Link | None:
    """The ballot behind a voting code, or None when no voter holds that code."""
    row = db.session.execute(
        sa.select(Voter.ballot_id, Voter.has_voted).where(Voter.code_hash == hash_code(code))
    ).first()
    if row is None:
        return None
    # The paper's questions and options in two more reads, however many questions it has.
    paper = selectinload(MemberBallot.questions).selectinload(MemberQuestion.options)
    return Link(db.session.get(MemberBallot, row.ballot_id, options=[paper]), row.has_voted)


# ---- choices --------------------------------------------------------------------------------


def field_name(question: MemberQuestion) -> str:
    """The form field of a question (a rank's field adds the option: see rank_field)."""
    return f"q-{question.id}"


def rank_field(question: MemberQuestion, option_id: int) -> str:
    """The form field holding the rank given to one candidate of an STV question."""
    return f"q-{question.id}-o-{option_id}"


def choices_from_form(ballot: MemberBallot, form: MultiDict) -> dict[str, object]:
    """The paper's choices as the form sent them, checked: ChoiceError names each problem."""
    raw: dict[str, object] = {}
    problems: dict[int, str] = {}
    for number, question in enumerate(ballot.questions, 1):
        name = field_name(question)
        if question.kind == QuestionKind.STV:
            try:
                raw[str(question.id)] = _ranking(question, form, number)
            except ValueError as problem:
                problems[question.id] = str(problem)
            continue
        if question.kind == QuestionKind.CHOOSE_UP_TO:
            raw[str(question.id)] = [v for v in form.getlist(name) if v != ABSTAIN]
            continue
        value = form.get(name, "").strip()
        if question.kind == QuestionKind.CHOOSE_ONE and value not in ("", ABSTAIN):
            raw[str(question.id)] = [value]
        elif question.kind == QuestionKind.CHOOSE_ONE and value == ABSTAIN:
            raw[str(question.id)] = []
        else:
            raw[str(question.id)] = value
    try:
        choices = normalise(ballot, raw)
    except ChoiceError as error:
        problems = error.problems | problems
    if problems:
        raise ChoiceError(problems)
    return choices


def _ranking(question: MemberQuestion, form: MultiDict, number: int) -> list[str]:
    """Option ids in the order the member ranked them; ranks must run 1, 2, 3 ... once each."""
    ranks: dict[int, list[str]] = {}
    for option in question.options:
        text = form.get(rank_field(question, option.id), "").strip()
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= len(question.options):
            raise ValueError(
                f"Question {number}: {option.label}'s rank must be a number from 1 to "
                f"{len(question.options)}, not {text[:20]!r}."
            )
        ranks.setdefault(int(text), []).append(option.label)
    for rank, labels in sorted(ranks.items()):
        if len(labels) > 1:
            raise ValueError(
                f"Question {number}: {' and '.join(labels)} are both ranked {rank}; "
                f"give each rank to one candidate only."
            )
    for expected, rank in enumerate(sorted(ranks), 1):
        if rank != expected:
            raise ValueError(
                f"Question {number}: there is a {rank} but no {expected}; number your "
                f"choices 1, 2, 3 ... without gaps."
            )
    by_label = {option.label: option.id for option in question.options}
    return [str(by_label[labels[0]]) for _, labels in sorted(ranks.items())]


def normalise(ballot: MemberBallot, choices: dict) -> dict[str, object]:
    """Choices checked against the paper, in the form stored on it.

    {question id: "yes" | "no" | "abstain"} for a yes/no question, {question id: [option
    ids]} otherwise (an empty list abstains; an STV list is in order of preference).
    """
    stored: dict[str, object] = {}
    problems: dict[int, str] = {}
    for number, question in enumerate(ballot.questions, 1):
        value = choices.get(str(question.id), choices.get(question.id))
        try:
            stored[str(question.id)] = _checked(question, value, number)
        except ValueError as problem:
            problems[question.id] = str(problem)
    unknown = {str(key) for key in choices} - {str(q.id) for q in ballot.questions}
    if unknown and ballot.questions:
        problems.setdefault(ballot.questions[0].id, "The paper has no such question.")
    if problems:
        raise ChoiceError(problems)
    return stored


def _checked(question: MemberQuestion, value, number: int):
    if question.kind == QuestionKind.YES_NO:
        if value not in YES_NO:
            raise ValueError(f"Question {number}: choose Yes, No or Abstain.")
        return value
    if value is None:
        value = []
    if not isinstance(value, list):
        raise ValueError(f"Question {number}: the choices could not be read.")
    known = {option.id for option in question.options}
    ids = []
    for item in value:
        try:
            option_id = int(item)
        except (TypeError, ValueError):
            option_id = None
        if option_id not in known:
            raise ValueError(f"Question {number}: that is not one of its options.")
        ids.append(option_id)
    if len(set(ids)) != len(ids):
        raise ValueError(f"Question {number}: an option is chosen more than once.")
    if question.kind == QuestionKind.CHOOSE_ONE and len(ids) > 1:
        raise ValueError(f"Question {number}: choose one option only, not {len(ids)}.")
    if question.kind == QuestionKind.CHOOSE_UP_TO:
        limit = question.max_choices or len(question.options)
        if len(ids) > limit:
            raise ValueError(
                f"Question {number}: choose up to {limit}; you chose {len(ids)}. "
                f"Untick {len(ids) - limit}."
            )
        place = {option.id: option.position for option in question.options}
        ids.sort(key=place.__getitem__)  # no order of preference: keep the paper's
    return ids


# ---- casting --------------------------------------------------------------------------------


def cast(code: str, choices: dict) -> str:
    """Vote with a link's code: its voter marked, one blank paper filled; the receipt.

    `choices` are checked first (ChoiceError; nothing stored). The voter's UPDATE matches only
    while the code has not voted and the ballot is open, so a used code, a closed ballot or
    the second of two requests at one instant is refused (CastRefused) with nothing changed.
    """
    link = open_link(code)
    if link is None:
        raise CastRefused("invalid")
    ballot = link.ballot
    ballot_id, title, conference_id = ballot.id, ballot.title, ballot.conference_id
    stored = normalise(ballot, choices)
    # End the read: on SQLite the write below then begins from a fresh snapshot (it waits
    # for the write lock instead of failing on a snapshot older than another vote's commit).
    db.session.commit()
    try:
        now = utcnow()
        opened = (
            sa.select(MemberBallot.id)
            .where(
                MemberBallot.id == Voter.ballot_id,
                MemberBallot.state == MemberBallotState.ROLL,
                MemberBallot.opens_at <= now,
                MemberBallot.closes_at > now,
            )
            .exists()
        )
        marked = db.session.execute(
            sa.update(Voter)
            .where(Voter.code_hash == hash_code(code), Voter.has_voted == sa.false(), opened)
            .values(has_voted=True)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:
            db.session.rollback()
            raise _why_refused(code)
        receipt = _fill_paper(ballot_id, stored)
        _record_vote(ballot_id, title, conference_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return receipt


def _fill_paper(ballot_id: int, choices: dict) -> str:
    """Fill one blank paper of the ballot, chosen at random, with the choices and a receipt."""
    receipt = new_receipt()
    start = secrets.token_hex(16)
    for lowest in (start, ""):  # from a random point, then round from the start
        blank = (
            sa.select(MemberVote.id)
            .where(
                MemberVote.ballot_id == ballot_id,
                MemberVote.is_cast == sa.false(),  # as the blank papers' index has it
                MemberVote.id >= lowest,
            )
            .order_by(MemberVote.id)
            .limit(1)
            # PostgreSQL: a paper another vote is filling is passed over, not waited for.
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        filled = db.session.execute(
            sa.update(MemberVote)
            .where(MemberVote.id == blank, MemberVote.is_cast == sa.false())
            .values(is_cast=True, receipt=receipt, choices=choices)
            .execution_options(synchronize_session=False)
        )
        if filled.rowcount == 1:
            return receipt
    # One paper was made per voter, so a voter marked finds one: a broken roll.
    raise RuntimeError(f"members' ballot {ballot_id} has no blank paper left")


def _record_vote(ballot_id: int, title: str, conference_id: int) -> None:
    """The audit entry: a vote was cast in the ballot; no member, no choices, no address."""
    values = audit.entry_values(
        "member_ballot.vote_cast",
        "MemberBallot",
        ballot_id,
        conference_id=conference_id,
        summary=f"A vote was cast in {title}"[:500],
    )
    # The member is not logged in and must not be named; their address could name them.
    values.update(user_id=None, actor="a member (not named)", remote_addr=None)
    db.session.add(AuditEntry(**values))


def _why_refused(code: str) -> CastRefused:
    """Why the voter's UPDATE matched nothing: the ballot is not open, or voted already."""
    link = open_link(code)
    if link is None:
        return CastRefused("invalid")
    return CastRefused(refusal(link) or "closed", link.ballot)


def refusal(link: Link) -> str | None:
    """Why a link cannot vote now (closed, not_open or used), or None while it can."""
    phase = link.ballot.phase(utcnow())
    if phase in ("closed", "published"):
        return "closed"
    if phase != "open":
        return "not_open"
    return "used" if link.has_voted else None
