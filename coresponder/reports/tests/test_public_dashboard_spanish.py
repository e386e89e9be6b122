"""The public dashboard with `?lang=es` reads wholly in Spanish: the page, each section
(as a fragment htmx loads and as a page of its own), its charts, tables and map; in
English, and for members, it reads as it always has.

PAD, 20 Oct 2026: the last full quarter is July to September 2026.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from coresponder.conftest import Clock, sign_in
from coresponder.domain.vocabulary import Disposition, labels_of
from coresponder.encounters.models import Encounter
from coresponder.outreach.models import OutreachTask
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User
from coresponder.reports.metrics import Period
from coresponder.reports.public_words import TEXT, period_label
from coresponder.reports.tests.test_dashboard import refer

NY = ZoneInfo("America/New_York")
PUBLIC = "/public/pad/dashboard/"
HTMX = {"HX-Request": "true"}

# Per part of the dashboard: (English words, their Spanish), as a reader sees them.
WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "page": (
        (
            "Headline figures",
            "compared with",
            "De-identified figures for one whole, finished quarter",
            "The figures of the last full quarter, published by the program",
            "Before:",
            "Follow-up service levels",
            "Service levels, this period and the one before",
            "Loading the funnel",
            "Show the breakdown and the map",
            "By district",
            "Referrals",
            "Median hours to first attempt",
            "Skip to main content",
            "open-source software",
            "1 Jul 2026 – 30 Sep 2026",
            "Español",
        ),
        (
            "Cifras principales",
            "en comparación con",
            "Cifras sin datos personales de un trimestre completo",
            "Las cifras del último trimestre completo, publicadas por el programa",
            "Antes:",
            "Niveles de servicio del seguimiento",
            "Niveles de servicio, este período y el anterior",
            "Cargando el embudo",
            "Mostrar el desglose y el mapa",
            "Por distrito",
            "Remisiones",
            "Mediana de horas hasta el primer intento",
            "Saltar al contenido principal",
            "software de código abierto",
            "1 jul 2026 – 30 sep 2026",
            "English",
        ),
    ),
    "funnel": (
        (
            "From notification to engagement",
            "People with a follow-up whose window opened",
            "counts everyone who accepted in the period, followed up or not",
            "People at each step of follow-up",
            "Notified",
            "Engaged again after 90 days",
        ),
        (
            "De la notificación a la participación",
            "Personas con un seguimiento cuyo plazo se abrió",
            "cuenta a todas las que aceptaron en el período",
            "Personas en cada paso del seguimiento",
            "Notificadas",
            "Siguen participando a los 90 días",
        ),
    ),
    "monthly": (
        (
            "Month by month",
            "Referrals by month",
            "this period and the period before",
            "Dark columns: this period",
            "previous period:",
            "Highest:",
            "Sep 2026",
        ),
        (
            "Mes a mes",
            "Remisiones por mes",
            "este período y el anterior",
            "Columnas oscuras: este período",
            "período anterior:",
            "Máximo:",
            "sep 2026",
        ),
    ),
    "dispositions": (
        (
            "Dispositions",
            "How encounters ended",
            "Encounters by disposition",
            "Jail and ER avoided",
            "All encounters",
            "Resolved on scene",
            "Suppressed",
        ),
        (
            "Cómo terminaron las intervenciones",
            "Intervenciones según cómo terminaron",
            "Sin cárcel ni sala de emergencias",
            "Todas las intervenciones",
            "Resuelto en el lugar",
            "Oculto",
        ),
    ),
    "breakdown": (
        (
            "By district",
            "Break down by",
            "Referrals by district",
            "and more",
            "Total",
            "No district",
            "A person in more than one row counts once in the total",
            "Darker means more referrals",
            "Suppressed",
            "suppressed",
            "Age band",
        ),
        (
            "Por distrito",
            "Desglosar por",
            "Remisiones por distrito",
            "y otras cifras",
            "Total",
            "Sin distrito",
            "Una persona en más de una fila cuenta una vez en el total",
            "Un color más oscuro indica más remisiones",
            "Oculto",
            "oculto",
            "Grupo de edad",
        ),
    ),
}
SECTIONS = ("funnel", "monthly", "dispositions", "breakdown")


class _Visible(HTMLParser):
    """The text a reader meets: what is shown, and what an SVG's title and description say."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")
        self.text += [value or "" for name, value in attrs if name in ("title", "aria-label")]

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style") and self._hidden > 0

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def visible(response: Any) -> str:
    assert response.status_code == 200
    parser = _Visible()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.text).split())


