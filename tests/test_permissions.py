"""Who may open what: every route of the app × every kind of user, one test per cell.

A new route without a row in TABLE fails `test_table_covers_every_route`, so nobody can add
a page and forget to decide who may see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from confapp.extensions import db
from confapp.models import Role, User
from tests import factories
from tests.world import MISSING, ROLES, World, build_world, log_in_as, snapshot, url_for_rule

NOT_IN_TABLE = {"static", "main.healthz", "main.readyz"}  # public by design; tested below


@dataclass(frozen=True)
class Redirect:
    """A 302 to this path (a URL rule: its variables are filled from the world)."""

    path: str

    def __str__(self) -> str:
        return f"302->{self.path}"


LOGIN = Redirect("/login")  # anonymous users are sent to log in
HOME = Redirect("/")  # logged-in users have nothing to do on the login page


def row(*codes) -> dict:
    """Expected answers in the order of ROLES."""
    assert len(codes) == len(ROLES)
    return dict(zip(ROLES, codes, strict=True))


C = "/admin/conferences/<int:conference_id>"
G = "/groups/<int:group_id>"
TO_GROUP = Redirect(G)  # a secretary's action done (or refused with a message): the group page
TO_QUEUE = Redirect(f"{C}/queue")  # a committee decision made (or refused with a message)
TO_SEATING = Redirect(f"{C}/groups/<int:group_id>/seating")

# In ROLES order:
# anonymous, secretary, other_secretary, steward, teller, admin, other_admin, site_admin.
EVERYONE = row(LOGIN, 200, 200, 200, 200, 200, 200, 200)
ADMIN_PAGE = row(LOGIN, 403, 403, 403, 403, 200, 403, 200)
SITE_ADMIN_PAGE = row(LOGIN, 403, 403, 403, 403, 403, 403, 200)
# The live rule preview belongs to no conference (it only computes the rule in the form), so
# the admin of any conference may use it.
ANY_ADMIN = row(LOGIN, 403, 403, 403, 403, 200, 200, 200)
LOGIN_PAGE = row(200, HOME, HOME, HOME, HOME, HOME, HOME, HOME)
LOGOUT = row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)
PUBLIC = row(200, 200, 200, 200, 200, 200, 200, 200)
# Leeds's pages: its secretary and the conference's committee; anyone else is told there is
# nothing at that address (404, not 403, so group and delegate ids do not leak).
GROUP_PAGE = row(LOGIN, 200, 404, 404, 404, 200, 404, 200)
GROUP_ACTION = row(LOGIN, TO_GROUP, 404, 404, 404, TO_GROUP, 404, TO_GROUP)
DECISION = row(LOGIN, 403, 403, 403, 403, TO_QUEUE, 403, TO_QUEUE)
SEATING = row(LOGIN, 403, 403, 403, 403, TO_SEATING, 403, TO_SEATING)
TO_BADGES = Redirect(f"{C}/badges")
PRINT_RUN = row(LOGIN, 403, 403, 403, 403, TO_BADGES, 403, TO_BADGES)
REISSUE = row(LOGIN, 403, 403, 403, 403, TO_GROUP, 403, TO_GROUP)
ROLE_REMOVAL = row(LOGIN, 403, 403, 403, 403, Redirect(f"{C}/users"), 403, Redirect(f"{C}/users"))
# The door (confapp/checkin): stewards and the committee scan; the committee runs the tools.
D = "/conferences/<int:conference_id>"
DOOR_PAGE = row(LOGIN, 403, 403, 200, 403, 200, 403, 200)
PROJECTOR = row(LOGIN, 403, 403, 200, 200, 200, 403, 200)
TO_DOORS = Redirect(f"{C}/doors")
DOOR_TOOL = row(LOGIN, 403, 403, 403, 403, TO_DOORS, 403, TO_DOORS)
TO_PERSON = Redirect(f"{D}/presence/people/<int:delegate_id>")  # the world's scan is Bob's
UNDO = row(LOGIN, 403, 403, 403, 403, TO_PERSON, 403, TO_PERSON)
# The API answers JSON: 401 without a login; an empty form is no scan (400) for anyone in.
API_SCAN = row(401, 400, 400, 400, 400, 400, 400, 400)
API_READ = row(401, 403, 403, 200, 403, 200, 403, 200)
# The floor (confapp/voting): tellers count, the chair (the committee) runs the ballots.
FLOOR_PAGE = row(LOGIN, 403, 403, 403, 200, 200, 403, 200)
V = f"{D}/ballots/<int:ballot_id>"
TO_BALLOT = Redirect(V)
TO_COUNT = Redirect(f"{V}/count")
CHAIR_STEP = row(LOGIN, 403, 403, 403, 403, TO_BALLOT, 403, TO_BALLOT)  # no step: a message
TELLER_ACTION = row(LOGIN, 403, 403, 403, TO_COUNT, TO_COUNT, 403, TO_COUNT)  # declared: refused
# Setting up elections (confapp/elections/setup.py): the world's election takes nominations.
SETUP_EL = "/conferences/<int:conference_id>/elections/<int:election_id>"
TO_ELECTION = Redirect(SETUP_EL)
SETUP_PAGE = row(LOGIN, 200, 200, 200, 200, 200, 403, 200)
SETUP_FORM = row(LOGIN, 403, 403, 403, 403, 422, 403, 422)
SETUP_STEP = row(LOGIN, 403, 403, 403, 403, TO_ELECTION, 403, TO_ELECTION)
GROUP_NOMINATION = row(LOGIN, 200, 404, 403, 403, 200, 403, 200)  # Leeds's: York's is told 404
# Elections on the floor (confapp/elections/floor.py): a teller's sheet, the committee's steps.
EL = f"{D}/elections/<int:election_id>"
TO_SHEET = Redirect(f"{EL}/enter")
TO_RECONCILE = Redirect(f"{EL}/reconcile")
ELECTION_STEP = row(LOGIN, 403, 403, 403, 403, TO_RECONCILE, 403, TO_RECONCILE)

# (method, rule) -> expected answer per role. POSTs send an empty form (unless FORMS says
# otherwise): the page comes back with the form's errors (200), or the action is done or
# refused with a message (a redirect), for those allowed in; everyone else gets the refusal.
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
    ("GET", f"{C}/groups/sample.csv"): ADMIN_PAGE,
    ("GET", f"{C}/users"): ADMIN_PAGE,
    ("POST", f"{C}/users"): ADMIN_PAGE,
    ("POST", f"{C}/users/<int:user_id>/invitation"): ADMIN_PAGE,
    ("POST", f"{C}/users/<int:user_id>/roles/remove"): ROLE_REMOVAL,  # no role chosen
    ("GET", f"{C}/audit"): ADMIN_PAGE,
    ("GET", "/admin/audit"): SITE_ADMIN_PAGE,
    # The secretary's pages (confapp/registration/views.py).
    ("GET", G): GROUP_PAGE,
    ("GET", f"{G}/people/new/<pass_type>"): GROUP_PAGE,
    ("POST", f"{G}/people/new/<pass_type>"): GROUP_PAGE,  # the form's errors
    ("GET", f"{G}/people/<int:delegate_id>/edit"): GROUP_PAGE,
    ("POST", f"{G}/people/<int:delegate_id>/edit"): GROUP_PAGE,  # Bob is submitted: refused
    ("POST", f"{G}/people/<int:delegate_id>/withdraw"): GROUP_PAGE,  # not confirmed: it asks
    ("POST", f"{G}/people/<int:delegate_id>/delete"): GROUP_ACTION,  # Bob is sent: refused
    ("POST", f"{G}/submit"): GROUP_ACTION,  # nothing to submit
    ("GET", f"{G}/people/<int:delegate_id>/substitute"): GROUP_PAGE,
    ("POST", f"{G}/people/<int:delegate_id>/substitute"): GROUP_PAGE,  # the form's errors
    # The committee's review (confapp/admin/review.py).
    ("GET", f"{C}/queue"): ADMIN_PAGE,
    ("POST", f"{C}/people/<int:delegate_id>/approve"): DECISION,  # Bob is approved
    ("POST", f"{C}/people/<int:delegate_id>/reject"): DECISION,  # no reason: refused
    ("POST", f"{C}/groups/<int:group_id>/approve"): DECISION,  # Bob and Dan are approved
    ("POST", f"{C}/substitutions/<int:substitution_id>/decide"): DECISION,  # no reason
    ("GET", f"{C}/groups/<int:group_id>/seating"): ADMIN_PAGE,
    ("POST", f"{C}/groups/<int:group_id>/seating"): SEATING,  # Cat sits in for Ann
    ("GET", f"{C}/delegates"): ADMIN_PAGE,
    # The credentials report (confapp/admin/report.py).
    ("GET", f"{C}/report"): ADMIN_PAGE,
    ("GET", f"{C}/report.csv"): ADMIN_PAGE,
    ("GET", f"{C}/report.pdf"): ADMIN_PAGE,
    # Delegates as CSV (confapp/admin/delegate_csv.py).
    ("GET", f"{C}/delegates.csv"): ADMIN_PAGE,
    ("GET", f"{C}/delegates/import"): ADMIN_PAGE,
    ("POST", f"{C}/delegates/import"): ADMIN_PAGE,  # no file: the form's errors
    ("GET", f"{C}/delegates/sample.csv"): ADMIN_PAGE,
    # Badges (confapp/credentials/views.py).
    ("GET", f"{C}/badges"): ADMIN_PAGE,
    ("POST", f"{C}/badges"): PRINT_RUN,  # only new: Bob's badge is printed, nothing to print
    ("GET", f"{C}/print-jobs/<int:job_id>"): ADMIN_PAGE,
    ("GET", f"{C}/print-jobs/<int:job_id>.json"): ADMIN_PAGE,
    ("GET", f"{C}/print-jobs/<int:job_id>.pdf"): ADMIN_PAGE,
    ("POST", f"{C}/people/<int:delegate_id>/reissue"): REISSUE,  # Bob is submitted: refused
    ("POST", f"{C}/people/<int:delegate_id>/badge.pdf"): ADMIN_PAGE,  # Bob's badge, printed
    ("GET", f"{G}/badges.pdf"): GROUP_PAGE,
    ("GET", f"{G}/people/<int:delegate_id>/badge-link"): GROUP_PAGE,
    ("GET", "/badge/<link>"): PUBLIC,  # the signed link is the key
    # The door (confapp/checkin/views.py, api.py).
    ("GET", f"{D}/door"): DOOR_PAGE,
    ("GET", f"{D}/presence"): DOOR_PAGE,
    ("GET", f"{D}/presence/people/<int:delegate_id>"): DOOR_PAGE,
    ("GET", f"{D}/projector"): PROJECTOR,
    ("GET", f"{D}/projector/content"): PROJECTOR,
    ("GET", f"{D}/ballots"): FLOOR_PAGE,
    ("POST", f"{D}/ballots"): row(LOGIN, 403, 403, 403, 403, 422, 403, 422),  # no title
    ("GET", V): FLOOR_PAGE,
    ("POST", f"{V}/step"): CHAIR_STEP,
    ("GET", f"{V}/count"): FLOOR_PAGE,
    ("GET", f"{V}/counts"): FLOOR_PAGE,  # the chair's page follows the count
    ("POST", f"{V}/sheet"): TELLER_ACTION,
    ("POST", f"{V}/entries"): TELLER_ACTION,
    # Elections on the floor (confapp/elections/floor.py): tellers type and compare the papers,
    # the committee counts, declares and projects. The world's election takes nominations, so
    # an entry is refused (back to the sheet) and so are the count, declaration and projector.
    ("GET", f"{EL}/enter"): FLOOR_PAGE,
    ("POST", f"{EL}/enter"): row(LOGIN, 403, 403, 403, TO_SHEET, TO_SHEET, 403, TO_SHEET),
    ("GET", f"{EL}/reconcile"): FLOOR_PAGE,
    ("POST", f"{EL}/count"): ELECTION_STEP,
    ("POST", f"{EL}/declare"): ELECTION_STEP,
    ("POST", f"{EL}/project"): ELECTION_STEP,
    ("GET", f"{V}/result.csv"): FLOOR_PAGE,
    ("GET", f"{V}/result.pdf"): FLOOR_PAGE,
    ("GET", f"{D}/results.pdf"): FLOOR_PAGE,
    # An election's published count (confapp/elections/published.py): every role of the
    # conference once declared; before, the tellers and the committee only. The world's
    # election is not counted: they see the page say so, files are 404 for everyone.
    ("GET", f"{D}/elections/<int:election_id>/count-sheet"): row(
        LOGIN, 404, 404, 404, 200, 200, 403, 200
    ),
    ("GET", f"{D}/elections/<int:election_id>/count-sheet.csv"): row(
        LOGIN, 404, 404, 404, 404, 404, 403, 404
    ),
    ("GET", f"{D}/elections/<int:election_id>/count-sheet.pdf"): row(
        LOGIN, 404, 404, 404, 404, 404, 403, 404
    ),
    ("GET", f"{D}/elections/<int:election_id>/ballots.blt"): row(
        LOGIN, 404, 404, 404, 404, 404, 403, 404
    ),
    ("GET", f"{D}/elections/<int:election_id>/categories.json"): row(
        LOGIN, 404, 404, 404, 404, 404, 403, 404
    ),
    ("GET", "/api/v1/ballots/<int:ballot_id>"): row(401, 200, 200, 200, 200, 200, 404, 200),
    ("GET", f"{C}/doors"): ADMIN_PAGE,
    ("POST", f"{C}/doors"): DOOR_TOOL,  # no name: refused with a message
    ("POST", f"{C}/doors/tokens"): row(LOGIN, 403, 403, 403, 403, 422, 403, 422),  # no door
    ("POST", f"{C}/doors/tokens/<int:token_id>/revoke"): ADMIN_PAGE,  # not confirmed: it asks
    ("GET", f"{C}/scans"): ADMIN_PAGE,
    ("POST", f"{C}/scans/<int:scan_id>/undo"): UNDO,
    ("POST", f"{C}/presence/close"): ADMIN_PAGE,  # not confirmed: it asks
    ("GET", f"{C}/attendance.csv"): ADMIN_PAGE,
    ("POST", "/api/v1/scans"): API_SCAN,
    ("GET", "/api/v1/conferences/<int:conference_id>/roster"): API_READ,
    ("GET", "/api/v1/conferences/<int:conference_id>/presence"): API_READ,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/door-sw.js"): PUBLIC,  # the scan page's service worker: code, no data
    # Setting up elections (confapp/elections/setup.py): the committee sets up and opens the
    # poll; tellers, stewards and secretaries read; a secretary nominates for their own group.
    ("GET", f"{D}/elections"): SETUP_PAGE,
    ("POST", f"{D}/elections"): SETUP_FORM,  # no title: the form's errors
    ("GET", SETUP_EL): SETUP_PAGE,
    ("POST", SETUP_EL): SETUP_FORM,  # no title: the form's errors
    ("GET", f"{SETUP_EL}/nominate"): ADMIN_PAGE,
    ("POST", f"{SETUP_EL}/nominate"): SETUP_FORM,  # no name
    ("GET", f"{SETUP_EL}/groups/<int:group_id>/nominate"): GROUP_NOMINATION,
    ("POST", f"{SETUP_EL}/groups/<int:group_id>/nominate"): row(
        LOGIN, 422, 404, 403, 403, 422, 403, 422
    ),  # no name
    ("POST", f"{SETUP_EL}/withdraw"): SETUP_STEP,  # no candidate chosen
    ("POST", f"{SETUP_EL}/open"): SETUP_STEP,  # nobody inside: refused with a message
    ("GET", f"{SETUP_EL}/paper.pdf"): row(LOGIN, 403, 403, *[TO_ELECTION] * 3, 403, TO_ELECTION),
}


def _member_rows() -> dict[tuple[str, str], dict]:
    """The members' areas keep their rows beside their tests (tests/members/rows_*.py)."""
    from tests.members import rows_ballots, rows_register, rows_standing, rows_voting

    merged: dict[tuple[str, str], dict] = {}
    for module in (rows_register, rows_standing, rows_ballots, rows_voting):
        merged |= module.rows()
    return merged


