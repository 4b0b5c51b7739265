"""A secretary on a phone registers the delegation; the committee approves it on a desktop.

The conference's rule is the registration tests' EQUAL_RULE: Leeds (1,000 members, 120 of
them women) has 3 base delegates and one extra women's seat, at least every second base
delegate must be a woman, and 2 alternates are allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from confapp.extensions import db
from confapp.models import Group, Role, User
from confapp.registration import services
from confapp.registration.services import PersonDetails
from tests import factories
from tests.browser.conftest import DESKTOP
from tests.registration.conftest import EQUAL_RULE

PHONE = {"width": 390, "height": 844}
SENTENCE = "Your group has 1,000 members: 3 delegates, one extra women's seat, card vote 1,000."
EVERY_SECOND = (
    "At least every second base delegate must be a woman: "
    "2 base delegates need at least 1 woman, and the delegation has 0."
)

# Every element whose right edge passes the window, outermost first: what scrolls sideways.
OVERFLOWING = """() => {
    const width = window.innerWidth;
    return [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > width + 0.5)
        .map((el) => {
            const id = el.id ? "#" + el.id : "";
            const cls = typeof el.className === "string" && el.className.trim()
                ? "." + el.className.trim().split(/\\s+/).join(".") : "";
            const r = el.getBoundingClientRect();
            return `${el.tagName.toLowerCase()}${id}${cls} (left ${r.left}, right ${r.right})`;
        });
}"""


@pytest.fixture
def viewport():
    """A phone held upright: the secretary's pages are used at home after the branch meeting."""
    return PHONE


@dataclass
class Leeds:
    """The conference and its Leeds group, with the secretary's and the committee's logins."""

    conference_id: int
    group_id: int
    secretary: str
    admin: str


@pytest.fixture
def leeds(app) -> Leeds:
    """Leeds under EQUAL_RULE, its secretary, and an admin of the conference (the committee)."""
    with app.app_context():
        conference = factories.conference(rule=EQUAL_RULE)
        group = factories.group(
            conference, "Leeds", members=1000, women_members=120, young_members=50
        )
        secretary = factories.user(
            "sec@leeds.example.org", conf=conference, role=Role.SECRETARY, group=group
        )
        admin = factories.user("committee@example.org", conf=conference, role=Role.ADMIN)
        return Leeds(conference.id, group.id, secretary.email, admin.email)


def _open_group_from_home(page: Page, log_in, email: str) -> None:
    """Log in through the form and follow the home page's link to Leeds."""
    log_in(email)
    expect(page.get_by_role("heading", name="Your conferences")).to_be_visible()
    page.get_by_role("link", name="Leeds", exact=True).click()
    expect(page.get_by_role("heading", name="Leeds", level=1)).to_be_visible()


def _person(page: Page, name: str) -> Locator:
    """One person's card in 'Your delegation'."""
    return page.locator("#people li.person").filter(
        has=page.locator(".person-name", has_text=re.compile(rf"^{re.escape(name)}$"))
    )


def _expect_status(page: Page, name: str, status: str) -> None:
    """The person's status as the eye reads it (the CSS upper-cases the word)."""
    expect(_person(page, name).locator(".status")).to_have_text(status, use_inner_text=True)


def _seat_line(page: Page, what: str) -> Locator:
    """The 'Places' line for 'delegates', "women's seat" or 'alternates'."""
    return page.locator("ul.seats > li").filter(has_text=what)


def _fill_person(page: Page, name: str, email: str, *, woman: bool, seat: str | None = None):
    """Fill the Add form as a secretary does and press Add."""
    expect(page.get_by_role("heading", name="Add a delegate")).to_be_visible()
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail").fill(email)
    if seat is not None:
        page.get_by_label("Seat").select_option(label=seat)
    woman_box = page.get_by_label("Woman", exact=True)
    if woman:
        woman_box.check()
    else:
        expect(woman_box).not_to_be_checked()
    page.get_by_label("Date of the meeting that elected them").fill("2027-01-20")
    page.get_by_label("Kind of meeting").fill("Branch meeting")
    page.get_by_role("button", name="Add", exact=True).click()


def _add_delegate(page: Page, name: str, email: str, *, woman: bool) -> None:
    """From the group page: the delegates' Add button, the form, back on the group page."""
    _seat_line(page, "delegates").get_by_role("button", name="Add to delegates").click()
    _fill_person(page, name, email, woman=woman)
    expect(page.get_by_role("status").filter(has_text="added as")).to_have_text(
        f"{name} added as delegate (draft: submit when ready)."
    )
    expect(page.get_by_role("heading", name="Leeds", level=1)).to_be_visible()


