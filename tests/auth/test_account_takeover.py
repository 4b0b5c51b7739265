"""No one keeps a login they set up once a role puts the account beyond their reach."""

# Whoever saw an invitation link may have set the password with it. When the account is
# later given a role where that person is not trusted (another conference, or site admin),
# by any path (the Users page, the command line, a groups import, code that makes a RoleGrant
# itself), or that person loses the admin role that made them trusted, the old password and
# sessions end; only a new link, made by someone trusted with the whole account, lets anyone in.

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from confapp import factories
from confapp.auth import services as users
from confapp.extensions import db
from confapp.models import AuditEntry, CredentialHolder, Role, RoleGrant
from tests.auth.test_invitation import shown_link, stored_user, text

CHAIR = "future.chair@example.org"
ADMIN2_PASSWORD = "admin two chose this one"
PERSON_PASSWORD = "the chair's very own password"
NO_MATCH = "That e-mail and password do not match an account."


@pytest.fixture
def conference2(db):
    return factories.conference("Second Conference")


@pytest.fixture
def admin2(app, conference2):
    """The admin of conference 2 only, in a browser of their own."""
    user = factories.user("admin2@example.org", conf=conference2, role=Role.ADMIN)
    browser = app.test_client()
    assert log_in(browser, user.email, factories.PASSWORD).status_code == 302
    return browser


@pytest.fixture
def site_admin(app):
    user = factories.user("boss@example.org", site_admin=True)
    browser = app.test_client()
    assert log_in(browser, user.email, factories.PASSWORD).status_code == 302
    return browser


def log_in(browser, email, password):
    return browser.post("/login", data={"email": email, "password": password})


def add_person(browser, conference, email=CHAIR, role="admin", **fields):
    data = {"email": email, "name": "", "role": role, "group": ""} | fields
    return browser.post(f"/admin/conferences/{conference.id}/users", data=data)


def set_password(browser, link, password):
    path = urlsplit(link).path
    return browser.post(path, data={"password": password, "confirm": password})


def csv_of(browser, conference):
    return browser.get(f"/admin/conferences/{conference.id}/delegates.csv")


def admin2_sets_up_the_chair(app, admin2, conference2, role="steward"):
    """admin2 adds the address in conference 2 and sets its password: the browser they used."""
    link = shown_link(add_person(admin2, conference2, role=role))
    as_chair = app.test_client()
    assert set_password(as_chair, link, ADMIN2_PASSWORD).status_code == 302
    return as_chair


def actions(*names) -> list[tuple[str, str]]:
    db.session.expire_all()
    entries = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action.in_(names)).order_by(AuditEntry.id)
    ).scalars()
    return [(e.action, e.actor) for e in entries]


def test_the_reported_takeover_no_longer_reaches_the_other_conference(
    app, conference, conference2, admin2, site_admin
):
    as_chair = admin2_sets_up_the_chair(app, admin2, conference2)
    assert csv_of(as_chair, conference).status_code == 403

    granted = add_person(site_admin, conference)

    # admin2's session as the chair, and the password admin2 chose, open nothing now.
    assert urlsplit(csv_of(as_chair, conference).headers["Location"]).path == "/login"
    attacker = app.test_client()
    assert NO_MATCH in text(log_in(attacker, CHAIR, ADMIN2_PASSWORD))
    assert urlsplit(csv_of(attacker, conference).headers["Location"]).path == "/login"
    # The site admin is told why, and given the link for the person at the address.
    page = text(granted)
    assert f"{CHAIR} must set a new password" in page
    assert "Their new link is below." in page
    new_link = shown_link(granted)
    # The person at the address sets their own password with the new link and gets in.
    person = app.test_client()
    assert set_password(person, new_link, PERSON_PASSWORD).status_code == 302
    download = csv_of(person, conference)
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    chair = stored_user(CHAIR)
    assert chair.check_password(PERSON_PASSWORD)
    assert [h.holder.email for h in chair.credential_holders] == ["boss@example.org"]
    assert actions("user.password_reset", "user.sessions_end")[:2] == [
        ("user.password_reset", "boss@example.org"),
        ("user.sessions_end", "boss@example.org"),
    ]


def test_admin2_cannot_make_a_new_link_once_the_account_works_elsewhere(
    app, conference, conference2, admin2, site_admin
):
    admin2_sets_up_the_chair(app, admin2, conference2)
    add_person(site_admin, conference)
    chair = stored_user(CHAIR)

    refused = admin2.post(f"/admin/conferences/{conference2.id}/users/{chair.id}/invitation")

    assert refused.status_code == 403
    assert "ask a site administrator" in refused.get_data(as_text=True)


def test_a_committee_that_may_not_make_the_link_is_told_who_can(
    app, login, client, conference, conference2, admin2
):
    """admin1 gives the role: admin2 is shut out, and admin1 gets no link to the conf-2 role."""
    admin2_sets_up_the_chair(app, admin2, conference2)
    login(factories.user("admin1@example.org", conf=conference, role=Role.ADMIN))

    granted = add_person(client, conference, role="teller")

    page = text(granted)
    assert f"{CHAIR} must set a new password" in page
    assert "A site administrator makes it." in page
    assert 'id="invitation-link"' not in granted.get_data(as_text=True)
    chair = stored_user(CHAIR)
    assert chair.password_hash is None and chair.invitation_hash is None
    assert NO_MATCH in text(log_in(app.test_client(), CHAIR, ADMIN2_PASSWORD))


