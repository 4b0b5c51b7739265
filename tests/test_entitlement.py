"""Tests for confapp.entitlement: delegate entitlement and card votes from membership."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confapp.entitlement import (
    FIGURES,
    FILLED_BY,
    ROUNDINGS,
    Band,
    CardVoteRule,
    Entitlement,
    EntitlementRule,
    EqualityRule,
    GroupFigures,
    ReservedGrant,
    ReservedSeat,
    RuleError,
    base_delegates,
    card_vote,
    describe,
    entitle,
    round_ratio,
)

# Public rule: Labour CLPs, 2022 rulebook (see DOMAIN.md).
LABOUR = EntitlementRule(first=749, step=250, rounding="up", minimum=1, cap=6)
# Public rule: a US socialist convention, 2023: one per 75, nearest, minimum 1.
US = EntitlementRule(first=0, step=75, rounding="nearest", minimum=1)
# The same US rule written as a first band of 75: the answers must not change.
US_FIRST_BAND = EntitlementRule(first=75, step=75, rounding="nearest", minimum=1)

WHOLE_VOTE = CardVoteRule()
WOMENS_SEAT = ReservedSeat("women's seat", "women_members", at_least=100, filled_by="woman")
YOUTH_SEATS = ReservedSeat("youth seat", "young_members", at_least=30, seats=2, filled_by="young")


# --- worked cases --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "expected"),
    [(1, 1), (749, 1), (750, 2), (999, 2), (1000, 3), (1749, 5), (1750, 6), (10000, 6)],
)
def test_labour_worked_cases(members: int, expected: int) -> None:
    assert base_delegates(LABOUR, members) == expected
    got = entitle(LABOUR, WHOLE_VOTE, GroupFigures(members=members))
    assert got == Entitlement(base_delegates=expected, reserved=(), card_vote=members)
    assert got.total_delegates == expected


@pytest.mark.parametrize("rule", [US, US_FIRST_BAND], ids=["per-75", "first-75"])
@pytest.mark.parametrize(("members", "expected"), [(270, 4), (400, 5), (10, 1)])
def test_us_worked_cases(rule: EntitlementRule, members: int, expected: int) -> None:
    assert base_delegates(rule, members) == expected
    assert entitle(rule, WHOLE_VOTE, GroupFigures(members)).base_delegates == expected


@pytest.mark.parametrize(
    ("numerator", "denominator", "rounding", "expected"),
    [
        (3, 2, "nearest", 2),  # a half rounds up, not to even
        (5, 2, "nearest", 3),  # Python's round(2.5) would give 2
        (5, 2, "down", 2),
        (5, 2, "up", 3),
        (4, 2, "up", 2),
        (4, 2, "down", 2),
        (4, 2, "nearest", 2),
        (0, 7, "up", 0),
        (1, 250, "up", 1),  # "or part thereof"
        (249, 250, "down", 0),
        (124, 250, "nearest", 0),
        (125, 250, "nearest", 1),
        (270, 75, "nearest", 4),
        (400, 75, "nearest", 5),
    ],
)
def test_round_ratio(numerator: int, denominator: int, rounding: str, expected: int) -> None:
    assert round_ratio(numerator, denominator, rounding) == expected  # type: ignore[arg-type]


def test_round_ratio_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="denominator"):
        round_ratio(1, 0, "up")
    with pytest.raises(ValueError, match="rounding"):
        round_ratio(1, 2, "sideways")  # type: ignore[arg-type]


@given(st.integers(-(10**30), 10**30), st.integers(1, 10**12), st.sampled_from(ROUNDINGS))
def test_round_ratio_matches_exact_fraction(
    numerator: int, denominator: int, rounding: str
) -> None:
    exact = Fraction(numerator, denominator)
    expected = {
        "up": math.ceil(exact),
        "down": math.floor(exact),
        "nearest": math.floor(exact + Fraction(1, 2)),
    }[rounding]
    assert round_ratio(numerator, denominator, rounding) == expected  # type: ignore[arg-type]


def test_steps_rounding_down_and_no_first_band() -> None:
    rule = EntitlementRule(step=100, rounding="down")
    assert [base_delegates(rule, m) for m in (1, 99, 100, 199, 200)] == [0, 0, 1, 1, 2]
    # Rounding down can leave a small group with nothing; a minimum puts it back to one.
    with_min = EntitlementRule(step=100, rounding="down", minimum=1)
    assert [base_delegates(with_min, m) for m in (1, 99, 100, 250)] == [1, 1, 1, 2]


def test_steps_first_band_rounding_down() -> None:
    rule = EntitlementRule(first=100, step=50, rounding="down")
    assert [base_delegates(rule, m) for m in (1, 100, 149, 150, 199, 200)] == [1, 1, 1, 2, 2, 3]


def test_no_members_means_no_base_delegates_even_with_minimum() -> None:
    assert base_delegates(LABOUR, 0) == 0
    assert base_delegates(EntitlementRule(minimum=3), 0) == 0


# --- band tables -------------------------------------------------------------------------------

BANDS_OPEN = EntitlementRule(
    formula="bands",
    bands=(Band(50, 1), Band(200, 2), Band(1000, 3), Band(None, 5)),
)
BANDS_CLOSED = EntitlementRule(formula="bands", bands=(Band(100, 1), Band(500, 2)))


@pytest.mark.parametrize(
    ("members", "expected"),
    [(1, 1), (50, 1), (51, 2), (200, 2), (201, 3), (1000, 3), (1001, 5), (10**7, 5)],
)
def test_band_table_with_open_last_row(members: int, expected: int) -> None:
    assert base_delegates(BANDS_OPEN, members) == expected


@pytest.mark.parametrize(("members", "expected"), [(1, 1), (100, 1), (101, 2), (500, 2), (501, 2)])
def test_band_table_members_above_every_row_get_last_row(members: int, expected: int) -> None:
    assert base_delegates(BANDS_CLOSED, members) == expected


def test_band_table_with_minimum_and_cap() -> None:
    rule = EntitlementRule(
        formula="bands",
        bands=(Band(10, 0), Band(100, 1), Band(None, 9)),
        minimum=1,
        cap=4,
    )
    assert [base_delegates(rule, m) for m in (1, 10, 11, 100, 101)] == [1, 1, 1, 1, 4]


def test_band_rows_given_as_list_become_a_tuple() -> None:
    as_list = EntitlementRule(formula="bands", bands=[Band(10, 1), Band(None, 2)])  # type: ignore[arg-type]
    as_tuple = EntitlementRule(formula="bands", bands=(Band(10, 1), Band(None, 2)))
    assert as_list == as_tuple
    assert hash(as_list) == hash(as_tuple)


# --- reserved seats ----------------------------------------------------------------------------

CAPPED_WITH_SEATS = EntitlementRule(
    first=749, step=250, minimum=1, cap=6, reserved=(WOMENS_SEAT, YOUTH_SEATS)
)


@pytest.mark.parametrize(
    ("women", "young", "expected_labels", "expected_seats"),
    [
        (0, 0, (), 0),
        (99, 29, (), 0),
        (100, 29, ("women's seat",), 1),
        (99, 30, ("youth seat",), 2),
        (100, 30, ("women's seat", "youth seat"), 3),
        (5000, 5000, ("women's seat", "youth seat"), 3),
    ],
)
def test_reserved_seats_at_threshold(
    women: int, young: int, expected_labels: tuple[str, ...], expected_seats: int
) -> None:
    got = entitle(CAPPED_WITH_SEATS, WHOLE_VOTE, GroupFigures(10000, women, young))
    assert tuple(grant.seat.label for grant in got.reserved) == expected_labels
    assert got.reserved_seats == expected_seats
    # Reserved seats sit outside the cap: base stays at 6, the total goes above it.
    assert got.base_delegates == 6
    assert got.total_delegates == 6 + expected_seats


def test_reserved_grant_carries_the_seat_and_its_count() -> None:
    got = entitle(CAPPED_WITH_SEATS, WHOLE_VOTE, GroupFigures(800, 0, 30))
    assert got.reserved == (ReservedGrant(seat=YOUTH_SEATS, seats=2),)
    assert got.reserved[0].seat.filled_by == "young"
    assert got.total_delegates == 2 + 2


def test_reserved_seat_with_zero_threshold_needs_a_nonzero_figure() -> None:
    rule = EntitlementRule(step=100, reserved=(ReservedSeat("women's seat", "women_members", 0),))
    assert entitle(rule, WHOLE_VOTE, GroupFigures(100, women_members=0)).reserved == ()
    assert entitle(rule, WHOLE_VOTE, GroupFigures(100, women_members=1)).reserved_seats == 1


def test_reserved_seat_on_members_figure() -> None:
    rule = EntitlementRule(step=100, reserved=(ReservedSeat("large group seat", "members", 1000),))
    assert entitle(rule, WHOLE_VOTE, GroupFigures(999)).reserved_seats == 0
    assert entitle(rule, WHOLE_VOTE, GroupFigures(1000)).reserved_seats == 1


# --- good standing and bad figures -------------------------------------------------------------


def test_group_not_in_good_standing_gets_nothing() -> None:
    figures = GroupFigures(5000, 4000, 4000, in_good_standing=False)
    assert entitle(CAPPED_WITH_SEATS, WHOLE_VOTE, figures) == Entitlement(0, (), 0)


def test_group_with_no_members_gets_nothing() -> None:
    rule = EntitlementRule(minimum=2, reserved=(ReservedSeat("any", "women_members", 0),))
    figures = GroupFigures(0, women_members=3)
    got = entitle(rule, WHOLE_VOTE, figures)
    assert got == Entitlement(0, (), 0)
    assert got.total_delegates == 0


@pytest.mark.parametrize("name", ["members", "women_members", "young_members"])
def test_negative_figures_are_refused(name: str) -> None:
    kwargs = {"members": 10, name: -1}
    with pytest.raises(ValueError, match=name):
        GroupFigures(**kwargs)


def test_negative_members_refused_by_functions() -> None:
    with pytest.raises(ValueError, match="members"):
        base_delegates(LABOUR, -1)
    with pytest.raises(ValueError, match="members"):
        card_vote(WHOLE_VOTE, -1)


# --- card votes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "members", "expected"),
    [
        (CardVoteRule(), 1234, 1234),
        (CardVoteRule(mode="split"), 1234, 1234),
        (CardVoteRule(round_to=100), 1299, 1200),
        (CardVoteRule(round_to=100, rounding="up"), 1201, 1300),
        (CardVoteRule(round_to=100, rounding="up"), 1200, 1200),
        (CardVoteRule(round_to=100, rounding="nearest"), 1249, 1200),
        (CardVoteRule(round_to=100, rounding="nearest"), 1250, 1300),
        (CardVoteRule(round_to=1000), 999, 0),
        (CardVoteRule(cap=3000), 5000, 3000),
        (CardVoteRule(cap=3000), 2999, 2999),
        (CardVoteRule(round_to=1000, rounding="up", cap=2500), 2001, 2500),
    ],
)
def test_card_vote(rule: CardVoteRule, members: int, expected: int) -> None:
    assert card_vote(rule, members) == expected


def test_entitle_uses_card_rule() -> None:
    got = entitle(LABOUR, CardVoteRule(round_to=100, cap=1000), GroupFigures(1234))
    assert got.card_vote == 1000
    assert got.base_delegates == 3


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (EntitlementRule(formula="magic"), "formula"),  # type: ignore[arg-type]
        (EntitlementRule(first=-1), "first"),
        (EntitlementRule(step=0), "step"),
        (EntitlementRule(step=True), "step"),
        (EntitlementRule(step=1.5), "step"),  # type: ignore[arg-type]
        (EntitlementRule(rounding="sideways"), "rounding"),  # type: ignore[arg-type]
        (EntitlementRule(minimum=-1), "minimum"),
        (EntitlementRule(cap=0), "cap"),
        (EntitlementRule(minimum=3, cap=2), "cap"),
        (EntitlementRule(max_alternates=-1), "max_alternates"),
        (EntitlementRule(formula="bands"), "bands"),
        (EntitlementRule(formula="bands", bands=(Band(0, 1),)), "bands[0].up_to"),
        (EntitlementRule(formula="bands", bands=(Band(10, -1),)), "bands[0].delegates"),
        (EntitlementRule(formula="bands", bands=(Band(10, 1), Band(10, 2))), "bands[1].up_to"),
        (EntitlementRule(formula="bands", bands=(Band(10, 1), Band(5, 2))), "bands[1].up_to"),
        (EntitlementRule(formula="bands", bands=(Band(10, 2), Band(20, 1))), "bands[1].delegates"),
        (EntitlementRule(formula="bands", bands=(Band(None, 1), Band(20, 2))), "bands[0].up_to"),
        (EntitlementRule(reserved=(ReservedSeat("", "members", 1),)), "reserved[0].label"),
        (EntitlementRule(reserved=(ReservedSeat("  ", "members", 1),)), "reserved[0].label"),
        (EntitlementRule(reserved=(ReservedSeat("a\nb", "members", 1),)), "reserved[0].label"),
        (
            EntitlementRule(
                reserved=(ReservedSeat("x", "members", 1), ReservedSeat("x", "members", 2))
            ),
            "reserved[1].label",
        ),
        (EntitlementRule(reserved=(ReservedSeat("x", "pets", 1),)), "reserved[0].figure"),  # type: ignore[arg-type]
        (EntitlementRule(reserved=(ReservedSeat("x", "members", -1),)), "reserved[0].at_least"),
        (EntitlementRule(reserved=(ReservedSeat("x", "members", 1, 0),)), "reserved[0].seats"),
        (
            EntitlementRule(reserved=(ReservedSeat("x", "members", 1, filled_by="mayor"),)),  # type: ignore[arg-type]
            "reserved[0].filled_by",
        ),
        (EntitlementRule(equality=EqualityRule(low_paid_from=0)), "equality.low_paid_from"),
        (EntitlementRule(equality=EqualityRule(young_from=0)), "equality.young_from"),
        (
            EntitlementRule(equality=EqualityRule(women_every_second="yes")),  # type: ignore[arg-type]
            "equality.women_every_second",
        ),
    ],
)
def test_entitlement_rule_validate_names_field(rule: EntitlementRule, field: str) -> None:
    with pytest.raises(RuleError) as caught:
        rule.validate()
    assert str(caught.value).startswith(f"{field}: ")
    assert caught.value.field == field
    # Applying an invalid rule fails the same way rather than computing nonsense.
    with pytest.raises(RuleError, match=r"^" + field.replace("[", r"\[").replace("]", r"\]")):
        entitle(rule, WHOLE_VOTE, GroupFigures(100))


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (CardVoteRule(mode="secret"), "mode"),  # type: ignore[arg-type]
        (CardVoteRule(round_to=0), "round_to"),
        (CardVoteRule(rounding="sideways"), "rounding"),  # type: ignore[arg-type]
        (CardVoteRule(cap=0), "cap"),
    ],
)
def test_card_vote_rule_validate_names_field(rule: CardVoteRule, field: str) -> None:
    with pytest.raises(RuleError) as caught:
        rule.validate()
    assert str(caught.value).startswith(f"{field}: ")


def test_valid_rules_pass_validation() -> None:
    for rule in (LABOUR, US, US_FIRST_BAND, BANDS_OPEN, BANDS_CLOSED, CAPPED_WITH_SEATS):
        rule.validate()
    CardVoteRule(mode="split", round_to=100, rounding="nearest", cap=10**6).validate()


def test_rule_error_is_a_value_error() -> None:
    assert issubclass(RuleError, ValueError)


# --- to_dict / from_dict -----------------------------------------------------------------------


def test_to_dict_is_plain_json() -> None:
    data = CAPPED_WITH_SEATS.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["reserved"][0] == {
        "label": "women's seat",
        "figure": "women_members",
        "at_least": 100,
        "seats": 1,
        "filled_by": "woman",
    }
    assert CardVoteRule(cap=5).to_dict() == {
        "mode": "block",
        "round_to": 1,
        "rounding": "down",
        "cap": 5,
    }


def test_from_dict_missing_keys_take_defaults() -> None:
    assert EntitlementRule.from_dict({}) == EntitlementRule()
    assert EntitlementRule.from_dict({"step": 75, "rounding": "nearest", "minimum": 1}) == US
    assert EntitlementRule.from_dict({"equality": None}) == EntitlementRule()
    seat = EntitlementRule.from_dict(
        {"reserved": [{"label": "s", "figure": "members", "at_least": 5}]}
    ).reserved[0]
    assert seat == ReservedSeat("s", "members", 5, seats=1, filled_by="anyone")
    assert CardVoteRule.from_dict({}) == CardVoteRule()
    assert CardVoteRule.from_dict({"cap": 100}) == CardVoteRule(cap=100)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "rule"),
        (None, "rule"),
        ({"cap": "6"}, "cap"),
        ({"step": 6.0}, "step"),
        ({"first": None}, "first"),
        ({"caps": 6}, "caps"),
        ({"bands": "10:1"}, "bands"),
        ({"bands": [[10, 1]]}, "bands[0]"),
        ({"bands": [{"up_to": 10}]}, "bands[0].delegates"),
        ({"bands": [{"up_to": 10, "delegates": 1, "colour": "red"}]}, "bands[0].colour"),
        ({"formula": "bands", "bands": [{"up_to": "10", "delegates": 1}]}, "bands[0].up_to"),
        ({"reserved": {"label": "x"}}, "reserved"),
        ({"reserved": [{"label": "x", "at_least": 3}]}, "reserved[0].figure"),
        ({"reserved": [{"label": 3, "figure": "members", "at_least": 3}]}, "reserved[0].label"),
        ({"equality": []}, "equality"),
        ({"equality": {"young_from": "4"}}, "equality.young_from"),
        ({"equality": {"women": True}}, "equality.women"),
        ({"minimum": 2, "cap": 1}, "cap"),
    ],
)
def test_entitlement_rule_from_dict_bad_data_names_field(data: object, field: str) -> None:
    with pytest.raises(RuleError) as caught:
        EntitlementRule.from_dict(data)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("block", "rule"),
        ({"round_to": "100"}, "round_to"),
        ({"mode": "secret"}, "mode"),
        ({"cap": 1.5}, "cap"),
        ({"weight": 2}, "weight"),
    ],
)
def test_card_vote_rule_from_dict_bad_data_names_field(data: object, field: str) -> None:
    with pytest.raises(RuleError) as caught:
        CardVoteRule.from_dict(data)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"{field}: ")


# --- strategies --------------------------------------------------------------------------------


@st.composite
def band_tables(draw: st.DrawFn) -> tuple[Band, ...]:
    n = draw(st.integers(1, 5))
    ups = sorted(draw(st.sets(st.integers(1, 20_000), min_size=n, max_size=n)))
    delegates = sorted(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)))
    rows = [Band(up, d) for up, d in zip(ups, delegates, strict=True)]
    if draw(st.booleans()):
        rows[-1] = Band(None, delegates[-1])
    return tuple(rows)


reserved_seats = st.builds(
    ReservedSeat,
    label=st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=20
    ).filter(lambda s: s.strip() != ""),
    figure=st.sampled_from(FIGURES),
    at_least=st.integers(0, 3000),
    seats=st.integers(1, 3),
    filled_by=st.sampled_from(FILLED_BY),
)

equality_rules = st.builds(
    EqualityRule,
    women_every_second=st.booleans(),
    low_paid_from=st.none() | st.integers(1, 10),
    young_from=st.none() | st.integers(1, 10),
)


@st.composite
def entitlement_rules(draw: st.DrawFn) -> EntitlementRule:
    formula = draw(st.sampled_from(["steps", "bands"]))
    minimum = draw(st.integers(0, 5))
    bands = draw(band_tables()) if formula == "bands" else draw(st.just(()) | band_tables())
    return EntitlementRule(
        formula=formula,
        first=draw(st.integers(0, 2000)),
        step=draw(st.integers(1, 1000)),
        rounding=draw(st.sampled_from(ROUNDINGS)),
        bands=bands,
        minimum=minimum,
        cap=draw(st.none() | st.integers(max(minimum, 1), 20)),
        reserved=tuple(
            draw(st.lists(reserved_seats, max_size=3, unique_by=lambda s: s.label.strip()))
        ),
        equality=draw(equality_rules),
        max_alternates=draw(st.integers(0, 10)),
    )


card_vote_rules = st.builds(
    CardVoteRule,
    mode=st.sampled_from(["block", "split"]),
    round_to=st.integers(1, 10_000),
    rounding=st.sampled_from(ROUNDINGS),
    cap=st.none() | st.integers(1, 10**7),
)

member_counts = st.integers(0, 200_000)
positive_members = st.integers(1, 200_000)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


# --- property tests ----------------------------------------------------------------------------


@given(entitlement_rules())
def test_rule_round_trips_through_json(rule: EntitlementRule) -> None:
    rule.validate()
    assert EntitlementRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


@given(card_vote_rules)
def test_card_rule_round_trips_through_json(rule: CardVoteRule) -> None:
    assert CardVoteRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


@given(
    st.dictionaries(
        st.sampled_from(
            ["formula", "first", "step", "rounding", "bands", "minimum", "cap", "reserved"]
            + ["equality", "max_alternates", "other"]
        ),
        json_values,
    )
)
def test_from_dict_on_junk_gives_rule_error_or_valid_rule(data: dict[str, object]) -> None:
    try:
        rule = EntitlementRule.from_dict(data)
    except RuleError:
        return
    rule.validate()
    assert EntitlementRule.from_dict(rule.to_dict()) == rule


@given(
    entitlement_rules(), member_counts, member_counts, st.integers(0, 5000), st.integers(0, 5000)
)
def test_delegates_never_decrease_as_members_grow(
    rule: EntitlementRule, a: int, b: int, women: int, young: int
) -> None:
    fewer, more = sorted((a, b))
    small = entitle(rule, WHOLE_VOTE, GroupFigures(fewer, women, young))
    large = entitle(rule, WHOLE_VOTE, GroupFigures(more, women, young))
    assert base_delegates(rule, fewer) <= base_delegates(rule, more)
    assert small.base_delegates <= large.base_delegates
    assert small.total_delegates <= large.total_delegates


@given(entitlement_rules(), positive_members, st.integers(0, 5000), st.integers(0, 5000))
def test_base_delegates_within_minimum_and_cap(
    rule: EntitlementRule, members: int, women: int, young: int
) -> None:
    got = entitle(rule, WHOLE_VOTE, GroupFigures(members, women, young))
    assert got.base_delegates >= rule.minimum
    if rule.cap is not None:
        assert got.base_delegates <= rule.cap
    assert got.total_delegates == got.base_delegates + got.reserved_seats


@given(entitlement_rules(), positive_members, st.integers(0, 5000), st.integers(0, 5000))
def test_reserved_seats_follow_their_condition(
    rule: EntitlementRule, members: int, women: int, young: int
) -> None:
    figures = GroupFigures(members, women, young)
    got = entitle(rule, WHOLE_VOTE, figures)
    values = {"members": members, "women_members": women, "young_members": young}
    expected = tuple(
        ReservedGrant(seat, seat.seats)
        for seat in rule.reserved
        if values[seat.figure] > 0 and values[seat.figure] >= seat.at_least
    )
    assert got.reserved == expected


@given(entitlement_rules(), member_counts, st.integers(0, 5000), st.integers(0, 5000))
def test_not_in_good_standing_never_entitled(
    rule: EntitlementRule, members: int, women: int, young: int
) -> None:
    figures = GroupFigures(members, women, young, in_good_standing=False)
    assert entitle(rule, WHOLE_VOTE, figures) == Entitlement(0, (), 0)


@given(
    st.integers(0, 2000),
    st.integers(1, 1000),
    st.sampled_from(ROUNDINGS),
    st.integers(0, 5),
    positive_members,
)
def test_steps_match_exact_fraction_reference(
    first: int, step: int, rounding: str, minimum: int, members: int
) -> None:
    rule = EntitlementRule(first=first, step=step, rounding=rounding, minimum=minimum)  # type: ignore[arg-type]
    if first and members <= first:
        formula = 1
    else:
        exact = Fraction(members - first, step)
        whole = {
            "up": math.ceil(exact),
            "down": math.floor(exact),
            "nearest": math.floor(exact + Fraction(1, 2)),
        }[rounding]
        formula = whole + (1 if first else 0)
    assert base_delegates(rule, members) == max(minimum, formula)


@given(st.integers(1, 1000), st.sampled_from(ROUNDINGS), st.integers(1, 5), positive_members)
def test_first_band_of_one_step_equals_plain_steps(
    step: int, rounding: str, minimum: int, members: int
) -> None:
    # "One per 75" and "one for the first 75, one more per further 75" agree once a minimum
    # of at least one covers the smallest groups (the US convention rule).
    plain = EntitlementRule(step=step, rounding=rounding, minimum=minimum)  # type: ignore[arg-type]
    banded = EntitlementRule(first=step, step=step, rounding=rounding, minimum=minimum)  # type: ignore[arg-type]
    assert base_delegates(plain, members) == base_delegates(banded, members)


@given(card_vote_rules, member_counts, member_counts)
def test_card_vote_capped_and_never_decreasing(rule: CardVoteRule, a: int, b: int) -> None:
    fewer, more = sorted((a, b))
    small, large = card_vote(rule, fewer), card_vote(rule, more)
    assert small <= large
    for vote in (small, large):
        assert vote >= 0
        if rule.cap is not None:
            assert vote <= rule.cap
        if rule.cap is None or vote < rule.cap:
            assert vote % rule.round_to == 0


@given(member_counts)
def test_default_card_vote_is_membership(members: int) -> None:
    assert card_vote(CardVoteRule(), members) == members


@given(entitlement_rules())
@settings(max_examples=50)
def test_describe_is_one_sentence(rule: EntitlementRule) -> None:
    text = describe(rule)
    assert text.endswith(".")
    assert "\n" not in text


# --- describe ----------------------------------------------------------------------------------


def test_describe_labour_rule() -> None:
    assert describe(LABOUR) == (
        "1 delegate for the first 749 members, 1 more for every further 250 or part thereof; "
        "at most 6."
    )


def test_describe_us_rule() -> None:
    assert describe(US) == (
        "1 delegate for every 75 members, rounded to the nearest (halves up); at least 1."
    )


def test_describe_band_table() -> None:
    assert describe(BANDS_OPEN) == (
        "1 delegate for up to 50 members, 2 for up to 200, 3 for up to 1,000, "
        "5 for more than 1,000."
    )
    assert describe(BANDS_CLOSED) == "1 delegate for up to 100 members, 2 for more than 100."
    single = EntitlementRule(formula="bands", bands=(Band(None, 2),), cap=1)
    assert describe(single) == "2 delegates for any number of members; at most 1."


def test_describe_reserved_seats() -> None:
    assert describe(CAPPED_WITH_SEATS) == (
        "1 delegate for the first 749 members, 1 more for every further 250 or part thereof; "
        "at most 6; plus 1 extra seat (women's seat, filled by a woman) if the group has 100 or "
        "more women members and 2 extra seats (youth seat, filled by a young member) if the "
        "group has 30 or more young members."
    )


def test_describe_refuses_invalid_rule() -> None:
    with pytest.raises(RuleError, match="^step: "):
        describe(EntitlementRule(step=0))
