"""What every page owes the browser: a strict Content-Security-Policy and an icon."""

from __future__ import annotations

from playwright.sync_api import Page, expect

INJECT_INLINE_SCRIPT = """() => {
    const script = document.createElement("script");
    script.textContent = "window.inlineScriptRan = true";
    document.body.append(script);
}"""


def test_an_inline_script_is_refused_and_the_page_fixture_sees_it(page: Page, request):
    """The CSP blocks injected script, and such a violation would fail any browser test."""
    page.goto("/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(INJECT_INLINE_SCRIPT)
    assert page.evaluate("() => window.inlineScriptRan") is None
    errors = request.node.browser_errors
    assert any("Content Security Policy" in error for error in errors), errors
    errors.clear()  # expected here; anywhere else it fails the test


def test_the_page_icon_loads(page: Page):
    """Browsers fetch the page's icon (/favicon.ico unless a <link rel=icon> names another)."""
    page.goto("/login")
    icon = page.evaluate(
        "() => document.querySelector('link[rel~=icon]')?.href"
        " || new URL('/favicon.ico', location.href).href"
    )
    if not icon.startswith("data:"):
        response = page.request.get(icon)
        assert response.ok, f"the page icon {icon} answers {response.status}"
