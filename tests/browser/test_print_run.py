"""The committee starts a badge print run, watches the bar move, and downloads the PDF."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from confapp.credentials import services as credentials
from confapp.extensions import db
from confapp.models import Delegate, Role
from tests import factories
from tests.browser.readable import SIZES, assert_readable, keep_screenshot

# Six chunks of 16 rendered one after another (render.chunk_sizes): a run of a few seconds.
BADGES = 96


def _conference_with_badges(app, count: int) -> int:
    with app.app_context():
        conference = factories.conference()
        admin = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
        group = factories.group(conference, "Leeds", members=1000)
        for i in range(count):
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
        return conference.id


def _start_run(page: Page, conference_id: int) -> None:
    page.goto(f"/admin/conferences/{conference_id}/badges")
    page.get_by_label("Everyone with a live badge").check()
    page.get_by_role("button", name="Start print run").click()
    expect(page.get_by_role("heading", name="Print run #")).to_be_visible()


def test_the_bar_moves_while_the_run_renders_then_the_pdf_downloads(
    app, queue_worker, page: Page, log_in, tmp_path
):
    conference_id = _conference_with_badges(app, BADGES)
    log_in("chair@example.org")
    page.goto(f"/admin/conferences/{conference_id}/badges")
    expect(page.get_by_text(f"{BADGES} live badges not printed yet")).to_be_visible()
    _start_run(page, conference_id)

    # What the bar and the words show, sampled as the page polls the run's state.
    bar, words = page.locator("#job-progress"), page.locator("#job-status")
    seen: list[tuple[str | None, str]] = []
    deadline = time.monotonic() + 60
    while page.locator("#print-job").get_attribute("data-status") != "done":
        assert time.monotonic() < deadline, f"the run did not finish: {seen[-3:]}"
        seen.append((bar.get_attribute("value"), words.inner_text()))
        page.wait_for_timeout(50)
    between = {int(v) for v, _ in seen if v is not None and 0 < int(v) < BADGES}
    assert between, f"the bar went from nothing to full: {sorted(set(seen))}"
    assert any(w.startswith("Rendering pages: ") for _, w in seen), seen

    expect(words).to_have_text(f"Done: {BADGES} badges, ready to download.")
    expect(bar).to_have_attribute("value", str(BADGES))
    download_link = page.get_by_role("button", name="Download the PDF")
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / "badges.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    page.goto(f"/admin/conferences/{conference_id}/badges")
    expect(page.get_by_text("0 live badges not printed yet")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_print_run_pages_are_readable_at_every_size(app, queue_worker, page: Page, log_in, size):
    conference_id = _conference_with_badges(app, 3)
    page.set_viewport_size(SIZES[size])
    log_in("chair@example.org")
    _start_run(page, conference_id)
    expect(page.locator("#job-status")).to_have_text("Done: 3 badges, ready to download.")
    assert_readable(page)
    keep_screenshot(page, f"print-run-done-{size}")

    page.goto(f"/admin/conferences/{conference_id}/badges")
    expect(page.get_by_role("cell", name="Done: 3 badges, ready to download.")).to_be_visible()
    assert_readable(page)
    keep_screenshot(page, f"print-runs-{size}")
