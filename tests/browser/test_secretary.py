"""The secretary of two groups on a phone after the branch meeting, and at every other size.

The start page says where each group stands (draft, not registered, what is missing, the
deadline) with big buttons; the delegation page, the person form and the substitution form
fit every screen and pass axe; withdrawing, deleting a draft and reissuing a badge ask first.

Leeds (EQUAL_RULE: 3 delegates and a women's seat, 2 alternates) has Ann Jones approved,
Bob Smith submitted and Cat Lewis, an alternate, in draft; Ynys Môn has registered nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from confapp.extensions import db
from confapp.models import (
    Conference,
    Credential,
    Delegate,
    Group,
    Role,
    RoleGrant,
    Status,
    User,
    utcnow,
)
from confapp.registration import services
from confapp.registration.services import PersonDetails
from tests import factories
from tests.browser.readable import PHONE, SIZES, assert_readable, keep_screenshot
from tests.registration.conftest import EQUAL_RULE

TOUCH_TARGET_PX = 44  # the smallest a thumb hits reliably (WCAG 2.5.5, Apple and Android guides)


@pytest.fixture
def viewport():
    """A phone held upright: the secretary's usual screen."""
    return PHONE


@dataclass
class World:
    """Ids and logins the tests need."""

    conference_id: int
    leeds_id: int
    ynys_mon_id: int
    secretary: str
    admin: str


def _person(group, secretary, name, email, *, woman, pass_type="delegate") -> Delegate:
    details = PersonDetails(
        name=name, email=email, is_woman=woman, is_young=False, pass_type=pass_type
    )
    return services.register(group, details, secretary)


@pytest.fixture
def world(app) -> World:
    """Leeds part-way through registering, Ynys Môn not started, one secretary for both."""
    with app.app_context():
        conference = factories.conference(rule=EQUAL_RULE)
        leeds = factories.group(
            conference, "Leeds", members=1000, women_members=120, young_members=50
        )
        ynys_mon = factories.group(conference, "Ynys Môn", members=93, women_members=40)
        secretary = factories.user(
            "secretary@example.org", conf=conference, role=Role.SECRETARY, group=leeds
        )
        db.session.add(
            RoleGrant(user=secretary, conference_id=conference.id, role="secretary", group=ynys_mon)
        )
        admin = factories.user("committee@example.org", conf=conference, role=Role.ADMIN)
        ann = _person(leeds, secretary, "Ann Jones", "ann@example.org", woman=True)
        bob = _person(leeds, secretary, "Bob Smith", "bob@example.org", woman=False)
        services.submit(leeds, secretary)
        services.approve(ann, admin)
        db.session.commit()
        _person(leeds, secretary, "Cat Lewis", "cat@example.org", woman=True, pass_type="alternate")
        db.session.commit()
        assert bob.status == Status.SUBMITTED
        return World(conference.id, leeds.id, ynys_mon.id, secretary.email, admin.email)


def _status_of(app, email: str) -> str | None:
    with app.app_context():
        return db.session.scalar(db.select(Delegate.status).where(Delegate.email == email))


def _live_code(app, email: str) -> str:
    with app.app_context():
        return db.session.scalar(
            db.select(Credential.code)
            .join(Delegate, Delegate.id == Credential.delegate_id)
            .where(Delegate.email == email, Credential.revoked_at.is_(None))
        )


def _close_registration(app, world: World) -> None:
    with app.app_context():
        conference = db.session.get(Conference, world.conference_id)
        conference.registration_deadline = utcnow() - timedelta(hours=1)
        db.session.commit()


def _card(page: Page, name: str):
    """One person's card on the delegation page."""
    return page.locator("#people li.person").filter(
        has=page.locator(".person-name", has_text=re.compile(rf"^{re.escape(name)}$"))
    )


def _assert_big_enough(buttons) -> None:
    """Every one of these buttons is at least a thumb high."""
    buttons.page.wait_for_load_state("load")  # measured as styled (secretary.css loaded)
    for i in range(buttons.count()):
        box = buttons.nth(i).bounding_box()
        assert box and box["height"] >= TOUCH_TARGET_PX, (buttons.nth(i).inner_text(), box)


