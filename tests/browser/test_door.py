"""A steward at the door scans badges on a phone: by keyboard wedge, offline, and by camera.

The conference has Leeds (Ann Smith, Ben Jones) and York (Yan Lee), approved with live
badges, and two doors, Main entrance (the page's first choice) and Side door. What the
steward sees is checked on the page; what the server stored is read from the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from confapp.checkin import services as checkin
from confapp.credentials.qr import qr_matrix
from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import Presence, Role, Scan, utcnow
from tests import factories
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

PHONE = {"width": 390, "height": 844}
# Once an upload failed the page asks the server every 3 s whether it is back, then uploads;
# generous, as a request may take up to its timeout (4 s) on a busy machine.
UPLOAD_WAIT_MS = 20_000
# Chromium logs every failed request as a console error: while the test keeps the page
# offline, or aborts its uploads, these are expected (nothing else is).
NETWORK_DOWN = re.compile(
    r"^console\.error: Failed to load resource: net::ERR_(INTERNET_DISCONNECTED|FAILED) "
    r"\(http://127\.0\.0\.1:\d+/api/v1/"
)
# ... and so is a scan the test has the server refuse or fail on.
SCAN_REFUSED = re.compile(
    r"^console\.error: Failed to load resource: the server responded with a status of [45]\d\d "
    r".*\(http://127\.0\.0\.1:\d+/api/v1/scans\)$"
)


@pytest.fixture
def viewport():
    """A phone held upright: stewards scan at the door with their own phones."""
    return PHONE


@dataclass
class Doorway:
    """The conference, the steward's login, and each person's badge code and id by first name."""

    conference_id: int
    steward: str
    codes: dict[str, str]
    ids: dict[str, int]
    groups: dict[str, str]
    names: dict[str, str]


@pytest.fixture
def doorway(app) -> Doorway:
    """Leeds with Ann and Ben, York with Yan, all approved with badges; two doors; a steward."""
    with app.app_context():
        conference = factories.conference()
        leeds = factories.group(conference, "Leeds", members=1000, women_members=120)
        york = factories.group(conference, "York", members=400)
        people = {
            "Ann": (factories.approved_person(conference, leeds, "Ann Smith"), "Leeds"),
            "Ben": (factories.approved_person(conference, leeds, "Ben Jones"), "Leeds"),
            "Yan": (factories.approved_person(conference, york, "Yan Lee"), "York"),
        }
        checkin.add_door(conference, "Main entrance")
        checkin.add_door(conference, "Side door")
        steward = factories.user("steward@example.org", conf=conference, role=Role.STEWARD)
        return Doorway(
            conference_id=conference.id,
            steward=steward.email,
            codes={key: live_credential(p).code for key, (p, _) in people.items()},
            ids={key: p.id for key, (p, _) in people.items()},
            groups={key: group for key, (_, group) in people.items()},
            names={key: p.name for key, (p, _) in people.items()},
        )


@dataclass(frozen=True)
class Stored:
    """One scan as the server stored it."""

    delegate_id: int | None
    direction: str
    status: str
    reason: str | None
    door: str | None
    is_offline: bool
    is_flagged: bool
    nonce: str
    code: str


def _scans(app, conference_id: int) -> list[Stored]:
    """The conference's scans, oldest first, read in a session of their own (never stale)."""
    with app.app_context():
        rows = db.session.scalars(
            db.select(Scan).where(Scan.conference_id == conference_id).order_by(Scan.id)
        ).all()
        return [
            Stored(
                s.delegate_id,
                s.direction,
                s.status,
                s.reason,
                s.door.name if s.door else None,
                s.is_offline,
                s.is_flagged,
                s.nonce,
                s.code,
            )
            for s in rows
        ]


def _inside_by(app, delegate_id: int) -> str | None:
    """The door the person went in by if the server has them inside now, else None."""
    with app.app_context():
        row = db.session.get(Presence, delegate_id)
        if row is None or not row.is_inside:
            return None
        return row.door.name if row.door else "?"


