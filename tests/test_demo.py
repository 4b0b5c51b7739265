"""The demo conference a newcomer sees after `make run`."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from confapp import demo
from confapp.extensions import db
from confapp.models import Conference, Group, Role, User


def test_demo_has_150_groups_adding_to_21000_members(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "150 groups, 21,000 members" in result.output
    conference = db.session.execute(db.select(Conference)).scalar_one()
    groups = db.session.execute(db.select(Group)).scalars().all()
    assert len(groups) == 150
    assert sum(g.members for g in groups) == 21_000
    assert len({g.region for g in groups}) >= 6
    assert Counter(g.section.name for g in groups) == {"Local groups": 120, "Affiliates": 30}
    assert [s.weight for s in conference.sections] == [50, 50]
    assert conference.rule.reserved  # a rule with reserved seats
    # Realistic spread: many small groups, a few large.
    sizes = sorted(g.members for g in groups)
    assert sizes[75] < 21_000 / 150  # the median is below the mean
    assert sizes[-1] > 4 * sizes[75]
    assert all(0 <= g.women_members <= g.members for g in groups)
    assert sum(not g.in_good_standing for g in groups) == 3


def test_demo_gives_a_login_for_each_role(app, client):
    app.test_cli_runner().invoke(args=["demo"])
    conference = db.session.execute(db.select(Conference)).scalar_one()
    for email, password, role, _groups in demo.LOGINS:
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one()
        assert role in user.roles_in(conference.id)
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302
        client.post("/logout")
    secretary = db.session.execute(
        db.select(User).where(User.email == "secretary@example.org")
    ).scalar_one()
    assert secretary.roles_in(conference.id) == {Role.SECRETARY}
    assert len(secretary.secretary_group_ids(conference.id)) == 2


def test_demo_twice_changes_nothing(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "already here" in second.output
    assert db.session.execute(db.select(db.func.count(Conference.id))).scalar_one() == 1
    assert db.session.execute(db.select(db.func.count(Group.id))).scalar_one() == 150


def test_memberships_spread_always_adds_up():
    import random

    for seed in range(20):
        sizes = demo.spread_memberships(150, 21_000, random.Random(seed))
        assert sum(sizes) == 21_000
        assert min(sizes) >= 8


def test_demo_delegations_keep_the_rules_and_leave_work_to_do(app):
    from confapp.models import Delegate
    from confapp.registration import rules, services

    app.test_cli_runner().invoke(args=["demo"])
    conference = db.session.execute(db.select(Conference)).scalar_one()
    statuses = Counter()
    unregistered = []
    for group in db.session.execute(db.select(Group)).scalars():
        people = services.holding_places(group)
        statuses.update({d.status for d in people})
        if group.entitlement.total_delegates and not people:
            unregistered.append(group.name)
        delegates = [services.as_person(d) for d in people if d.pass_type == "delegate"]
        assert rules.delegation_problems(conference.rule, delegates) == [], group.name
        for seat, count in rules.seat_counts(delegates).items():
            assert count <= rules.seats_available(group.entitlement)[seat], group.name
    assert set(statuses) == {"approved", "submitted"}
    assert "Leeds" in unregistered and "Ynys Môn" in unregistered  # the demo secretary's
    assert len(unregistered) == demo.UNREGISTERED
    emails = db.session.execute(db.select(Delegate.email)).scalars().all()
    assert len(emails) == len(set(emails)) > 300


def test_demo_has_doors_and_delegates_inside(app):
    from confapp.checkin import presence
    from confapp.models import Presence, Scan

    conference = demo.load_demo(echo=lambda _: None)
    now = presence.summary(conference)
    scans = db.session.execute(sa.select(Scan)).scalars().all()
    inside = db.session.execute(sa.select(Presence).where(Presence.is_inside)).scalars().all()
    assert {s.door.name for s in scans} == {"Main entrance", "Side door"}
    assert len(inside) == len(scans) == now.inside_now == now.delegates_present
    assert now.is_quorate  # about three in four approved delegates are in
    assert 0 < now.votes_present < 21_000


def test_demo_has_a_declared_card_vote_and_a_rule_change_to_open(app):
    from confapp.models import Ballot, TellerEntry

    demo.load_demo(echo=lambda _: None)
    ballots = db.session.execute(sa.select(Ballot).order_by(Ballot.id)).scalars().all()
    declared, ready = ballots
    assert (declared.state, declared.hands, declared.kind) == (
        "declared",
        "card_vote_called",
        "motion",
    )
    assert declared.is_carried is not None and declared.result["overall"]["for_percent"]
    delegations = declared.result["delegations"]
    assert len(delegations) > 100  # every delegation present was counted
    entries = db.session.execute(
        sa.select(TellerEntry.sheet, sa.func.count()).group_by(TellerEntry.sheet)
    ).all()
    assert sorted(entries) == [(1, len(delegations)), (2, len(delegations))]  # two tellers
    assert (ready.state, ready.kind, ready.majority) == ("draft", "rule_change", "two_thirds")
