"""Casting a members' vote: the link's code used once, one blank paper filled, in one transaction.

The secrecy is in the order of the writes. Nothing links a voter to a paper: the voter row
only learns `has_voted`; the paper filled is a blank one chosen at random (the first blank id
at or after a random hex start, wrapping round), and it takes no time, no voter and no
member. Both writes and the audit entry (which names no member) commit together, so a crash
between them loses nothing and doubles nothing, and two requests with one code (two app
processes at the same instant) fill one paper: the voter UPDATE is conditional (`NOT
has_voted`), and the loser's UPDATE matches no row once the winner commits.

On PostgreSQL a vote is two round trips on an autocommit connection, as a scan at the door
is: the voter read with its ballot and conference (the paper's questions and options come
from this process's copy: see _kept_paper), then one statement that marks the voter, fills
the paper and writes the audit entry, atomic by itself (_PG_CAST). On SQLite the same three
writes run in one short transaction (_cast_sqlite). Both work on plain values, never the ORM.

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

import functools
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import psycopg as pg_dialect
from werkzeug.datastructures import MultiDict

from confapp.database import autocommit_connection, is_sqlite, pg_row, pyformat
from confapp.extensions import db
from confapp.members.codes import hash_code, new_receipt
from confapp.models import (
    AuditEntry,
    Conference,
    MemberBallot,
    MemberBallotState,
    MemberOption,
    MemberQuestion,
    MemberVote,
    QuestionKind,
    Voter,
    utcnow,
)

YES_NO = ("yes", "no", "abstain")
ABSTAIN = "abstain"
# Papers (questions and options) kept by each process: a handful of ballots are open at once.
PAPERS_KEPT = 32

# The tables, not the classes: a vote is a few plain statements, without the ORM's work.
_voter = Voter.__table__
_ballot = MemberBallot.__table__
_conference = Conference.__table__
_question = MemberQuestion.__table__
_option = MemberOption.__table__
_paper = MemberVote.__table__
_audit = AuditEntry.__table__


class ChoiceError(ValueError):
    """Choices the paper does not allow: a message for each question that is wrong."""

    def __init__(self, problems: dict[int, str]):
        self.problems = problems
        super().__init__("; ".join(problems.values()))


class CastRefused(ValueError):
    """The code cannot vote now: `reason` is invalid, used, not_open or closed."""

    def __init__(self, reason: str, ballot: Ballot | None = None):
        self.reason = reason
        self.ballot = ballot
        super().__init__(reason)


# ---- the link and its paper -----------------------------------------------------------------


@dataclass(frozen=True)
class ConferenceHeader:
    """What a member's pages show of the conference: its name, in its time zone."""

    id: int
    name: str
    timezone: str


@dataclass(frozen=True)
class Option:
    """A choice on a question, or a candidate."""

    id: int
    position: int
    label: str
    statement: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """One question on the paper, with its options in order."""

    id: int
    position: int
    kind: QuestionKind
    title: str
    text: str
    max_choices: int | None
    seats: int | None
    quotas: MappingProxyType
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Ballot:
    """A members' ballot as its voting link shows it: plain values, read once a request."""

    id: int
    conference_id: int
    title: str
    description: str
    state: MemberBallotState
    opens_at: datetime
    closes_at: datetime
    conference: ConferenceHeader
    questions: tuple[Question, ...]

    phase = MemberBallot.phase  # the model's own rule, on these values


@dataclass(frozen=True)
class Link:
    """What a voting link leads to: its ballot, and whether it has voted (never how)."""

    ballot: Ballot
    has_voted: bool


