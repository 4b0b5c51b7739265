"""The credentials report: entitlement, registration and approval per section and overall.

What each figure means (FIGURES, DEFINITIONS), the query that counts them
(`credentials_report`), and the report as CSV. The routes that show it, as a page, CSV and
PDF, are in admin/views.py.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import datetime

from confapp import entitlement as ent
from confapp import voters
from confapp.extensions import db
from confapp.models import (
    Conference,
    Delegate,
    Group,
    PassType,
    Role,
    RoleGrant,
    Section,
    Status,
    User,
    utcnow,
)
from confapp.spreadsheet import csv_text

# A registration counts once its secretary has submitted it, and until it is rejected,
# withdrawn or replaced.
REGISTERED = (Status.SUBMITTED.value, Status.APPROVED.value)
APPROVED = Status.APPROVED.value
DELEGATE = PassType.DELEGATE.value
ALTERNATE = PassType.ALTERNATE.value
# Passes that do not vote, and the field of Figures that counts each.
NON_VOTING = {
    PassType.VISITOR.value: "visitors",
    PassType.OBSERVER.value: "observers",
    PassType.PRESS.value: "press",
    PassType.STAFF.value: "staff",
}

# The table's rows on the page and PDF, and the CSV's columns: (field of Figures, label).
FIGURES = (
    ("groups", "Groups on the list"),
    ("groups_entitled", "Groups entitled"),
    ("groups_registered", "Groups registered"),
    ("delegates_entitled", "Delegates entitled"),
    ("delegates_registered", "Delegates registered"),
    ("delegates_approved", "Delegates approved"),
    ("alternates_registered", "Alternates registered"),
    ("alternates_approved", "Alternates approved"),
    ("card_votes_entitled", "Card votes of entitled groups"),
    ("card_votes_represented", "Card votes represented"),
)
NON_VOTING_FIGURES = (
    ("visitors", "Visitors registered"),
    ("observers", "Observers registered"),
    ("press", "Press registered"),
    ("staff", "Staff registered"),
)
ALL_SECTIONS = "All sections"

# The small print, on the page and in the PDF: how each figure is counted.
DEFINITIONS = (
    ("Groups on the list", "every group of the conference, entitled or not."),
    (
        "Groups entitled",
        "groups in good standing whose entitlement gives at least one delegate "
        "(base delegates plus reserved seats).",
    ),
    (
        "Groups registered",
        "entitled groups with at least one delegate (not counting alternates or other passes) "
        "submitted or approved.",
    ),
    (
        "Delegates entitled",
        "the sum of the groups' entitlements: base delegates plus reserved seats.",
    ),
    (
        "Delegates registered",
        "people registered on a delegate's pass whose registration is submitted or approved; "
        "drafts, rejected, withdrawn and replaced registrations do not count.",
    ),
    ("Delegates approved", "delegates whose registration the committee has approved."),
    (
        "Alternates registered / approved",
        "the same, for alternates; they do not vote unless seated for an absent delegate.",
    ),
    (
        "Visitors, observers, press, staff",
        "non-voting passes submitted or approved.",
    ),
    (
        "Card votes of entitled groups",
        "the sum of the card votes of the entitled groups.",
    ),
    (
        "Card votes represented",
        "the sum of the card votes of the entitled groups with at least one approved delegate.",
    ),
    (
        "Quorum",
        "the approved voting delegates (delegates' passes) times the conference's quorum "
        "percentage, divided by 100 and rounded down, plus one.",
    ),
    (
        "Groups not registered",
        "entitled groups that are not registered, with their secretaries' e-mail addresses.",
    ),
)


@dataclass
class Figures:
    """The report's figures for one section, or for all sections together."""

    label: str
    groups: int = 0
    groups_entitled: int = 0
    groups_registered: int = 0
    delegates_entitled: int = 0
    delegates_registered: int = 0
    delegates_approved: int = 0
    alternates_registered: int = 0
    alternates_approved: int = 0
    visitors: int = 0
    observers: int = 0
    press: int = 0
    staff: int = 0
    card_votes_entitled: int = 0
    card_votes_represented: int = 0

    def add(self, other: Figures) -> None:
        """Add another row's figures to this one's."""
        for f in fields(self):
            if f.name != "label":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class UnregisteredGroup:
    """An entitled group with no delegate submitted or approved: the committee chases it."""

    name: str
    region: str
    section: str
    entitlement: ent.Entitlement
    drafts: int  # delegates and alternates entered but not submitted
    secretary_emails: tuple[str, ...]


