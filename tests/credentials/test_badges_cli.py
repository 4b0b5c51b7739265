"""`flask badges`: a conference's (or a group's) badges to a PDF, marked printed, on the log."""

from __future__ import annotations

import io
import subprocess

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from confapp import factories
from confapp.credentials import codes
from confapp.credentials import services as credentials
from confapp.credentials.cli import badges
from confapp.extensions import db
from confapp.models import AuditEntry, Credential
from tests.credentials.test_render import approved


@pytest.fixture
def groups(conference):
    leeds = factories.group(conference, "Leeds", members=1000)
    mon = factories.group(conference, "Ynys Môn", members=400)
    people = [
        approved(conference, leeds, "Siân Llewelyn", "delegate", 1),
        approved(conference, leeds, "Seán Ó Briain", "alternate", 2),
        approved(conference, leeds, "欧阳娜娜", "visitor", 3),
        approved(conference, mon, "Zofia Łukasiewicz", "delegate", 4),
        approved(conference, mon, "محمد الهاشمي", "press", 5),
    ]
    return leeds, mon, people


def run(app, *args):
    """The command as `flask --app confapp badges ...` runs it."""
    result = app.test_cli_runner().invoke(badges, list(args))
    db.session.expire_all()
    return result


def printed(conference) -> dict[str, bool]:
    """Live code -> whether it is marked printed."""
    rows = db.session.execute(
        sa.select(Credential.code, Credential.printed_at).where(
            Credential.conference_id == conference.id, Credential.revoked_at.is_(None)
        )
    )
    return {code: when is not None for code, when in rows}


def runs(conference) -> list[AuditEntry]:
    return list(
        db.session.execute(
            sa.select(AuditEntry)
            .where(AuditEntry.conference_id == conference.id, AuditEntry.action == "badges.print")
            .order_by(AuditEntry.id)
        ).scalars()
    )


def pdf_text(path) -> str:
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


def pages(path) -> int:
    return len(PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_prints_every_live_badge_marks_them_and_logs_the_run(app, conference, groups, tmp_path):
    out = tmp_path / "badges.pdf"

    result = run(app, conference.slug, "--out", str(out))

    assert result.exit_code == 0, result.output
    assert "5 badges" in result.output and "Rendering" in result.output
    assert pages(out) == 1  # a4-8up, the conference's layout: five on one sheet
    text = pdf_text(out)
    for name in ("Siân Llewelyn", "Seán Ó Briain", "欧阳娜娜", "Zofia Łukasiewicz"):
        assert name in text
    assert all(printed(conference).values())
    (entry,) = runs(conference)
    assert entry.entity_type == "Conference" and entry.entity_id == conference.id
    assert entry.actor == "command line"
    assert entry.after["count"] == 5 and entry.after["layout"] == "a4-8up"
    assert entry.after["scope"] == "all" and entry.after["group"] is None
    assert "5 badges" in entry.summary


def test_a_group_in_a6(app, conference, groups, tmp_path):
    leeds, mon, people = groups
    out = tmp_path / "leeds.pdf"

    result = run(app, str(conference.id), "--out", str(out), "--group", "leeds", "--layout", "a6")

    assert result.exit_code == 0, result.output
    assert pages(out) == 3  # one A6 sheet each
    text = pdf_text(out)
    assert "Siân Llewelyn" in text and "Zofia" not in text
    marked = printed(conference)
    leeds_codes = {credentials.live_credential(p).code for p in people[:3]}
    assert {code for code, done in marked.items() if done} == leeds_codes
    (entry,) = runs(conference)
    assert entry.after == {
        "count": 3,
        "layout": "a6",
        "scope": "all",
        "group": "Leeds",
        "file": "leeds.pdf",
    }


def test_only_new_prints_what_came_since_and_says_when_nothing_did(
    app, conference, groups, tmp_path
):
    leeds, mon, people = groups
    assert run(app, conference.slug, "--out", str(tmp_path / "all.pdf")).exit_code == 0

    again = run(app, conference.slug, "--out", str(tmp_path / "again.pdf"), "--only-new")

    assert again.exit_code == 0, again.output
    assert "Nothing new to print" in again.output
    assert not (tmp_path / "again.pdf").exists()
    assert len(runs(conference)) == 1

    # A lost badge is reissued and a newcomer approved: those two, and only those, are new.
    credentials.issue(people[3], None, "lost badge")
    newcomer = approved(conference, mon, "Cai Rhys", "delegate", 6)
    db.session.commit()
    out = tmp_path / "new.pdf"

    result = run(app, conference.slug, "--out", str(out), "--only-new")

    assert result.exit_code == 0, result.output
    assert "2 badges" in result.output
    text = pdf_text(out)
    assert "Cai Rhys" in text and "Zofia Łukasiewicz" in text and "Siân" not in text
    assert all(printed(conference).values())
    entry = runs(conference)[-1]
    assert entry.after["count"] == 2 and entry.after["scope"] == "new"
    assert credentials.live_credential(newcomer).printed_at is not None


def test_revoked_codes_are_not_printed(app, conference, groups, tmp_path):
    leeds, mon, people = groups
    old = credentials.live_credential(people[0]).code
    credentials.issue(people[0], None, "lost badge")
    db.session.commit()
    out = tmp_path / "badges.pdf"

    assert run(app, conference.slug, "--out", str(out)).exit_code == 0

    text = pdf_text(out)
    assert codes.display(old) not in text
    assert codes.display(credentials.live_credential(people[0]).code) in text
    assert old not in printed(conference)
    revoked = db.session.execute(sa.select(Credential).where(Credential.code == old)).scalar_one()
    assert revoked.printed_at is None


def test_unknown_conference_lists_the_conferences(app, conference, groups, tmp_path):
    result = run(app, "no-such-conference", "--out", str(tmp_path / "x.pdf"))

    assert result.exit_code != 0
    assert "no conference 'no-such-conference'" in result.output
    assert conference.slug in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_unknown_group_or_layout_or_folder_changes_nothing(app, conference, groups, tmp_path):
    unknown_group = run(app, conference.slug, "--out", str(tmp_path / "x.pdf"), "--group", "Hull")
    unknown_layout = run(app, conference.slug, "--out", str(tmp_path / "x.pdf"), "--layout", "a5")
    no_folder = run(app, conference.slug, "--out", str(tmp_path / "nowhere" / "x.pdf"))

    assert unknown_group.exit_code != 0 and "no group named 'Hull'" in unknown_group.output
    assert unknown_layout.exit_code != 0 and "a4-8up" in unknown_layout.output
    assert no_folder.exit_code != 0 and "no folder" in no_folder.output
    assert not any(printed(conference).values())
    assert runs(conference) == []


def test_the_help_says_what_it_does(app):
    result = app.test_cli_runner().invoke(badges, ["--help"])
    assert "Print the live badges of CONFERENCE" in result.output
    assert "--only-new" in result.output and "a4-8up" in result.output
