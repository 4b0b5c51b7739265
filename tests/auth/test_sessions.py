"""Ended sessions stay ended: no cookie from before a logout, new password or lost role works."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from confapp import factories
from confapp.auth import services as users
from confapp.extensions import db
from confapp.models import AuditEntry, Role, User
from tests.auth.test_invitation import text

NEW_PASSWORD = "a sentence of a password"


@pytest.fixture
def teller(conference):
    return factories.user("teller@example.org", conf=conference, role=Role.TELLER)


def log_in(browser, user, password=factories.PASSWORD):
    response = browser.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, text(response)


def copy_of(app, browser):
    """Another browser holding a copy of this one's session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value, domain="localhost")
    return thief


def is_logged_in(browser) -> bool:
    response = browser.get("/")
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == "/login"
        return False
    assert response.status_code == 200
    return True


def sessions_ended(user) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.execute(
            db.select(AuditEntry.summary)
            .where(AuditEntry.action == "user.sessions_end", AuditEntry.entity_id == user.id)
            .order_by(AuditEntry.id)
        ).scalars()
    )


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, teller):
    log_in(client, teller)
    thief = copy_of(app, client)
    assert is_logged_in(thief)

    client.post("/logout")

    assert not is_logged_in(thief)
    assert not is_logged_in(client)
    assert sessions_ended(teller) == ["teller@example.org: every session ended, they logged out"]


def test_logging_out_on_one_device_logs_out_the_others(app, client, teller):
    phone = app.test_client()
    log_in(client, teller)
    log_in(phone, teller)

    phone.post("/logout")

    assert not is_logged_in(client)
    log_in(client, teller)  # and logging in again works as before
    assert is_logged_in(client)


def test_a_cookie_copied_before_a_new_password_is_refused_after_it(app, client, conference):
    """A new password set from a link (the way a forgotten one is replaced) ends old sessions."""
    user = factories.user("teller@example.org", conf=conference, role=Role.TELLER)
    log_in(client, user)
    thief = copy_of(app, client)
    token = users.issue_invitation(db.session.get(User, user.id))
    db.session.commit()

    person = app.test_client()
    done = person.post(f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert done.status_code == 302
    assert is_logged_in(person)
    assert not is_logged_in(thief)
    assert not is_logged_in(client)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)


def test_a_password_changed_by_any_code_ends_the_sessions(app, client, teller):
    log_in(client, teller)

    db.session.get(User, teller.id).set_password(NEW_PASSWORD)
    db.session.commit()

    assert not is_logged_in(client)
    assert sessions_ended(teller) == [
        "teller@example.org: every session ended, the password changed"
    ]


def test_taking_a_role_away_ends_the_persons_sessions(app, client, login, conference, teller):
    teller_browser = app.test_client()
    log_in(teller_browser, teller)
    thief = copy_of(app, teller_browser)
    login(factories.user("committee@example.org", conf=conference, role=Role.ADMIN))
    (grant,) = teller.grants

    response = client.post(
        f"/admin/conferences/{conference.id}/users/{teller.id}/roles/remove",
        data={"grant": grant.id},
        follow_redirects=True,
    )

    assert "teller@example.org is no longer teller; they have been logged out." in text(response)
    assert "Nobody has a role in this conference yet." not in text(response)  # the admin stays
    assert not is_logged_in(teller_browser)
    assert not is_logged_in(thief)
    db.session.expire_all()
    assert db.session.get(User, teller.id).grants == []
    removal = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "role.remove")
    ).scalar_one()
    assert removal.actor == "committee@example.org"
    assert removal.conference_id == conference.id
    assert removal.summary == "teller@example.org is no longer teller"
    assert sessions_ended(teller) == [
        "teller@example.org: every session ended, a role was taken away"
    ]


def test_a_role_of_another_conference_cannot_be_taken_away_here(client, login, conference):
    other = factories.conference("Special Conference")
    steward = factories.user("door@example.org", conf=other, role=Role.STEWARD)
    (grant,) = steward.grants
    login(factories.user("committee@example.org", conf=conference, role=Role.ADMIN))

    on_ours = client.post(
        f"/admin/conferences/{conference.id}/users/{steward.id}/roles/remove",
        data={"grant": grant.id},
    )

    assert on_ours.status_code == 404
    db.session.expire_all()
    assert [g.role for g in db.session.get(User, steward.id).grants] == ["steward"]


def test_no_role_chosen_takes_nothing_away(client, login, conference, teller):
    login(factories.user("committee@example.org", conf=conference, role=Role.ADMIN))

    response = client.post(
        f"/admin/conferences/{conference.id}/users/{teller.id}/roles/remove",
        data={"grant": "nonsense"},
        follow_redirects=True,
    )

    assert "Choose which role to take away." in text(response)
    db.session.expire_all()
    assert [g.role for g in db.session.get(User, teller.id).grants] == ["teller"]
    assert sessions_ended(teller) == []


def test_a_disabled_account_enabled_again_does_not_revive_old_sessions(app, client, teller):
    log_in(client, teller)
    thief = copy_of(app, client)

    db.session.get(User, teller.id).is_active = False
    db.session.commit()
    db.session.get(User, teller.id).is_active = True
    db.session.commit()

    assert not is_logged_in(thief)
    assert not is_logged_in(client)
    assert sessions_ended(teller) == [
        "teller@example.org: every session ended, the account was disabled"
    ]


def test_a_session_from_before_versions_asks_for_a_login(app, client, teller):
    """Cookies made before this release kept the bare id; they are not trusted any more."""
    with client.session_transaction() as session:
        session["_user_id"] = str(teller.id)
        session["_fresh"] = True

    assert not is_logged_in(client)


def test_a_session_of_another_version_is_refused(app, client, teller):
    log_in(client, teller)
    with client.session_transaction() as session:
        user_id, _, version = session["_user_id"].partition(":")
        session["_user_id"] = f"{user_id}:{int(version) + 1}"

    assert not is_logged_in(client)
