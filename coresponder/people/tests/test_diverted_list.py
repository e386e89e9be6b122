"""The prosecutor's list of people diverted in lieu of arrest, found by case number or name."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Referral
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Program

pytestmark = pytest.mark.django_db
URL = "/programs/pad/diverted/"


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    Referral.objects.filter(person=world.person).update(case_number="CP-51-CR-0001234-2026")
    return world


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def diverted(
    world: World,
    given: str,
    case_number: str,
    *,
    eligible: bool = True,
    family: str = "Okafor",
    pathway: str = "officer_intervention",
) -> Person:
    """Someone else on an officer intervention, not (yet) met by outreach."""
    now = timezone.now()
    person = Person.objects.create(given_name=given, family_name=family)
    Participation.objects.create(person=person, program=world.program, first_seen_at=now)
    Referral.objects.create(
        program=world.program,
        person=person,
        pathway=pathway,
        received_at=now - dt.timedelta(days=1),
        offense_category="retail_theft",
        case_number=case_number,
        eligible=eligible,
    )
    return person


def test_a_prosecutor_sees_person_numbers_case_numbers_and_engagement_but_no_names(
    world: World,
) -> None:
    other = diverted(world, "Ike", "CP-51-CR-0009999-2026")
    html = signed_in(reader(world, Role.PROSECUTOR)).get(URL).content.decode()
    assert f"Person {world.person.pk}" in html and f"Person {other.pk}" in html
    assert "CP-51-CR-0001234-2026" in html and "CP-51-CR-0009999-2026" in html
    assert "Engaged" in html and "Not engaged" in html
    for name in ("Dana", "Reyes", "Ike", "Okafor"):
        assert name not in html
    assert "Search by the case or docket number" in html


def test_a_coordinator_sees_the_names_too(world: World) -> None:
    html = signed_in(reader(world, Role.COORDINATOR)).get(URL).content.decode()
    assert "Dana Reyes" in html and "CP-51-CR-0001234-2026" in html


def test_the_search_finds_by_case_number_exact_or_prefix(world: World) -> None:
    other = diverted(world, "Ike", "CP-51-CR-0009999-2026")
    client = signed_in(reader(world, Role.PROSECUTOR))
    exact = client.get(URL, {"q": "CP-51-CR-0009999-2026"}).content.decode()
    assert f"Person {other.pk}" in exact and "CP-51-CR-0001234-2026" not in exact
    prefix = client.get(URL, {"q": "cp-51-cr-0001"}).content.decode()
    assert f"Person {world.person.pk}" in prefix and f"Person {other.pk}" not in prefix
    none = client.get(URL, {"q": "MC-00"}).content.decode()
    assert "No one diverted under that case number or name" in none


def test_the_list_read_is_audited_with_the_ids_shown(world: World) -> None:
    prosecutor = reader(world, Role.PROSECUTOR)
    signed_in(prosecutor).get(URL, {"q": "CP-51"})
    event = AuditEvent.objects.filter(
        actor=prosecutor, action="read", person_id__isnull=True
    ).latest("id")
    assert event.detail["list"] is True
    assert event.detail["ids"] == [world.person.pk]
    assert event.detail["q"] == "CP-51"
    # Filed under the program and under the person shown: the program's coordinators
    # review a prosecutor's lookups, and a review of the person finds this one.
    (theirs,) = AuditEvent.objects.filter(actor=prosecutor, person_id=world.person.pk)
    assert (event.program_slug, theirs.program_slug) == (world.program.slug, world.program.slug)
    assert theirs.detail == {"in_list": event.pk}


def test_an_ineligible_referral_was_no_diversion(world: World) -> None:
    never = diverted(world, "Ike", "CP-51-CR-0005555-2026", eligible=False)
    client = signed_in(reader(world, Role.PROSECUTOR))
    html = client.get(URL).content.decode()
    assert f"Person {never.pk}" not in html and "CP-51-CR-0005555-2026" not in html
    assert client.get(f"/people/{never.pk}/").status_code == 404
    assert client.get(f"/people/{world.person.pk}/").status_code == 200


@pytest.mark.parametrize("role", [Role.OFFICER, Role.CLINICIAN, Role.PROVIDER, Role.ANALYST])
def test_other_roles_are_not_found(world: World, role: Role) -> None:
    assert signed_in(reader(world, role)).get(URL).status_code == 404


def test_a_coordinator_of_another_program_is_not_found(world: World) -> None:
    elsewhere = Program.objects.exclude(pk=world.program.pk).first()
    assert elsewhere is not None
    other = World(program=elsewhere, person=world.person, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    response = signed_in(reader(other, Role.COORDINATOR, username="elsewhere")).get(URL)
    assert response.status_code == 404
    assert "Dana" not in response.content.decode()


def test_the_program_home_links_the_list_for_a_prosecutor(world: World) -> None:
    html = signed_in(reader(world, Role.PROSECUTOR)).get("/programs/pad/").content.decode()
    assert 'href="/programs/pad/diverted/"' in html


def test_the_person_page_offers_no_history_to_a_prosecutor(world: World) -> None:
    html = signed_in(reader(world, Role.PROSECUTOR)).get(f"/people/{world.person.pk}/")
    assert "/timeline/" not in html.content.decode()
    coordinator = signed_in(reader(world, Role.COORDINATOR)).get(f"/people/{world.person.pk}/")
    assert f"/people/{world.person.pk}/timeline/" in coordinator.content.decode()


def test_a_prosecutor_who_types_the_history_address_gets_the_not_found_page(world: World) -> None:
    timeline = f"/people/{world.person.pk}/timeline/"
    response = signed_in(reader(world, Role.PROSECUTOR)).get(timeline)
    assert response.status_code == 404
    assert signed_in(reader(world, Role.COORDINATOR)).get(timeline).status_code == 200


def test_the_list_costs_the_same_queries_however_many_people_are_on_the_page(
    world: World, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(reader(world, Role.PROSECUTOR))
    with django_assert_max_num_queries(40) as few:
        assert client.get(URL).status_code == 200
    for index in range(12):
        diverted(world, f"P{index}", f"CP-51-CR-{index:07d}-2026")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).status_code == 200


def test_a_prosecutor_finds_someone_by_their_whole_name_without_seeing_it(world: World) -> None:
    obrien = diverted(world, "Bridget", "CP-51-CR-0007777-2026", family="O'Brien")
    client = signed_in(reader(world, Role.PROSECUTOR))
    html = client.get(URL, {"q": "bridget OBRIEN"}).content.decode()
    assert f"Person {obrien.pk}" in html and "CP-51-CR-0007777-2026" in html
    assert f"Person {world.person.pk}" not in html
    assert "Bridget" not in html.replace("bridget OBRIEN", "")
    assert "O&#x27;Brien" not in html and "O'Brien" not in html
    assert "1 person found by" in html


def test_a_prosecutors_name_search_folds_accents_apostrophes_case_and_nicknames(
    world: World,
) -> None:
    nunez = diverted(world, "William", "CP-51-CR-0008888-2026", family="Núñez")
    client = signed_in(reader(world, Role.PROSECUTOR))
    for typed in ("William Nunez", "BILL núñez", "will NUÑEZ", "william  nuñez"):
        html = client.get(URL, {"q": typed}).content.decode()
        assert f"Person {nunez.pk}" in html, typed


@pytest.mark.parametrize(
    "typed", ["D", "Dana", "Reyes", "R", "Da Re", "Dana Rey", "Dan Reyes", "Reyes Dana"]
)
def test_a_prosecutor_must_type_the_given_and_family_name(world: World, typed: str) -> None:
    html = signed_in(reader(world, Role.PROSECUTOR)).get(URL, {"q": typed}).content.decode()
    assert f"Person {world.person.pk}" not in html
    assert "No one diverted under that case number or name" in html
    assert "a name needs both first and last" in html


def test_a_prosecutors_name_search_finds_no_one_outside_their_diverted_people(
    world: World,
) -> None:
    kept_out = diverted(world, "Ines", "CP-51-CR-0004444-2026", family="Pardo", eligible=False)
    overdose = diverted(world, "Omar", "", family="Haddad", pathway="overdose")
    client = signed_in(reader(world, Role.PROSECUTOR))
    for typed, person in (("Ines Pardo", kept_out), ("Omar Haddad", overdose)):
        html = client.get(URL, {"q": typed}).content.decode()
        assert f"Person {person.pk}" not in html, typed
        assert "No one diverted" in html
    assert (
        signed_in(reader(world, Role.COORDINATOR, username="coord"))
        .get(URL, {"q": "Omar"})
        .content.decode()
        .count(f"Person {overdose.pk}")
        == 0
    )


def test_a_coordinator_finds_by_any_part_of_a_name(world: World) -> None:
    obrien = diverted(world, "Bridget", "CP-51-CR-0007777-2026", family="O'Brien")
    client = signed_in(reader(world, Role.COORDINATOR))
    for typed in ("obrien", "Brid", "o'bri", "BRIDGET"):
        html = client.get(URL, {"q": typed}).content.decode()
        assert f"Person {obrien.pk}" in html and "Bridget O&#x27;Brien" in html, typed
        assert f"Person {world.person.pk}" not in html, typed
    both = client.get(URL, {"q": "Dana"}).content.decode()
    assert "Dana Reyes" in both and f"Person {obrien.pk}" not in both


def test_a_name_search_is_audited_with_what_was_typed_and_the_ids_shown(world: World) -> None:
    obrien = diverted(world, "Bridget", "CP-51-CR-0007777-2026", family="O'Brien")
    prosecutor = reader(world, Role.PROSECUTOR)
    signed_in(prosecutor).get(URL, {"q": "Bridget O'Brien"})
    event = AuditEvent.objects.filter(
        actor=prosecutor, action="read", person_id__isnull=True
    ).latest("id")
    assert event.detail["list"] is True
    assert event.detail["q"] == "Bridget O'Brien"
    assert event.detail["ids"] == [obrien.pk]
    assert event.fields == ["engagement"]


# --- Engagement is counted from each person's latest diversion ----------------------------


def _row(html: str, person: Person) -> str:
    start = html.index(f"Person {person.pk}</a>")
    return re.sub(r"<[^>]+>", "", html[start : html.index("</tr>", start)])


def _task(world: World, person: Person) -> OutreachTask:
    referral = Referral.objects.filter(person=person).latest("received_at")
    return OutreachTask.objects.create(
        program=world.program,
        person=person,
        referral=referral,
        window_start=referral.received_at,
        window_end=referral.received_at + dt.timedelta(days=2),
    )


def test_the_contact_at_the_stop_is_no_engagement(world: World) -> None:
    person = diverted(world, "Ike", "CP-51-CR-0007777-2026")
    stop = Referral.objects.get(person=person)
    Encounter.objects.create(
        program=world.program,
        person=person,
        referral=stop,
        occurred_at=stop.received_at - dt.timedelta(minutes=20),
        kind="field_contact",
        disposition="referred",
    )
    task = _task(world, person)
    Attempt.objects.create(
        task=task, attempted_at=timezone.now(), channel="home_visit", outcome="not_located"
    )
    html = signed_in(reader(world, Role.PROSECUTOR)).get(URL).content.decode()
    assert "Not engaged since the diversion" in _row(html, person)


def test_a_contact_before_a_later_diversion_does_not_carry_over(world: World) -> None:
    person = diverted(world, "Ike", "CP-51-CR-0007777-2024")
    Referral.objects.filter(person=person).update(
        received_at=timezone.now() - dt.timedelta(days=700)
    )
    Encounter.objects.create(
        program=world.program,
        person=person,
        occurred_at=timezone.now() - dt.timedelta(days=650),
        kind="drop_in",
        disposition="resolved_on_scene",
    )
    Referral.objects.create(
        program=world.program,
        person=person,
        pathway="officer_intervention",
        received_at=timezone.now() - dt.timedelta(days=2),
        offense_category="retail_theft",
        case_number="CP-51-CR-0008888-2026",
    )
    html = signed_in(reader(world, Role.PROSECUTOR)).get(URL).content.decode()
    assert "Not engaged since the diversion" in _row(html, person)


def test_a_refusal_is_no_engagement_and_a_later_acceptance_is(world: World) -> None:
    person = diverted(world, "Ike", "CP-51-CR-0007777-2026")
    task = _task(world, person)
    Attempt.objects.create(
        task=task,
        attempted_at=timezone.now() - dt.timedelta(hours=5),
        channel="home_visit",
        outcome="declined",
    )
    client = signed_in(reader(world, Role.PROSECUTOR))
    assert "Not engaged since the diversion" in _row(client.get(URL).content.decode(), person)
    Attempt.objects.create(
        task=task,
        attempted_at=timezone.now() - dt.timedelta(hours=1),
        channel="phone",
        outcome="accepted_treatment",
    )
    assert "Engaged since the diversion" in _row(client.get(URL).content.decode(), person)


def test_a_task_closed_as_reached_by_another_team_is_engagement(world: World) -> None:
    person = diverted(world, "Ike", "CP-51-CR-0007777-2026")
    task = _task(world, person)
    task.status = "closed"
    task.close_reason = "reached_elsewhere"
    task.closed_at = timezone.now()
    task.save()
    html = signed_in(reader(world, Role.PROSECUTOR)).get(URL).content.decode()
    assert "Engaged since the diversion" in _row(html, person)


def test_the_row_gives_the_diversion_day(world: World) -> None:
    person = diverted(world, "Ike", "CP-51-CR-0007777-2026")
    received = Referral.objects.get(person=person).received_at
    day = received.astimezone(ZoneInfo(world.program.timezone)).strftime("%-d %b %Y")
    html = signed_in(reader(world, Role.PROSECUTOR)).get(URL).content.decode()
    assert f"Diverted {day}" in _row(html, person)


def test_the_person_record_gives_engagement_by_the_same_rule(
    world: World, api_client_for: Any
) -> None:
    person = diverted(world, "Ike", "CP-51-CR-0007777-2026")
    task = _task(world, person)
    Attempt.objects.create(
        task=task, attempted_at=timezone.now(), channel="home_visit", outcome="declined"
    )
    api = api_client_for(reader(world, Role.PROSECUTOR))
    assert api.get(f"/api/v1/persons/{person.pk}").json()["engaged"] is False
    assert api.get(f"/api/v1/persons/{world.person.pk}").json()["engaged"] is True


def test_the_person_page_says_engagement_is_counted_since_the_diversion_and_its_day(
    world: World,
) -> None:
    # A contact before this diversion does not count; the page says so, as the list does,
    # rather than "not engaged yet" of someone the program met before.
    person = diverted(world, "Ike", "CP-51-CR-0007777-2026")
    received = Referral.objects.get(person=person).received_at
    day = received.astimezone(ZoneInfo(world.program.timezone)).strftime("%-d %b %Y")
    Encounter.objects.create(
        program=world.program,
        person=person,
        occurred_at=received - dt.timedelta(days=30),
        kind="drop_in",
        disposition="resolved_on_scene",
    )
    client = signed_in(reader(world, Role.PROSECUTOR))
    page = " ".join(
        re.sub(r"<[^>]+>", "", client.get(f"/people/{person.pk}/").content.decode()).split()
    )
    assert f"Not engaged since the diversion of {day}" in page
    assert "Not engaged yet" not in page
    task = _task(world, person)
    Attempt.objects.create(
        task=task, attempted_at=timezone.now(), channel="phone", outcome="contacted"
    )
    page = " ".join(
        re.sub(r"<[^>]+>", "", client.get(f"/people/{person.pk}/").content.decode()).split()
    )
    assert f"Engaged since the diversion of {day}" in page


# 05:30 UTC on 5 March: already the 5th in Philadelphia, still the 4th in Longmont.
STOP = dt.datetime(2026, 3, 5, 5, 30, tzinfo=dt.UTC)


def _diverted_again(world: World, person: Person, program: Program, at: dt.datetime) -> None:
    Participation.objects.get_or_create(
        person=person, program=program, defaults={"first_seen_at": at}
    )
    Referral.objects.create(
        program=program,
        person=person,
        pathway="officer_intervention",
        received_at=at,
        offense_category="retail_theft",
        case_number=f"CASE-{program.slug}-{at:%m%d}",
        eligible=True,
    )


def _reached(program: Program, person: Person, at: dt.datetime) -> None:
    referral = Referral.objects.filter(person=person, program=program).latest("received_at")
    task = OutreachTask.objects.create(
        program=program,
        person=person,
        referral=referral,
        window_start=referral.received_at,
        window_end=referral.received_at + dt.timedelta(days=2),
    )
    Attempt.objects.create(task=task, attempted_at=at, channel="phone", outcome="contacted")


def _page(client: Client, person: Person) -> str:
    html = client.get(f"/people/{person.pk}/").content.decode()
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_someone_diverted_twice_by_one_program_is_read_diversion_by_diversion(
    world: World,
) -> None:
    person = Person.objects.create(given_name="Ike", family_name="Okafor")
    _diverted_again(world, person, world.program, STOP)
    _reached(world.program, person, STOP + dt.timedelta(days=3))
    _diverted_again(world, person, world.program, STOP + dt.timedelta(days=60))
    pad = world.program.name
    client = signed_in(reader(world, Role.PROSECUTOR))
    page = _page(client, person)
    assert f"{pad}: Engaged since the diversion of 5 Mar 2026." in page
    assert f"{pad}: Not engaged since the diversion of 4 May 2026." in page
    row = _row(client.get(URL).content.decode(), person)
    assert "Diverted 5 Mar 2026: Engaged since the diversion" in row
    assert "Diverted 4 May 2026: Not engaged since the diversion" in row


def test_someone_diverted_by_two_programs_is_read_in_each_with_its_own_day(
    world: World,
) -> None:
    core = Program.objects.get(slug="core")
    person = Person.objects.create(given_name="Ike", family_name="Okafor")
    _diverted_again(world, person, world.program, STOP)
    _diverted_again(world, person, core, STOP)
    _reached(core, person, STOP + dt.timedelta(days=2))
    coordinator = reader(world, Role.COORDINATOR)
    Membership.objects.create(user=coordinator, program=core, role=Role.COORDINATOR.value)
    page = _page(signed_in(coordinator), person)
    assert f"{world.program.name}: Not engaged since the diversion of 5 Mar 2026." in page
    assert f"{core.name}: Engaged since the diversion of 4 Mar 2026." in page


def test_a_prosecutor_sees_only_their_own_programs_diversion(world: World) -> None:
    core = Program.objects.get(slug="core")
    person = Person.objects.create(given_name="Ike", family_name="Okafor")
    _diverted_again(world, person, world.program, STOP)
    _diverted_again(world, person, core, STOP + dt.timedelta(days=20))
    _reached(core, person, STOP + dt.timedelta(days=21))
    client = signed_in(reader(world, Role.PROSECUTOR))
    page = _page(client, person)
    assert f"{world.program.name}: Not engaged since the diversion of 5 Mar 2026." in page
    assert core.name not in page and "25 Mar 2026" not in page
    assert "Engaged since the diversion" not in page
    row = _row(client.get(URL).content.decode(), person)
    assert "Diverted 5 Mar 2026: Not engaged since the diversion" in row
    assert "25 Mar 2026" not in row
