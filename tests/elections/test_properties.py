"""Properties of both counts, on random small elections (hypothesis)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confapp.elections import Ballot, Category, QuotaError, count_stv

RULES = ["scottish", "meek"]


WHOLE_VOTES = st.integers(1, 6)


@st.composite
def elections(draw, weights=WHOLE_VOTES):
    size = draw(st.integers(2, 6))
    seats = draw(st.integers(1, size - 1))
    ballots = []
    for _ in range(draw(st.integers(1, 14))):
        order = draw(st.permutations(range(1, size + 1)))
        ballots.append(Ballot(tuple(order[: draw(st.integers(1, size))]), draw(weights)))
    return size, seats, ballots


@st.composite
def categories(draw, size):
    found = []
    for index in range(draw(st.integers(1, 3))):
        members = draw(st.sets(st.integers(1, size), min_size=1, max_size=size))
        low = draw(st.integers(0, 2))
        high = draw(st.one_of(st.none(), st.integers(low, low + 2)))
        found.append(Category(f"c{index}", frozenset(members), low, high))
    return found


def _count(size, seats, ballots, rule, **kw):
    return count_stv([f"C{i}" for i in range(1, size + 1)], ballots, seats, rule, seed="p", **kw)


def _meets(elected, quotas):
    return all(
        q.minimum
        <= len(q.members & set(elected))
        <= (len(elected) if q.maximum is None else q.maximum)
        for q in quotas
    )


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=40)
@given(
    election=elections(
        weights=st.one_of(st.integers(1, 6), st.fractions(Fraction(1, 7), 5, max_denominator=9))
    )
)
def test_votes_are_conserved_at_every_stage(rule, election):
    size, seats, ballots = election
    result = _count(size, seats, ballots, rule)
    valid = result.valid * 10**result.decimals
    for stage in result.stages:
        assert sum(stage.votes.values()) + stage.non_transferable + stage.rounding == valid
        assert stage.rounding >= 0 and stage.non_transferable >= 0
    assert len(result.elected) == seats


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=30)
@given(election=elections(), data=st.data())
def test_ballot_order_does_not_change_the_count(rule, election, data):
    size, seats, ballots = election
    shuffled = data.draw(st.permutations(ballots))
    one, other = _count(size, seats, ballots, rule), _count(size, seats, shuffled, rule)
    assert one.elected == other.elected
    assert [s.votes for s in one.stages] == [s.votes for s in other.stages]


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=50)
@given(election=elections(), data=st.data())
def test_quotas_are_met_whenever_any_set_meets_them(rule, election, data):
    size, seats, ballots = election
    quotas = data.draw(categories(size))
    possible = any(
        _meets(chosen, quotas) for chosen in itertools.combinations(range(1, size + 1), seats)
    )
    if not possible:
        with pytest.raises(QuotaError, match="the quotas cannot be met"):
            _count(size, seats, ballots, rule, categories=quotas)
        return
    result = _count(size, seats, ballots, rule, categories=quotas)
    assert len(result.elected) == seats
    assert _meets(result.elected, quotas)


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=40)
@given(election=elections(), data=st.data())
def test_a_quota_the_result_already_meets_changes_nothing(rule, election, data):
    size, seats, ballots = election
    plain = _count(size, seats, ballots, rule)
    members = frozenset(data.draw(st.sets(st.integers(1, size), min_size=1)))
    inside = len(members & set(plain.elected))
    low = data.draw(st.integers(0, inside))
    high = data.draw(st.one_of(st.none(), st.integers(inside, seats)))
    quota = Category("met", members, low, high)
    constrained = _count(size, seats, ballots, rule, categories=[quota])
    assert set(constrained.elected) == set(plain.elected)
    votes = [s.votes for s in constrained.stages]
    assert votes == [s.votes for s in plain.stages][: len(votes)]
    guarded = any("needed for the quotas" in n for s in constrained.stages for n in s.notes)
    if guarded:
        # Those a minimum needs filled the last seats at once: the count ends there early.
        assert len(votes) <= len(plain.stages)
    else:
        assert constrained.elected == plain.elected
        assert len(votes) == len(plain.stages)
