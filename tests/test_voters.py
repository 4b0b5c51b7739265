"""Who votes: the SQL condition and its Python twin agree on every kind of person."""

from __future__ import annotations

import itertools

import sqlalchemy as sa

from confapp import voters
from confapp.admin import report
from confapp.checkin import presence
from confapp.extensions import db
from confapp.models import Delegate, PassType, Status
from tests import factories


def test_the_sql_rule_and_the_python_rule_agree_on_everyone(conference):
    group = factories.group(conference, "Leeds", members=1000)
    absent = factories.approved_person(conference, group, "Ann Absent")
    people = []
    for n, (status, pass_type, seated) in enumerate(
        itertools.product(Status, PassType, (False, True))
    ):
        person = Delegate(
            conference_id=conference.id,
            group_id=group.id,
            pass_type=pass_type,
            seat="base" if pass_type == PassType.DELEGATE else None,
            alternate_rank=n if pass_type == PassType.ALTERNATE else None,
            name=f"{status} {pass_type} {seated}",
            email=f"{status}.{pass_type}.{seated}@example.org",
            status=status,
            seated_for_id=absent.id if seated else None,
        )
        db.session.add(person)
        people.append(person)
    db.session.commit()

    in_sql = set(
        db.session.execute(
            sa.select(Delegate.id).where(Delegate.group_id == group.id, voters.VOTES)
        ).scalars()
    )
    in_python = {p.id for p in [absent, *people] if voters.votes(p)}

    assert in_sql == in_python
    voting = {
        (p.status, p.pass_type, p.seated_for_id is not None) for p in people if p.id in in_sql
    }
    assert voting == {
        (Status.APPROVED, PassType.DELEGATE, False),
        (Status.APPROVED, PassType.DELEGATE, True),
        (Status.APPROVED, PassType.ALTERNATE, True),
    }


def test_presence_and_the_credentials_report_count_one_quorum(conference):
    group = factories.group(conference, "Leeds", members=1000)
    absent = factories.approved_person(conference, group, "Ann Absent")
    factories.approved_person(conference, group, "Ben Jones")
    factories.approved_person(conference, group, "Cath Visitor", pass_type="visitor")
    alternate = factories.approved_person(conference, group, "Dee Alt", pass_type="alternate")
    alternate.seated_for_id = absent.id  # seated in Ann's place: not a place more
    db.session.commit()

    from_presence = presence.summary(conference).quorum
    from_report = report.credentials_report(conference).quorum

    assert from_presence == from_report == voters.Quorum(2, conference.quorum_percent)
