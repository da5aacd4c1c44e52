"""适老化 and keyboard use in the browser: the elderly-friendly mode and the focus ring."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.policies.factories import PolicyFactory

BLOCKING = ("serious", "critical")
# The colour of the focus ring and of the nearest painted background behind the focused element.
FOCUS_COLOURS = """() => {
  const el = document.activeElement;
  let node = el.parentElement, background = "rgba(0, 0, 0, 0)";
  while (node && background === "rgba(0, 0, 0, 0)") {
    background = getComputedStyle(node).backgroundColor;
    node = node.parentElement;
  }
  const style = getComputedStyle(el);
  return {outline: style.outlineColor, width: style.outlineWidth, background, text: el.textContent.trim()};
}"""


def rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(part) for part in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


def contrast(first: str, second: str) -> float:
    def luminance(colour):
        channels = [c / 255 for c in rgb(colour)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def tab_to(page, selector: str, limit: int = 40) -> dict:
    """Press Tab until the focus is on an element matching ``selector``; return its focus colours."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return page.evaluate(FOCUS_COLOURS)
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.django_db(transaction=True)
def test_a_visitor_switches_on_elder_mode_in_the_header_and_it_stays_on_from_page_to_page(page, screenshot):
    PolicyFactory(
        code="srdi-award-2023", title="郑州高新区支持专精特新企业高质量发展的若干措施", status="published"
    )
    page.goto("/policies/")
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "16px"

    # The switch is a form: wait for the page it comes back to to load (its stylesheet included) before
    # reading computed styles; the new document's class shows before its CSS applies on a slow machine.
    with page.expect_navigation(wait_until="load"):
        page.click("header button:has-text('长辈模式')")

    page.wait_for_selector("html.elder")
    assert page.url.endswith("/policies/")
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "20px"
    assert page.get_attribute("header button:has-text('长辈模式')", "aria-pressed") == "true"
    page.goto("/policies/srdi-award-2023/")
    assert page.evaluate("document.documentElement.className") == "elder"
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
    violations = Axe().run(page).response["violations"]
    blocking = [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations if v["impact"] in BLOCKING]
    assert blocking == []
    assert screenshot("elder-320").exists()

    with page.expect_navigation(wait_until="load"):
        page.click("header button:has-text('长辈模式')")
    page.wait_for_selector("html:not(.elder)")
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "15px"


@pytest.mark.django_db(transaction=True)
def test_the_focus_ring_stands_out_three_to_one_on_the_red_header_the_menu_the_page_and_the_footer(page):
    page.goto("/help/")

    header = tab_to(page, ".header-tools button")
    menu = tab_to(page, ".main-nav a")
    body = tab_to(page, "main a")
    footer = tab_to(page, ".site-footer a")

    for ring in (header, menu, body, footer):
        assert ring["width"] == "3px"
        assert contrast(ring["outline"], ring["background"]) >= 3, ring
    assert header["outline"] == "rgb(255, 255, 255)"
    assert body["outline"] == "rgb(29, 78, 216)"


@pytest.mark.django_db(transaction=True)
def test_the_menu_marks_the_page_the_visitor_is_on(page):
    page.goto("/faq/")

    current = page.locator(".main-nav a[aria-current]")

    assert current.all_inner_texts() == ["常见问题"]
    assert current.get_attribute("aria-current") == "page"
