"""Inviting people: the admin's Users page, the one-time link, and the CLI."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from confapp import factories
from confapp.extensions import db
from confapp.models import AuditEntry, Role, RoleGrant, User, utcnow

NEW_PASSWORD = "a sentence of a password"
GONE = "This invitation link has expired or has already been used."


@pytest.fixture
def admin(conference, login):
    """The conference's admin, logged in on `client`."""
    user = factories.user("committee@example.org", conf=conference, role=Role.ADMIN)
    login(user)
    return user


@pytest.fixture
def leeds(conference):
    return factories.group(conference, "Leeds")


@pytest.fixture
def invitee_client(app, client):
    """The invited person's own browser."""
    return app.test_client()


def text(response) -> str:
    """What the page says, as a person reads it: tags dropped, spaces collapsed."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def shown_link(response) -> str:
    """The one-time link the page shows."""
    found = re.search(r'<code id="invitation-link">([^<]+)</code>', response.get_data(as_text=True))
    assert found, "no invitation link on the page"
    return html.unescape(found.group(1))


def invite(client, conference, **fields):
    data = {"email": "new.secretary@example.org", "name": "Nia Jones", "role": "secretary"}
    data.update(fields)
    return client.post(f"/admin/conferences/{conference.id}/users", data=data)


def stored_user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()


def set_password(client, path, password=NEW_PASSWORD, confirm=None):
    return client.post(path, data={"password": password, "confirm": confirm or password})


def test_admin_creates_a_secretary_and_sees_the_link_once(client, conference, admin, leeds):
    response = invite(client, conference, group="leeds")  # matched whatever the case

    assert response.status_code == 200
    page = text(response)
    assert "Invitation link for new.secretary@example.org" in page
    assert "new.secretary@example.org now has the role secretary." in page
    link = shown_link(response)
    assert link.startswith("http://localhost/invite/")
    user = stored_user("new.secretary@example.org")
    assert user.name == "Nia Jones"
    assert user.password_hash is None
    assert [(g.conference_id, g.role, g.group_id) for g in user.grants] == [
        (conference.id, "secretary", leeds.id)
    ]
    again = client.get(f"/admin/conferences/{conference.id}/users")
    assert urlsplit(link).path not in again.get_data(as_text=True)
    assert "invited, no password yet" in text(again)


def test_the_link_sets_a_password_logs_in_and_is_spent(
    client, invitee_client, conference, admin, leeds
):
    path = urlsplit(shown_link(invite(client, conference, group="Leeds"))).path

    form = invitee_client.get(path)
    assert form.status_code == 200
    assert "For new.secretary@example.org" in text(form)

    too_short = set_password(invitee_client, path, "short one")
    assert too_short.status_code == 200
    assert "Field must be between 10 and 200 characters long." in text(too_short)

    mismatch = set_password(invitee_client, path, NEW_PASSWORD, "a different long password")
    assert mismatch.status_code == 200
    assert "The two passwords differ." in text(mismatch)
    assert stored_user("new.secretary@example.org").password_hash is None

    done = set_password(invitee_client, path)
    assert done.status_code == 302
    home = invitee_client.get("/")
    assert home.status_code == 200
    assert "Your password is set. Welcome." in text(home)
    assert conference.name in text(home)
    assert "Your roles: secretary" in text(home)
    assert "Secretary of Leeds: " in text(home)

    user = stored_user("new.secretary@example.org")
    assert user.password_hash.startswith("scrypt:")
    assert user.invitation_hash is None and user.invitation_expires_at is None
    for method in ("GET", "POST"):
        spent = invitee_client.open(path, method=method, data={"password": "x" * 12})
        assert spent.status_code == 404
        assert GONE in text(spent)

    # The new password is the one that works from now on.
    invitee_client.post("/logout")
    again = invitee_client.post(
        "/login", data={"email": "new.secretary@example.org", "password": NEW_PASSWORD}
    )
    assert again.status_code == 302


def test_an_expired_link_is_not_found(client, invitee_client, conference, admin, leeds):
    path = urlsplit(shown_link(invite(client, conference, group="Leeds"))).path
    user = stored_user("new.secretary@example.org")
    user.invitation_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    opened = invitee_client.get(path)
    assert opened.status_code == 404
    assert GONE in text(opened)
    assert set_password(invitee_client, path).status_code == 404
    assert stored_user("new.secretary@example.org").password_hash is None


def test_a_link_lasts_the_configured_days(client, conference, admin, leeds):
    invite(client, conference, group="Leeds")

    expires = stored_user("new.secretary@example.org").invitation_expires_at

    assert abs(expires - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)


def test_a_new_link_replaces_the_old_one(client, invitee_client, conference, admin, leeds):
    old = urlsplit(shown_link(invite(client, conference, group="Leeds"))).path
    user = stored_user("new.secretary@example.org")

    response = client.post(f"/admin/conferences/{conference.id}/users/{user.id}/invitation")

    assert response.status_code == 200
    assert "Invitation link for new.secretary@example.org" in text(response)
    new = urlsplit(shown_link(response)).path
    assert new != old
    assert invitee_client.get(old).status_code == 404
    assert invitee_client.get(new).status_code == 200
    assert set_password(invitee_client, new).status_code == 302


def test_the_audit_log_has_every_step(client, invitee_client, conference, admin, leeds):
    path = urlsplit(shown_link(invite(client, conference, group="Leeds"))).path
    set_password(invitee_client, path)

    user = stored_user("new.secretary@example.org")
    entries = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action != "user.login").order_by(AuditEntry.id)
    ).scalars()
    steps = [(e.action, e.entity_type, e.entity_id, e.user_id) for e in entries]
    grant = db.session.execute(db.select(RoleGrant).where(RoleGrant.user_id == user.id)).scalar()
    assert steps[:3] == [
        ("user.create", "User", user.id, admin.id),
        ("role.grant", "RoleGrant", grant.id, admin.id),
        ("user.invite", "User", user.id, admin.id),
    ]
    assert [step[:3] for step in steps[3:]] == [("user.set_password", "User", user.id)]
    grant_entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "role.grant")
    ).scalar_one()
    assert grant_entry.conference_id == conference.id
    assert grant_entry.summary == "new.secretary@example.org is secretary of Leeds"
    # No secret reaches the log.
    for entry in db.session.execute(db.select(AuditEntry)).scalars():
        assert "password_hash" not in (entry.after or {})
        assert "invitation_hash" not in (entry.after or {})
        assert path.rsplit("/", 1)[1] not in str(entry.after) + entry.summary


def test_a_secretary_of_an_unknown_group_is_refused(client, conference, admin, leeds):
    response = invite(client, conference, group="Nowhere")

    assert response.status_code == 200
    page = text(response)
    assert f"group: no group named 'Nowhere' in {conference.name}" in page
    assert 'id="invitation-link"' not in response.get_data(as_text=True)
    assert stored_user("new.secretary@example.org") is None
    assert db.session.execute(db.select(RoleGrant).where(RoleGrant.role == "secretary")).all() == []
    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert actions == ["user.login"]


def test_cli_create_user_prints_a_working_link(app, client, conference):
    with app.app_context():  # as on the command line: a context of its own
        result = app.test_cli_runner().invoke(
            args=[
                "create-user",
                "Door@Example.org",
                "--role",
                "teller",
                "--conference",
                conference.slug,
            ]
        )

    assert result.exit_code == 0, result.output
    assert "Created door@example.org (teller)." in result.output
    found = re.search(r"One-time link to set a password: (\S+/invite/\S+)", result.output)
    assert found, result.output
    user = stored_user("door@example.org")
    assert [(g.conference_id, g.role) for g in user.grants] == [(conference.id, "teller")]
    actors = db.session.execute(db.select(AuditEntry.actor)).scalars().all()
    assert set(actors) == {"command line"}
    path = urlsplit(found.group(1)).path
    assert "For door@example.org" in text(client.get(path))
    assert set_password(client, path).status_code == 302


def test_cli_create_user_with_an_unknown_conference_lists_those_there_are(app, conference):
    other = factories.conference("Special Conference")
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["create-user", "door@example.org", "--role", "teller", "--conference", "nope"]
        )

    assert result.exit_code != 0
    assert "no conference 'nope'" in result.output
    assert f"{conference.id} {conference.slug} ({conference.name})" in result.output
    assert f"{other.id} {other.slug} (Special Conference)" in result.output
    assert stored_user("door@example.org") is None


def test_a_conference_admin_cannot_take_over_a_site_admin(
    client, invitee_client, conference, admin
):
    site_admin = factories.user("boss@example.org", site_admin=True)
    db.session.add(RoleGrant(user=site_admin, conference_id=conference.id, role="teller"))
    db.session.commit()

    response = client.post(f"/admin/conferences/{conference.id}/users/{site_admin.id}/invitation")

    assert response.status_code == 403
    assert "ask a site administrator" in response.get_data(as_text=True)
    assert stored_user("boss@example.org").invitation_hash is None


def test_no_link_for_someone_who_also_works_in_another_conference(client, conference, admin):
    other = factories.conference("Special Conference")
    steward = factories.user("door@example.org", conf=other, role=Role.STEWARD, password=None)

    response = invite(client, conference, email="door@example.org", role="teller", group="")

    assert "door@example.org now has the role teller" in text(response)
    assert 'id="invitation-link"' not in response.get_data(as_text=True)
    refused = client.post(f"/admin/conferences/{conference.id}/users/{steward.id}/invitation")
    assert refused.status_code == 403
    assert stored_user("door@example.org").invitation_hash is None


class FakeSMTP:
    """Stands in for an SMTP server: keeps what would have been sent."""

    sent: list = []

    def __init__(self, host, port, timeout):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, username, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_with_smtp_configured_the_link_is_also_mailed(
    app, client, conference, admin, leeds, monkeypatch
):
    monkeypatch.setattr("confapp.auth.services.smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.org")
    FakeSMTP.sent.clear()

    response = invite(client, conference, group="Leeds")

    assert "has also been e-mailed" in text(response)
    (message,) = FakeSMTP.sent
    assert message["To"] == "new.secretary@example.org"
    assert shown_link(response) in message.get_content()
