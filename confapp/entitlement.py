"""Delegate entitlement and card-vote weight from group membership, as a conference's rules say.

Pure arithmetic, no database and no Flask. Past 500 lines because the rule's every part
(formula, rounding, bands, caps, reserved seats, the card-vote rule) is parsed from the
committee's form and JSON with a message that names what is wrong, beside the arithmetic it
feeds; the two read best together.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Rounding = Literal["up", "down", "nearest"]
Formula = Literal["steps", "bands"]
Figure = Literal["women_members", "young_members", "members"]
FilledBy = Literal["woman", "young", "low_paid", "anyone"]
CardMode = Literal["block", "split"]

ROUNDINGS: tuple[str, ...] = get_args(Rounding)
FORMULAS: tuple[str, ...] = get_args(Formula)
FIGURES: tuple[str, ...] = get_args(Figure)
FILLED_BY: tuple[str, ...] = get_args(FilledBy)
CARD_MODES: tuple[str, ...] = get_args(CardMode)


class RuleError(ValueError):
    """A rule that cannot be applied; message names the field."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name


# --- field checks shared by validate() and from_dict() -------------------------------------------


def _check_int(value: object, name: str, *, at_least: int | None = None) -> None:
    # bool is an int subclass; a True in a JSON column is a data error, not the number 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise RuleError(name, f"must be a whole number, not {value!r}")
    if at_least is not None and value < at_least:
        raise RuleError(name, f"must be at least {at_least}, not {value}")


def _check_optional_int(value: object, name: str, *, at_least: int | None = None) -> None:
    if value is not None:
        _check_int(value, name, at_least=at_least)


