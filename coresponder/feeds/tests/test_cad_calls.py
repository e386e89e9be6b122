"""911 / CAD calls pushed as JSON or CSV: triaged by the preset, once per CAD call number."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from coresponder.conftest import member_of
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Call, Referral
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

RECEIVED = "2025-02-01T21:15:00-07:00"


@pytest.fixture
def core(programs: dict[str, Program]) -> Program:
    return programs["core"]


@pytest.fixture
def dispatcher(core: Program) -> User:
    return member_of(core, Role.OFFICER, "dispatcher", display_name="Dana Dispatch")


@pytest.fixture
def client(dispatcher: User, api_client_for: Any) -> Client:
    return api_client_for(dispatcher)


def call(number: str, **changes: Any) -> dict[str, Any]:
    body = {
        "cad_number": number,
        "received_at": RECEIVED,
        "call_type": "mental_health_crisis",
        "priority": "2",
        "narrative": "Caller's brother is talking about hurting himself",
        "weapons": False,
        "violence_in_progress": False,
        "latitude": 40.1672,
        "longitude": -105.1019,
    }
    body.update(changes)
    return body


def post_json(client: Client, calls: Any, slug: str = "core") -> Any:
    return client.post(
        f"/api/v1/programs/{slug}/cad-calls",
        data=json.dumps(calls),
        content_type="application/json",
    )


def post_csv(client: Client, text: str) -> Any:
    return client.post("/api/v1/programs/core/cad-calls", data=text, content_type="text/csv")


def test_calls_become_community_response_referrals_triaged_by_the_preset(
    core: Program, client: Client
) -> None:
    response = post_json(client, [call("C-1"), call("C-2", weapons=True)])
    assert response.status_code == 201, response.content
    items = {item["cad_number"]: item for item in response.json()["items"]}
    assert items["C-1"]["co_responders_sent"] is True
    assert items["C-2"]["co_responders_sent"] is False
    assert "Weapons reported: police respond first" in items["C-2"]["reasons"]
    assert Referral.objects.filter(pathway="community_response").count() == 2
    assert Call.objects.get(cad_number="C-1").narrative.startswith("Caller's brother")
    event = AuditEvent.objects.get(object_type="feeds.cad_batch")
    assert event.detail == {"calls": 2, "created": 2, "existing": 0}


def test_a_call_keeps_its_priority_and_street_address(core: Program, client: Client) -> None:
    response = post_json(
        client,
        [call("C-1", priority="P1", address="412 Main St, Longmont"), call("C-2", priority="E")],
    )
    assert response.status_code == 201, response.content
    stored = {c.cad_number: (c.priority, c.address) for c in Call.objects.all()}
    assert stored == {"C-1": ("P1", "412 Main St, Longmont"), "C-2": ("E", "")}
    # Kept on the call alone, so retention deleting the call deletes them: no copy in the trail.
    trail = json.dumps(list(AuditEvent.objects.values("detail", "fields")))
    assert "412 Main St" not in trail and "P1" not in trail


def test_a_csv_call_keeps_its_priority_and_street_address(core: Program, client: Client) -> None:
    text = (
        "CAD Number,Received At,Call Type,Priority,Address\r\n"
        f'C-10,{RECEIVED},suicidal,P2,"77 Coffman St, Apt 3"\r\n'
        f"C-11,{RECEIVED},intoxication,3,\r\n"
    )
    response = post_csv(client, text)
    assert response.status_code == 201, response.content
    stored = {c.cad_number: (c.priority, c.address) for c in Call.objects.all()}
    assert stored == {"C-10": ("P2", "77 Coffman St, Apt 3"), "C-11": ("3", "")}


def test_an_address_too_long_refuses_the_batch_naming_its_row_and_field(
    core: Program, client: Client
) -> None:
    too_long = "1 " + "Long Street " * 30
    response = post_json(client, [call("C-1"), call("C-2", address=too_long, latitude=140)])
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "[1].address": ["is longer than 300 characters"],
        "[1].latitude": ["140 is not between -90 and 90"],
    }
    text = f"cad_number,received_at,call_type,address\r\nC-3,{RECEIVED},suicidal,{too_long}\r\n"
    response = post_csv(client, text)
    assert response.status_code == 422
    assert response.json()["errors"] == {"line 2.address": ["is longer than 300 characters"]}
    assert not Call.objects.exists() and not Referral.objects.exists()


def test_a_nul_character_refuses_the_batch_naming_its_row_and_field(
    core: Program, client: Client
) -> None:
    """A CAD export padding a field with NUL is told which field, as any other bad value."""
    response = post_json(client, [call("C-1", narrative="Caller\x00 worried")])
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "[0].narrative": ["holds a character that cannot be stored"]
    }
    text = f"cad_number,received_at,call_type,caller_name\r\nC-3,{RECEIVED},suicidal,Ann\x00\r\n"
    response = post_csv(client, text)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "line 2.caller_name": ["holds a character that cannot be stored"]
    }
    assert not Call.objects.exists() and not Referral.objects.exists()


def test_a_call_sent_again_returns_the_record_it_made(core: Program, client: Client) -> None:
    first = post_json(client, [call("C-1")]).json()["items"][0]
    again = post_json(client, [call("C-1")])
    assert again.status_code == 200
    item = again.json()["items"][0]
    assert (item["call_id"], item["created"]) == (first["call_id"], False)
    assert Call.objects.count() == 1
    mixed = post_json(client, [call("C-1"), call("C-3")])
    assert mixed.status_code == 201
    assert [i["created"] for i in mixed.json()["items"]] == [False, True]


def test_a_bad_call_refuses_the_batch_naming_each_row_and_field(
    core: Program, client: Client
) -> None:
    calls = [
        call("C-1"),
        call("C-2", received_at="2025-02-01 21:15"),
        call("C-3", call_type="barking_dog", latitude=140),
        call("C-1"),
        call("C-4", received_at="0001-01-01T00:00:00+00:00"),
        call("C-5", given_name="Ann", family_name="Lee", birth_date="1800-01-01"),
    ]
    response = post_json(client, calls)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {
        "[1].received_at",
        "[2].call_type",
        "[2].latitude",
        "[3].cad_number",
        "[4].received_at",
        "[5].birth_date",
    }
    assert errors["[3].cad_number"] == ["is also the call at [0]"]
    assert not Call.objects.exists() and not Referral.objects.exists()


def test_calls_arrive_as_csv(core: Program, client: Client) -> None:
    text = (
        "CAD Number,Received At,Call Type,Priority,Weapons,Narrative\r\n"
        f"C-10,{RECEIVED},suicidal,1,no,Neighbour worried\r\n"
        f"C-11,{RECEIVED},intoxication,3,yes,\r\n"
    )
    response = post_csv(client, text)
    assert response.status_code == 201, response.content
    sent = {i["cad_number"]: i["co_responders_sent"] for i in response.json()["items"]}
    assert sent == {"C-10": True, "C-11": False}


def test_calls_arrive_as_csv_a_european_spreadsheet_saved(core: Program, client: Client) -> None:
    # Excel in a locale whose decimal mark is a comma saves "CSV" with semicolons between
    # the cells, a byte-order mark before them, and a row of empty cells at the end.
    text = (
        "\ufeffCAD Number;Received At;Call Type;Priority;Weapons;Narrative\r\n"
        f"C-10;{RECEIVED};suicidal;1;no;Neighbour worried, says he has pills\r\n"
        f"C-11;{RECEIVED};intoxication;3;yes;\r\n"
        ";;;;;\r\n"
    )
    response = post_csv(client, text)
    assert response.status_code == 201, response.content
    sent = {i["cad_number"]: i["co_responders_sent"] for i in response.json()["items"]}
    assert sent == {"C-10": True, "C-11": False}
    assert Call.objects.get(cad_number="C-10").narrative == "Neighbour worried, says he has pills"


def test_a_call_type_in_capitals_or_with_spaces_is_read(core: Program, client: Client) -> None:
    # CAD systems write codes in capitals, and a spreadsheet's export pads its cells.
    response = post_json(
        client,
        [call("C-20", call_type="SUICIDAL "), call("C-21", call_type="Mental Health Crisis")],
    )
    assert response.status_code == 201, response.content
    types = dict(Call.objects.values_list("cad_number", "call_type"))
    assert types == {"C-20": "suicidal", "C-21": "mental_health_crisis"}


def test_a_bad_csv_line_is_named_by_its_line(core: Program, client: Client) -> None:
    text = f"cad_number,received_at,call_type\r\nC-1,{RECEIVED},suicidal\r\nC-2,,suicidal\r\n"
    response = post_csv(client, text)
    assert response.status_code == 422
    assert response.json()["errors"] == {"line 3.received_at": ["is required"]}
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{}", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"[]", "application/json"),
        (b"not json", "application/json"),
        (b"call_type\r\nsuicidal\r\n", "text/csv"),
    ],
)
def test_a_body_that_is_not_a_list_of_calls_is_a_422(
    core: Program, client: Client, body: bytes, content_type: str
) -> None:
    response = client.post("/api/v1/programs/core/cad-calls", data=body, content_type=content_type)
    assert response.status_code == 422
    assert "body" in response.json()["errors"]


def test_a_person_named_in_a_call_is_linked(core: Program, client: Client) -> None:
    response = post_json(
        client, [call("C-1", person={"given_name": "Rae", "family_name": "Olsen"})]
    )
    assert response.status_code == 201
    person = Call.objects.get().person
    assert person is not None
    assert person.given_name == "Rae"


def test_a_person_object_that_is_not_one_or_says_otherwise_than_the_call_is_refused(
    core: Program, client: Client
) -> None:
    calls = [
        call("C-1", given_name="Rae", person={"given_name": "Ray", "family_name": "Olsen"}),
        call("C-2", person="Rae Olsen"),
        call("C-3", given_name="Rae", person={"given_name": "Rae", "family_name": "Olsen"}),
        # Said alike, or said by one side only: no contradiction.
        call(
            "C-4",
            given_name=None,
            family_name="OLSEN ",
            phone="7209099503",
            person={"given_name": "Rae", "family_name": "Olsen", "phone": "(720) 909-9503"},
        ),
    ]
    response = post_json(client, calls)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"[0].person.given_name", "[1].person"}
    assert errors["[0].person.given_name"] == ["says 'Ray' where the call's given_name says 'Rae'"]
    assert not Call.objects.exists() and not Referral.objects.exists()
    fine = post_json(client, calls[2:])
    assert fine.status_code == 201, fine.content
    person = Call.objects.get(cad_number="C-4").person
    assert person is not None and person.given_name == "Rae"


def test_a_caller_phone_a_cad_system_writes_as_unknown_is_no_number(
    core: Program, client: Client
) -> None:
    response = post_json(
        client,
        [call("C-1", caller_phone="UNK", phone="NONE", given_name="Rae", family_name="Olsen")],
    )
    assert response.status_code == 201, response.content
    recorded = Call.objects.get()
    assert recorded.caller_phone == ""
    assert recorded.person is not None and recorded.person.phone == ""


def test_a_push_needs_a_token_and_a_role_that_records_referrals(
    core: Program, pad: Program, client: Client, api_client_for: Any
) -> None:
    assert post_json(Client(), [call("C-1")]).status_code == 401
    assert post_json(client, [call("C-1")], slug="pad").status_code == 404
    analyst = member_of(core, Role.ANALYST, "analyst-core")
    assert post_json(api_client_for(analyst), [call("C-1")]).status_code == 403
    assert not Call.objects.exists()


def test_a_time_without_its_offset_is_told_how_to_write_it_and_offered_no_option_not_here(
    core: Program, client: Client
) -> None:
    # The CAD push reads no "the times are local" choice, as a file import does: the error
    # says what to send, not a choice the caller cannot make.
    response = post_json(client, [call("C-1", received_at="2025-02-01 21:15")])
    assert response.status_code == 422
    (problem,) = response.json()["errors"]["[0].received_at"]
    assert problem == "“2025-02-01 21:15” has no UTC offset: write it like 2025-03-10T14:30-04:00"


def test_a_call_pushed_at_night_says_no_team_is_on_shift_and_when_one_starts(
    core: Program, client: Client
) -> None:
    # CORE's day unit works 07:00-19:00 Mountain time: 21:15 is after it, 08:30 in it.
    response = post_json(
        client, [call("N-1"), call("D-1", received_at="2025-02-01T08:30:00-07:00")]
    )
    assert response.status_code == 201, response.content
    items = {item["cad_number"]: item for item in response.json()["items"]}
    assert items["N-1"]["co_responders_sent"] is True
    assert items["N-1"]["team_on_shift"] is False
    assert items["N-1"]["next_shift_at"] == "2025-02-02T07:00:00-07:00"
    assert items["D-1"]["team_on_shift"] is True
    assert items["D-1"]["next_shift_at"] is None
