"""Each letter to a person about their rights (an amendment denied, a records request denied
in whole or in part, the review of a denial) is written in English or Spanish: in the
language the person's referral gives, unless staff choose the other on the letter's page
(`?lang=`); the PDF follows. In Spanish every sentence, label and date is Spanish, the
legal citations stay as written, the page marks the letter `lang="es"` and the PDF names
its language; the audited read says which language was given."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from coresponder.core.audit import Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role, label
from coresponder.intake.models import Referral
from coresponder.people.actions.records_requests import (
    RecordsRequestDenial,
    ReviewDetermination,
    WithheldPart,
    ask_for_review,
    deny_records_request,
    fulfil_records_request_in_part,
    record_review,
)
from coresponder.people.amendments import FIELDS, access_amendment
from coresponder.people.denial_letter import DenialLetter, denial_letter
from coresponder.people.letter_words import OCR_ADDRESS, WORDS, language_of
from coresponder.people.models import Amendment, RecordsRequest
from coresponder.people.records_request import access_records_request
from coresponder.people.records_request_denial_letter import records_request_denial_letter
from coresponder.people.records_request_review_letter import records_request_review_letter
from coresponder.people.tests.records_request_world import (
    NOTES,
    NOW,
    SAFETY,
    TODAY,
    pad_world,
    pdf_text,
    signed_in,
)
from coresponder.people.tests.records_request_world import (
    a_request as shared_request,
)
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.local_time import format_date
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

# What staff type is kept as typed, in the letter of either language.
WHY = "The crisis notes were judged a risk to the person if read now"
UPHELD_WHY = "The risk judged at the time still holds"
OVERTURNED_WHY = "The risk judged at the time has passed"
PART_WHY = "The treatment program asked that its notes be withheld for now"
AMENDMENT_WHY = "Confirmed with EMS that the number was theirs in 2024"
ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov")


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    return pad_world(monkeypatch)


@pytest.fixture
def coordinator(world: World) -> User:
    return reader(world, Role.COORDINATOR, username="language-coordinator")


@pytest.fixture
def reviewer(world: World) -> User:
    return reader(world, Role.CLINICIAN, username="language-clinician")


def speaks(world: World, language: str) -> None:
    """The person's referral gives the language they prefer."""
    Referral.objects.filter(person=world.person).update(language=language)


def a_request(world: World) -> RecordsRequest:
    return shared_request(world, requested_by="Dana Reyes")


def denied_request(
    world: World, coordinator: User, grounds: tuple[str, ...] = (SAFETY, NOTES)
) -> RecordsRequest:
    logged = a_request(world)
    access = access_records_request(coordinator, world.person.pk)
    return deny_records_request(
        Actor(user=coordinator), access, logged, RecordsRequestDenial(grounds, WHY), 1
    )


def fulfilled_in_part(world: World, coordinator: User) -> RecordsRequest:
    logged = a_request(world)
    access = access_records_request(coordinator, world.person.pk)
    part = WithheldPart(group="part2", grounds=(SAFETY,), reason=PART_WHY)
    return fulfil_records_request_in_part(Actor(user=coordinator), access, logged, (part,), 1)


def reviewed(
    world: World, coordinator: User, reviewer: User, determination: str, in_part: bool = False
) -> RecordsRequest:
    logged = (
        fulfilled_in_part(world, coordinator) if in_part else denied_request(world, coordinator)
    )
    access = access_records_request(coordinator, world.person.pk)
    logged = ask_for_review(Actor(user=coordinator), access, logged, TODAY, 2)
    why = OVERTURNED_WHY if determination == "overturned" else UPHELD_WHY
    found = ReviewDetermination(reviewer=reviewer.pk, determination=determination, reason=why)
    return record_review(Actor(user=coordinator), access, logged, found, 3)


def denied_amendment(world: World, coordinator: User, field: str = "sex") -> Amendment:
    return Amendment.objects.create(
        person=world.person,
        program=world.program,
        record_kind=Amendment.RecordKind.PERSON,
        record_id=world.person.pk,
        field=field,
        proposed_value="female",
        statement="That was never right.",
        received_on=dt.date(2026, 11, 2),
        status=Amendment.Status.DENIED,
        decided_at=NOW,
        denial_grounds="accurate_and_complete",
        denial_reason=AMENDMENT_WHY,
        disagreement="I still disagree.",
        include_with_disclosures=True,
    )


