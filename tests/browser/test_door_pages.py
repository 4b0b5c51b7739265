"""The door's pages in their users' hands: the steward's phone, the committee's laptop.

Every answer the scan page can give is shown for real (the server decides it) and measured:
its word is the most readable thing on the screen, at least 7:1 against its colour. The
presence page, the scans list and the doors page are read at the four sizes people use;
closing the day and revoking a scanner token ask first, and Cancel changes nothing.

The world: Leeds (Ann, Ben, Cat whose approval was withdrawn, Dan whose badge was
reissued), York (Yan), a crowd of 60 in Hull let in by the demo's scanner, a stranger from
another conference; two doors and a scanner token, "Handheld 1", at the Main entrance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from confapp import factories
from confapp.checkin import services as doors
from confapp.checkin.scans import ScanInput, Scanner, record_scan, token_hash
from confapp.credentials import services as credentials
from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import DeviceToken, Presence, Role, Status, utcnow
from tests.browser.readable import PHONE, SIZES, assert_readable, keep_screenshot

CROWD = 60
POSTER = "https://example.org/" + "x" * 230  # no badge: more than a scan's 200 characters
SCAN_REFUSED = re.compile(
    r"^console\.error: Failed to load resource: the server responded with a status of 400 "
    r".*\(http://127\.0\.0\.1:\d+/api/v1/scans\)$"
)

# The WCAG contrast of each line of the answer against the answer's colour, in the browser.
ANSWER_CONTRAST = """() => {
  const rgba = (text) => {
    const n = text.match(/[\\d.]+/g).map(Number);
    return n.length === 3 ? n.concat(1) : n;
  };
  const channel = (v) => {
    v /= 255;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const box = getComputedStyle(document.getElementById("result"));
  const background = rgba(box.backgroundColor);
  const lines = {};
  for (const el of document.querySelectorAll("#result p")) {
    const style = getComputedStyle(el);
    const ink = rgba(style.color);
    lines[el.className] = { ratio: ratio(ink, background), ink_alpha: ink[3],
      opacity: Number(style.opacity), size: parseFloat(style.fontSize) };
  }
  return { background_alpha: background[3], lines: lines };
}"""

# For each element, the words of its text that the browser broke across two lines.
BROKEN_WORDS = """(selector) => Array.from(document.querySelectorAll(selector)).flatMap((el) => {
  const text = el.firstChild;
  if (!text || text.nodeType !== Node.TEXT_NODE) return [];
  const broken = [];
  for (const match of text.data.matchAll(/\\S+/g)) {
    const range = document.createRange();
    range.setStart(text, match.index);
    range.setEnd(text, match.index + match[0].length);
    const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
    if (tops.size > 1) broken.push(match[0]);
  }
  return broken;
})"""


@dataclass
class Day:
    """The conference, its logins, and the codes the steward will scan."""

    conference_id: int
    steward: str
    admin: str
    codes: dict[str, str]
    token_id: int


@pytest.fixture
def day(app) -> Day:
    """A conference on the day, as the module's docstring says."""
    with app.app_context():
        conference = factories.conference()
        leeds = factories.group(conference, "Leeds", members=1000, women_members=120)
        york = factories.group(conference, "York", members=400)
        hull = factories.group(conference, "Hull", members=3000)
        people = {
            name: factories.approved_person(conference, group, full)
            for name, group, full in [
                ("Ann", leeds, "Ann Smith"),
                ("Ben", leeds, "Ben Jones"),
                ("Cat", leeds, "Cat Withdrawn"),
                ("Dan", leeds, "Dan Reissued"),
                ("Yan", york, "Yan Lee"),
            ]
        }
        old_badge = live_credential(people["Dan"]).code
        credentials.issue(people["Dan"], None, reason="badge lost")
        people["Cat"].status = Status.SUBMITTED.value
        db.session.commit()
        other = factories.conference()
        stranger = factories.approved_person(other, factories.group(other, "Away"), "Sam")
        main = doors.add_door(conference, "Main entrance")
        doors.add_door(conference, "Side door")
        device, token = doors.create_device_token(conference, main, "Handheld 1")
        db.session.commit()
        demo = Scanner(conference_id=conference.id, actor="demo", browser="demo")
        for number in range(CROWD):
            person = factories.approved_person(conference, hull, f"Hull Delegate {number:02d}")
            code = live_credential(person).code
            scan = ScanInput(direction="in", nonce=f"demo-{number}", code=code, door="Side door")
            record_scan(demo, scan)
        handheld = Scanner(token_hash=token_hash(token))
        record_scan(handheld, ScanInput("in", "h-1", code=live_credential(people["Yan"]).code))
        # Main entrance offline: a badge passed back (the phone said ALREADY INSIDE too) and a
        # badge its out-of-date roster let through (flagged).
        earlier = utcnow() - timedelta(minutes=2)
        yan = live_credential(people["Yan"]).code
        for nonce, answered in (("h-2", "refused"), ("h-3", "ok")):
            late = ScanInput(
                "in", nonce, code=yan, scanned_at=earlier, is_offline=True, offline_answer=answered
            )
            record_scan(handheld, late)
        factories.user("steward@example.org", conf=conference, role=Role.STEWARD)
        factories.user("admin@example.org", conf=conference, role=Role.ADMIN)
        codes = {name: live_credential(p).code for name, p in people.items()}
        codes |= {"Dan's old": old_badge, "stranger": live_credential(stranger).code}
        return Day(conference.id, "steward@example.org", "admin@example.org", codes, device.id)


def _inside(app, conference_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Presence)
            .where(Presence.conference_id == conference_id, Presence.is_inside)
        )


