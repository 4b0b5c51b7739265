"""The committee sets up a members' election through the real forms, makes its roll and sends
the links to a real SMTP server on loopback; the set-up and mail pages are readable at the
four sizes, and a refused address shows on the mail page as bounced."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from confapp import factories
from confapp.models import Role
from tests.browser.readable import SIZES, assert_readable, keep_screenshot


@pytest.fixture
def app_config():
    """The browser tests' app (CSRF on), with queued tasks run at once."""
    return {
        "WTF_CSRF_ENABLED": True,
        "SECURE_COOKIES": False,
        "SERVER_NAME": None,
        "QUEUE_IMMEDIATE": True,
    }


@pytest.fixture
def world(db):
    """Leeds and York in the North, Hull in the East, four members each; the chair."""
    conference = factories.conference()
    groups = [
        factories.group(conference, "Leeds", region="North"),
        factories.group(conference, "York", region="North"),
        factories.group(conference, "Hull", region="East"),
    ]
    members = factories.members(conference, groups, per_group=4)
    chair = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
    return {"conference": conference, "members": members, "chair": chair}


def confirm(page: Page, question: str, yes: str) -> None:
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(question)
    dialog.get_by_role("button", name=yes).click()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_committee_sets_up_a_members_election_and_sends_the_links(
    page, world, smtp, log_in, size
):
    page.set_viewport_size(SIZES[size])
    refused = world["members"][1]  # of Leeds: on the North's roll
    smtp.refuse[refused.email] = "550 5.1.1 No such mailbox"
    log_in(world["chair"].email)

    page.goto(f"/conferences/{world['conference'].id}/member-ballots")
    page.get_by_role("button", name="New members' ballot").click()
    page.get_by_label("Title").fill("Northern committee")
    page.get_by_label("Description").fill("Elect two members to the Northern committee.")
    page.get_by_label("One region").check()
    page.get_by_label("Region", exact=True).select_option("North")
    assert_readable(page)
    keep_screenshot(page, f"members-ballot-new-{size}")
    page.get_by_role("button", name="Set up the ballot").click()
    expect(page.locator(".flash-success")).to_have_text(
        "Northern committee is set up as a draft: add its questions."
    )

    page.get_by_label("Kind of question").select_option(label="Election (STV)")
    page.locator("#question-form #title").fill("Northern committee")
    page.get_by_label("Options or candidates").fill(
        "Asha Patel | Women\nBryn Jones\nCerys Evans | Women\nDev Shah"
    )
    page.get_by_label("Seats to fill").fill("2")
    page.locator("#quotas-0-name").fill("Women")
    page.locator("#quotas-0-minimum").fill("1")
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator(".flash-success")).to_have_text("Question added: Northern committee")
    question = page.locator("#questions li").first
    expect(question).to_contain_text("At least 1 of those elected will be Women.")
    expect(question).to_contain_text(
        "The 4 candidates standing can fill the 2 seats and meet every quota."
    )
    assert_readable(page)
    keep_screenshot(page, f"members-ballot-setup-{size}")
    page.locator("h1").scroll_into_view_if_needed()
    keep_screenshot(page, f"members-ballot-top-{size}")

    page.get_by_role("button", name="Make the roll").click()
    confirm(page, "Make the roll of Northern committee?", "Yes, make the roll")
    expect(page.locator(".flash-success")).to_have_text("The roll is made: 8 members may vote.")
    page.get_by_role("button", name="Send voting links (8)").click()
    confirm(page, "Send voting links to 8 members for Northern committee?", "Yes, send the links")

    expect(page.get_by_role("heading", name="Voting links")).to_be_visible()
    expect(page.locator(".flash-success")).to_have_text("Voting links queued for 8 members.")
    counts = page.locator("#mail-counts")
    expect(counts).to_contain_text("7 sent")
    expect(counts).to_contain_text("1 bounced")
    row = page.locator("#problem-list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(refused.name)
    expect(row).to_contain_text(refused.email)
    expect(row).to_contain_text("550 5.1.1 No such mailbox")
    assert len(smtp.messages) == 7
    assert_readable(page)
    keep_screenshot(page, f"members-mail-{size}")
    page.locator("#bounces").scroll_into_view_if_needed()
    keep_screenshot(page, f"members-mail-bounces-{size}")


@pytest.mark.parametrize("size", list(SIZES))
def test_a_member_asks_for_their_link_and_checks_they_can_vote(page, world, smtp, size):
    page.set_viewport_size(SIZES[size])
    member = world["members"][0]
    factories.member_ballot(world["conference"], title="Referendum on affiliation", phase="roll")

    page.goto("/members/link")
    page.get_by_label("Membership number").fill(member.number)
    page.get_by_label("E-mail address").fill(member.email)
    assert_readable(page)
    keep_screenshot(page, f"members-link-{size}")
    page.get_by_role("button", name="Send me a new link").click()
    expect(page.locator(".flash-success")).to_have_text(
        "If these match a member on the roll of an open ballot, a new link is on its way."
    )
    assert [m["Subject"] for m in smtp.messages] == ["Your voting link: Referendum on affiliation"]

    page.get_by_role("link", name="Check I can vote").click()
    page.get_by_label("Membership number").fill(member.number)
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_role("button", name="Check").click()
    answer = page.locator("#check-answer")
    expect(answer).to_contain_text("Referendum on affiliation")
    expect(answer).to_contain_text("You are on the roll. Voting opens")
    expect(answer).to_contain_text("Your link: Sent on")
    assert_readable(page)
    keep_screenshot(page, f"members-check-{size}")


# What each kind of question asks for on the committee's form (labels of the visible fields).
FIELDS_OF_KIND = {
    "Yes or no": {"Majority"},
    "Choose one": {"Options or candidates"},
    "Choose up to N": {"Options or candidates", "Members choose up to"},
    "Election (STV)": {"Options or candidates", "Seats to fill", "Counted by", "At least"},
}
EVERY_FIELD = set().union(*FIELDS_OF_KIND.values())


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_question_form_shows_only_what_the_kind_of_question_uses(page, world, log_in, size):
    page.set_viewport_size(SIZES[size])
    ballot = factories.member_ballot(world["conference"], title="Rule book")  # a yes/no first
    log_in(world["chair"].email)
    page.goto(f"/conferences/{world['conference'].id}/member-ballots/{ballot.id}")
    form = page.locator("#question-form")

    for kind, fields in FIELDS_OF_KIND.items():
        page.get_by_label("Kind of question").select_option(label=kind)
        for label in EVERY_FIELD:
            shown = expect(form.get_by_label(label, exact=True).first)
            shown.to_be_visible() if label in fields else shown.to_be_hidden()
        assert_readable(page)
        page.get_by_label("Kind of question").evaluate("e => e.scrollIntoView()")
        slug = kind.split(" (")[0].replace(" ", "-").lower()
        keep_screenshot(page, f"members-question-{slug}-{size}")

    # Candidates typed for an election, then the kind changed: the hidden list is not sent.
    page.get_by_label("Kind of question").select_option(label="Election (STV)")
    page.get_by_label("Options or candidates").fill("Asha Patel\nBryn Jones")
    page.get_by_label("Kind of question").select_option(label="Yes or no")
    form.locator("#title").fill("Adopt the new rule book")
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator(".flash-success")).to_have_text("Question added: Adopt the new rule book")
    added = page.locator("#questions li").last
    expect(added).to_contain_text("Adopt the new rule book")
    expect(added).to_contain_text("Yes or no")
    expect(page.locator("#questions")).not_to_contain_text("Asha Patel")
