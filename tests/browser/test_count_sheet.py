"""The tellers' count sheet in real Chromium: a hall of delegations entered tap by tap.

A tap records the delegation's vote without loading a page (the script posts it and updates
the row and the running total); without script the same tap posts the form and the server
answers with the sheet again at that row. Each size a teller or chair holds is checked for
sideways scrolling and by axe-core, and its screenshot kept when CONFAPP_SCREENSHOTS is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from confapp.checkin import services as checkin
from confapp.extensions import db
from confapp.models import Ballot, Delegate, Group, Presence, Role, TellerEntry, User, utcnow
from confapp.voting import services
from confapp.voting.services import Votes
from tests import factories
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.readable import SIZES, TABLET, assert_readable, keep_screenshot

CHOICES = ("for", "against", "abstain", "none")
VISIBLE_ROWS = """() => {
  const bar = document.getElementById("running");
  const top = bar ? bar.getBoundingClientRect().bottom : 0;
  return [...document.querySelectorAll("#sheet tbody tr")].filter(row => {
    const box = row.getBoundingClientRect();
    return box.top >= top && box.bottom <= window.innerHeight;
  }).length;
}"""


@dataclass
class Hall:
    """A conference with its delegations inside, an open card vote and who counts it."""

    conference_id: int
    ballot_id: int
    teller: str
    chair: str
    votes: dict[int, int]  # group id -> votes present, in walking order

    @property
    def count_url(self) -> str:
        return f"/conferences/{self.conference_id}/ballots/{self.ballot_id}/count"


def build_hall(delegations: int, mode: str = "block") -> Hall:
    """`delegations` delegations (200 to 5,000 members), each with its delegates inside."""
    conference = factories.conference()
    door = checkin.add_door(conference, "Main entrance")
    sections = conference.sections
    db.session.execute(
        sa.insert(Group),
        [
            {
                "conference_id": conference.id,
                "section_id": sections[i % 2].id,
                "name": f"Delegation {i + 1:03d}",
                "members": 200 + (i * 337) % 4800,
            }
            for i in range(delegations)
        ],
    )
    groups = db.session.execute(
        sa.select(Group.id).where(Group.conference_id == conference.id).order_by(Group.id)
    ).scalars()
    now = utcnow()
    db.session.execute(
        sa.insert(Delegate),
        [
            {
                "conference_id": conference.id,
                "group_id": group_id,
                "pass_type": "delegate",
                "seat": "base",
                "name": f"Delegate {group_id}-{n}",
                "email": f"d{group_id}.{n}@example.org",
                "status": "approved",
                "submitted_at": now,
                "decided_at": now,
            }
            for group_id in groups
            for n in (1, 2)
        ],
    )
    people = db.session.execute(
        sa.select(Delegate.id).where(Delegate.conference_id == conference.id)
    ).scalars()
    db.session.execute(
        sa.insert(Presence),
        [
            {
                "delegate_id": person,
                "conference_id": conference.id,
                "is_inside": True,
                "door_id": door.id,
                "since": now,
            }
            for person in people
        ],
    )
    db.session.commit()
    chair = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
    teller = factories.user("teller@example.org", conf=conference, role=Role.TELLER)
    factories.user("second.teller@example.org", conf=conference, role=Role.TELLER)
    ballot = services.create_ballot(
        conference,
        title="Motion 3: Rail",
        kind="motion",
        majority="simple",
        mode=mode,
        actor=chair,
    )
    services.open_card_vote(ballot, chair)
    db.session.commit()
    return Hall(
        conference_id=conference.id,
        ballot_id=ballot.id,
        teller=teller.email,
        chair=chair.email,
        votes={r.group_id: r.votes for r in services.roll(ballot)},
    )


@pytest.fixture
def viewport() -> dict[str, int]:
    """The tellers carry tablets."""
    return TABLET


def log_in(page: Page, email: str) -> None:
    """Log in through the real form and wait for the home page."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your conferences")).to_be_visible()


def start_counting(page: Page, hall: Hall) -> None:
    """Open the sheet and take the first count."""
    page.goto(hall.count_url)
    page.locator("#take-sheet").click()
    expect(page.locator("#running")).to_be_visible()


