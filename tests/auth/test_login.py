"""Logging in and out: what the person sees, and what the database keeps."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from confapp import factories
from confapp.extensions import db
from confapp.models import AuditEntry, User, utcnow

NO_MATCH = "That e-mail and password do not match an account."


def log_in(client, email, password=factories.PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def is_logged_in(client) -> bool:
    response = client.get("/")
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == "/login"
        return False
    assert response.status_code == 200
    return True


def fresh(user: User) -> User:
    """The user as the database holds it now."""
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_login_records_the_time_and_an_audit_entry(client, db):
    user = factories.user()
    before = utcnow()

    response = log_in(client, user.email)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert is_logged_in(client)
    assert before - timedelta(seconds=1) <= fresh(user).last_login_at <= utcnow()
    entries = db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "user.login"))
    entry = entries.scalar_one()
    assert (entry.entity_type, entry.entity_id, entry.user_id) == ("User", user.id, user.id)
    assert entry.actor == user.email
    assert entry.remote_addr == "127.0.0.1"


def test_email_is_matched_whatever_its_case(client, db):
    factories.user("mixed.case@example.org")

    response = log_in(client, "  Mixed.Case@EXAMPLE.org ")

    assert response.status_code == 302
    assert is_logged_in(client)


def test_wrong_password_and_unknown_email_look_the_same(app, client, db):
    user = factories.user("known@example.org")
    known, unknown = client, app.test_client()

    wrong_password = log_in(known, user.email, "not the password at all")
    no_such_user = log_in(unknown, "nobody@example.org")

    assert wrong_password.status_code == no_such_user.status_code == 200
    wrong_page = wrong_password.get_data(as_text=True)
    unknown_page = no_such_user.get_data(as_text=True)
    assert NO_MATCH in wrong_page
    # Apart from the address typed back into the form, the two pages are identical.
    assert wrong_page.replace(user.email, "X") == unknown_page.replace("nobody@example.org", "X")
    assert not is_logged_in(known)
    assert not is_logged_in(unknown)
    assert fresh(user).last_login_at is None
    assert db.session.execute(db.select(AuditEntry)).first() is None


def test_a_malformed_email_gets_the_same_message(client, db):
    response = log_in(client, "not an address")

    assert response.status_code == 200
    assert NO_MATCH in response.get_data(as_text=True)


def test_a_disabled_user_cannot_log_in(client, db):
    user = factories.user()
    user.is_active = False
    db.session.commit()

    response = log_in(client, user.email)

    assert response.status_code == 200
    assert NO_MATCH in response.get_data(as_text=True)
    assert not is_logged_in(client)
    assert fresh(user).last_login_at is None


def test_disabling_a_logged_in_user_ends_their_session(client, db):
    user = factories.user()
    log_in(client, user.email)
    assert is_logged_in(client)

    fresh(user).is_active = False
    db.session.commit()

    assert not is_logged_in(client)


def test_an_invited_user_without_a_password_cannot_log_in(client, db):
    user = factories.user(password=None)

    response = log_in(client, user.email, "any password at all")

    assert NO_MATCH in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_logout_by_get_is_refused(client, db):
    log_in(client, factories.user().email)

    response = client.get("/logout")

    assert response.status_code == 405
    assert "That action cannot be done this way." in response.get_data(as_text=True)
    assert is_logged_in(client)


def test_logout_by_post(client, db):
    log_in(client, factories.user().email)

    response = client.post("/logout", follow_redirects=True)

    assert response.request.path == "/login"
    assert "You are logged out." in response.get_data(as_text=True)
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/admin/conferences", "/admin/conferences"),
        ("/admin/conferences?sort=name", "/admin/conferences?sort=name"),
        ("//evil.example", "/"),
        ("//evil.example/login", "/"),
        ("https://evil.example", "/"),
        ("https://evil.example/admin", "/"),
        ("http:evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\t/evil.example", "/"),  # browsers drop tabs: that would be //evil.example
    ],
)
def test_next_is_followed_only_within_the_site(client, db, next_url, lands_on):
    user = factories.user()

    response = log_in(client, user.email, query_string={"next": next_url})

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.scheme in ("", "http") and location.netloc in ("", "localhost")
    assert location.path + (f"?{location.query}" if location.query else "") == lands_on


@pytest.mark.parametrize("next_url", ["/\\evil.example", "/\\/evil.example"])
def test_next_with_a_backslash_does_not_leave_the_site(client, db, next_url):
    """Browsers read a backslash in a URL as a slash; it must reach them escaped, if at all."""
    user = factories.user()

    response = log_in(client, user.email, query_string={"next": next_url})

    location = response.headers["Location"]
    assert "\\" not in location
    assert not location.startswith("//") and urlsplit(location).netloc in ("", "localhost")


def test_passwords_are_stored_as_scrypt_hashes(db):
    user = factories.user(password="a long enough new password")

    stored = fresh(user).password_hash

    assert stored.startswith("scrypt:")
    assert "a long enough new password" not in stored
    other = factories.user(password="a long enough new password")
    assert fresh(other).password_hash != stored  # salted: same password, different hash
