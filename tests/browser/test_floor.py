"""The floor in real Chromium: the chair puts a card vote, two tellers count, the hall sees it.

Leeds (1,000 members), York (400) and Hull (2,500, an affiliate) each have a delegate in
the hall, scanned in at the Main entrance. The chair, two tellers and a steward at the
projector each use a browser context of their own (their own cookies), as four people on
four machines would. What each of them sees is checked on the page; what the server stored
is read from the database in an app context of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from confapp.checkin import services as checkin
from confapp.checkin.scans import ScanInput, Scanner, record_scan
from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import Ballot, Conference, Role, TellerEntry, User
from confapp.voting import services
from confapp.voting.services import Votes
from tests import factories
from tests.browser.conftest import DESKTOP, TIMEOUT_MS
from tests.browser.readable import SIZES, assert_readable, keep_screenshot

# The projector asks for its content every 3 s; a request may be slow on a busy machine.
PROJECTOR_WAIT_MS = 10_000
TITLE = "Motion 7: Public transport"


@dataclass
class Hall:
    """The conference, the logins of who runs the floor, and each delegation's group id."""

    conference_id: int
    chair: str
    tellers: tuple[str, str]
    steward: str
    groups: dict[str, int]


@pytest.fixture
def hall(app) -> Hall:
    """Three delegations with their delegate inside; a chair, two tellers and a steward."""
    with app.app_context():
        conference = factories.conference()
        groups = {
            "Leeds": factories.group(conference, "Leeds", members=1000),
            "York": factories.group(conference, "York", members=400),
            "Hull": factories.group(
                conference,
                "Hull",
                members=2500,
                section=factories.section(conference, "Affiliates"),
            ),
        }
        delegates = {
            "Leeds": factories.approved_person(conference, groups["Leeds"], "Ann Smith"),
            "York": factories.approved_person(conference, groups["York"], "Yan Lee"),
            "Hull": factories.approved_person(conference, groups["Hull"], "Hal Brown"),
        }
        checkin.add_door(conference, "Main entrance")
        for name, person in delegates.items():
            record_scan(
                Scanner(conference_id=conference.id, actor="test", browser="test"),
                ScanInput(
                    direction="in",
                    nonce=f"in-{name}",
                    code=live_credential(person).code,
                    door="Main entrance",
                ),
            )
        chair = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
        tellers = [
            factories.user(f"teller{n}@example.org", conf=conference, role=Role.TELLER)
            for n in (1, 2)
        ]
        steward = factories.user("steward@example.org", conf=conference, role=Role.STEWARD)
        return Hall(
            conference_id=conference.id,
            chair=chair.email,
            tellers=(tellers[0].email, tellers[1].email),
            steward=steward.email,
            groups={name: group.id for name, group in groups.items()},
        )


@pytest.fixture
def new_page(browser: Browser, live_server, page: Page, request) -> Iterator[Callable[[], Page]]:
    """More people at more machines: new_page() opens a page in a browser context of its own.

    Their console errors join the `page` fixture's, so any of them fails the test as well.
    """
    errors: list[str] = request.node.browser_errors
    contexts = []

    def _new_page() -> Page:
        context = browser.new_context(base_url=live_server, viewport=DESKTOP)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        other = context.new_page()
        other.on(
            "console",
            lambda msg: (
                errors.append(f"console.error: {msg.text} ({msg.location.get('url') or 'inline'})")
                if msg.type == "error"
                else None
            ),
        )
        other.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        return other

    yield _new_page
    for context in contexts:
        context.close()


def _log_in(page: Page, email: str) -> None:
    """Log in through the real form and wait for the home page (the session cookie is set)."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your conferences")).to_be_visible()


def _flash(page: Page, category: str):
    """The page's flashed message of that category (not the ballot's own notices)."""
    return page.locator(f".flashes .flash-{category}")


def _start_counting(page: Page, count_url: str, number: int) -> None:
    page.goto(count_url)
    expect(page.locator("#sheet tbody tr")).to_have_count(3)
    page.locator("#take-sheet").click()
    expect(_flash(page, "success")).to_have_text(f"You keep count {number} of this ballot.")
    expect(page.locator("#take-sheet")).to_have_count(0)


def _enter(page: Page, group_id: int, choice: str, shown: str) -> None:
    """Press the delegation's button and wait for the entry the server now holds."""
    row = page.locator(f"#row-{group_id}")
    row.locator(f'button[value="{group_id}:{choice}"]').click()
    expect(page.locator(f"#row-{group_id} td.entry")).to_have_text(shown)