def test_a_site_admins_new_link_makes_the_account_whole_again(
    app, conference, conference2, admin2, site_admin
):
    """Once the person set a password from a trusted link, later roles keep it working."""
    admin2_sets_up_the_chair(app, admin2, conference2)
    set_password(app.test_client(), shown_link(add_person(site_admin, conference)), PERSON_PASSWORD)

    again = add_person(site_admin, factories.conference("Third Conference"), role="teller")

    assert "must set a new password" not in text(again)
    assert 'id="invitation-link"' not in again.get_data(as_text=True)
    assert log_in(app.test_client(), CHAIR, PERSON_PASSWORD).status_code == 302


def test_another_role_in_the_same_conference_keeps_the_password(app, conference2, admin2):
    admin2_sets_up_the_chair(app, admin2, conference2)

    again = add_person(admin2, conference2, role="teller")

    assert f"{CHAIR} now has the role teller." in text(again)
    assert "must set a new password" not in text(again)
    assert log_in(app.test_client(), CHAIR, ADMIN2_PASSWORD).status_code == 302
    assert actions("user.password_reset") == []


def test_the_command_line_resets_the_account_and_prints_a_new_link(
    app, conference, conference2, admin2
):
    admin2_sets_up_the_chair(app, admin2, conference2)

    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["create-user", CHAIR, "--role", "teller", "--conference", conference.slug]
        )

    assert result.exit_code == 0, result.output
    assert f"Updated {CHAIR} (teller)." in result.output
    assert "One-time link to set a password: http" in result.output
    assert NO_MATCH in text(log_in(app.test_client(), CHAIR, ADMIN2_PASSWORD))
    assert actions("user.password_reset") == [("user.password_reset", "command line")]


def test_making_the_account_a_site_admin_resets_it(app, conference2, admin2):
    admin2_sets_up_the_chair(app, admin2, conference2)

    with app.app_context():
        result = app.test_cli_runner().invoke(args=["create-user", CHAIR, "--role", "site-admin"])

    assert result.exit_code == 0, result.output
    assert "One-time link to set a password" in result.output
    assert NO_MATCH in text(log_in(app.test_client(), CHAIR, ADMIN2_PASSWORD))
    chair = stored_user(CHAIR)
    assert chair.is_site_admin and chair.password_hash is None
    assert [a for a, _ in actions("user.site_admin", "user.password_reset")] == [
        "user.site_admin",
        "user.password_reset",
    ]


def test_a_groups_import_naming_the_address_as_secretary_resets_it(
    app, conference, conference2, admin2, tmp_path
):
    admin2_sets_up_the_chair(app, admin2, conference2)
    sheet = tmp_path / "groups.csv"
    sheet.write_text(
        "name,region,section,members,women_members,young_members,in_good_standing,"
        f"secretary_email\nLeeds,North,Local groups,900,400,60,yes,{CHAIR}\n"
    )

    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import-groups", conference.slug, str(sheet)])

    assert result.exit_code == 0, result.output
    chair = stored_user(CHAIR)
    assert {(g.conference_id, g.role) for g in chair.grants} == {
        (conference2.id, "steward"),
        (conference.id, "secretary"),
    }
    assert chair.password_hash is None
    assert NO_MATCH in text(log_in(app.test_client(), CHAIR, ADMIN2_PASSWORD))


def test_a_role_made_directly_in_code_is_checked_too(app, conference, conference2, admin2):
    """A future path that builds a RoleGrant itself, skipping grant_role, is caught on flush."""
    as_chair = admin2_sets_up_the_chair(app, admin2, conference2)
    chair = stored_user(CHAIR)

    db.session.add(RoleGrant(user=chair, conference_id=conference.id, role=Role.ADMIN.value))
    db.session.commit()

    assert stored_user(CHAIR).password_hash is None
    assert NO_MATCH in text(log_in(app.test_client(), CHAIR, ADMIN2_PASSWORD))
    assert urlsplit(csv_of(as_chair, conference).headers["Location"]).path == "/login"


def test_an_admin_who_loses_a_conference_loses_the_logins_they_set_up_there(
    app, conference, conference2, site_admin
):
    """Trusted when they made the link; no longer once their admin role there is taken away."""
    both = factories.user("both@example.org", conf=conference, role=Role.ADMIN)
    db.session.add(RoleGrant(user=both, conference_id=conference2.id, role=Role.ADMIN.value))
    db.session.commit()
    browser = app.test_client()
    log_in(browser, both.email, factories.PASSWORD)
    add_person(browser, conference, role="teller")
    link = shown_link(add_person(browser, conference2, role="teller"))  # the newer link
    assert set_password(app.test_client(), link, ADMIN2_PASSWORD).status_code == 302
    grant2 = db.session.execute(
        db.select(RoleGrant).where(
            RoleGrant.user_id == both.id, RoleGrant.conference_id == conference2.id
        )
    ).scalar_one()

    removed = site_admin.post(
        f"/admin/conferences/{conference2.id}/users/{both.id}/roles/remove",
        data={"grant": grant2.id},
        follow_redirects=True,
    )

    assert "both@example.org is no longer admin; they have been logged out." in text(removed)
    assert stored_user(CHAIR).password_hash is None
    assert NO_MATCH in text(log_in(app.test_client(), CHAIR, ADMIN2_PASSWORD))


def test_a_link_a_committee_may_not_make_is_refused_by_the_service_too(
    app, conference, conference2
):
    """The check is in issue_invitation itself, not only in the page that calls it."""
    admin2 = factories.user("admin2@example.org", conf=conference2, role=Role.ADMIN)
    chair = factories.user(CHAIR, conf=conference, role=Role.TELLER, password=None)

    with pytest.raises(users.UserError, match="ask a site administrator"):
        users.issue_invitation(chair, actor=admin2)

    db.session.rollback()
    assert stored_user(CHAIR).invitation_hash is None
    assert db.session.execute(db.select(CredentialHolder)).first() is None
