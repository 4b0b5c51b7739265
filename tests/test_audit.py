"""The audit log: append-only, shown to admins, filterable."""

from __future__ import annotations

import pytest

from confapp import audit
from confapp.extensions import db
from confapp.models import AuditEntry, Role
from tests import factories


def test_entries_cannot_be_edited_or_deleted(conference):
    entry = audit.record("conference.note", conference, summary="first")
    db.session.commit()
    entry.summary = "rewritten"
    with pytest.raises(RuntimeError, match="cannot be changed"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(RuntimeError, match="cannot be changed"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).summary == "first"


def test_snapshot_leaves_out_password_hashes(db):
    user = factories.user()
    values = audit.snapshot(user)
    assert "password_hash" not in values
    assert values["email"] == user.email


@pytest.fixture
def log_page(client, conference, login):
    admin = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
    login(admin)
    leeds = factories.group(conference, "Leeds")
    audit.record(
        "group.update", leeds, before={"members": 1}, after={"members": 2}, summary="Leeds"
    )
    audit.record("conference.update", conference, summary="dates")
    other = factories.conference("Other")
    audit.record("conference.update", other, summary="elsewhere")
    db.session.commit()

    def _page(**filters):
        url = f"/admin/conferences/{conference.id}/audit"
        return client.get(url, query_string=filters).get_data(as_text=True)

    return _page


def test_admin_sees_who_did_what_with_before_and_after(log_page):
    page = log_page()
    assert "group.update" in page and "conference.update" in page
    assert '"members": 1' in page and '"members": 2' in page
    assert "elsewhere" not in page  # another conference's log
    assert "user.login" not in page  # logins belong to the installation's log


def test_site_admin_sees_the_whole_installation(log_page, client, login):
    client.post("/logout")
    login(factories.user("root@example.org", site_admin=True))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "elsewhere" in page and "dates" in page
    assert "root@example.org logged in" in page


def test_filters_narrow_the_log(log_page):
    by_action = log_page(action="group.")
    assert "Leeds" in by_action and "dates" not in by_action
    by_record = log_page(entity="Conference")
    assert "dates" in by_record and "Leeds" not in by_record
    assert "chair@example.org" in log_page(actor="chair")
    assert "No entries match" in log_page(actor="nobody-like-this")
    assert "is not a date" in log_page(since="last tuesday")
