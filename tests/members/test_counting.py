"""The count of a members' ballot: each kind of question, and publishing after the close."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from confapp import factories
from confapp.members import casting, counting
from confapp.models import AuditEntry, MemberBallot, MemberBallotState, Role
from tests.members.test_casting import set_phase, voting_world


def papers_for(question, marks: list) -> list[dict]:
    """Papers that mark only this question, one per mark."""
    return [{str(question.id): mark} for mark in marks]


def ballot_of(questions: list[dict]) -> MemberBallot:
    """A draft ballot holding these questions (its rows, for the count's arithmetic)."""
    return factories.member_ballot(factories.conference(), questions)


# ---- yes / no -------------------------------------------------------------------------------


def test_yes_no_counts_for_against_and_abstentions_and_applies_the_majority(db):
    ballot = ballot_of([{"kind": "yes_no", "title": "Affiliate?"}])
    q = ballot.questions[0]

    result = counting.count(ballot, papers_for(q, ["yes"] * 6 + ["no"] * 3 + ["abstain"]), 12)

    assert result["electorate"] == 12 and result["cast"] == 10 and result["turnout"] == "83.33%"
    (shown,) = result["questions"]
    assert (shown["for"], shown["against"], shown["abstain"]) == (6, 3, 1)
    assert (shown["for_percent"], shown["against_percent"]) == ("66.67%", "33.33%")
    assert shown["carried"] is True
    assert shown["majority_words"] == "a simple majority (more for than against)"


@pytest.mark.parametrize(
    ("majority", "yes", "no", "carried"),
    [
        ("simple", 5, 5, False),  # a tie is not a majority
        ("two_thirds", 6, 3, True),  # exactly two-thirds carries
        ("two_thirds", 5, 3, False),
        ("3/5", 3, 2, True),
    ],
)
def test_the_questions_majority_decides(db, majority, yes, no, carried):
    ballot = ballot_of([{"kind": "yes_no", "majority": majority}])
    q = ballot.questions[0]

    (shown,) = counting.count(ballot, papers_for(q, ["yes"] * yes + ["no"] * no), 20)["questions"]

    assert shown["carried"] is carried


@pytest.mark.parametrize(("threshold", "met"), [(40, True), (41, False), (None, True)])
def test_a_turnout_threshold_is_measured_against_the_whole_electorate(db, threshold, met):
    ballot = ballot_of([{"kind": "yes_no", "turnout_threshold": threshold}])
    q = ballot.questions[0]

    # 4 of an electorate of 10 vote, all for: 40%.
    (shown,) = counting.count(ballot, papers_for(q, ["yes"] * 4), 10)["questions"]

    assert shown["threshold_met"] is met
    assert shown["carried"] is met


# ---- choose one, choose up to N -------------------------------------------------------------


def test_choose_one_totals_each_option_and_names_the_winner(db):
    ballot = ballot_of([{"kind": "choose_one", "options": ["Leeds", "York", "Hull"]}])
    q = ballot.questions[0]
    leeds, york, hull = (o.id for o in q.options)

    (shown,) = counting.count(ballot, papers_for(q, [[york]] * 3 + [[leeds]] * 2 + [[]]), 9)[
        "questions"
    ]

    assert [(o["label"], o["votes"], o["percent"]) for o in shown["options"]] == [
        ("Leeds", 2, "33.33%"),
        ("York", 3, "50.00%"),
        ("Hull", 0, "0.00%"),
    ]
    assert shown["abstain"] == 1
    assert shown["winners"] == [york] and shown["tied"] == []


def test_a_tie_for_first_place_names_the_tied_and_chooses_nobody(db):
    ballot = ballot_of([{"kind": "choose_one", "options": ["Leeds", "York"]}])
    q = ballot.questions[0]
    leeds, york = (o.id for o in q.options)

    (shown,) = counting.count(ballot, papers_for(q, [[york], [leeds]]), 2)["questions"]

    assert shown["winners"] == [] and sorted(shown["tied"]) == sorted([leeds, york])


def test_choose_up_to_n_fills_n_places_and_names_a_tie_for_the_last(db):
    ballot = ballot_of(
        [{"kind": "choose_up_to", "max_choices": 2, "options": ["A", "B", "C", "D"]}]
    )
    q = ballot.questions[0]
    a, b, c, d = (o.id for o in q.options)
    clear = papers_for(q, [[a, b], [a, c], [a, b], [d]])  # A 3, B 2, C 1, D 1
    tied = papers_for(q, [[a, b], [a, c], [a]])  # A 3, B 1, C 1

    (places,) = counting.count(ballot, clear, 10)["questions"]
    (tie,) = counting.count(ballot, tied, 10)["questions"]

    assert places["places"] == 2 and places["winners"] == [a, b] and places["tied"] == []
    assert tie["winners"] == [a] and sorted(tie["tied"]) == sorted([b, c])


# ---- STV ------------------------------------------------------------------------------------


def test_stv_counts_the_papers_with_the_quotas_and_keeps_the_count_sheet(db):
    ballot = ballot_of(
        [
            {
                "kind": "stv",
                "seats": 2,
                "quotas": {"woman": [1, None]},
                "options": [("Asha", ["woman"]), ("Bryn", []), ("Cerys", ["woman"]), ("Dev", [])],
            }
        ]
    )
    q = ballot.questions[0]
    asha, bryn, cerys, dev = (o.id for o in q.options)
    marks = [[bryn, dev]] * 5 + [[dev, bryn]] * 4 + [[asha]] * 2 + [[cerys]] + [[]]

    (shown,) = counting.count(ballot, papers_for(q, marks), 20, seed="abc")["questions"]

    count = shown["count"]
    # Without the quota Dev would take the second seat; at least one woman must be elected.
    assert [count["candidates"][n - 1] for n in count["elected"]] == ["Bryn", "Asha"]
    assert count["quota"] == "5.00000" and count["valid"] == "12.00000"
    assert count["seed"] == "abc" and len(count["stages"]) >= 2
    assert count["categories"] == [
        {"name": "woman", "minimum": 1, "maximum": None, "members": [1, 3]}
    ]
    assert shown["blank"] == 1 and shown["option_ids"] == [asha, bryn, cerys, dev]


def test_an_stv_count_the_quotas_cannot_meet_is_refused(db):
    ballot = ballot_of(
        [
            {
                "kind": "stv",
                "title": "Committee",
                "seats": 1,
                "quotas": {"woman": [1, None]},
                "options": ["Bryn", "Dev"],
            }
        ]
    )

    with pytest.raises(counting.PublishError, match="Committee: the count cannot run"):
        counting.count(ballot, [], 5)


# ---- publishing -----------------------------------------------------------------------------


def test_publishing_after_the_close_stores_the_result_and_is_logged(db):
    world = voting_world([{"kind": "yes_no", "title": "Affiliate?"}])
    q = world.ballot.questions[0]
    for n, code in enumerate(world.codes.values()):
        if n < 5:
            casting.cast(code, {str(q.id): ["yes", "yes", "no", "abstain", "yes"][n]})
    set_phase(world.ballot, "closed")
    chair = factories.user(conf=world.conference, role=Role.ADMIN)

    counting.publish(world.ballot, actor=chair)

    db.session.rollback()
    ballot = db.session.get(MemberBallot, world.ballot.id)
    assert ballot.state == MemberBallotState.PUBLISHED and ballot.published_at is not None
    assert ballot.published_by_id == chair.id
    assert ballot.result["cast"] == 5 and ballot.result["electorate"] == 6
    assert ballot.result["questions"][0]["for"] == 3
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "member_ballot.published")
    ).scalar_one()
    assert entry.summary == "Result of Members' ballot published: 5 votes cast of 6 (83.33%)"
    assert entry.user_id == chair.id


@pytest.mark.parametrize("phase", ["roll", "open"])
def test_publishing_before_the_close_is_refused_and_changes_nothing(db, phase):
    world = voting_world([{"kind": "yes_no"}], phase=phase)

    with pytest.raises(counting.PublishError, match="after the close"):
        counting.publish(world.ballot, actor=None)

    db.session.rollback()
    ballot = db.session.get(MemberBallot, world.ballot.id)
    assert ballot.state == MemberBallotState.ROLL and ballot.result is None


def test_a_published_result_is_not_published_again(db):
    world = voting_world([{"kind": "yes_no"}])
    set_phase(world.ballot, "closed")
    counting.publish(world.ballot, actor=None)
    first = db.session.get(MemberBallot, world.ballot.id).published_at

    with pytest.raises(counting.PublishError, match="published already"):
        counting.publish(world.ballot, actor=None)

    db.session.rollback()
    assert db.session.get(MemberBallot, world.ballot.id).published_at == first
