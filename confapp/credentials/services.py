"""Issuing and revoking credentials; every change on the audit log."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from confapp import audit
from confapp.credentials import codes
from confapp.extensions import db
from confapp.models import Credential, Delegate, User, utcnow


def live_credential(delegate: Delegate) -> Credential | None:
    """The person's current, unrevoked credential."""
    return db.session.execute(
        db.select(Credential).where(
            Credential.delegate_id == delegate.id, Credential.revoked_at.is_(None)
        )
    ).scalar_one_or_none()


def issue(delegate: Delegate, actor: User | None, reason: str = "approved") -> Credential:
    """Give the person a new code; any code they had is revoked (a reissue). Caller commits."""
    old = live_credential(delegate)
    if old is not None:
        _revoke(old, f"reissued: {reason}")
        db.session.flush()  # the old code stops being live before the new one starts
    credential = Credential(
        conference_id=delegate.conference_id,
        delegate_id=delegate.id,
        code=codes.new_code(),
        issued_by_id=actor.id if actor else None,
    )
    db.session.add(credential)
    db.session.flush()
    audit.record(
        "credential.reissue" if old else "credential.issue",
        credential,
        before={"code": old.code} if old else None,
        after={"code": credential.code, "delegate_id": delegate.id},
        summary=f"{delegate.name}: {reason}",
        actor=actor,
    )
    return credential


@dataclass(frozen=True)
class FirstIssue:
    """A code made ready for a registration not yet inserted, with its audit entry's values."""

    row: dict  # the credential's column values; its delegate's id is added by issue_first
    entry: dict  # audit.entry_values of the issue; the ids are added by issue_first


def prepare_first_issue(
    conference_id: int,
    name: str,
    actor: User | None,
    reason: str = "approved",
    credential_id: int | None = None,
) -> FirstIssue:
    """What issue() would give a new registration, made before the write that inserts it.

    `credential_id`: an id the caller took for it beforehand, else the insert gives one.
    """
    row = {
        "conference_id": conference_id,
        "code": codes.new_code(),
        "issued_at": utcnow(),
        "issued_by_id": actor.id if actor else None,
        "revoked_reason": "",
    }
    if credential_id is not None:
        row["id"] = credential_id
    entry = audit.entry_values(
        "credential.issue",
        Credential.__name__,
        credential_id,
        conference_id=conference_id,
        summary=f"{name}: {reason}",
        actor=actor,
    )
    return FirstIssue(row, entry)


def issue_first(issues: list[FirstIssue], delegate_ids: list[int]) -> list[dict]:
    """Insert the credentials of new registrations in one statement; their audit entries.

    Only for people inserted in this transaction (a bulk import): they have no code yet, so
    nothing is revoked, as issue() would find. The entries (audit.entry_values) are for the
    caller to insert with its own, in its order. Caller commits.
    """
    if not issues:
        return []
    rows = [issue.row | {"delegate_id": i} for issue, i in zip(issues, delegate_ids, strict=True)]
    # The table, not the class: the ORM's bulk insert leaves out None values, splitting the rows.
    table = Credential.__table__
    if all("id" in row for row in rows):
        db.session.execute(sa.insert(table), rows)
        ids = {row["code"]: row["id"] for row in rows}
    else:
        # They come back matched by their (unique) code, not in order: SQLite returns them in
        # order only by inserting one at a time.
        returned = sa.insert(table).returning(table.c.code, table.c.id)
        ids = {code: credential_id for code, credential_id in db.session.execute(returned, rows)}
    return [
        issue.entry
        | {
            "entity_id": ids[row["code"]],
            "after": {"code": row["code"], "delegate_id": row["delegate_id"]},
        }
        for issue, row in zip(issues, rows, strict=True)
    ]


def revoke(delegate: Delegate, reason: str, actor: User | None = None) -> Credential | None:
    """Revoke the person's live credential, if any; the code is kept. Caller commits."""
    credential = live_credential(delegate)
    if credential is None:
        return None
    _revoke(credential, reason)
    audit.record(
        "credential.revoke",
        credential,
        after={"code": credential.code, "revoked_reason": reason},
        summary=f"{delegate.name}: {reason}",
        actor=actor,
    )
    return credential


def _revoke(credential: Credential, reason: str) -> None:
    credential.revoked_at = utcnow()
    credential.revoked_reason = reason[:300]
