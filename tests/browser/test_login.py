"""Logging in and out on a phone, as a group secretary does at the venue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from confapp.models import Role
from tests import factories


@pytest.fixture
def viewport():
    """A phone held upright."""
    return {"width": 390, "height": 844}


@pytest.fixture
def secretary(app) -> str:
    """The e-mail of Leeds' secretary; Leeds has 1,000 members, 120 of them women."""
    with app.app_context():
        conference = factories.conference()
        leeds = factories.group(conference, "Leeds", members=1000, women_members=120)
        user = factories.user(conf=conference, role=Role.SECRETARY, group=leeds)
        return user.email


def test_secretary_logs_in_sees_their_entitlement_and_logs_out(page: Page, log_in, secretary):
    log_in(secretary, "not the password")
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    log_in(secretary)
    expect(page.get_by_role("heading", name="Your conferences")).to_be_visible()
    expect(page.locator(".group-facts")).to_have_text(
        "Secretary of Leeds: 1,000 members, 3 delegates and 1 reserved seat, card vote 1,000."
    )
    # A secretary is not offered the committee's pages.
    expect(page.get_by_role("link", name="Groups, membership and entitlement")).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    # Logged out for real: the home page sends them back to the login form.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