def current_entries(app, ballot_id: int) -> dict[int, tuple[int, int, int]]:
    """The first count's current entries, read in a session of their own."""
    with app.app_context():
        return {
            e.group_id: (e.for_votes, e.against_votes, e.abstain_votes)
            for e in db.session.execute(
                sa.select(TellerEntry).where(
                    TellerEntry.ballot_id == ballot_id,
                    TellerEntry.sheet == 1,
                    TellerEntry.is_current.is_(True),
                )
            ).scalars()
        }


def test_a_teller_enters_100_delegations_by_tapping_without_a_page_load(app, page: Page):
    with app.app_context():
        hall = build_hall(120)
    log_in(page, hall.teller)
    start_counting(page, hall)
    page.goto(hall.count_url)  # as the teller finds it later: no message above the rows
    assert page.evaluate(VISIBLE_ROWS) >= 10, "a tablet shows at least 10 delegations"
    page.evaluate("() => { window.sameDocument = true; }")

    groups = list(hall.votes)[:100]
    expected = {}
    for n, group_id in enumerate(groups):
        choice = CHOICES[n % 4]
        page.locator(f'#row-{group_id} button[value="{group_id}:{choice}"]').click()
        expected[group_id] = services.votes_for_choice(choice, hall.votes[group_id]).key

    # The taps are sent one at a time, in order: on a loaded machine 100 may take a while.
    expect(page.locator('[data-run="entered"]')).to_have_text("100", timeout=180_000)
    expect(page.locator(".unsaved")).to_have_count(0)
    assert page.evaluate("() => window.sameDocument") is True, "a tap loaded a page"
    last = groups[-1]
    expect(page.locator(f"#row-{last}")).to_have_class(re.compile(r"\bjust\b"))
    expect(page.locator("tr.just")).to_have_count(1)
    expect(page.locator(f"#row-{last} td.entry")).to_have_text("Not voting")
    expect(page.locator(f"#row-{last} button[aria-pressed=true]")).to_have_text("Not voting")
    name = page.locator(f"#row-{last}").get_attribute("data-group")
    expect(page.locator("#sheet-status")).to_have_text(f"{name}: not voting.")
    totals = [sum(v[i] for v in expected.values()) for i in range(3)]
    for key, total in zip(("for", "against", "abstain"), totals, strict=True):
        expect(page.locator(f'[data-run="{key}"]')).to_have_text(f"{total:,}")
    # Scrolled down the hall, the total is still in view above at least 10 rows.
    page.locator(f"#row-{groups[60]}").scroll_into_view_if_needed()
    assert page.locator("#running").bounding_box()["y"] >= 0
    assert page.evaluate(VISIBLE_ROWS) >= 10
    assert current_entries(app, hall.ballot_id) == expected


def test_a_correction_overwrites_the_row_and_a_refusal_says_why(app, page: Page, request):
    with app.app_context():
        hall = build_hall(12)
    log_in(page, hall.teller)
    start_counting(page, hall)
    first = next(iter(hall.votes))
    row = page.locator(f"#row-{first}")
    row.locator(f'button[value="{first}:for"]').click()
    row.locator(f'button[value="{first}:against"]').click()  # at once: taps keep their order
    expect(row.locator("td.entry")).to_have_text(f"Against {hall.votes[first]:,}")
    expect(page.locator('[data-run="for"]')).to_have_text("0")
    with app.app_context():  # the chair declares meanwhile: the sheet takes nothing more
        ballot = db.session.get(Ballot, hall.ballot_id)
        chair = db.session.execute(sa.select(User).where(User.email == hall.chair)).scalar_one()
        second = db.session.execute(
            sa.select(User).where(User.email == "second.teller@example.org")
        ).scalar_one()
        services.enter_votes(ballot, second, first, Votes(against=hall.votes[first]))
        services.declare(ballot, chair)
        db.session.commit()
    other = list(hall.votes)[1]
    page.locator(f'#row-{other} button[value="{other}:for"]').click()
    expect(page.locator("#sheet-status")).to_have_text(
        "This ballot no longer takes entries: it has been declared."
    )
    expect(page.locator(f"#row-{other}")).to_have_class(re.compile(r"\bunsaved\b"))
    expect(page.locator(f"#row-{other} td.entry")).to_have_text("–")
    errors = request.node.browser_errors  # the refusal's 422, expected here: the only one
    assert len(errors) == 1 and "422" in errors[0], errors
    errors.clear()
    assert current_entries(app, hall.ballot_id) == {first: (0, hall.votes[first], 0)}


