"""The count of a members' ballot after the close, and its publication.

Every question is counted from the cast papers: a yes/no question by its majority
(confapp.voting.tally.Majority) and turnout threshold against the electorate; choose one and
choose up to N by each option's total; an STV question by confapp.elections' count with its
quotas, keeping the count sheet. Publishing stores the result and opens the papers to all.
"""

from __future__ import annotations

import secrets
from collections import Counter
from fractions import Fraction

import sqlalchemy as sa

from confapp import audit
from confapp.database import lock_row
from confapp.elections import Ballot, Category, CountError, count_stv
from confapp.elections.sheet import stored_result
from confapp.extensions import db
from confapp.models import (
    MemberBallot,
    MemberBallotState,
    MemberQuestion,
    MemberVote,
    QuestionKind,
    Voter,
    utcnow,
)
from confapp.text import plural
from confapp.voting.tally import Majority, percent_text, percent_texts


class PublishError(ValueError):
    """The result cannot be published now; the message says why. Nothing changed."""


def electorate_size(ballot_id: int) -> int:
    """How many may vote in the ballot (its roll)."""
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Voter).where(Voter.ballot_id == ballot_id)
    ).scalar_one()


def cast_choices(ballot_id: int) -> list[dict]:
    """The choices on every cast paper of the ballot."""
    return list(
        db.session.execute(
            sa.select(MemberVote.choices).where(
                MemberVote.ballot_id == ballot_id, MemberVote.is_cast.is_(True)
            )
        ).scalars()
    )


def count(ballot: MemberBallot, papers: list[dict], electorate: int, *, seed: str = "") -> dict:
    """The result of every question from the papers' choices (pure but for the ballot's rows)."""
    cast = len(papers)
    return {
        "electorate": electorate,
        "cast": cast,
        "turnout": percent_text(Fraction(100 * cast, electorate)) if electorate else "0.00%",
        "questions": [
            _question(question, papers, electorate, seed or secrets.token_hex(8))
            for question in ballot.questions
        ],
    }


def _question(question: MemberQuestion, papers: list[dict], electorate: int, seed: str) -> dict:
    key = str(question.id)
    marks = [paper.get(key) for paper in papers]
    head = {"id": question.id, "kind": str(question.kind), "title": question.title}
    if question.kind == QuestionKind.YES_NO:
        return head | _yes_no(question, marks, electorate, len(papers))
    if question.kind == QuestionKind.STV:
        return head | _stv(question, marks, seed)
    return head | _choose(question, marks, len(papers))


def _yes_no(question: MemberQuestion, marks: list, electorate: int, cast: int) -> dict:
    tally = Counter(marks)
    for_, against, abstain = tally["yes"], tally["no"], tally["abstain"]
    majority = Majority.from_text(question.majority or "simple")
    threshold = question.turnout_threshold
    # Turnout is every paper cast (abstentions too) against the whole electorate.
    threshold_met = threshold is None or cast * 100 >= threshold * electorate
    voting = for_ + against
    shares = (
        percent_texts([Fraction(100 * for_, voting), Fraction(100 * against, voting)])
        if voting
        else ["", ""]
    )
    return {
        "for": for_,
        "against": against,
        "abstain": abstain,
        "for_percent": shares[0],
        "against_percent": shares[1],
        "majority": majority.to_text(),
        "majority_words": majority.describe(),
        "threshold": threshold,
        "threshold_met": threshold_met,
        "carried": threshold_met and majority.carried(for_, against),
    }


def _choose(question: MemberQuestion, marks: list, cast: int) -> dict:
    votes = Counter(option_id for chosen in marks if chosen for option_id in chosen)
    places = 1
    if question.kind == QuestionKind.CHOOSE_UP_TO:
        places = question.seats or question.max_choices or 1
    options = [
        {
            "id": option.id,
            "label": option.label,
            "votes": votes[option.id],
            "percent": percent_text(Fraction(100 * votes[option.id], cast)) if cast else "",
        }
        for option in question.options
    ]
    ranked = sorted((o for o in options if o["votes"]), key=lambda o: -o["votes"])
    winners, tied = [o["id"] for o in ranked[:places]], []
    if len(ranked) > places and ranked[places]["votes"] == ranked[places - 1]["votes"]:
        # A tie for the last place: those above it win, the tied are named, none is chosen.
        line = ranked[places - 1]["votes"]
        winners = [o["id"] for o in ranked if o["votes"] > line]
        tied = [o["id"] for o in ranked if o["votes"] == line]
    return {
        "options": options,
        "abstain": sum(1 for chosen in marks if not chosen),
        "places": places,
        "winners": winners,
        "tied": tied,
    }


