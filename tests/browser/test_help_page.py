"""A mother asks for help for her son, in Spanish, on a small phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.intake.models import Referral
from coresponder.intake.public_views import REQUESTS_PER_HOUR, note_request
from coresponder.programs.actions import load_programs
from tests.conftest import assert_clean

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def programs() -> Iterator[None]:
    cache.clear()
    load_programs(SYSTEM)
    yield
    cache.clear()


def choose(page: Any, label: str) -> None:
    """Tick a radio button or checkbox by its label, as a thumb does."""
    page.locator("label", has_text=label).first.click()


def fill_in_spanish(page: Any) -> None:
    page.get_by_label("Programa de su zona").select_option("pco")
    choose(page, "Alguien que me importa")
    page.get_by_label("Usted es su").select_option("parent")
    page.get_by_label("Su nombre").fill("Rosa Ortega")
    page.get_by_label("Nombre", exact=True).fill("Mateo")
    page.get_by_label(re.compile("^Apellido")).fill("Ortega")
    page.get_by_label(re.compile("^Número de teléfono")).fill("508-555-0142")
    choose(page, "Tratamiento por consumo de drogas o alcohol")
    choose(page, "Apoyo para familiares y amigos")
    choose(page, "Mensaje de texto")


def test_a_mother_asks_for_help_in_spanish_on_a_phone(live_server: Any, phone_page: Any) -> None:
    page = phone_page
    page.goto(live_server.url + "/help")
    page.get_by_role("button", name="Español").click()
    page.wait_for_url(live_server.url + "/help?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("link", name="Llamar al 988").get_attribute("href") == "tel:988"
    assert page.get_by_role("link", name="Llamar al 911").get_attribute("href") == "tel:911"
    expect(page.get_by_role("link", name="Llamar al 988")).to_be_visible()
    assert_clean(page)

    fill_in_spanish(page)
    page.get_by_role("button", name="Enviar mi solicitud").click()

    # The permission box was left empty: the form comes back, in Spanish, with what was typed.
    assert page.get_by_role("alert").inner_text().startswith("Revise sus respuestas")
    # The page opens on why it came back: a screen reader reads the list first.
    expect(page.get_by_role("alert")).to_be_focused()
    assert page.get_by_label("Nombre", exact=True).input_value() == "Mateo"
    assert_clean(page)

    choose(page, "Acepto que el equipo")
    page.get_by_role("button", name="Enviar mi solicitud").click()

    page.wait_for_url(live_server.url + "/help/thanks?lang=es")
    assert page.get_by_role("heading", level=1).inner_text() == "Gracias. Su solicitud fue enviada."
    expect(page.get_by_role("link", name="Llamar al 988")).to_be_visible()
    assert_clean(page)
    referral = Referral.objects.get()
    assert (referral.language, referral.referrer_relationship) == ("es", "parent")
    assert referral.person.given_name == "Mateo"


def test_the_page_works_without_javascript(live_server: Any, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 667}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/help/pco?lang=es")

    fill_in_spanish(page)
    page.get_by_role("button", name="Enviar mi solicitud").click()

    # Without a script, the list of what to correct still takes the focus as the page opens.
    expect(page.get_by_role("alert")).to_be_focused()
    choose(page, "Acepto que el equipo")
    page.get_by_role("button", name="Enviar mi solicitud").click()

    page.wait_for_url(live_server.url + "/help/thanks?lang=es")
    assert Referral.objects.filter(channel="public").count() == 1
    context.close()


def test_a_visitor_at_a_wrong_address_finds_the_way_to_help(
    live_server: Any, phone_page: Any
) -> None:
    page = phone_page
    response = page.goto(live_server.url + "/no-such-page/")

    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_clean(page)
    page.get_by_role("link", name="Go to the help page").click()
    page.wait_for_url(live_server.url + "/help")


def test_switching_to_english_mid_form_keeps_what_was_typed(
    live_server: Any, phone_page: Any
) -> None:
    page = phone_page
    page.goto(live_server.url + "/help/pco?lang=es")
    fill_in_spanish(page)

    page.get_by_role("button", name="English").click()

    page.wait_for_url(live_server.url + "/help/pco?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("First name", exact=True).input_value() == "Mateo"
    assert page.get_by_label("Your name").input_value() == "Rosa Ortega"
    assert page.get_by_label("Text message").is_checked()
    assert_clean(page)
    choose(page, "I agree that the program")
    page.get_by_role("button", name="Send my request").click()
    # The browser asks for English: the thank-you page needs no `?lang=` to be in it.
    page.wait_for_url(live_server.url + "/help/thanks")
    assert page.locator("html").get_attribute("lang") == "en"
    assert Referral.objects.get().language == "en"


def test_a_spanish_phone_over_the_hourly_limit_keeps_what_was_typed(
    live_server: Any, browser: Any
) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, locale="es-US"
    )
    page = context.new_page()
    for _ in range(REQUESTS_PER_HOUR):
        note_request("127.0.0.1")
    page.goto(live_server.url + "/help/pco")
    assert page.locator("html").get_attribute("lang") == "es"
    fill_in_spanish(page)
    choose(page, "Acepto que el equipo")

    page.get_by_role("button", name="Enviar mi solicitud").click()

    expect(page.get_by_role("alert")).to_contain_text("Podrá enviarla dentro de")
    assert page.get_by_label("Nombre", exact=True).input_value() == "Mateo"
    assert_clean(page)
    assert not Referral.objects.exists()
    context.close()


def test_enter_in_a_box_sends_the_form_in_its_language(live_server: Any, phone_page: Any) -> None:
    # The phone keyboard's Go key sends the form with its first button; the language button
    # in the header, which comes before the form, must not be the one pressed.
    page = phone_page
    page.goto(live_server.url + "/help/pco?lang=es")
    fill_in_spanish(page)
    choose(page, "Acepto que el equipo")

    page.get_by_label("Nombre", exact=True).press("Enter")

    page.wait_for_url(live_server.url + "/help/thanks?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert Referral.objects.get().language == "es"
    assert_clean(page)