@dataclass
class Report:
    """The credentials report of one conference at one moment."""

    conference_name: str
    generated_at: datetime  # UTC
    sections: list[Figures]
    overall: Figures
    not_registered: list[UnregisteredGroup]
    quorum: voters.Quorum
    # Submitted or approved delegates of groups entitled to none (e.g. fell into arrears).
    unentitled_delegates: int = 0
    columns: list[Figures] = field(init=False)

    def __post_init__(self) -> None:
        self.columns = [*self.sections, self.overall]

    def table(self, figures=FIGURES) -> list[tuple[str, list[int]]]:
        """Rows of (label, value per section and overall), as the page and PDF show them."""
        return [(label, [getattr(c, key) for c in self.columns]) for key, label in figures]

    @property
    def secretary_emails(self) -> list[str]:
        """Every address to write to about the groups not registered, once each."""
        return sorted({e for group in self.not_registered for e in group.secretary_emails})


def credentials_report(conference: Conference) -> Report:
    """Count entitlement, registration and approval per section and overall.

    Four queries whatever the number of groups: sections, groups with their sections,
    registrations counted per group, pass type and status, and secretaries.
    """
    by_section = {s.id: Figures(s.name) for s in conference.sections}
    counts = _registrations_by_group(conference)
    emails = _secretaries_by_group(conference)
    # Parsed once: the rules are JSON columns, and entitle() would otherwise reparse per group.
    rule, card_rule = conference.rule, conference.card_rule
    not_registered: list[tuple[tuple, UnregisteredGroup]] = []  # (where it is listed, group)
    unentitled_delegates = 0
    for group in _groups_in_order(conference):
        entitlement = ent.entitle(rule, card_rule, group.figures)
        found = _Counted(counts.get(group.id, {}))
        row = by_section.get(group.section_id)
        if row is None:  # a section not in conference.sections: never drop its groups
            row = by_section[group.section_id] = Figures(group.section.name)
        _count_registrations(row, found)
        if entitlement.total_delegates <= 0:
            unentitled_delegates += found(DELEGATE, REGISTERED)
        elif not _count_entitled(row, entitlement, found):
            key = (group.section.position, group.section.name, group.name.lower())
            not_registered.append((key, _unregistered(group, entitlement, found, emails)))
    sections = list(by_section.values())
    return Report(
        conference_name=conference.name,
        generated_at=utcnow(),
        sections=sections,
        overall=_overall(sections),
        not_registered=[group for _, group in sorted(not_registered, key=lambda pair: pair[0])],
        quorum=voters.quorum(conference),
        unentitled_delegates=unentitled_delegates,
    )


class _Counted:
    """One group's registrations, counted by pass type and status."""

    def __init__(self, found: dict[tuple[str, str], int]) -> None:
        self.found = found

    def __call__(self, pass_type: str, statuses: tuple[str, ...]) -> int:
        """How many of this pass type are in one of these statuses."""
        return sum(self.found.get((pass_type, status), 0) for status in statuses)


def _groups_in_order(conference: Conference) -> list[Group]:
    return list(
        db.session.execute(
            db.select(Group)
            .join(Group.section)
            .where(Group.conference_id == conference.id)
            .options(db.contains_eager(Group.section))
            .order_by(Section.position, Section.name)
        ).scalars()
    )


def _registrations_by_group(conference: Conference) -> dict[int, dict[tuple[str, str], int]]:
    """group id -> {(pass type, status): registrations}, drafts and those registered."""
    counts: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for group_id, pass_type, status, number in db.session.execute(
        db.select(Delegate.group_id, Delegate.pass_type, Delegate.status, db.func.count())
        .where(
            Delegate.conference_id == conference.id,
            Delegate.status.in_([Status.DRAFT.value, *REGISTERED]),
        )
        .group_by(Delegate.group_id, Delegate.pass_type, Delegate.status)
    ):
        counts[group_id][(pass_type, status)] = number
    return counts