def has_word(text: str, phrase: str) -> bool:
    """Whether `phrase` appears as whole words ("Total" is not in "Totales")."""
    padded = f" {text} "
    return any(
        f"{before}{phrase}{after}" in padded
        for before in (" ", "(", "“")
        for after in (" ", ".", ",", ":", ";", ")", "”", "…")
    )


@pytest.fixture
def world(pad: Program, clock: Clock) -> Program:
    """PAD in October 2026: referrals in three districts, follow-ups, and encounters,
    some of them few enough to be suppressed."""
    clock.now = dt.datetime(2026, 10, 20, 16, tzinfo=dt.UTC)
    people = [PersonFactory.create() for _ in range(12)]
    refer(pad, people[:3], "22", 7, dt.date(2026, 9, 10))
    refer(pad, people[:3], "24", 40, dt.date(2026, 9, 11))
    refer(pad, people[:3], "39", 25, dt.date(2026, 9, 12))
    opened = dt.datetime(2026, 9, 14, 9, tzinfo=NY)
    for person in people:
        OutreachTask.objects.create(
            program=pad, person=person, window_start=opened, window_end=opened + dt.timedelta(3)
        )
    for i, disposition in enumerate(["arrested"] * 8 + ["resolved_on_scene"] * 12):
        Encounter.objects.create(
            program=pad,
            person=people[i % 12],
            occurred_at=dt.datetime(2026, 9, 15, 12, tzinfo=NY),
            kind="crisis_response",
            disposition=disposition,
        )
    return pad


def test_every_phrase_exists_in_both_languages() -> None:
    assert TEXT["en"].keys() == TEXT["es"].keys()
    assert all(TEXT["es"].values())


def test_a_period_reads_with_spanish_month_names() -> None:
    quarter = Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert period_label(quarter, "es") == "1 jul 2026 – 30 sep 2026"
    assert period_label(quarter, "en") == quarter.label == "1 Jul 2026 – 30 Sep 2026"


def test_the_spanish_page_is_in_spanish_throughout(world: Program) -> None:
    response = Client().get(PUBLIC, {"lang": "es"})
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "<title>Panel de datos · " in html
    # The switch back keeps its own language for a screen reader.
    assert 'href="/public/pad/dashboard/?lang=en" lang="en" hreflang="en">English</a>' in html
    text = visible(response)
    english, spanish = WORDS["page"]
    for phrase in spanish:
        assert has_word(text, phrase), phrase
    for phrase in english:
        assert not has_word(text, phrase), phrase
    # The placeholders load the sections in Spanish too.
    assert f"{PUBLIC}sections/funnel/?lang=es&amp;by=district" in html


def test_a_section_that_fails_to_load_says_so_in_spanish_that_agrees(world: Program) -> None:
    html = Client().get(PUBLIC, {"lang": "es"}).content.decode()
    failed = re.findall(r'data-htmx-failed="([^"]+)"', html)
    assert "Error al cargar las cifras mes a mes." in failed, failed
    assert "Error al cargar el embudo." in failed, failed
    # "No se pudo cargar" agrees with one thing, not with "las cifras".
    assert not [message for message in failed if "pudo" in message]


def test_the_english_page_reads_as_it_did(world: Program) -> None:
    response = Client().get(PUBLIC)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<title>Dashboard · " in html
    assert 'href="/public/pad/dashboard/?lang=es" lang="es" hreflang="es">Español</a>' in html
    text = visible(response)
    english, spanish = WORDS["page"]
    for phrase in english:
        if phrase != "Español":
            assert has_word(text, phrase), phrase
    for phrase in ("Cifras principales", "Antes:", "Cargando el embudo", "1 jul 2026"):
        assert phrase not in text


