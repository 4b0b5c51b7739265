"""Delegates and candidates are members, in the browser: the secretary's membership number,
the register's answer on the delegation and the review queue, the committee's override on the
queue and on the nominations page; readable on a phone and a laptop."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from confapp import factories
from confapp.extensions import db
from confapp.models import Candidate, Delegate, Member, Role, Status, utcnow
from tests.browser.readable import SIZES, assert_readable, keep_screenshot


@pytest.fixture
def world(db):
    """Leeds with a register (Ann L0001; Bob L0002 in arrears), Eve of York; Leeds has sent
    Eve, whom the register shows in York; an election; a chair and Leeds's secretary."""
    rule = dataclasses.replace(factories.LABOUR_RULE, max_alternates=2)
    conference = factories.conference(rule=rule)
    leeds = factories.group(conference, "Leeds", members=1000)
    york = factories.group(conference, "York", members=1000)
    for number, name, group, good in [
        ("L0001", "Ann", leeds, True),
        ("L0002", "Bob", leeds, False),
        ("Y0001", "Eve", york, True),
    ]:
        db.session.add(
            Member(
                conference_id=conference.id,
                number=number,
                name=name,
                email=f"{name.lower()}@example.org",
                group_id=group.id,
                joined_on=date(2020, 1, 1),
                in_good_standing=good,
            )
        )
    db.session.add(
        Delegate(
            conference_id=conference.id,
            group_id=leeds.id,
            pass_type="delegate",
            seat="base",
            name="Eve Long-Surname-Hyphenated",
            email="eve@example.org",
            status=Status.SUBMITTED.value,
            submitted_at=utcnow(),
        )
    )
    db.session.commit()
    election = factories.election(conference, ["Asha"], seats=1)
    return {
        "conference": conference,
        "leeds": leeds,
        "election": election,
        "chair": factories.user("chair@example.org", conf=conference, role=Role.ADMIN),
        "secretary": factories.user(
            "leeds.secretary@example.org", conf=conference, role=Role.SECRETARY, group=leeds
        ),
    }


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_secretary_gives_the_number_and_sees_the_registers_answer(
    page: Page, log_in, world, size
):
    page.set_viewport_size(SIZES[size])
    leeds = world["leeds"]
    log_in(world["secretary"].email)

    page.goto(f"/groups/{leeds.id}/people/new/delegate")
    assert_readable(page)
    keep_screenshot(page, f"members-standing-form-{size}")
    page.get_by_label("Full name").fill("Bob Price")
    page.get_by_label("E-mail").fill("bob.price@example.org")
    page.get_by_label("Membership number (optional)").fill("L0002")
    page.get_by_role("button", name="Add").click()

    expect(page.locator(".flash-warning").first).to_contain_text(
        "The register: Member L0002 (Bob) is in arrears."
    )
    expect(page.locator(".register-match").first).to_contain_text(
        "Member Y0001 is a member of York, not Leeds"
    )
    assert_readable(page)
    keep_screenshot(page, f"members-standing-delegation-{size}")
    page.get_by_role("button", name="Submit 1 registration to the committee").click()
    expect(page.locator(".flash-error")).to_contain_text("Bob Price: Member L0002 (Bob) is in")


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_committee_accepts_with_a_reason_on_the_queue(page: Page, log_in, world, size):
    page.set_viewport_size(SIZES[size])
    conference = world["conference"]
    log_in(world["chair"].email)

    page.goto(f"/admin/conferences/{conference.id}/queue")
    expect(page.get_by_text("Member Y0001 is a member of York, not Leeds")).to_be_visible()
    assert_readable(page)
    keep_screenshot(page, f"members-standing-queue-{size}")
    page.get_by_label("Reason for accepting Eve Long-Surname-Hyphenated without the register").fill(
        "Moved to Leeds in March; the transfer is with the office."
    )
    page.get_by_role(
        "button", name="Accept Eve Long-Surname-Hyphenated without the register"
    ).click()

    expect(page.get_by_text("Accepted by the committee: Moved to Leeds in March")).to_be_visible()
    assert_readable(page)
    keep_screenshot(page, f"members-standing-queue-accepted-{size}")
    page.get_by_role("button", name="Approve Eve Long-Surname-Hyphenated").click()
    expect(page.get_by_text("Approved Eve Long-Surname-Hyphenated (Leeds).")).to_be_visible()


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_committee_accepts_a_candidate_on_the_nominations_page(page: Page, log_in, world, size):
    page.set_viewport_size(SIZES[size])
    conference, election = world["conference"], world["election"]
    log_in(world["chair"].email)

    page.goto(f"/conferences/{conference.id}/elections/{election.id}/nominate")
    page.get_by_label("Candidate's name").fill("Eve")
    page.get_by_label("Nominated by").select_option(label="Leeds")
    page.get_by_label("Membership number").fill("Y0001")
    page.get_by_role("button", name="Nominate", exact=True).click()

    expect(page.locator(".flash-warning")).to_contain_text(
        "The register: Member Y0001 is a member of York, not Leeds."
    )
    assert_readable(page)
    keep_screenshot(page, f"members-standing-nominate-{size}")
    page.get_by_label("Reason for accepting Eve without the register").fill("Stands for Leeds.")
    page.get_by_role("button", name="Accept Eve without the register").click()
    expect(page.get_by_text("Accepted by the committee: Stands for Leeds.")).to_be_visible()
    db.session.expire_all()
    eve = db.session.scalars(db.select(Candidate).where(Candidate.name == "Eve")).one()
    assert eve.member_override == "Stands for Leeds."
