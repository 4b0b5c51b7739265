"""The audit log: every change that matters, with who and when, never edited."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm
from flask import g, has_request_context, request
from flask_login import current_user

from confapp.extensions import db
from confapp.models import AuditEntry


def snapshot(obj) -> dict:
    """The object's column values as JSON-safe data, secrets left out."""
    values = {}
    for column in sa.inspect(obj).mapper.column_attrs:
        key = column.key
        if key.endswith("_hash"):
            continue  # password and invitation hashes stay out of the log
        values[key] = _json_safe(getattr(obj, key))
    return values


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
    user_id, actor_label = (actor.id, actor.label) if actor is not None else current_actor()
    if conference_id is None:
        conference_id = getattr(entity, "conference_id", None)
        if conference_id is None and type(entity).__name__ == "Conference":
            conference_id = entity.id
    entry = AuditEntry(
        user_id=user_id,
        actor=actor_label,
        action=action,
        entity_type=type(entity).__name__,
        entity_id=getattr(entity, "id", None),
        conference_id=conference_id,
        summary=summary[:500],
        before=before,
        after=after,
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


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
