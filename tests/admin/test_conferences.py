"""The committee creates and edits a conference and its rule, with a preview."""

from __future__ import annotations

import html
import re

import pytest

from confapp import entitlement as ent
from confapp.extensions import db
from confapp.models import AuditEntry, Conference, Role
from tests import factories


def _form(**changes) -> dict:
    """A complete conference form as the browser posts it."""
    data = {
        "name": "Special Conference 2027",
        "slug": "",
        "venue": "Town Hall",
        "timezone": "Europe/London",
        "starts_on": "2027-06-05",
        "ends_on": "2027-06-05",
        "registration_deadline": "2027-05-20T17:00",
        "membership_as_at": "2027-03-31",
        "quorum_percent": "50",
        "sections-0-name": "Local groups",
        "sections-0-weight": "50",
        "sections-1-name": "Affiliates",
        "sections-1-weight": "50",
        "formula": "steps",
        "first": "749",
        "step": "250",
        "rounding": "up",
        "bands": "",
        "minimum": "1",
        "cap": "6",
        "reserved-0-label": "women's seat",
        "reserved-0-figure": "women_members",
        "reserved-0-at_least": "100",
        "reserved-0-seats": "1",
        "reserved-0-filled_by": "woman",
        "women_every_second": "y",
        "max_alternates": "2",
        "card_mode": "block",
        "card_round_to": "1",
        "card_rounding": "down",
        "samples": "1\n749\n750\n1000, 500, 100\n10000",
    }
    data.update(changes)
    return data


@pytest.fixture
def site_admin(db, login):
    user = factories.user(site_admin=True)
    login(user)
    return user


def test_site_admin_creates_a_conference_with_its_rule(client, site_admin):
    response = client.post("/admin/conferences/new", data=_form(), follow_redirects=True)
    assert "Saved Special Conference 2027" in response.get_data(as_text=True)
    conference = db.session.execute(db.select(Conference)).scalar_one()
    assert conference.slug == "special-conference-2027"
    assert [(s.name, s.weight) for s in conference.sections] == [
        ("Local groups", 50),
        ("Affiliates", 50),
    ]
    rule = conference.rule
    assert (rule.first, rule.step, rule.rounding, rule.cap) == (749, 250, "up", 6)
    assert rule.reserved[0].filled_by == "woman"
    assert rule.equality.women_every_second is True
    # 17:00 London summer time is 16:00 UTC.
    assert conference.registration_deadline.isoformat() == "2027-05-20T16:00:00"
    assert ent.base_delegates(rule, 1750) == 6
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "conference.create")
    ).scalar_one()
    assert entry.actor == site_admin.email
    assert entry.after["name"] == "Special Conference 2027"


def test_the_form_preview_shows_what_the_rule_gives(client, site_admin):
    response = client.post("/admin/conferences/new", data=_form(preview="1"))
    page = html.unescape(response.get_data(as_text=True))
    assert "1 delegate for the first 749 members" in page
    assert db.session.execute(db.select(Conference)).first() is None  # preview saves nothing


def test_live_preview_endpoint_answers_for_unsaved_fields(client, site_admin):
    response = client.post("/admin/rule-preview", data=_form(cap="4", samples="10000, 5000"))
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "at most 4" in page
    cells = [c.strip() for c in re.split(r'<td class="num[^"]*"[^>]*>', page)[1:]]
    # members, women, young, base, (reserved), total, card vote
    assert cells[0].startswith("10,000")
    assert cells[3].startswith("4")
    assert "1 × women&#39;s seat" in response.get_data(as_text=True)


def test_a_bad_band_table_is_named_by_line(client, site_admin):
    response = client.post(
        "/admin/rule-preview", data=_form(formula="bands", bands="100: 1\nmany: 2")
    )
    page = html.unescape(response.get_data(as_text=True))
    assert "The band table, line 2: 'many: 2' is not" in page


def test_band_table_rule_is_saved_and_applied(client, site_admin):
    client.post(
        "/admin/conferences/new",
        data=_form(formula="bands", bands="100: 1\n300: 2\n*: 3", cap=""),
    )
    rule = db.session.execute(db.select(Conference)).scalar_one().rule
    assert [ent.base_delegates(rule, m) for m in (50, 100, 101, 300, 5000)] == [1, 1, 2, 2, 3]


def test_an_impossible_rule_is_refused_with_the_field_named(client, site_admin):
    response = client.post("/admin/conferences/new", data=_form(minimum="5", cap="3"))
    page = html.unescape(response.get_data(as_text=True))
    assert "Not saved" in page
    assert "cap" in page
    assert db.session.execute(db.select(Conference)).first() is None


def test_last_day_before_first_is_refused(client, site_admin):
    response = client.post("/admin/conferences/new", data=_form(ends_on="2027-06-01"))
    assert "The last day cannot be before the first." in response.get_data(as_text=True)
    assert db.session.execute(db.select(Conference)).first() is None


def test_conference_admin_edits_the_rule_and_the_log_shows_before_and_after(
    client, conference, login
):
    admin = factories.user(conf=conference, role=Role.ADMIN)
    login(admin)
    page = client.get(f"/admin/conferences/{conference.id}/edit").get_data(as_text=True)
    assert 'value="749"' in page  # the stored rule is in the form
    data = _form(name=conference.name, slug=conference.slug, cap="5")
    response = client.post(f"/admin/conferences/{conference.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert conference.rule.cap == 5
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "conference.update")
    ).scalar_one()
    assert entry.before["entitlement_rule"]["cap"] == 6
    assert entry.after["entitlement_rule"]["cap"] == 5


def test_a_section_with_groups_cannot_be_removed(client, conference, login):
    factories.group(conference, "Leeds", section=factories.section(conference, "Affiliates"))
    admin = factories.user(conf=conference, role=Role.ADMIN)
    login(admin)
    data = _form(name=conference.name, slug=conference.slug, **{"sections-1-name": ""})
    data["sections-0-weight"] = data["sections-1-weight"] = ""  # weights of one section: none
    page = client.post(f"/admin/conferences/{conference.id}/edit", data=data).get_data(as_text=True)
    assert "still has 1 groups" in html.unescape(page)
    db.session.expire_all()
    assert [s.name for s in conference.sections] == ["Local groups", "Affiliates"]


def test_two_conferences_cannot_share_a_short_name(client, conference, site_admin):
    response = client.post("/admin/conferences/new", data=_form(slug=conference.slug))
    assert "already used" in html.unescape(response.get_data(as_text=True))
