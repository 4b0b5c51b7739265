"""The committee starts a badge print run and downloads the PDF when the progress bar is full."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from confapp.credentials import services as credentials
from confapp.extensions import db
from confapp.models import Delegate, Role
from tests import factories

BADGES = 12


def test_print_run_progress_then_download(app, page: Page, log_in, tmp_path):
    with app.app_context():
        conference = factories.conference()
        admin = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
        group = factories.group(conference, "Leeds", members=1000)
        for i in range(BADGES):
            person = Delegate(
                conference_id=conference.id,
                group_id=group.id,
                pass_type="visitor",
                name=f"Visitor {i:02d}",
                email=f"visitor{i}@example.org",
                status="approved",
            )
            db.session.add(person)
            db.session.flush()
            credentials.issue(person, admin)
        db.session.commit()
        conference_id = conference.id

    log_in("chair@example.org")
    page.goto(f"/admin/conferences/{conference_id}/badges")
    expect(page.get_by_text(f"{BADGES} live badges not printed yet")).to_be_visible()
    page.get_by_label("Everyone with a live badge").check()
    page.get_by_role("button", name="Start print run").click()

    expect(page.get_by_role("heading", name="Print run #")).to_be_visible()
    download_link = page.get_by_role("button", name="Download the PDF")
    expect(download_link).to_be_visible(timeout=30_000)
    expect(page.locator("#job-status")).to_have_text(f"Done: {BADGES} printed.")
    expect(page.locator("#job-progress")).to_have_attribute("value", str(BADGES))
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / "badges.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    page.goto(f"/admin/conferences/{conference_id}/badges")
    expect(page.get_by_text("0 live badges not printed yet")).to_be_visible()