@pytest.fixture
def no_script_page(browser: Browser, live_server) -> Iterator[Page]:
    """A tablet whose browser runs no script at all."""
    context = browser.new_context(base_url=live_server, viewport=TABLET, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_without_script_a_tap_records_and_returns_to_the_same_row(app, no_script_page: Page):
    page = no_script_page
    with app.app_context():
        hall = build_hall(40)
    log_in(page, hall.teller)
    start_counting(page, hall)
    group_id = list(hall.votes)[30]
    page.locator(f'#row-{group_id} button[value="{group_id}:against"]').click()
    expect(page).to_have_url(re.compile(rf"/count\?last={group_id}#row-{group_id}$"))
    row = page.locator(f"#row-{group_id}")
    expect(row).to_have_class(re.compile(r"\bjust\b"))
    expect(row.locator("td.entry")).to_have_text(f"Against {hall.votes[group_id]:,}")
    name = row.get_attribute("data-group")
    expect(page.locator("#sheet-status")).to_have_text(f"{name}: {hall.votes[group_id]:,} against.")
    page.wait_for_load_state("load")  # styled, and scrolled to the address's #fragment
    expect(row).to_be_in_viewport()
    box, bar = row.bounding_box(), page.locator("#running").bounding_box()
    assert box["y"] >= bar["y"] + bar["height"] - 1, "the row is hidden under the total"
    assert current_entries(app, hall.ballot_id) == {group_id: (0, hall.votes[group_id], 0)}


@pytest.mark.parametrize("size", ["phone", "tablet"])
def test_a_tap_being_saved_moves_nothing_on_the_sheet(app, page: Page, size: str):
    # While a tap is on its way the script marks its row busy; on bad Wi-Fi that lasts, and the
    # teller goes on tapping: every button must stay where the teller's finger expects it.
    with app.app_context():
        hall = build_hall(20)
    page.set_viewport_size(SIZES[size])
    log_in(page, hall.teller)
    start_counting(page, hall)
    page.goto(hall.count_url)
    buttons = page.locator("#sheet-form button")
    where = "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.x, r.y]; })"
    before = buttons.evaluate_all(where)

    busy = list(hall.votes)[3]
    page.evaluate(f"() => document.getElementById('row-{busy}').setAttribute('aria-busy', 'true')")

    assert buttons.evaluate_all(where) == before


@pytest.mark.parametrize("size", SIZES)
def test_the_count_sheet_reads_at_every_size(app, page: Page, size: str):
    with app.app_context():
        hall = build_hall(30)
    page.set_viewport_size(SIZES[size])
    log_in(page, hall.teller)
    start_counting(page, hall)
    page.goto(hall.count_url)
    groups = list(hall.votes)
    for n, group_id in enumerate(groups[:4]):
        page.locator(f'#row-{group_id} button[value="{group_id}:{CHOICES[n]}"]').click()
    expect(page.locator('[data-run="entered"]')).to_have_text("4")
    assert_readable(page)
    keep_screenshot(page, f"count-sheet-{size}")


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_split_mode_each_delegate_reads_and_enters(app, page: Page, size: str):
    with app.app_context():
        hall = build_hall(12, mode="split")
    page.set_viewport_size(SIZES[size])
    log_in(page, hall.teller)
    start_counting(page, hall)
    group_id = list(hall.votes)[2]
    page.locator(f"#row-{group_id} a.each").click()
    expect(page.locator("fieldset.delegate-choice")).to_have_count(2)
    assert_readable(page)
    keep_screenshot(page, f"count-sheet-split-{size}")
    first, second = page.locator("fieldset.delegate-choice").all()
    first.get_by_label("For").check()
    second.get_by_label("Against").check()
    page.get_by_role("button", name="Enter each delegate's vote").click()
    expect(page).to_have_url(re.compile(rf"/count\?last={group_id}#row-{group_id}$"))
    half = hall.votes[group_id] // 2
    rest = hall.votes[group_id] - half
    shown = page.locator(f"#row-{group_id} td.entry")
    expect(shown).to_have_text(
        re.compile(rf"For ({half:,}|{rest:,}) · Against ({half:,}|{rest:,})")
    )
    entry = current_entries(app, hall.ballot_id)[group_id]
    assert sum(entry) == hall.votes[group_id] and entry[2] == 0 and min(entry[:2]) == half
