"""POST /api/v1/referrals on every pathway, as docs/api.md promises."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.actions import validate_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Call, Overdose, OverdoseReport, Referral
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def programs() -> dict[str, Program]:
    load_programs(SYSTEM)
    return {p.slug: p for p in Program.objects.all()}


def staff(program: Program, role: Role = Role.OFFICER, username: str | None = None) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, role, username=username or f"{program.slug}-{role.value}")


def post(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/referrals", body, content_type="application/json")


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
PERSON = {"given_name": "Jo", "family_name": "Marsh", "birth_date": "1991-03-02"}


def body_for(program: str, pathway: str, **extra: Any) -> dict[str, Any]:
    return {
        "program": program,
        "pathway": pathway,
        "received_at": iso(NOW),
        "person": PERSON,
        **extra,
    }


FACTS: dict[str, dict[str, Any]] = {
    "officer_intervention": {
        "district": "22",
        "offense": {"category": "retail_theft", "violent": False, "weapon": False},
        "case_number": "CP-51-CR-0001234-2026",
    },
    "officer_prevention": {
        "district": "22",
        "offense": {"category": "drug_possession", "violent": False, "weapon": False},
    },
    "naloxone_plus": {
        "overdose": {
            "occurred_at": iso(NOW - dt.timedelta(hours=1)),
            "fatal": False,
            "naloxone_doses": 2,
            "latitude": 41.95,
            "longitude": -70.66,
            "source": "ems",
        }
    },
    "community_response": {
        "call": {"call_type": "suicidal", "narrative": "Caller worried about her son"}
    },
    "self_referral": {"referrer": {"relationship": "mother", "name": "Ann Marsh"}},
    "active_outreach": {},
}

CASES = [
    (slug, pathway)
    for slug in ("pad", "pco", "qrt", "core")
    for pathway in (
        "officer_intervention",
        "officer_prevention",
        "naloxone_plus",
        "community_response",
        "self_referral",
        "active_outreach",
    )
]


@pytest.mark.parametrize(("slug", "pathway"), CASES)
def test_each_preset_answers_a_referral_on_each_pathway_as_documented(
    programs: dict[str, Program], api_client_for: Any, slug: str, pathway: str
) -> None:
    program = programs[slug]
    client = api_client_for(staff(program, Role.COORDINATOR))
    facts = dict(FACTS[pathway])
    if "district" in facts:
        first = program.districts.filter(active=True).order_by("code").first()
        facts["district"] = first.code if first else None
        facts = {k: v for k, v in facts.items() if v is not None}
    with _frozen(NOW):
        response = post(client, body_for(slug, pathway, **facts))
    offered = pathway in program.preset["pathways"]
    if not offered:
        assert response.status_code == 422
        assert "pathway" in response.json()["errors"]
        assert not Referral.objects.exists()
        return
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "person_id", "eligible", "reasons", "outreach_task"}
    assert body["reasons"]
    referral = Referral.objects.get(pk=body["id"])
    assert referral.pathway == pathway and referral.person_id == body["person_id"]
    follow_up = program.preset["follow_up"]
    expects_task = body["eligible"] and pathway in follow_up["pathways"]
    assert (body["outreach_task"] is not None) == expects_task
    if expects_task:
        task = OutreachTask.objects.get(pk=body["outreach_task"]["id"])
        anchor = (
            NOW - dt.timedelta(hours=1)
            if follow_up["anchor"] == "overdose" and pathway == "naloxone_plus"
            else NOW
        )
        assert task.window_start == anchor + dt.timedelta(hours=follow_up["opens_after_hours"])
        assert task.window_end == anchor + dt.timedelta(hours=follow_up["closes_after_hours"])


def test_pad_retail_theft_in_district_22_is_eligible(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    with _frozen(NOW):
        body = post(
            client, body_for("pad", "officer_intervention", **FACTS["officer_intervention"])
        )
    assert body.status_code == 201
    assert body.json()["eligible"] is True
    assert body.json()["outreach_task"] is not None


@pytest.mark.parametrize(
    ("offense", "district", "reason"),
    [
        ({"category": "assault", "violent": True, "weapon": False}, "22", "violent"),
        ({"category": "robbery", "violent": False, "weapon": False}, "22", "Only low-level"),
        ({"category": "retail_theft", "violent": False, "weapon": True}, "22", "weapon"),
        ({"category": "drug_possession", "violent": False, "weapon": False}, "25", "districts"),
    ],
)
def test_pad_refuses_robbery_weapons_and_other_districts_with_the_reason_and_no_task(
    programs: dict[str, Program], api_client_for: Any, offense: Any, district: str, reason: str
) -> None:
    client = api_client_for(staff(programs["pad"]))
    with _frozen(NOW):
        response = post(
            client,
            body_for(
                "pad",
                "officer_intervention",
                offense=offense,
                district=district,
                case_number="CP-51-CR-0001234-2026",
            ),
        )
    assert response.status_code == 201
    body = response.json()
    assert body["eligible"] is False
    assert any(reason in r for r in body["reasons"]), body["reasons"]
    assert body["outreach_task"] is None
    assert not OutreachTask.objects.exists()
    assert Referral.objects.get().eligible is False


def test_core_sends_the_team_to_a_suicidal_call_without_weapons(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["core"]))
    with _frozen(NOW):
        response = post(
            client, body_for("core", "community_response", **FACTS["community_response"])
        )
    body = response.json()
    assert body["eligible"] is True
    assert body["triage"]["co_responders_sent"] is True
    assert Call.objects.get().co_responders_sent is True


def test_core_sends_police_first_when_there_is_a_weapon(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["core"]))
    call = {"call_type": "suicidal", "weapons": True}
    with _frozen(NOW):
        body = post(client, body_for("core", "community_response", call=call)).json()
    assert body["eligible"] is False
    assert body["triage"]["co_responders_sent"] is False
    assert any("police respond first" in r for r in body["triage"]["reasons"])


def test_a_911_call_may_be_about_someone_unknown(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["core"]))
    body = body_for("core", "community_response", **FACTS["community_response"])
    del body["person"]
    with _frozen(NOW):
        response = post(client, body)
    assert response.status_code == 201
    assert response.json()["person_id"] is None
    assert response.json()["outreach_task"] is None


def test_the_same_overdose_from_ems_and_the_hospital_is_one_overdose(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pco"]))
    ems = body_for("pco", "naloxone_plus", **FACTS["naloxone_plus"])
    hospital = body_for("pco", "naloxone_plus", **FACTS["naloxone_plus"])
    hospital["overdose"] = {
        **hospital["overdose"],
        "source": "hospital",
        "occurred_at": iso(NOW - dt.timedelta(minutes=20)),
        "latitude": 41.9510,
    }
    with _frozen(NOW):
        first = post(client, ems).json()
        second = post(client, hospital).json()
    assert second["overdose"]["merged"] is True
    assert second["overdose"]["id"] == first["overdose"]["id"]
    assert second["id"] == first["id"]
    assert Overdose.objects.count() == 1
    assert OverdoseReport.objects.count() == 2
    assert Referral.objects.count() == 1
    assert OutreachTask.objects.count() == 1


def test_an_overdose_far_away_is_a_second_overdose(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pco"]))
    first = body_for("pco", "naloxone_plus", **FACTS["naloxone_plus"])
    second = body_for("pco", "naloxone_plus", **FACTS["naloxone_plus"])
    second["overdose"] = {**second["overdose"], "latitude": 42.05}
    with _frozen(NOW):
        post(client, first)
        post(client, second)
    assert Overdose.objects.count() == 2


def test_a_fatal_overdose_opens_outreach_to_the_family(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pco"]))
    body = body_for("pco", "naloxone_plus", **FACTS["naloxone_plus"])
    body["overdose"] = {**body["overdose"], "fatal": True}
    with _frozen(NOW):
        response = post(client, body).json()
    assert response["outreach_task"]["target"] == "family"
    person = Person.objects.get()
    assert person.deceased_on == (NOW - dt.timedelta(hours=1)).date()
    # The day of death is a change to the person, audited as one.
    death = AuditEvent.objects.filter(action="change", person_id=person.pk)
    assert [event.fields for event in death] == [["deceased_on"]]


def test_the_day_of_a_fatal_evening_overdose_is_the_programs_day(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pco"]))
    # 02:00 UTC on 21 November is 21:00 on 20 November in Plymouth County.
    late = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)
    body = body_for("pco", "naloxone_plus", **FACTS["naloxone_plus"])
    body["received_at"] = iso(late + dt.timedelta(hours=1))
    body["overdose"] = {**body["overdose"], "fatal": True, "occurred_at": iso(late)}
    with _frozen(late + dt.timedelta(hours=1)):
        assert post(client, body).status_code == 201
    assert Person.objects.get().deceased_on == dt.date(2026, 11, 20)


def test_an_exact_match_links_the_same_person(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    with _frozen(NOW):
        first = post(client, body_for("pad", "self_referral")).json()
        second = post(
            client,
            body_for(
                "pad",
                "self_referral",
                person={"given_name": "JO", "family_name": "marsh", "birth_date": "1991-03-02"},
            ),
        ).json()
    assert first["person_id"] == second["person_id"]
    assert Person.objects.count() == 1


def test_names_and_a_1_january_birth_date_are_no_exact_match(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    # Forms store 1 January when only a year was given: two Maria Garcias born in 1985 are
    # not one person by that, so a coordinator's review decides.
    client = api_client_for(staff(programs["pad"]))
    maria = {"given_name": "Maria", "family_name": "Garcia", "birth_date": "1985-01-01"}
    with _frozen(NOW):
        first = post(client, body_for("pad", "self_referral", person=maria)).json()
        second = post(client, body_for("pad", "self_referral", person=maria)).json()
    assert first["person_id"] != second["person_id"]
    assert Person.objects.count() == 2


def test_a_repeat_referral_escalates_the_open_task(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    with _frozen(NOW):
        first = post(client, body_for("pad", "self_referral")).json()
        second = post(client, body_for("pad", "self_referral")).json()
    assert first["outreach_task"]["id"] == second["outreach_task"]["id"]
    assert OutreachTask.objects.get().escalations == 1


def test_a_repeat_referral_late_in_the_window_gives_the_team_its_own_window(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    # PAD follows a referral up for 72 hours: a second referral 70 hours into the first
    # one's window leaves the team 72 hours from the second, not 2.
    client = api_client_for(staff(programs["pad"]))
    later = NOW + dt.timedelta(hours=70)
    with _frozen(NOW):
        post(client, body_for("pad", "self_referral"))
    with _frozen(later):
        post(client, body_for("pad", "self_referral", received_at=iso(later)))
    task = OutreachTask.objects.get()
    assert (task.escalations, task.window_end) == (1, later + dt.timedelta(hours=72))
    event = AuditEvent.objects.filter(object_id=str(task.pk), action="change").get()
    assert (event.program_slug, event.detail["window_end"]["to"]) == (
        "pad",
        (later + dt.timedelta(hours=72)).isoformat(),
    )


def test_a_repeat_referral_never_shortens_the_open_window(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    # A referral reported late, about a day before the first, keeps the first's window.
    client = api_client_for(staff(programs["pad"]))
    with _frozen(NOW):
        post(client, body_for("pad", "self_referral"))
        post(client, body_for("pad", "self_referral", received_at=iso(NOW - dt.timedelta(days=1))))
    task = OutreachTask.objects.get()
    assert (task.escalations, task.window_end) == (1, NOW + dt.timedelta(hours=72))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"received_at": "2026-11-20T10:00:00"}, "received_at"),
        ({"program": "nowhere"}, None),
        ({"pathway": "teleportation"}, "pathway"),
        ({"offense": None}, "offense"),
        ({"received_at": "2030-01-01T00:00:00+00:00"}, "received_at"),
        ({"received_at": "1850-01-01T00:00:00+00:00"}, "received_at"),
        (
            {"person": {"given_name": "A", "family_name": "B", "birth_date": "2031-02-30"}},
            "person.birth_date",
        ),
        ({"person": {"given_name": "", "family_name": "B"}}, "person.given_name"),
        (
            {"person": {"given_name": "A", "family_name": "B", "birth_date": "1800-01-01"}},
            "person.birth_date",
        ),
        ({"district": "99"}, "district"),
        ({"person": {"given_name": "A", "family_name": "B", "phone": "abc"}}, "person.phone"),
        ({"referrer": {"relationship": "parent", "name": "Rosa", "phone": "12"}}, "referrer.phone"),
    ],
)
def test_bad_input_gets_422_with_the_field_and_writes_nothing(
    programs: dict[str, Program], api_client_for: Any, change: dict[str, Any], field: str | None
) -> None:
    client = api_client_for(staff(programs["pad"]))
    body = body_for("pad", "officer_intervention", **FACTS["officer_intervention"])
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    with _frozen(NOW):
        response = post(client, body)
    if field is None:
        assert response.status_code == 404
    else:
        assert response.status_code == 422, response.content
        assert field in response.json()["errors"], response.json()
    assert not Referral.objects.exists()
    assert not Person.objects.exists()


def test_a_referral_refuses_an_alias_longer_than_a_name_as_the_persons_record_does(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    person = {**PERSON, "aliases": ["Jojo", "J" * 101]}
    body = body_for("pad", "officer_intervention", person=person, **FACTS["officer_intervention"])
    with _frozen(NOW):
        response = post(client, body)
        direct = client.post(
            "/api/v1/persons", {**person, "program": "pad"}, content_type="application/json"
        )
    assert direct.status_code == 422
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {"person.aliases": direct.json()["errors"]["aliases"]}
    assert not Referral.objects.exists()
    assert not Person.objects.exists()


def test_a_pathway_is_named_by_its_label_in_errors(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pco"]))
    with _frozen(NOW):
        response = post(client, body_for("pco", "officer_intervention"))
    assert response.status_code == 422
    said = response.json()["errors"]["pathway"][0]
    assert said == (
        "Plymouth County Outreach does not take Officer intervention (in lieu of arrest) referrals"
    )
    client = api_client_for(staff(programs["pad"]))
    with _frozen(NOW):
        response = post(client, body_for("pad", "officer_intervention"))
    messages = [m for texts in response.json()["errors"].values() for m in texts]
    assert "is required on the Officer intervention (in lieu of arrest) pathway" in messages
    assert not any("officer_intervention" in m or "Pathway." in m for m in messages)


def test_a_prosecutor_may_not_refer(programs: dict[str, Program], api_client_for: Any) -> None:
    client = api_client_for(staff(programs["pad"], Role.PROSECUTOR))
    with _frozen(NOW):
        response = post(client, body_for("pad", "self_referral"))
    assert response.status_code == 403
    assert not Referral.objects.exists()


def test_every_intake_write_is_audited(programs: dict[str, Program], api_client_for: Any) -> None:
    user = staff(programs["pco"])
    client = api_client_for(user)
    with _frozen(NOW):
        post(client, body_for("pco", "naloxone_plus", **FACTS["naloxone_plus"]))
    kinds = set(
        AuditEvent.objects.filter(actor=user, action="create").values_list("object_type", flat=True)
    )
    assert {"people.person", "intake.referral", "intake.overdose", "outreach.outreachtask"} <= kinds


class _frozen:
    """Freeze django.utils.timezone.now for the block."""

    def __init__(self, moment: dt.datetime) -> None:
        from unittest import mock

        self._patch = mock.patch("django.utils.timezone.now", return_value=moment)

    def __enter__(self) -> None:
        self._patch.start()

    def __exit__(self, *exc: object) -> None:
        self._patch.stop()


def test_the_program_counts_an_overdose_reported_twice_once(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    from coresponder.programs.home import activity_counts

    client = api_client_for(staff(programs["pco"]))
    ems = body_for("pco", "naloxone_plus", **FACTS["naloxone_plus"])
    hospital = body_for("pco", "naloxone_plus", **FACTS["naloxone_plus"])
    hospital["overdose"] = {**hospital["overdose"], "source": "hospital"}
    with _frozen(NOW):
        post(client, ems)
        post(client, hospital)
    counts = dict(activity_counts(programs["pco"], NOW + dt.timedelta(hours=1)))
    assert counts["Overdoses reported"] == 1
    assert counts["Referrals received"] == 1


def test_the_district_comes_from_the_coordinates_when_the_program_has_shapes(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    pco = programs["pco"]
    from coresponder.programs.models import District

    District.objects.create(
        program=pco,
        code="brockton",
        name="Brockton",
        boundary={
            "type": "Polygon",
            "coordinates": [
                [[-70.7, 41.9], [-70.6, 41.9], [-70.6, 42.0], [-70.7, 42.0], [-70.7, 41.9]]
            ],
        },
    )
    client = api_client_for(staff(pco))
    with _frozen(NOW):
        body = post(client, body_for("pco", "naloxone_plus", **FACTS["naloxone_plus"])).json()
    referral = Referral.objects.get(pk=body["id"])
    assert referral.district is not None and referral.district.code == "brockton"
    assert Overdose.objects.get().district == referral.district


def test_a_referral_asks_the_gate_whom_it_may_link_to_once(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pco"], Role.COORDINATOR))
    at = dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
    body = {
        "program": "pco",
        "pathway": "naloxone_plus",
        "received_at": (at + dt.timedelta(hours=1)).isoformat(),
        "person": {"given_name": "Pat", "family_name": "Lee", "birth_date": "1980-01-02"},
        "overdose": {"occurred_at": at.isoformat(), "source": "ems", "fatal": False},
    }
    with CaptureQueriesContext(connection) as queries:
        answer = client.post("/api/v1/referrals", body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    memberships = [q for q in queries.captured_queries if "programs_membership" in q["sql"]]
    # The program the caller acts in, their right to record referrals, and the people
    # they may link to: the join check, the link and the review share that one answer.
    assert len(memberships) == 3, [q["sql"][:120] for q in memberships]


def test_times_at_the_end_of_the_calendar_are_refused_not_compared(
    programs: dict[str, Program],
) -> None:
    # A feed's parser may hand on the largest time there is; adding the clock's leeway to it
    # would run past the calendar.
    end = dt.datetime.max.replace(tzinfo=dt.UTC)
    overdose = {**FACTS["naloxone_plus"]["overdose"], "occurred_at": end}
    given = ReferralInput.from_dict(
        {"pathway": "naloxone_plus", "received_at": end, "person": PERSON, "overdose": overdose}
    )
    with _frozen(NOW):
        errors = validate_referral(programs["pco"], given)
    assert {"received_at", "overdose.occurred_at"} <= set(errors)
