"""The rule page's live preview: the committee sees what a rule gives before saving it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from confapp.extensions import db
from confapp.models import Conference, Role
from tests import factories

# Columns of the preview table.
MEMBERS, WOMEN, YOUNG, BASE, RESERVED, TOTAL, CARD_VOTE = range(7)


def _preview_row(page: Page, members: str):
    """The preview table's row for the sample group with that many members."""
    return page.locator("#rule-preview tbody tr").filter(
        has=page.locator("td").first.filter(has_text=re.compile(rf"^{members}$"))
    )


def test_rule_preview_updates_live_and_the_rule_saves(app, page: Page, log_in):
    with app.app_context():
        conference = factories.conference()  # the Labour-style rule: cap 6, women's seat
        admin = factories.user(conf=conference, role=Role.ADMIN)
        conference_id, conference_name, email = conference.id, conference.name, admin.email

    log_in(email)
    expect(page.get_by_role("heading", name="Your conferences")).to_be_visible()

    page.goto(f"/admin/conferences/{conference_id}/edit")
    preview = page.locator("#rule-preview")
    expect(preview).to_contain_text(
        "1 delegate for the first 749 members, 1 more for every further 250 or part thereof;"
        " at most 6;"
    )
    big = _preview_row(page, "10,000").locator("td")
    expect(big.nth(BASE)).to_have_text("6")
    expect(big.nth(RESERVED)).to_have_text("1 × women's seat")
    expect(big.nth(TOTAL)).to_have_text("7")
    expect(_preview_row(page, "750").locator("td").nth(BASE)).to_have_text("2")
    # The script ran (CSP let it): the no-JS fallback button is hidden.
    expect(page.get_by_role("button", name="Update preview")).to_be_hidden()

    # Change the cap and press nothing: the preview follows, in the same document.
    page.evaluate("() => { window.notReloaded = true; }")
    page.get_by_label("Cap on base delegates", exact=True).fill("4")
    expect(big.nth(BASE)).to_have_text("4")
    expect(big.nth(TOTAL)).to_have_text("5")
    expect(_preview_row(page, "1,750").locator("td").nth(BASE)).to_have_text("4")
    expect(_preview_row(page, "1,000").locator("td").nth(BASE)).to_have_text("3")
    expect(preview).to_contain_text("at most 4;")
    expect(preview).not_to_contain_text("at most 6")
    assert page.evaluate("() => window.notReloaded") is True
    # CSRF really is on: the same request without the page's token is refused, so the
    # updates above prove the fetch sends its X-CSRFToken.
    refused = page.request.post("/admin/rule-preview", form={"formula": "steps", "cap": "4"})
    assert refused.status == 400

    # A band table with a wrong line: the message names the line.
    page.get_by_role("radio", name="Band table").check()
    bands = page.get_by_role("textbox", name="Band table")
    bands.fill("100: 1\nthree hundred: 2\n*: 3")
    error = preview.get_by_role("alert")
    expect(error).to_contain_text("The rule cannot be applied:")
    expect(error).to_contain_text(re.compile(r"\bline 2\b.*'three hundred: 2'"))
    expect(preview.locator("table")).to_have_count(0)

    # Put it right: the preview shows the band table, then it is saved.
    bands.fill("100: 1\n300: 2\n*: 3")
    expect(preview).to_contain_text(
        "1 delegate for up to 100 members, 2 for up to 300, 3 for more than 300; at most 4;"
    )
    expect(big.nth(BASE)).to_have_text("3")
    expect(_preview_row(page, "100").locator("td").nth(BASE)).to_have_text("1")

    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(rf"/admin/conferences/{conference_id}/groups$"))
    expect(page.get_by_role("status")).to_have_text(f"Saved {conference_name}.")
    expect(page.get_by_role("heading", name="Groups")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "1 delegate for up to 100 members, 2 for up to 300, 3 for more than 300; at most 4;"
    )

    with app.app_context():
        rule = db.session.get(Conference, conference_id).rule
        assert (rule.formula, rule.cap, [(b.up_to, b.delegates) for b in rule.bands]) == (
            "bands",
            4,
            [(100, 1), (300, 2), (None, 3)],
        )