def sentences(letter: DenialLetter) -> set[str]:
    """The letter's own sentences: what it says, without the names and addresses it prints
    as given, the rule it cites, or what staff typed."""
    typed = [WHY, UPHELD_WHY, OVERTURNED_WHY, PART_WHY, AMENDMENT_WHY, "Dana Reyes"]
    typed += [letter.program, OCR_ADDRESS]
    texts = [letter.title, letter.dated, letter.opening]
    for section in letter.sections:
        texts += [section.heading, *section.paragraphs]
    found: set[str] = set()
    for text in texts:
        for kept in typed:
            text = text.replace(kept, " ")
        parts = (part.strip() for part in re.split(r"(?<=[.:;])\s+", text))
        # What is left of a sentence once what was typed is taken out ("(made by: …).").
        found |= {part for part in parts if re.search(r"[^\W\d_]{2}", part)}
    return found - {letter.cite}


def letters(world: World, coordinator: User, reviewer: User) -> dict[str, Any]:
    """Each kind of letter, as a function of the language."""
    today = TODAY
    whole = denied_request(world, coordinator)
    access = access_records_request(coordinator, world.person.pk)
    amendment = denied_amendment(world, coordinator)
    _, amendment_access = access_amendment(coordinator, amendment.pk)
    return {
        "amendment": lambda lang: denial_letter(amendment_access, amendment, today, lang),
        "denied": lambda lang: records_request_denial_letter(access, whole, today, lang),
        "upheld": lambda lang: records_request_review_letter(
            access, reviewed(world, coordinator, reviewer, "upheld"), today, lang
        ),
        "overturned": lambda lang: records_request_review_letter(
            access, reviewed(world, coordinator, reviewer, "overturned"), today, lang
        ),
        "in part": lambda lang: records_request_denial_letter(
            access, fulfilled_in_part(world, coordinator), today, lang
        ),
        "in part, overturned": lambda lang: records_request_review_letter(
            access, reviewed(world, coordinator, reviewer, "overturned", in_part=True), today, lang
        ),
    }


KINDS = ("amendment", "denied", "upheld", "overturned", "in part", "in part, overturned")


@pytest.mark.parametrize("kind", KINDS)
def test_a_letter_in_spanish_says_none_of_its_english_sentences(
    world: World, coordinator: User, reviewer: User, kind: str
) -> None:
    make = letters(world, coordinator, reviewer)[kind]
    english, spanish = make("en"), make("es")
    assert (english.lang, spanish.lang) == ("en", "es")
    assert sentences(english) & sentences(spanish) == set()
    # The same number of sections, and the same rule cited.
    assert len(spanish.sections) == len(english.sections)
    assert spanish.cite == english.cite
    # What staff typed is kept as typed.
    said = " ".join(p for s in spanish.sections for p in s.paragraphs)
    assert any(why in said for why in (WHY, UPHELD_WHY, OVERTURNED_WHY, PART_WHY, AMENDMENT_WHY))


def test_a_letter_in_spanish_gives_its_dates_and_labels_in_spanish(
    world: World, coordinator: User, reviewer: User
) -> None:
    make = letters(world, coordinator, reviewer)
    denied = make["denied"]("es")
    assert denied.dated == "20 de noviembre de 2026"
    assert "El 1 de octubre de 2026, recibimos una solicitud" in denied.opening
    assert "El 20 de noviembre de 2026, denegamos la solicitud" in denied.opening
    why = denied.sections[0].paragraphs
    assert f"{label('access_denial_ground', SAFETY, 'es')}." in why
    assert f"{label('access_denial_ground', NOTES, 'es')}." in why
    assert "Los registros son notas de psicoterapia." in why
    assert "(45 CFR 164.524(a)(2))" in " ".join(denied.sections[1].paragraphs)

    in_part = make["in part"]("es")
    withheld = in_part.sections[0].paragraphs[0]
    assert withheld.startswith(label("field_group", "part2", "es"))
    assert "(42 CFR Part 2)" in withheld
    assert label("access_denial_ground", SAFETY) not in withheld

    amendment = make["amendment"]("es")
    assert "usted nos pidió cambiar el sexo de su expediente por “Mujer”" in amendment.opening
    assert "Es exacto y completo tal como está" in amendment.sections[0].paragraphs[0]

    overturned = make["overturned"]("es")
    said = " ".join(p for s in overturned.sections for p in s.paragraphs)
    assert re.search(r"a más tardar el \d{1,2} de [a-z]+ de 2026\.", said)
    assert "Los registros son notas de psicoterapia." in said

    for letter in (denied, in_part, amendment, overturned):
        text = " ".join(
            [letter.dated, letter.opening, *(p for s in letter.sections for p in s.paragraphs)]
        )
        assert not re.search(rf"\b({'|'.join(ENGLISH_MONTHS)}|Dec)\b", text), text


