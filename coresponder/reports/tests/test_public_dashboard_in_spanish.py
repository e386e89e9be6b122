"""The public dashboard reads in English or Spanish; either way, labels, never codes."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from coresponder.conftest import Clock
from coresponder.domain.vocabulary import Disposition, Pathway, labels_of
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Referral
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import District, Program

NY = ZoneInfo("America/New_York")
URL = "/public/pad/dashboard/"
SHOWN = (Pathway.OFFICER_INTERVENTION, Pathway.COMMUNITY_RESPONSE)
ENDINGS = (Disposition.TRANSPORTED_CRISIS_CENTER, Disposition.RESOLVED_ON_SCENE)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style") and self._hidden > 0

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def whole_dashboard(query: dict[str, str]) -> tuple[str, Any]:
    """The page and every section it loads, as one text, and the breakdown's figures."""
    client = Client()
    pages = [client.get(URL, query)]
    for name in ("funnel", "monthly", "dispositions", "breakdown"):
        pages.append(client.get(f"{URL}sections/{name}/", query, headers={"HX-Request": "true"}))
    assert [page.status_code for page in pages] == [200] * len(pages)
    return "".join(page.content.decode() for page in pages), pages[-1].context


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.text).split())


@pytest.fixture
def world(pad: Program, clock: Clock) -> Program:
    """PAD in October 2026: a third quarter with enough of each group to be published."""
    clock.now = dt.datetime(2026, 10, 20, 16, tzinfo=dt.UTC)
    people = [PersonFactory.create() for _ in range(3)]
    where = District.objects.get(program=pad, code="24")
    at = dt.datetime(2026, 9, 10, 12, tzinfo=NY)
    for pathway in SHOWN:
        for i in range(15):
            Referral.objects.create(
                program=pad, person=people[i % 3], received_at=at, pathway=pathway, district=where
            )
    for disposition in ENDINGS:
        for i in range(15):
            Encounter.objects.create(
                program=pad,
                person=people[i % 3],
                occurred_at=at,
                kind="crisis_response",
                disposition=disposition,
            )
    return pad


def test_the_public_dashboard_in_spanish_names_pathways_and_dispositions_in_spanish(
    world: Program,
) -> None:
    html, _ = whole_dashboard({"lang": "es", "by": "pathway"})
    text = visible_text(html)
    for vocabulary, codes in (("pathway", SHOWN), ("disposition", ENDINGS)):
        english, spanish = labels_of(vocabulary), labels_of(vocabulary, "es")
        for code in codes:
            assert spanish[code] in text
            assert english[code] not in text
            assert code.value not in text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text)
    assert 'lang="en"' in html and "English" in text


def test_the_public_dashboard_in_english_offers_spanish_and_shows_no_codes(
    world: Program,
) -> None:
    html, _ = whole_dashboard({"by": "pathway"})
    text = visible_text(html)
    assert labels_of("pathway")[Pathway.OFFICER_INTERVENTION] in text
    assert labels_of("disposition")[Disposition.TRANSPORTED_CRISIS_CENTER] in text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text)
    assert "Español" in text


@pytest.mark.parametrize("by", ["sex", "race", "ethnicity", "source"])
def test_every_group_of_a_spanish_breakdown_reads_in_spanish(world: Program, by: str) -> None:
    _, context = whole_dashboard({"lang": "es", "by": by})
    shown = [row["label"] for row in context["breakdown_rows"]]
    english = set(labels_of(by).values()) - set(labels_of(by, "es").values())
    assert shown and not english & set(shown)


def test_a_spanish_breakdown_and_map_name_districts_as_the_preset_names_them_in_spanish(
    world: Program,
) -> None:
    html, context = whole_dashboard({"lang": "es", "by": "district"})
    text = visible_text(html)
    shown = [row["label"] for row in context["breakdown_rows"]]
    assert "Distrito 24" in shown and "24th District" not in shown
    assert "Distrito 24" in text and "24th District" not in text
    english, _ = whole_dashboard({"by": "district"})
    assert "24th District" in visible_text(english) and "Distrito 24" not in english


def test_a_district_without_a_spanish_name_reads_its_name_on_the_spanish_page(
    world: Program,
) -> None:
    District.objects.filter(program=world, code="24").update(name_es="")
    _, context = whole_dashboard({"lang": "es", "by": "district"})
    assert "24th District" in [row["label"] for row in context["breakdown_rows"]]
