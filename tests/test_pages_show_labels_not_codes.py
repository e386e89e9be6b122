"""On the demo data, no page shows a person a code where a label belongs.

Every role of every seed program walks the pages it can reach from its program's
home (one page of each kind), and the administrator walks them too. The visible
text of each page (tags and attributes stripped, so `<option value=...>` is fine)
must hold none of the vocabularies' codes, nor a time zone's tz database name.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from coresponder.care.models import CarePlan
from coresponder.demo.cast import ADMIN_USERNAME, PERSONA_ROLES, persona_username
from coresponder.domain.vocabulary import VOCABULARIES, labels_of
from coresponder.encounters.models import Encounter
from coresponder.programs.models import District, Program, User

ROOT = Path(__file__).resolve().parent.parent

# Pages a walk never opens: they sign out, change state on GET, or are not pages.
NOT_PAGES = re.compile(r"^/(accounts/logout|api/|static/|calendar/|healthz)|/download")
# Pages of one kind are alike; a walk opens this many kinds at most.
MOST_KINDS = 60


class _Text(HTMLParser):
    """The text a person sees, and the links they may follow."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith("/"):
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1
        self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.chunks.append(data)


def visible(html: str) -> tuple[list[str], list[str]]:
    """(text nodes as a person reads them, links to other pages of the site)."""
    parser = _Text()
    parser.feed(html)
    nodes = [" ".join(n.split()) for n in "".join(parser.chunks).split("\n")]
    return [n for n in nodes if n], parser.links


def known_codes(districts: dict[str, str]) -> tuple[set[str], set[str]]:
    """(codes no prose uses, one-word codes that read as a code when they stand alone).

    Only codes whose label differs from them count: a code such as `ems`
    labelled "EMS" is a code on screen, `Arrested` is not.
    """
    compound: set[str] = set()
    single: set[str] = set()
    for vocabulary in VOCABULARIES:
        for code, text in labels_of(vocabulary).items():
            # "admin" is also the administrator's user name, shown as such in the audit log.
            if code == text or code in ("api", "other", "admin"):
                continue
            (compound if re.search(r"[_\-\d]", code) else single).add(code)
    for code, name in districts.items():
        if code != name and not code.isdigit():
            single.add(code)
    return compound, single


def codes_in(nodes: list[str], compound: set[str], single: set[str]) -> set[str]:
    """The codes the page shows: compound anywhere, single ones standing alone."""
    found = set()
    words = re.compile(r"(?<![\w\-/.#=?&])(" + "|".join(map(re.escape, compound)) + r")(?![\w\-])")
    for node in nodes:
        found.update(words.findall(node))
        # A list item or a bracketed word that is nothing but a code.
        parts = re.split(r"[·,;]", node) + re.findall(r"\(([^()]*)\)", node)
        found.update(part.strip() for part in parts if part.strip() in single)
        if re.search(r"Languages?\W+[a-z]{2,3}\b", node):
            found.add(node)
    return found


def walk(client: Client, start: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(path, visible text) of one page of each kind reachable from `start`."""
    seen_kinds: set[str] = set()
    queue = list(start)
    while queue and len(seen_kinds) < MOST_KINDS:
        path = queue.pop(0)
        if NOT_PAGES.search(path.split("?")[0]):
            continue
        try:
            match = resolve(path.split("?")[0].split("#")[0])
        except Resolver404:
            continue
        kind = match.view_name
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        nodes, links = visible(response.content.decode())
        yield path, nodes
        queue.extend(links)


SEED_PROGRAMS = sorted(path.stem for path in (ROOT / "presets").glob("*.toml"))


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SEED_PROGRAMS)
def test_no_role_of_a_seed_program_sees_a_code_on_a_page(slug: str) -> None:
    """One program's roles and the administrator in it: one test per program, so that
    test workers share the walks."""
    call_command("load_programs", stdout=io.StringIO())
    call_command("demo_data", "--seed", "1", "--scale", "small", stdout=io.StringIO())
    assert Program.objects.filter(slug=slug).exists(), f"no seed program {slug!r}"
    districts = dict(District.objects.values_list("code", "name"))
    compound, single = known_codes(districts)
    # A zone reads as people say it ("Eastern time"), not by its tz database name.
    compound |= set(Program.objects.values_list("timezone", flat=True))
    walkers = [persona_username(slug, role) for role in PERSONA_ROLES] + [ADMIN_USERNAME]
    # Pages no list links to: an encounter with screenings, a care plan.
    details = [
        f"/programs/{slug}/encounters/{encounter}/"
        for encounter in Encounter.objects.filter(
            program__slug=slug, screenings__isnull=False
        ).values_list("pk", flat=True)[:1]
    ] + [
        f"/care-plans/{plan}/"
        for plan in CarePlan.objects.filter(program__slug=slug).values_list("pk", flat=True)[:1]
    ]
    shown: dict[str, set[str]] = {}
    walked = 0
    for username in walkers:
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        start = [
            f"/programs/{slug}/",
            "/",
            "/services/inbox/",
            "/people/matches/",
            f"/programs/{slug}/exports/",
            f"/public/{slug}/dashboard/",
            f"/public/{slug}/dashboard/?lang=es",
            *details,
        ]
        for path, nodes in walk(client, start):
            walked += 1
            for code in codes_in(nodes, compound, single):
                shown.setdefault(code, set()).add(f"{username} {path}")
    assert walked > 25
    report = [f"{code!r}: {', '.join(sorted(where)[:3])}" for code, where in sorted(shown.items())]
    assert not shown, "\n".join(report)
