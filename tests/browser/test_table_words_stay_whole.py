"""On a phone, a tablet and a desktop, a table never splits a word between two lines
("Persona / s").

A word too wide for the screen may still break (the page never scrolls sideways); a
table that does not stack scrolls inside its own box, which a keyboard reaches, instead
of squeezing its columns narrower than their words.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.programs.actions import create_organization, create_user, load_programs
from tests.browser.conftest import PASSWORD, SECRET
from tests.browser.journeys import assert_fits
from tests.conftest import axe_violations, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A phone, a screen between USWDS's 30em and our 40em phone breakpoints, and a desktop.
WIDTHS = [360, 600, 1280]

# Each word of every table cell (split at spaces and hyphens, where a line may end)
# whose letters lie on more than one line, with the cell's text, to name in a failure.
SPLIT_WORDS = r"""() => {
  const split = [];
  for (const cell of document.querySelectorAll("main table td, main table th")) {
    if (!cell.getClientRects().length) continue;  // not shown at this width
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      for (const match of text.matchAll(/[^\s\-\u2010-\u2014]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()]
          .filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) split.push(`${match[0]} (in "${cell.innerText.trim()}")`);
      }
    }
  }
  return split;
}"""


# Each table not stacked at this width whose box scrolls sideways, but is not a named
# region a keyboard reaches.
UNNAMED_SCROLLERS = r"""() => [...document.querySelectorAll("main table")]
  .filter((table) => getComputedStyle(table).display === "table")
  .map((table) => table.closest(".cr-table-scroll") || table.parentElement)
  .filter((box) => box.scrollWidth > box.clientWidth)
  .filter((box) => !(box.tabIndex === 0 && box.getAttribute("role") === "region"
    && (box.getAttribute("aria-label")
        || document.getElementById(box.getAttribute("aria-labelledby")))))
  .map((box) => box.outerHTML.slice(0, 120))"""


@pytest.fixture
def coordinator() -> Any:
    load_programs(SYSTEM)
    create_organization(SYSTEM, "dbhids", "Behavioral Health", "health_department")
    return create_user(
        SYSTEM,
        "cora.coordinator",
        organization="dbhids",
        role="coordinator",
        password=PASSWORD,
        programs=["pad"],
        display_name="Cora Coordinator",
        mfa_secret=SECRET,
    )


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def screen(request: Any, browser: Any) -> Iterator[Any]:
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 640)
    page = context.new_page()
    yield page
    context.close()


def split_words(page: Any, base: str, path: str) -> list[str]:
    response = page.goto(base + path)
    assert response is not None and response.status == 200, path
    if "/dashboard/" in path:
        # The dashboard's sections load after its first screen.
        expect(page.locator('[aria-busy="true"]')).to_have_count(0, timeout=30_000)
    assert page.locator("main table").count(), f"{path} shows no table to measure"
    assert_fits(page)
    # A table wider than the screen scrolls where a keyboard can scroll it too
    # (axe's scrollable-region-focusable), in a region named by its caption.
    assert axe_violations(page) == [], path
    assert page.evaluate(UNNAMED_SCROLLERS) == [], path
    return [f"{path}: {word}" for word in page.evaluate(SPLIT_WORDS)]


def test_no_table_splits_a_word_at_any_width(
    live_server: Any, screen: Any, coordinator: Any
) -> None:
    base = live_server.url
    split: list[str] = []
    for path in ["/public/pad/dashboard/", "/public/pad/dashboard/?lang=es"]:
        split += split_words(screen, base, path)
    sign_in_with_code(screen, base, "cora.coordinator", PASSWORD, SECRET, "/programs/pad/")
    for path in ["/programs/pad/sla/", "/audit/", "/programs/pad/dashboard/"]:
        split += split_words(screen, base, path)

    assert split == [], "\n".join(split)