TABLE |= _member_rows()

# Forms for POST rows that answer an empty form with 404 (an alternate not in the group).
FORMS: dict[tuple[str, str], dict] = {
    ("POST", f"{C}/badges"): {"kind": "badges", "scope": "new", "layout": "a6"},
    ("POST", f"{C}/groups/<int:group_id>/seating"): {
        "alternate": "<alternate_id>",
        "absent": "<approved_delegate_id>",
    },
}

CELLS = [
    pytest.param(method, rule, role, expected, id=f"{method} {rule} as {role}")
    for (method, rule), expected in TABLE.items()
    for role, expected in expected.items()
]


@pytest.fixture
def world(db) -> World:
    """A fresh world for every test: no cell sees what another cell's POST did."""
    return build_world()


def form_for(method: str, rule: str, world: World) -> dict:
    """The form a row posts, its <variables> filled from the world."""
    ids = {
        "alternate_id": world.alternate_id,
        "approved_delegate_id": world.approved_delegate_id,
    }
    return {
        name: url_for_rule(value, world, **ids)
        for name, value in FORMS.get((method, rule), {}).items()
    }


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
    # Only what the new route adds: whether the table is complete is the test above's job.
    missing_before = app_routes(app) - set(TABLE)

    app.add_url_rule("/admin/new-page", "new_page", lambda: "hello", methods=["GET", "POST"])

    assert app_routes(app) - set(TABLE) - missing_before == {
        ("GET", "/admin/new-page"),
        ("POST", "/admin/new-page"),
    }