def _open_door(page: Page, log_in, day: Day) -> None:
    log_in(day.steward)
    page.goto(f"/conferences/{day.conference_id}/door")
    expect(page.locator("#net-status")).to_have_attribute("data-state", "online")
    expect(page.locator("#roster-age")).not_to_have_text("not loaded")


def _scan(page: Page, code: str) -> None:
    """A keyboard-wedge scanner: the code into the focused field, then Enter."""
    page.locator("#scan-code").focus()
    page.keyboard.insert_text(code)
    page.keyboard.press("Enter")


# The answer closes itself after a few seconds, sooner than axe reads a page: the test holds
# it on screen (its closing is kept back) until _close_answer lets it close on a tap.
HOLD_ANSWER = """() => {
  const answer = document.getElementById("result");
  Object.defineProperty(answer, "hidden", {
    configurable: true, get: () => false, set: (value) => { answer.dataset.heldBack = value; },
  });
}"""
LET_ANSWER_CLOSE = """() => { delete document.getElementById("result").hidden; }"""


def _check_answer(page: Page, kind: str, word: str) -> None:
    """The answer shows, its word readable at 7:1 or more and the most readable line; axe clean."""
    expect(page.locator("#result")).to_be_visible()
    page.evaluate(HOLD_ANSWER)
    expect(page.locator("#result")).to_have_attribute("data-result", kind)
    expect(page.locator("#result-word")).to_have_text(word)
    measured = page.evaluate(ANSWER_CONTRAST)
    assert measured["background_alpha"] == 1, measured
    lines = measured["lines"]
    shown = lines["word"]
    assert shown["ink_alpha"] == 1 and shown["opacity"] == 1, (kind, shown)
    assert shown["ratio"] >= 7, f"{word}: {shown['ratio']:.2f}:1"
    assert all(shown["ratio"] >= line["ratio"] for line in lines.values()), (kind, lines)
    assert all(shown["size"] > line["size"] for k, line in lines.items() if k != "word")
    assert all(line["ratio"] >= 7 for line in lines.values()), (kind, lines)
    assert_readable(page)
    keep_screenshot(page, f"door-answer-{kind}-{_size_name(page)}")


def _size_name(page: Page) -> str:
    return next(name for name, size in SIZES.items() if size == page.viewport_size)


def _close_answer(page: Page) -> None:
    page.evaluate(LET_ANSWER_CLOSE)
    page.locator("#result").click()
    expect(page.locator("#result")).to_be_hidden()


@pytest.fixture
def viewport():
    """A phone held upright: the stewards' own phones."""
    return PHONE