# The voter, their ballot and its conference in one read.
_LINK = (
    sa.select(
        _voter.c.has_voted,
        _ballot.c.id,
        _ballot.c.conference_id,
        _ballot.c.title,
        _ballot.c.description,
        _ballot.c.state,
        _ballot.c.opens_at,
        _ballot.c.closes_at,
        _ballot.c.version,
        _ballot.c.roll_made_at,
        _conference.c.name.label("conference_name"),
        _conference.c.timezone,
    )
    .select_from(
        _voter.join(_ballot, _ballot.c.id == _voter.c.ballot_id).join(
            _conference, _conference.c.id == _ballot.c.conference_id
        )
    )
    .where(_voter.c.code_hash == sa.bindparam("p_code_hash"))
)
_PG_LINK = str(_LINK.compile(dialect=pg_dialect.dialect()))  # psycopg's %(name)s style


def open_link(code: str) -> Link | None:
    """The ballot behind a voting code, or None when no voter holds that code."""
    params = {"p_code_hash": hash_code(code)}
    if not is_sqlite():
        with autocommit_connection() as connection:
            row = pg_row(connection, _PG_LINK, params)
    else:
        row = db.session.execute(_LINK, params).first()
    if row is None:
        return None
    if row.state == MemberBallotState.DRAFT or row.roll_made_at is None:
        questions = _read_paper(row.id)  # still being written: never kept
    else:
        questions = _kept_paper(row.id, row.version, row.roll_made_at)
    ballot = Ballot(
        id=row.id,
        conference_id=row.conference_id,
        title=row.title,
        description=row.description,
        state=MemberBallotState(row.state),  # the driver's plain text on PostgreSQL
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        conference=ConferenceHeader(row.conference_id, row.conference_name, row.timezone),
        questions=questions,
    )
    return Link(ballot, row.has_voted)


# Each process keeps the papers it has read, so a vote does not read them again. Only what
# cannot change is kept: once the roll is made a ballot's questions and options are fixed
# (ballots._only_draft refuses every change), and its times and state are read with the
# voter on every request, never kept. No state is shared between processes or needs to be:
# every worker keeps its own copy of the same fixed rows, and a worker that restarts reads
# them again. The key holds the ballot's version and the time its roll was made, so a ballot
# that changed, or another database whose ids start again (tests), is read afresh.
@functools.lru_cache(maxsize=PAPERS_KEPT)
def _kept_paper(ballot_id: int, version: int, roll_made_at: datetime) -> tuple[Question, ...]:
    return _read_paper(ballot_id)


def _read_paper(ballot_id: int) -> tuple[Question, ...]:
    """The ballot's questions and their options, in order, in one read."""
    rows = db.session.execute(
        sa.select(
            _question.c.id,
            _question.c.position,
            _question.c.kind,
            _question.c.title,
            _question.c.text,
            _question.c.max_choices,
            _question.c.seats,
            _question.c.quotas,
            _option.c.id.label("option_id"),
            _option.c.position.label("option_position"),
            _option.c.label,
            _option.c.statement,
            _option.c.categories,
        )
        .select_from(_question.outerjoin(_option, _option.c.question_id == _question.c.id))
        .where(_question.c.ballot_id == ballot_id)
        .order_by(_question.c.position, _question.c.id, _option.c.position, _option.c.id)
    ).all()
    questions: dict[int, tuple] = {}
    options: dict[int, list[Option]] = {}
    for row in rows:
        questions.setdefault(row.id, row)
        found = options.setdefault(row.id, [])
        if row.option_id is not None:
            found.append(
                Option(
                    row.option_id,
                    row.option_position,
                    row.label,
                    row.statement,
                    tuple(row.categories or ()),
                )
            )
    return tuple(
        Question(
            id=q.id,
            position=q.position,
            kind=q.kind,
            title=q.title,
            text=q.text,
            max_choices=q.max_choices,
            seats=q.seats,
            quotas=MappingProxyType(dict(q.quotas or {})),
            options=tuple(options[q.id]),
        )
        for q in questions.values()
    )


# ---- choices --------------------------------------------------------------------------------


def field_name(question: Question) -> str:
    """The form field of a question (a rank's field adds the option: see rank_field)."""
    return f"q-{question.id}"


