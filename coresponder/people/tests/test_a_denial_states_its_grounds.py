"""A denial of an amendment states which of the grounds HIPAA allows it rests on (45 CFR
164.526(a)(2)), with the reason written as its explanation (164.526(d)(1)(i)): asked as a
closed list on the decision form and in the API, shown in words wherever the denial is
read, and kept in the records request. A denial made before the grounds were asked reads
"Not recorded"."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import AmendmentDenialGround, Role, labels_of
from coresponder.people.models import Amendment
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db
JSON = "application/json"
GROUNDS = {
    "not_created_by_us",
    "not_in_designated_record_set",
    "not_available_for_inspection",
    "accurate_and_complete",
}
ACCURATE = "Accurate and complete as it stands"
EXPLANATION = "Confirmed with EMS: the number was theirs in 2024."


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def api(world: World, api_client_for: Any) -> Client:
    client: Client = api_client_for(reader(world, Role.COORDINATOR, username="api-coordinator"))
    return client


@pytest.fixture
def web(world: World) -> Client:
    client = Client()
    client.force_login(reader(world, Role.COORDINATOR, username="web-coordinator"))
    return client


def asked(api: Client, world: World) -> int:
    response = api.post(
        f"/api/v1/persons/{world.person.pk}/amendments",
        {
            "field": "phone",
            "proposed_value": "215-555-0177",
            "statement": "That number was never mine.",
            "received_on": today_in(world.program).isoformat(),
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    pk: int = response.json()["id"]
    return pk


def decide(api: Client, pk: int, **body: Any) -> Any:
    return api.post(f"/api/v1/amendments/{pk}/decision", body, content_type=JSON)


def an_old_denial(world: World) -> Amendment:
    """A request denied before the grounds were asked: a reason, no grounds."""
    return Amendment.objects.create(
        person=world.person,
        program=world.program,
        record_kind="person",
        record_id=world.person.pk,
        field="phone",
        proposed_value="215-555-0199",
        original_value="215-555-0101",
        received_on=dt.date(2026, 11, 2),
        status=Amendment.Status.DENIED,
        decided_at=dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC),
        denial_reason="The number was theirs",
    )


def test_the_grounds_are_the_four_hipaa_allows_each_with_words() -> None:
    assert {str(g) for g in AmendmentDenialGround} == GROUNDS
    words = labels_of("amendment_denial_ground")
    assert set(words) == GROUNDS
    assert all(text and "_" not in text for text in words.values())
    assert words["accurate_and_complete"] == ACCURATE


def test_an_api_denial_keeps_its_grounds_and_its_explanation(world: World, api: Client) -> None:
    pk = asked(api, world)
    response = decide(
        api,
        pk,
        decision="deny",
        denial_grounds="accurate_and_complete",
        reason=EXPLANATION,
        version=1,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["denial_grounds"], body["denial_reason"]) == (
        "denied",
        "accurate_and_complete",
        EXPLANATION,
    )
    stored = Amendment.objects.get(pk=pk)
    assert (stored.denial_grounds, stored.denial_reason) == ("accurate_and_complete", EXPLANATION)
    event = AuditEvent.objects.get(object_type="people.amendment", detail__decision="denied")
    assert event.detail["grounds"] == "accurate_and_complete"


@pytest.mark.parametrize("grounds", [None, "", "we_said_so", "Accurate and complete"])
def test_an_api_denial_without_one_of_the_grounds_gets_422_naming_the_field(
    world: World, api: Client, grounds: str | None
) -> None:
    pk = asked(api, world)
    body: dict[str, Any] = {"decision": "deny", "reason": EXPLANATION, "version": 1}
    if grounds is not None:
        body["denial_grounds"] = grounds
    response = decide(api, pk, **body)
    assert response.status_code == 422, response.content
    assert "denial_grounds" in response.json()["errors"]
    stored = Amendment.objects.get(pk=pk)
    assert (stored.status, stored.version, stored.denial_grounds) == ("open", 1, "")


def test_an_acceptance_keeps_no_grounds(world: World, api: Client) -> None:
    pk = asked(api, world)
    response = decide(
        api,
        pk,
        decision="accept",
        denial_grounds="accurate_and_complete",
        version=1,
        record_version=1,
    )
    assert response.status_code == 200, response.content
    assert response.json()["denial_grounds"] is None
    assert Amendment.objects.get(pk=pk).denial_grounds == ""


def _enum(schemas: dict[str, Any], node: Any) -> set[str]:
    """The values an OpenAPI property allows, through its references and unions."""
    if not isinstance(node, dict):
        return set()
    if "$ref" in node:
        return _enum(schemas, schemas[node["$ref"].rsplit("/", 1)[-1]])
    found = {value for value in node.get("enum", []) if value is not None}
    for key in ("anyOf", "oneOf", "allOf"):
        for part in node.get(key, []):
            found |= _enum(schemas, part)
    return found


def test_the_openapi_schema_lists_the_grounds(api: Client) -> None:
    schemas = api.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("AmendmentDecisionIn", "AmendmentOut"):
        assert _enum(schemas, schemas[name]["properties"]["denial_grounds"]) == GROUNDS, name


def test_an_old_denial_reads_not_recorded_in_the_api_and_on_its_page(
    world: World, api: Client, web: Client
) -> None:
    old = an_old_denial(world)
    page = web.get(f"/people/amendments/{old.pk}/").content.decode()
    assert "<dt>Grounds for the denial</dt><dd>Not recorded</dd>" in page
    assert "The number was theirs" in page
    listed = api.get(f"/api/v1/persons/{world.person.pk}/records-request").json()
    assert listed["amendments"][0]["denial_grounds"] is None


def test_the_decision_form_asks_the_grounds_as_a_labelled_radio_group(
    world: World, api: Client, web: Client
) -> None:
    pk = asked(api, world)
    page = web.get(f"/people/amendments/{pk}/").content.decode()
    group = re.search(
        r"<fieldset[^>]*>\s*<legend[^>]*>Grounds for a denial.*?</fieldset>", page, re.S
    )
    assert group, "no fieldset with a legend for the grounds"
    radios = re.findall(r'<input type="radio" name="denial_grounds" value="([a-z_]+)"', group[0])
    assert set(radios) == GROUNDS
    for text in labels_of("amendment_denial_ground").values():
        assert text in group[0]
    assert "usa-radio__input" in group[0] and "usa-radio__label" in group[0]
    assert "(optional)" not in group[0]


def test_a_page_denial_without_grounds_is_told_so_on_the_field_and_keeps_what_was_typed(
    world: World, api: Client, web: Client
) -> None:
    pk = asked(api, world)
    url = f"/people/amendments/{pk}/"
    posted = {"decision": "deny", "reason": EXPLANATION, "version": 1, "record_version": 1}
    refused = web.post(url, posted)
    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'id="id_denial_grounds_error"' in body
    assert re.search(r'<fieldset[^>]*aria-describedby="[^"]*id_denial_grounds_error', body)
    assert EXPLANATION in body
    unknown = web.post(url, {**posted, "denial_grounds": "we_said_so"})
    assert unknown.status_code == 422
    assert 'id="id_denial_grounds_error"' in unknown.content.decode()
    assert Amendment.objects.get(pk=pk).status == "open"


def test_a_page_denial_shows_its_grounds_in_words_here_and_beside_the_record(
    world: World, api: Client, web: Client
) -> None:
    pk = asked(api, world)
    url = f"/people/amendments/{pk}/"
    posted = {
        "decision": "deny",
        "denial_grounds": "accurate_and_complete",
        "reason": EXPLANATION,
        "version": 1,
        "record_version": 1,
    }
    assert web.post(url, posted).status_code == 302
    assert Amendment.objects.get(pk=pk).denial_grounds == "accurate_and_complete"
    page = web.get(url).content.decode()
    assert f"<dt>Grounds for the denial</dt><dd>{ACCURATE}</dd>" in page
    assert "accurate_and_complete" not in page
    assert EXPLANATION in page
    person = web.get(f"/people/{world.person.pk}/").content.decode()
    assert f"Grounds: {ACCURATE}." in person and EXPLANATION in person
    assert "accurate_and_complete" not in person


def test_the_records_request_keeps_the_code_in_its_file_and_the_words_on_its_page(
    world: World, api: Client, web: Client, tmp_path: Path
) -> None:
    pk = asked(api, world)
    decide(
        api,
        pk,
        decision="deny",
        denial_grounds="not_in_designated_record_set",
        reason="Kept by the hospital, not by the program.",
        version=1,
    )
    an_old_denial(world)
    exported = api.get(f"/api/v1/persons/{world.person.pk}/records-request").json()
    rows = {row["denial_reason"]: row for row in exported["amendments"]}
    assert rows["Kept by the hospital, not by the program."]["denial_grounds"] == (
        "not_in_designated_record_set"
    )
    assert rows["The number was theirs"]["denial_grounds"] is None
    words = labels_of("amendment_denial_ground")["not_in_designated_record_set"]
    url = f"/people/{world.person.pk}/records-request/"
    page = web.get(url).content.decode()
    pdf = web.get(url, {"format": "pdf"})
    (tmp_path / "request.pdf").write_bytes(pdf.content)
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: run `make report-deps`"
    printed = subprocess.run(  # noqa: S603 (a fixed tool on a file this test wrote)
        [tool, str(tmp_path / "request.pdf"), "-"], capture_output=True, check=True, text=True
    ).stdout
    for text in (page, " ".join(printed.split())):
        assert words in text and "Not recorded" in text
        assert "not_in_designated_record_set" not in text


def test_the_database_keeps_grounds_only_on_a_denial_and_only_from_the_list(
    world: World,
) -> None:
    old = an_old_denial(world)
    for status, grounds in (("open", "accurate_and_complete"), ("denied", "we_said_so")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Amendment.objects.filter(pk=old.pk).update(status=status, denial_grounds=grounds)