def test_every_answer_at_the_door_is_readable_at_arms_length(
    app, page: Page, log_in, day: Day, request
):
    _open_door(page, log_in, day)
    answers = [
        ("in", day.codes["Ann"], "admitted", "ADMITTED", "Ann Smith · Leeds"),
        ("in", day.codes["Ann"], "already_inside", "ALREADY INSIDE", "Ann Smith · Leeds"),
        ("out", day.codes["Ann"], "left", "LEFT", "Ann Smith · Leeds"),
        ("out", day.codes["Ann"], "not_inside", "NOT INSIDE", "Ann Smith · Leeds"),
        ("in", day.codes["Dan's old"], "revoked", "REVOKED", "Dan Reissued · Leeds"),
        ("in", day.codes["Cat"], "not_approved", "NOT APPROVED", "Cat Withdrawn · Leeds"),
        ("in", "AAAAAAAAAAAAAAAA", "unknown", "UNKNOWN", ""),
        ("in", day.codes["stranger"], "other_conference", "OTHER CONFERENCE", ""),
        ("in", POSTER, "error", "NOT RECORDED", ""),
    ]
    for way, code, kind, word, who in answers:
        page.get_by_label("In" if way == "in" else "Out", exact=True).check()
        _scan(page, code)
        _check_answer(page, kind, word)
        expect(page.locator("#result-who")).to_have_text(who)
        _close_answer(page)
    # The server refused the poster (400): that refusal is the one console error expected.
    errors = request.node.browser_errors
    errors[:] = [e for e in errors if not SCAN_REFUSED.match(e)]


def test_the_door_page_and_its_answer_at_every_size(page: Page, log_in, day: Day):
    _open_door(page, log_in, day)
    for way, (name, size) in zip(["in", "out", "in", "out"], SIZES.items(), strict=True):
        page.set_viewport_size(size)
        # Words break between words only: the quorum's state is never "QUORAT" over "E".
        assert page.evaluate(BROKEN_WORDS, "#quorum-state, .door-counters .l") == []
        assert_readable(page)
        keep_screenshot(page, f"door-{name}")
        page.get_by_label("In" if way == "in" else "Out", exact=True).check()
        _scan(page, day.codes["Ben"])
        kind, word = ("admitted", "ADMITTED") if way == "in" else ("left", "LEFT")
        _check_answer(page, kind, word)
        expect(page.locator("#result-who")).to_have_text("Ben Jones · Leeds")
        _close_answer(page)


def test_type_a_code_brings_up_the_phones_keyboard(app, page: Page, log_in, day: Day):
    _open_door(page, log_in, day)
    field = page.locator("#scan-code")
    expect(field).to_have_attribute("inputmode", "none")  # a scanner types; the keyboard stays down
    typing = page.get_by_role("button", name="Type a code")
    expect(typing).to_be_visible()
    typing.click()
    expect(typing).to_have_attribute("aria-pressed", "true")
    expect(field).to_have_attribute("inputmode", "text")
    expect(field).to_be_focused()
    expect(field).to_be_editable()
    keep_screenshot(page, "door-typing-phone")
    # The code printed under the QR, typed with spaces as it is printed.
    printed = " ".join(re.findall("....", day.codes["Ben"]))
    page.keyboard.type(printed.lower(), delay=2)
    page.keyboard.press("Enter")
    expect(page.locator("#result-word")).to_have_text("ADMITTED")
    expect(page.locator("#result-who")).to_have_text("Ben Jones · Leeds")
    _close_answer(page)
    typing.click()
    expect(typing).to_have_attribute("aria-pressed", "false")
    expect(field).to_have_attribute("inputmode", "none")


def test_the_name_search_says_who_is_inside_and_offers_no_admit(app, page: Page, log_in, day):
    _open_door(page, log_in, day)
    _scan(page, day.codes["Ann"])
    expect(page.locator("#result-word")).to_have_text("ADMITTED")
    _close_answer(page)
    page.get_by_role("button", name="Badge lost? Find by name").click()
    page.get_by_label("Name or group").fill("leeds")
    ann = page.locator("#name-results li", has_text="Ann Smith")
    ben = page.locator("#name-results li", has_text="Ben Jones")
    cat = page.locator("#name-results li", has_text="Cat Withdrawn")
    expect(ann).to_contain_text(re.compile(r"inside since \d?\d:\d\d( [AP]M)? \(Main entrance\)"))
    expect(ann.get_by_role("button")).to_have_count(0)
    expect(cat).to_contain_text("NOT APPROVED")
    expect(cat.get_by_role("button")).to_have_count(0)
    expect(ben.get_by_role("button", name="Admit…")).to_be_visible()
    assert_readable(page)
    ann.scroll_into_view_if_needed()
    keep_screenshot(page, "door-name-search-phone")
    # Letting people out, the other way round.
    page.get_by_label("Out", exact=True).check()
    expect(ann.get_by_role("button", name="Let out…")).to_be_visible()
    expect(ben).to_contain_text("not inside")
    expect(ben.get_by_role("button")).to_have_count(0)


