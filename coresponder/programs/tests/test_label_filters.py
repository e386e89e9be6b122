"""Templates name codes through one filter, in the page's language, and say "(optional)" truly."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.utils import translation

from coresponder.intake.public_forms import HelpForm
from coresponder.programs.models import Program
from coresponder.programs.tests.factories import ProviderOrganizationFactory
from coresponder.services.forms import ReferForm, StatusForm


def render(source: str, **context: Any) -> str:
    return Template("{% load labels %}" + source).render(Context(context))


def test_a_code_reads_as_its_label_and_in_spanish_on_a_spanish_page() -> None:
    source = '{{ code|label:"pathway" }}'
    assert render(source, code="naloxone_plus") == "Naloxone plus (post-overdose)"
    with translation.override("es"):
        assert render(source, code="naloxone_plus") == "Naloxona plus (después de una sobredosis)"


def test_a_list_of_codes_reads_as_labels() -> None:
    source = '{{ codes|labels:"language"|join:", " }}'
    assert render(source, codes=["en", "es", "ht"]) == "English, Spanish, Haitian Creole"


def test_a_reason_needed_for_some_status_changes_never_reads_as_optional() -> None:
    assert render("{{ f|optional }}", f=StatusForm()["status_reason"]) == "False"
    assert render("{{ f|optional }}", f=ReferForm()["note"]) == "True"


@pytest.mark.django_db
def test_the_help_pages_relationship_is_needed_for_someone_else_so_not_optional() -> None:
    form = HelpForm()
    assert render("{{ f|optional }}", f=form["relationship"]) == "False"
    assert render("{{ f|optional }}", f=form["family_name"]) == "True"


def test_district_codes_read_as_the_programs_district_names(pad: Program) -> None:
    source = '{{ codes|district_names:program|join:", " }}'
    assert render(source, codes=["22", "39", "99"], program=pad) == (
        "22nd District, 39th District, 99"
    )


@pytest.mark.django_db
def test_a_consent_recipient_reads_as_an_organisation_name_or_a_kind() -> None:
    ProviderOrganizationFactory.create(slug="kensington-recovery", name="Kensington Recovery")
    assert render("{{ r|recipient }}", r={"organization": "kensington-recovery"}) == (
        "Kensington Recovery"
    )
    assert render("{{ r|recipient }}", r={"kind": "provider"}) == "Treatment or service provider"
    assert render("{{ r|recipient }}", r={"role": "officer"}) == "Officer"
