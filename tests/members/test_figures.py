"""The register's count at the freeze date beside the declared figures, and the switch to it."""

from __future__ import annotations

import html
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from confapp import factories
from confapp.extensions import db
from confapp.members import figures
from confapp.models import AuditEntry, Member, Role

FREEZE = date(2026, 1, 1)


@pytest.fixture
def world(conference):
    """Leeds declares 1,000 members (3 delegates and a women's seat), York 400; the committee."""
    conference.membership_as_at = FREEZE
    db.session.commit()
    return {
        "conference": conference,
        "leeds": factories.group(conference, "Leeds", members=1000, women_members=120),
        "york": factories.group(conference, "York", members=2, women_members=1),
        "admin": factories.user(conf=conference, role=Role.ADMIN),
    }


@pytest.fixture
def admin(world, login):
    login(world["admin"])
    return world["admin"]


def add(conference, group, number: str, **values) -> Member:
    values.setdefault("joined_on", date(2020, 1, 1))
    member = Member(
        conference_id=conference.id,
        number=number,
        name=f"Member {number}",
        email=f"{number.lower()}@example.org",
        group_id=group.id,
        **values,
    )
    db.session.add(member)
    return member


def fresh(row):
    """The row as the database holds it now (a new object: Group.entitlement is cached)."""
    model, row_id = type(row), sa.inspect(row).identity[0]
    db.session.expunge_all()
    return db.session.get(model, row_id)


def figures_url(conference) -> str:
    return f"/conferences/{conference.id}/members/figures"


