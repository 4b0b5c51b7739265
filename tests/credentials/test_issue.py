"""Credentials follow registrations: approval issues a code, leaving revokes, reissue replaces."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from confapp import factories
from confapp.credentials import codes
from confapp.credentials import services as credentials
from confapp.extensions import db
from confapp.models import AuditEntry, Credential, Delegate, Role
from confapp.registration import services as registration


def test_codes_are_80_bits_in_the_qr_alphanumeric_set():
    seen = {codes.new_code() for _ in range(2000)}
    assert len(seen) == 2000
    for code in seen:
        assert len(code) == codes.CODE_LENGTH == 16
        assert set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert codes.CODE_LENGTH * math.log2(32) >= 80


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("abcd efgh ijkl mnop", "ABCDEFGHIJKLMNOP"),
        ("ABCD-EFGH-IJKL-MNOP", "ABCDEFGHIJKLMNOP"),
        ("ABCDEFGHIJKLMNO", None),  # one short
        ("ABCDEFGHIJKLMNO1", None),  # 1 is not in the alphabet
        ("", None),
    ],
)
def test_typed_codes_are_forgiven_or_refused(typed, expected):
    assert codes.normalise(typed) == expected


def test_display_groups_the_code_in_fours():
    assert codes.display("ABCDEFGHIJKLMNOP") == "ABCD EFGH IJKL MNOP"


@pytest.fixture
def admin(conference):
    return factories.user(conf=conference, role=Role.ADMIN)


@pytest.fixture
def ann(conference):
    group = factories.group(conference, "Leeds", members=1000, women_members=120)
    delegate = Delegate(
        conference_id=conference.id,
        group_id=group.id,
        pass_type="delegate",
        seat="base",
        name="Ann",
        email="ann@example.org",
        status="submitted",
    )
    db.session.add(delegate)
    db.session.commit()
    return delegate


def _codes(delegate) -> list[Credential]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(Credential)
            .where(Credential.delegate_id == delegate.id)
            .order_by(Credential.id)
        ).scalars()
    )


def test_approval_issues_a_code_and_logs_it(ann, admin):
    registration.approve(ann, admin)
    (credential,) = _codes(ann)
    assert codes.normalise(credential.code) == credential.code
    assert credential.revoked_at is None
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "credential.issue")
    ).scalar_one()
    assert entry.after["code"] == credential.code
    assert entry.actor == admin.email


def test_withdrawal_revokes_but_keeps_the_code(ann, admin):
    registration.approve(ann, admin)
    registration.withdraw(db.session.get(Delegate, ann.id), admin, "moved away")
    (credential,) = _codes(ann)
    assert credential.is_revoked
    assert "withdrawn" in credential.revoked_reason


def test_reissue_gives_a_new_code_and_revokes_the_old(ann, admin):
    registration.approve(ann, admin)
    first = _codes(ann)[0].code
    credentials.issue(db.session.get(Delegate, ann.id), admin, "lost badge")
    db.session.commit()
    old, new = _codes(ann)
    assert old.code == first and old.is_revoked and "lost badge" in old.revoked_reason
    assert new.code != first and not new.is_revoked
    assert "credential.reissue" in db.session.execute(sa.select(AuditEntry.action)).scalars().all()


def test_the_database_refuses_two_live_codes_for_one_person(ann, admin):
    registration.approve(ann, admin)
    db.session.add(Credential(conference_id=ann.conference_id, delegate_id=ann.id, code="A" * 16))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_substitution_revokes_the_outgoing_badge_and_issues_the_incoming(ann, admin, conference):
    registration.approve(ann, admin)
    ann = db.session.get(Delegate, ann.id)
    conference.registration_deadline = conference.registration_deadline.replace(year=2000)
    db.session.commit()
    details = registration.PersonDetails(name="Dan", email="dan@example.org")
    substitution = registration.request_substitution(ann, admin, "ill", details=details)
    registration.decide_substitution(substitution, admin, approve=True)
    (old,) = _codes(ann)
    assert old.is_revoked and "replaced" in old.revoked_reason
    dan = db.session.execute(sa.select(Delegate).where(Delegate.name == "Dan")).scalar_one()
    (new,) = _codes(dan)
    assert not new.is_revoked
