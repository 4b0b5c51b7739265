"""The committee sets up an election with quotas and nominates through the real forms; a
group's secretary finds the nomination from their start page; readable on a phone and laptop."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from confapp import factories
from confapp.checkin import services as doors
from confapp.checkin.scans import ScanInput, Scanner, record_scan
from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import Candidate, Election, Role
from tests.browser.readable import SIZES, assert_readable, keep_screenshot

# Name, group, categories ticked: Women at least 1 and Young at most 1 can both be met.
NOMINEES = [
    ("Asha Patel", "Leeds", ["Women"]),
    ("Bryn Jones", "York", ["Young"]),
    ("Cerys Evans", "Leeds", ["Women", "Young"]),
    ("Dev Shah", "No group", []),
]


@pytest.fixture
def world(db):
    """Leeds and York with delegates inside the hall, a chair, and Leeds's secretary."""
    conference = factories.conference()
    leeds = factories.group(conference, "Leeds", members=1001)
    york = factories.group(conference, "York", members=400)
    doors.add_door(conference, "Main entrance")
    db.session.commit()
    for name, group in (("Ann", leeds), ("Ben", leeds), ("Yan", york)):
        person = factories.approved_person(conference, group, name)
        record_scan(
            Scanner(conference_id=conference.id, actor="test", browser="t"),
            ScanInput(
                direction="in",
                nonce=f"in-{name}",
                code=live_credential(person).code,
                door="Main entrance",
            ),
        )
    return {
        "conference": conference,
        "leeds": leeds,
        "chair": factories.user("chair@example.org", conf=conference, role=Role.ADMIN),
        "secretary": factories.user(
            "leeds.secretary@example.org", conf=conference, role=Role.SECRETARY, group=leeds
        ),
    }


def set_up_election(page: Page, conference_id: int) -> None:
    """The committee fills in the new-election form: two seats, two quota categories."""
    page.goto(f"/conferences/{conference_id}/elections")
    page.get_by_label("Title").fill("National committee")
    page.get_by_label("Seats to fill").fill("2")
    page.locator("#quotas-0-name").fill("Women")
    page.locator("#quotas-0-minimum").fill("1")
    page.locator("#quotas-1-name").fill("Young")
    page.locator("#quotas-1-maximum").fill("1")
    page.get_by_role("button", name="Set up the election").click()
    expect(page.locator(".flash-success")).to_have_text(
        "National committee is set up and taking nominations."
    )


def nominate(page: Page, name: str, group: str | None, categories: list[str]) -> None:
    """Fill in and send the nomination form on the page as it stands."""
    page.get_by_label("Candidate's name").fill(name)
    if group is not None:
        page.get_by_label("Nominated by").select_option(label=group)
    for category in categories:
        page.locator("#nomination").get_by_label(category, exact=True).check()
    page.get_by_label("Statement").fill(f"{name} has organised in the region for ten years.")
    page.get_by_role("button", name="Nominate", exact=True).click()
    expect(page.locator(".flash-success")).to_have_text(
        f"{name} is nominated for National committee."
    )


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_committee_sets_up_an_election_with_quotas_and_opens_polling(page, world, log_in, size):
    page.set_viewport_size(SIZES[size])
    conference_id = world["conference"].id
    log_in(world["chair"].email)
    set_up_election(page, conference_id)
    expect(page.locator("#quotas-status")).to_contain_text(
        "At least 1 of those elected will be Women."
    )
    expect(page.locator("#quotas-status")).to_contain_text(
        "At most 1 of those elected will be Young."
    )

    for number, (name, group, categories) in enumerate(NOMINEES):
        page.locator("#add-candidate").click()
        if number == len(NOMINEES) - 1:  # the nominate page, filled in, before it is sent
            page.get_by_label("Candidate's name").fill(name)
            assert_readable(page)
            keep_screenshot(page, f"elections-nominate-{size}")
            page.locator("#nomination button[type=submit]").scroll_into_view_if_needed()
            keep_screenshot(page, f"elections-nominate-end-{size}")
        nominate(page, name, group, categories)

    rows = page.locator("#candidates tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(2)).to_contain_text("Cerys Evans")
    expect(rows.nth(2)).to_contain_text("Leeds")
    expect(rows.nth(2)).to_contain_text("Women, Young")
    expect(page.locator("#quota-ok")).to_contain_text(
        "The 4 candidates standing can fill the 2 seats and meet every quota."
    )
    assert_readable(page)
    keep_screenshot(page, f"elections-nominations-{size}")
    page.locator("#candidates").scroll_into_view_if_needed()
    keep_screenshot(page, f"elections-candidates-{size}")
    page.locator("#open-polling").scroll_into_view_if_needed()
    keep_screenshot(page, f"elections-open-{size}")

    page.locator("#open-polling").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Open polling for National committee?")
    dialog.get_by_role("button", name="Yes, open polling").click()
    expect(page.locator("#state")).to_have_text("POLLING")
    expect(page.locator("#polling-facts")).to_contain_text("3 papers carrying 3 votes")
    assert_readable(page)
    keep_screenshot(page, f"elections-polling-{size}")
    page.locator("#poll").scroll_into_view_if_needed()
    keep_screenshot(page, f"elections-polling-paper-{size}")

    page.goto(f"/conferences/{conference_id}/elections")
    expect(page.locator("#elections tbody tr")).to_contain_text("National committee")
    assert_readable(page)
    keep_screenshot(page, f"elections-list-{size}")

    db.session.expire_all()
    election = db.session.scalars(db.select(Election)).one()
    assert election.state == "polling"
    assert {c.name: sorted(k.name for k in c.categories) for c in election.candidates} == {
        name: sorted(categories) for name, _, categories in NOMINEES
    }
    assert [(k.name, k.min_seats, k.max_seats) for k in election.categories] == [
        ("Women", 1, None),
        ("Young", 0, 1),
    ]


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_a_secretary_finds_the_election_from_home_and_nominates_for_their_group(
    page, world, log_in, size
):
    page.set_viewport_size(SIZES[size])
    election = factories.election(
        world["conference"], ["Asha Patel"], categories={"Women": (1, None, ["Asha Patel"])}
    )
    log_in(world["secretary"].email)
    page.goto("/")
    assert_readable(page)
    keep_screenshot(page, f"elections-home-secretary-{size}")
    page.get_by_role("button", name="Elections: nominate a candidate").click()
    assert_readable(page)
    keep_screenshot(page, f"elections-list-secretary-{size}")

    page.get_by_role("link", name="Nominate for Leeds").click()
    expect(page.locator("h1")).to_have_text("Nominate for National committee")
    expect(page.get_by_label("Nominated by")).to_have_count(0)  # the group is the secretary's
    assert_readable(page)
    keep_screenshot(page, f"elections-nominate-secretary-{size}")
    nominate(page, "Bryn Jones", None, ["Women"])

    expect(page.locator("#candidates tbody tr").nth(1)).to_contain_text("Leeds")
    expect(page.locator("#add-candidate")).to_have_count(0)  # committee only
    assert_readable(page)
    keep_screenshot(page, f"elections-nominated-secretary-{size}")
    db.session.expire_all()
    bryn = db.session.scalars(db.select(Candidate).where(Candidate.name == "Bryn Jones")).one()
    assert (bryn.election_id, bryn.group_id, bryn.nominated_by_id) == (
        election.id,
        world["leeds"].id,
        world["secretary"].id,
    )
    assert [c.name for c in bryn.categories] == ["Women"]
