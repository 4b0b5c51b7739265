"""The committee's pages in its users' hands: the links each role has, grouped and marked where
one is, folded into a menu on a phone; the review queue that keeps the reviewer's place; the
rules form with its preview in sight; every page readable at the four sizes people use.

The world: a conference of 30 groups (Leeds ... Zennor), twelve of which have two
registrations waiting in the queue, and a login for every role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from confapp.extensions import db
from confapp.models import Delegate, Role, Status
from confapp.registration import services
from confapp.registration.services import PersonDetails
from tests import factories
from tests.browser.readable import (
    AXE,
    PHONE,
    SIZES,
    assert_no_sideways_scroll,
    assert_readable,
    keep_screenshot,
)
from tests.world import build_once

TOWNS = [
    "Aberdeen",
    "Bangor",
    "Carlisle",
    "Derby",
    "Exeter",
    "Falkirk",
    "Gloucester",
    "Hull",
    "Ipswich",
    "Jarrow",
    "Kendal",
    "Leeds",
    "Morpeth",
    "Norwich",
    "Oldham",
    "Perth",
    "Quorn",
    "Ripon",
    "Sheffield",
    "Truro",
    "Upminster",
    "Ventnor",
    "Wigan",
    "Yarm",
    "York",
    "Zennor",
    "Alnwick",
    "Bolton",
    "Crewe",
    "Dudley",
]
WAITING = TOWNS[:12]  # the groups with two registrations waiting, Aberdeen to Leeds

# What each role's header offers, group by group, in order.
COMMITTEE_NAV = {
    "Before": ["Rules", "Groups", "Users", "Delegates", "Queue", "Badges"],
    "On the day": ["Door", "Presence", "Report", "Audit log"],
    "Floor": ["Ballots", "Elections"],
    "Members": ["Register", "Members' ballots"],
}
NAV = {
    "committee": COMMITTEE_NAV,
    "site_admin": {**COMMITTEE_NAV, "Site": ["Conferences"]},
    "steward": {"On the day": ["Door", "Presence"]},
    "teller": {"Floor": ["Ballots", "Elections"]},
    "secretary": {"Your group": ["Leeds"]},
}


@dataclass
class World:
    """The conference, its groups by name and a login for every role."""

    conference_id: int
    groups: dict[str, int]
    logins: dict[str, str]

    def landing(self, role: str) -> tuple[str, str]:
        """Where a role works (path) and that page's link in the header."""
        c = self.conference_id
        return {
            "committee": (f"/admin/conferences/{c}/queue", "Queue"),
            "site_admin": (f"/admin/conferences/{c}/groups", "Groups"),
            "steward": (f"/conferences/{c}/presence", "Presence"),
            "teller": (f"/conferences/{c}/ballots", "Ballots"),
            "secretary": (f"/groups/{self.groups['Leeds']}", "Leeds"),
        }[role]


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        return build_once(_build_world)


def _build_world() -> World:
    """The conference, its groups, a login for every role and the queue, committed."""
    conference = factories.conference("Annual Conference 2027")
    groups = {
        town: factories.group(
            conference,
            town,
            members=1000 + 37 * i,
            women_members=400,
            young_members=60,
            region=("North", "Midlands", "South")[i % 3],
        )
        for i, town in enumerate(TOWNS)
    }
    for n in range(30):  # enough for a second page of groups
        factories.group(conference, f"Ward {n + 1:02}", members=200 + n)
    logins = {
        "committee": factories.user(
            "committee@example.org", conf=conference, role=Role.ADMIN
        ).email,
        "site_admin": factories.user("site@example.org", site_admin=True).email,
        "steward": factories.user("steward@example.org", conf=conference, role=Role.STEWARD).email,
        "teller": factories.user("teller@example.org", conf=conference, role=Role.TELLER).email,
    }
    for town in WAITING:
        secretary = factories.user(
            f"sec@{town.lower()}.example.org",
            conf=conference,
            role=Role.SECRETARY,
            group=groups[town],
        )
        for name, woman in ((f"Ann {town}", True), (f"Bob {town}", False)):
            email = f"{name.lower().replace(' ', '.')}@example.org"
            details = PersonDetails(name=name, email=email, is_woman=woman, is_young=False)
            services.register(groups[town], details, secretary)
        services.submit(groups[town], secretary)
        db.session.commit()
    logins["secretary"] = "sec@leeds.example.org"
    return World(conference.id, {t: g.id for t, g in groups.items()}, logins)


