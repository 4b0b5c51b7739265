"""The committee's use cases: conferences and their rules, the group list, group imports."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from confapp import audit
from confapp import entitlement as ent
from confapp.admin.group_csv import GroupRow, ImportRejected, Problem, parse_groups_csv
from confapp.auth import services as users
from confapp.extensions import db
from confapp.models import Conference, Group, Role, RoleGrant, Section, User, utcnow

BAND_LINE = re.compile(r"^\s*(\d+|\*)\s*[:=,]?\s*(\d+)\s*$")


class ConferenceError(ValueError):
    """A conference could not be saved; the message names the field and rule."""


# ---- rules ---------------------------------------------------------------------------------


def parse_bands(text: str) -> tuple[ent.Band, ...]:
    """Band-table rows from 'N: D' lines; RuleError names the line that is wrong."""
    bands = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = BAND_LINE.match(line)
        if not match:
            raise ent.RuleError(
                "band table",
                f"line {number}: {line.strip()!r} is not “members: delegates”, e.g. 300: 2",
            )
        up_to = None if match[1] == "*" else int(match[1])
        bands.append(ent.Band(up_to=up_to, delegates=int(match[2])))
    return tuple(bands)


def format_bands(bands) -> str:
    """The band table as the form shows it."""
    return "\n".join(f"{'*' if b.up_to is None else b.up_to}: {b.delegates}" for b in bands)


def rules_from_form(form) -> tuple[ent.EntitlementRule, ent.CardVoteRule]:
    """Both rules from a RuleForm's data, validated; RuleError says what is wrong."""
    reserved = tuple(
        ent.ReservedSeat(
            label=row["label"].strip(),
            figure=row["figure"],
            at_least=row["at_least"] or 0,
            seats=row["seats"] or 1,
            filled_by=row["filled_by"],
        )
        for row in form.reserved.data
        if (row["label"] or "").strip()
    )
    rule = ent.EntitlementRule(
        formula=form.formula.data or "steps",
        first=form.first.data or 0,
        step=form.step.data or 1,
        rounding=form.rounding.data,
        bands=parse_bands(form.bands.data) if form.formula.data == "bands" else (),
        minimum=form.minimum.data or 0,
        cap=form.cap.data,
        reserved=reserved,
        equality=ent.EqualityRule(
            women_every_second=bool(form.women_every_second.data),
            low_paid_from=form.low_paid_from.data,
            young_from=form.young_from.data,
        ),
        max_alternates=form.max_alternates.data or 0,
    )
    card_rule = ent.CardVoteRule(
        mode=form.card_mode.data,
        round_to=form.card_round_to.data or 1,
        rounding=form.card_rounding.data,
        cap=form.card_cap.data,
    )
    rule.validate()
    card_rule.validate()
    return rule, card_rule


def fill_rule_form(form, rule: ent.EntitlementRule, card_rule: ent.CardVoteRule) -> None:
    """Put a stored rule into the form's fields for editing."""
    form.formula.data = rule.formula
    form.first.data = rule.first
    form.step.data = rule.step
    form.rounding.data = rule.rounding
    form.bands.data = format_bands(rule.bands)
    form.minimum.data = rule.minimum
    form.cap.data = rule.cap
    for row, seat in zip(form.reserved, rule.reserved, strict=False):
        row.form.label.data = seat.label
        row.form.figure.data = seat.figure
        row.form.at_least.data = seat.at_least
        row.form.seats.data = seat.seats
        row.form.filled_by.data = seat.filled_by
    form.women_every_second.data = rule.equality.women_every_second
    form.low_paid_from.data = rule.equality.low_paid_from
    form.young_from.data = rule.equality.young_from
    form.max_alternates.data = rule.max_alternates
    form.card_mode.data = card_rule.mode
    form.card_round_to.data = card_rule.round_to
    form.card_rounding.data = card_rule.rounding
    form.card_cap.data = card_rule.cap


@dataclass(frozen=True)
class PreviewRow:
    """What the rule gives one sample group."""

    figures: ent.GroupFigures
    result: ent.Entitlement


