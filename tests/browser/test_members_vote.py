"""A member votes from home on a phone through the real paper; the committee watches turnout,
publishes after the close, and anyone reads the result; readable at every size."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from confapp import factories
from confapp.extensions import db
from confapp.members import casting, counting
from confapp.models import MemberVote, Role
from tests.browser.readable import PHONE, SIZES, assert_readable, keep_screenshot
from tests.members.test_casting import set_phase, voting_world


@pytest.fixture
def world(db):
    """The four-question paper (yes/no, choose one, up to two, STV with a quota), six voters."""
    return voting_world(regions=("North", "South"))


def stored_receipts() -> list[str]:
    db.session.rollback()
    return list(
        db.session.execute(sa.select(MemberVote.receipt).where(MemberVote.is_cast)).scalars()
    )


def fill_paper(page: Page, world) -> None:
    """Yes; York; Housing and Climate; Cerys 1, Asha 2: as a member taps it in."""
    page.get_by_role("group", name="Should we affiliate?").get_by_label("Yes").check()
    page.get_by_role("group", name="Where next year?").get_by_label("York").check()
    priorities = page.get_by_role("group", name="Campaign priorities")
    priorities.get_by_label("Housing").check()
    priorities.get_by_label("Climate").check()
    committee = page.get_by_role("group", name="National committee")
    committee.get_by_label("Cerys").fill("1")
    committee.get_by_label("Asha").fill("2")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_paper_reads_at_every_size(page, world, size):
    page.set_viewport_size(SIZES[size])

    page.goto(f"/vote/{world.code()}")

    expect(page.get_by_role("heading", name="Members' ballot")).to_be_visible()
    expect(page.get_by_role("button", name="Cast my vote")).to_be_visible()
    assert_readable(page)
    keep_screenshot(page, f"members-vote-{size}")


def test_a_member_votes_on_a_phone_and_keeps_the_receipt(page, world):
    page.set_viewport_size(PHONE)
    page.goto(f"/vote/{world.code()}")
    fill_paper(page, world)
    keep_screenshot(page, "members-vote-filled-phone")

    page.get_by_role("button", name="Cast my vote").click()

    expect(page.get_by_role("heading", name="Your vote is cast")).to_be_visible()
    receipt = page.locator("#receipt")
    expect(receipt).to_have_text(re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$"))
    assert receipt.inner_text() in stored_receipts()
    expect(page.get_by_text("Keep this receipt: after the close")).to_be_visible()
    assert_readable(page)
    keep_screenshot(page, "members-vote-receipt-phone")
    page.goto(f"/vote/{world.code()}")
    expect(page.locator("#state")).to_have_text("A vote has already been cast with this link.")


def test_a_paper_over_its_limit_is_sent_back_with_the_problem_marked(page, world):
    page.set_viewport_size(PHONE)
    page.goto(f"/vote/{world.code()}")
    fill_paper(page, world)
    page.get_by_role("group", name="Campaign priorities").get_by_label("Pay").check()
    page.get_by_role("group", name="National committee").get_by_label("Dev").fill("1")

    page.get_by_role("button", name="Cast my vote").click()

    expect(page.locator("#problems")).to_contain_text("Nothing was recorded.")
    expect(page.locator("#problems")).to_contain_text("choose up to 2; you chose 3")
    expect(page.locator("#problems")).to_contain_text("Cerys and Dev are both ranked 1")
    expect(
        page.get_by_role("group", name="Campaign priorities").get_by_label("Pay")
    ).to_be_checked()
    assert_readable(page)
    keep_screenshot(page, "members-vote-problems-phone")


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_committee_watches_turnout_then_publishes_and_anyone_reads_the_result(
    page, world, log_in, size
):
    page.set_viewport_size(SIZES[size])
    for n in range(4):
        page.goto(f"/vote/{world.code(n)}")
        fill_paper(page, world)
        page.get_by_role("button", name="Cast my vote").click()
        expect(page.get_by_role("heading", name="Your vote is cast")).to_be_visible()
    chair = factories.user(conf=world.conference, role=Role.ADMIN)
    log_in(chair.email)
    turnout = f"/conferences/{world.conference.id}/member-ballots/{world.ballot.id}/turnout"

    page.goto(turnout)
    expect(page.locator("#overall")).to_have_text("4 of 6 have voted · 66.7%")
    assert_readable(page)
    keep_screenshot(page, f"members-turnout-{size}")

    set_phase(world.ballot, "closed")
    page.goto(turnout)
    page.get_by_role("button", name="Count and publish the result").click()
    page.get_by_role("button", name="Yes, count and publish").click()
    expect(page.get_by_role("heading", name="Result: Members' ballot")).to_be_visible()
    expect(page.locator("#turnout")).to_contain_text("4 of 6 members voted")
    assert_readable(page)
    keep_screenshot(page, f"members-result-{size}")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_published_result_and_receipts_read_at_every_size(page, world, size):
    q = {k: world.question(k) for k in ("yes_no", "choose_one", "choose_up_to", "stv")}
    stv = [o.id for o in q["stv"].options]
    receipts = [
        casting.cast(
            world.code(n),
            {
                str(q["yes_no"].id): ["yes", "no", "yes"][n % 3],
                str(q["choose_one"].id): [q["choose_one"].options[n % 3].id],
                str(q["choose_up_to"].id): [q["choose_up_to"].options[n % 4].id],
                str(q["stv"].id): [stv[n % 4], stv[(n + 1) % 4]],
            },
        )
        for n in range(6)
    ]
    set_phase(world.ballot, "closed")
    counting.publish(world.ballot, actor=None)
    page.set_viewport_size(SIZES[size])
    base = f"/conferences/{world.conference.id}/member-ballots/{world.ballot.id}"

    page.goto(f"{base}/result")
    expect(page.get_by_role("heading", name="Question 4: National committee")).to_be_visible()
    assert_readable(page)
    keep_screenshot(page, f"members-result-published-{size}")
    page.goto(f"{base}/receipts?receipt={receipts[0]}")
    expect(page.locator("#found")).to_contain_text(f"Ballot {receipts[0]}")
    assert_readable(page)
    keep_screenshot(page, f"members-receipts-{size}")
