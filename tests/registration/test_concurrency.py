"""Secretaries acting at the same moment cannot push a delegation past its entitlement."""

from __future__ import annotations

import threading

from confapp.extensions import db
from confapp.models import Delegate, Group, Role, User
from confapp.registration import services
from confapp.registration.services import PersonDetails, RegistrationError
from tests import factories

ROUNDS = 5


def _race(app, group_id: int, user_ids: list[int], round_no: int) -> list[str]:
    """Each user registers one more delegate at the same instant; what each was told."""
    barrier = threading.Barrier(len(user_ids))
    outcomes: list[str] = []

    def register(index: int, user_id: int) -> None:
        with app.app_context():
            group = db.session.get(Group, group_id)
            user = db.session.get(User, user_id)
            _ = group.conference.rule  # loaded before the start, as a request would
            details = PersonDetails(
                name=f"Racer {round_no}-{index}", email=f"racer{round_no}-{index}@example.org"
            )
            barrier.wait()
            try:
                services.register(group, details, user)
                db.session.commit()  # as the view does, once the use case has flushed
                outcomes.append("added")
            except RegistrationError as exc:
                outcomes.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register, args=(i, u)) for i, u in enumerate(user_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_secretaries_racing_for_the_last_seat(app, conference):
    group = factories.group(conference, "Leeds", members=1000)  # 3 base delegates
    secretaries = [
        factories.user(f"sec{i}@example.org", conf=conference, role=Role.SECRETARY, group=group).id
        for i in range(2)
    ]
    group_id = group.id
    db.session.commit()
    for round_no in range(ROUNDS):
        # Free seats so that exactly one remains, then race for it.
        db.session.execute(db.delete(Delegate).where(Delegate.group_id == group_id))
        for i in range(2):
            db.session.add(
                Delegate(
                    conference_id=conference.id,
                    group_id=group_id,
                    pass_type="delegate",
                    seat="base",
                    name=f"Sitting {i}",
                    email=f"sitting{round_no}-{i}@example.org",
                )
            )
        db.session.commit()
        outcomes = _race(app, group_id, secretaries, round_no)
        assert sorted(outcomes) == [
            "Your group is entitled to 3 delegates, and 3 are already registered.",
            "added",
        ], outcomes
        db.session.expire_all()
        count = db.session.execute(
            db.select(db.func.count(Delegate.id)).where(Delegate.group_id == group_id)
        ).scalar_one()
        assert count == 3
