"""A teller types papers from the keyboard alone; the sheets compared; readable at every size."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from confapp import factories
from confapp.elections import entries
from confapp.extensions import db
from confapp.models import Role
from tests.browser.readable import SIZES, assert_readable, keep_screenshot

PAPERS = ["3 1 4 2", "1 2", "2,3", "4-1-3", "1", "3 2", "2 4 1", "1 3", "4", "2 1"]


@pytest.fixture
def world(db):
    conference = factories.conference()
    election = factories.election(conference, ["Asha", "Bryn", "Cerys", "Dev"], papers=[1] * 12)
    teller = factories.user("teller.one@example.org", conf=conference, role=Role.TELLER)
    other = factories.user("teller.two@example.org", conf=conference, role=Role.TELLER)
    admin = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
    return election, teller, other, admin


def test_a_teller_enters_ten_papers_from_the_keyboard(page, world, log_in):
    election, teller, _, _ = world
    page.set_viewport_size(SIZES["laptop"])
    log_in(teller.email)
    page.goto(f"/conferences/{election.conference_id}/elections/{election.id}/enter?sheet=1")

    for number, typed in enumerate(PAPERS, start=1):
        expect(page.locator("#paper")).to_be_focused()
        page.keyboard.type(str(number))
        page.keyboard.press("Enter")
        expect(page.locator("#preferences")).to_be_focused()
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
        expect(page.locator(".flash-success")).to_contain_text(f"Paper {number} entered")

    expect(page.locator(".flash-success")).to_have_text("Paper 10 entered: 1 Bryn, 2 Asha.")
    expect(page.locator(".el-head p")).to_contain_text("10 of 12 papers entered")
    db.session.expire_all()
    assert {n: e.preferences for n, e in entries.current_entries(election, 1).items()} == {
        n: " ".join(t.replace(",", " ").replace("-", " ").split())
        for n, t in enumerate(PAPERS, start=1)
    }
    assert_readable(page)
    keep_screenshot(page, "elections-enter-laptop")


def test_the_sheet_and_the_comparison_are_readable_on_a_phone_and_laptop(page, world, log_in):
    election, teller, other, admin = world
    for number, typed in enumerate(PAPERS, start=1):
        entries.enter_paper(election, teller, 1, number, typed)
        entries.enter_paper(election, other, 2, number, "2 1" if number == 4 else typed)
    db.session.commit()
    log_in(teller.email)  # tellers compare the sheets too; the sheet shown is their own
    base = f"/conferences/{election.conference_id}/elections/{election.id}"
    for size in ("phone", "laptop"):
        page.set_viewport_size(SIZES[size])
        page.goto(f"{base}/reconcile")
        expect(page.locator("#differs")).to_contain_text("1 Dev, 2 Asha, 3 Cerys")
        expect(page.locator("#count-blocked")).to_contain_text("do not agree on 1 paper (4)")
        assert_readable(page)
        keep_screenshot(page, f"elections-reconcile-{size}")
        page.goto(f"{base}/enter?sheet=1")
        assert_readable(page)
        keep_screenshot(page, f"elections-enter-{size}")


def test_declaring_asks_first_and_cancel_changes_nothing(page, world, log_in):
    election, teller, other, admin = world
    for number, typed in enumerate(PAPERS, start=1):
        entries.enter_paper(election, teller, 1, number, typed)
        entries.enter_paper(election, other, 2, number, typed)
    db.session.commit()
    log_in(admin.email)
    page.goto(f"/conferences/{election.conference_id}/elections/{election.id}/reconcile")
    page.locator("#run-count").click()
    page.get_by_role("button", name="Yes, run the count").click()
    expect(page.locator("#result")).to_contain_text("Counted")

    page.locator("#declare").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Declare the result of National committee?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("#result")).to_contain_text("not yet declared")

    page.locator("#declare").click()
    page.get_by_role("button", name="Yes, declare").click()
    expect(page.locator("#result")).to_contain_text("Declared")
    assert_readable(page)
    keep_screenshot(page, "elections-declared-laptop")