def test_a_date_in_spanish_reads_in_spanish_on_the_programs_calendar(world: World) -> None:
    assert format_date(NOW, world.program, with_year=True, lang="es") == "20 de noviembre de 2026"
    assert format_date(NOW, world.program, with_year=True) == "20 Nov 2026"
    assert (
        format_date(dt.date(2026, 3, 4), weekday=True, with_year=True, lang="es")
        == "miércoles, 4 de marzo de 2026"
    )


def test_the_words_are_kept_in_both_languages_for_every_key_and_field() -> None:
    assert WORDS["en"].keys() == WORDS["es"].keys()
    for fields in FIELDS.values():
        for name in fields:
            assert f"field_{name}" in WORDS["en"]
    differ = [key for key in WORDS["en"] if WORDS["en"][key] != WORDS["es"][key]]
    # No word is left alike: a Spanish letter borrows nothing from the English.
    assert len(differ) == len(WORDS["en"])


@pytest.mark.parametrize(
    ("given", "lang"), [("es", "es"), ("es-MX", "es"), ("ES", "es"), ("en", "en"), ("vi", "en")]
)
def test_a_language_code_reads_as_one_the_letters_are_written_in(given: str, lang: str) -> None:
    assert language_of(given) == lang


def letter_url(kind: str, pk: int) -> str:
    if kind == "amendment":
        return f"/people/amendments/{pk}/denial-letter/"
    return f"/people/records-requests/{pk}/{kind}-letter/"


def page_letter(response: Any) -> str:
    """The letter's part of the page, with the language it is marked in."""
    html = response.content.decode()
    found = re.search(r'<div class="cr-letter-text" lang="(\w+)">(.*?)</div>', html, re.S)
    assert found, html
    return found.group(1)


@pytest.mark.parametrize(
    ("language", "expected"), [("es", "es"), ("es-419", "es"), ("", "en"), ("vi", "en")]
)
def test_the_letter_follows_the_language_the_persons_referral_gives(
    world: World, coordinator: User, language: str, expected: str
) -> None:
    speaks(world, language)
    logged = denied_request(world, coordinator)
    response = signed_in(coordinator).get(letter_url("denial", logged.pk))
    assert response.status_code == 200
    assert page_letter(response) == expected
    title = WORDS[expected]["request_title"]
    assert title in response.content.decode()
    # The page around the letter is for staff, in English.
    assert '<html lang="en">' in response.content.decode()


def test_staff_choose_the_other_language_on_the_page_and_the_pdf_follows(
    world: World, coordinator: User, tmp_path: Path
) -> None:
    speaks(world, "es")
    logged = denied_request(world, coordinator)
    web = signed_in(coordinator)
    url = letter_url("denial", logged.pk)

    spanish = web.get(url).content.decode()
    # The choice offers English, and the PDF link keeps the language shown.
    assert f'href="{url}?lang=en" lang="en" hreflang="en">English</a>' in spanish
    assert f"{url}?format=pdf&amp;lang=es" in spanish

    english = web.get(url, {"lang": "en"})
    assert page_letter(english) == "en"
    assert "Your request for your records is denied" in english.content.decode()
    assert f"{url}?format=pdf&amp;lang=en" in english.content.decode()

    pdf = web.get(url, {"format": "pdf", "lang": "es"})
    assert pdf["Content-Type"] == "application/pdf"
    assert b"/Lang (es)" in pdf.content
    text = pdf_text(pdf.content, tmp_path)
    assert "Se deniega su solicitud de sus registros" in text
    assert "20 de noviembre de 2026" in text
    assert "Your request for your records is denied" not in text

    events = AuditEvent.objects.filter(action="read", detail__form="denial letter")
    assert [(e.detail["channel"], e.detail["language"]) for e in events.order_by("id")] == [
        ("web", "es"),
        ("web", "en"),
        ("pdf file", "es"),
    ]