def test_the_presence_page_at_every_size(page: Page, log_in, day: Day):
    log_in(day.steward)
    page.goto(f"/conferences/{day.conference_id}/presence")
    inside = page.locator("#inside tbody tr")
    expect(inside).to_have_count(50)  # of 61: a page at a time
    expect(page.locator(".pager").first).to_contain_text("Page 1 of 2 · 61 inside")
    expect(page.locator(".quorum-state .n")).to_have_text("QUORATE")
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        assert page.evaluate(BROKEN_WORDS, ".presence-counters .n, .presence-counters .l") == []
        assert_readable(page)
        keep_screenshot(page, f"presence-{name}")
    page.get_by_role("link", name="Next →").first.click()
    expect(inside).to_have_count(11)
    expect(page.locator("#inside")).to_contain_text("Yan Lee")
    assert_readable(page)


def test_closing_the_day_asks_first_and_cancel_changes_nothing(app, page: Page, log_in, day):
    log_in(day.admin)
    page.goto(f"/conferences/{day.conference_id}/presence")
    page.get_by_role("button", name="Close the day…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Close the day: check out all 61 inside?")
    keep_screenshot(page, "presence-close-day-asks-phone")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert _inside(app, day.conference_id) == 61
    page.get_by_role("button", name="Close the day…").click()
    dialog.get_by_role("button", name="Yes, close the day").click()
    expect(page.locator(".flash-success")).to_have_text("Day closed: 61 checked out.")
    assert _inside(app, day.conference_id) == 0


def test_the_scans_list_at_every_size_flags_only_what_the_phone_let_through(
    page: Page, log_in, day: Day
):
    log_in(day.admin)
    page.goto(f"/admin/conferences/{day.conference_id}/scans")
    rows = page.locator("#scans tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator(".pager").first).to_contain_text("Page 1 of 2 · 63 scans")
    # Newest first: the badge the phone let through offline is flagged; the one it refused is not.
    let_through, passed_back, online = rows.nth(0), rows.nth(1), rows.nth(2)
    expect(let_through).to_contain_text("FLAGGED: admitted offline, refused by the server")
    expect(passed_back).to_contain_text("ALREADY INSIDE")
    expect(passed_back).to_contain_text("offline")
    expect(passed_back).not_to_contain_text("FLAGGED")
    expect(online.locator("td[data-label=By]")).to_have_text("scanner “Handheld 1”")
    expect(rows.nth(3).locator("td[data-label=By]")).to_have_text("demo data")
    expect(page.locator("#scans")).not_to_contain_text("uNone")
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        assert_readable(page)
        keep_screenshot(page, f"scans-{name}")
    page.get_by_role("link", name="Flagged").click()
    expect(rows).to_have_count(1)


def test_the_doors_page_at_every_size_and_revoking_asks_first(app, page: Page, log_in, day):
    log_in(day.admin)
    page.goto(f"/admin/conferences/{day.conference_id}/doors")
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        assert_readable(page)
        keep_screenshot(page, f"doors-{name}")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Revoke…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Revoke the scanner token for Handheld 1 at Main entrance?")
    dialog.get_by_role("button", name="Cancel").click()
    with app.app_context():
        assert db.session.get(DeviceToken, day.token_id).revoked_at is None
    page.get_by_role("button", name="Revoke…").click()
    dialog.get_by_role("button", name="Yes, revoke it").click()
    expect(page.locator(".flash-success")).to_have_text("The token for Main entrance is revoked.")
    expect(page.locator("#tokens")).to_contain_text("REVOKED")
    with app.app_context():
        assert db.session.get(DeviceToken, day.token_id).revoked_at is not None


def test_a_persons_history_at_every_size(page: Page, log_in, day: Day):
    log_in(day.admin)
    page.goto(f"/conferences/{day.conference_id}/presence?q=Yan")
    page.get_by_role("link", name="Yan Lee").click()
    expect(page.locator("#history tbody tr")).to_have_count(3)
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        assert_readable(page)
        keep_screenshot(page, f"person-{name}")
