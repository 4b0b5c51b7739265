"""An election's count sheet and the projector showing it, in real Chromium.

The count sheet page on a phone, a tablet, a laptop and the projector: the elected first, the
stages in a box that scrolls by keyboard while the page never scrolls sideways, axe-clean.
The hall's screen with an election of 12 candidates and 10 stages fits 1920x1080 and
1280x720 with nothing scrolled off; on other screens nothing scrolls sideways.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from confapp import factories
from confapp.extensions import db
from confapp.models import Conference, Role
from tests.browser.readable import (
    LAPTOP,
    PHONE,
    PROJECTOR,
    SIZES,
    TABLET,
    assert_readable,
    keep_screenshot,
)
from tests.browser.test_projector import assert_on_screen
from tests.elections.test_published_pages import (
    TWELVE,
    TWELVE_QUOTAS,
    TWELVE_READINGS,
    declared_election,
)

PROJECTOR_720 = {"width": 1280, "height": 720}
GROUPS = {
    "Asha Khan-Williams": "Leeds Central",
    "Bryn Llewellyn": "Unite the Union",
    "Cerys Ó Súilleabháin": "Fabian Society",
    "Dev Patel": "York Outer",
}
TITLE = "National Executive Committee: constituency section"


def build(app, role: Role, *, on_projector: bool = False) -> tuple[str, str, dict]:
    """A conference with a declared 12-candidate, 10-stage election; (email, path, result)."""
    with app.app_context():
        conf = factories.conference()
        election = declared_election(
            conf,
            TWELVE,
            TWELVE_READINGS,
            seats=4,
            categories=TWELVE_QUOTAS,
            groups=GROUPS,
            title=TITLE,
        )
        person = factories.user(conf=conf, role=role)
        if on_projector:
            db.session.get(Conference, conf.id).projector_election_id = election.id
            db.session.commit()
        path = f"/conferences/{conf.id}/elections/{election.id}/count-sheet"
        return person.email, path, election.result


def test_the_count_sheet_reads_at_every_size(app, page: Page, log_in):
    email, path, result = build(app, Role.STEWARD)
    log_in(email)
    assert len(result["stages"]) == 10

    for name, size in SIZES.items():
        page.set_viewport_size(size)
        page.goto(path)
        assert_readable(page)
        elected = page.locator("#elected li")
        expect(elected).to_have_count(4)
        expect(elected.first).to_contain_text("Asha Khan-Williams (Leeds Central)")
        # The elected come before the table: on a phone, on the first screen.
        top = page.locator("#elected").bounding_box()["y"]
        assert top < page.locator(".count-sheet-wrap").bounding_box()["y"]
        if size is PHONE:
            assert top + 100 < PHONE["height"]
        keep_screenshot(page, f"election-count-sheet-{name}")
        page.locator("#stages-heading").scroll_into_view_if_needed()
        page.evaluate("() => document.getElementById('stages-heading').scrollIntoView()")
        keep_screenshot(page, f"election-count-sheet-{name}-stages")

    # On a phone the table scrolls inside its box, reached by the keyboard.
    page.set_viewport_size(PHONE)
    page.goto(path)
    box = page.locator(".count-sheet-wrap")
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    box.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.count-sheet-wrap').scrollLeft > 0", timeout=2000
    )
    assert page.evaluate("() => document.activeElement.classList.contains('count-sheet-wrap')")
    # The names stay in view while the stages scroll under them.
    name = page.locator("table.count-sheet tbody th").first.bounding_box()
    assert name["x"] >= 0 and name["x"] < 40


def test_the_projector_shows_the_election_and_fits(app, page: Page, log_in):
    email, path, result = build(app, Role.STEWARD, on_projector=True)
    projector = path.split("/elections/")[0] + "/projector"
    log_in(email)

    for name, size in {"1080p": PROJECTOR, "720p": PROJECTOR_720}.items():
        page.set_viewport_size(size)
        page.goto(projector)
        assert_readable(page, fits=True)
        expect(page.locator("#elected li")).to_have_count(4)
        expect(page.locator("#elected li").first).to_contain_text("Leeds Central")
        expect(page.locator("#projector-sheet tbody tr")).to_have_count(13)  # 12 and non-trans.
        expect(page.locator("#projector-sheet thead th")).to_have_count(11)
        for selector in ("#elected li", "#quotas li", "#projector-sheet tr", "#sheet-note"):
            assert_on_screen(page, selector)
        box = page.locator("#sheet-box")
        assert box.evaluate("el => el.scrollWidth <= el.clientWidth")  # nothing hidden in it
        expect(page.locator("#quotas")).to_contain_text("Women: 2 of at least 2 · met")
        expect(page.locator("#sheet-note")).to_contain_text(path)
        keep_screenshot(page, f"projector-election-{name}")
    for name, size in {"phone": PHONE, "tablet": TABLET, "laptop": LAPTOP}.items():
        page.set_viewport_size(size)
        page.goto(projector)
        assert_readable(page)
        keep_screenshot(page, f"projector-election-{name}")
