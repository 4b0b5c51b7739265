"""Input that cannot be stored answers a clear 400 or 404 and changes nothing, on both databases."""

from __future__ import annotations

import html

import pytest

from confapp.admin.group_csv import COLUMNS, ImportRejected, parse_groups_csv
from confapp.extensions import db
from confapp.inputs import JSONProvider
from confapp.models import Delegate, Role
from tests import factories
from tests.registration.conftest import person


def said(response) -> str:
    """The page's text as a person reads it."""
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def admin(client, conference, login):
    user = factories.user(conf=conference, role=Role.ADMIN)
    login(user)
    return user


@pytest.mark.parametrize("group_id", ["2147483648", "9223372036854775808", "1" + "0" * 40])
def test_an_id_past_the_databases_range_is_not_found(client, conference, admin, group_id):
    response = client.get(f"/groups/{group_id}")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)


def test_the_largest_id_a_column_holds_is_looked_up(client, conference, admin):
    assert client.get("/groups/2147483647").status_code == 404  # looked up, and not there


def test_a_query_number_past_the_range_is_refused_not_a_500(client, conference, admin):
    response = client.get(f"/conferences/{conference.id}/presence?door=99999999999")
    assert response.status_code in (200, 400)
    response = client.get(f"/admin/conferences/{conference.id}/groups/99999999999999999999")
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["Ann\x00Jones", "Ann\x07Jones", "Ann\x1bJones"])
def test_a_nul_or_control_character_in_a_form_is_refused_naming_the_field(
    client, conference, login, name
):
    group = factories.group(conference, "Leeds", members=1000)
    login(factories.user(conf=conference, role=Role.SECRETARY, group=group))

    response = client.post(f"/groups/{group.id}/people/new/delegate", data=person(name=name))

    assert response.status_code == 400
    assert "The field 'name' holds a character that cannot be stored" in said(response)
    assert db.session.execute(db.select(Delegate)).scalars().all() == []


def test_a_nul_in_a_query_string_is_refused(client, conference, admin):
    response = client.get(f"/admin/conferences/{conference.id}/delegates?q=a%00b")
    assert response.status_code == 400
    assert "The field 'q'" in said(response)


def test_newlines_and_tabs_in_a_form_are_still_accepted(client, conference, login):
    group = factories.group(conference, "Leeds", members=1000)
    login(factories.user(conf=conference, role=Role.SECRETARY, group=group))

    response = client.post(
        f"/groups/{group.id}/people/new/delegate", data=person(elected_at="Branch\r\nmeeting\t")
    )

    assert response.status_code == 302


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"name": "\\ud800"}', "'name' holds a NUL byte, a control character or a broken"),
        ('{"a": ["ok", "A\\u0000B"]}', "'a' holds a NUL byte"),
        ('{"\\u0000": 1}', "A JSON key holds a NUL byte"),
    ],
)
def test_json_that_cannot_be_stored_is_a_value_error(app, text, problem):
    with pytest.raises(ValueError, match=problem):
        JSONProvider(app).loads(text)


def test_get_json_answers_400_for_deep_nesting(app):
    with app.test_request_context(
        "/", method="POST", data="[" * 100_000, content_type="application/json"
    ):
        from flask import request
        from werkzeug.exceptions import BadRequest

        with pytest.raises(BadRequest):
            request.get_json()


@pytest.mark.parametrize("character", ["\x00", "\x0b", "\x1f"])
def test_a_csv_with_a_control_character_is_refused_with_its_line(character):
    good = "Leeds,Yorkshire,Local groups,100,40,10,yes,sec@leeds.example.org\n"
    data = ",".join(COLUMNS) + "\n" + good + good.replace("Leeds", f"Le{character}eds", 1)

    with pytest.raises(ImportRejected) as refused:
        parse_groups_csv(data.encode(), sections=["Local groups"])

    (problem,) = refused.value.problems
    assert problem.line == 3
    assert f"U+{ord(character):04X}, which cannot be stored" in str(problem)
