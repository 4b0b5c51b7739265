"""A rule that cannot be applied is told in the form's words, not the rule's field keys."""

from __future__ import annotations

import html

import pytest

from confapp.extensions import db
from confapp.models import Conference
from tests import factories
from tests.admin.test_conferences import _form


@pytest.fixture
def site_admin(db, login):
    user = factories.user(site_admin=True)
    login(user)
    return user


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"first": "-5"}, "The first band's number of members must be at least 0, not -5."),
        ({"minimum": "5", "cap": "3"}, "The cap on base delegates must be at least the minimum"),
        (
            {"formula": "bands", "bands": "300: 2\n100: 3"},
            "Row 2 of the band table: its number of members must be more than the row above",
        ),
        ({"card_cap": "0"}, "The card vote cap must be at least 1, not 0."),
        ({"samples": "10, 20"}, "The sample groups, line 1: women or young members exceed"),
    ],
)
def test_the_preview_names_the_field_in_words(client, site_admin, changes, sentence):
    page = html.unescape(
        client.post("/admin/rule-preview", data=_form(**changes)).get_data(as_text=True)
    )
    assert f"The rule cannot be applied: {sentence}" in page
    assert "first:" not in page and "cap:" not in page


def test_saving_an_impossible_rule_says_why_in_words_and_saves_nothing(client, site_admin):
    response = client.post("/admin/conferences/new", data=_form(minimum="5", cap="3"))
    page = html.unescape(response.get_data(as_text=True))
    assert "Not saved: The cap on base delegates must be at least the minimum (5), not 3." in page
    assert db.session.execute(db.select(Conference)).first() is None