@pytest.mark.parametrize("size", list(SIZES))
def test_start_page_shows_each_groups_progress_and_the_deadline(
    page: Page, log_in, world: World, size: str
):
    page.set_viewport_size(SIZES[size])
    log_in(world.secretary)
    expect(page.get_by_role("heading", name="Your conferences")).to_be_visible()

    deadline = page.locator(".deadline")
    expect(deadline).to_contain_text("Registration deadline:")
    expect(deadline.locator(".time-left")).to_have_text(re.compile(r"^(29|30) days .* left$"))

    leeds = page.locator("section.group-progress").filter(
        has=page.get_by_role("heading", name="Leeds", level=3)
    )
    expect(leeds.locator(".stage")).to_have_text("Draft: 1 not submitted")
    expect(leeds.locator(".missing li")).to_have_text(
        [
            "2 of 3 delegate places filled",
            "0 of 1 women's seat filled",
            "1 registration not submitted",
        ]
    )
    expect(leeds).to_contain_text("Alternates: 1 of 2.")
    expect(leeds.get_by_role("button", name="Review and submit Leeds")).to_be_visible()
    expect(leeds.get_by_role("button", name="Add a delegate for Leeds")).to_be_visible()

    ynys_mon = page.locator("section.group-progress").filter(
        has=page.get_by_role("heading", name="Ynys Môn", level=3)
    )
    expect(ynys_mon.locator(".stage")).to_have_text("Not registered")
    expect(ynys_mon.locator(".missing li")).to_have_text(["0 of 1 delegate place filled"])
    expect(ynys_mon.get_by_role("button", name="Add a delegate for Ynys Môn")).to_be_visible()

    _assert_big_enough(page.locator(".group-actions [role=button]"))
    assert_readable(page)
    keep_screenshot(page, f"secretary-home-{size}")

    # The big button goes where it says: the form to add a delegate to Ynys Môn.
    ynys_mon.get_by_role("button", name="Add a delegate for Ynys Môn").click()
    expect(page.get_by_role("heading", name="Add a delegate")).to_be_visible()
    expect(page.get_by_role("link", name="← Ynys Môn")).to_be_visible()


def test_an_approved_group_says_nothing_is_missing(app, page: Page, log_in, world: World):
    with app.app_context():
        secretary = db.session.scalar(db.select(User).where(User.email == world.secretary))
        admin = db.session.scalar(db.select(User).where(User.email == world.admin))
        ynys_mon = db.session.get(Group, world.ynys_mon_id)
        _person(ynys_mon, secretary, "Dafydd Owen", "dafydd@example.org", woman=False)
        services.submit(ynys_mon, secretary)
        services.approve_delegation(ynys_mon, admin)
        db.session.commit()
    log_in(world.secretary)
    ynys_mon = page.locator("section.group-progress").filter(
        has=page.get_by_role("heading", name="Ynys Môn", level=3)
    )
    expect(ynys_mon.locator(".stage")).to_have_text("Approved")
    expect(ynys_mon.locator(".all-done")).to_have_text("✔ Every place filled and approved.")
    expect(ynys_mon.get_by_role("button", name=re.compile("^Add a delegate"))).to_have_count(0)
    expect(ynys_mon.get_by_role("button", name="See the delegation of Ynys Môn")).to_be_visible()


@pytest.mark.parametrize("size", list(SIZES))
def test_delegation_and_forms_fit_every_size(app, page: Page, log_in, world: World, size: str):
    page.set_viewport_size(SIZES[size])
    log_in(world.secretary)
    page.goto(f"/groups/{world.leeds_id}")
    expect(page.get_by_role("heading", name="Leeds", level=1)).to_be_visible()
    expect(_card(page, "Cat Lewis").get_by_role("button", name="Delete Cat Lewis")).to_be_visible()
    expect(
        _card(page, "Bob Smith").get_by_role("button", name="Withdraw Bob Smith")
    ).to_be_visible()
    _assert_big_enough(page.locator(".person-actions [role=button], .person-actions button"))
    assert_readable(page)
    keep_screenshot(page, f"secretary-delegation-{size}")

    page.locator("ul.seats li").filter(has_text="women's seat").get_by_role(
        "button", name="Add to women's seat"
    ).click()
    expect(page.get_by_role("heading", name="Add a delegate")).to_be_visible()
    assert_readable(page)
    keep_screenshot(page, f"secretary-person-form-{size}")

    _close_registration(app, world)
    page.goto(f"/groups/{world.leeds_id}")
    expect(page.locator(".entitlement")).to_contain_text("changes now go through a substitution")
    assert_readable(page)
    keep_screenshot(page, f"secretary-delegation-closed-{size}")
    _card(page, "Bob Smith").get_by_role("button", name="Ask to substitute Bob Smith").click()
    expect(page.get_by_role("heading", name="Replace Bob Smith")).to_be_visible()
    assert_readable(page)
    keep_screenshot(page, f"secretary-substitute-{size}")


