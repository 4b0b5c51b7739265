"""Tests for confapp.voting.tally: split shares, majorities, teller entries and exact tallies."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from confapp.voting.tally import (
    Entry,
    EntryError,
    Majority,
    check_entry,
    percent_text,
    split_shares,
    tally,
)

# --- split_shares --------------------------------------------------------------------------------


def test_split_1000_over_three_delegates():
    assert split_shares(1000, [1, 2, 3], {1, 2, 3}) == {1: 334, 2: 333, 3: 333}


def test_split_absent_delegate_share_goes_to_those_present():
    assert split_shares(900, [1, 2, 3, 4], {1, 2, 4}) == {1: 300, 2: 300, 4: 300}
    assert split_shares(1000, [1, 2, 3, 4], {2, 3, 4}) == {2: 334, 3: 333, 4: 333}


def test_split_leftover_goes_to_earlier_delegates_in_delegation_order():
    assert split_shares(5, [30, 10, 20], [10, 20, 30]) == {30: 2, 10: 2, 20: 1}


def test_split_nobody_present_gives_no_shares():
    assert split_shares(1000, [1, 2], set()) == {}
    assert split_shares(1000, [], {1}) == {}


def test_split_ignores_present_people_who_are_not_delegates_of_this_delegation():
    assert split_shares(10, [1, 2], {2, 99}) == {2: 10}


def test_split_refuses_negative_card_vote_and_repeated_delegates():
    with pytest.raises(ValueError, match="negative"):
        split_shares(-1, [1], {1})
    with pytest.raises(ValueError, match="more than once"):
        split_shares(10, [1, 1], {1})


@given(
    card_vote=st.integers(min_value=0, max_value=10**7),
    delegates=st.lists(st.integers(min_value=1, max_value=10**6), unique=True, max_size=30),
    data=st.data(),
)
def test_split_shares_sum_exactly_and_differ_by_at_most_one(card_vote, delegates, data):
    present = data.draw(st.sets(st.sampled_from(delegates)) if delegates else st.just(set()))
    shares = split_shares(card_vote, delegates, present)
    assert set(shares) == present
    if present:
        assert sum(shares.values()) == card_vote
        assert max(shares.values()) - min(shares.values()) <= 1
        # The larger shares come first in delegation order.
        in_order = [shares[d] for d in delegates if d in present]
        assert in_order == sorted(in_order, reverse=True)


# --- Majority ------------------------------------------------------------------------------------


def test_simple_majority_needs_more_for_than_against():
    simple = Majority.simple()
    assert simple.carried(101, 100)
    assert not simple.carried(100, 100)  # a tie is lost
    assert not simple.carried(0, 0)  # nothing cast is lost


def test_exactly_two_thirds_is_carried_under_two_thirds():
    two_thirds = Majority.two_thirds()
    assert two_thirds.carried(200, 100)
    assert not two_thirds.carried(199, 100)
    assert not two_thirds.carried(0, 0)


def test_public_case_718273_for_373801_against_fails_two_thirds():
    # 2010 union rule change: 65.77% for, short of two-thirds.
    result = tally(
        [Entry(1, None, 1_092_074, 718_273, 373_801)],
        None,
        Majority.two_thirds(),
    )
    assert not result.carried
    assert percent_text(result.overall.for_percent) == "65.77%"
    assert percent_text(result.overall.against_percent) == "34.23%"
    assert Majority.simple().carried(718_273, 373_801)


def test_rule_fraction_is_at_least_the_fraction():
    three_fifths = Majority.fraction(Fraction(3, 5))
    assert three_fifths.carried(60, 40)
    assert not three_fifths.carried(59, 41)


@pytest.mark.parametrize(
    ("text", "kind", "threshold", "words"),
    [
        ("simple", "simple", Fraction(1, 2), "a simple majority (more for than against)"),
        ("two_thirds", "two_thirds", Fraction(2, 3), "two-thirds of the votes cast"),
        ("3/5", "fraction", Fraction(3, 5), "3/5 of the votes cast"),
        (" 6 / 10 ", "fraction", Fraction(3, 5), "3/5 of the votes cast"),
        ("1/1", "fraction", Fraction(1), "1/1 of the votes cast"),
    ],
)
def test_majority_from_text_to_text_and_describe(text, kind, threshold, words):
    majority = Majority.from_text(text)
    assert (majority.kind, majority.threshold) == (kind, threshold)
    assert majority.describe() == words
    assert Majority.from_text(majority.to_text()) == majority


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must be 'simple', 'two_thirds' or a fraction"),
        ("two-thirds-ish", "must be 'simple', 'two_thirds' or a fraction"),
        ("0.67", "must be 'simple', 'two_thirds' or a fraction"),
        ("-1/2", "must be 'simple', 'two_thirds' or a fraction"),
        ("3/0", "divides by zero"),
        ("0/5", "more than 0 and at most 1"),
        ("6/5", "more than 0 and at most 1"),
    ],
)
def test_majority_from_text_refuses_bad_text_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Majority.from_text(text)


def test_majority_refuses_floats_and_inconsistent_thresholds():
    with pytest.raises(ValueError, match="Fraction"):
        Majority.fraction(0.6)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threshold 2/3"):
        Majority("two_thirds", Fraction(3, 5))


@given(
    for_=st.integers(min_value=0, max_value=10**9),
    against=st.integers(min_value=0, max_value=10**9),
    numerator=st.integers(min_value=1, max_value=100),
    denominator=st.integers(min_value=1, max_value=100),
)
def test_carried_agrees_with_integer_cross_multiplication(for_, against, numerator, denominator):
    cast = for_ + against
    assert Majority.simple().carried(for_, against) == (for_ > against)
    assert Majority.two_thirds().carried(for_, against) == (cast > 0 and 3 * for_ >= 2 * cast)
    if numerator <= denominator:
        rule = Majority.fraction(Fraction(numerator, denominator))
        expected = cast > 0 and denominator * for_ >= numerator * cast
        assert rule.carried(for_, against) == expected


# --- entries -------------------------------------------------------------------------------------


def test_entry_over_votes_present_is_refused_with_the_rule():
    message = (
        "For 600 + against 500 + abstain 0 = 1,100 is more than "
        "the 1,000 votes this delegation has present."
    )
    with pytest.raises(EntryError, match=re.escape(message)):
        check_entry(1000, 600, 500, 0)
    with pytest.raises(EntryError, match=re.escape(message)):
        Entry(7, "CLP", 1000, 600, 500, 0)


def test_negative_and_non_whole_entries_are_refused():
    with pytest.raises(EntryError, match="Against cannot be negative, not -5"):
        check_entry(1000, 10, -5, 0)
    with pytest.raises(EntryError, match="Votes present cannot be negative"):
        Entry(1, None, -1, 0, 0)
    with pytest.raises(EntryError, match="For must be a whole number"):
        check_entry(10, 1.5, 0, 0)  # type: ignore[arg-type]
    assert issubclass(EntryError, ValueError)


def test_entry_not_voting_is_what_is_left_of_votes_present():
    entry = Entry(1, None, 1000, 600, 300, 50)
    assert entry.not_voting == 50
    check_entry(1000, 1000, 0, 0)  # exactly all present is fine


# --- tally ---------------------------------------------------------------------------------------


def test_abstentions_and_absent_votes_are_not_cast():
    result = tally(
        [Entry(1, None, 1000, 300, 200, 400), Entry(2, None, 500, 0, 100, 0)],
        None,
        Majority.simple(),
    )
    overall = result.overall
    assert (overall.for_, overall.against, overall.abstain) == (300, 300, 400)
    assert (overall.not_voting, overall.votes_present, overall.cast) == (500, 1500, 600)
    assert overall.for_percent == 50
    assert not result.carried  # 300 for, 300 against: a tie, however many abstained


def test_zero_cast_is_lost_and_has_no_percentages():
    result = tally([Entry(1, "A", 100, 0, 0, 100)], None, Majority.fraction(Fraction(1, 100)))
    assert not result.carried
    assert result.overall.for_percent is None
    assert result.sections[0].against_percent is None
    assert not tally([], None, Majority.simple()).carried


def test_fifty_fifty_weighting_computed_by_hand():
    # Section A 60% for, section B 20% for: 50 × 0.6 + 50 × 0.2 = 40.00%.
    entries = [Entry(1, "A", 1000, 600, 400), Entry(2, "B", 1000, 200, 800)]
    result = tally(entries, {"A": 50, "B": 50}, Majority.simple())
    assert result.weighted
    assert result.overall.for_percent == 40
    assert percent_text(result.overall.for_percent) == "40.00%"
    assert percent_text(result.overall.against_percent) == "60.00%"
    assert not result.carried
    assert [s.section for s in result.sections] == ["A", "B"]
    assert [s.weight for s in result.sections] == [50, 50]
    assert [s.for_percent for s in result.sections] == [60, 20]


def test_weighting_can_carry_what_the_unweighted_count_loses():
    # A: 900 for, 100 against (90%); B: 3,000 for, 7,000 against (30%).
    # Weighted 50/50: 60% for, carried. Unweighted: 3,900 of 11,000 = 35.45%, lost.
    entries = [Entry(1, "A", 1000, 900, 100), Entry(2, "B", 10_000, 3000, 7000)]
    weighted = tally(entries, {"A": 50, "B": 50}, Majority.simple())
    unweighted = tally(entries, None, Majority.simple())
    assert weighted.carried
    assert percent_text(weighted.overall.for_percent) == "60.00%"
    assert not unweighted.carried
    assert percent_text(unweighted.overall.for_percent) == "35.45%"
    # The raw totals are the same either way; only the deciding percentage differs.
    assert (weighted.overall.for_, weighted.overall.against) == (3900, 7100)


def test_weighting_can_lose_what_the_unweighted_count_carries():
    # A: 600 for, 400 against (60%); B: 20 for, 80 against (20%).
    # Weighted 50/50: 40%, lost. Unweighted: 620 of 1,100 = 56.36%, carried.
    entries = [Entry(1, "A", 1000, 600, 400), Entry(2, "B", 100, 20, 80)]
    assert not tally(entries, {"A": 50, "B": 50}, Majority.simple()).carried
    unweighted = tally(entries, None, Majority.simple())
    assert unweighted.carried
    assert percent_text(unweighted.overall.for_percent) == "56.36%"


def test_weighted_two_thirds_uses_the_exact_weighted_share():
    # A 100% for, B 1/3 for: 50 × 1 + 50 × 1/3 = 66.666...% = exactly two-thirds, carried.
    entries = [Entry(1, "A", 30, 30, 0), Entry(2, "B", 300, 100, 200)]
    result = tally(entries, {"A": 50, "B": 50}, Majority.two_thirds())
    assert result.overall.for_percent == Fraction(200, 3)
    assert result.carried
    assert percent_text(result.overall.for_percent) == "66.67%"


def test_weighted_section_with_no_votes_cast_is_left_out_and_others_renormalise():
    entries = [Entry(1, "A", 1000, 550, 450), Entry(2, "B", 1000, 0, 0, 1000)]
    result = tally(entries, {"A": 50, "B": 50}, Majority.simple())
    assert result.overall.for_percent == 55
    assert result.carried
    # A listed section with no entries still appears, empty, in the given order.
    result = tally([Entry(1, "A", 10, 6, 4)], {"B": 30, "A": 70}, Majority.simple())
    assert [(s.section, s.cast) for s in result.sections] == [("B", 0), ("A", 10)]
    assert result.overall.for_percent == 60


def test_unequal_weights():
    # 70 × 0.5 + 30 × 1.0 = 65%.
    entries = [Entry(1, "CLP", 100, 50, 50), Entry(2, "AFF", 100, 100, 0)]
    result = tally(entries, {"CLP": 70, "AFF": 30}, Majority.fraction(Fraction(13, 20)))
    assert result.overall.for_percent == 65
    assert result.carried


def test_sections_are_sorted_with_none_last_when_no_weights_are_given():
    entries = [Entry(1, None, 10, 1, 0), Entry(2, "B", 10, 2, 0), Entry(3, "A", 10, 3, 0)]
    result = tally(entries, None, Majority.simple())
    assert [s.section for s in result.sections] == ["A", "B", None]
    assert not result.weighted


def test_all_none_weights_mean_unweighted_in_the_given_order():
    entries = [Entry(1, "A", 1000, 600, 400), Entry(2, "B", 100, 20, 80)]
    result = tally(entries, {"B": None, "A": None}, Majority.simple())
    assert not result.weighted
    assert [s.section for s in result.sections] == ["B", "A"]
    assert result.overall.for_percent == Fraction(62000, 1100)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"A": 50, "B": None}, "every section has a weight or none"),
        ({"A": 50, "B": 0}, "section 'B' must be a positive whole number"),
        ({"A": 50, "B": 0.5}, "section 'B' must be a positive whole number"),
        ({"A": 50}, "not in the section weights: 'B'"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    entries = [Entry(1, "A", 10, 5, 5), Entry(2, "B", 10, 5, 5)]
    with pytest.raises(ValueError, match=re.escape(message)):
        tally(entries, weights, Majority.simple())


def test_a_group_entered_twice_is_refused():
    with pytest.raises(ValueError, match="Group 1 has more than one entry"):
        tally([Entry(1, None, 10, 5, 5), Entry(1, None, 10, 5, 5)], None, Majority.simple())


@st.composite
def entries_strategy(draw):
    count = draw(st.integers(min_value=0, max_value=12))
    entries = []
    for group_id in range(count):
        present = draw(st.integers(min_value=0, max_value=10**6))
        for_ = draw(st.integers(min_value=0, max_value=present))
        against = draw(st.integers(min_value=0, max_value=present - for_))
        abstain = draw(st.integers(min_value=0, max_value=present - for_ - against))
        section = draw(st.sampled_from(["A", "B", None]))
        entries.append(Entry(group_id, section, present, for_, against, abstain))
    return entries


@given(entries=entries_strategy(), weighted=st.booleans())
def test_tally_totals_are_the_sums_of_the_entries(entries, weighted):
    weights = {"A": 50, "B": 30, None: 20} if weighted else None
    result = tally(entries, weights, Majority.two_thirds())
    overall = result.overall
    assert overall.for_ == sum(e.for_ for e in entries)
    assert overall.against == sum(e.against for e in entries)
    assert overall.abstain == sum(e.abstain for e in entries)
    assert overall.not_voting == sum(e.not_voting for e in entries)
    assert overall.votes_present == sum(e.votes_present for e in entries)
    for field in ("for_", "against", "abstain", "not_voting", "votes_present", "cast"):
        assert getattr(overall, field) == sum(getattr(s, field) for s in result.sections)
    if overall.cast:
        assert overall.for_percent + overall.against_percent == 100
        assert result.carried == (overall.for_percent >= Fraction(200, 3))
    else:
        assert overall.for_percent is None
        assert not result.carried


@given(entries=entries_strategy())
def test_one_weighted_section_is_the_same_as_unweighted(entries):
    entries = [Entry(e.group_id, "only", e.votes_present, e.for_, e.against) for e in entries]
    weighted = tally(entries, {"only": 50}, Majority.simple())
    unweighted = tally(entries, None, Majority.simple())
    assert weighted.overall == unweighted.overall
    assert weighted.carried == unweighted.carried


# --- percent_text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(0), "0.00%"),
        (Fraction(100), "100.00%"),
        (Fraction(200, 3), "66.67%"),
        (Fraction(1, 200), "0.01%"),  # 0.005 rounds half up
        (Fraction(1, 201), "0.00%"),
        (Fraction(2049, 200), "10.25%"),  # 10.245 rounds up, not to even
        (Fraction(-1, 200), "-0.01%"),
        (Fraction(-1, 1000), "0.00%"),
        (50, "50.00%"),
    ],
)
def test_percent_text_rounds_half_up_to_two_places(value, text):
    assert percent_text(value) == text


def test_percent_text_refuses_floats():
    with pytest.raises(TypeError):
        percent_text(65.77)  # type: ignore[arg-type]


@given(
    numerator=st.integers(min_value=0, max_value=10**12),
    denominator=st.integers(min_value=1, max_value=10**12),
)
def test_percent_text_has_exactly_two_decimals_and_rounds_half_up(numerator, denominator):
    value = Fraction(numerator, denominator)
    text = percent_text(value)
    assert re.fullmatch(r"\d+\.\d{2}%", text)
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(numerator) / Decimal(denominator)
        assert text == f"{exact.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"
    # Within half a hundredth of the exact value.
    assert abs(Fraction(text[:-1]) - value) <= Fraction(1, 200)
