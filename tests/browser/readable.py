"""What every on-the-day page owes its users in the browser: axe-core finds nothing serious,
nothing scrolls sideways, and a screen that must fit (the projector) fits.

axe-core is vendored for the tests (tests/browser/vendor/axe-core, never served). It is run
through Playwright's evaluate, which the page's Content-Security-Policy does not govern.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text(encoding="utf-8")  # read once a run, sent to each page that needs it

# The sizes people use: a phone, a tablet, a laptop, the hall's 1080p projector.
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
LAPTOP = {"width": 1366, "height": 900}
PROJECTOR = {"width": 1920, "height": 1080}
SIZES = {"phone": PHONE, "tablet": TABLET, "laptop": LAPTOP, "projector": PROJECTOR}

# A button just pressed fades to its new colours (Pico's 0.2 s transitions): axe measures the
# page once it has settled, as the user reads it, not a colour halfway.
RUN_AXE = """async () => {
  await Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
    .map(a => a.finished.catch(() => null)));
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary),
    }));
}"""


def serious_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it stands."""
    page.wait_for_load_state("load")  # contrast is measured with the page's own colours
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(RUN_AXE)


def assert_accessible(page: Page) -> None:
    """axe-core reports no serious or critical violation (contrast included)."""
    found = serious_violations(page)
    assert not found, f"{page.url}: axe-core found\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found
    )


def sideways_overflow(page: Page) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it fits the width)."""
    # A page's text is in place before its stylesheets are (a click waits only for the next
    # page to start): without confapp.css the phone's nav menu is a 998 px row.
    page.wait_for_load_state("load")
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def assert_no_sideways_scroll(page: Page) -> None:
    """Nothing on the page is wider than the window."""
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"{page.url} scrolls {overflow}px sideways at {page.viewport_size}"


def assert_fits_screen(page: Page) -> None:
    """Nothing scrolls at all: the whole page is inside the window (for the projector)."""
    page.wait_for_load_state("load")  # measured as styled, as in sideways_overflow
    size = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " document.documentElement.clientWidth, document.documentElement.clientHeight]"
    )
    width, height, seen_width, seen_height = size
    assert width <= seen_width and height <= seen_height, (
        f"{page.url} is {width}×{height} in a {seen_width}×{seen_height} window"
    )


def assert_readable(page: Page, *, fits: bool = False) -> None:
    """The checks every on-the-day page passes at every size."""
    assert_no_sideways_scroll(page)
    if fits:
        assert_fits_screen(page)
    assert_accessible(page)


def keep_screenshot(page: Page, name: str) -> None:
    """Save what the user sees as $CONFAPP_SCREENSHOTS/<name>.png when that is set (to look at)."""
    folder = os.environ.get("CONFAPP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))
