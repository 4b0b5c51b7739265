"""Issuing and revoking credentials; every change on the audit log."""

from __future__ import annotations

import sqlalchemy as sa

from confapp import audit
from confapp.credentials import codes
from confapp.extensions import db
from confapp.models import Credential, Delegate, User, utcnow


def live_credential(delegate: Delegate) -> Credential | None:
    """The person's current, unrevoked credential."""
    return db.session.execute(
        sa.select(Credential).where(
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