def _secretaries_by_group(conference: Conference) -> dict[int, list[str]]:
    emails: dict[int, list[str]] = defaultdict(list)
    for group_id, email in db.session.execute(
        db.select(RoleGrant.group_id, User.email)
        .join(RoleGrant.user)
        .where(RoleGrant.conference_id == conference.id, RoleGrant.role == Role.SECRETARY.value)
        .order_by(User.email)
    ):
        emails[group_id].append(email)
    return emails


def _count_registrations(row: Figures, found: _Counted) -> None:
    """Add a group's registrations, of every pass, to its section's row."""
    row.groups += 1
    row.delegates_registered += found(DELEGATE, REGISTERED)
    row.delegates_approved += found(DELEGATE, (APPROVED,))
    row.alternates_registered += found(ALTERNATE, REGISTERED)
    row.alternates_approved += found(ALTERNATE, (APPROVED,))
    for pass_type, name in NON_VOTING.items():
        setattr(row, name, getattr(row, name) + found(pass_type, REGISTERED))


def _count_entitled(row: Figures, entitlement: ent.Entitlement, found: _Counted) -> bool:
    """Add an entitled group's entitlement and card votes to its row; whether it registered."""
    row.groups_entitled += 1
    row.delegates_entitled += entitlement.total_delegates
    row.card_votes_entitled += entitlement.card_vote
    if found(DELEGATE, (APPROVED,)):
        row.card_votes_represented += entitlement.card_vote
    registered = found(DELEGATE, REGISTERED) > 0
    row.groups_registered += registered
    return registered


def _unregistered(
    group: Group, entitlement: ent.Entitlement, found: _Counted, emails: dict[int, list[str]]
) -> UnregisteredGroup:
    draft = (Status.DRAFT.value,)
    return UnregisteredGroup(
        name=group.name,
        region=group.region,
        section=group.section.name,
        entitlement=entitlement,
        drafts=found(DELEGATE, draft) + found(ALTERNATE, draft),
        secretary_emails=tuple(emails.get(group.id, ())),
    )


def _overall(sections: list[Figures]) -> Figures:
    overall = Figures(ALL_SECTIONS)
    for row in sections:
        overall.add(row)
    return overall


# ---- CSV ---------------------------------------------------------------------------------------


def report_csv(report: Report) -> str:
    """The report as CSV: a row per section and one for all; the groups not registered; quorum."""
    rows: list[list] = []
    rows.append(
        ["Section", *(label for _, label in FIGURES), *(label for _, label in NON_VOTING_FIGURES)]
    )
    for row in report.columns:
        rows.append(
            [
                row.label,
                *(getattr(row, key) for key, _ in FIGURES),
                *(getattr(row, key) for key, _ in NON_VOTING_FIGURES),
            ]
        )
    rows.append([])
    rows.append(
        [
            "Group not registered",
            "Region",
            "Section",
            "Delegates entitled",
            "Base delegates",
            "Reserved seats",
            "Card vote",
            "Entered, not submitted",
            "Secretaries' e-mails",
        ]
    )
    for group in report.not_registered:
        e = group.entitlement
        rows.append(
            [
                group.name,
                group.region,
                group.section,
                e.total_delegates,
                e.base_delegates,
                e.reserved_seats,
                e.card_vote,
                group.drafts,
                "; ".join(group.secretary_emails),
            ]
        )
    rows.append([])
    rows.append(["Quorum", "Approved voting delegates", "Quorum percent", "How"])
    q = report.quorum
    rows.append([q.figure, q.approved_voting_delegates, q.percent, q.rule_text])
    return csv_text(rows)


# ---- the page, the PDF and the files ------------------------------------------------------


def file_name(conference: Conference, report: Report, extension: str) -> str:
    """The download's name: the conference and the moment counted, e.g. ...-2027-03-14-0900.csv."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", conference.slug).strip("-") or "conference"
    return f"credentials-report-{slug}-{report.generated_at:%Y-%m-%d-%H%M}.{extension}"


def page_context(report: Report) -> dict:
    """What the page's and the PDF's templates read."""
    return {"report": report, "table": report.table(), "definitions": DEFINITIONS}


_context = page_context  # the name tests/admin/test_report.py renders the PDF's template with
