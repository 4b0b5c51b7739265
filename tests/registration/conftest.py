"""Fixtures for registration: a group under the Labour rule, its secretary logged in."""

from __future__ import annotations

import dataclasses

import pytest

from confapp import entitlement as ent
from confapp.models import Role
from tests import factories

EQUAL_RULE = dataclasses.replace(
    factories.LABOUR_RULE,
    equality=ent.EqualityRule(women_every_second=True, young_from=4),
    max_alternates=2,
)


@pytest.fixture
def conference(db):
    """A conference whose rule has a women's seat, the equality rule and two alternates."""
    return factories.conference(rule=EQUAL_RULE)


@pytest.fixture
def leeds(conference):
    """1,000 members and 120 women: 3 delegates and the women's seat."""
    return factories.group(conference, "Leeds", members=1000, women_members=120, young_members=50)


@pytest.fixture
def secretary(conference, leeds, login):
    """Leeds's secretary, logged in."""
    user = factories.user(
        "sec@leeds.example.org", conf=conference, role=Role.SECRETARY, group=leeds
    )
    login(user)
    return user


def person(**values) -> dict:
    """A person form as the secretary posts it."""
    data = {
        "name": "Ann Jones",
        "email": "ann@example.org",
        "phone": "",
        "seat": "base",
        "elected_on": "2027-01-20",
        "elected_at": "Branch meeting",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}
