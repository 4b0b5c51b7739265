"""The delegates import holds those it sends or approves to the register, as the secretary's
submission and the committee's approval do; drafts and visitors go in unchecked."""

from __future__ import annotations

import dataclasses
import io
from datetime import date

import pytest

from confapp import factories
from confapp.extensions import db
from confapp.models import Delegate, Member, Role
from tests.admin.test_delegate_csv import problems

HEADER = "group,pass_type,name,email,status\n"


@pytest.fixture
def conference(db):
    """A conference whose rule allows two alternates a group."""
    return factories.conference(rule=dataclasses.replace(factories.LABOUR_RULE, max_alternates=2))


def upload(client, conference, data: str):
    return client.post(
        f"/admin/conferences/{conference.id}/delegates/import",
        data={"file": (io.BytesIO(data.encode()), "delegates.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def setup(conference, login):
    leeds = factories.group(conference, "Leeds", members=1000)
    york = factories.group(conference, "York", members=1000)
    for number, name, group, good in [
        ("L0001", "Ann", leeds, True),
        ("L0002", "Bob", leeds, False),
        ("Y0001", "Eve", york, True),
    ]:
        db.session.add(
            Member(
                conference_id=conference.id,
                number=number,
                name=name,
                email=f"{name.lower()}@example.org",
                group_id=group.id,
                joined_on=date(2020, 1, 1),
                in_good_standing=good,
            )
        )
    db.session.commit()
    login(factories.user("chair@example.org", conf=conference, role=Role.ADMIN))


def names() -> set[str]:
    return set(db.session.scalars(db.select(Delegate.name)))


def test_rows_sent_or_approved_must_be_members_in_good_standing(client, conference, login):
    setup(conference, login)

    response = upload(
        client,
        conference,
        HEADER
        + "Leeds,delegate,Ann,ann@example.org,approved\n"
        + "Leeds,delegate,Bob,bob@example.org,submitted\n"
        + "Leeds,alternate,Eve,eve@example.org,approved\n"
        + "Leeds,delegate,Zed,zed@example.org,submitted\n",
    )

    listed = problems(response)
    assert len(listed) == 3, listed
    assert "Member L0002 (Bob) is in arrears" in listed[0] and "line 3" in listed[0]
    assert "Member Y0001 is a member of York, not Leeds" in listed[1]
    assert "No member with this e-mail; give the membership number" in listed[2]
    assert names() == set()  # all or nothing


def test_drafts_and_visitors_go_in_unchecked(client, conference, login):
    setup(conference, login)

    upload(
        client,
        conference,
        HEADER
        + "Leeds,delegate,Ann,ann@example.org,approved\n"
        + "Leeds,delegate,Zed,zed@example.org,draft\n"
        + "Leeds,visitor,Vic,vic@example.org,submitted\n",
    )

    assert names() == {"Ann", "Zed", "Vic"}