def _expect_no_sideways_scroll(page: Page) -> None:
    """The page fits the phone's width; if not, name the elements that stick out."""
    page.wait_for_load_state("load")  # measured as styled (see readable.sideways_overflow)
    fits = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    if not fits:
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        culprits = page.evaluate(OVERFLOWING)
        pytest.fail(
            f"{page.url} scrolls sideways (scrollWidth {width[0]} > innerWidth {width[1]});"
            " elements sticking out:\n" + "\n".join(culprits)
        )


def test_secretary_registers_and_submits_a_delegation_that_meets_the_rule(
    page: Page, log_in, leeds: Leeds
):
    _open_group_from_home(page, log_in, leeds.secretary)
    expect(page.locator(".entitlement .big")).to_have_text(SENTENCE)
    expect(_seat_line(page, "delegates")).to_contain_text("0 of 3 delegates")
    expect(_seat_line(page, "women's seat")).to_contain_text("0 of 1 women's seat")
    expect(page.get_by_text("Nobody is registered yet.")).to_be_visible()
    _expect_no_sideways_scroll(page)

    _add_delegate(page, "Ann Jones", "ann@example.org", woman=True)
    _add_delegate(page, "Bob Smith", "bob@example.org", woman=False)

    expect(_seat_line(page, "delegates")).to_contain_text("2 of 3 delegates")
    expect(page.locator("#people li.person")).to_have_count(2)
    _expect_status(page, "Ann Jones", "DRAFT")
    _expect_status(page, "Bob Smith", "DRAFT")
    expect(_person(page, "Ann Jones")).to_contain_text("· woman")
    expect(_person(page, "Bob Smith")).not_to_contain_text("woman")
    # One woman in two base delegates: nothing stands in the way.
    expect(page.locator("#equality-check")).to_have_count(0)
    _expect_no_sideways_scroll(page)

    page.get_by_role("button", name="Submit 2 registrations to the committee").click()
    expect(page.get_by_role("status").filter(has_text="Submitted")).to_have_text(
        "Submitted 2 to the credentials committee."
    )
    _expect_status(page, "Ann Jones", "SUBMITTED")
    _expect_status(page, "Bob Smith", "SUBMITTED")
    expect(page.locator("#submit-delegation")).to_have_count(0)
    # Submitted people are no longer edited, only withdrawn.
    expect(_person(page, "Ann Jones").get_by_role("button", name="Edit")).to_have_count(0)
    _expect_no_sideways_scroll(page)


def test_secretary_breaking_the_rules_is_told_which_rule(page: Page, log_in, leeds: Leeds):
    _open_group_from_home(page, log_in, leeds.secretary)

    # Two men as base delegates: the page warns before anything is sent.
    _add_delegate(page, "Bob Smith", "bob@example.org", woman=False)
    expect(page.locator("#equality-check")).to_have_count(0)  # one delegate: no rule yet
    _add_delegate(page, "Dan Evans", "dan@example.org", woman=False)
    warning = page.locator("#equality-check")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Before you can submit:")
    expect(warning.get_by_role("listitem")).to_have_text([EVERY_SECOND])
    _expect_no_sideways_scroll(page)

    # Submitting anyway is refused, naming the rule; nothing changes.
    page.get_by_role("button", name="Submit 2 registrations to the committee").click()
    expect(page.get_by_role("alert")).to_have_text(f"Not submitted: {EVERY_SECOND}")
    _expect_status(page, "Bob Smith", "DRAFT")
    _expect_status(page, "Dan Evans", "DRAFT")

    # The women's seat with a man: refused, and the form keeps what was typed.
    _seat_line(page, "women's seat").get_by_role("button", name="Add to women's seat").click()
    expect(page.get_by_label("Seat")).to_have_value("women's seat")
    _fill_person(page, "Ed Price", "ed@example.org", woman=False)
    expect(page.get_by_role("alert")).to_have_text(
        "The women's seat can only be filled by a woman."
    )
    expect(page.get_by_label("Full name")).to_have_value("Ed Price")
    page.get_by_role("link", name="← Leeds").click()
    expect(page.locator("#people li.person")).to_have_count(2)
    expect(_seat_line(page, "women's seat")).to_contain_text("0 of 1 women's seat")

    # A woman as the third base delegate: the rule is met, the warning goes.
    _add_delegate(page, "Fay Hughes", "fay@example.org", woman=True)
    expect(page.locator("#equality-check")).to_have_count(0)
    expect(_seat_line(page, "delegates")).to_contain_text("3 of 3 delegates")
    expect(_seat_line(page, "delegates").get_by_role("button", name="Add")).to_have_count(0)

    # A fourth base delegate, picked from the seat list of the women's seat form: refused.
    _seat_line(page, "women's seat").get_by_role("button", name="Add to women's seat").click()
    _fill_person(page, "Gus Lloyd", "gus@example.org", woman=True, seat="Delegate")
    expect(page.get_by_role("alert")).to_have_text(
        "Your group is entitled to 3 delegates, and 3 are already registered."
    )
    page.get_by_role("link", name="← Leeds").click()
    expect(page.locator("#people li.person")).to_have_count(3)
    expect(_person(page, "Gus Lloyd")).to_have_count(0)

    # Now it goes through.
    page.get_by_role("button", name="Submit 3 registrations to the committee").click()
    expect(page.get_by_role("status").filter(has_text="Submitted")).to_have_text(
        "Submitted 3 to the credentials committee."
    )
    for name in ("Bob Smith", "Dan Evans", "Fay Hughes"):
        _expect_status(page, name, "SUBMITTED")