def parse_samples(text: str) -> list[ent.GroupFigures]:
    """Sample groups from 'members, women, young' lines; RuleError names a bad line."""
    samples = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip().replace("_", "") for p in re.split(r"[,;\s]+", line.strip()) if p]
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
            raise ent.RuleError(
                "sample groups", f"line {number}: {line.strip()!r} is not “members, women, young”"
            )
        members, women, young = ([int(p) for p in parts] + [0, 0])[:3]
        if women > members or young > members:
            raise ent.RuleError(
                "sample groups", f"line {number}: women or young members exceed members"
            )
        samples.append(ent.GroupFigures(members, women, young, True))
    return samples[:30]


def preview(form) -> tuple[str, list[PreviewRow]]:
    """The rule in words and what it gives each sample group; RuleError if it cannot."""
    rule, card_rule = rules_from_form(form)
    rows = [
        PreviewRow(figures, ent.entitle(rule, card_rule, figures))
        for figures in parse_samples(form.samples.data)
    ]
    return ent.describe(rule), rows


# ---- conferences ---------------------------------------------------------------------------


def slugify(name: str) -> str:
    """'Annual Conference 2027' -> 'annual-conference-2027'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100] or "conference"


def to_utc(local: datetime, timezone: str) -> datetime:
    """A wall-clock time in the conference's zone as naive UTC."""
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC).replace(tzinfo=None)


def to_local(utc: datetime, timezone: str) -> datetime:
    """A stored UTC time as naive wall-clock time in the conference's zone."""
    return utc.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def save_conference(form, conference: Conference | None = None) -> Conference:
    """Create or update a conference from its form, sections included; on the audit log."""
    rule, card_rule = rules_from_form(form)
    creating = conference is None
    if creating:
        conference = Conference()
        before = None
    else:
        before = audit.snapshot(conference)
    slug = form.slug.data or slugify(form.name.data)
    clash = db.session.execute(
        db.select(Conference.id).where(Conference.slug == slug, Conference.id != conference.id)
    ).first()
    if clash:
        raise ConferenceError(f"short name {slug!r} is already used by another conference")
    conference.name = form.name.data.strip()
    conference.slug = slug
    conference.venue = (form.venue.data or "").strip()
    conference.timezone = form.timezone.data
    conference.starts_on = form.starts_on.data
    conference.ends_on = form.ends_on.data
    conference.registration_deadline = to_utc(form.registration_deadline.data, form.timezone.data)
    conference.membership_as_at = form.membership_as_at.data
    conference.quorum_percent = form.quorum_percent.data
    conference.badge_layout = form.badge_layout.data
    conference.entitlement_rule = rule.to_dict()
    conference.card_vote_rule = card_rule.to_dict()
    if creating:
        db.session.add(conference)
    db.session.flush()
    _save_sections(conference, [row for row in form.sections.data])
    after = audit.snapshot(conference)
    if creating:
        audit.record("conference.create", conference, after=after, summary=conference.name)
    else:
        old, new = audit.changed(before, after)
        if old or new:
            audit.record(
                "conference.update",
                conference,
                before=old,
                after=new,
                summary=f"changed {', '.join(new)}",
            )
    return conference


def _save_sections(conference: Conference, rows: list[dict]) -> None:
    """Rows map onto the existing sections in order; extra rows add, blank rows remove."""
    existing = list(conference.sections)
    wanted = [(r["name"] or "").strip() for r in rows]
    named = [n for n in wanted if n]
    if not named:
        raise ConferenceError("sections: a conference needs at least one section")
    if len({n.lower() for n in named}) != len(named):
        raise ConferenceError("sections: two sections have the same name")
    for position, row in enumerate(rows):
        name = (row["name"] or "").strip()
        section = existing[position] if position < len(existing) else None
        if section is None and name:
            section = Section(conference=conference, name=name, weight=row["weight"])
            section.position = position
            db.session.add(section)
            db.session.flush()
            audit.record("section.create", section, after=audit.snapshot(section), summary=name)
        elif section is not None and not name:
            in_use = db.session.execute(
                db.select(db.func.count(Group.id)).where(Group.section_id == section.id)
            ).scalar_one()
            if in_use:
                raise ConferenceError(
                    f"sections: {section.name!r} still has {in_use} groups; move them first"
                )
            audit.record("section.delete", section, before=audit.snapshot(section))
            db.session.delete(section)
        elif section is not None:
            before = audit.snapshot(section)
            section.name, section.weight, section.position = name, row["weight"], position
            old, new = audit.changed(before, audit.snapshot(section))
            if new:
                audit.record("section.update", section, before=old, after=new, summary=name)