def _check_choice(value: object, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise RuleError(name, f"must be one of {', '.join(choices)}, not {value!r}")


def _check_bool(value: object, name: str) -> None:
    if not isinstance(value, bool):
        raise RuleError(name, f"must be true or false, not {value!r}")


def _take(data: object, name: str, known: tuple[str, ...]) -> dict[str, Any]:
    """Return data as a dict after checking it has no keys outside `known`."""
    if not isinstance(data, dict):
        raise RuleError(name, f"must be an object, not {type(data).__name__}")
    # Unknown keys are refused rather than dropped: a misspelt "cap" silently ignored would
    # change who gets delegates without anyone noticing.
    for key in data:
        if key not in known:
            raise RuleError(f"{name}.{key}" if name != "rule" else str(key), "is not a known field")
    return data


def _tuple_field(value: object, name: str) -> tuple[Any, ...]:
    if isinstance(value, tuple):
        return value
    if isinstance(value, list):
        return tuple(value)
    raise RuleError(name, f"must be a list, not {type(value).__name__}")


# --- rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """One row of a band table: groups with up to `up_to` members get `delegates`."""

    up_to: int | None  # None = "and above" (only allowed on the last row)
    delegates: int

    def to_dict(self) -> dict[str, Any]:
        """Return the row as a JSON-safe dict."""
        return {"up_to": self.up_to, "delegates": self.delegates}


@dataclass(frozen=True)
class ReservedSeat:
    """An extra seat outside the cap, granted when a group figure reaches a threshold."""

    label: str  # e.g. "women's seat"
    figure: Figure  # which group figure the condition reads
    at_least: int  # condition: figure >= at_least (and figure > 0)
    seats: int = 1
    filled_by: FilledBy = "anyone"  # who may fill it

    def to_dict(self) -> dict[str, Any]:
        """Return the seat as a JSON-safe dict."""
        return {
            "label": self.label,
            "figure": self.figure,
            "at_least": self.at_least,
            "seats": self.seats,
            "filled_by": self.filled_by,
        }


@dataclass(frozen=True)
class EqualityRule:
    """Composition rules checked when a delegation is submitted."""

    women_every_second: bool = False  # n base delegates need at least n // 2 women
    low_paid_from: int | None = None  # a delegation of >= this many base delegates needs a low-paid
    young_from: int | None = None  # ... needs a young member

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as a JSON-safe dict."""
        return {
            "women_every_second": self.women_every_second,
            "low_paid_from": self.low_paid_from,
            "young_from": self.young_from,
        }


_RULE_KEYS = (
    "formula",
    "first",
    "step",
    "rounding",
    "bands",
    "minimum",
    "cap",
    "reserved",
    "equality",
    "max_alternates",
)
_BAND_KEYS = ("up_to", "delegates")
_SEAT_KEYS = ("label", "figure", "at_least", "seats", "filled_by")
_SEAT_REQUIRED = ("label", "figure", "at_least")
_EQUALITY_KEYS = ("women_every_second", "low_paid_from", "young_from")
_CARD_KEYS = ("mode", "round_to", "rounding", "cap")


@dataclass(frozen=True)
class EntitlementRule:
    """A conference's rule for how many delegates a group may send."""

    formula: Formula = "steps"
    # steps: one delegate for the first `first` members; 0 means "one per `step`", no first band
    first: int = 0
    step: int = 1  # steps: one more for every further `step` members
    rounding: Rounding = "up"
    bands: tuple[Band, ...] = ()
    minimum: int = 0  # on base delegates, only for a group in good standing with members > 0
    cap: int | None = None  # on base delegates; reserved seats are outside it
    reserved: tuple[ReservedSeat, ...] = ()
    equality: EqualityRule = field(default_factory=EqualityRule)
    max_alternates: int = 0

    def __post_init__(self) -> None:
        # Callers building a rule from form data naturally pass lists; keep the rule hashable
        # and equal to the same rule read back from JSON.
        for name in ("bands", "reserved"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))

    def validate(self) -> None:
        """Raise RuleError naming the first field that makes the rule unusable."""
        _check_choice(self.formula, "formula", FORMULAS)
        _check_int(self.first, "first", at_least=0)
        _check_int(self.step, "step", at_least=1)
        _check_choice(self.rounding, "rounding", ROUNDINGS)
        self._validate_bands()
        _check_int(self.minimum, "minimum", at_least=0)
        _check_optional_int(self.cap, "cap", at_least=1)
        if self.cap is not None and self.cap < self.minimum:
            raise RuleError("cap", f"must be at least the minimum ({self.minimum}), not {self.cap}")
        self._validate_reserved()
        self._validate_equality()
        _check_int(self.max_alternates, "max_alternates", at_least=0)

    def _validate_bands(self) -> None:
        if not isinstance(self.bands, tuple):
            raise RuleError("bands", f"must be a list, not {type(self.bands).__name__}")
        if self.formula == "bands" and not self.bands:
            raise RuleError("bands", "needs at least one row when the formula is bands")
        previous: Band | None = None
        for i, band in enumerate(self.bands):
            name = f"bands[{i}]"
            if not isinstance(band, Band):
                raise RuleError(name, f"must be a band row, not {type(band).__name__}")
            _check_optional_int(band.up_to, f"{name}.up_to", at_least=1)
            _check_int(band.delegates, f"{name}.delegates", at_least=0)
            if band.up_to is None and i != len(self.bands) - 1:
                raise RuleError(f"{name}.up_to", "may be empty ('and above') only on the last row")
            if previous is not None:
                # previous.up_to is not None here: only the last row may be open-ended.
                assert previous.up_to is not None
                if band.up_to is not None and band.up_to <= previous.up_to:
                    raise RuleError(
                        f"{name}.up_to",
                        f"must be more than the row above ({previous.up_to}), not {band.up_to}",
                    )
                if band.delegates < previous.delegates:
                    # A bigger group getting fewer delegates is always a typo in the table.
                    raise RuleError(
                        f"{name}.delegates",
                        f"must not be fewer than the row above ({previous.delegates}), "
                        f"not {band.delegates}",
                    )
            previous = band

    def _validate_reserved(self) -> None:
        if not isinstance(self.reserved, tuple):
            raise RuleError("reserved", f"must be a list, not {type(self.reserved).__name__}")
        labels: set[str] = set()
        for i, seat in enumerate(self.reserved):
            name = f"reserved[{i}]"
            if not isinstance(seat, ReservedSeat):
                raise RuleError(name, f"must be a reserved seat, not {type(seat).__name__}")
            if not isinstance(seat.label, str) or not seat.label.strip():
                raise RuleError(f"{name}.label", "must not be empty")
            # The label is shown on one line on admin pages and badges.
            if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in seat.label):
                raise RuleError(f"{name}.label", "must be one line of text")
            # Registration refers to a reserved seat by its label, so two seats cannot share one.
            if seat.label.strip() in labels:
                raise RuleError(f"{name}.label", f"{seat.label!r} is used by another seat")
            labels.add(seat.label.strip())
            _check_choice(seat.figure, f"{name}.figure", FIGURES)
            _check_int(seat.at_least, f"{name}.at_least", at_least=0)
            _check_int(seat.seats, f"{name}.seats", at_least=1)
            _check_choice(seat.filled_by, f"{name}.filled_by", FILLED_BY)

    def _validate_equality(self) -> None:
        eq = self.equality
        if not isinstance(eq, EqualityRule):
            raise RuleError("equality", f"must be an equality rule, not {type(eq).__name__}")
        _check_bool(eq.women_every_second, "equality.women_every_second")
        _check_optional_int(eq.low_paid_from, "equality.low_paid_from", at_least=1)
        _check_optional_int(eq.young_from, "equality.young_from", at_least=1)

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as a JSON-safe plain dict (for a JSON column)."""
        return {
            "formula": self.formula,
            "first": self.first,
            "step": self.step,
            "rounding": self.rounding,
            "bands": [band.to_dict() for band in self.bands],
            "minimum": self.minimum,
            "cap": self.cap,
            "reserved": [seat.to_dict() for seat in self.reserved],
            "equality": self.equality.to_dict(),
            "max_alternates": self.max_alternates,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntitlementRule:
        """Build and validate a rule from to_dict() output; missing keys take their defaults."""
        data = _take(data, "rule", _RULE_KEYS)
        kwargs: dict[str, Any] = {
            k: data[k] for k in _RULE_KEYS if k in data and k not in _NESTED_RULE_KEYS
        }
        if "bands" in data:
            rows = _tuple_field(data["bands"], "bands")
            kwargs["bands"] = tuple(
                Band(**_row_kwargs(row, f"bands[{i}]", _BAND_KEYS, _BAND_KEYS))
                for i, row in enumerate(rows)
            )
        if "reserved" in data:
            rows = _tuple_field(data["reserved"], "reserved")
            kwargs["reserved"] = tuple(
                ReservedSeat(**_row_kwargs(row, f"reserved[{i}]", _SEAT_KEYS, _SEAT_REQUIRED))
                for i, row in enumerate(rows)
            )
        if "equality" in data and data["equality"] is not None:
            kwargs["equality"] = EqualityRule(**_take(data["equality"], "equality", _EQUALITY_KEYS))
        rule = cls(**kwargs)
        rule.validate()
        return rule


_NESTED_RULE_KEYS = ("bands", "reserved", "equality")


def _row_kwargs(
    row: object, name: str, known: tuple[str, ...], required: tuple[str, ...]
) -> dict[str, Any]:
    # Rows have no sensible default for their key columns, so say which one is missing.
    row = _take(row, name, known)
    for key in required:
        if key not in row:
            raise RuleError(f"{name}.{key}", "is missing")
    return dict(row)


@dataclass(frozen=True)
class CardVoteRule:
    """How a group's membership becomes its card vote."""

    mode: CardMode = "block"  # block: one option for the whole vote; split: a share per delegate
    round_to: int = 1  # card vote rounded to a multiple of this
    rounding: Rounding = "down"
    cap: int | None = None

    def validate(self) -> None:
        """Raise RuleError naming the first field that makes the rule unusable."""
        _check_choice(self.mode, "mode", CARD_MODES)
        _check_int(self.round_to, "round_to", at_least=1)
        _check_choice(self.rounding, "rounding", ROUNDINGS)
        _check_optional_int(self.cap, "cap", at_least=1)

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as a JSON-safe plain dict (for a JSON column)."""
        return {
            "mode": self.mode,
            "round_to": self.round_to,
            "rounding": self.rounding,
            "cap": self.cap,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CardVoteRule:
        """Build and validate a rule from to_dict() output; missing keys take their defaults."""
        rule = cls(**_take(data, "rule", _CARD_KEYS))
        rule.validate()
        return rule


# --- figures and results -----------------------------------------------------------------------


@dataclass(frozen=True)
class GroupFigures:
    """A group's qualifying figures at the cut-off date."""

    members: int
    women_members: int = 0
    young_members: int = 0
    in_good_standing: bool = True

    def __post_init__(self) -> None:
        for name in ("members", "women_members", "young_members"):
            _check_figure(getattr(self, name), name)