def _status_of(app, name: str) -> str:
    with app.app_context():
        return db.session.scalar(db.select(Delegate.status).where(Delegate.name == name))


def _open_menu_if_folded(page: Page) -> None:
    """On a phone the committee's links are behind the Menu; open it (a <details>, no script)."""
    menu = page.locator("details.nav-menu")
    if menu.is_visible():
        menu.locator("summary").click()
        expect(menu).to_have_attribute("open", "")


def _header_links(page: Page) -> dict[str, list[str]]:
    """The header's visible link groups: heading → link texts."""
    found = {}
    for group in page.locator(".site-header nav .nav-group").all():
        if group.is_visible():
            # text_content: the words, not their upper-cased look.
            found[group.locator(".nav-heading").text_content().strip()] = [
                a.inner_text().strip() for a in group.get_by_role("link").all()
            ]
    return found


def _assert_header_accessible(page: Page) -> None:
    """axe-core finds nothing serious in the header (the rest of the page is another area's)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => (await axe.run(".site-header", {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "))"""
    )
    assert not found, f"axe-core found in the header: {found}"


# ---- navigation ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", NAV)
def test_each_role_sees_only_its_links_grouped_with_its_page_marked(
    page: Page, log_in, world: World, role: str, size: str
):
    page.set_viewport_size(SIZES[size])
    log_in(world.logins[role])
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    path, here = world.landing(role)
    page.goto(path)

    folds = len(sum(NAV[role].values(), [])) > 3
    menu = page.locator("details.nav-menu")
    if size == "phone" and folds:
        # Folded: one menu button naming where one is, the links hidden until it is opened.
        expect(menu.locator("summary")).to_have_text(f"Menu: {here}")
        expect(page.locator(".nav-wide")).to_be_hidden()
        keep_screenshot(page, f"committee-nav-{role}-{size}-closed")
        _open_menu_if_folded(page)
    else:
        expect(menu).to_be_hidden()
    assert _header_links(page) == NAV[role]

    # Where one is: aria-current="page" on one link, and a mark the eye sees.
    current = page.locator(".site-header nav a[aria-current=page]").filter(visible=True)
    expect(current).to_have_count(1)
    expect(current).to_have_text(here)
    other = page.locator(".site-header nav a:not([aria-current])").filter(visible=True)
    if other.count():
        marked, plain = (
            loc.evaluate(
                "a => [getComputedStyle(a).fontWeight, getComputedStyle(a).backgroundColor]"
            )
            for loc in (current, other.first)
        )
        assert marked != plain, "the current page's link looks like every other"

    # Laptops and bigger: the links take one row under the bar; a phone never scrolls sideways.
    if size in ("laptop", "projector"):
        tops = {
            round(b["y"]) for b in (a.bounding_box() for a in page.locator(".nav-wide a").all())
        }
        assert len(tops) == 1, f"the links wrap to {len(tops)} rows at {size}"
    if role in ("committee", "site_admin"):
        assert_readable(page)  # the page is the committee's: all of it
    else:
        assert_no_sideways_scroll(page)  # the page is another area's: its header here
        _assert_header_accessible(page)
    keep_screenshot(page, f"committee-nav-{role}-{size}")