def find_conference(ref: str) -> Conference:
    """A conference by id or short name; ConferenceError lists those there are."""
    ref = ref.strip()
    query = db.select(Conference)
    if ref.isdigit():
        conference = db.session.get(Conference, int(ref))
    else:
        conference = db.session.execute(query.where(Conference.slug == ref)).scalar_one_or_none()
    if conference is not None:
        return conference
    known = db.session.execute(query.order_by(Conference.id)).scalars().all()
    listing = "; ".join(f"{c.id} {c.slug} ({c.name})" for c in known) or "none yet"
    raise ConferenceError(f"no conference {ref!r}. Conferences: {listing}")


def find_group(conference: Conference, name: str) -> Group:
    """A conference's group by name, whatever its case; ConferenceError if there is none."""
    group = db.session.execute(
        db.select(Group).where(
            Group.conference_id == conference.id,
            db.func.lower(Group.name) == name.strip().lower(),
        )
    ).scalar_one_or_none()
    if group is None:
        raise ConferenceError(f"group: no group named {name.strip()!r} in {conference.name}")
    return group


# ---- the group list ------------------------------------------------------------------------

SORT_KEYS = {
    "name": lambda g: g.name.lower(),
    "region": lambda g: (g.region.lower(), g.name.lower()),
    "section": lambda g: (g.section.name.lower(), g.name.lower()),
    "members": lambda g: g.members,
    "women": lambda g: g.women_members,
    "young": lambda g: g.young_members,
    "delegates": lambda g: g.entitlement.total_delegates,
    "votes": lambda g: g.entitlement.card_vote,
    "standing": lambda g: g.in_good_standing,
}


@dataclass
class Totals:
    """The foot of the group list."""

    groups: int = 0
    members: int = 0
    base_delegates: int = 0
    reserved_seats: int = 0
    votes: int = 0

    @property
    def delegates(self) -> int:
        """Base and reserved together."""
        return self.base_delegates + self.reserved_seats


def list_groups(
    conference: Conference, *, search: str = "", sort: str = "name", descending: bool = False
) -> tuple[list[Group], Totals]:
    """The conference's groups matching `search`, sorted, with totals of those shown."""
    query = (
        db.select(Group)
        .join(Group.section)
        .where(Group.conference_id == conference.id)
        .options(db.contains_eager(Group.section))
    )
    if search.strip():
        like = f"%{search.strip().lower()}%"
        query = query.where(
            db.or_(
                db.func.lower(Group.name).like(like),
                db.func.lower(Group.region).like(like),
                db.func.lower(Section.name).like(like),
            )
        )
    groups = db.session.execute(query).scalars().all()
    rule, card_rule = conference.rule, conference.card_rule
    totals = Totals()
    for group in groups:
        # Computed once with the rule in hand, not once per group through the relationship.
        group.__dict__["entitlement"] = ent.entitle(rule, card_rule, group.figures)
        totals.groups += 1
        totals.members += group.members
        totals.base_delegates += group.entitlement.base_delegates
        totals.reserved_seats += group.entitlement.reserved_seats
        totals.votes += group.entitlement.card_vote
    key = SORT_KEYS.get(sort, SORT_KEYS["name"])
    groups.sort(key=key, reverse=descending)
    return groups, totals


# ---- importing groups ----------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    invited: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.created)} groups added, {len(self.updated)} updated, "
            f"{self.unchanged} unchanged, {len(self.invited)} new secretary logins"
        )


