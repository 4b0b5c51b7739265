"""Voting links by e-mail, through the queue to a real SMTP server on loopback (aiosmtpd).

The server keeps what it accepted; a test tells it to refuse an address (550 for good, 450
for now) or stops it. What members receive, and what the database and the committee's mail
page then say, are read back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from confapp import factories
from confapp.extensions import db
from confapp.members import mailing
from confapp.members.codes import hash_code
from confapp.models import AuditEntry, EmailStatus, Member, MemberBallot, Role, Voter, utcnow
from tests.smtp import LINK


@pytest.fixture
def app_config():
    """Queued tasks run at once, in the request that queued them."""
    return {"QUEUE_IMMEDIATE": True}


@pytest.fixture
def world(db):
    """Three members of Leeds in good standing, a ballot on its roll, and the committee."""
    conference = factories.conference()
    leeds = factories.group(conference, "Leeds", region="North")
    members = factories.members(conference, [leeds], per_group=3)
    ballot = factories.member_ballot(conference, title="Referendum on affiliation", phase="roll")
    admin = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
    return {"conference": conference, "members": members, "ballot": ballot, "admin": admin}


def page_of(ballot: MemberBallot, tail: str = "") -> str:
    return f"/conferences/{ballot.conference_id}/member-ballots/{ballot.id}{tail}"


def voters(ballot_id: int) -> dict[str, Voter]:
    """The ballot's voters by their member's e-mail, read afresh."""
    db.session.expire_all()
    rows = db.session.execute(
        db.select(Voter, Member.email)
        .join(Member, Member.id == Voter.member_id)
        .where(Voter.ballot_id == ballot_id)
    ).all()
    return {address: voter for voter, address in rows}


def send_links(client, ballot) -> str:
    """The committee sends the links, confirming the question; the page it lands on."""
    response = client.post(page_of(ballot, "/send"), data={"confirmed": "yes"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_each_member_receives_their_own_link_and_only_its_hash_is_kept(client, login, world, smtp):
    ballot = world["ballot"]
    login(world["admin"])

    page = send_links(client, ballot)

    assert "Voting links queued for 3 members." in page
    assert len(smtp.messages) == 3
    first = world["members"][0]
    message = smtp.to(first.email)[0]
    assert message["Subject"] == "Your voting link: Referendum on affiliation"
    assert message["To"] == f"{first.name} <{first.email}>"
    body = message.get_content()
    assert f"Dear {first.name}," in body
    assert "You can vote in Referendum on affiliation" in body
    # The times in the conference's zone (London), as the ballot page shows them.
    assert "Voting opens: " in body and ("BST" in body or "GMT" in body)
    assert "This link replaces any link sent to you earlier for this ballot" in body
    assert f"http://localhost/vote/{smtp.code_for(first.email)}" in body  # where the app is served
    rows = voters(ballot.id)
    codes = {smtp.code_for(m.email) for m in world["members"]}
    assert len(codes) == 3  # one code each
    for member in world["members"]:
        voter = rows[member.email]
        code = smtp.code_for(member.email)
        assert voter.code_hash == hash_code(code)
        assert code not in (voter.code_hash or "")
        assert voter.email_status == EmailStatus.SENT
        assert voter.sends == 1 and voter.emailed_at is not None and voter.email_error == ""
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "member_ballot.links_requested")
    ).one()
    assert entry.after == {"voters": 3, "batches": 1}
    assert entry.actor == "chair@example.org"


def test_sending_asks_first_and_sends_nothing_until_confirmed(client, login, world, smtp):
    login(world["admin"])

    response = client.post(page_of(world["ballot"], "/send"))

    assert response.status_code == 200
    assert "Send voting links to 3 members for Referendum on affiliation?" in response.get_data(
        as_text=True
    )
    assert smtp.messages == []
    assert {v.email_status for v in voters(world["ballot"].id).values()} == {EmailStatus.PENDING}


def test_an_address_refused_for_good_is_bounced_and_listed_for_the_committee(
    client, login, world, smtp
):
    refused = world["members"][1]
    smtp.refuse[refused.email] = "550 5.1.1 No such mailbox here"
    login(world["admin"])

    send_links(client, world["ballot"])

    rows = voters(world["ballot"].id)
    assert rows[refused.email].email_status == EmailStatus.BOUNCED
    assert rows[refused.email].email_error == "550 5.1.1 No such mailbox here"
    assert rows[refused.email].code_hash is None and rows[refused.email].sends == 0
    assert len(smtp.messages) == 2  # the others were sent over the same connection
    page = client.get(page_of(world["ballot"], "/mail")).get_data(as_text=True)
    row = page[page.index(f'id="voter-{rows[refused.email].id}"') :].split("</tr>")[0]
    assert refused.name in row and refused.email in row
    assert "550 5.1.1 No such mailbox here" in row and "bounced" in row
    assert "<strong>2</strong> sent" in page and "<strong>1</strong> bounced" in page


def test_an_address_refused_for_now_is_failed_and_a_retry_sends_it(client, login, world, smtp):
    busy = world["members"][2]
    smtp.refuse[busy.email] = "450 4.2.1 Mailbox busy, try later"
    login(world["admin"])
    send_links(client, world["ballot"])
    assert voters(world["ballot"].id)[busy.email].email_status == EmailStatus.FAILED

    del smtp.refuse[busy.email]
    response = client.post(page_of(world["ballot"], "/mail/retry"))

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sending again to 1 member whose link failed." in page
    assert voters(world["ballot"].id)[busy.email].email_status == EmailStatus.SENT
    assert len(smtp.to(busy.email)) == 1
    assert len(smtp.messages) == 3  # the others were not sent twice


def test_a_stopped_server_fails_every_link_and_retry_sends_once_it_is_back(
    client, login, world, smtp_server
):
    smtp_server.stop()
    login(world["admin"])

    page = send_links(client, world["ballot"])

    rows = voters(world["ballot"].id)
    assert {v.email_status for v in rows.values()} == {EmailStatus.FAILED}
    error = next(iter(rows.values())).email_error
    assert error.startswith(f"Could not reach the mail server 127.0.0.1:{smtp_server.port}")
    assert "<strong>3</strong> failed" in page
    assert "Retry failed (3)" in page

    smtp_server.start()
    client.post(page_of(world["ballot"], "/mail/retry"))

    rows = voters(world["ballot"].id)
    assert {v.email_status for v in rows.values()} == {EmailStatus.SENT}
    assert len(smtp_server.inbox.messages) == 3
    actions = db.session.scalars(
        db.select(AuditEntry.action).where(AuditEntry.action.like("member_ballot.links_%"))
    ).all()
    assert sorted(actions) == ["member_ballot.links_requested", "member_ballot.links_retried"]


def test_links_a_stopped_worker_left_queued_are_offered_again_once_stale(
    client, login, world, smtp, monkeypatch
):
    ballot = world["ballot"]
    login(world["admin"])
    monkeypatch.setattr(mailing, "_enqueue", lambda *args: None)  # the worker died holding it
    page = send_links(client, ballot)
    monkeypatch.undo()
    assert "<strong>3</strong> queued" in page
    assert 'id="stuck-note"' not in page and "Retry failed" not in page  # fresh: wait

    later = utcnow() + mailing.STUCK_AFTER + timedelta(minutes=1)
    monkeypatch.setattr(mailing, "utcnow", lambda: later)
    page = client.get(page_of(ballot, "/mail")).get_data(as_text=True)
    assert "3 links have stood queued for over 30 minutes: a worker may have stopped" in page
    response = client.post(page_of(ballot, "/mail/retry"))

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sending again to 3 members whose link failed or was stuck in the queue." in page
    assert {v.email_status for v in voters(ballot.id).values()} == {EmailStatus.SENT}
    assert len(smtp.messages) == 3 and 'id="stuck-note"' not in page


def test_one_connection_per_batch(app, world, smtp, monkeypatch):
    monkeypatch.setattr(mailing, "BATCH", 2)
    ballot = db.session.get(MemberBallot, world["ballot"].id)

    with app.test_request_context():
        queued = mailing.request_links(ballot)

    assert queued == 3
    assert len(smtp.messages) == 3
    assert len(smtp.connections) == 2  # batches of 2 and 1


def test_send_batch_counts_what_became_of_each_voter(app, world, smtp):
    ballot = world["ballot"]
    smtp.refuse[world["members"][0].email] = "550 No such user"
    ids = [v.id for v in voters(ballot.id).values()]

    counts = mailing.send_batch(ballot.id, ids)

    assert counts == {"sent": 2, "bounced": 1}


def test_a_new_link_replaces_the_old_one(app, world, smtp):
    ballot = world["ballot"]
    member = world["members"][0]
    voter = voters(ballot.id)[member.email]

    mailing.send_batch(ballot.id, [voter.id])
    mailing.send_batch(ballot.id, [voter.id])

    first, second = (LINK.search(m.get_content()).group(1) for m in smtp.to(member.email))
    voter = voters(ballot.id)[member.email]
    assert first != second
    assert voter.code_hash == hash_code(second) != hash_code(first)
    assert voter.sends == 2


def test_who_has_voted_or_has_no_address_gets_no_link(app, world, smtp):
    ballot = world["ballot"]
    voted, no_address, fine = world["members"]
    rows = voters(ballot.id)
    rows[voted.email].has_voted = True
    db.session.get(Member, no_address.id).email = ""
    db.session.commit()

    mailing.send_batch(ballot.id, [v.id for v in rows.values()])

    db.session.expire_all()
    rows = {v.member_id: v for v in db.session.scalars(db.select(Voter))}
    assert [m["To"] for m in smtp.messages] == [f"{fine.name} <{fine.email}>"]
    assert rows[voted.id].email_status == EmailStatus.PENDING and rows[voted.id].sends == 0
    assert rows[no_address.id].email_status == EmailStatus.BOUNCED
    assert rows[no_address.id].email_error == "No e-mail address on the register"


def test_links_are_refused_before_the_roll_and_without_a_mail_server(client, login, world, app):
    draft = factories.member_ballot(world["conference"], title="Draft")
    login(world["admin"])

    response = client.post(
        page_of(draft, "/send"), data={"confirmed": "yes"}, follow_redirects=True
    )

    assert "Make the roll first: links go to the members on it." in response.get_data(as_text=True)
    app.config["MAIL_SERVER"] = None
    response = client.post(
        page_of(world["ballot"], "/send"), data={"confirmed": "yes"}, follow_redirects=True
    )
    assert "No mail server is configured" in response.get_data(as_text=True)
    assert {v.email_status for v in voters(world["ballot"].id).values()} == {EmailStatus.PENDING}


class TestBouncesReportedByTheRelay:
    def test_the_addresses_pasted_are_marked_bounced_and_strangers_named(
        self, client, login, world, smtp
    ):
        login(world["admin"])
        send_links(client, world["ballot"])
        first, second, _ = world["members"]

        response = client.post(
            page_of(world["ballot"], "/mail/bounced"),
            data={"addresses": f"{first.email.upper()}\n<{second.email}>, stranger@example.net"},
            follow_redirects=True,
        )

        page = response.get_data(as_text=True)
        assert "2 links recorded as bounced." in page
        assert "Not on this ballot&#39;s roll: stranger@example.net." in page
        rows = voters(world["ballot"].id)
        assert rows[first.email].email_status == EmailStatus.BOUNCED
        assert rows[first.email].email_error == "Reported back by the relay"
        assert rows[second.email].email_status == EmailStatus.BOUNCED
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "member_ballot.bounces_recorded")
        ).one()
        assert entry.after == {"bounced": 2, "not_on_roll": 1}

    def test_a_line_that_is_no_address_changes_nothing(self, client, login, world, smtp):
        login(world["admin"])
        send_links(client, world["ballot"])
        first = world["members"][0]

        response = client.post(
            page_of(world["ballot"], "/mail/bounced"),
            data={"addresses": f"{first.email}\nnot-an-address"},
        )

        assert response.status_code == 422
        assert (
            "Nothing was recorded. line 2: &#39;not-an-address&#39; is not an e-mail address."
            in response.get_data(as_text=True)
        )
        assert {v.email_status for v in voters(world["ballot"].id).values()} == {EmailStatus.SENT}