def _open_door_page(page: Page, email: str) -> None:
    """Log in through the form and follow the home page's link to the scan page."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Scan badges at a door").click()
    expect(page.locator("#scan-code")).to_be_visible()
    expect(page.locator("#net-status")).to_have_attribute("data-state", "online")


def _wedge(page: Page, code: str) -> None:
    """A keyboard-wedge scanner: types the code into whatever has focus, then Enter."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def _expect_answer(page: Page, result: str, word: str, who: str) -> None:
    """The full-screen answer: its colour's key, the word and the person."""
    answer = page.locator("#result")
    expect(answer).to_be_visible()
    expect(answer).to_have_attribute("data-result", result)
    expect(page.locator("#result-word")).to_have_text(word)
    expect(page.locator("#result-who")).to_have_text(who)


def _forgive_network_errors(request) -> None:
    """Drop the console errors of requests that failed because the test cut the network."""
    errors = request.node.browser_errors
    errors[:] = [e for e in errors if not NETWORK_DOWN.match(e)]


def _forgive_refused_scans(errors: list[str]) -> None:
    """Drop the console errors of scans the test had the server refuse or fail on."""
    errors[:] = [e for e in errors if not SCAN_REFUSED.match(e)]


def _wait_until_kept_for_offline(page: Page) -> None:
    """Until the service worker holds the page and every file it loads."""
    page.wait_for_function(
        """() => {
            const urls = [location.href, ...Array.from(
                document.querySelectorAll("script[src], link[href]"), el => el.src || el.href)];
            // wait_for_function does not wait for a promise: each poll starts a check, and
            // a later poll reads its result.
            Promise.all(urls.map(u => caches.match(u)))
                .then(hits => { window.keptForOffline = hits.every(Boolean); });
            return window.keptForOffline === true;
        }""",
        timeout=UPLOAD_WAIT_MS,
    )


def test_keyboard_wedge_admits_then_says_already_inside(app, page: Page, doorway: Doorway):
    ann = "Ann"
    _open_door_page(page, doorway.steward)
    code_field = page.locator("#scan-code")
    expect(code_field).to_be_focused()
    expect(page.locator("#door-choice")).to_have_value("Main entrance")
    expect(page.get_by_label("In", exact=True)).to_be_checked()

    _wedge(page, doorway.codes[ann])
    _expect_answer(page, "admitted", "ADMITTED", "Ann Smith · Leeds")
    expect(page.locator("#result-detail")).to_have_text("Delegate")
    expect(code_field).to_have_value("")
    expect(code_field).to_be_focused()

    # The next person in the queue holds out the same badge again (passed back, say).
    _wedge(page, doorway.codes[ann])
    _expect_answer(page, "already_inside", "ALREADY INSIDE", "Ann Smith · Leeds")
    expect(page.locator("#result-detail")).to_have_text(
        re.compile(r"^Delegate · inside since \d?\d:\d\d( [AP]M)? \(Main entrance\)$")
    )
    expect(code_field).to_have_value("")
    expect(code_field).to_be_focused()
    expect(page.locator("#last-scan")).to_contain_text("ALREADY INSIDE · Ann Smith")

    scans = _scans(app, doorway.conference_id)
    assert [(s.delegate_id, s.direction, s.status, s.reason) for s in scans] == [
        (doorway.ids[ann], "in", "ok", None),
        (doorway.ids[ann], "in", "refused", "already_inside"),
    ]
    assert not any(s.is_offline for s in scans)
    assert {s.door for s in scans} == {"Main entrance"}
    assert _inside_by(app, doorway.ids[ann]) == "Main entrance"


