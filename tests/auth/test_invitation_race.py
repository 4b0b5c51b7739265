"""A one-time link works once, even when several requests bring it at the same instant."""

# Real threads share one app (one connection pool): the database alone decides which request
# spends the link, on SQLite and on PostgreSQL (CONFAPP_TEST_DATABASE_URL).

from __future__ import annotations

import threading
from collections import Counter
from urllib.parse import urlsplit

from confapp import factories
from confapp.auth import services as users
from confapp.extensions import db
from confapp.models import AuditEntry, Role, User
from tests.auth.test_invitation import GONE, text

THREADS = 5


def _race(app, path: str, passwords: list[str]) -> list[tuple[str, int, str, bool]]:
    """(password, status, page, logged in after) of each browser POSTing the link at once."""
    barrier = threading.Barrier(len(passwords))
    answers = []

    def send(password: str) -> None:
        browser = app.test_client()
        barrier.wait()
        response = browser.post(path, data={"password": password, "confirm": password})
        home = browser.get("/")
        answers.append((password, response.status_code, text(response), home.status_code == 200))

    threads = [threading.Thread(target=send, args=(p,)) for p in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_five_simultaneous_uses_of_one_link_log_in_once(app, conference):
    invitee = factories.user("door@example.org", conf=conference, role=Role.STEWARD, password=None)
    path = urlsplit(users.invitation_url(users.issue_invitation(invitee))).path
    db.session.commit()
    passwords = [f"password number {i} of five" for i in range(THREADS)]

    answers = _race(app, path, passwords)

    assert len(answers) == THREADS
    assert Counter(status for _, status, _, _ in answers) == {302: 1, 404: THREADS - 1}
    (winner,) = [password for password, status, _, _ in answers if status == 302]
    for password, status, page, logged_in in answers:
        assert logged_in == (password == winner)
        if status == 404:
            assert GONE in page
    db.session.rollback()
    stored = db.session.get(User, invitee.id)
    assert stored.check_password(winner)
    assert stored.invitation_hash is None
    assert stored.session_version == 1
    set_password = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "user.set_password")
    ).scalars()
    assert [(e.entity_id, e.user_id) for e in set_password] == [(invitee.id, invitee.id)]
