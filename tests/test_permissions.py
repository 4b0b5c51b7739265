"""Who may open what: every route of the app × every kind of user, one test per cell.

A new route without a row in TABLE fails `test_table_covers_every_route`, so nobody can add
a page and forget to decide who may see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from confapp.auth import services as users
from confapp.extensions import db
from confapp.models import Role, User
from tests import factories

ROLES = ("anonymous", "secretary", "steward", "teller", "admin", "other_admin", "site_admin")
NOT_IN_TABLE = {"static", "main.healthz"}  # public by design; healthz has its own test below


@dataclass(frozen=True)
class Redirect:
    """A 302 to this path."""

    path: str

    def __str__(self) -> str:
        return f"302->{self.path}"


LOGIN = Redirect("/login")  # anonymous users are sent to log in
HOME = Redirect("/")  # logged-in users have nothing to do on the login page


def row(*codes) -> dict:
    """Expected answers in the order of ROLES."""
    assert len(codes) == len(ROLES)
    return dict(zip(ROLES, codes, strict=True))


# In ROLES order: anonymous, secretary, steward, teller, admin, other_admin, site_admin.
EVERYONE = row(LOGIN, 200, 200, 200, 200, 200, 200)
ADMIN_PAGE = row(LOGIN, 403, 403, 403, 200, 403, 200)
SITE_ADMIN_PAGE = row(LOGIN, 403, 403, 403, 403, 403, 200)
# The live rule preview belongs to no conference (it only computes the rule in the form), so
# the admin of any conference may use it.
ANY_ADMIN = row(LOGIN, 403, 403, 403, 200, 200, 200)
LOGIN_PAGE = row(200, HOME, HOME, HOME, HOME, HOME, HOME)
LOGOUT = row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)
PUBLIC = row(200, 200, 200, 200, 200, 200, 200)

C = "/admin/conferences/<int:conference_id>"
# (method, rule) -> expected answer per role. POSTs send an empty form: the page comes back
# with the form's errors (200) for those allowed in, and the refusal for everyone else.
TABLE: dict[tuple[str, str], dict] = {
    ("GET", "/"): EVERYONE,
    ("GET", "/login"): LOGIN_PAGE,
    ("POST", "/login"): LOGIN_PAGE,
    ("POST", "/logout"): LOGOUT,
    ("GET", "/invite/<token>"): PUBLIC,
    ("POST", "/invite/<token>"): PUBLIC,
    ("GET", "/admin/conferences"): SITE_ADMIN_PAGE,
    ("GET", "/admin/conferences/new"): SITE_ADMIN_PAGE,
    ("POST", "/admin/conferences/new"): SITE_ADMIN_PAGE,
    ("GET", f"{C}/edit"): ADMIN_PAGE,
    ("POST", f"{C}/edit"): ADMIN_PAGE,
    ("POST", "/admin/rule-preview"): ANY_ADMIN,
    ("GET", f"{C}/groups"): ADMIN_PAGE,
    ("GET", f"{C}/groups/import"): ADMIN_PAGE,
    ("POST", f"{C}/groups/import"): ADMIN_PAGE,
    ("GET", f"{C}/users"): ADMIN_PAGE,
    ("POST", f"{C}/users"): ADMIN_PAGE,
    ("POST", f"{C}/users/<int:user_id>/invitation"): ADMIN_PAGE,
    ("GET", f"{C}/audit"): ADMIN_PAGE,
    ("GET", "/admin/audit"): SITE_ADMIN_PAGE,
}

CELLS = [
    pytest.param(method, rule, role, expected, id=f"{method} {rule} as {role}")
    for (method, rule), expected in TABLE.items()
    for role, expected in expected.items()
]

MISSING = 999_999  # an id no row has


@dataclass
class World:
    """Two conferences, a user for every role, and a person with a pending invitation."""

    conference_id: int
    invitee_id: int
    token: str
    emails: dict[str, str]


@pytest.fixture
def world(db) -> World:
    conference = factories.conference()
    other = factories.conference()
    leeds = factories.group(conference, "Leeds")
    people = {
        "secretary": factories.user(conf=conference, role=Role.SECRETARY, group=leeds),
        "steward": factories.user(conf=conference, role=Role.STEWARD),
        "teller": factories.user(conf=conference, role=Role.TELLER),
        "admin": factories.user(conf=conference, role=Role.ADMIN),
        "other_admin": factories.user(conf=other, role=Role.ADMIN),
        "site_admin": factories.user(site_admin=True),
    }
    invitee = factories.user(conf=conference, role=Role.STEWARD, password=None)
    token = users.issue_invitation(invitee)
    db.session.commit()
    return World(
        conference_id=conference.id,
        invitee_id=invitee.id,
        token=token,
        emails={role: person.email for role, person in people.items()},
    )


def url_for_rule(rule: str, world: World, **values) -> str:
    """The rule with its variables filled from the world (or from `values`)."""
    known = {"conference_id": world.conference_id, "user_id": world.invitee_id}
    known["token"] = world.token
    known.update(values)
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(known[m.group(1)]), rule)


def log_in_as(client, world: World, role: str) -> None:
    if role == "anonymous":
        return
    response = client.post(
        "/login", data={"email": world.emails[role], "password": factories.PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def app_routes(app) -> set[tuple[str, str]]:
    """(method, rule) of every route that needs a row in TABLE."""
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in NOT_IN_TABLE
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_table_covers_every_route(app):
    routes = app_routes(app)

    assert routes - set(TABLE) == set(), "routes without a row in the permission table"
    assert set(TABLE) - routes == set(), "rows for routes the app does not have"


def test_a_new_route_without_a_row_is_noticed(app):
    app.add_url_rule("/admin/new-page", "new_page", lambda: "hello", methods=["GET", "POST"])

    assert app_routes(app) - set(TABLE) == {("GET", "/admin/new-page"), ("POST", "/admin/new-page")}


@pytest.mark.parametrize(("method", "rule", "role", "expected"), CELLS)
def test_permission(client, world, method, rule, role, expected):
    log_in_as(client, world, role)
    url = url_for_rule(rule, world)

    response = client.open(url, method=method, data={})

    if isinstance(expected, Redirect):
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        location = urlsplit(response.headers["Location"])
        assert location.path == expected.path
        if expected is LOGIN and method == "GET":
            assert parse_qs(location.query)["next"] == [urlsplit(url).path]
        return
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    page = response.get_data(as_text=True)
    if expected == 403:
        assert "Your account does not have access to this page." in page


CONFERENCE_RULES = [(method, rule) for (method, rule) in TABLE if "<int:conference_id>" in rule]


@pytest.mark.parametrize("role", ["admin", "site_admin", "secretary"])
@pytest.mark.parametrize(
    ("method", "rule"), CONFERENCE_RULES, ids=[f"{m} {r}" for m, r in CONFERENCE_RULES]
)
def test_unknown_conference_is_not_found(client, world, method, rule, role):
    log_in_as(client, world, role)

    response = client.open(url_for_rule(rule, world, conference_id=MISSING), method=method)

    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["admin", "site_admin"])
def test_invitation_for_unknown_user_is_not_found(client, world, role):
    log_in_as(client, world, role)
    rule = f"{C}/users/<int:user_id>/invitation"

    response = client.post(url_for_rule(rule, world, user_id=MISSING))

    assert response.status_code == 404


def test_invitation_for_user_of_another_conference_is_not_found(client, world):
    """An admin cannot make a login link for someone who has no role in their conference."""
    stranger = factories.user(conf=factories.conference(), role=Role.TELLER, password=None)
    log_in_as(client, world, "admin")
    rule = f"{C}/users/<int:user_id>/invitation"

    response = client.post(url_for_rule(rule, world, user_id=stranger.id))

    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, stranger.id).invitation_hash is None


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_invitation_token_is_not_found(client, world, method):
    response = client.open(
        url_for_rule("/invite/<token>", world, token="no-such-token"), method=method
    )

    assert response.status_code == 404
    assert "expired or has already been used" in response.get_data(as_text=True)


def test_healthz_is_public(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