def test_offline_scans_are_answered_from_the_roster_and_uploaded_once(
    app, page: Page, doorway: Doorway, request
):
    context = page.context
    _open_door_page(page, doorway.steward)
    expect(page.locator("#roster-age")).not_to_have_text("not loaded")
    _wait_until_kept_for_offline(page)

    context.set_offline(True)
    expect(page.locator("#net-status")).to_have_attribute("data-state", "offline")
    for person in ("Ann", "Ben", "Yan"):
        _wedge(page, doorway.codes[person])
        who = f"{doorway.names[person]} · {doorway.groups[person]}"
        _expect_answer(page, "admitted", "ADMITTED", who)
        expect(page.locator("#result-detail")).to_have_text("Delegate · offline: will upload")
    expect(page.locator("#net-status")).to_have_attribute("data-state", "offline")
    expect(page.locator("#net-word")).to_have_text("OFFLINE: answering from the roster")
    expect(page.locator("#queue-count")).to_have_text("3")
    assert _scans(app, doorway.conference_id) == []

    # The network is back but uploads still fail; the steward reloads the page meanwhile.
    page.route("**/api/v1/scans", lambda route: route.abort())
    context.set_offline(False)
    page.reload()
    expect(page.locator("#queue-count")).to_have_text("3")
    expect(page.locator("#net-status")).to_have_attribute("data-state", "offline")
    assert _scans(app, doorway.conference_id) == []

    # Uploads get through again: the page notices by itself and empties its queue.
    page.unroute("**/api/v1/scans")
    expect(page.locator("#queue-count")).to_have_text("0", timeout=UPLOAD_WAIT_MS)
    expect(page.locator("#net-status")).to_have_attribute("data-state", "online")
    expect(page.locator("#count-inside")).to_have_text("3")
    _forgive_network_errors(request)

    scans = _scans(app, doorway.conference_id)
    assert sorted(s.delegate_id for s in scans) == sorted(doorway.ids.values())
    assert all(s.status == "ok" and s.is_offline and not s.is_flagged for s in scans)
    assert len({s.nonce for s in scans}) == 3
    for person in ("Ann", "Ben", "Yan"):
        assert _inside_by(app, doorway.ids[person]) == "Main entrance"


def test_the_page_reloads_while_offline_and_keeps_its_queue(
    app, page: Page, doorway: Doorway, request
):
    """The service worker kept the page: a reload with the Wi-Fi down still scans."""
    context = page.context
    _open_door_page(page, doorway.steward)
    expect(page.locator("#roster-age")).not_to_have_text("not loaded")
    _wait_until_kept_for_offline(page)

    context.set_offline(True)
    page.reload()
    expect(page.locator("#scan-code")).to_be_focused()
    expect(page.locator("#net-status")).to_have_attribute("data-state", "offline")
    _wedge(page, doorway.codes["Yan"])
    _expect_answer(
        page, "admitted", "ADMITTED", f"{doorway.names['Yan']} · {doorway.groups['Yan']}"
    )
    expect(page.locator("#queue-count")).to_have_text("1")
    assert _scans(app, doorway.conference_id) == []

    context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_text("0", timeout=UPLOAD_WAIT_MS)
    _forgive_network_errors(request)
    (scan,) = _scans(app, doorway.conference_id)
    assert (scan.delegate_id, scan.status, scan.is_offline) == (doorway.ids["Yan"], "ok", True)


def test_two_tabs_offline_keep_each_others_scans(app, page: Page, doorway: Doorway, request):
    """A steward with the page open twice: neither tab's queue overwrites the other's."""
    context = page.context
    _open_door_page(page, doorway.steward)
    expect(page.locator("#roster-age")).not_to_have_text("not loaded")
    second = context.new_page()
    second.set_viewport_size(PHONE)
    second.goto(page.url)
    expect(second.locator("#roster-age")).not_to_have_text("not loaded")

    context.set_offline(True)
    _wedge(page, doorway.codes["Ann"])
    _expect_answer(page, "admitted", "ADMITTED", "Ann Smith · Leeds")
    second.locator("#scan-code").focus()
    _wedge(second, doorway.codes["Ben"])
    _expect_answer(second, "admitted", "ADMITTED", "Ben Jones · Leeds")
    expect(page.locator("#queue-count")).to_have_text("2")
    expect(second.locator("#queue-count")).to_have_text("2")

    # The second tab is closed before the network returns; the first uploads both scans.
    second.close()
    context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_text("0", timeout=UPLOAD_WAIT_MS)
    _forgive_network_errors(request)

    scans = _scans(app, doorway.conference_id)
    assert sorted((s.delegate_id, s.status, s.is_offline) for s in scans) == sorted(
        [(doorway.ids["Ann"], "ok", True), (doorway.ids["Ben"], "ok", True)]
    )
    assert _inside_by(app, doorway.ids["Ben"]) == "Main entrance"


