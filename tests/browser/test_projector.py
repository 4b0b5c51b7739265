"""The hall's screen in real Chromium: it fits a 1920x1080 or 1280x720 projector with nothing
scrolled off (the verdict, the majority needed, the figures, every chart label in full), and on
a phone, a tablet or a laptop nothing scrolls sideways and axe-core finds nothing serious.

Four screens: presence and quorum, a card vote being counted, a declared simple result and a
declared weighted result with three sections (long names, a long title).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from confapp.extensions import db
from confapp.voting import services
from tests.browser.readable import (
    LAPTOP,
    PHONE,
    PROJECTOR,
    TABLET,
    assert_readable,
    keep_screenshot,
)
from tests.voting.test_results_shown import build_hall, declare, open_ballot

PROJECTOR_720 = {"width": 1280, "height": 720}
FITS = {"1080p": PROJECTOR, "720p": PROJECTOR_720}
OTHER = {"phone": PHONE, "tablet": TABLET, "laptop": LAPTOP}

UNIONS, PARTIES, SOCIETIES = (
    "Affiliated trade unions",
    "Constituency Labour parties",
    "Socialist societies",
)
THREE_SECTIONS = {
    "Leeds Central": (PARTIES, 1200),
    "York Outer": (PARTIES, 800),
    "Unite the Union": (UNIONS, 9000),
    "GMB": (UNIONS, 6000),
    "Fabian Society": (SOCIETIES, 700),
}
LONG_TITLE = "Composite 3: A fair deal for renters, council housing and the cost of living"

# Where each element that must be seen sits on the screen, and whether its text is cut.
PLACES = """(selector) => Array.from(document.querySelectorAll(selector)).map(el => {
  const r = el.getBoundingClientRect();
  const chart = el.closest('.result-chart');
  const box = chart ? chart.getBoundingClientRect() : r;
  return {
    text: el.textContent.trim().slice(0, 80),
    top: r.top, bottom: r.bottom, left: r.left, right: r.right,
    inChart: r.left >= box.left - 0.5 && r.right <= box.right + 0.5,
    cut: el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1,
  };
})"""


def places(page: Page, selector: str) -> list[dict]:
    return page.evaluate(PLACES, selector)


def assert_on_screen(page: Page, selector: str) -> list[dict]:
    """Every element the selector finds is wholly inside the window, its text not cut."""
    found = places(page, selector)
    assert found, f"nothing on the screen matches {selector}"
    size = page.viewport_size
    for place in found:
        assert place["top"] >= 0 and place["bottom"] <= size["height"], (selector, place, size)
        assert place["left"] >= 0 and place["right"] <= size["width"], (selector, place, size)
    return found


def assert_chart_labels_whole(page: Page) -> None:
    """Each chart label and bar sits inside the chart's box, and no label's text is cut."""
    for selector in (".result-chart .chart-label", ".result-chart .chart-bar"):
        for place in places(page, selector):
            assert place["inChart"], (selector, place)
            if selector.endswith("label"):
                assert not place["cut"], place


def look_at(page: Page, name: str, must_see: tuple[str, ...], chart: bool = False) -> None:
    """The projector at each size: fits on the projectors, readable everywhere."""
    url = page.url
    for size_name, size in FITS.items():
        page.set_viewport_size(size)
        page.goto(url)
        assert_readable(page, fits=True)
        for selector in must_see:
            assert_on_screen(page, selector)
        if chart:
            assert_chart_labels_whole(page)
        keep_screenshot(page, f"projector-{name}-{size_name}")
    for size_name, size in OTHER.items():
        page.set_viewport_size(size)
        page.goto(url)
        assert_readable(page)
        if chart:
            assert_chart_labels_whole(page)
        keep_screenshot(page, f"projector-{name}-{size_name}")


@pytest.fixture
def on_screen(app, page, log_in):
    """Build a hall, let `choose` put something on the projector, and open it as the steward."""

    def _on_screen(weights, delegations, choose) -> None:
        with app.app_context():
            hall = build_hall(weights, delegations)
            ballot = choose(hall)
            if ballot is not None:
                services.show_on_projector(hall.conference, ballot, hall.chair)
            db.session.commit()
            email, conference_id = hall.steward.email, hall.conference.id
        log_in(email)
        page.goto(f"/conferences/{conference_id}/projector")

    return _on_screen


def test_the_presence_screen_fits(page, on_screen):
    on_screen({PARTIES: None, UNIONS: None}, {"Leeds Central": (PARTIES, 1200)}, lambda h: None)
    assert "QUORATE" in page.locator("#live-counters").inner_text()
    look_at(page, "presence", ("#live-counters .quorum-state", "#live-counters div"))


def test_a_ballot_being_counted_fits(page, on_screen):
    on_screen(
        {PARTIES: None, UNIONS: None},
        {"Leeds Central": (PARTIES, 1200), "GMB": (UNIONS, 6000)},
        lambda hall: open_ballot(hall, LONG_TITLE, kind="composite", majority="two_thirds"),
    )
    assert page.locator("#verdict").inner_text() == "CARD VOTE IN PROGRESS"
    look_at(page, "counting", ("#verdict", "#needed", ".big-figure"))


def test_a_declared_simple_result_fits(page, on_screen):
    on_screen(
        {PARTIES: None, UNIONS: None},
        {"Leeds Central": (PARTIES, 1200), "York Outer": (PARTIES, 800), "GMB": (UNIONS, 6000)},
        lambda hall: declare(
            hall,
            open_ballot(hall, "Motion 4: Housing"),
            {"Leeds Central": "for_", "York Outer": "against", "GMB": "for_"},
        ),
    )
    assert page.locator("#verdict").inner_text() == "CARRIED"
    look_at(
        page,
        "declared-simple",
        ("#verdict", "#needed", "#projector-result tr", ".result-chart .chart-bar"),
        chart=True,
    )


def test_a_declared_weighted_result_with_three_sections_fits(page, on_screen):
    on_screen(
        {PARTIES: 50, UNIONS: 40, SOCIETIES: 10},
        THREE_SECTIONS,
        lambda hall: declare(
            hall,
            open_ballot(hall, LONG_TITLE, kind="composite"),
            {
                "Leeds Central": "for_",
                "York Outer": "against",
                "Unite the Union": "against",
                "GMB": "for_",
                "Fabian Society": "for_",
            },
        ),
    )
    needed = page.locator("#needed").inner_text()
    assert "on the weighted result" in needed and "Weighted: for" in needed
    labels = [p["text"] for p in places(page, ".result-chart .chart-label")]
    assert labels[-1].startswith("Weighted result: for ")
    assert labels[0].startswith(f"{PARTIES} (50% of the result): for 60.00%")
    look_at(
        page,
        "declared-weighted",
        ("#verdict", "#needed", "#projector-result tr", ".result-chart .chart-bar"),
        chart=True,
    )


def test_the_chairs_page_shows_the_weighted_result_in_full(app, page, log_in):
    with app.app_context():
        hall = build_hall({PARTIES: 50, UNIONS: 40, SOCIETIES: 10}, THREE_SECTIONS)
        ballot = declare(
            hall,
            open_ballot(hall, LONG_TITLE, kind="composite"),
            {name: "for_" if name != "Unite the Union" else "against" for name in THREE_SECTIONS},
        )
        email, path = hall.chair.email, f"/conferences/{hall.conference.id}/ballots/{ballot.id}"
    log_in(email)
    for size_name, size in {"projector": PROJECTOR, **OTHER}.items():
        page.set_viewport_size(size)
        page.goto(path)
        # 50 × 100% + 40 × 6,000/15,000 + 10 × 100% = 76%.
        weighted = page.locator("#weighted-table tbody tr").last.inner_text().split()
        assert weighted[:4] == ["Weighted", "result", "100%", "76.00%"], weighted
        assert_readable(page)
        assert_chart_labels_whole(page)
        keep_screenshot(page, f"chair-declared-weighted-{size_name}")
