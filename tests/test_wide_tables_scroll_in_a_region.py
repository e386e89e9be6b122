"""Every table that does not stack on a phone scrolls in a box a keyboard can reach.

A table wider than the screen scrolls inside its own box, never the page; the box is a
named region with tabindex 0 (`{% scroll_table %}`), so a person without a mouse can
scroll it too. A table that stacks on a phone (`usa-table--stacked`) needs no box.

On the demo data, every role of one seed program and the administrator walk the pages
they can reach; every template is read too, so a table on a page no walk opens is not
forgotten either.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template import engines
from django.test import Client
from django.urls import Resolver404, resolve

from coresponder.demo.cast import ADMIN_USERNAME, PERSONA_ROLES, persona_username
from coresponder.programs.models import User

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "coresponder").glob("**/templates/**/*.html"))

# Pages a walk never opens: they sign out, change state on GET, or are not pages.
NOT_PAGES = re.compile(r"^/(accounts/logout|api/|static/|calendar/|healthz)|/download")
MOST_KINDS = 60
STACKS = "usa-table--stacked"


class _Tables(HTMLParser):
    """Each table on a page, and whether it sits in a named, focusable scroll region."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.tables: list[tuple[str, str | None]] = []  # (opening tag, region's caption id)
        self._divs: list[dict[str, str | None] | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if tag == "div":
            classes = (attributes.get("class") or "").split()
            named = attributes.get("aria-labelledby") or attributes.get("aria-label")
            is_region = (
                "cr-table-scroll" in classes
                and attributes.get("tabindex") == "0"
                and attributes.get("role") == "region"
                and bool(named)
            )
            self._divs.append(attributes if is_region else None)
        elif tag == "table" and STACKS not in (attributes.get("class") or "").split():
            regions = [div for div in self._divs if div is not None]
            labelledby = (regions[-1].get("aria-labelledby") or "") if regions else None
            self.tables.append((self.get_starttag_text() or "<table>", labelledby))

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._divs:
            self._divs.pop()


def tables_outside_a_region(html: str) -> list[str]:
    """The wide tables of a page not in a scroll region, or named by a missing caption."""
    parser = _Tables()
    parser.feed(html)
    return [
        tag if labelledby is None else f"{tag} named by a missing #{labelledby}"
        for tag, labelledby in parser.tables
        if labelledby is None or (labelledby and labelledby not in parser.ids)
    ]


def pages(client: Client, start: list[str]) -> Iterator[tuple[str, str]]:
    """(path, HTML) of one page of each kind reachable from `start`."""
    seen_kinds: set[str] = set()
    queue = list(start)
    while queue and len(seen_kinds) < MOST_KINDS:
        path = queue.pop(0)
        if NOT_PAGES.search(path.split("?")[0]):
            continue
        try:
            kind = resolve(path.split("?")[0].split("#")[0]).view_name
        except Resolver404:
            continue
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        yield path, html
        queue.extend(re.findall(r'href="(/[^"]*)"', html))


def test_a_table_that_does_not_stack_is_written_inside_a_scroll_region() -> None:
    engine = engines["django"]
    loose: list[str] = []
    for path in TEMPLATES:
        source = path.read_text(encoding="utf-8")
        engine.from_string(source)  # the template still parses
        depth = 0
        for token in re.finditer(r"{%\s*(end)?scroll_table\b|<table\b[^>]*>", source):
            if token.group(0).startswith("{%"):
                depth += -1 if token.group(1) else 1
            elif STACKS not in token.group(0) and depth == 0:
                loose.append(f"{path.relative_to(ROOT)}: {token.group(0)}")
    assert loose == [], "\n".join(loose)


def test_a_scroll_region_is_named_by_its_caption() -> None:
    html = (
        engines["django"]
        .from_string(
            '{% load tables %}{% scroll_table "sla-" 3 %}'
            '<table class="usa-table"><caption id="sla-3">Windows</caption></table>'
            "{% endscroll_table %}"
        )
        .render({})
    )
    assert 'tabindex="0" role="region" aria-labelledby="sla-3"' in html
    assert tables_outside_a_region(html) == []
    assert tables_outside_a_region('<table class="usa-table"></table>') == [
        '<table class="usa-table">'
    ]


@pytest.mark.django_db
def test_every_wide_table_on_the_demo_pages_scrolls_in_a_region_a_keyboard_reaches() -> None:
    call_command("load_programs", stdout=io.StringIO())
    call_command("demo_data", "--seed", "1", "--scale", "small", stdout=io.StringIO())
    slug = "pad"
    loose: dict[str, str] = {}
    tables = 0
    for username in [persona_username(slug, role) for role in PERSONA_ROLES] + [ADMIN_USERNAME]:
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        start = [f"/programs/{slug}/", "/", "/audit/", f"/public/{slug}/dashboard/"]
        for path, html in pages(client, start):
            tables += html.count("<table")
            for tag in tables_outside_a_region(html):
                loose.setdefault(tag, f"{username} {path}")
    assert tables > 10
    assert loose == {}, "\n".join(f"{where}: {tag}" for tag, where in loose.items())