def is_refusal(expected, role: str) -> bool:
    """Whether the cell's answer turns the user away (so nothing may change)."""
    return expected in (403, 404) or (expected is LOGIN and role == "anonymous")


@pytest.mark.parametrize(("method", "rule", "role", "expected"), CELLS)
def test_permission(client, world, method, rule, role, expected):
    log_in_as(client, world, role)
    url = url_for_rule(rule, world)
    before = snapshot() if method == "GET" or is_refusal(expected, role) else None

    response = client.open(url, method=method, data=form_for(method, rule, world))

    page = response.get_data().decode("utf-8", "replace")  # the report's PDF is bytes
    if isinstance(expected, Redirect):
        assert response.status_code == 302, page[:500]
        location = urlsplit(response.headers["Location"])
        assert location.path == url_for_rule(expected.path, world)
        if expected is LOGIN and method == "GET":
            assert parse_qs(location.query)["next"] == [urlsplit(url).path]
    else:
        assert response.status_code == expected, page[:500]
    if expected == 403:
        assert "Your account does not have access to this page." in page
    if expected == 404:
        assert "There is nothing at this address." in page
    if before is not None:  # a GET changes nothing, and neither does a refused POST
        assert snapshot() == before


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


ROW_RULES = [
    (method, rule)
    for (method, rule) in CONFERENCE_RULES
    if any(
        f"<int:{name}>" in rule
        for name in (
            "group_id",
            "delegate_id",
            "substitution_id",
            "token_id",
            "scan_id",
            "ballot_id",
            "election_id",
        )
    )
]


@pytest.mark.parametrize(("method", "rule"), ROW_RULES, ids=[f"{m} {r}" for m, r in ROW_RULES])
def test_rows_of_another_conference_are_not_found(client, world, method, rule):
    """The admin of another conference, on their own conference's pages, with this one's ids."""
    log_in_as(client, world, "other_admin")
    before = snapshot()

    response = client.open(
        url_for_rule(rule, world, conference_id=world.other_conference_id),
        method=method,
        data=form_for(method, rule, world),
    )

    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)
    assert snapshot() == before


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