@pytest.mark.parametrize("roster_saved", [True, False])
def test_a_scan_is_kept_when_the_phone_storage_is_full(
    app, page: Page, doorway: Doorway, request, roster_saved
):
    """The saved roster gives way to the scan; with nothing to give, the tab keeps it."""
    context = page.context
    _open_door_page(page, doorway.steward)
    expect(page.locator("#roster-age")).not_to_have_text("not loaded")
    if not roster_saved:
        page.evaluate(f"() => localStorage.removeItem('confapp.roster.{doorway.conference_id}')")
    page.evaluate(
        """() => {
            // Fill to the last byte: big blocks, then ever smaller ones.
            let n = 0;
            for (let size = 64 * 1024; size >= 1; size = Math.floor(size / 2)) {
                const block = "x".repeat(size);
                for (;;) {
                    try { localStorage.setItem("filler." + n++, block); } catch (e) { break; }
                }
            }
        }"""
    )

    context.set_offline(True)
    _wedge(page, doorway.codes["Yan"])
    _expect_answer(page, "admitted", "ADMITTED", "Yan Lee · York")
    expect(page.locator("#queue-count")).to_have_text("1")
    if not roster_saved:
        expect(page.locator("#net-word")).to_contain_text("storage full: keep this page open")
    context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_text("0", timeout=UPLOAD_WAIT_MS)
    _forgive_network_errors(request)

    (scan,) = _scans(app, doorway.conference_id)
    assert (scan.delegate_id, scan.status, scan.is_offline) == (doorway.ids["Yan"], "ok", True)


def test_a_queue_saved_by_the_previous_page_version_is_uploaded(app, page: Page, doorway: Doorway):
    """A phone that queued scans before an upgrade (one saved list) loses none of them."""
    _open_door_page(page, doorway.steward)
    an_hour_ago = (utcnow() - timedelta(hours=1)).isoformat(timespec="milliseconds") + "Z"
    old_scan = {
        "direction": "in",
        "door": "Side door",
        "nonce": "web-oldphone-1",
        "scanned_at": an_hour_ago,
        "conference": doorway.conference_id,
        "device": "web-oldphone",
        "code": doorway.codes["Ben"],
        "offline": True,
    }
    page.evaluate(
        "([name, scan]) => localStorage.setItem(name, JSON.stringify([scan]))",
        [f"confapp.queue.{doorway.conference_id}", old_scan],
    )

    page.reload()
    expect(page.locator("#queue-count")).to_have_text("0", timeout=UPLOAD_WAIT_MS)

    (scan,) = _scans(app, doorway.conference_id)
    assert (scan.delegate_id, scan.status, scan.door, scan.nonce) == (
        doorway.ids["Ben"],
        "ok",
        "Side door",
        "web-oldphone-1",
    )
    assert _inside_by(app, doorway.ids["Ben"]) == "Side door"


# ---- the camera ------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 480
MODULE_PX = 12  # a 29-module symbol (quiet zone included) is 348 px: a badge at arm's length


