"""The public help page: anyone asks a program for help, in English or Spanish, no sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client

from coresponder.conftest import Clock, member_of
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Referral, TriageStatus
from coresponder.intake.public_forms import TEXT
from coresponder.intake.public_views import REQUESTS_PER_HOUR, SWITCH
from coresponder.outreach.management.commands.run_worker import send_all
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """The request counts live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def request_for_me(**changes: Any) -> dict[str, Any]:
    """A complete request, as a person asking for themself sends it."""
    data = {
        "program": "pco",
        "who": "me",
        "given_name": "María",
        "family_name": "Ortega",
        "phone": "(508) 555-0142",
        "address": "",
        "help": ["treatment", "naloxone"],
        "help_text": "",
        "contact_preference": "text",
        "consent": "on",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def person_of(referral: Referral) -> Person:
    assert referral.person is not None
    return referral.person


def send(client: Client, data: dict[str, Any], lang: str = "es", **extra: Any) -> Any:
    return client.post(f"/help?lang={lang}", data, **extra)


def switch_button(url: str, name: str) -> str:
    """The other language, as a button of the form: it sends what was typed back, unsent."""
    other = "es" if name == "Español" else "en"
    return (
        f'<button class="usa-button usa-button--unstyled cr-help-switch" type="submit" '
        f'form="help-form" formaction="{url}" name="{SWITCH}" value="{other}" lang="{other}">'
        f"{name}</button>"
    )


def assert_crisis_lines(html: str) -> None:
    assert 'href="tel:988"' in html
    assert 'href="sms:988"' in html
    assert 'href="tel:911"' in html


def test_the_page_shows_the_crisis_lines_first_in_english(programs: Any, client: Client) -> None:
    response = client.get("/help")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert_crisis_lines(html)
    assert html.index("tel:988") < html.index("<form")
    assert "Who needs help?" in html
    assert switch_button("/help?lang=es", "Español") in html


def test_the_page_is_written_in_spanish_when_asked(programs: Any, client: Client) -> None:
    response = client.get("/help?lang=es")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es">' in html
    assert_crisis_lines(html)
    assert "¿Quién necesita ayuda?" in html
    assert TEXT["es"]["consent"] in html
    assert "Who needs help?" not in html
    assert switch_button("/help?lang=en", "English") in html


def test_switching_language_mid_form_keeps_what_was_typed_and_sends_nothing(
    programs: Any, client: Client
) -> None:
    typed = request_for_me(
        who="someone",
        relationship="parent",
        referrer_name="Rosa Ortega",
        consent=None,
        help=["treatment", "family_support"],
        help_text="No contesta",
        form_token="0123456789abcdef0123456789abcdef",
    )

    response = client.post("/help?lang=en", {**typed, SWITCH: "en"})

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html and "Who needs help?" in html
    assert 'value="María"' in html and 'value="Rosa Ortega"' in html
    assert 'value="(508) 555-0142"' in html and "No contesta</textarea>" in html
    assert '<option value="parent" selected>' in html
    assert re.search(r'<input type="radio" name="who" value="someone"[^>]*checked', html)
    assert re.search(r'<input type="checkbox" name="help" value="family_support"[^>]*checked', html)
    # Nothing was checked, so nothing is marked wrong; the same form, with its token.
    assert TEXT["en"]["errors_heading"] not in html
    assert 'value="0123456789abcdef0123456789abcdef"' in html
    assert switch_button("/help?lang=es", "Español") in html
    assert not Referral.objects.exists()


def test_the_error_page_switches_language_without_losing_what_was_typed(
    programs: Any, client: Client
) -> None:
    refused = send(client, request_for_me(consent=None), lang="es")
    assert refused.status_code == 422
    assert switch_button("/help?lang=en", "English") in refused.content.decode()

    switched = client.post("/help?lang=en", {**request_for_me(consent=None), SWITCH: "en"})

    html = switched.content.decode()
    assert switched.status_code == 200
    assert '<html lang="en">' in html and 'value="María"' in html
    assert not Referral.objects.exists()


def test_a_phone_set_to_spanish_gets_the_page_in_spanish(programs: Any, client: Client) -> None:
    spanish = {"Accept-Language": "es-US,es;q=0.9,en;q=0.8"}

    page = client.get("/help", headers=spanish)

    html = page.content.decode()
    assert '<html lang="es">' in html and "¿Quién necesita ayuda?" in html
    assert "Accept-Language" in page["Vary"]
    assert switch_button("/help?lang=en", "English") in html
    # A choice made on the page wins over the phone's language.
    assert '<html lang="en">' in client.get("/help?lang=en", headers=spanish).content.decode()
    sent = client.post("/help", request_for_me(), headers=spanish)
    assert sent["Location"] == "/help/thanks"
    thanks = client.get(sent["Location"], headers=spanish).content.decode()
    assert '<html lang="es">' in thanks and TEXT["es"]["thanks_title"] in thanks
    assert Referral.objects.get().language == "es"
    # English chosen on a Spanish phone stays English after sending.
    again = client.post("/help?lang=en", request_for_me(given_name="Lucía"), headers=spanish)
    assert again["Location"] == "/help/thanks?lang=en"


def test_a_browser_asking_for_english_or_another_language_gets_english(
    programs: Any, client: Client
) -> None:
    for header in ("en-US,en;q=0.9,es;q=0.8", "fr-FR,fr;q=0.9", "es;q=0, en", "*"):
        html = client.get("/help", headers={"Accept-Language": header}).content.decode()
        assert '<html lang="en">' in html, header


def test_every_phrase_exists_in_both_languages() -> None:
    assert TEXT["en"].keys() == TEXT["es"].keys()


def test_a_link_can_choose_the_program_in_advance(programs: Any, client: Client) -> None:
    response = client.get("/help/pco?lang=es")

    assert response.status_code == 200
    assert '<option value="pco" selected>' in response.content.decode()
    assert client.get("/help/nowhere").status_code == 404


def test_the_address_typed_with_a_slash_at_the_end_still_finds_the_page(
    programs: Any, client: Client
) -> None:
    response = client.get("/help/?lang=es")
    assert (response.status_code, response["Location"]) == (301, "/help?lang=es")
    assert client.get("/help/pco/")["Location"] == "/help/pco"
    # A post is never redirected (it would lose what was typed), nor an API address.
    assert client.post("/help/").status_code == 404
    assert client.get("/api/v1/programs/").status_code != 301
    assert client.get("/no-such-page/").status_code == 404
    # One slash too many, no more: a page is never reached by stripping several.
    assert client.get("/help//").status_code == 404


def test_a_program_that_is_not_here_is_said_in_the_pages_language(
    programs: Any, client: Client
) -> None:
    response = client.get("/help/nowhere?lang=es")

    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="es">' in html
    assert TEXT["es"]["no_program_title"] in html
    assert 'href="/help?lang=es"' in html


def test_the_thank_you_page_opened_without_a_request_does_not_say_one_was_sent(
    programs: Any, client: Client, clock: Clock
) -> None:
    html = client.get("/help/thanks").content.decode()

    assert TEXT["en"]["thanks_title"] not in html
    assert TEXT["en"]["nothing_sent_title"] in html
    sent = send(client, request_for_me(), follow=True).content.decode()
    assert TEXT["es"]["thanks_title"] in sent
    clock.advance(minutes=9)
    assert TEXT["es"]["thanks_title"] in client.get("/help/thanks?lang=es").content.decode()
    # The next person on a shared device, later, is not told their request went.
    clock.advance(minutes=2)
    later = client.get("/help/thanks?lang=es").content.decode()
    assert TEXT["es"]["nothing_sent_title"] in later


def test_the_programs_are_offered_by_name(programs: dict[str, Program], client: Client) -> None:
    html = client.get("/help").content.decode()

    for program in programs.values():
        assert program.name in html


def test_a_request_in_spanish_is_recorded_for_triage_without_sign_in(
    programs: dict[str, Program], client: Client
) -> None:
    response = send(client, request_for_me())

    assert response.status_code == 302
    assert response["Location"] == "/help/thanks?lang=es"
    referral = Referral.objects.get()
    assert referral.program == programs["pco"]
    assert referral.pathway == "self_referral"
    assert referral.channel == Referral.Channel.PUBLIC
    assert referral.triage_status == TriageStatus.NEW
    assert referral.language == "es"
    assert referral.referrer_relationship == "self"
    assert referral.consent_to_contact is True
    assert referral.contact_preference == "text"
    assert referral.help_requested == (
        "Treatment for drug or alcohol use; Naloxone (Narcan), to reverse an overdose"
    )
    assert referral.referred_by is None
    assert (person_of(referral).given_name, person_of(referral).phone) == (
        "María",
        "(508) 555-0142",
    )
    assert AuditEvent.objects.filter(
        action="create", object_type="intake.referral", object_id=str(referral.pk)
    ).exists()


def test_the_thank_you_page_says_what_happens_next_and_repeats_the_crisis_lines(
    programs: Any, client: Client
) -> None:
    response = send(client, request_for_me(), follow=True)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es">' in html
    assert TEXT["es"]["thanks_title"] in html
    assert TEXT["es"]["next_heading"] in html
    assert_crisis_lines(html)


WITHIN = {"en": "within {hours} hours", "es": "dentro de {hours} horas"}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("slug", ["core", "pad", "pco", "qrt"])
def test_the_thank_you_page_says_by_when_the_team_tries_to_reach_them(
    programs: dict[str, Program], client: Client, slug: str, lang: str
) -> None:
    data = request_for_me(program=slug, who="someone", relationship="parent")

    html = send(client, data, lang=lang, follow=True).content.decode()

    referral = Referral.objects.get()
    task = OutreachTask.objects.get(referral=referral)
    hours = (task.window_end - referral.received_at).total_seconds() / 3600
    assert hours == int(hours)
    assert WITHIN[lang].format(hours=int(hours)) in html
    assert html.index("tel:988") < html.index(WITHIN[lang].format(hours=int(hours)))


def test_the_thank_you_page_says_no_time_where_a_request_opens_no_follow_up(
    programs: dict[str, Program], client: Client
) -> None:
    preset = programs["qrt"].preset
    follow_up = {**preset["follow_up"], "pathways": ["naloxone_plus"]}
    Program.objects.filter(slug="qrt").update(preset={**preset, "follow_up": follow_up})

    html = send(client, request_for_me(program="qrt"), lang="en", follow=True).content.decode()

    assert not OutreachTask.objects.exists()
    assert TEXT["en"]["thanks_title"] in html
    assert TEXT["en"]["next_contact"] in html
    assert "within" not in html


def test_someone_who_cares_can_ask_for_them(programs: Any, client: Client) -> None:
    data = request_for_me(
        who="someone",
        relationship="parent",
        referrer_name="Rosa Ortega",
        referrer_phone="508 555 0199",
        phone="",
        address="Behind the library, Brockton",
        contact_preference="visit",
        help=["family_support", "other"],
        help_text="Lleva dos días sin dormir",
    )

    assert send(client, data, lang="en").status_code == 302

    referral = Referral.objects.get()
    assert referral.referrer_relationship == "parent"
    assert (referral.referrer_name, referral.referrer_phone) == ("Rosa Ortega", "508 555 0199")
    assert person_of(referral).address == "Behind the library, Brockton"
    assert referral.language == "en"
    assert referral.help_requested == (
        "Support for family and friends; Something else — Lleva dos días sin dormir"
    )


def test_the_follow_up_shows_the_field_team_who_asked_and_how_to_reach_them(
    programs: Any, client: Client
) -> None:
    data = request_for_me(
        who="someone",
        relationship="parent",
        referrer_name="Rosa Ortega",
        referrer_phone="508 555 0199",
        contact_preference="call",
        help=["treatment"],
    )
    assert send(client, data, lang="en").status_code == 302
    referral = Referral.objects.get()
    task = OutreachTask.objects.get(referral=referral)
    coach = member_of(referral.program, Role.RECOVERY_COACH, "coach")
    staff = Client()
    staff.force_login(coach)
    page = staff.get(f"/programs/{referral.program.slug}/outreach/{task.pk}/").content.decode()
    assert "Asked for help through the public page" in page
    assert "Rosa Ortega (Parent)" in page or "Rosa Ortega (parent)" in page
    assert 'href="tel:5085550199"' in page
    assert f'href="/people/{task.person_id}/"' in page
    read = AuditEvent.objects.filter(actor=coach, action="read", object_id=str(task.pk)).last()
    assert read is not None and {"referral", "contact"} <= set(read.fields)


def test_someone_asking_for_another_says_how_they_know_them(programs: Any, client: Client) -> None:
    response = send(client, request_for_me(who="someone"), lang="en")

    assert response.status_code == 422
    assert TEXT["en"]["err_relationship"] in response.content.decode()


def test_the_last_name_may_be_left_out(programs: Any, client: Client) -> None:
    response = send(client, request_for_me(family_name=""))

    assert response.status_code == 302
    assert person_of(Referral.objects.get()).family_name == ""


def test_without_consent_the_form_returns_in_spanish_with_what_was_typed(
    programs: Any, client: Client
) -> None:
    response = send(client, request_for_me(consent=None))

    html = response.content.decode()
    assert response.status_code == 422
    assert '<html lang="es">' in html
    assert "Marque esta casilla para que el equipo pueda comunicarse." in html
    assert 'value="María"' in html
    assert 'value="(508) 555-0142"' in html
    assert not Referral.objects.exists()


@pytest.mark.parametrize("phone", ["555-01", "12", "+1 (508) 555-0142 ext 12345678", "call me"])
def test_a_phone_number_needs_7_to_15_digits(programs: Any, client: Client, phone: str) -> None:
    response = send(client, request_for_me(phone=phone))

    assert response.status_code == 422
    assert TEXT["es"]["err_phone"] in response.content.decode()
    assert not Referral.objects.exists()


def test_there_must_be_a_way_to_reach_the_person(programs: Any, client: Client) -> None:
    response = send(client, request_for_me(phone="", address=""), lang="en")

    assert response.status_code == 422
    assert TEXT["en"]["err_reach"] in response.content.decode()


def test_a_text_needs_a_phone_number(programs: Any, client: Client) -> None:
    response = send(client, request_for_me(phone="", address="12 Main St"), lang="en")

    assert response.status_code == 422
    assert TEXT["en"]["err_call_needs_phone"] in response.content.decode()


def test_some_kind_of_help_is_named(programs: Any, client: Client) -> None:
    response = send(client, request_for_me(help=[]), lang="en")

    assert response.status_code == 422
    assert TEXT["en"]["err_help"] in response.content.decode()


def test_a_filled_hidden_field_gets_the_thank_you_but_nothing_is_stored(
    programs: Any, client: Client
) -> None:
    people = Person.objects.count()

    response = send(client, request_for_me(website="http://spam.example"))

    assert response.status_code == 302
    assert response["Location"] == "/help/thanks?lang=es"
    assert not Referral.objects.exists()
    assert Person.objects.count() == people
    event = AuditEvent.objects.get(object_type="intake.referral")
    assert (event.action, event.outcome) == ("create", AuditEvent.Outcome.DENIED)
    assert event.detail["reason"] == "honeypot"
    assert event.program_slug == "pco"


def test_the_sixth_request_in_an_hour_from_one_address_is_refused(
    programs: Any, client: Client
) -> None:
    for n in range(REQUESTS_PER_HOUR):
        assert send(client, request_for_me(given_name=f"Ana{n}")).status_code == 302

    response = send(client, request_for_me(given_name="Ana5"))

    html = response.content.decode()
    assert response.status_code == 429
    assert TEXT["es"]["limit_title"] in html
    assert_crisis_lines(html)
    assert Referral.objects.count() == REQUESTS_PER_HOUR
    other = send(client, request_for_me(given_name="Bea"), REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302


def test_a_request_over_the_hourly_limit_comes_back_as_typed_saying_when_it_can_be_sent(
    programs: Any, client: Client, clock: Clock
) -> None:
    # A shelter's, a clinic's or a phone network's address is shared by many people: the
    # sixth request of the hour is not stored, but nothing typed is lost, and the page says
    # (in its language) when it can be sent and whom to call meanwhile.
    for n in range(REQUESTS_PER_HOUR):
        assert send(client, request_for_me(given_name=f"Ana{n}")).status_code == 302
    clock.advance(minutes=20)
    typed = request_for_me(
        given_name="Mateo",
        address="Detrás de la biblioteca",
        help=["treatment", "family_support"],
        help_text="No contesta desde el martes",
        form_token="0123456789abcdef0123456789abcdef",
    )

    response = send(client, typed)

    html = response.content.decode()
    assert response.status_code == 429
    assert '<html lang="es">' in html
    assert TEXT["es"]["limit_title"] in html
    assert "Podrá enviarla dentro de 40 minutos." in html
    assert TEXT["es"]["limit_call"] in html
    assert_crisis_lines(html)
    assert 'value="Mateo"' in html and 'value="Detrás de la biblioteca"' in html
    assert 'value="(508) 555-0142"' in html
    assert "No contesta desde el martes</textarea>" in html
    assert re.search(r'<input type="checkbox" name="help" value="family_support"[^>]*checked', html)
    assert re.search(r'<input type="checkbox" name="consent"[^>]*checked', html)
    assert 'value="0123456789abcdef0123456789abcdef"' in html  # the same form, sent once
    assert TEXT["es"]["errors_heading"] not in html
    assert Referral.objects.count() == REQUESTS_PER_HOUR
    assert response["Retry-After"] == str(40 * 60)

    # The hour over (its count expires with it), the form as it came back is sent once.
    cache.clear()
    assert send(client, typed).status_code == 302
    assert send(client, typed).status_code == 302
    assert Referral.objects.filter(person__given_name="Mateo").count() == 1


def test_corrections_do_not_count_against_the_limit(programs: Any, client: Client) -> None:
    for _ in range(REQUESTS_PER_HOUR + 1):
        assert send(client, request_for_me(consent=None)).status_code == 422

    assert send(client, request_for_me()).status_code == 302


def test_a_request_without_the_csrf_token_is_refused(programs: Any) -> None:
    client = Client(enforce_csrf_checks=True)

    response = send(client, request_for_me())

    assert response.status_code == 403
    assert not Referral.objects.exists()


def test_a_form_that_lost_its_csrf_cookie_says_nothing_was_sent_and_links_back(
    programs: Any,
) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/help/pco", request_for_me())

    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="en">' in html
    assert html.count("<h1") == 1
    assert TEXT["en"]["expired_title"] in html
    assert TEXT["en"]["expired"] in html
    assert 'href="/help/pco"' in html
    assert_crisis_lines(html)
    assert "Sign in" not in html and "/accounts/login" not in html
    assert not Referral.objects.exists()


def test_a_spanish_form_that_lost_its_csrf_cookie_answers_in_spanish(programs: Any) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/help/pco?lang=es", request_for_me())

    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="es">' in html
    assert html.count("<h1") == 1
    assert TEXT["es"]["expired_title"] in html
    assert TEXT["es"]["expired"] in html
    assert 'href="/help/pco?lang=es"' in html
    assert_crisis_lines(html)
    assert TEXT["es"]["crisis_988"] in html
    assert "expired" not in html and "Sign in" not in html
    assert not Referral.objects.exists()


def test_a_request_with_the_csrf_token_is_taken(programs: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/help?lang=es")
    token = client.cookies["csrftoken"].value

    response = send(client, request_for_me(csrfmiddlewaretoken=token))

    assert response.status_code == 302


def test_a_known_person_gets_the_same_answer_as_someone_new(
    programs: dict[str, Program], client: Client
) -> None:
    known = PersonFactory.create(given_name="Jordan", family_name="Alvarez", phone="5085550100")
    Participation.objects.create(
        person=known, program=programs["pco"], first_seen_at=known.created_at
    )
    as_known = send(
        client, request_for_me(given_name="Jordan", family_name="Alvarez", phone="5085550100")
    )
    as_new = send(client, request_for_me(given_name="Zed", family_name="Novak"))

    assert (as_known.status_code, as_known["Location"]) == (as_new.status_code, as_new["Location"])
    page_known, page_new = client.get(as_known["Location"]), client.get(as_new["Location"])
    assert page_known.status_code == page_new.status_code == 200
    assert [t.name for t in page_known.templates] == [t.name for t in page_new.templates]
    assert page_known.content == page_new.content


def test_the_pages_are_never_cached(programs: Any, client: Client) -> None:
    for response in (client.get("/help"), client.get("/help/thanks")):
        assert "no-store" in response["Cache-Control"]


def test_each_error_is_tied_to_the_field_it_is_about_for_screen_readers(
    programs: Any, client: Client
) -> None:
    response = send(client, request_for_me(consent=None, phone="12"))

    html = response.content.decode()
    assert response.status_code == 422
    described = re.findall(r'aria-describedby="([^"]+)"', html)
    assert any("id_consent_error" in ids for ids in described)
    for ids in described:
        for element_id in ids.split():
            assert f'id="{element_id}"' in html, element_id


def test_a_phone_typed_for_someone_else_before_choosing_me_does_not_stop_the_request(
    programs: Any, client: Client
) -> None:
    data = request_for_me(referrer_name="Rosa", referrer_phone="mi celular")

    response = send(client, data)

    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.referrer_relationship, referral.referrer_phone) == ("self", "")


def test_a_note_the_browser_took_whole_is_taken_with_its_line_breaks(
    programs: Any, client: Client
) -> None:
    # A browser counts a line break as one character against the box's limit and sends it
    # as two (CR LF): a note of exactly 1000 characters, in lines, is not too long.
    note = "\r\n".join(["Mi hijo no contesta."] * 47 + ["Llámenme hoy."])
    assert len(note.replace("\r\n", "\n")) == 1000

    response = send(client, request_for_me(help_text=note))

    assert response.status_code == 302
    assert Referral.objects.get().help_requested.endswith(note.replace("\r\n", "\n").strip())


def test_a_note_too_long_says_how_long_it_may_be(programs: Any, client: Client) -> None:
    response = send(client, request_for_me(help_text="a" * 1003), lang="es")

    assert response.status_code == 422
    html = response.content.decode()
    assert "Esta respuesta es demasiado larga: como máximo 1000 caracteres (tiene 1003)." in html
    assert 'value="María"' in html


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_note_too_long_is_the_only_problem_said_when_the_help_is_described_in_it(
    programs: Any, client: Client, lang: str
) -> None:
    response = send(client, request_for_me(help=[], help_text="a" * 1003), lang=lang)

    html = response.content.decode()
    assert response.status_code == 422
    assert TEXT[lang]["err_too_long"] % {"limit_value": 1000, "show_value": 1003} in html
    assert TEXT[lang]["err_help"] not in html


@pytest.mark.parametrize(
    ("lang", "limit"),
    [("en", "Up to 1,000 characters."), ("es", "Hasta 1000 caracteres.")],
)
def test_the_note_box_says_how_long_a_note_may_be_before_it_is_typed(
    programs: Any, client: Client, lang: str, limit: str
) -> None:
    # The browser stops a longer note at the limit without a word: pasted, its end is lost.
    html = client.get(f"/help?lang={lang}").content.decode()

    assert f'<div class="usa-hint" id="id_help_text-hint">{limit}</div>' in html
    box = re.search(r"<textarea[^>]*>", html)
    assert box is not None
    assert 'aria-describedby="id_help_text-hint"' in box.group()
    assert 'maxlength="1000"' in box.group()


def test_the_worker_deletes_what_visitors_who_left_left_behind(
    programs: Any, client: Client, clock: Clock
) -> None:
    # Each visitor's page is remembered in a stored session, so that a second tap is known
    # for the same sender: a client opening the page again and again must not fill the
    # database with them for ever.
    for _ in range(3):
        Client().get("/help")
    clock.advance(minutes=20)
    client.get("/help")
    assert Session.objects.count() == 4

    counts = send_all(clock.advance(minutes=15))

    assert counts["sessions_forgotten"] == 3
    assert Session.objects.count() == 1
    assert client.get("/help").status_code == 200
    assert Session.objects.count() == 1


def test_control_characters_typed_or_pasted_are_not_kept(programs: Any, client: Client) -> None:
    # An escape code or a bell pasted with a name would be invisible on the team's pages,
    # and stop a search for the name finding it.
    data = request_for_me(
        given_name="Ma\x1b[31mría\x07",
        family_name="Ortega\x00",
        phone="(508)\x0b555-0142",
        help_text="Llamen\tdespués de las 6.\r\nGracias\x7f",
    )

    response = send(client, data)

    assert response.status_code == 302
    person = person_of(Referral.objects.get())
    assert (person.given_name, person.family_name) == ("Ma[31mría", "Ortega")
    assert person.phone == "(508)555-0142"
    assert Referral.objects.get().help_requested.endswith("Llamen después de las 6.\nGracias")


def test_a_name_of_invisible_characters_alone_is_no_name(programs: Any, client: Client) -> None:
    response = send(client, request_for_me(given_name="\u200b\u200b\x07"))

    assert response.status_code == 422
    assert TEXT["es"]["err_given_name"] in response.content.decode()
    assert not Referral.objects.exists()


def test_the_field_team_reads_a_note_in_its_lines(programs: Any, client: Client) -> None:
    data = request_for_me(help=[], help_text="Mi hijo no contesta.\r\nLlámenme <hoy>.")
    assert send(client, data).status_code == 302
    referral = Referral.objects.get()
    task = OutreachTask.objects.get(referral=referral)
    staff = Client()
    staff.force_login(member_of(referral.program, Role.RECOVERY_COACH, "coach"))

    page = staff.get(f"/programs/{referral.program.slug}/outreach/{task.pk}/").content.decode()

    assert "Mi hijo no contesta.<br>Llámenme &lt;hoy&gt;." in page
