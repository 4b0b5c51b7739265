"""How a groups file is written: the groups changed or inserted in bulk, with their audit
entries, and their secretaries given the role; the steps of admin/services.import_groups.

Everything is worked out before the first write, and the writes are a few bulk statements,
so that on SQLite the database's one write lock (which the doors' scans wait for too) is
held briefly. Nothing here commits: the caller does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from confapp import audit
from confapp.admin.group_csv import GroupRow, ImportRejected, Problem
from confapp.auth import services as users
from confapp.extensions import db
from confapp.models import Conference, Group, Role, RoleGrant, User, utcnow
from confapp.text import plural


@dataclass
class ImportSummary:
    """What an import changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    invited: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        """'1 group added, 0 updated, 2 unchanged, 1 new secretary login'."""
        return (
            f"{plural(len(self.created), 'group')} added, {len(self.updated)} updated, "
            f"{self.unchanged} unchanged, {plural(len(self.invited), 'new secretary login')}"
        )


def apply_rows(
    conference: Conference, rows: list[GroupRow], existing: dict[str, Group], summary: ImportSummary
) -> tuple[list[dict], list[dict]]:
    """Change the groups there are (not flushed yet); the new groups' column values; the entries.

    The audit entries are in file order; a new group's id goes into its entry once inserted.
    """
    sections = {s.name.lower(): s for s in conference.sections}
    now = utcnow()
    created: list[dict] = []
    entries: list[dict] = []
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
            created.append(values)
            after = audit.snapshot_values(Group, values)
            entries.append(_group_entry("group.create", conference, None, row.name, after=after))
            summary.created.append(row.name)
            continue
        before = audit.snapshot(group)
        for key, value in values.items():
            setattr(group, key, value)  # flushed with the others, in a few statements
        old, new = audit.changed(before, audit.snapshot(group))
        new.pop("updated_at", None)
        old.pop("updated_at", None)
        if new:
            entry = _group_entry("group.update", conference, group.id, row.name, old, new)
            entries.append(entry)
            summary.updated.append(row.name)
        else:
            summary.unchanged += 1
    return created, entries


def _group_entry(
    action: str, conference: Conference, group_id, name: str, before=None, after=None
) -> dict:
    return audit.entry_values(
        action,
        Group.__name__,
        group_id,
        conference_id=conference.id,
        before=before,
        after=after,
        summary=name,
    )


def insert_groups(created: list[dict], entries: list[dict]) -> dict[str, int]:
    """Insert the new groups in one statement; their ids by name, put into their entries too."""
    if not created:
        return {}
    table = Group.__table__
    # The table, not the class: the ORM would insert one group at a time. Names are unique in
    # a conference, so the ids come back by name.
    returned = sa.insert(table).returning(table.c.name, table.c.id)
    ids = {name: i for name, i in db.session.execute(returned, created)}
    for entry in entries:
        if entry["action"] == "group.create":
            entry["entity_id"] = entry["after"]["id"] = ids[entry["after"]["name"]]
    return ids


def grant_secretaries(
    conference: Conference,
    rows: list[GroupRow],
    existing: dict[str, Group],
    ids: dict[str, int],
    granted: set[tuple[str, int]],
    summary: ImportSummary,
) -> None:
    """Give each row's secretary its group: `existing` groups by name, new ones by id in `ids`."""
    with_secretary = [row for row in rows if row.secretary_email]
    new_groups = _groups_by_id([ids[row.name] for row in with_secretary if row.name in ids])
    for row in with_secretary:
        group = new_groups[ids[row.name]] if row.name in ids else existing[row.name.lower()]
        _grant_secretary(conference, group, row.secretary_email, granted, summary)


def _grant_secretary(
    conference: Conference,
    group: Group,
    email: str,
    granted: set[tuple[str, int]],
    summary: ImportSummary,
) -> None:
    """Make the address the group's secretary, unless it already is (a new login if need be)."""
    if (users.normalise_email(email), group.id) in granted:
        return  # already this group's secretary: grant_role would change nothing
    user, is_new = users.get_or_create_user(email)
    if is_new:
        summary.invited.append(user.email)
    users.grant_role(user, conference, Role.SECRETARY, group)


def secretaries_granted(conference: Conference, rows: list[GroupRow]) -> set[tuple[str, int]]:
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


def check_secretary_emails(rows: list[GroupRow]) -> None:
    """Addresses must also be usable as logins; the parser checks their form only."""
    problems = []
    for row in rows:
        if row.secretary_email and len(row.secretary_email) > 254:
            problems.append(Problem(row.line, "secretary_email", "address is too long", row.name))
    if problems:
        raise ImportRejected(problems)
