"""Section weights total 100 or are all blank: anything else is refused and nothing is saved."""

from __future__ import annotations

import html

import pytest

from confapp.extensions import db
from confapp.models import Conference, Role
from tests import factories
from tests.admin.test_conferences import _form


@pytest.fixture
def site_admin(db, login):
    user = factories.user(site_admin=True)
    login(user)
    return user


def _post(client, first: str, second: str):
    data = _form(**{"sections-0-weight": first, "sections-1-weight": second})
    response = client.post("/admin/conferences/new", data=data, follow_redirects=True)
    return html.unescape(response.get_data(as_text=True))


def _saved() -> list[tuple[str, int | None]]:
    conference = db.session.execute(db.select(Conference)).scalar_one_or_none()
    return [] if conference is None else [(s.name, s.weight) for s in conference.sections]


def test_weights_of_60_and_40_are_accepted(client, site_admin):
    page = _post(client, "60", "40")
    assert "Saved Special Conference 2027" in page
    assert _saved() == [("Local groups", 60), ("Affiliates", 40)]


def test_weights_of_60_and_30_are_refused_naming_the_total(client, site_admin):
    page = _post(client, "60", "30")
    assert (
        "Section weights must add up to 100, or all be left blank (unweighted): "
        "these add up to 90." in page
    )
    assert _saved() == []


def test_one_blank_weight_is_refused_naming_the_section(client, site_admin):
    page = _post(client, "60", "")
    assert (
        "Give every section a weight, or leave them all blank (unweighted): "
        "Affiliates has no weight." in page
    )
    assert _saved() == []


def test_all_blank_weights_are_accepted_as_unweighted(client, site_admin):
    page = _post(client, "", "")
    assert "Saved Special Conference 2027" in page
    assert _saved() == [("Local groups", None), ("Affiliates", None)]


def test_a_refused_edit_leaves_the_stored_weights(client, conference, login):
    login(factories.user(conf=conference, role=Role.ADMIN))
    data = _form(name=conference.name, slug=conference.slug, cap="5")
    data.update({"sections-0-weight": "70", "sections-1-weight": "20"})
    page = html.unescape(
        client.post(f"/admin/conferences/{conference.id}/edit", data=data).get_data(as_text=True)
    )
    assert "these add up to 90." in page
    db.session.expire_all()
    assert [s.weight for s in conference.sections] == [None, None]
    assert conference.rule.cap == 6  # the rest of the form was not saved either