def _qr_video(code: str, path: Path, frames: int = 10) -> Path:
    """A Y4M video of the badge's QR code, black on white, for Chromium's fake camera."""
    matrix = qr_matrix(code)  # quiet zone included
    size = len(matrix)
    symbol = Image.new("L", (size, size), 255)
    symbol.putdata([0 if dark else 255 for row in matrix for dark in row])
    symbol = symbol.resize((size * MODULE_PX, size * MODULE_PX), Image.Resampling.NEAREST)
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(symbol, ((WIDTH - symbol.width) // 2, (HEIGHT - symbol.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


@pytest.fixture
def filming(browser: Browser, tmp_path) -> Iterator[Callable[[str], Browser]]:
    """filming(text): a Chromium of its own whose camera films a QR code of `text`.

    It is launched by the session's Playwright (one sync Playwright per thread), as a
    separate browser process with the fake camera's flags; closed after the test.
    """
    launched: list[Browser] = []

    def launch(text: str) -> Browser:
        video = _qr_video(text, tmp_path / f"qr{len(launched)}.y4m")
        camera = browser.browser_type.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        launched.append(camera)
        return camera

    yield launch
    for camera in launched:
        camera.close()


@pytest.fixture
def camera_browser(filming, doorway: Doorway) -> Browser:
    """A Chromium whose camera films Yan's badge (the session's has no camera)."""
    return filming(doorway.codes["Yan"])


def test_camera_reads_a_badge_once(app, camera_browser: Browser, live_server, doorway: Doorway):
    context = camera_browser.new_context(base_url=live_server, viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    context.grant_permissions(["camera"], origin=live_server)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    try:
        _open_door_page(page, doorway.steward)
        page.get_by_role("button", name="Scan with camera").click()
        expect(page.locator("#camera")).to_be_visible()
        expect(page.locator("#result-word")).to_have_text("ADMITTED", timeout=10_000)
        _expect_answer(page, "admitted", "ADMITTED", "Yan Lee · York")
        # The answer closes by itself; the steward stops the camera. (Should the badge still
        # be in view 4 s after the first read, the page reads it again: ALREADY INSIDE, whose
        # answer stays up for 5 s and covers the button until then.)
        expect(page.locator("#result")).to_be_hidden()
        page.get_by_role("button", name="Stop camera").click(timeout=10_000)
        expect(page.locator("#camera")).to_be_hidden()
        expect(page.get_by_role("button", name="Scan with camera")).to_be_visible()
    finally:
        context.close()
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)

    scans = _scans(app, doorway.conference_id)
    assert scans and scans[0].status == "ok"
    ok = [s for s in scans if s.status == "ok"]
    assert [(s.delegate_id, s.direction, s.is_offline) for s in ok] == [
        (doorway.ids["Yan"], "in", False)
    ]
    # The badge stayed in view at ~8 frames a second: read once per 4 s, not at every frame,
    # and any second read refused.
    assert len(scans) <= 3, [(s.status, s.reason) for s in scans]
    assert all(s.reason == "already_inside" for s in scans[1:])
    assert _inside_by(app, doorway.ids["Yan"]) == "Main entrance"


# ---- one bad scan never holds up the door ------------------------------------------------------


def _console_errors(page: Page) -> list[str]:
    """The page's console errors and uncaught exceptions, as the `page` fixture collects them."""
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(f"console.error: {m.text} ({m.location.get('url') or 'inline'})")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors


def test_a_nul_byte_code_held_to_the_camera_holds_up_no_badge_after_it(
    app, filming, live_server, doorway: Doorway
):
    """A crafted QR code holding a NUL byte, then three good badges: all three get in."""
    crafted = "ABCD\u0000EFGH"
    context = filming(crafted).new_context(base_url=live_server, viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    context.grant_permissions(["camera"], origin=live_server)
    page = context.new_page()
    errors = _console_errors(page)
    try:
        _open_door_page(page, doorway.steward)
        page.get_by_role("button", name="Scan with camera").click()
        expect(page.locator("#result-word")).to_have_text("UNKNOWN", timeout=10_000)
        _expect_answer(page, "unknown", "UNKNOWN", "")
        page.locator("#result").click()  # the steward closes the answer and puts the camera away
        page.get_by_role("button", name="Stop camera").click()
        page.locator("#scan-code").focus()
        for person in ("Ann", "Ben", "Yan"):
            _wedge(page, doorway.codes[person])
            who = f"{doorway.names[person]} · {doorway.groups[person]}"
            _expect_answer(page, "admitted", "ADMITTED", who)
        expect(page.locator("#queue-count")).to_have_text("0", timeout=UPLOAD_WAIT_MS)
        expect(page.locator("#set-aside")).to_be_hidden()
    finally:
        context.close()
    _forgive_refused_scans(errors)  # the server answers the crafted code 422: not a badge
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)

    scans = _scans(app, doorway.conference_id)
    ok = [s.delegate_id for s in scans if s.status == "ok"]
    assert ok == [doorway.ids["Ann"], doorway.ids["Ben"], doorway.ids["Yan"]]
    crafted_scans = [s for s in scans if s.delegate_id is None]
    assert crafted_scans, "the crafted code is on record too"
    assert {(s.status, s.reason, s.code) for s in crafted_scans} == {
        ("refused", "unknown", "ABCD\\x00EFGH")
    }
    for person in ("Ann", "Ben", "Yan"):
        assert _inside_by(app, doorway.ids[person]) == "Main entrance"


@pytest.mark.routes_requests
def test_a_scan_the_server_keeps_failing_on_is_set_aside_and_the_rest_upload(
    app, page: Page, doorway: Doorway, request
):
    _open_door_page(page, doorway.steward)
    expect(page.locator("#roster-age")).not_to_have_text("not loaded")
    ann = doorway.codes["Ann"]

    def fail_on_ann(route) -> None:
        if (route.request.post_data_json or {}).get("code") == ann:
            route.fulfill(status=500, content_type="text/html", body="<h1>Server Error</h1>")
        else:
            route.continue_()

    page.route("**/api/v1/scans", fail_on_ann)
    _wedge(page, ann)
    _expect_answer(page, "admitted", "ADMITTED", "Ann Smith · Leeds")
    expect(page.locator("#result-detail")).to_have_text("Delegate · offline: will upload")
    for person in ("Ben", "Yan"):
        _wedge(page, doorway.codes[person])
        _expect_answer(
            page, "admitted", "ADMITTED", f"{doorway.names[person]} · {doorway.groups[person]}"
        )

    # The server answers everything but Ann's scan: after three tries it is set aside, shown
    # with the reason, and Ben's and Yan's scans behind it are uploaded.
    expect(page.locator("#queue-count")).to_have_text("0", timeout=UPLOAD_WAIT_MS)
    aside = page.locator("#set-aside")
    expect(aside).to_be_visible()
    expect(page.locator("#aside-count")).to_have_text("1")
    item = page.locator("#set-aside-list li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Ann Smith · Leeds · in · Main entrance")
    expect(item).to_contain_text("The server failed on this scan 3 times (HTTP 500)")
    scans = _scans(app, doorway.conference_id)
    assert sorted((s.delegate_id, s.status) for s in scans) == sorted(
        [(doorway.ids["Ben"], "ok"), (doorway.ids["Yan"], "ok")]
    )
    assert _inside_by(app, doorway.ids["Ann"]) is None

    # The server is mended; the steward uploads Ann's scan again.
    page.unroute("**/api/v1/scans")
    item.get_by_role("button", name="Upload again").click()
    expect(aside).to_be_hidden()
    expect(page.locator("#queue-count")).to_have_text("0", timeout=UPLOAD_WAIT_MS)
    expect(page.locator("#count-inside")).to_have_text("3", timeout=UPLOAD_WAIT_MS)
    _forgive_refused_scans(request.node.browser_errors)
    assert _inside_by(app, doorway.ids["Ann"]) == "Main entrance"
    assert len(_scans(app, doorway.conference_id)) == 3


def test_a_scan_the_server_refuses_is_set_aside_with_its_reason_and_the_rest_upload(
    app, page: Page, doorway: Doorway, request
):
    """A poster's long URL scanned offline, then two badges: the badges are uploaded."""
    context = page.context
    _open_door_page(page, doorway.steward)
    expect(page.locator("#roster-age")).not_to_have_text("not loaded")
    poster = "https://example.org/" + "x" * 230  # more than a scan's 200 characters

    context.set_offline(True)
    expect(page.locator("#net-status")).to_have_attribute("data-state", "offline")
    _wedge(page, poster)
    _expect_answer(page, "unknown", "UNKNOWN", "")
    for person in ("Ann", "Ben"):
        _wedge(page, doorway.codes[person])
        _expect_answer(page, "admitted", "ADMITTED", f"{doorway.names[person]} · Leeds")
    expect(page.locator("#queue-count")).to_have_text("3")

    context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_text("0", timeout=UPLOAD_WAIT_MS)
    item = page.locator("#set-aside-list li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("code https://example.org/xxx")
    expect(item).to_contain_text(
        "Refused by the server (400): 'code' must be the scanned text: "
        "a string of 1 to 200 characters."
    )
    scans = _scans(app, doorway.conference_id)
    assert sorted((s.delegate_id, s.status, s.is_offline) for s in scans) == sorted(
        [(doorway.ids["Ann"], "ok", True), (doorway.ids["Ben"], "ok", True)]
    )

    # Online, the same poster is refused at once, said on screen, and set aside too; the next
    # badge is admitted straight away.
    _wedge(page, poster)
    expect(page.locator("#result-word")).to_have_text("NOT RECORDED")
    expect(page.locator("#result-detail")).to_contain_text("'code' must be the scanned text")
    expect(item).to_have_count(2)
    _wedge(page, doorway.codes["Yan"])
    _expect_answer(page, "admitted", "ADMITTED", "Yan Lee · York")
    assert _inside_by(app, doorway.ids["Yan"]) == "Main entrance"

    # The list outlives a reload, until the steward dismisses each scan in it.
    page.reload()
    expect(page.locator("#aside-count")).to_have_text("2")
    for _ in range(2):
        item.first.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#set-aside")).to_be_hidden()
    _forgive_network_errors(request)
    _forgive_refused_scans(request.node.browser_errors)