def _submitted_delegation(app, leeds: Leeds) -> None:
    """Ann (a woman) and Bob registered and submitted by the secretary, as in the first test."""
    with app.app_context():
        group = db.session.get(Group, leeds.group_id)
        secretary = db.session.scalar(db.select(User).where(User.email == leeds.secretary))
        for name, email, woman in (
            ("Ann Jones", "ann@example.org", True),
            ("Bob Smith", "bob@example.org", False),
        ):
            details = PersonDetails(name=name, email=email, is_woman=woman, is_young=False)
            services.register(group, details, secretary)
        services.submit(group, secretary)
        db.session.commit()  # as the views do, once the use cases have flushed


def test_committee_rejects_one_approves_the_other_and_the_secretary_sees_why(
    app, page: Page, log_in, leeds: Leeds
):
    _submitted_delegation(app, leeds)
    reason = "Not elected at a quorate meeting."

    # The committee, at a desk.
    page.set_viewport_size(DESKTOP)
    log_in(leeds.admin)
    expect(page.get_by_role("heading", name="Your conferences")).to_be_visible()
    page.goto(f"/admin/conferences/{leeds.conference_id}/queue")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    card = page.locator("article.review-card").filter(
        has=page.get_by_role("heading", name="Leeds", level=2)
    )
    expect(card).to_contain_text(SENTENCE.replace("Your group", "Leeds"))
    expect(card.locator(".ok-line")).to_have_text("✔ Meets the equality rule.")
    rows = card.locator("tbody")  # one row group a person: their details, then the decision
    expect(rows).to_have_count(2)
    ann, bob = rows.filter(has_text="Ann Jones"), rows.filter(has_text="Bob Smith")
    expect(ann).to_contain_text("woman")
    expect(ann.locator(".status")).to_have_text("SUBMITTED", use_inner_text=True)
    expect(bob.locator(".status")).to_have_text("SUBMITTED", use_inner_text=True)
    expect(card.get_by_role("button", name="Approve all 2 submitted of Leeds")).to_be_visible()

    bob.get_by_label("Reason for rejecting Bob Smith").fill(reason)
    bob.get_by_role("button", name="Reject Bob Smith").click()
    expect(page.get_by_role("status")).to_have_text("Rejected Bob Smith (Leeds).")
    expect(bob.locator(".status")).to_have_text("REJECTED", use_inner_text=True)
    expect(bob).to_contain_text(reason)
    # One left waiting: no "Approve all" for a single registration.
    expect(card.get_by_role("button", name=re.compile("^Approve all"))).to_have_count(0)

    ann.get_by_role("button", name="Approve Ann Jones", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Approved Ann Jones (Leeds).")
    expect(page.get_by_text("Nothing is waiting")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_have_text("You are logged out.")

    # The secretary, back on the phone.
    page.set_viewport_size(PHONE)
    _open_group_from_home(page, log_in, leeds.secretary)
    _expect_status(page, "Ann Jones", "APPROVED")
    _expect_status(page, "Bob Smith", "REJECTED")
    expect(_person(page, "Bob Smith").locator(".reason")).to_have_text(f"Reason: {reason}")
    expect(_person(page, "Ann Jones").locator(".reason")).to_have_count(0)
    # A rejected registration can be corrected; the base seat it held is free again.
    expect(_person(page, "Bob Smith").get_by_role("button", name="Edit")).to_be_visible()
    expect(_seat_line(page, "delegates")).to_contain_text("1 of 3 delegates")
    _expect_no_sideways_scroll(page)
