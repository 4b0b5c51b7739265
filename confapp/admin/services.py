"""The committee's use cases: conferences and their rules, people with roles, the audit log,
the group list, and the two imports (groups, delegates).

Each changes the session and flushes; the view commits once per request. The delegates import
is the exception: it commits its own short parts (see confapp/registration/bulk.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from confapp import audit
from confapp import entitlement as ent
from confapp.admin import group_import
from confapp.admin.forms import rules_from_form
from confapp.admin.group_csv import parse_groups_csv
from confapp.auth import services as users
from confapp.extensions import db
from confapp.models import AuditEntry, Conference, Group, Role, RoleGrant, Section, User


class ConferenceError(ValueError):
    """A conference could not be saved; the message names the field and rule."""


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


# ---- people with roles ---------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """A one-time login link made for someone, and whether it went out by mail."""

    email: str
    link: str
    mailed: bool
    new: bool  # the login was made just now


@dataclass(frozen=True)
class RoleGiven:
    """What giving a role did: a link to hand over if the person needs one, a word of warning."""

    invitation: Invitation | None
    warning: str | None


def give_role(
    conference: Conference,
    actor: User,
    *,
    email: str,
    name: str,
    role: Role,
    group_name: str = "",
    site_admin: bool = False,
) -> RoleGiven:
    """Give a person (a new login if need be) a role here; users.UserError says why not.

    A secretary is given their group by name. Someone without a password gets a one-time
    link, made only by a user allowed to make one for them (users.may_make_login_link).
    """
    group = None
    if role == Role.SECRETARY:
        try:
            group = find_group(conference, group_name)
        except ConferenceError as exc:
            raise users.UserError(str(exc)) from exc
    elif group_name.strip():
        raise users.UserError("group: only a secretary is given a group")
    user, created = users.get_or_create_user(email, name)
    had_password = user.password_hash is not None
    if site_admin:
        users.make_site_admin(user)
    if users.grant_role(user, conference, role, group) is None:
        raise users.UserError(f"{user.email} already has that role")
    may_link = users.may_make_login_link(actor, user)
    warning = None
    if had_password and user.password_hash is None:
        warning = users.reset_message(user, may_link)
    if user.password_hash or not may_link:
        return RoleGiven(None, warning)  # they log in as before; the role shows on their next page
    return RoleGiven(invite(user, new=created), warning)


def invite(user: User, *, new: bool = False) -> Invitation:
    """A new one-time login link for the user (an older one stops working), mailed if possible."""
    token = users.issue_invitation(user)
    link = users.invitation_url(token)
    return Invitation(user.email, link, users.mail_invitation(user, link), new)


def role_grants(conference: Conference) -> list[RoleGrant]:
    """Who has which role in the conference, by role and address."""
    return list(
        db.session.execute(
            db.select(RoleGrant)
            .join(RoleGrant.user)
            .where(RoleGrant.conference_id == conference.id)
            .options(db.joinedload(RoleGrant.user), db.joinedload(RoleGrant.group))
            .order_by(RoleGrant.role, User.email)
        ).scalars()
    )


def group_names(conference: Conference) -> list[str]:
    """The conference's group names in order, for choosing a secretary's group."""
    return list(
        db.session.execute(
            db.select(Group.name).where(Group.conference_id == conference.id).order_by(Group.name)
        ).scalars()
    )


# ---- the audit log -------------------------------------------------------------------------

AUDIT_FILTERS = ("action", "entity", "actor", "since")


def audit_entries(scope, filters: dict[str, str]) -> tuple[sa.Select, sa.Select, str | None]:
    """The log's entries within `scope` (None: all) matching the filters, newest first.

    Also the actions there are to filter by, and what is wrong with `since` (then ignored).
    """
    query = db.select(AuditEntry)
    actions = db.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    if scope is not None:
        query, actions = query.where(scope), actions.where(scope)
    if filters["action"]:
        query = query.where(AuditEntry.action.startswith(filters["action"]))
    if filters["entity"]:
        kind, _, ident = filters["entity"].partition(":")
        query = query.where(AuditEntry.entity_type == kind)
        if ident.isdigit():
            query = query.where(AuditEntry.entity_id == int(ident))
    if filters["actor"]:
        query = query.where(AuditEntry.actor.ilike(f"%{filters['actor']}%"))
    problem = None
    if filters["since"]:
        try:
            query = query.where(AuditEntry.at >= datetime.fromisoformat(filters["since"]))
        except ValueError:
            problem = f"“{filters['since']}” is not a date like 2027-03-14; showing all dates."
    return query.order_by(AuditEntry.id.desc()), actions, problem


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


def import_groups(conference: Conference, data: bytes) -> group_import.ImportSummary:
    """Add or update groups by name from a CSV; all or nothing (ImportRejected lists problems).

    The caller commits; on ImportRejected nothing has been added to the session. Everything is
    read and worked out before the first write, and the groups and their audit entries go in
    with a few bulk statements, so that the write (on SQLite the database's one write lock,
    which the doors' scans wait for too) stays short. A secretary new to a group is given the
    role as every role is given (users.grant_role); one who already has it is left alone.
    """
    rows = parse_groups_csv(data, sections=[s.name for s in conference.sections])
    group_import.check_secretary_emails(rows)
    existing = {
        g.name.strip().lower(): g
        for g in db.session.execute(
            db.select(Group).where(Group.conference_id == conference.id)
        ).scalars()
    }
    granted = group_import.secretaries_granted(conference, rows)
    summary = group_import.ImportSummary()
    created, entries = group_import.apply_rows(conference, rows, existing, summary)
    # The writes begin here.
    db.session.flush()
    ids = group_import.insert_groups(created, entries)
    audit.record_all(entries)
    group_import.grant_secretaries(conference, rows, existing, ids, granted, summary)
    audit.record("group.import", conference, summary=str(summary))
    return summary