def test_the_phone_menu_opens_without_javascript(browser: Browser, live_server, world: World):
    context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-mail").fill(world.logins["committee"])
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/admin/conferences/{world.conference_id}/groups")
        report = page.get_by_role("link", name="Report", exact=True)
        expect(report).to_be_hidden()
        page.get_by_text("Menu: Groups").click()
        expect(report).to_be_visible()
        report.click()
        expect(page).to_have_url(re.compile(rf"/admin/conferences/{world.conference_id}/report$"))
        expect(page.locator("details.nav-menu summary")).to_have_text("Menu: Report")
    finally:
        context.close()


# ---- the review queue ------------------------------------------------------------------------


def _card(page: Page, town: str):
    return page.locator("article.review-card").filter(
        has=page.get_by_role("heading", name=town, level=2)
    )


def _in_view(page: Page, locator) -> bool:
    """Whether the element's top is on the screen as it stands (not scrolled away)."""
    page.wait_for_load_state("load")  # styled, and scrolled to the address's #fragment
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and 0 <= box["y"] < height


@pytest.mark.parametrize("size", SIZES)
def test_the_queue_keeps_the_reviewers_place_after_approve_and_reject(
    app, page: Page, log_in, world: World, size: str
):
    page.set_viewport_size(SIZES[size])
    log_in(world.logins["committee"])
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(f"/admin/conferences/{world.conference_id}/queue")
    assert_readable(page)
    keep_screenshot(page, f"committee-queue-{size}")

    # Far down the page: Jarrow, the tenth card.
    jarrow = _card(page, "Jarrow")
    jarrow.scroll_into_view_if_needed()
    # The committee is not "Your group": the card names the group.
    expect(jarrow).to_contain_text("Jarrow has 1,333 members: 4 delegates")
    expect(page.locator("main")).not_to_contain_text("Your group")
    approve = jarrow.get_by_role("button", name="Approve Ann Jarrow", exact=True)
    reject = jarrow.get_by_role("button", name="Reject Bob Jarrow", exact=True)
    reason = jarrow.get_by_label("Reason for rejecting Bob Jarrow")
    for control in (approve, reject, reason):
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"], (
            f"{control} is off the screen sideways at {size}"
        )

    # The reason box holds the sentence on screen: nothing of it is cut off.
    why = "Not elected at a quorate meeting of the branch; the minutes show 9 present of 40."
    reason.fill(why)
    hidden = reason.evaluate(
        "t => t.scrollWidth > t.clientWidth || t.scrollHeight > t.clientHeight"
    )
    assert not hidden, "the reason box cuts off what was typed"
    keep_screenshot(page, f"committee-queue-reason-{size}")

    reject.click()
    expect(page).to_have_url(re.compile(rf"/queue#group-{world.groups['Jarrow']}$"))
    jarrow = _card(page, "Jarrow")
    expect(jarrow.get_by_role("status")).to_have_text("Rejected Bob Jarrow (Jarrow).")
    assert _in_view(page, jarrow.get_by_role("status")), "back at the top, not at Jarrow"
    assert _status_of(app, "Bob Jarrow") == Status.REJECTED

    jarrow.get_by_role("button", name="Approve Ann Jarrow", exact=True).click()
    # Jarrow has nothing more waiting and leaves the queue: the reviewer is at the next group.
    kendal = _card(page, "Kendal")
    expect(kendal.get_by_role("status")).to_have_text("Approved Ann Jarrow (Jarrow).")
    expect(_card(page, "Jarrow")).to_have_count(0)
    assert _in_view(page, kendal.get_by_role("heading", name="Kendal")), "not at the next group"
    assert _status_of(app, "Ann Jarrow") == Status.APPROVED
    assert_readable(page)
    keep_screenshot(page, f"committee-queue-after-{size}")


