"""The committee's register and figures pages in the browser: read at every size, an import
refused line by line then accepted, and the switch to the register's figures through its dialog."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from confapp import factories
from confapp.members import figures
from confapp.models import Member, Role
from tests.browser.readable import SIZES, assert_readable, keep_screenshot

GROUPS = {"Leeds": 1000, "York": 3, "Bradford and District Trades Council": 2}


@pytest.fixture
def world(db):
    """Three groups, a register of 62 members (two lapsed, one in arrears) and the committee."""
    conference = factories.conference("Annual Conference 2027")
    conference.membership_as_at = date(2026, 1, 1)
    groups = {
        name: factories.group(conference, name, members=n, women_members=min(n, 120))
        for name, n in GROUPS.items()
    }
    rows = []
    for n in range(1, 63):
        group = list(groups.values())[n % 3]
        rows.append(
            Member(
                conference_id=conference.id,
                number=f"LGN{n:06d}",
                name=f"Member Number {n}",
                email=f"member.number.{n}@branch-{group.id}.example.org",
                group_id=group.id,
                joined_on=date(2020, 1, 1),
                in_good_standing=n != 7,
                left_on=date(2025, 6, 1) if n in (5, 9) else None,
                attributes={"woman": n % 2 == 0, "young": n % 5 == 0},
            )
        )
    db.session.add_all(rows)
    db.session.commit()
    figures.refresh(conference)
    db.session.commit()
    admin = factories.user("committee@example.org", conf=conference, role=Role.ADMIN)
    return {"conference_id": conference.id, "email": admin.email}


@pytest.mark.parametrize("size", SIZES)
def test_the_register_and_figures_read_at_every_size(page: Page, world, log_in, size):
    page.set_viewport_size(SIZES[size])
    log_in(world["email"])
    base = f"/conferences/{world['conference_id']}/members"

    page.goto(base)
    expect(page.get_by_role("heading", name="Member register")).to_be_visible()
    expect(page.locator("#register-counts")).to_contain_text("59 in good standing")
    expect(page.locator("#register-counts")).to_contain_text("1 in arrears")
    expect(page.locator("#register-counts")).to_contain_text("2 lapsed")
    expect(page.locator("#register-table tbody tr")).to_have_count(50)
    expect(page.locator(".pager")).to_contain_text("Page 1 of 2 · 62 members")
    assert_readable(page)
    keep_screenshot(page, f"members-register-{size}")

    page.get_by_label("Search by name, membership number or e-mail").fill("LGN000007")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#register-table tbody tr")).to_have_count(1)
    expect(page.locator("#register-table tbody tr")).to_contain_text("in arrears")
    expect(page.locator("#register-table tbody tr")).to_contain_text("woman: no, young: no")

    page.goto(f"{base}/figures")
    expect(page.get_by_role("heading", name="Figures at the freeze date")).to_be_visible()
    expect(page.locator("#figures-summary")).to_contain_text("3 groups of 3 differ")
    leeds = page.locator("#figures-table tr.differs", has_text="Leeds")
    expect(leeds).to_contain_text("differs")
    expect(leeds).to_contain_text("-981")  # 1,000 declared, 19 on the register (9 lapsed)
    assert_readable(page)
    keep_screenshot(page, f"members-figures-{size}")
    page.locator("#figures-table").scroll_into_view_if_needed()
    keep_screenshot(page, f"members-figures-table-{size}")


def test_an_import_is_refused_by_line_then_the_figures_switch_to_the_register(
    page: Page, world, log_in
):
    page.set_viewport_size(SIZES["phone"])
    log_in(world["email"])
    base = f"/conferences/{world['conference_id']}/members"
    page.goto(base)
    page.get_by_role("button", name="Import members from CSV").click()
    header = "membership_number,name,email,group,joined_on,woman\n"

    upload = page.get_by_label("Register CSV file")
    upload.set_input_files(
        {
            "name": "members.csv",
            "mimeType": "text/csv",
            "buffer": (header + "N1,Ann,ann@example.org,Leds,2020-01-01,yes\n").encode(),
        }
    )
    page.get_by_role("button", name="Check and import").click()
    expect(page.locator("#problem-list li")).to_have_text(
        ["Line 2 (N1), column 'group': no group named 'Leds' in this conference (is it 'Leeds'?)"]
    )
    assert_readable(page)
    keep_screenshot(page, "members-import-refused-phone")

    page.get_by_label("Register CSV file").set_input_files(
        {
            "name": "members.csv",
            "mimeType": "text/csv",
            "buffer": (header + "N1,Ann,ann@example.org,Leeds,2020-01-01,yes\n").encode(),
        }
    )
    page.get_by_role("button", name="Check and import").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Imported: 1 member added, 0 updated (0 newly lapsed), 0 unchanged. "
        "62 members on the register are not in the file and kept as before."
    )
    expect(page.locator("#register-counts")).to_contain_text("63 on the register")

    page.goto(f"{base}/figures")
    page.get_by_role("button", name="Take the figures from the register").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Take the conference's figures from the register?")
    dialog.get_by_role("button", name="Yes, use the register").click()
    expect(page.locator(".flash-success")).to_have_text(
        "The conference's figures are now taken from the register."
    )
    expect(page.locator("#figures-source")).to_contain_text(
        "the register's count at the freeze date"
    )
    assert_readable(page)
    keep_screenshot(page, "members-figures-switched-phone")
