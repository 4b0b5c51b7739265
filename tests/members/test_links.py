"""For members, without a login: "send my link again" and "check I can vote".

Neither page says whether a membership number exists: a number nobody holds, a wrong e-mail
and a member on no roll all get the same answer. Both are rate-limited per address and per
membership number.
"""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from confapp import factories
from confapp.extensions import db
from confapp.members import link_pages
from confapp.members.codes import hash_code
from confapp.models import AuditEntry, EmailStatus, Voter
from tests.conftest import make_app
from tests.smtp import LINK, SmtpServer

ON_ITS_WAY = "If these match a member on the roll of an open ballot, a new link is on its way."


@pytest.fixture
def app_config():
    """Queued tasks run at once, in the request that queued them."""
    return {"QUEUE_IMMEDIATE": True}


@pytest.fixture
def world(db):
    """Ann and Bob of Leeds; Ann is on an open ballot and one not yet open, not a draft's."""
    conference = factories.conference()
    leeds = factories.group(conference, "Leeds")
    ann, bob = factories.members(conference, [leeds], per_group=2)
    ann.number, ann.email, ann.name = "L0001", "ann@leeds.example.org", "Ann Jones"
    bob.number, bob.email = "L0002", "bob@leeds.example.org"
    db.session.commit()
    open_now = factories.member_ballot(conference, title="Referendum", phase="open")
    upcoming = factories.member_ballot(conference, title="Committee election", phase="roll")
    closed = factories.member_ballot(conference, title="Last year", phase="closed")
    factories.member_ballot(conference, title="Still a draft")
    return {
        "ann": ann,
        "bob": bob,
        "open": open_now,
        "upcoming": upcoming,
        "closed": closed,
    }


def text(response) -> str:
    return response.get_data(as_text=True)


def voter(ballot, member) -> Voter:
    db.session.expire_all()
    return db.session.scalars(
        db.select(Voter).where(Voter.ballot_id == ballot.id, Voter.member_id == member.id)
    ).one()


def answer(page: str) -> str:
    """The page's own content: what it said, without the form's CSRF token."""
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", main)


# ---- send my link again ----------------------------------------------------------------------


def test_a_member_gets_a_new_link_for_each_ballot_they_can_still_vote_in(client, world, smtp):
    response = client.post(
        "/members/link",
        data={"number": " l0001 ", "email": "Ann@Leeds.Example.org"},
        follow_redirects=True,
    )

    assert ON_ITS_WAY in text(response)
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert subjects == [
        "Your voting link: Committee election",
        "Your voting link: Referendum",
    ]
    for message in smtp.messages:
        title = message["Subject"].removeprefix("Your voting link: ")
        ballot = world["open"] if title == "Referendum" else world["upcoming"]
        code = LINK.search(message.get_content()).group(1)
        row = voter(ballot, world["ann"])
        assert row.code_hash == hash_code(code)
        assert row.email_status == EmailStatus.SENT and row.sends == 1
    # The log says a link was asked for, and names no member.
    summaries = db.session.scalars(
        db.select(AuditEntry.summary).where(AuditEntry.action == "member_ballot.link_asked_again")
    ).all()
    assert sorted(summaries) == [
        "A member asked for their voting link for Committee election again",
        "A member asked for their voting link for Referendum again",
    ]


def test_asking_again_replaces_the_earlier_link(client, world, smtp):
    details = {"number": "L0001", "email": "ann@leeds.example.org"}
    client.post("/members/link", data=details)
    first = voter(world["open"], world["ann"]).code_hash

    client.post("/members/link", data=details)

    again = voter(world["open"], world["ann"])
    assert again.code_hash != first and again.sends == 2


@pytest.mark.parametrize(
    "details",
    [
        {"number": "L9999", "email": "ann@leeds.example.org"},  # nobody holds the number
        {"number": "L0001", "email": "someone@else.example.org"},  # not Ann's address
        {"number": "L0002", "email": "ann@leeds.example.org"},  # Bob's number, Ann's address
    ],
)
def test_details_that_do_not_match_get_the_same_answer_and_no_mail(client, world, smtp, details):
    matching = client.post(
        "/members/link",
        data={"number": "L0001", "email": "ann@leeds.example.org"},
        follow_redirects=True,
    )
    smtp.messages.clear()

    response = client.post("/members/link", data=details, follow_redirects=True)

    assert answer(text(response)) == answer(text(matching))
    assert smtp.messages == []


def test_who_has_voted_gets_no_new_link_for_that_ballot(client, world, smtp):
    row = voter(world["open"], world["ann"])
    row.has_voted = True
    db.session.commit()

    client.post("/members/link", data={"number": "L0001", "email": "ann@leeds.example.org"})

    assert [m["Subject"] for m in smtp.messages] == ["Your voting link: Committee election"]


# ---- check I can vote ------------------------------------------------------------------------


