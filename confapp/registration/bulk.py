"""Many registrations at once (the delegates import): the rows, and the rules checked on them.

A reader (admin/delegate_csv.py) makes a `DelegateRow` of each line of a file; `check` holds
the rows to the rules a secretary's registration is held to, all rows of a group together:
the group is in good standing, each seat is within the entitlement and the person may fill
it (rules.Places), alternates within the rule's number, one voting place per person in the
conference, and the equality rule for a delegation sent to the committee. The answer is a
problem per row and column, located by the row's line, worded for someone fixing the file.

What the checks read (`Standing`) comes in a few queries however many groups the file names
(registration/places.py's bulk reads), so it can be read again under the groups' locks and
compared. Writing the rows is bulk_register.py's.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NoReturn

import sqlalchemy as sa

from confapp import csv_import
from confapp import entitlement as ent
from confapp.csv_import import ImportRejected, Problem
from confapp.extensions import db
from confapp.members import standing as membership
from confapp.models import BASE_SEAT, VOTING_PASSES, Conference, Group, PassType, Status
from confapp.registration import places, rules
from confapp.text import plural

BOOLEANS = ("is_woman", "is_young", "is_low_paid")  # the equality facts, as columns
DEFAULT_STATUS = Status.SUBMITTED
MAX_PROBLEMS = 200  # listed when rows are refused; then one line says how many more


@dataclass
class DelegateRow:
    """One person to register, as a reader made them from a line; `bad`: columns it refused."""

    line: int
    group: str
    pass_type: str
    name: str
    email: str
    phone: str = ""
    seat: str | None = BASE_SEAT  # "base" or a reserved seat's label; None for other passes
    is_woman: bool | None = None
    is_young: bool | None = None
    is_low_paid: bool | None = None
    elected_on: date | None = None
    elected_at: str = ""
    status: str = DEFAULT_STATUS.value
    bad: set[str] = field(default_factory=set)

    def ok(self, *columns: str) -> bool:
        """Whether these columns were read without a problem."""
        return not self.bad.intersection(columns)

    @property
    def is_voting(self) -> bool:
        """A delegate or alternate: holds a place within the group's entitlement."""
        return self.pass_type in VOTING_PASSES

    @property
    def person(self) -> rules.Person:
        """What the registration rules read of this row."""
        seat = self.seat if self.pass_type == PassType.DELEGATE else None
        return rules.Person(self.name, seat, self.is_woman, self.is_young, self.is_low_paid)


def reject(problems: list[Problem], limit: int = MAX_PROBLEMS) -> NoReturn:
    """Refuse the rows: every problem, whole-file ones first, then by line (capped)."""
    ordered = sorted(problems, key=lambda p: -1 if p.line is None else p.line)
    raise ImportRejected(csv_import.capped(ordered, limit))


def name_key(text: str) -> str:
    """How a group's (or a seat's) name is matched: spaces folded, case ignored."""
    return csv_import.normalise(text).casefold()


# ---- what the checks read ------------------------------------------------------------------


@dataclass(frozen=True)
class GroupFacts:
    """A group as the checks read it."""

    id: int
    name: str
    figures: ent.GroupFigures


@dataclass
class Standing:
    """What the checks read from the database; read again and the same, their answer stands.

    Who already holds a place under an address in the file (`taken`) is not read again under
    the locks: there the database's one-person-one-place index has the last word.
    """

    rule: ent.EntitlementRule
    card_rule: ent.CardVoteRule
    groups: dict[str, GroupFacts]  # by name_key(name): the conference's groups
    holding: dict[int, tuple]  # group id -> its places taken (places.holding_places_of)
    max_ranks: dict[int, int]  # group id -> the highest active alternate rank
    taken: list[tuple[str, str, str]] = field(default_factory=list)
    # (email, seat label, group name) of each place already held by an address in the file
    # The register's members under the addresses of rows sent to the committee (None: the
    # conference has no register), and the day they are checked on.
    register: membership.Register | None = None
    day: date | None = None

    def about(self, group_ids: Iterable[int]) -> tuple:
        """What was read of these groups, to compare with another reading."""
        by_id = {group.id: group for group in self.groups.values()}
        return (
            self.rule,
            self.card_rule,
            [(by_id.get(i), self.holding.get(i), self.max_ranks.get(i)) for i in group_ids],
        )


def read_standing(
    conference: Conference, rows: list[DelegateRow], *, only: list[int] | None = None
) -> Standing:
    """Read what the checks need, in a few queries however many groups the file names.

    `only`: just these groups (ids), and not who holds the file's addresses: what a part of
    the import reads again under its locks.
    """
    groups = _group_facts(conference, only)
    named = only
    if named is None:
        keys = {name_key(r.group) for r in rows}
        named = sorted(groups[key].id for key in keys if key in groups)
    return Standing(
        rule=conference.rule,
        card_rule=conference.card_rule,
        groups=groups,
        holding=places.holding_places_of(named),
        max_ranks=places.highest_ranks(named),
        taken=_places_taken(conference, rows) if only is None else [],
        register=membership.register_of(conference, [r.email for r in rows if _checked(r)]),
        day=membership.today(conference),
    )