def _check_figure(value: object, name: str) -> None:
    # Plain ValueError, not RuleError: the data is wrong, not the rule.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name}: must be a whole number, not {value!r}")
    if value < 0:
        raise ValueError(f"{name}: must not be negative, not {value}")


@dataclass(frozen=True)
class ReservedGrant:
    """A reserved seat a group has qualified for, with the number of seats it gives."""

    seat: ReservedSeat
    seats: int


@dataclass(frozen=True)
class Entitlement:
    """What a group may send: base delegates, reserved seats, and its card vote."""

    base_delegates: int
    reserved: tuple[ReservedGrant, ...]
    card_vote: int

    @property
    def reserved_seats(self) -> int:
        """Total seats from reserved grants."""
        return sum(grant.seats for grant in self.reserved)

    @property
    def total_delegates(self) -> int:
        """Base delegates plus reserved seats."""
        return self.base_delegates + self.reserved_seats


NOTHING = Entitlement(0, (), 0)


# --- arithmetic --------------------------------------------------------------------------------


def round_ratio(numerator: int, denominator: int, rounding: Rounding) -> int:
    """Return numerator / denominator as an exact whole number; "nearest" rounds halves up."""
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, not {denominator}")
    if rounding == "down":
        return numerator // denominator
    if rounding == "up":
        return -(-numerator // denominator)
    if rounding == "nearest":
        # floor(n/d + 1/2) == floor((2n + d) / 2d): halves go up, as a rulebook's "nearest" means,
        # not to even as Python's round() would.
        return (2 * numerator + denominator) // (2 * denominator)
    raise ValueError(f"rounding must be one of {', '.join(ROUNDINGS)}, not {rounding!r}")


def _formula_delegates(rule: EntitlementRule, members: int) -> int:
    if rule.formula == "bands":
        for band in rule.bands:
            if band.up_to is None or members <= band.up_to:
                return band.delegates
        # Above every row: the last row carries on ("and above" left implicit).
        return rule.bands[-1].delegates
    if rule.first > 0:
        if members <= rule.first:
            return 1
        return 1 + round_ratio(members - rule.first, rule.step, rule.rounding)
    return round_ratio(members, rule.step, rule.rounding)


def base_delegates(rule: EntitlementRule, members: int) -> int:
    """Return base delegates for a membership (ignoring good standing), with minimum and cap."""
    rule.validate()
    _check_figure(members, "members")
    if members == 0:
        # No members, no delegates: the minimum is a floor for real groups, not a free seat.
        return 0
    count = max(rule.minimum, _formula_delegates(rule, members))
    if rule.cap is not None:
        count = min(rule.cap, count)
    return count


def card_vote(rule: CardVoteRule, members: int) -> int:
    """Return the card vote for a membership: rounded to a multiple of round_to, then capped."""
    rule.validate()
    _check_figure(members, "members")
    vote = round_ratio(members, rule.round_to, rule.rounding) * rule.round_to
    if rule.cap is not None:
        vote = min(rule.cap, vote)
    return vote


def group_card_vote(rule: CardVoteRule, members: int, in_good_standing: bool) -> int:
    """A group's card vote: nothing unless in good standing with at least one member."""
    if not in_good_standing or members == 0:
        return 0
    return card_vote(rule, members)


def _figure(figures: GroupFigures, name: str) -> int:
    return {
        "members": figures.members,
        "women_members": figures.women_members,
        "young_members": figures.young_members,
    }[name]


def entitle(rule: EntitlementRule, card_rule: CardVoteRule, figures: GroupFigures) -> Entitlement:
    """Return a group's entitlement: nothing unless in good standing with at least one member."""
    rule.validate()
    card_rule.validate()
    if not figures.in_good_standing or figures.members == 0:
        return NOTHING
    grants = []
    for seat in rule.reserved:
        value = _figure(figures, seat.figure)
        # figure > 0 as well: a seat "for women members" with threshold 0 must not go to a group
        # that has none.
        if value > 0 and value >= seat.at_least:
            grants.append(ReservedGrant(seat=seat, seats=seat.seats))
    return Entitlement(
        base_delegates=base_delegates(rule, figures.members),
        reserved=tuple(grants),
        card_vote=group_card_vote(card_rule, figures.members, figures.in_good_standing),
    )


# --- description -------------------------------------------------------------------------------


def _n(count: int) -> str:
    return f"{count:,}"


def _delegates(count: int) -> str:
    return f"{_n(count)} delegate" if count == 1 else f"{_n(count)} delegates"


def _members(count: int) -> str:
    return "1 member" if count == 1 else f"{_n(count)} members"


_FIGURE_WORDS = {
    "members": "members",
    "women_members": "women members",
    "young_members": "young members",
}
_FILLED_BY_WORDS = {
    "woman": "filled by a woman",
    "young": "filled by a young member",
    "low_paid": "filled by a low-paid member",
    "anyone": "",
}


def _describe_steps(rule: EntitlementRule) -> str:
    if rule.step == 1:
        # With a step of one member, rounding cannot matter.
        further = "1 more for every further member"
        every = "1 delegate per member"
    elif rule.rounding == "up":
        further = f"1 more for every further {_n(rule.step)} or part thereof"
        every = f"1 delegate for every {_n(rule.step)} members or part thereof"
    elif rule.rounding == "down":
        further = f"1 more for every further full {_n(rule.step)}"
        every = f"1 delegate for every full {_n(rule.step)} members"
    else:
        further = f"1 more for every further {_n(rule.step)}, rounded to the nearest (halves up)"
        every = f"1 delegate for every {_n(rule.step)} members, rounded to the nearest (halves up)"
    if rule.first > 0:
        first = "the first member" if rule.first == 1 else f"the first {_n(rule.first)} members"
        return f"1 delegate for {first}, {further}"
    return every


def _describe_bands(rule: EntitlementRule) -> str:
    bands = rule.bands
    if len(bands) == 1:
        return f"{_delegates(bands[0].delegates)} for any number of members"
    parts = [f"{_delegates(bands[0].delegates)} for up to {_members(bands[0].up_to or 0)}"]
    parts += [f"{_n(b.delegates)} for up to {_n(b.up_to or 0)}" for b in bands[1:-1]]
    # The last row covers everything above the row before it, whether or not it has an up_to.
    parts.append(f"{_n(bands[-1].delegates)} for more than {_n(bands[-2].up_to or 0)}")
    return ", ".join(parts)


def _smallest_formula_value(rule: EntitlementRule) -> int:
    # The formula never decreases with membership, so one member gives its smallest value.
    return _formula_delegates(rule, 1)


def _describe_seat(seat: ReservedSeat) -> str:
    extra = "1 extra seat" if seat.seats == 1 else f"{_n(seat.seats)} extra seats"
    who = _FILLED_BY_WORDS[seat.filled_by]
    what = f"{extra} ({seat.label}, {who})" if who else f"{extra} ({seat.label})"
    figure = _FIGURE_WORDS[seat.figure]
    if seat.at_least <= 1:
        return f"{what} if the group has any {figure}"
    return f"{what} if the group has {_n(seat.at_least)} or more {figure}"


def describe(rule: EntitlementRule) -> str:
    """Return the rule as one plain-English sentence for admin pages."""
    rule.validate()
    text = _describe_bands(rule) if rule.formula == "bands" else _describe_steps(rule)
    limits = []
    # Only mention a minimum that can change an answer, so the common "minimum 1" on a
    # first-band rule does not clutter the sentence.
    if rule.minimum > _smallest_formula_value(rule):
        limits.append(f"at least {_n(rule.minimum)}")
    if rule.cap is not None:
        limits.append(f"at most {_n(rule.cap)}")
    if limits:
        text += "; " + ", ".join(limits)
    if rule.reserved:
        text += "; plus " + " and ".join(_describe_seat(seat) for seat in rule.reserved)
    return text + "."