def test_a_member_sees_each_ballot_they_are_on_and_whether_their_link_went(client, world, smtp):
    client.post("/members/link", data={"number": "L0001", "email": "ann@leeds.example.org"})
    row = voter(world["upcoming"], world["ann"])
    row.email_status, row.sends, row.emailed_at, row.code_hash = EmailStatus.PENDING, 0, None, None
    db.session.commit()

    response = client.post(
        "/members/check", data={"number": "L0001", "email": "ann@leeds.example.org"}
    )

    page = text(response)
    assert response.status_code == 200
    found = page[page.index('id="check-answer"') :]
    assert "Referendum" in found and "Committee election" in found
    assert "Last year" not in found and "Still a draft" not in found
    referendum = found[found.index("Referendum") : found.index("</li>")]
    assert "You are on the roll. Voting is open until" in referendum
    assert "Your link: Sent on" in referendum
    election = found[found.index("Committee election") :].split("</li>")[0]
    assert "Voting opens" in election
    assert "Not sent yet: links go out before voting opens." in election
    # The page never shows a voting code or link.
    assert "/vote/" not in page


@pytest.mark.parametrize(
    "details",
    [
        {"number": "L9999", "email": "ann@leeds.example.org"},
        {"number": "L0001", "email": "someone@else.example.org"},
    ],
)
def test_checking_details_that_match_nobody_reads_as_a_member_on_no_roll(client, world, details):
    nobody = client.post("/members/check", data=details)
    # Bob is a member, but a ballot he is on is needed: he is on the open one. Take him off.
    db.session.execute(db.delete(Voter).where(Voter.member_id == world["bob"].id))
    db.session.commit()
    on_no_roll = client.post(
        "/members/check", data={"number": "L0002", "email": "bob@leeds.example.org"}
    )

    assert str(escape(link_pages.NOTHING_FOUND)) in text(nobody)
    page, other = answer(text(nobody)), answer(text(on_no_roll))
    # The same answer but for the details echoed back in the form.
    for typed in (*details.values(), "L0002", "bob@leeds.example.org"):
        page, other = page.replace(typed, ""), other.replace(typed, "")
    assert page == other


def test_an_empty_form_says_what_is_missing(client, world):
    response = client.post("/members/check", data={"number": "", "email": ""})

    assert response.status_code == 422
    assert text(response).count("This field is required.") == 2


# ---- rate limits -----------------------------------------------------------------------------


@pytest.fixture
def limited(database, tmp_path):
    """An app with rate limits on: 3 an hour from one address and for one membership number."""
    app = make_app(
        database,
        tmp_path,
        RATELIMIT_ENABLED=True,
        MEMBER_LINK_RATE_LIMIT="3 per hour",
        MEMBER_NUMBER_RATE_LIMIT="3 per hour",
        QUEUE_IMMEDIATE=True,
    )
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def ask(app, path: str, number: str, address: str):
    with app.app_context():
        return app.test_client().post(
            path,
            data={"number": number, "email": "x@example.org"},
            environ_base={"REMOTE_ADDR": address},
        )


@pytest.mark.parametrize("path", ["/members/link", "/members/check"])
def test_one_address_is_held_up_after_its_attempts(limited, path):
    answers = [ask(limited, path, f"N{n}", "198.51.100.7").status_code for n in range(4)]

    assert 429 not in answers[:3] and answers[3] == 429
    assert ask(limited, path, "N9", "198.51.100.8").status_code != 429  # another address


@pytest.mark.parametrize("path", ["/members/link", "/members/check"])
def test_one_membership_number_is_held_up_whatever_the_address(limited, path):
    answers = [ask(limited, path, " m0001", f"203.0.113.{n}").status_code for n in range(3)]
    fourth = ask(limited, path, "M0001 ", "203.0.113.99")

    assert 429 not in answers
    assert fourth.status_code == 429
    assert "Too many attempts in a short time. Wait an hour and try again." in fourth.get_data(
        as_text=True
    )
    assert ask(limited, path, "M0002", "203.0.113.99").status_code != 429


def test_nothing_is_sent_once_the_limit_is_reached(limited):
    with limited.app_context():
        conference = factories.conference()
        group = factories.group(conference, "Leeds")
        (member,) = factories.members(conference, [group], per_group=1)
        ballot = factories.member_ballot(conference, phase="roll")
        server = SmtpServer(limited)
        server.start()
        number, email, ballot_id = member.number, member.email, ballot.id
    try:
        for n in range(3):
            with limited.app_context():
                limited.test_client().post(
                    "/members/link",
                    data={"number": number, "email": email},
                    environ_base={"REMOTE_ADDR": f"192.0.2.{n}"},
                )
        with limited.app_context():
            refused = limited.test_client().post(
                "/members/link",
                data={"number": number, "email": email},
                environ_base={"REMOTE_ADDR": "192.0.2.50"},
            )
            sends = db.session.scalar(db.select(Voter.sends).where(Voter.ballot_id == ballot_id))
    finally:
        server.stop()

    assert refused.status_code == 429
    assert len(server.inbox.messages) == 3 and sends == 3


def test_the_login_page_shows_members_where_to_get_their_link(client, db):
    page = client.get("/login").get_data(as_text=True)

    assert 'href="/members/link"' in page and "Send me my voting link again" in page
    assert 'href="/members/check"' in page and "Check I can vote" in page