def stv_input(question: MemberQuestion, marks: list) -> tuple[list[str], list[Category], list]:
    """Candidates (numbered from 1 by their place on the paper), quota categories, ballots."""
    options = list(question.options)
    number = {option.id: n for n, option in enumerate(options, 1)}
    categories = [
        Category(
            name=name,
            members=frozenset(number[o.id] for o in options if name in (o.categories or [])),
            minimum=int(bounds[0] or 0),
            maximum=None if bounds[1] is None else int(bounds[1]),
        )
        for name, bounds in sorted((question.quotas or {}).items())
    ]
    ballots = Counter(tuple(number[option_id] for option_id in (chosen or [])) for chosen in marks)
    return (
        [option.label for option in options],
        categories,
        [Ballot(preferences, weight) for preferences, weight in sorted(ballots.items())],
    )


def _stv(question: MemberQuestion, marks: list, seed: str) -> dict:
    candidates, categories, ballots = stv_input(question, marks)
    try:
        result = count_stv(
            candidates,
            ballots,
            question.seats or 1,
            question.rule or "scottish",
            categories=categories,
            seed=seed,
        )
    except CountError as problem:  # QuotaError too: the candidates cannot meet the quotas
        raise PublishError(f"{question.title}: the count cannot run: {problem}.") from None
    return {
        "option_ids": [option.id for option in question.options],
        "blank": sum(1 for chosen in marks if not chosen),
        "count": stored_result(result),
    }


def publish(ballot: MemberBallot, actor) -> dict:
    """Count the closed ballot and publish it: result stored, papers open to all; committed.

    Refused (PublishError, nothing changed) before the close and once published. The papers
    are written again in a random order in the same transaction, so that on PostgreSQL their
    transaction id (xmin) and place (ctid) no longer say which were cast with which voter.
    """
    lock_row(ballot)
    now = utcnow()
    phase = ballot.phase(now)
    if phase == "published":
        raise PublishError("The result is published already.")
    if phase != "closed":
        raise PublishError(
            "The result is counted and published after the close: voting is not over yet."
            if phase == "open"
            else "Voting has not taken place yet: the result is published after the close."
        )
    result = count(ballot, cast_choices(ballot.id), electorate_size(ballot.id))
    _write_again_shuffled(ballot.id)
    ballot.result = result
    ballot.state = MemberBallotState.PUBLISHED
    ballot.published_at = now
    ballot.published_by_id = getattr(actor, "id", None)
    audit.record(
        "member_ballot.published",
        ballot,
        before={"state": "roll"},
        after={
            "state": "published",
            "electorate": result["electorate"],
            "cast": result["cast"],
        },
        summary=(
            f"Result of {ballot.title} published: {plural(result['cast'], 'vote')} cast of "
            f"{result['electorate']:,} ({result['turnout']})"
        ),
        actor=actor,
    )
    db.session.commit()
    return result


def _write_again_shuffled(ballot_id: int) -> None:
    """Delete the ballot's papers and insert them again in a random order (same transaction).

    In SQL, through a temporary table, so that 21,000 papers never travel to Python and back.
    """
    columns = "id, ballot_id, is_cast, receipt, choices"
    statements = [
        "DROP TABLE IF EXISTS member_vote_shuffle",
        f"CREATE TEMPORARY TABLE member_vote_shuffle AS SELECT {columns} FROM member_vote "
        "WHERE ballot_id = :ballot",
        "DELETE FROM member_vote WHERE ballot_id = :ballot",
        # random() in both databases: an order unrelated to the one the papers were cast in.
        f"INSERT INTO member_vote ({columns}) SELECT {columns} FROM member_vote_shuffle "
        "ORDER BY random()",
        "DROP TABLE member_vote_shuffle",
    ]
    for statement in statements:
        db.session.execute(sa.text(statement), {"ballot": ballot_id})


def published_ballots(conference) -> list[MemberBallot]:
    """The conference's published members' ballots, in the order they were published."""
    return list(
        db.session.scalars(
            sa.select(MemberBallot)
            .where(
                MemberBallot.conference_id == conference.id,
                MemberBallot.state == MemberBallotState.PUBLISHED,
                MemberBallot.result.is_not(None),
            )
            .order_by(MemberBallot.published_at, MemberBallot.id)
        )
    )


def book_parts(conference) -> list[dict]:
    """What the results book prints of each published members' ballot: its result and sheets."""
    from confapp.elections.publish import count_sheet
    from confapp.links import external_url

    return [
        {
            "ballot": ballot,
            "result": ballot.result,
            "receipts_url": external_url(
                "members.receipts", conference_id=ballot.conference_id, member_ballot_id=ballot.id
            ),
            "sheets": {
                q["id"]: count_sheet(q["count"])
                for q in ballot.result["questions"]
                if q["kind"] == QuestionKind.STV
            },
        }
        for ballot in published_ballots(conference)
    ]
