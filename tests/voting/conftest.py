"""A conference on the floor: delegations in the hall, two tellers, a chair."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from confapp import factories
from confapp.checkin import services as doors
from confapp.checkin.scans import ScanInput, Scanner, record_scan
from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import Conference, Delegate, Role, User


@dataclass
class Floor:
    """The conference, its people by name, and who counts."""

    conference: Conference
    people: dict[str, Delegate]
    groups: dict[str, object]
    chair: User
    teller: User
    second_teller: User

    def admit(self, *names: str) -> None:
        """Scan these people in at the Main entrance (what the test's session did is committed)."""
        db.session.commit()  # as each request would have: the door's own connection sees it
        for name in names:
            code = live_credential(self.people[name]).code
            record_scan(
                Scanner(conference_id=self.conference.id, actor="test", browser="t"),
                ScanInput(direction="in", nonce=f"in-{name}", code=code, door="Main entrance"),
            )


@pytest.fixture
def floor(db) -> Floor:
    """Leeds (1,000 members: 3 delegates), York (400), Hull (affiliate, 2,500); nobody in yet."""
    conf = factories.conference()
    leeds = factories.group(conf, "Leeds", members=1000)
    york = factories.group(conf, "York", members=400)
    hull = factories.group(
        conf, "Hull", members=2500, section=factories.section(conf, "Affiliates")
    )
    people = {
        "Ann": factories.approved_person(conf, leeds, "Ann"),
        "Ben": factories.approved_person(conf, leeds, "Ben"),
        "Cal": factories.approved_person(conf, leeds, "Cal"),
        "Yan": factories.approved_person(conf, york, "Yan"),
        "Hal": factories.approved_person(conf, hull, "Hal"),
        "Vic": factories.approved_person(conf, leeds, "Vic", "visitor"),
    }
    doors.add_door(conf, "Main entrance")
    db.session.commit()
    return Floor(
        conference=conf,
        people=people,
        groups={"Leeds": leeds, "York": york, "Hull": hull},
        chair=factories.user(conf=conf, role=Role.ADMIN),
        teller=factories.user(conf=conf, role=Role.TELLER),
        second_teller=factories.user(conf=conf, role=Role.TELLER),
    )