def test_the_queue_keeps_the_place_without_javascript(
    app, browser: Browser, live_server, world: World
):
    context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-mail").fill(world.logins["committee"])
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/admin/conferences/{world.conference_id}/queue")
        hull = _card(page, "Hull")
        hull.get_by_role("button", name="Approve Ann Hull", exact=True).click()
        expect(page).to_have_url(re.compile(rf"/queue#group-{world.groups['Hull']}$"))
        expect(_card(page, "Hull").get_by_role("status")).to_have_text("Approved Ann Hull (Hull).")
        assert _in_view(page, _card(page, "Hull").get_by_role("status"))
        assert page.evaluate("() => window.scrollY") > 2000
        assert _status_of(app, "Ann Hull") == Status.APPROVED
    finally:
        context.close()


# ---- the rules form --------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_rules_form_keeps_values_whole_and_its_preview_in_sight(
    page: Page, log_in, world: World, size: str
):
    page.set_viewport_size(SIZES[size])
    log_in(world.logins["committee"])
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(f"/admin/conferences/{world.conference_id}/edit")
    assert_readable(page)
    keep_screenshot(page, f"committee-rules-{size}")

    # The deadline's date and time fit their box (not "12/29/2026, 0").
    deadline = page.get_by_label("Registration deadline")
    width = deadline.evaluate("e => e.getBoundingClientRect().width")
    assert width >= 250, f"the deadline box is {width}px wide at {size}"

    # Steps chosen: the band table is not shown; bands chosen: the steps are not.
    bands = page.get_by_role("textbox", name="Band table")
    expect(bands).to_be_hidden()
    page.get_by_role("radio", name="Band table").check()
    expect(bands).to_be_visible()
    expect(page.get_by_label("Then 1 more per (members)")).to_be_hidden()
    page.get_by_role("radio", name="First band + steps").check()
    expect(bands).to_be_hidden()

    # Change a field far down the form: the preview follows and is on the screen.
    cap = page.get_by_label("Cap on base delegates", exact=True)
    cap.scroll_into_view_if_needed()
    cap.fill("4")
    preview = page.locator("#rule-preview")
    expect(preview).to_contain_text("at most 4;")
    box, screen = preview.bounding_box(), page.viewport_size
    assert box["y"] < screen["height"] and box["y"] + min(box["height"], 80) > 0, (
        f"the preview is off the screen at {size}: {box}"
    )
    cap_box = cap.bounding_box()
    assert cap_box["y"] >= 0 and cap_box["y"] + cap_box["height"] <= screen["height"]
    if size in ("laptop", "projector"):
        assert box["x"] > cap_box["x"] + cap_box["width"], "the preview is not beside the fields"
    assert_readable(page)
    keep_screenshot(page, f"committee-rules-preview-{size}")

    # A wrong value is told in words.
    page.get_by_label("First band (members)").fill("-5")
    expect(preview.get_by_role("alert")).to_have_text(
        "The rule cannot be applied: The first band's number of members must be at least 0, not -5."
    )


# ---- every committee page at every size ------------------------------------------------------

PAGES = {
    "groups": "/admin/conferences/{c}/groups",
    "groups-page-2": "/admin/conferences/{c}/groups?page=2",
    "delegates": "/admin/conferences/{c}/delegates",
    "users": "/admin/conferences/{c}/users",
    "audit": "/admin/conferences/{c}/audit",
    "report": "/admin/conferences/{c}/report",
    "conferences": "/admin/conferences",
    "seating": "/admin/conferences/{c}/groups/{leeds}/seating",
}


@pytest.mark.parametrize("size", SIZES)
def test_the_committees_pages_are_readable_at_every_size(
    page: Page, log_in, world: World, size: str
):
    page.set_viewport_size(SIZES[size])
    log_in(world.logins["site_admin"])
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    for name, path in PAGES.items():
        page.goto(path.format(c=world.conference_id, leeds=world.groups["Leeds"]))
        expect(page.locator("h1")).to_be_visible()
        assert_readable(page)
        keep_screenshot(page, f"committee-{name}-{size}")