def rank_field(question: Question, option_id: int) -> str:
    """The form field holding the rank given to one candidate of an STV question."""
    return f"q-{question.id}-o-{option_id}"


def choices_from_form(ballot: Ballot, form: MultiDict) -> dict[str, object]:
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


def _ranking(question: Question, form: MultiDict, number: int) -> list[str]:
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


def normalise(ballot: Ballot, choices: dict) -> dict[str, object]:
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


def _checked(question: Question, value, number: int):
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


# ---- casting ----------------------------------------------------------------------------------

# SQLite: the voter marked, only while the code has not voted and its ballot is open.
_MARK = (
    sa.update(_voter)
    .where(
        _voter.c.code_hash == sa.bindparam("p_code_hash"),
        _voter.c.has_voted == sa.false(),
        sa.select(_ballot.c.id)
        .where(
            _ballot.c.id == _voter.c.ballot_id,
            _ballot.c.state == MemberBallotState.ROLL,
            _ballot.c.opens_at <= sa.bindparam("p_now"),
            _ballot.c.closes_at > sa.bindparam("p_now"),
        )
        .exists(),
    )
    .values(has_voted=True)
)
# SQLite: the first blank paper of the ballot at or after a point.
_BLANK = (
    sa.select(_paper.c.id)
    .where(
        _paper.c.ballot_id == sa.bindparam("p_ballot_id"),
        _paper.c.is_cast == sa.false(),  # as the blank papers' index has it
        _paper.c.id >= sa.bindparam("p_lowest"),
    )
    .order_by(_paper.c.id)
    .limit(1)
    .scalar_subquery()
)
_FILL = (
    sa.update(_paper)
    .where(_paper.c.id == _BLANK, _paper.c.is_cast == sa.false())
    .values(
        is_cast=True,
        receipt=sa.bindparam("p_receipt"),
        choices=sa.bindparam("p_choices", type_=_paper.c.choices.type),
    )
)
_RECORD = sa.insert(_audit)

# PostgreSQL: the same three writes as one statement, which commits or fails as a whole.
# - `marked` is the serialising step: a second request with the code waits on the voter row,
#   then finds it voted and marks nothing.
# - A blank paper is sought only once the voter is marked (EXISTS (marked) gates each search),
#   so a refused request never holds a paper; a search passes over a paper another vote is
#   filling (SKIP LOCKED) instead of waiting for it, from a random point, then from the start.
# - A voter marked with no paper left to fill would break the roll (one paper per voter): the
#   last line then fails the statement (a text cast to a number), undoing the mark with it.
#   The text is made of the counts, so the planner cannot work it out (and fail) beforehand.
_PG_CAST = pyformat("""
    WITH marked AS (
        UPDATE voter SET has_voted = TRUE
        WHERE code_hash = :code_hash AND NOT has_voted
          AND EXISTS (SELECT 1 FROM member_ballot
                      WHERE member_ballot.id = voter.ballot_id AND member_ballot.state = 'roll'
                        AND member_ballot.opens_at <= :at AND member_ballot.closes_at > :at)
        RETURNING ballot_id
    ),
    filled AS (
        UPDATE member_vote SET is_cast = TRUE, receipt = :receipt, choices = CAST(:choices AS JSON)
        WHERE NOT is_cast AND id = COALESCE(
            (SELECT id FROM member_vote
             WHERE EXISTS (SELECT 1 FROM marked) AND ballot_id = :entity_id AND NOT is_cast
               AND id >= :lowest
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED),
            (SELECT id FROM member_vote
             WHERE EXISTS (SELECT 1 FROM marked) AND ballot_id = :entity_id AND NOT is_cast
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED))
        RETURNING id
    ),
    recorded AS (
        INSERT INTO audit_entry (at, user_id, actor, action, entity_type, entity_id,
                                 conference_id, summary, remote_addr)
        SELECT :at, CAST(:user_id AS INTEGER), :actor, :action, :entity_type, :entity_id,
               :conference_id, :summary, CAST(:remote_addr AS VARCHAR)
        WHERE EXISTS (SELECT 1 FROM filled)
    )
    SELECT CASE WHEN marked.n = filled.n THEN marked.n
                ELSE CAST('ballot ' || :entity_id || ': ' || marked.n || ' voter marked, '
                          || filled.n || ' papers filled: no blank paper left' AS INTEGER)
           END AS voted
    FROM (SELECT count(*) AS n FROM marked) AS marked, (SELECT count(*) AS n FROM filled) AS filled
""")


