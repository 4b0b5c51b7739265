"""Importing groups from a CSV file through the Import page: all rows or none."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from confapp.models import Role
from tests import factories
from tests.browser.readable import SIZES, assert_readable, keep_screenshot

HEADER = (
    "name,region,section,members,women_members,young_members,in_good_standing,secretary_email\n"
)
BAD = HEADER + (
    "Leeds,Yorkshire,Local groups,1000,120,30,yes,\n"
    "Bristol,South West,Local groups,-5,0,0,yes,\n"
    "Cardiff,Wales,Nowhere,1200,100,20,yes,\n"
)
GOOD = HEADER + (
    "Leeds,Yorkshire,Local groups,1000,120,30,yes,\n"
    "Bristol,South West,Local groups,600,50,10,yes,\n"
    "Cardiff,Wales,Affiliates,1200,100,20,no,\n"
)


def _upload(page: Page, text: str) -> None:
    page.get_by_label("Groups CSV file").set_input_files(
        {"name": "groups.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_role("button", name="Check and import").click()


def test_bad_file_imports_nothing_and_a_good_one_fills_the_list(app, page: Page, log_in):
    with app.app_context():
        conference = factories.conference()
        admin = factories.user(conf=conference, role=Role.ADMIN)
        conference_id, email = conference.id, admin.email

    log_in(email)
    expect(page.get_by_role("heading", name="Your conferences")).to_be_visible()
    page.get_by_role("link", name="Import groups from CSV").click()
    expect(page.get_by_role("heading", name="Import groups")).to_be_visible()

    _upload(page, BAD)
    expect(page.get_by_role("alert")).to_contain_text(
        "Nothing was imported: the file has 2 problems"
    )
    problems = page.locator("#problem-list li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text(
        "line 3 (Bristol), column members: must not be negative"
    )
    expect(problems.nth(1)).to_contain_text(
        "line 4 (Cardiff), column section: unknown section 'Nowhere'"
    )

    # All or nothing: even the good Leeds row was not added.
    page.get_by_role("link", name="Groups", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/conferences/{conference_id}/groups$"))
    table = page.locator("#groups-table")
    expect(table.locator("tbody")).to_have_text("No groups yet: import them from a CSV file.")
    expect(table.locator("tfoot td").first).to_have_text("0 groups")

    page.get_by_role("button", name="Import groups from CSV").click()  # a link styled as one
    _upload(page, GOOD)
    expect(page).to_have_url(re.compile(rf"/admin/conferences/{conference_id}/groups$"))
    expect(page.get_by_role("status")).to_have_text(
        "Imported: 3 groups added, 0 updated, 0 unchanged, 0 new secretary logins."
    )
    rows = table.locator("tbody tr")
    expect(rows.locator("td:first-child")).to_have_text(["Bristol", "Cardiff", "Leeds"])
    cardiff = rows.filter(has_text="Cardiff").locator("td")
    # Group, Region, Section, Members, Women, Young, Delegates, Card vote, Standing:
    # a group not in good standing sends no delegates and casts no card vote.
    expect(cardiff).to_have_text(
        ["Cardiff", "Wales", "Affiliates", "1,200", "100", "20", "0", "0", "not in good standing"]
    )
    expect(rows.filter(has_text="Leeds").locator("td").nth(6)).to_have_text("3 + 1")
    expect(rows.filter(has_text="Bristol").locator("td").nth(6)).to_have_text("1")
    expect(rows.filter(has_text="Leeds").locator("td").nth(7)).to_have_text("1,000")
    totals = table.locator("tfoot td")
    expect(totals.nth(0)).to_have_text("3 groups")
    expect(totals.nth(3)).to_have_text("2,800")
    expect(totals.nth(6)).to_have_text("5")  # Leeds 3 + 1, Bristol 1
    expect(totals.nth(7)).to_have_text("1,600")


def test_the_sample_file_downloads_and_imports_as_it_is(app, page: Page, log_in, tmp_path):
    with app.app_context():
        conference = factories.conference()
        admin = factories.user(conf=conference, role=Role.ADMIN)
        conference_id, email = conference.id, admin.email

    log_in(email)
    page.goto(f"/admin/conferences/{conference_id}/groups/import")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download a sample file").click()
    sample = tmp_path / info.value.suggested_filename
    info.value.save_as(sample)
    assert sample.name.endswith("-groups-sample.csv")

    page.get_by_label("Groups CSV file").set_input_files(sample)
    page.get_by_role("button", name="Check and import").click()
    expect(page.get_by_role("status")).to_have_text(
        "Imported: 2 groups added, 0 updated, 0 unchanged, 0 new secretary logins."
    )


@pytest.mark.parametrize("size", SIZES)
def test_import_pages_with_their_problems_are_readable_at_every_size(app, page: Page, log_in, size):
    with app.app_context():
        conference = factories.conference()
        admin = factories.user(conf=conference, role=Role.ADMIN)
        factories.group(conference, "Leeds", members=1000)
        conference_id, email = conference.id, admin.email

    page.set_viewport_size(SIZES[size])
    log_in(email)
    page.goto(f"/admin/conferences/{conference_id}/groups/import")
    _upload(page, BAD.replace(",", ";"))  # as a spreadsheet in many locales saves it
    expect(page.locator("#problem-list li")).to_contain_text(
        ["columns are separated by ';', expected ','. Save the sheet again with commas"]
    )
    assert_readable(page)
    keep_screenshot(page, f"import-groups-semicolons-{size}")
    _upload(page, BAD)
    expect(page.locator("#problem-list li")).to_have_count(2)
    assert_readable(page)
    keep_screenshot(page, f"import-groups-problems-{size}")

    page.goto(f"/admin/conferences/{conference_id}/delegates/import")
    page.get_by_label("Delegates CSV file").set_input_files(
        {
            "name": "delegates.csv",
            "mimeType": "text/csv",
            "buffer": b"group,name,email\nLeeds,Ann Jones,ann@example.org\nLeds,Bob,bob@x\n",
        }
    )
    page.get_by_role("button", name="Check and import").click()
    expect(page.get_by_role("heading", name="Nothing was imported.")).to_contain_text(
        "Fix these 2 problems"
    )
    expect(page.locator("#problem-list li").first).to_contain_text("line 3 (Leds), column email")
    assert_readable(page)
    keep_screenshot(page, f"import-delegates-problems-{size}")