def _checked(row: DelegateRow) -> bool:
    """A delegate or alternate imported as sent or approved: the register must show them."""
    return row.is_voting and row.status != Status.DRAFT and row.ok("email", "pass_type")


def _group_facts(conference: Conference, only: list[int] | None) -> dict[str, GroupFacts]:
    columns = sa.select(
        Group.id,
        Group.name,
        Group.members,
        Group.women_members,
        Group.young_members,
        Group.in_good_standing,
    ).where(Group.conference_id == conference.id)
    if only is None:
        queries = [columns]
    else:
        queries = [columns.where(Group.id.in_(chunk)) for chunk in places.chunks(only)]
    return {
        name_key(name): GroupFacts(id, name, ent.GroupFigures(members, women, young, standing))
        for query in queries
        for id, name, members, women, young, standing in db.session.execute(query)
    }


def _places_taken(conference: Conference, rows: list[DelegateRow]) -> list[tuple[str, str, str]]:
    """Places already held in the conference under the addresses of the file's voting rows."""
    emails = list(
        {r.email: r for r in rows if r.ok("email", "pass_type") and r.is_voting and r.email}
    )
    held = places.places_held_by(conference.id, emails)
    return [(d.email, d.seat_label, d.group.name) for d in held]


# ---- the checks ----------------------------------------------------------------------------


@dataclass
class Plan:
    """What the checks resolved: each row's group, and the rank of each alternate."""

    groups: dict[int, GroupFacts] = field(default_factory=dict)  # line -> group
    ranks: dict[int, int] = field(default_factory=dict)  # line -> alternate rank


Add = Callable[[DelegateRow, str, str], None]  # a problem with a row: (row, column, message)


def check(rows: list[DelegateRow], standing: Standing) -> tuple[Plan, list[Problem]]:
    """The problems with the rows given what was read, and each good row's group and rank."""
    found: list[Problem] = []

    def add(row: DelegateRow, column: str, message: str) -> None:
        found.append(Problem(row.line, column, message, row.group or None))

    plan = Plan()
    for row in rows:
        if row.ok("group"):
            group = _find_group(row, standing.groups, add)
            if group is not None:
                plan.groups[row.line] = group

    by_group: dict[int, list[DelegateRow]] = defaultdict(list)
    for row in rows:
        if row.line in plan.groups and row.ok("pass_type") and row.is_voting:
            by_group[plan.groups[row.line].id].append(row)
    for group_rows in by_group.values():
        _check_places(plan.groups[group_rows[0].line], standing, group_rows, plan, add)

    _check_people_free(standing, [r for r in rows if r.ok("email", "pass_type")], add)
    if standing.register is not None:
        _check_members(
            standing, [r for r in rows if r.line in plan.groups and _checked(r)], plan, add
        )
    return plan, found


def _check_members(standing: Standing, rows: list[DelegateRow], plan: Plan, add: Add) -> None:
    """Delegates and alternates sent or approved by the file are members of their group in
    good standing, as the secretary's submission and the committee's approval require."""
    for row in rows:
        group = plan.groups[row.line]
        match = standing.register.match(group, "", row.email, standing.day, "")
        if match.problem:
            add(
                row,
                "email",
                f"the register: {match.problem}. Import them as a draft: their secretary then "
                "gives the number, or the committee accepts them with a reason",
            )


def _find_group(row: DelegateRow, groups: dict[str, GroupFacts], add: Add) -> GroupFacts | None:
    """The row's group, if it is the conference's and may send the row's pass."""
    group = groups.get(name_key(row.group))
    if group is None:
        message = f"no group named {csv_import.show(row.group)} in this conference"
        close = difflib.get_close_matches(name_key(row.group), list(groups), n=1, cutoff=0.8)
        if close:
            message += f"; did you mean '{groups[close[0]].name}'?"
        add(row, "group", message)
        return None
    if row.is_voting and row.ok("pass_type") and not group.figures.in_good_standing:
        add(
            row,
            "group",
            f"{group.name} is not in good standing, so it may send no delegates or alternates",
        )
        return None
    return group


