"""Page checks shared by the browser tests: axe-core (vendored under tests/browser/assets, injected here and never
served to users) and the phone-width overflow check."""

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "assets" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
BLOCKING = {"serious", "critical"}


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations on the page as it stands, one line each.
    page.evaluate goes through the DevTools protocol, so the page's strict CSP does not stop it."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """() => axe.run(document, {
               runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
               resultTypes: ['violations']})"""
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0 when nothing scrolls sideways)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))