def import_groups(conference: Conference, data: bytes) -> ImportSummary:
    """Add or update groups by name from a CSV; all or nothing (ImportRejected lists problems).

    The caller commits; on ImportRejected nothing has been added to the session. Everything is
    read and worked out before the first write, and the groups and their audit entries go in
    with a few bulk statements, so that the write (on SQLite the database's one write lock,
    which the doors' scans wait for too) stays short. A secretary new to a group is given the
    role as every role is given (users.grant_role); one who already has it is left alone.
    """
    sections = {s.name.lower(): s for s in conference.sections}
    rows = parse_groups_csv(data, sections=[s.name for s in conference.sections])
    _check_secretary_emails(rows)
    existing = {
        g.name.strip().lower(): g
        for g in db.session.execute(
            db.select(Group).where(Group.conference_id == conference.id)
        ).scalars()
    }
    granted = _secretaries_granted(conference, rows)
    summary = ImportSummary()
    now = utcnow()
    created: dict[str, dict] = {}  # name -> a new group's column values
    entries: list[dict] = []  # audit entries, in file order; a new group's id comes later
    for row in rows:
        group = existing.get(row.name.lower())
        values = {
            "name": row.name,
            "region": row.region,
            "section_id": sections[row.section.lower()].id,
            "members": row.members,
            "women_members": row.women_members,
            "young_members": row.young_members,
            "in_good_standing": row.in_good_standing,
            "membership_as_at": conference.membership_as_at,
        }
        if group is None:
            values |= {
                "conference_id": conference.id,
                "registration_version": 0,
                "created_at": now,
                "updated_at": now,
            }
            created[row.name] = values
            entries.append(
                audit.entry_values(
                    "group.create",
                    Group.__name__,
                    None,
                    conference_id=conference.id,
                    after=audit.snapshot_values(Group, values),
                    summary=row.name,
                )
            )
            summary.created.append(row.name)
            continue
        before = audit.snapshot(group)
        for key, value in values.items():
            setattr(group, key, value)  # flushed with the others below, in a few statements
        old, new = audit.changed(before, audit.snapshot(group))
        new.pop("updated_at", None)
        old.pop("updated_at", None)
        if new:
            entries.append(
                audit.entry_values(
                    "group.update",
                    Group.__name__,
                    group.id,
                    conference_id=conference.id,
                    before=old,
                    after=new,
                    summary=row.name,
                )
            )
            summary.updated.append(row.name)
        else:
            summary.unchanged += 1

    # The writes begin here.
    db.session.flush()
    ids: dict[str, int] = {}  # a new group's name -> its id
    if created:
        table = Group.__table__
        # The table, not the class: the ORM would insert one group at a time. Names are
        # unique in a conference, so the ids come back by name.
        returned = sa.insert(table).returning(table.c.name, table.c.id)
        ids = {name: i for name, i in db.session.execute(returned, list(created.values()))}
        for entry in entries:
            if entry["action"] == "group.create":
                entry["entity_id"] = entry["after"]["id"] = ids[entry["after"]["name"]]
    audit.record_all(entries)

    with_secretary = [row for row in rows if row.secretary_email]
    new_groups = _groups_by_id([ids[row.name] for row in with_secretary if row.name in ids])
    for row in with_secretary:
        group = new_groups[ids[row.name]] if row.name in ids else existing[row.name.lower()]
        if (users.normalise_email(row.secretary_email), group.id) in granted:
            continue  # already this group's secretary: grant_role would change nothing
        user, is_new = users.get_or_create_user(row.secretary_email)
        if is_new:
            summary.invited.append(user.email)
        users.grant_role(user, conference, Role.SECRETARY, group)
    audit.record("group.import", conference, summary=str(summary))
    return summary


def _secretaries_granted(conference: Conference, rows: list[GroupRow]) -> set[tuple[str, int]]:
    """(address, group id) of the secretaries in the file who already have their group."""
    emails = sorted({users.normalise_email(r.secretary_email) for r in rows if r.secretary_email})
    granted = set()
    for start in range(0, len(emails), 500):  # well inside every database's parameter limit
        granted.update(
            db.session.execute(
                sa.select(User.email, RoleGrant.group_id)
                .join(RoleGrant, RoleGrant.user_id == User.id)
                .where(
                    User.email.in_(emails[start : start + 500]),
                    RoleGrant.conference_id == conference.id,
                    RoleGrant.role == Role.SECRETARY.value,
                )
            ).all()
        )
    return {(email, group_id) for email, group_id in granted}


def _groups_by_id(ids: list[int]) -> dict[int, Group]:
    groups = {}
    for start in range(0, len(ids), 500):
        query = db.select(Group).where(Group.id.in_(ids[start : start + 500]))
        groups.update((g.id, g) for g in db.session.execute(query).scalars())
    return groups


def _check_secretary_emails(rows: list[GroupRow]) -> None:
    """Addresses must also be usable as logins; the parser checks their form only."""
    problems = []
    for row in rows:
        if row.secretary_email and len(row.secretary_email) > 254:
            problems.append(Problem(row.line, "secretary_email", "address is too long"))
    if problems:
        raise ImportRejected(problems)