def test_withdrawing_asks_first_and_cancel_changes_nothing(app, page: Page, log_in, world: World):
    log_in(world.secretary)
    page.goto(f"/groups/{world.leeds_id}")
    dialog = page.locator("#confirm-dialog")

    _card(page, "Bob Smith").get_by_role("button", name="Withdraw Bob Smith").click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Withdraw Bob Smith?")
    expect(dialog).to_contain_text("The committee will not decide on Bob Smith")
    assert_readable(page)
    keep_screenshot(page, "secretary-withdraw-dialog-phone")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert _status_of(app, "bob@example.org") == Status.SUBMITTED

    _card(page, "Bob Smith").get_by_role("button", name="Withdraw Bob Smith").click()
    dialog.get_by_role("button", name="Yes, withdraw").click()
    expect(page.get_by_role("status").filter(has_text="withdrawn")).to_have_text(
        "Bob Smith withdrawn."
    )
    expect(_card(page, "Bob Smith").locator(".status")).to_have_text(
        "WITHDRAWN", use_inner_text=True
    )
    assert _status_of(app, "bob@example.org") == Status.WITHDRAWN

    # Ann is approved: the question says her badge stops working.
    _card(page, "Ann Jones").get_by_role("button", name="Withdraw Ann Jones").click()
    expect(dialog).to_contain_text("Ann Jones is approved: their badge stops working at the door")
    dialog.get_by_role("button", name="Cancel").click()
    assert _status_of(app, "ann@example.org") == Status.APPROVED


def test_a_draft_is_deleted_after_asking(app, page: Page, log_in, world: World):
    log_in(world.secretary)
    page.goto(f"/groups/{world.leeds_id}")
    dialog = page.locator("#confirm-dialog")
    cat = _card(page, "Cat Lewis")
    expect(cat.get_by_role("button", name=re.compile("^Withdraw"))).to_have_count(0)

    cat.get_by_role("button", name="Delete Cat Lewis").click()
    expect(dialog.get_by_role("heading")).to_have_text("Delete Cat Lewis?")
    dialog.get_by_role("button", name="Cancel").click()
    assert _status_of(app, "cat@example.org") == Status.DRAFT

    cat.get_by_role("button", name="Delete Cat Lewis").click()
    dialog.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("status").filter(has_text="deleted")).to_have_text("Cat Lewis deleted.")
    expect(_card(page, "Cat Lewis")).to_have_count(0)
    assert _status_of(app, "cat@example.org") is None
    expect(page.locator("ul.seats li").filter(has_text="alternates")).to_contain_text(
        "0 of 2 alternates"
    )


def test_without_script_withdrawing_asks_on_a_page_of_its_own(
    app, browser, live_server, world: World
):
    context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-mail").fill(world.secretary)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/groups/{world.leeds_id}")
        _card(page, "Bob Smith").get_by_role("button", name="Withdraw Bob Smith").click()
        expect(page.get_by_role("heading", name="Withdraw Bob Smith?")).to_be_visible()
        assert _status_of(app, "bob@example.org") == Status.SUBMITTED
        page.locator("main").get_by_role("button", name="Cancel").click()
        expect(page.get_by_role("heading", name="Leeds", level=1)).to_be_visible()
        assert _status_of(app, "bob@example.org") == Status.SUBMITTED

        _card(page, "Bob Smith").get_by_role("button", name="Withdraw Bob Smith").click()
        page.get_by_role("button", name="Yes, withdraw").click()
        expect(page.get_by_role("status").filter(has_text="withdrawn")).to_have_text(
            "Bob Smith withdrawn."
        )
        assert _status_of(app, "bob@example.org") == Status.WITHDRAWN
    finally:
        context.close()


def test_reissuing_a_badge_asks_first(app, page: Page, log_in, world: World):
    log_in(world.admin)
    page.goto(f"/groups/{world.leeds_id}")
    dialog = page.locator("#confirm-dialog")
    ann = _card(page, "Ann Jones")
    old_code = _live_code(app, "ann@example.org")

    ann.get_by_label("Reason to reissue Ann Jones's badge").fill("lost badge")
    ann.get_by_role("button", name="Reissue badge").click()
    expect(dialog.get_by_role("heading")).to_have_text("Reissue Ann Jones's badge?")
    expect(dialog).to_contain_text("stops working at the door")
    assert_readable(page)
    keep_screenshot(page, "committee-reissue-dialog-phone")
    dialog.get_by_role("button", name="Cancel").click()
    assert _live_code(app, "ann@example.org") == old_code

    ann.get_by_role("button", name="Reissue badge").click()
    dialog.get_by_role("button", name="Yes, reissue").click()
    expect(page.get_by_role("status").filter(has_text="New badge code")).to_have_text(
        "New badge code for Ann Jones; the old one is revoked."
    )
    assert _live_code(app, "ann@example.org") not in (old_code, None)