def cast(code: str, choices: dict, link: Link | None = None) -> str:
    """Vote with a link's code: its voter marked, one blank paper filled; the receipt.

    `choices` are checked first (ChoiceError; nothing stored). The voter's UPDATE matches only
    while the code has not voted and the ballot is open, so a used code, a closed ballot or
    the second of two requests at one instant is refused (CastRefused) with nothing changed.
    `link` is the code's, when the caller has opened it already.
    """
    if link is None:
        link = open_link(code)
    if link is None:
        raise CastRefused("invalid")
    ballot = link.ballot
    stored = normalise(ballot, choices)
    receipt = new_receipt()
    entry = _vote_entry(ballot)
    if not is_sqlite():
        written = _cast_postgres(code, stored, receipt, entry)
    else:
        written = _cast_sqlite(code, stored, receipt, entry)
    if not written:
        raise _why_refused(code)
    return receipt


def _cast_postgres(code: str, choices: dict, receipt: str, entry: dict) -> bool:
    """The vote as one atomic statement; False when the code could not vote (nothing written)."""
    params = entry | {
        "code_hash": hash_code(code),
        "lowest": secrets.token_hex(16),
        "receipt": receipt,
        "choices": json.dumps(choices),
    }
    with autocommit_connection() as connection:
        return pg_row(connection, _PG_CAST, params).voted == 1


def _cast_sqlite(code: str, choices: dict, receipt: str, entry: dict) -> bool:
    """The vote as one short transaction; False when the code could not vote (nothing written)."""
    # End any read first: the write then begins from a fresh snapshot (it waits for the write
    # lock instead of failing on a snapshot older than another vote's commit).
    db.session.commit()
    try:
        marked = db.session.execute(_MARK, {"p_code_hash": hash_code(code), "p_now": entry["at"]})
        if marked.rowcount != 1:
            db.session.rollback()
            return False
        _fill_paper(entry["entity_id"], choices, receipt)
        db.session.execute(_RECORD, entry)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def _fill_paper(ballot_id: int, choices: dict, receipt: str) -> None:
    """Fill one blank paper of the ballot, chosen at random, with the choices and the receipt."""
    start = secrets.token_hex(16)
    for lowest in (start, ""):  # from a random point, then round from the start
        filled = db.session.execute(
            _FILL,
            {
                "p_ballot_id": ballot_id,
                "p_lowest": lowest,
                "p_receipt": receipt,
                "p_choices": choices,
            },
        )
        if filled.rowcount == 1:
            return
    # One paper was made per voter, so a voter marked finds one: a broken roll.
    raise RuntimeError(f"no blank paper left for a voter marked in ballot {ballot_id}")


def _vote_entry(ballot: Ballot) -> dict:
    """The audit entry: a vote was cast in the ballot; no member, no choices, no address."""
    # The member is not logged in and must not be named; their address could name them.
    return {
        "at": utcnow(),
        "user_id": None,
        "actor": "a member (not named)",
        "action": "member_ballot.vote_cast",
        "entity_type": "MemberBallot",
        "entity_id": ballot.id,
        "conference_id": ballot.conference_id,
        "summary": f"A vote was cast in {ballot.title}"[:500],
        "remote_addr": None,
    }


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
