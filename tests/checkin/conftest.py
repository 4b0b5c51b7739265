"""A conference at the door: two doors, scanner tokens, people with badges."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from confapp import factories
from confapp.checkin import services
from confapp.credentials.services import live_credential
from confapp.models import Delegate, Role, User


@dataclass
class Door:
    """What the door tests need: the conference, tokens, and badge codes by name."""

    conference: object
    token: str  # a scanner at the Main entrance
    side_token: str  # a scanner at the Side door
    codes: dict[str, str]
    people: dict[str, Delegate]
    steward: User

    def code(self, name: str) -> str:
        """The live badge code of a person."""
        return self.codes[name]


@pytest.fixture
def door(db) -> Door:
    """Leeds with Ann and Ben (delegates) and Vic (visitor), York with Yan; two doors."""
    conf = factories.conference()
    leeds = factories.group(conf, "Leeds", members=1000, women_members=120)
    york = factories.group(conf, "York", members=400)
    people = {
        "Ann": factories.approved_person(conf, leeds, "Ann Smith"),
        "Ben": factories.approved_person(conf, leeds, "Ben Jones"),
        "Vic": factories.approved_person(conf, leeds, "Vic Visitor", "visitor"),
        "Yan": factories.approved_person(conf, york, "Yan Lee"),
    }
    main = services.add_door(conf, "Main entrance")
    side = services.add_door(conf, "Side door")
    _, token = services.create_device_token(conf, main, "Handheld 1")
    _, side_token = services.create_device_token(conf, side, "Handheld 2")
    steward = factories.user(conf=conf, role=Role.STEWARD)
    codes = {name: live_credential(person).code for name, person in people.items()}
    return Door(conf, token, side_token, codes, people, steward)