def words(response) -> str:
    """The page's text, tags and runs of spaces removed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_the_count_at_the_freeze_date_follows_the_register_rules(world):
    conference, leeds = world["conference"], world["leeds"]
    add(conference, leeds, "A", attributes={"woman": True, "young": True})
    add(conference, leeds, "B", attributes={"woman": False})
    add(conference, leeds, "C", left_on=date(2026, 3, 1))  # left after the freeze: counts
    add(conference, leeds, "D", left_on=date(2025, 12, 31))  # left before it: does not
    add(conference, leeds, "E", joined_on=date(2026, 1, 2))  # joined after it: does not
    add(conference, leeds, "F", in_good_standing=False)  # in arrears: does not
    add(conference, leeds, "G", joined_on=FREEZE, attributes={"woman": True})  # joined that day
    db.session.flush()

    figures.refresh(conference)
    db.session.commit()

    leeds, york = fresh(leeds), fresh(world["york"])
    assert (leeds.register_members, leeds.register_women_members) == (4, 2)
    assert leeds.register_young_members == 1
    assert (york.register_members, york.register_women_members) == (0, 0)  # nobody: 0, not None
    # The model's own rule agrees member by member.
    counted = [m.number for m in db.session.scalars(db.select(Member)) if m.counts_on(FREEZE)]
    assert sorted(counted) == ["A", "B", "C", "G"]


def test_without_the_attribute_on_the_register_its_count_is_unknown(world):
    conference = world["conference"]
    add(conference, world["leeds"], "A")
    db.session.flush()

    figures.refresh(conference)

    assert world["leeds"].register_members == 1
    assert world["leeds"].register_women_members is None


def test_the_figures_page_shows_declared_against_the_register_with_the_difference(
    client, world, admin
):
    conference = world["conference"]
    add(conference, world["leeds"], "A", attributes={"woman": True})
    add(conference, world["york"], "Y1", attributes={"woman": True})
    add(conference, world["york"], "Y2", attributes={"woman": False})
    db.session.commit()
    figures.refresh(conference)
    db.session.commit()

    response = client.get(figures_url(conference))
    page = response.get_data(as_text=True)
    text = words(response)

    assert "Members on the register on 1 January 2026" in text
    assert "1 group of 2 differs from the register; 1 group would get a different number" in text
    rows = re.findall(r"<tr( class=\"differs\")?>\s*<th scope=\"row\"[^>]*>(\w+)", page)
    assert rows == [(' class="differs"', "Leeds"), ("", "York")]
    leeds_row = text[text.index("Leeds differs") : text.index("York")]
    # Declared 1,000, register 1, difference -999; women 120 against 1; delegates 4 against 1.
    assert leeds_row.split() == [
        *("Leeds", "differs", "1,000", "1", "-999", "120", "1", "-119", "4", "1")
    ]
    assert "The register records no young attribute" in text


def test_without_a_freeze_date_the_page_says_to_set_it_in_the_settings(client, world, admin):
    conference = world["conference"]
    conference.membership_as_at = None
    db.session.commit()

    response = client.get(figures_url(conference))

    assert (
        'The committee must set it ("Membership counted as at") in the conference settings'
        in words(response)
    )
    assert f'href="/admin/conferences/{conference.id}/edit#membership_as_at"' in response.get_data(
        as_text=True
    )
    refused = client.post(
        figures_url(conference),
        data={"source": "register", "confirmed": "yes"},
        follow_redirects=True,
    )
    assert (
        "Set the freeze date (membership counted as at) in the conference's settings first."
        in words(refused)
    )
    assert fresh(conference).figures_from_register is False


def test_the_switch_asks_first_then_the_entitlement_reads_the_register(client, world, admin):
    conference, leeds = world["conference"], world["leeds"]
    for n in range(1, 4):
        add(conference, leeds, f"L{n}")
    db.session.commit()
    figures.refresh(conference)
    db.session.commit()
    url, by = figures_url(conference), admin.email
    assert leeds.entitlement.total_delegates == 4  # 3 delegates and the women's seat, as declared

    asked = client.post(url, data={"source": "register"})
    assert "Take the conference&#39;s figures from the register?" in asked.get_data(as_text=True)
    assert fresh(conference).figures_from_register is False  # nothing yet

    done = client.post(url, data={"source": "register", "confirmed": "yes"}, follow_redirects=True)

    assert "The conference's figures are now taken from the register." in words(done)
    assert fresh(conference).figures_from_register is True
    assert fresh(leeds).entitlement.total_delegates == 1  # 3 members: the minimum, no women
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "conference.figures_from_register")
    ).one()
    assert entry.after == {"figures_from_register": True} and entry.actor == by

    client.post(url, data={"source": "declared", "confirmed": "yes"})
    assert fresh(conference).figures_from_register is False
    assert fresh(leeds).entitlement.total_delegates == 4


def test_an_empty_register_cannot_give_the_figures(client, world, admin):
    conference = world["conference"]

    page = words(
        client.post(
            figures_url(conference),
            data={"source": "register", "confirmed": "yes"},
            follow_redirects=True,
        )
    )

    assert "The register is empty: import the members first." in page
    assert fresh(conference).figures_from_register is False


def test_an_import_refreshes_the_count(client, world, admin):
    conference = world["conference"]
    text = (
        "membership_number,name,email,group,joined_on,woman\n"
        "L1,Ann,ann@example.org,Leeds,2020-01-01,yes\n"
        "L2,Bob,bob@example.org,Leeds,2020-01-01,no\n"
        "L3,Cy,cy@example.org,Leeds,2026-06-01,no\n"
    )

    client.post(
        f"/conferences/{conference.id}/members/import",
        data={"file": (io.BytesIO(text.encode()), "members.csv")},
        content_type="multipart/form-data",
    )

    leeds = fresh(world["leeds"])
    assert (leeds.register_members, leeds.register_women_members) == (2, 1)


def test_changing_the_freeze_date_recounts_the_groups(world):
    conference, leeds = world["conference"], world["leeds"]
    add(conference, leeds, "A", joined_on=date(2025, 6, 1))
    add(conference, leeds, "B", joined_on=date(2026, 6, 1))
    db.session.commit()
    figures.refresh(conference)
    db.session.commit()
    assert fresh(leeds).register_members == 1

    # However the date is changed (the settings form, the CLI): the next flush recounts.
    conference = fresh(conference)
    conference.membership_as_at = date(2026, 7, 1)
    db.session.commit()
    assert fresh(leeds).register_members == 2

    conference = fresh(conference)
    conference.membership_as_at = None
    db.session.commit()
    assert fresh(leeds).register_members is None


def test_a_scrutineer_reads_the_figures_but_has_no_switch(client, world, login):
    conference = world["conference"]
    add(conference, world["leeds"], "A")
    db.session.commit()
    login(factories.user(conf=conference, role=Role.SCRUTINEER))

    page = client.get(figures_url(conference))

    assert page.status_code == 200
    assert "Take the figures from the register" not in page.get_data(as_text=True)
