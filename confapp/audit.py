"""The audit log: every change that matters, with who and when, never edited."""

from __future__ import annotations

import enum
import functools
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm
from flask import g, has_request_context, request
from flask_login import current_user

from confapp.extensions import db
from confapp.models import AuditEntry, utcnow


def snapshot(obj) -> dict:
    """The object's column values as JSON-safe data, secrets left out."""
    return {key: _json_safe(getattr(obj, key)) for key in _logged_keys(sa.inspect(obj).mapper)}


def snapshot_values(model: type, values: dict) -> dict:
    """What snapshot() makes of a `model` row holding `values`, for rows inserted in bulk."""
    return {key: _json_safe(values.get(key)) for key in _logged_keys(sa.inspect(model))}


@functools.cache  # a bulk import asks once a row
def _logged_keys(mapper) -> tuple[str, ...]:
    # Password and invitation hashes stay out of the log.
    return tuple(c.key for c in mapper.column_attrs if not c.key.endswith("_hash"))


def _json_safe(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def current_actor() -> tuple[int | None, str]:
    """Who is acting: the logged-in user, or the command-line operator."""
    if has_request_context() and current_user.is_authenticated:
        return current_user.id, current_user.label
    return None, g.get("cli_actor", "system")


def record(
    action: str,
    entity,
    *,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
    conference_id: int | None = None,
    actor=None,
) -> AuditEntry:
    """Add an audit entry to the session; it commits with the change it describes.

    `actor` (a User) names who acted when a service is told; else the logged-in user.
    """
    if conference_id is None:
        conference_id = getattr(entity, "conference_id", None)
        if conference_id is None and type(entity).__name__ == "Conference":
            conference_id = entity.id
    values = entry_values(
        action,
        type(entity).__name__,
        getattr(entity, "id", None),
        conference_id=conference_id,
        before=before,
        after=after,
        summary=summary,
        actor=actor,
    )
    entry = AuditEntry(**values)
    db.session.add(entry)
    return entry


def entry_values(
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    conference_id: int | None,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
    actor=None,
) -> dict:
    """An entry's column values as record() fills them, for record_all (ids may come later)."""
    user_id, actor_label = (actor.id, actor.label) if actor is not None else current_actor()
    return {
        "user_id": user_id,
        "actor": actor_label,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "conference_id": conference_id,
        "summary": summary[:500],
        "before": before,
        "after": after,
        "remote_addr": request.remote_addr if has_request_context() else None,
    }


def record_all(entries: list[dict]) -> None:
    """Insert many entries (entry_values) in one statement; they commit with the change.

    A bulk import's thousands of entries skip the ORM, so that the write that holds the
    database's lock stays short; they are the entries record() would have made.
    """
    if entries:
        at = utcnow()
        # The table, not the class: the ORM's bulk insert leaves out None values, splitting
        # the rows into groups inserted one at a time.
        db.session.execute(sa.insert(AuditEntry.__table__), [{"at": at, **e} for e in entries])


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that differ, so an entry shows what changed."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _refuse_audit_edits(session, flush_context, instances):
    """The log is append-only: an update or delete of an entry is a bug, so stop it."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise RuntimeError("audit entries cannot be changed or deleted")
