"""Browser fixtures: one Chromium per run, the app served on a free port, a page per test.

The app is built by the suite's own `app` fixture (same database machinery, so SQLite
by default and PostgreSQL when CONFAPP_TEST_DATABASE_URL is set) but with CSRF ON: the
browser tests prove that the real forms and the preview's fetch carry their tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from tests import factories

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 5_000
DESKTOP = {"width": 1280, "height": 900}

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium (Debian's) for the whole run."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def app_config():
    """The browser tests' app: CSRF on, plain-http cookies, any host name.

    SERVER_NAME is cleared because the browser asks for 127.0.0.1:<port>, not localhost.
    """
    return {"WTF_CSRF_ENABLED": True, "SECURE_COOKIES": False, "SERVER_NAME": None}


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served on 127.0.0.1 with a free port, in a daemon thread; yields its base URL."""
    assert app.config["WTF_CSRF_ENABLED"], "browser tests must run with CSRF protection on"
    assert not app.config["SESSION_COOKIE_SECURE"], "cookies must travel over plain http here"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: shutdown() waits for the loop to notice, once per test.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def viewport() -> dict[str, int]:
    """The window size; a module overrides this fixture to test on a phone."""
    return DESKTOP


@pytest.fixture
def page(browser, live_server, viewport, request) -> Iterator[Page]:
    """A fresh browser context and page on the live server; any console error fails the test.

    Content-Security-Policy violations, uncaught exceptions and failed loads (a 400 from a
    missing CSRF token, a 500) all reach the console as errors.
    """
    # A test that answers the page's requests itself (page.route) blocks the door's service
    # worker: a request the worker sees can miss the route and reach the server (Playwright).
    blocked = request.node.get_closest_marker("routes_requests") is not None
    context = browser.new_context(
        base_url=live_server, viewport=viewport, service_workers="block" if blocked else "allow"
    )
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    request.node.browser_errors = errors
    page = context.new_page()

    def on_console(msg) -> None:
        if msg.type == "error":
            errors.append(f"console.error: {msg.text} ({msg.location.get('url') or 'inline'})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    yield page
    context.close()
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not only its teardown) when the page logged an error."""
    errors = getattr(item, "browser_errors", None)
    try:
        result = yield
    except BaseException as exc:
        if errors:  # likely the cause: show it with the failure
            exc.add_note("the browser reported errors:\n" + "\n".join(errors))
            errors.clear()
        raise
    if errors:
        message = "the browser reported errors:\n" + "\n".join(errors)
        errors.clear()  # reported here; the page's teardown checks only later ones
        pytest.fail(message, pytrace=False)
    return result


@pytest.fixture
def log_in(page):
    """Log in through the real login form: log_in(email, password=factories.PASSWORD)."""

    def _log_in(email: str, password: str = factories.PASSWORD) -> None:
        page.goto("/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        # Wait for the answer (logged in, or a refusal shown): a page asked for before the
        # login's redirect lands would otherwise race it and load logged out.
        landed = page.get_by_role("button", name="Log out")
        expect(landed.or_(page.locator(".flash-error, .field-error")).first).to_be_visible()

    return _log_in


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "routes_requests: the test answers requests itself; service workers blocked"
    )
