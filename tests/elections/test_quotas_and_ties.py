"""Quotas step by step (guard, doom, the check before polling) and the recorded draw."""

from __future__ import annotations

import hashlib

import pytest

from confapp.elections import Ballot, Category, QuotaError, count_stv
from confapp.elections.ties import draw_digest

NAMES = ["Ann", "Bob", "Cat", "Dan"]
# Bob and Dan lead; Ann and Cat, both women, trail.
BALLOTS = [Ballot((2, 4), 40), Ballot((4, 2), 35), Ballot((1, 3), 12), Ballot((3, 1), 10)]
WOMEN = frozenset({1, 3})


@pytest.mark.parametrize("rule", ["scottish", "meek"])
def test_a_minimum_guards_the_woman_who_must_be_elected(rule):
    plain = count_stv(NAMES, BALLOTS, 2, rule)
    assert sorted(plain.elected) == [2, 4]
    result = count_stv(NAMES, BALLOTS, 2, rule, categories=[Category("women", WOMEN, 1)])
    assert 2 in result.elected and len(WOMEN & set(result.elected)) == 1
    # Dan, the runner-up, is kept out: his election would leave no seat for a woman.
    assert 4 not in result.elected
    notes = " ".join(n for s in result.stages for n in s.notes)
    assert "quotas" in notes


@pytest.mark.parametrize("rule", ["scottish", "meek"])
def test_a_maximum_dooms_the_candidate_who_would_break_it(rule):
    men = Category("men", frozenset({2, 4}), maximum=1)
    result = count_stv(NAMES, BALLOTS, 2, rule, categories=[men])
    assert len({2, 4} & set(result.elected)) == 1
    assert 2 in result.elected


def test_quotas_that_cannot_be_met_are_refused_before_polling():
    with pytest.raises(QuotaError, match="'women' needs at least 3 elected but only 2"):
        count_stv(NAMES, BALLOTS, 3, categories=[Category("women", WOMEN, 3)])
    both = [Category("women", WOMEN, 2), Category("Ann or Bob", frozenset({1, 2}), 0, 0)]
    with pytest.raises(QuotaError, match="no 2 of the 4 candidates standing meet every"):
        count_stv(NAMES, BALLOTS, 2, categories=both)


def test_the_draw_can_be_redone_by_hand():
    assert draw_digest("seed", 3) == hashlib.sha256(b"seed:3").hexdigest()
    # Two candidates equal at every stage: the exclusion is settled by the draw, recorded.
    names = ["A", "B", "C"]
    ballots = [Ballot((1,), 5), Ballot((2,), 3), Ballot((3,), 3)]
    result = count_stv(names, ballots, 1, seed="2024-conference")
    (tie,) = result.stages[1].ties
    assert tie.method == "draw" and tie.tied == [2, 3]
    expected = min(
        (2, 3), key=lambda c: hashlib.sha256(f"2024-conference:{c}".encode()).hexdigest()
    )
    assert tie.chosen == expected == result.stages[1].subject
    again = count_stv(names, list(reversed(ballots)), 1, seed="2024-conference")
    assert again.stages[1].subject == expected


def test_an_earlier_stage_breaks_a_tie_before_the_draw():
    # Quota 8: A's surplus of 2 lifts B from 2 to 4, level with C; at stage 1 B had fewer.
    names = ["A", "B", "C", "D"]
    ballots = [Ballot((1, 2), 10), Ballot((2,), 2), Ballot((3,), 4), Ballot((4,), 5)]
    result = count_stv(names, ballots, 2)
    assert result.stages[1].votes == {1: 800000, 2: 400000, 3: 400000, 4: 500000}
    exclusion = result.stages[2]
    (tie,) = exclusion.ties
    assert (tie.tied, tie.method, tie.chosen) == ([2, 3], "stage 1", 2)
    assert exclusion.subject == 2
