"""A secretary reaches only their own group, and only the committee decides.

Another group's pages and people are not found (404, not 403: an id of another group reads
exactly like an id nobody has, so ids do not leak), and the refused request changes nothing.
Each request is one that does change the database when the right person sends it: the same
request from York's own secretary, or from the committee, is the control.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from tests.registration.conftest import person
from tests.test_permissions import TABLE
from tests.world import MISSING, World, build_world, log_in_as, snapshot, url_for_rule

G = "/groups/<int:group_id>"
C = "/admin/conferences/<int:conference_id>"

Form = Callable[[World], dict]


def no_form(world: World) -> dict:
    """Nothing to send."""
    return {}


NEW_PERSON = person(name="Zed", email="zed@york.example.org")

# Every route of the secretary's pages, with a form that changes York's delegation when York's
# secretary sends it, and the York registration it is about (Fay is a draft, Eve submitted).
GROUP_ROUTES: dict[tuple[str, str], tuple[Form, str]] = {
    ("GET", G): (no_form, ""),
    ("GET", f"{G}/people/new/<pass_type>"): (no_form, ""),
    ("POST", f"{G}/people/new/<pass_type>"): (lambda w: NEW_PERSON, ""),
    ("GET", f"{G}/people/<int:delegate_id>/edit"): (no_form, "other_draft_id"),
    ("POST", f"{G}/people/<int:delegate_id>/edit"): (
        lambda w: person(name="Fay Smith", email="fay@york.example.org"),
        "other_draft_id",
    ),
    ("POST", f"{G}/people/<int:delegate_id>/withdraw"): (
        lambda w: {"reason": "moved away", "confirmed": "yes"},
        "other_delegate_id",
    ),
    ("POST", f"{G}/people/<int:delegate_id>/delete"): (
        lambda w: {"confirmed": "yes"},
        "other_draft_id",
    ),
    ("POST", f"{G}/submit"): (no_form, ""),
    ("GET", f"{G}/people/<int:delegate_id>/substitute"): (no_form, "other_delegate_id"),
    ("POST", f"{G}/people/<int:delegate_id>/substitute"): (
        lambda w: NEW_PERSON | {"incoming": "new", "reason": "Eve has moved away"},
        "other_delegate_id",
    ),
    ("GET", f"{G}/badges.pdf"): (no_form, ""),
    ("GET", f"{G}/people/<int:delegate_id>/badge-link"): (no_form, "other_delegate_id"),
}

# Every POST of the committee's review (confapp/admin/review.py), with a form that decides
# about Leeds when the committee sends it.
DECISIONS: dict[str, Form] = {
    f"{C}/people/<int:delegate_id>/approve": no_form,
    f"{C}/people/<int:delegate_id>/reject": lambda w: {"reason": "not elected"},
    f"{C}/groups/<int:group_id>/approve": no_form,
    f"{C}/substitutions/<int:substitution_id>/decide": lambda w: {"decision": "approve"},
    f"{C}/groups/<int:group_id>/seating": lambda w: {
        "alternate": w.alternate_id,
        "absent": w.approved_delegate_id,
    },
}

NOT_FOUND = "There is nothing at this address."
FORBIDDEN = "Your account does not have access to this page."
CSRF_TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


@pytest.fixture
def world(db) -> World:
    """Leeds (the secretary's group) and York in one conference: see tests/world.py."""
    return build_world()


def test_every_group_route_is_tried(app):
    """A new page under /groups/ needs a line above, or this file proves nothing about it."""
    app_routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/groups/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert app_routes == set(GROUP_ROUTES)
    assert {r for r in TABLE if r[1].startswith("/groups/")} == app_routes


def test_every_review_decision_is_tried(app):
    review_posts = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
        and app.view_functions[rule.endpoint].__module__ == "confapp.admin.review"
    }
    assert review_posts == set(DECISIONS)


def _york(world: World, delegate: str) -> dict:
    """York's ids for a route's variables."""
    values = {"group_id": world.other_group_id}
    if delegate:
        values["delegate_id"] = getattr(world, delegate)
    return values


def _request(client, method: str, url: str, form: dict) -> tuple[int, str]:
    """The status and the page, less the log-out form's CSRF token (it holds the time)."""
    response = client.open(url, method=method, data=form)
    page = CSRF_TOKEN.sub("csrf_token", response.get_data(as_text=True))
    return response.status_code, page


def _group_cases():
    for (method, rule), (form, delegate) in GROUP_ROUTES.items():
        yield pytest.param(method, rule, form, delegate, "york", id=f"{method} {rule} York's")
        if "<int:delegate_id>" in rule:
            yield pytest.param(
                method, rule, form, delegate, "york_person", id=f"{method} {rule} York's person"
            )


@pytest.mark.parametrize(("method", "rule", "form", "delegate", "case"), list(_group_cases()))
def test_another_groups_ids_are_not_found(client, world, method, rule, form, delegate, case):
    york = _york(world, delegate)
    if case == "york":  # York's group (and York's person)
        foreign = york
        missing = {key: MISSING for key in foreign}
    else:  # Leeds's own group, with a person of York
        foreign = {"group_id": world.group_id, "delegate_id": york["delegate_id"]}
        missing = foreign | {"delegate_id": MISSING}
    data = form(world)
    log_in_as(client, world, "secretary")  # Leeds's
    before = snapshot()

    status, page = _request(client, method, url_for_rule(rule, world, **foreign), data)
    answer_for_nobody = _request(client, method, url_for_rule(rule, world, **missing), data)

    assert status == 404, page[:500]
    assert NOT_FOUND in page
    assert (status, page) == answer_for_nobody  # the id says nothing about another group
    assert snapshot() == before

    # The control: the same request from York's secretary is let in (and changes York's data).
    client.post("/logout")
    log_in_as(client, world, "other_secretary")
    before = snapshot()
    response = client.open(url_for_rule(rule, world, **york), method=method, data=data)
    if method == "GET":
        assert response.status_code == 200
    else:
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert urlsplit(response.headers["Location"]).path == f"/groups/{world.other_group_id}"
        assert snapshot() != before


@pytest.mark.parametrize("rule", list(DECISIONS))
def test_a_secretary_cannot_decide(client, world, rule):
    """Not even about the secretary's own group: approving is the committee's."""
    url = url_for_rule(rule, world)
    data = DECISIONS[rule](world)
    log_in_as(client, world, "secretary")
    before = snapshot()

    response = client.post(url, data=data)

    assert response.status_code == 403
    assert FORBIDDEN in response.get_data(as_text=True)
    assert snapshot() == before

    # The control: the committee's same request decides.
    client.post("/logout")
    log_in_as(client, world, "admin")
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert snapshot() != before