def _check_places(
    group: GroupFacts, standing: Standing, rows: list[DelegateRow], plan: Plan, add: Add
) -> None:
    """Seats within the entitlement, counting the group's registrations and the file's rows.

    The rules are the form's (rules.Places), taken one row after another in file order; the
    words say which lines of the file took the places a row was refused.
    """
    rule = standing.rule
    # Computed here, not through the cached property: the figures may have changed under lock.
    entitled = ent.entitle(rule, standing.card_rule, group.figures)
    group_places = places.places_of(rule, entitled, standing.holding.get(group.id, ()))
    alternates = [r for r in rows if r.pass_type == PassType.ALTERNATE]
    taken = _take_alternates(group, rule, group_places, alternates, add)
    first_rank = standing.max_ranks.get(group.id, 0) + 1
    for rank, line in enumerate(taken, start=first_rank):
        plan.ranks[line] = rank
    delegates = [r for r in rows if r.pass_type == PassType.DELEGATE]
    _take_seats(group, rule, group_places, delegates, add)

    # Rows that go in as submitted (or approved) skip the secretary's submission, where the
    # equality rule is checked; so it is checked here. Drafts wait for that submission.
    sent = [r for r in delegates if r.status != Status.DRAFT]
    if sent and all(r.ok(*BOOLEANS) for r in rows):
        for message in rules.delegation_problems(rule, group_places.delegates):
            add(sent[0], "group", f"{group.name}'s delegation would break the rule: {message}")


def _take_alternates(
    group: GroupFacts,
    rule: ent.EntitlementRule,
    group_places: rules.Places,
    rows: list[DelegateRow],
    add: Add,
) -> list[int]:
    """The lines of the alternates that take a place, in file order; the others refused."""
    registered = group_places.alternates
    taken: list[int] = []
    for row in rows:
        if group_places.alternate_refusal():
            add(row, "pass_type", _alternates_full(group, rule, registered, taken))
        else:
            group_places.take_alternate()
            taken.append(row.line)
    return taken


def _take_seats(
    group: GroupFacts,
    rule: ent.EntitlementRule,
    group_places: rules.Places,
    rows: list[DelegateRow],
    add: Add,
) -> None:
    """Seat the delegates' rows in file order, refusing those the rules refuse."""
    registered = Counter(p.seat for p in group_places.delegates)  # seat -> held before the file
    in_file: dict[str, list[int]] = defaultdict(list)  # seat -> lines that took one
    for row in rows:
        if not row.ok("seat"):
            continue
        refusal = group_places.refusal(row.person)
        if refusal is rules.Refusal.NOT_QUALIFIED and not row.ok(*BOOLEANS):
            refusal = None  # the equality facts could not be read: that problem is reported
        if refusal is rules.Refusal.NO_SEAT:
            add(row, "seat", _no_such_seat(group, row.seat))
        elif refusal is rules.Refusal.SEAT_FULL:
            available = group_places.available[row.seat]
            message = _seat_full(group, row.seat, available, registered[row.seat], in_file)
            add(row, "seat", message)
        elif refusal is rules.Refusal.NOT_QUALIFIED:
            add(row, "seat", rules.qualification_problem(rule, row.seat, row.person))
        else:
            group_places.take(row.person)
            in_file[row.seat].append(row.line)


def _no_such_seat(group: GroupFacts, seat: str) -> str:
    if seat == BASE_SEAT:
        return f"{group.name} is entitled to no delegates"
    return f"{group.name}'s entitlement does not include the {seat}"


def _seat_full(
    group: GroupFacts, seat: str, available: int, registered: int, in_file: dict[str, list[int]]
) -> str:
    noun = "delegate" if seat == BASE_SEAT else seat
    taken = _taken_words(registered, in_file[seat])
    return f"{group.name} is entitled to {plural(available, noun)}: {taken}"


def _alternates_full(
    group: GroupFacts, rule: ent.EntitlementRule, registered: int, lines: list[int]
) -> str:
    if rule.max_alternates == 0:
        return "this conference's rule allows no alternates"
    return (
        f"the rule allows {plural(rule.max_alternates, 'alternate')} per group; "
        f"{group.name} has {_taken_words(registered, lines)}"
    )


def _taken_words(registered: int, lines: list[int]) -> str:
    """'2 already registered and 3 earlier in this file (lines 4, 5, 9)'."""
    taken = []
    if registered:
        taken.append(f"{registered} already registered")
    if lines:
        where = "line" if len(lines) == 1 else "lines"
        shown = ", ".join(str(n) for n in lines[:10]) + (", ..." if len(lines) > 10 else "")
        taken.append(f"{len(lines)} earlier in this file ({where} {shown})")
    return " and ".join(taken)


def _check_people_free(standing: Standing, rows: list[DelegateRow], add: Add) -> None:
    """One person, one voting place in the conference, as registration enforces."""
    voting = {row.email: row for row in rows if row.is_voting and row.email}
    for email, seat_label, group_name in standing.taken:
        add(voting[email], "email", rules.one_place_problem(email, seat_label, group_name))
