"""The integration surface documents itself: valid OpenAPI 3 and human docs."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from openapi_spec_validator import validate


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data: dict[str, Any] = response.json()
    return data


def test_the_schema_is_valid_openapi_3(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")

    validate(schema)


def test_the_schema_documents_the_programs_endpoints(schema: dict[str, Any]) -> None:
    assert "get" in schema["paths"]["/api/v1/programs"]
    assert "get" in schema["paths"]["/api/v1/programs/{slug}"]


def test_the_schema_declares_bearer_authentication(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]

    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())


def test_the_program_list_is_documented_as_items_and_count(schema: dict[str, Any]) -> None:
    ok = schema["paths"]["/api/v1/programs"]["get"]["responses"]["200"]
    reference = ok["content"]["application/json"]["schema"]["$ref"]
    listing = schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]

    assert {"items", "count"} <= set(listing["properties"])


def test_the_human_docs_answer_without_a_token(client: Client) -> None:
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_no_two_schemas_share_a_component_name() -> None:
    """The schema names each body by its class name; two classes of one name would leave
    one operation documented with the other's body."""
    from ninja import Schema

    import coresponder.api  # noqa: F401 - registers every router and so every schema

    def subclasses(cls: type) -> list[type]:
        children: list[type] = cls.__subclasses__()
        return [cls, *(sub for child in children for sub in subclasses(child))]

    ours = {c for c in subclasses(Schema) if c.__module__.startswith("coresponder.")}
    names = sorted(c.__name__ for c in ours)
    assert sorted(set(names)) == names, [n for n in set(names) if names.count(n) > 1]


def test_every_operation_names_the_errors_it_may_answer_with_their_body(
    schema: dict[str, Any],
) -> None:
    error = "#/components/schemas/Error"
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"404", "422"} | ({"401"} if "security" in operation else set())
            if method in {"post", "put", "patch", "delete"}:
                expected.add("409")
            assert expected <= set(map(str, responses)), (method, path)
            body = responses["422"]["content"]["application/json"]["schema"]
            assert body == {"$ref": error}, (method, path)


def test_an_operation_keeps_the_answer_it_describes_itself(schema: dict[str, Any]) -> None:
    # A call whose CAD number the program has: 409 names the call, not the error body; a
    # diversion recorded already names its referral.
    conflict = schema["paths"]["/api/v1/referrals"]["post"]["responses"]["409"]
    answers = conflict["content"]["application/json"]["schema"]["anyOf"]
    assert [answer["$ref"].rsplit("/", 1)[-1] for answer in answers] == [
        "CallRecordedOut",
        "DiversionRecordedOut",
    ]


def test_the_fhir_bundle_is_documented_as_fhir_json(schema: dict[str, Any]) -> None:
    answer = schema["paths"]["/api/v1/service-referrals/{referral_id}/fhir"]["get"]["responses"]
    content = answer["200"]["content"]
    assert list(content) == ["application/fhir+json"]
    assert content["application/fhir+json"]["schema"]["type"] == "object"
