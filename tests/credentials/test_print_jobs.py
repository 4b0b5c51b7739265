"""The committee's print runs: what they select, their progress, their PDF, the audit log."""

from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa

from confapp import factories
from confapp.credentials import services as credentials
from confapp.extensions import db
from confapp.models import AuditEntry, Credential, Delegate, PrintJob, Role


@pytest.fixture
def app_config():
    return {"QUEUE_IMMEDIATE": True}  # each run done in the request that starts it


def _person(conference, group, name, pass_type="delegate", admin=None):
    return factories.approved_person(conference, group, name, pass_type, actor=admin)


@pytest.fixture
def people(conference):
    admin = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
    leeds = factories.group(conference, "Leeds", members=1000)
    york = factories.group(conference, "York", members=800)
    return {
        "admin": admin,
        "leeds": leeds,
        "york": york,
        "ann": _person(conference, leeds, "Ann Jones", admin=admin),
        "amy": _person(conference, leeds, "Amy Alt", "alternate", admin=admin),
        "dan": _person(conference, york, "Dan Brown", admin=admin),
    }


def _pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def _start(client, conference, **form):
    return client.post(f"/admin/conferences/{conference.id}/badges", data=form)


def test_a_run_renders_marks_printed_and_is_logged(client, conference, people, login):
    login(people["admin"])
    response = _start(client, conference, kind="badges", scope="all", layout="a6")
    assert response.status_code == 302
    job = db.session.execute(sa.select(PrintJob)).scalar_one()
    state = client.get(f"/admin/conferences/{conference.id}/print-jobs/{job.id}.json").json
    assert state == {
        "id": job.id,
        "status": "done",
        "done": 3,
        "total": 3,
        "error": "",
        "words": "Done: 3 badges, ready to download.",
    }
    pdf = client.get(f"/admin/conferences/{conference.id}/print-jobs/{job.id}.pdf")
    assert pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data)
    assert "Ann Jones" in text and "Amy Alt" in text and "Dan Brown" in text
    db.session.expire_all()
    assert all(c.printed_at for c in db.session.execute(sa.select(Credential)).scalars())
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "badges.print")
    ).scalar_one()
    assert entry.actor == "chair@example.org" and entry.after["count"] == 3


def test_only_new_prints_what_was_not_printed_or_was_reissued(client, conference, people, login):
    login(people["admin"])
    _start(client, conference, kind="badges", scope="all", layout="a4-8up")
    credentials.issue(db.session.get(Delegate, people["dan"].id), people["admin"], "lost badge")
    db.session.commit()
    _start(client, conference, kind="badges", scope="new", layout="a4-8up")
    second = db.session.execute(sa.select(PrintJob).order_by(PrintJob.id.desc())).scalars().first()
    assert second.total == 1
    assert "Dan Brown" in _pdf_text(
        client.get(f"/admin/conferences/{conference.id}/print-jobs/{second.id}.pdf").data
    )
    page = client.post(
        f"/admin/conferences/{conference.id}/badges",
        data={"kind": "badges", "scope": "new", "layout": "a4-8up"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Nothing to print" in page


def test_one_group_and_card_vote_cards(client, conference, people, login):
    login(people["admin"])
    _start(
        client, conference, kind="badges", scope="group", group_id=people["york"].id, layout="a6"
    )
    job = db.session.execute(sa.select(PrintJob)).scalar_one()
    assert job.total == 1
    _start(client, conference, kind="cards", scope="all", layout="a4-8up")
    cards = db.session.execute(sa.select(PrintJob).where(PrintJob.kind == "cards")).scalar_one()
    assert cards.total == 2  # the two delegations with a voting delegate (not the alternate)
    text = _pdf_text(
        client.get(f"/admin/conferences/{conference.id}/print-jobs/{cards.id}.pdf").data
    )
    assert "Ann Jones" in text and "1,000" in text and "Amy Alt" not in text


def test_a_failed_run_says_why(client, conference, people, login, monkeypatch):
    login(people["admin"])

    def broken(*args, **kwargs):
        raise RuntimeError("printer font missing")

    monkeypatch.setattr("confapp.credentials.render.render_badges", broken)
    _start(client, conference, kind="badges", scope="all", layout="a6")
    job = db.session.execute(sa.select(PrintJob)).scalar_one()
    state = client.get(f"/admin/conferences/{conference.id}/print-jobs/{job.id}.json").json
    assert state["status"] == "failed" and "printer font missing" in state["error"]
    assert (
        client.get(f"/admin/conferences/{conference.id}/print-jobs/{job.id}.pdf").status_code == 404
    )


def test_the_secretary_downloads_only_their_groups_badges(client, conference, people, login):
    leeds, york = people["leeds"], people["york"]
    login(factories.user(conf=conference, role=Role.SECRETARY, group=leeds))
    pdf = client.get(f"/groups/{leeds.id}/badges.pdf")
    assert pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data)
    assert "Ann Jones" in text and "Dan Brown" not in text
    assert client.get(f"/groups/{york.id}/badges.pdf").status_code == 404


def test_a_secretary_cannot_start_print_runs(client, conference, people, login):
    login(factories.user(conf=conference, role=Role.SECRETARY, group=people["leeds"]))
    assert _start(client, conference, kind="badges", scope="all").status_code == 403
    assert db.session.execute(sa.select(PrintJob)).first() is None


def test_one_badge_prints_at_once_and_is_marked(client, conference, people, login):
    login(people["admin"])
    dan = people["dan"]
    pdf = client.post(f"/admin/conferences/{conference.id}/people/{dan.id}/badge.pdf")
    assert pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data)
    assert "Dan Brown" in text and "Ann Jones" not in text
    db.session.expire_all()
    printed = {
        c.delegate_id: c.printed_at for c in db.session.execute(sa.select(Credential)).scalars()
    }
    assert printed[dan.id] is not None and printed[people["ann"].id] is None
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "badges.print")
    ).scalar_one()
    assert entry.after["delegate_id"] == dan.id