def _entries(app, ballot_id: int) -> list[tuple]:
    """The ballot's teller entries, oldest first, read in a session of their own."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(TellerEntry)
            .where(TellerEntry.ballot_id == ballot_id)
            .order_by(TellerEntry.id)
        ).scalars()
        return [
            (e.sheet, e.group_id, e.for_votes, e.against_votes, e.abstain_votes, e.is_current)
            for e in rows
        ]


def test_card_vote_counted_twice_reconciled_declared_and_projected(
    app, page: Page, new_page, hall: Hall
):
    chair = page
    base = f"/conferences/{hall.conference_id}"
    leeds, york, hull = (hall.groups[name] for name in ("Leeds", "York", "Hull"))

    # The steward puts the projector up first: presence, then whatever the chair shows.
    projector = new_page()
    _log_in(projector, hall.steward)
    projector.goto(f"{base}/projector")
    # The page itself shows the counters, before its first poll (3 s on) could swap them in.
    screen = projector.locator("#screen")
    assert "<" not in screen.inner_text(), "the screen's fragment was escaped as text"
    assert projector.locator("#live-counters").count() == 1
    votes_present = projector.locator("#live-counters div").filter(has_text="card votes present")
    expect(votes_present.locator(".n")).to_have_text("3,900")
    projector.evaluate("() => { window.notReloaded = true; }")

    # The chair puts the motion through the form.
    _log_in(chair, hall.chair)
    chair.goto(f"{base}/ballots")
    chair.get_by_label("Title").fill(TITLE)
    chair.get_by_label("Session").fill("Saturday morning")
    chair.get_by_label("Kind").select_option("motion")
    chair.get_by_label("Majority required").select_option("simple")
    chair.get_by_label("Card vote").select_option("block")
    chair.get_by_role("button", name="Add ballot").click()
    expect(chair).to_have_url(re.compile(rf"{base}/ballots/\d+$"))
    ballot_id = int(chair.url.rsplit("/", 1)[1])
    ballot_url, count_url = f"{base}/ballots/{ballot_id}", f"{base}/ballots/{ballot_id}/count"
    expect(chair.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(chair.locator("#state")).to_have_text("DRAFT")

    chair.locator("#step-open").click()
    expect(chair.locator("#state")).to_have_text("CARD VOTE OPEN")
    expect(chair.locator("#roll")).to_contain_text("3 delegations present with 3,900 votes")
    chair.locator("#step-projector").click()
    expect(chair.locator("#step-projector_off")).to_be_visible()

    verdict = projector.locator("#verdict")
    expect(verdict).to_have_text("CARD VOTE IN PROGRESS", timeout=PROJECTOR_WAIT_MS)
    expect(projector.locator(".ballot-screen .title")).to_have_text(TITLE)
    expect(projector.locator(".big-figure")).to_contain_text("3,900 votes present")
    expect(projector.locator(".big-figure")).to_contain_text("3 delegations")

    # Each teller at their own machine takes a count and walks the hall.
    first = new_page()
    _log_in(first, hall.tellers[0])
    _start_counting(first, count_url, 1)
    _enter(first, leeds, "for", "For 1,000")
    _enter(first, york, "against", "Against 400")
    _enter(first, hull, "for", "For 2,500")
    expect(first.locator("#running")).to_contain_text("3/3")

    second = new_page()
    _log_in(second, hall.tellers[1])
    _start_counting(second, count_url, 2)
    _enter(second, leeds, "for", "For 1,000")
    _enter(second, york, "for", "For 400")  # a slip: York voted against
    _enter(second, hull, "for", "For 2,500")

    # The chair sees the counts differ on York alone, and may not declare.
    chair.goto(ballot_url)
    expect(chair.locator("#disagreements")).to_contain_text("The counts disagree on 1 delegation")
    disagreements = chair.locator("tr.disagreement")
    expect(disagreements).to_have_count(1)
    expect(disagreements.locator("td")).to_have_text(["York", "400", "0 / 400 / 0", "400 / 0 / 0"])
    expect(chair.locator("#agreement")).to_have_count(0)
    chair.locator("#step-declare").click()
    expect(_flash(chair, "error")).to_have_text(
        "The two counts disagree on 1 delegation (York): they must agree first."
    )
    expect(chair.locator("#state")).to_have_text("CARD VOTE OPEN")
    expect(chair.locator("#verdict")).to_have_count(0)

    # The second teller puts York right; the superseded entry is kept.
    chair.evaluate("() => { window.chairStayed = true; }")
    _enter(second, york, "against", "Against 400")
    expect(second.locator("#sheet-status")).to_have_text("York: 400 against.")

    # The chair's page follows the count by itself, without a reload.
    expect(chair.locator("#agreement")).to_have_text(
        "Both counts agree on every delegation.", timeout=PROJECTOR_WAIT_MS
    )
    expect(chair.locator("#disagreements")).to_have_count(0)
    expect(chair.locator("#progress-2")).to_contain_text("3 of 3 delegations entered")
    assert chair.evaluate("() => window.chairStayed") is True

    # Declaring cannot be undone: the chair is asked first, and Cancel changes nothing.
    chair.locator("#step-declare").click()
    dialog = chair.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text(f"Declare the result of {TITLE}?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(chair.locator("#state")).to_have_text("CARD VOTE OPEN")
    with app.app_context():
        assert db.session.get(Ballot, ballot_id).state == "card_vote_open"
    chair.locator("#step-declare").click()
    dialog.get_by_role("button", name="Yes, declare").click()
    expect(chair.locator("#state")).to_have_text("DECLARED")
    expect(chair.locator("#verdict")).to_have_text("CARRIED")
    total = chair.locator("#result-table tr.total")
    expect(total.locator("th, td")).to_have_text(
        ["All sections", "3,900", "3,500", "400", "0", "0", "89.74%", "10.26%"]
    )

    # The hall's screen follows by itself: the same document, never reloaded.
    expect(verdict).to_have_text("CARRIED", timeout=PROJECTOR_WAIT_MS)
    expect(verdict).to_have_class(re.compile(r"\bcarried\b"))
    result = projector.locator("table.result")
    expect(result).to_be_visible()
    expect(result.locator("tr.total th, tr.total td")).to_have_text(
        ["All sections", "3,500", "400", "0", "89.74%", "10.26%"]
    )
    expect(result.locator("tbody tr")).to_have_count(3)  # two sections, then all
    expect(projector.locator(".result-chart .chart-label").last).to_have_text(
        "All sections: for 89.74%, against 10.26%"
    )
    assert projector.evaluate("() => window.notReloaded") is True

    # The record: declared and carried on the agreed figures, every entry kept.
    with app.app_context():
        ballot = db.session.get(Ballot, ballot_id)
        assert (ballot.state, ballot.is_carried) == ("declared", True)
        overall = ballot.result["overall"]
        assert (
            overall["votes_present"],
            overall["for"],
            overall["against"],
            overall["abstain"],
            overall["not_voting"],
        ) == (3900, 3500, 400, 0, 0)
        assert ballot.result["carried"] is True
    assert _entries(app, ballot_id) == [
        (1, leeds, 1000, 0, 0, True),
        (1, york, 0, 400, 0, True),
        (1, hull, 2500, 0, 0, True),
        (2, leeds, 1000, 0, 0, True),
        (2, york, 400, 0, 0, False),  # the slip, superseded but kept
        (2, hull, 2500, 0, 0, True),
        (2, york, 0, 400, 0, True),
    ]


def _counted_with_a_slip(app, hall: Hall, declare: bool = False) -> int:
    """A card vote both tellers counted, York entered differently (or agreed and declared)."""
    with app.app_context():
        chair = db.session.execute(sa.select(User).where(User.email == hall.chair)).scalar_one()
        tellers = [
            db.session.execute(sa.select(User).where(User.email == email)).scalar_one()
            for email in hall.tellers
        ]
        ballot = services.create_ballot(
            chair_conference(hall),
            title=TITLE,
            kind="motion",
            majority="simple",
            mode="block",
            session="Saturday morning",
            actor=chair,
        )
        services.open_card_vote(ballot, chair)
        votes = {"Leeds": Votes(for_=1000), "York": Votes(against=400), "Hull": Votes(for_=2500)}
        for teller in tellers:
            for name, vote in votes.items():
                services.enter_votes(ballot, teller, hall.groups[name], vote)
        if declare:
            services.declare(ballot, chair)
        else:
            services.enter_votes(ballot, tellers[1], hall.groups["York"], Votes(for_=400))
        db.session.commit()
        return ballot.id


def chair_conference(hall: Hall):
    """The hall's conference, in the current session."""
    return db.session.get(Conference, hall.conference_id)


@pytest.mark.parametrize("size", SIZES)
def test_the_chair_and_ballot_pages_read_at_every_size(app, page: Page, hall: Hall, size: str):
    counting = _counted_with_a_slip(app, hall)
    declared = _counted_with_a_slip(app, hall, declare=True)
    page.set_viewport_size(SIZES[size])
    _log_in(page, hall.chair)
    base = f"/conferences/{hall.conference_id}"
    page.goto(f"{base}/ballots/{counting}")
    expect(page.locator("tr.disagreement")).to_have_count(1)
    expect(page.locator("#progress-1")).to_contain_text("3 of 3 delegations entered")
    assert_readable(page)
    keep_screenshot(page, f"chair-counting-{size}")
    page.goto(f"{base}/ballots/{declared}")
    expect(page.locator("#verdict")).to_have_text("CARRIED")
    assert_readable(page)
    keep_screenshot(page, f"chair-declared-{size}")
    page.goto(f"{base}/ballots")
    expect(page.locator("#ballots tbody tr")).to_have_count(2)
    assert_readable(page)
    keep_screenshot(page, f"ballots-{size}")