@pytest.mark.parametrize("name", SECTIONS)
@pytest.mark.parametrize("fragment", [True, False], ids=["htmx", "page"])
def test_each_public_section_reads_in_spanish(world: Program, name: str, fragment: bool) -> None:
    headers = HTMX if fragment else {}
    response = Client().get(f"{PUBLIC}sections/{name}/", {"lang": "es"}, headers=headers)
    text = visible(response)
    english, spanish = WORDS[name]
    for phrase in spanish:
        assert has_word(text, phrase), phrase
    for phrase in english:
        if phrase not in spanish:
            assert not has_word(text, phrase), phrase
    html = response.content.decode()
    if fragment:
        assert "<html" not in html
    else:
        assert '<html lang="es">' in html
        assert "Todo el panel de datos" in text and "The whole dashboard" not in text
        assert "Skip to main content" not in text


@pytest.mark.parametrize("name", SECTIONS)
def test_each_public_section_in_english_reads_as_it_did(world: Program, name: str) -> None:
    response = Client().get(f"{PUBLIC}sections/{name}/", headers=HTMX)
    text = visible(response)
    english, spanish = WORDS[name]
    for phrase in english:
        assert has_word(text, phrase), phrase
    for phrase in spanish:
        if phrase not in english:
            assert not has_word(text, phrase), phrase


@pytest.mark.parametrize(
    ("by", "spanish", "english"),
    [
        ("age_band", ("Por grupo de edad", "Edad desconocida", "65 o más"), ("Under 18", "65+")),
        ("source", ("Por origen de la remisión", "No registrado"), ("Not recorded", "Source")),
        ("sex", ("Por sexo", "Mujer", "Desconocido"), ("Female", "Unknown", "By sex")),
    ],
)
def test_every_breakdown_names_its_groups_in_spanish(
    world: Program, by: str, spanish: tuple[str, ...], english: tuple[str, ...]
) -> None:
    response = Client().get(f"{PUBLIC}sections/breakdown/", {"lang": "es", "by": by}, headers=HTMX)
    text = visible(response)
    for phrase in spanish:
        assert has_word(text, phrase), phrase
    for phrase in english:
        assert not has_word(text, phrase), phrase


def test_the_monthly_figures_of_the_public_read_in_spanish(world: Program) -> None:
    response = Client().get(
        f"{PUBLIC}sections/monthly/", {"lang": "es", "monthly": "people_engaged"}, headers=HTMX
    )
    text = visible(response)
    assert "Personas que participan por mes" in text and "People engaged" not in text
    assert "Cifra" in text and "Figure" not in text


def test_the_spanish_dispositions_come_from_the_vocabulary(world: Program) -> None:
    text = visible(Client().get(f"{PUBLIC}sections/dispositions/", {"lang": "es"}, headers=HTMX))
    for code in Disposition:
        assert labels_of("disposition", "es")[code] in text
        assert not has_word(text, labels_of("disposition")[code])


def test_a_member_s_dashboard_stays_in_english(world: Program, coordinator: User) -> None:
    client = sign_in(Client(), coordinator)
    query = {"start": "2026-09-01", "end": "2026-09-30", "lang": "es"}
    page = client.get("/programs/pad/dashboard/", query)
    html = page.content.decode()
    assert '<html lang="en">' in html and "Headline figures" in visible(page)
    assert "Cifras principales" not in html
    funnel = client.get("/programs/pad/dashboard/sections/funnel/", query, headers=HTMX)
    assert "From notification to engagement" in visible(funnel)
    assert "Notificadas" not in funnel.content.decode()


# SVG reads its geometry as numbers with a decimal point whatever the page's language:
# "480,0" is no width at all, and the bar is not drawn.
GEOMETRY = ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height", "viewbox")


class _Geometry(HTMLParser):
    """Every geometry attribute of the page's SVG shapes, as (tag, name, value)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, name, value or "") for name, value in attrs if name in GEOMETRY]


@pytest.mark.parametrize("name", SECTIONS)
def test_the_spanish_charts_draw_with_a_decimal_point(world: Program, name: str) -> None:
    response = Client().get(
        f"{PUBLIC}sections/{name}/", {"lang": "es", "by": "district"}, headers=HTMX
    )
    parser = _Geometry()
    parser.feed(response.content.decode())
    assert parser.found, "a chart with no shapes"
    for tag, attribute, value in parser.found:
        for number in value.split():
            assert "," not in number, (tag, attribute, value)
            float(number)  # an SVG number, or the shape is not drawn