def test_the_conference_chooses_its_badge_layout(client, conference, people, login):
    conference.badge_layout = "a6"
    db.session.commit()
    login(factories.user(conf=conference, role=Role.SECRETARY, group=people["leeds"]))
    pdf = client.get(f"/groups/{people['leeds'].id}/badges.pdf").data
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    assert b"297.638 x 419.528 pts" in info  # A6 (105 x 148 mm)


# ---- progress in the database, and what the page says ------------------------------------


def test_progress_is_written_to_the_database_in_several_steps(client, conference, people, login):
    for n in range(37):  # with the 3 people: 40 badges, rendered 16 at a time
        _person(conference, people["york"], f"Visitor {n:02d}", "visitor", admin=people["admin"])
    written: list[tuple[str, int, int]] = []

    def keep(mapper, connection, job):
        # Read back from the database, inside the write's own transaction: what any worker
        # answering the page's poll reads once it is committed.
        row = connection.execute(
            sa.select(PrintJob.status, PrintJob.done, PrintJob.total).where(PrintJob.id == job.id)
        ).one()
        written.append(tuple(row))

    sa.event.listen(PrintJob, "after_update", keep)
    try:
        login(people["admin"])
        _start(client, conference, kind="badges", scope="all", layout="a4-8up")
    finally:
        sa.event.remove(PrintJob, "after_update", keep)

    running = [done for status, done, total in written if status == "running"]
    assert [done for done in running if done] == [16, 32, 40]
    assert running == sorted(running) and running[0] == 0
    assert written[-1] == ("done", 40, 40)


def test_the_page_says_in_words_what_the_run_is_doing(client, conference, people, login):
    from confapp.credentials import jobs

    login(people["admin"])
    job = jobs.create(conference, people["admin"])
    db.session.commit()
    url = f"/admin/conferences/{conference.id}/print-jobs/{job.id}"
    assert "Waiting to start: 3 badges." in client.get(url).get_data(as_text=True)
    job.status = "running"
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Preparing 3 badges: names, QR codes, fonts…" in page
    assert 'value="' not in page.split('id="job-progress"')[1].split(">")[0]  # not a figure yet
    job.done = 1
    db.session.commit()
    assert client.get(f"{url}.json").json["words"] == "Rendering pages: 1 of 3 badges done…"
    job.done = 3
    db.session.commit()
    assert client.get(f"{url}.json").json["words"] == "Putting the pages of 3 badges into one PDF…"


# ---- card-vote cards: block mode prints the delegation's vote once --------------------------


def _cards_run(client, conference, **form) -> tuple[PrintJob, str]:
    _start(client, conference, kind="cards", layout="a4-8up", **{"scope": "all", **form})
    job = (
        db.session.execute(
            sa.select(PrintJob).where(PrintJob.kind == "cards").order_by(PrintJob.id.desc())
        )
        .scalars()
        .first()
    )
    pdf = client.get(f"/admin/conferences/{conference.id}/print-jobs/{job.id}.pdf").data
    return job, " ".join(_pdf_text(pdf).split())


def test_block_mode_prints_one_card_per_delegation_with_its_vote_once(
    client, conference, people, login
):
    admin, leeds = people["admin"], people["leeds"]
    bea = _person(conference, leeds, "Bea Khan", admin=admin)
    _person(conference, leeds, "Cy Owen", admin=admin)
    login(admin)

    job, text = _cards_run(client, conference)

    assert job.total == 2  # Leeds (3 delegates) and York (1): one card each
    assert text.count("1,000") == 1  # Leeds's card vote, printed once
    assert "Ann Jones" in text  # Leeds's card: its first delegate registered holds it
    assert "Bea Khan" not in text and "Cy Owen" not in text
    assert "VOTES · THE WHOLE DELEGATION" in text
    assert "The delegation's only card, for its 3 delegates: count it once." in text
    assert "The delegation's only card: count it once." in text  # York's one delegate

    # A reprint of Leeds's cards after a reissue is the same one card, never a second one.
    credentials.issue(db.session.get(Delegate, bea.id), admin, "lost badge")
    db.session.commit()
    again, text = _cards_run(client, conference, scope="group", group_id=leeds.id)
    assert again.total == 1 and text.count("1,000") == 1 and "Ann Jones" in text


def test_split_mode_prints_a_card_per_delegate_that_says_it_votes_a_share(
    client, conference, people, login
):
    conference.card_vote_rule = {**(conference.card_vote_rule or {}), "mode": "split"}
    _person(conference, people["leeds"], "Bea Khan", admin=people["admin"])
    db.session.commit()
    login(people["admin"])

    job, text = _cards_run(client, conference)

    assert job.total == 3 and "Ann Jones" in text and "Bea Khan" in text
    assert text.count("VOTES OF THE DELEGATION") == 3
    assert text.count("this card votes one share") == 3
