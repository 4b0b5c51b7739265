"""The credentials report: entitlement, registration and approval per section and overall."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import datetime

import sqlalchemy as sa
from flask import Response, g, render_template

from confapp import entitlement as ent
from confapp import voters
from confapp.admin.views import bp
from confapp.auth.access import requires
from confapp.downloads import download
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
from confapp.pdf import html_to_pdf
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
    groups = (
        db.session.execute(
            sa.select(Group)
            .join(Group.section)
            .where(Group.conference_id == conference.id)
            .options(sa.orm.contains_eager(Group.section))
            .order_by(Section.position, Section.name)
        )
        .scalars()
        .all()
    )
    counts: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for group_id, pass_type, status, number in db.session.execute(
        sa.select(Delegate.group_id, Delegate.pass_type, Delegate.status, sa.func.count())
        .where(
            Delegate.conference_id == conference.id,
            Delegate.status.in_([Status.DRAFT.value, *REGISTERED]),
        )
        .group_by(Delegate.group_id, Delegate.pass_type, Delegate.status)
    ):
        counts[group_id][(pass_type, status)] = number
    emails: dict[int, list[str]] = defaultdict(list)
    for group_id, email in db.session.execute(
        sa.select(RoleGrant.group_id, User.email)
        .join(RoleGrant.user)
        .where(RoleGrant.conference_id == conference.id, RoleGrant.role == Role.SECRETARY.value)
        .order_by(User.email)
    ):
        emails[group_id].append(email)

    # Parsed once: the rules are JSON columns, and entitle() would otherwise reparse per group.
    rule, card_rule = conference.rule, conference.card_rule
    not_registered: list[tuple[tuple, UnregisteredGroup]] = []
    unentitled_delegates = 0
    for group in groups:
        entitlement = ent.entitle(rule, card_rule, group.figures)
        found = counts.get(group.id, {})

        def count(pass_type: str, statuses: tuple[str, ...], found=found) -> int:
            return sum(found.get((pass_type, status), 0) for status in statuses)

        row = by_section.get(group.section_id)
        if row is None:  # a section not in conference.sections: never drop its groups
            row = by_section[group.section_id] = Figures(group.section.name)
        registered = count(DELEGATE, REGISTERED)
        approved = count(DELEGATE, (APPROVED,))
        row.groups += 1
        row.delegates_registered += registered
        row.delegates_approved += approved
        row.alternates_registered += count(ALTERNATE, REGISTERED)
        row.alternates_approved += count(ALTERNATE, (APPROVED,))
        for pass_type, name in NON_VOTING.items():
            setattr(row, name, getattr(row, name) + count(pass_type, REGISTERED))
        if entitlement.total_delegates <= 0:
            unentitled_delegates += registered
            continue
        row.groups_entitled += 1
        row.delegates_entitled += entitlement.total_delegates
        row.card_votes_entitled += entitlement.card_vote
        if approved:
            row.card_votes_represented += entitlement.card_vote
        if registered:
            row.groups_registered += 1
            continue
        drafts = count(DELEGATE, (Status.DRAFT.value,)) + count(ALTERNATE, (Status.DRAFT.value,))
        key = (group.section.position, group.section.name, group.name.lower())
        not_registered.append(
            (
                key,
                UnregisteredGroup(
                    name=group.name,
                    region=group.region,
                    section=group.section.name,
                    entitlement=entitlement,
                    drafts=drafts,
                    secretary_emails=tuple(emails.get(group.id, ())),
                ),
            )
        )

    sections = list(by_section.values())
    overall = Figures(ALL_SECTIONS)
    for row in sections:
        overall.add(row)
    not_registered.sort(key=lambda pair: pair[0])
    return Report(
        conference_name=conference.name,
        generated_at=utcnow(),
        sections=sections,
        overall=overall,
        not_registered=[group for _, group in not_registered],
        quorum=voters.quorum(conference),
        unentitled_delegates=unentitled_delegates,
    )


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


# ---- PDF ---------------------------------------------------------------------------------------


# ---- pages -------------------------------------------------------------------------------------


def _file_name(conference: Conference, report: Report, extension: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", conference.slug).strip("-") or "conference"
    return f"credentials-report-{slug}-{report.generated_at:%Y-%m-%d-%H%M}.{extension}"


def _download(body, mimetype: str, name: str) -> Response:
    return download(body, name, mimetype)


def _context(report: Report) -> dict:
    return {
        "report": report,
        "table": report.table(),
        "definitions": DEFINITIONS,
    }


@bp.route("/conferences/<int:conference_id>/report", endpoint="credentials_report")
@requires(Role.ADMIN)
def report_page(conference_id: int):
    """The credentials report: per section and overall, quorum, the groups not registered."""
    report = credentials_report(g.conference)
    return render_template("admin/report.html", **_context(report))


@bp.route("/conferences/<int:conference_id>/report.csv", endpoint="credentials_report_csv")
@requires(Role.ADMIN)
def report_csv_download(conference_id: int):
    """The credentials report as a CSV file (UTF-8, header row)."""
    report = credentials_report(g.conference)
    return _download(
        report_csv(report).encode("utf-8"),
        "text/csv; charset=utf-8",
        _file_name(g.conference, report, "csv"),
    )


@bp.route("/conferences/<int:conference_id>/report.pdf", endpoint="credentials_report_pdf")
@requires(Role.ADMIN)
def report_pdf_download(conference_id: int):
    """The credentials report as an A4 PDF for the chair's table."""
    report = credentials_report(g.conference)
    html = render_template("admin/report_pdf.html", **_context(report))
    return _download(html_to_pdf(html), "application/pdf", _file_name(g.conference, report, "pdf"))