@pytest.mark.parametrize("asked", ["fr", "xx", "<script>", "es-", " "])
def test_a_language_the_letters_are_not_written_in_gives_english(
    world: World, coordinator: User, asked: str
) -> None:
    speaks(world, "es")
    logged = denied_request(world, coordinator)
    response = signed_in(coordinator).get(letter_url("denial", logged.pk), {"lang": asked})
    assert response.status_code == 200
    expected = "es" if asked == "es-" else "en"
    assert page_letter(response) == expected


def test_the_amendment_and_review_letters_are_in_spanish_where_the_person_speaks_it(
    world: World, coordinator: User, reviewer: User, tmp_path: Path
) -> None:
    speaks(world, "es")
    web = signed_in(coordinator)
    amendment = denied_amendment(world, coordinator)
    page = web.get(letter_url("amendment", amendment.pk))
    assert page_letter(page) == "es"
    assert "Se deniega su solicitud de enmienda de su expediente" in page.content.decode()
    event = AuditEvent.objects.get(action="read", object_type="people.amendment")
    assert event.detail["language"] == "es"

    logged = reviewed(world, coordinator, reviewer, "upheld")
    page = web.get(letter_url("review", logged.pk))
    assert page_letter(page) == "es"
    assert "La decisión de la revisión" in page.content.decode()
    pdf = web.get(letter_url("review", logged.pk), {"format": "pdf", "lang": "en"})
    text = pdf_text(pdf.content, tmp_path)
    assert "The reviewer's decision" in text
    assert b"/Lang (en)" in pdf.content


def test_the_request_and_amendment_pages_offer_the_letter_in_either_language(
    world: World, coordinator: User
) -> None:
    logged = denied_request(world, coordinator)
    web = signed_in(coordinator)
    page = web.get(f"/people/records-requests/{logged.pk}/").content.decode()
    url = letter_url("denial", logged.pk)
    assert f'href="{url}?lang=es" lang="es" hreflang="es">Español</a>' in page
    assert f'href="{url}?lang=en" hreflang="en">English</a>' in page
    amendment = denied_amendment(world, coordinator)
    page = web.get(f"/people/amendments/{amendment.pk}/").content.decode()
    url = letter_url("amendment", amendment.pk)
    assert f'href="{url}?lang=es" lang="es" hreflang="es">Español</a>' in page


def letter_text(letter: DenialLetter) -> str:
    return " ".join([letter.opening, *(p for s in letter.sections for p in s.paragraphs)])


@pytest.mark.parametrize("kind", ["amendment", "denied"])
def test_a_spanish_letter_names_the_privacy_contact_by_its_spanish_title_and_office(
    world: World, coordinator: User, reviewer: User, kind: str
) -> None:
    contact = world.program.rules.privacy_contact
    assert contact is not None and contact.title_es and contact.office_es
    spanish = letter_text(letters(world, coordinator, reviewer)[kind]("es"))
    assert f"quien ocupe el cargo de {contact.title_es}" in spanish
    assert f"a la atención de {contact.title_es}, {contact.office_es}" in spanish
    assert contact.title not in spanish and contact.office not in spanish
    # The English letter names it as the preset gives it in English.
    english = letter_text(letters(world, coordinator, reviewer)[kind]("en"))
    assert f"its {contact.title}" in english
    assert f"attention: {contact.title}, {contact.office}" in english
    assert contact.title_es not in english


def test_a_spanish_letter_quotes_the_english_title_where_the_preset_gives_no_spanish(
    world: World, coordinator: User, reviewer: User
) -> None:
    stored = dict(world.program.preset)
    stored["privacy_contact"] = {**stored["privacy_contact"], "title_es": "", "office_es": ""}
    Program.objects.filter(pk=world.program.pk).update(preset=stored)
    world.program.refresh_from_db()
    contact = world.program.rules.privacy_contact
    assert contact is not None and not contact.title_es

    spanish = letter_text(letters(world, coordinator, reviewer)["denied"]("es"))
    # The English words stand as a proper name, in quotation marks, in a Spanish sentence.
    assert f"quien ocupe el cargo de “{contact.title}”" in spanish
    assert f"a la atención de “{contact.title}”, “{contact.office}”" in spanish
    assert f"de {contact.title}" not in spanish
    english = letter_text(letters(world, coordinator, reviewer)["denied"]("en"))
    assert "“" not in english.replace(f"“{WHY}”", "")
