"""Every page and endpoint that shows a person's data goes through the gate and is audited.

The tests walk every URL pattern of the site and every operation of the API. Each
one must be classified in `WEB` or `API` below: a new URL fails
`test_every_url_and_operation_is_classified` until someone decides what it shows.

- `ShowsPerson`: a GET that shows one person's data. Its readers get it, with an
  audited read naming the person; a coordinator of another program gets 404, no
  trace of the person, and no successful read of them in the trail.
- `Gated`: takes a person or their record through the gate but shows none of their
  data (a redirect, or the number the user typed); outsiders still get 404.
- `ListsPeople`: a list of many people; one audited list read per GET.
- `WritesOnly`: answers no GET (checked: 405 on the site); its action audits the write.
  Where it names a person's record, an outsider's POST gets 404.
- `NoPersonData`: shows no person's data at all, for the reason given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from coresponder.api import api
from coresponder.care.models import CarePlan, CarePlanGoal, CarePlanStep, FollowUp
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.identity.models import MatchCandidate, Merge
from coresponder.intake.models import Call, Referral
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import (
    Amendment,
    ContactRequest,
    Participation,
    Person,
    RecordsRequest,
)
from coresponder.people.tests.factories import PersonFactory
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.models import Consent
from coresponder.privacy.tests.world import build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, User
from coresponder.programs.tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from coresponder.services.models import Service, ServiceReferral

API_ROOT = "/api/v1"


@dataclasses.dataclass(frozen=True)
class Records:
    """One person known to PAD with a record of every kind, and who reads them."""

    program: Program
    person: Person
    referral: Referral
    call: Call
    task: OutreachTask
    encounter: Encounter
    plan: CarePlan
    goal: CarePlanGoal
    step: CarePlanStep
    follow_up: FollowUp
    service: Service
    service_referral: ServiceReferral
    consent: Consent
    candidate: MatchCandidate
    merge: Merge
    amendment: Amendment
    denied_amendment: Amendment
    records_request: RecordsRequest
    denied_records_request: RecordsRequest
    reviewed_records_request: RecordsRequest
    contact_request: ContactRequest
    users: dict[str, User]


Fill = Callable[[Records], dict[str, Any]]


def _nothing(_: Records) -> dict[str, Any]:
    return {}


def _person(r: Records) -> dict[str, Any]:
    return {"person_id": r.person.pk}


def _program(r: Records) -> dict[str, Any]:
    return {"slug": r.program.slug}


@dataclasses.dataclass(frozen=True)
class ShowsPerson:
    readers: tuple[str, ...]
    kwargs: Fill
    query: Fill = _nothing
    status: int = 200


@dataclasses.dataclass(frozen=True)
class Gated:
    reason: str
    readers: tuple[str, ...]
    kwargs: Fill
    query: Fill = _nothing
    status: int = 200


@dataclasses.dataclass(frozen=True)
class ListsPeople:
    readers: tuple[str, ...]
    kwargs: Fill = _nothing
    query: Fill = _nothing


@dataclasses.dataclass(frozen=True)
class WritesOnly:
    reason: str
    kwargs: Fill = _nothing
    names_a_person: bool = False


@dataclasses.dataclass(frozen=True)
class NoPersonData:
    reason: str


Kind = ShowsPerson | Gated | ListsPeople | WritesOnly | NoPersonData

AGGREGATES = "aggregate figures only, suppressed where the program says"
SHIFTS = "teams, shifts and their calendar feeds: staff, not participants"
SIGN_IN = "the sign-in steps"
ACCOUNTS = "staff accounts, their programs and roles, for administrators"

# Every named URL pattern of the site, API operations aside (those are in `API`).
WEB: dict[str, Kind] = {
    # --- One person's record ---------------------------------------------------------
    "person-detail": ShowsPerson(("coordinator",), _person),
    "person-timeline": ShowsPerson(("coordinator",), _person),
    "person-edit": ShowsPerson(("coordinator",), _person),
    "records-request": ShowsPerson(("coordinator",), _person),
    "amendment-new": ShowsPerson(("coordinator",), _person),
    "records-request-log": ShowsPerson(("coordinator",), _person),
    "records-request-detail": ShowsPerson(
        ("coordinator",), lambda r: {"request_id": r.records_request.pk}
    ),
    "records-request-denial-letter": ShowsPerson(
        ("coordinator",), lambda r: {"request_id": r.denied_records_request.pk}
    ),
    "records-request-review-letter": ShowsPerson(
        ("coordinator",), lambda r: {"request_id": r.reviewed_records_request.pk}
    ),
    "amendment-decide": ShowsPerson(("coordinator",), lambda r: {"amendment_id": r.amendment.pk}),
    "amendment-denial-letter": ShowsPerson(
        ("coordinator",), lambda r: {"amendment_id": r.denied_amendment.pk}
    ),
    "person-care": ShowsPerson(("clinician",), _person),
    "care-plan": ShowsPerson(("clinician",), lambda r: {"plan_id": r.plan.pk}),
    "consent-new": ShowsPerson(("coordinator",), _person),
    # Asks before revoking: names the consent and the person (the POST revokes).
    "consent-revoke": ShowsPerson(
        ("coordinator",), lambda r: {**_person(r), "consent_id": r.consent.pk}
    ),
    "disclosures": ShowsPerson(("coordinator",), _person),
    "service-refer": ShowsPerson(
        ("coordinator",),
        _person,
        query=lambda r: {"service": r.service.pk, "program": r.program.slug},
    ),
    "service-referral": ShowsPerson(
        ("coordinator", "provider"), lambda r: {"referral_id": r.service_referral.pk}
    ),
    "referral-result": ShowsPerson(
        ("coordinator",), lambda r: {**_program(r), "referral_id": r.referral.pk}
    ),
    "outreach-task": ShowsPerson(("coordinator",), lambda r: {**_program(r), "task_id": r.task.pk}),
    "encounter-detail": ShowsPerson(
        ("coordinator",), lambda r: {**_program(r), "encounter_id": r.encounter.pk}
    ),
    "encounter-new": ShowsPerson(("clinician",), _program, query=lambda r: {"person": r.person.pk}),
    "service-search": ShowsPerson(
        ("coordinator",), _program, query=lambda r: {"person": r.person.pk}
    ),
    "care-follow-up": Gated(
        "redirects to the care plan's page, which is audited",
        ("clinician",),
        lambda r: {"follow_up_id": r.follow_up.pk},
        status=302,
    ),
    "service-detail": Gated(
        "shows the service; of the person, only the number the user came with",
        ("coordinator",),
        lambda r: {**_program(r), "service_id": r.service.pk},
        query=lambda r: {"person": r.person.pk},
    ),
    # --- Lists of people -------------------------------------------------------------
    "person-search": ListsPeople(("coordinator",), query=lambda r: {"q": r.person.given_name}),
    "outreach-queue": ListsPeople(("coordinator",), _program),
    "outreach-missed": ListsPeople(("coordinator",), _program),
    "outreach-route": ListsPeople(("coordinator",), _program),
    "outreach-route-sheet": ListsPeople(("coordinator",), _program),
    "triage-list": ListsPeople(("coordinator",), _program),
    "diverted-list": ListsPeople(("coordinator", "prosecutor"), _program),
    "referral-inbox": ListsPeople(("provider",)),
    "people-match-review": ListsPeople(("coordinator",)),
    "people-match-suggest": ListsPeople(
        ("coordinator",),
        query=lambda r: {"given_name": r.person.given_name, "family_name": r.person.family_name},
    ),
    "audit-log": ListsPeople(("coordinator",)),
    "audit-export": ListsPeople(("coordinator",)),
    "amendment-list": ListsPeople(("coordinator",), _program),
    "contact-requests": ShowsPerson(("coordinator", "clinician"), _person),
    "contact-request-withdraw": WritesOnly(
        "withdraws how the person asked to be reached",
        lambda r: {"request_id": r.contact_request.pk},
        names_a_person=True,
    ),
    "records-request-list": ListsPeople(("coordinator",), _program),
    "legal-holds": ListsPeople(("coordinator",), _program),
    "break-glass-reviews": ListsPeople(("coordinator",)),
    # Who each plan is for, when it opened, whose it was; nothing the plan says.
    "care-plans-orphaned": ListsPeople(("coordinator",), _program),
    # --- Writes ----------------------------------------------------------------------
    "legal-hold-release": WritesOnly(
        "releases a legal hold", lambda r: {"slug": r.program.slug, "hold_id": 1}
    ),
    "care-goal-add": WritesOnly(
        "adds a goal", lambda r: {"plan_id": r.plan.pk}, names_a_person=True
    ),
    "care-follow-up-add": WritesOnly(
        "schedules a follow-up", lambda r: {"plan_id": r.plan.pk}, names_a_person=True
    ),
    "care-plan-status": WritesOnly(
        "closes a plan", lambda r: {"plan_id": r.plan.pk}, names_a_person=True
    ),
    "care-plan-owner": WritesOnly(
        "hands a plan over", lambda r: {"plan_id": r.plan.pk}, names_a_person=True
    ),
    "care-plan-handover": WritesOnly(
        "hands over a plan without an owner", lambda r: {"plan_id": r.plan.pk}, names_a_person=True
    ),
    "care-step-add": WritesOnly(
        "adds a step", lambda r: {"goal_id": r.goal.pk}, names_a_person=True
    ),
    "care-goal-status": WritesOnly(
        "marks a goal", lambda r: {"goal_id": r.goal.pk}, names_a_person=True
    ),
    "care-step-done": WritesOnly(
        "marks a step done", lambda r: {"step_id": r.step.pk}, names_a_person=True
    ),
    "care-follow-up-done": WritesOnly(
        "records a follow-up", lambda r: {"follow_up_id": r.follow_up.pk}, names_a_person=True
    ),
    "referral-team-step": WritesOnly(
        "records a step of the team that takes the referral's call",
        lambda r: {**_program(r), "referral_id": r.referral.pk},
        names_a_person=True,
    ),
    "triage-decide": WritesOnly(
        "decides a help request",
        lambda r: {**_program(r), "referral_id": r.referral.pk},
        names_a_person=True,
    ),
    "service-referral-status": WritesOnly(
        "moves a service referral",
        lambda r: {"referral_id": r.service_referral.pk},
        names_a_person=True,
    ),
    "service-referral-handoff": WritesOnly(
        "records a warm handoff",
        lambda r: {"referral_id": r.service_referral.pk},
        names_a_person=True,
    ),
    "service-referral-appointment": WritesOnly(
        "moves a referral's appointment",
        lambda r: {"referral_id": r.service_referral.pk},
        names_a_person=True,
    ),
    "outreach-claim": WritesOnly(
        "claims a task", lambda r: {**_program(r), "task_id": r.task.pk}, names_a_person=True
    ),
    "outreach-release": WritesOnly(
        "gives a task back to the queue",
        lambda r: {**_program(r), "task_id": r.task.pk},
        names_a_person=True,
    ),
    "outreach-assign": WritesOnly(
        "gives a task to a team",
        lambda r: {**_program(r), "task_id": r.task.pk},
        names_a_person=True,
    ),
    "outreach-checklist": WritesOnly(
        "completes a task's checklist",
        lambda r: {**_program(r), "task_id": r.task.pk},
        names_a_person=True,
    ),
    "outreach-close": WritesOnly(
        "closes a task with a reason",
        lambda r: {**_program(r), "task_id": r.task.pk},
        names_a_person=True,
    ),
    "people-match-decide": WritesOnly(
        "merges a pair or keeps it apart",
        lambda r: {"candidate_id": r.candidate.pk},
        names_a_person=True,
    ),
    "people-match-ask": WritesOnly(
        "puts two records up for review as one person",
        lambda r: {"person_id": r.candidate.person_a_id, "other_id": r.candidate.person_b_id},
        names_a_person=True,
    ),
    "people-merge-undo": WritesOnly(
        "undoes a merge", lambda r: {"merge_id": r.merge.pk}, names_a_person=True
    ),
    "people-merge-ask-again": WritesOnly(
        "puts an undone merge back for review",
        lambda r: {"merge_id": r.merge.pk},
        names_a_person=True,
    ),
    "service-capacity": WritesOnly(
        "a provider's free places", lambda r: {"service_id": r.service.pk}
    ),
    "shift-add": WritesOnly(SHIFTS, _program),
    "shift-exceptions": WritesOnly(SHIFTS, lambda r: {**_program(r), "shift_id": 1}),
    "team-feed-reset": WritesOnly(SHIFTS, lambda r: {**_program(r), "team_id": 1}),
    "team-seat-add": WritesOnly(SHIFTS, lambda r: {**_program(r), "team_id": 1}),
    "team-seat-remove": WritesOnly(SHIFTS, lambda r: {**_program(r), "team_id": 1, "seat_id": 1}),
    "my-feed-reset": WritesOnly(SHIFTS, _program),
    "team-start": WritesOnly(SHIFTS, _program),
    "team-stand-down": WritesOnly(SHIFTS, lambda r: {**_program(r), "team_id": 1}),
    # --- No person's data ------------------------------------------------------------
    "healthz": NoPersonData("whether the database answers"),
    "readyz": NoPersonData("whether the database, migrations and worker are ready"),
    "login": NoPersonData(SIGN_IN),
    "mfa": NoPersonData(SIGN_IN),
    "mfa-enrol": NoPersonData(SIGN_IN),
    "mfa-setup-code": NoPersonData(SIGN_IN),
    "logout": NoPersonData(SIGN_IN),
    "stay-signed-in": NoPersonData("renews the signed-in user's own idle sign-in"),
    "password-change": NoPersonData("the signed-in user's own password, changed"),
    "home": NoPersonData("redirects to a program"),
    "program-home": NoPersonData("counts of the program's records, no person detail"),
    "program-switch": NoPersonData("redirects to a program"),
    "admin-users": NoPersonData(ACCOUNTS),
    "account-new": NoPersonData(ACCOUNTS),
    "account": NoPersonData(ACCOUNTS),
    "account-role": NoPersonData(ACCOUNTS),
    "account-remove": NoPersonData(ACCOUNTS),
    "account-disable": NoPersonData(ACCOUNTS),
    "account-enable": NoPersonData(ACCOUNTS),
    "account-reset-mfa": NoPersonData(ACCOUNTS),
    "account-password": NoPersonData(ACCOUNTS),
    "shift-change": NoPersonData(SHIFTS),
    "notices": NoPersonData("the user's reminders, which name record numbers, never people"),
    "break-glass": NoPersonData("the form to open a record; shows back the number typed"),
    "intake-import": NoPersonData("the upload form"),
    "intake-import-map": NoPersonData("the uploaded file's column headings"),
    "intake-import-preview": NoPersonData(
        "rows of the uploader's own file; the known people a row looks like are filed under"
        " each (test_more_reads_filed_under_people.py)"
    ),
    "intake-import-done": NoPersonData("counts of rows imported"),
    "feeds-nemsis": NoPersonData("the upload form and a link to the sample file"),
    "feeds-nemsis-preview": NoPersonData("reports of the uploader's own file, nothing stored"),
    "feeds-nemsis-done": NoPersonData("counts of reports imported"),
    "feeds-nemsis-sample": NoPersonData("a synthetic sample file: nobody in it is real"),
    "help": NoPersonData("the public help form"),
    "help-thanks": NoPersonData("the public help form"),
    "help-program": NoPersonData("the public help form"),
    "referral-choose": NoPersonData("a blank referral form"),
    "referral-new": NoPersonData("a blank referral form"),
    "referral-person": NoPersonData(
        "a blank form naming the person of a referral that names no one; a referral naming "
        "someone redirects to its audited result page"
    ),
    "service-edit": NoPersonData(
        "a provider's own directory entry: its contact details, words and hours"
    ),
    "outreach-map": NoPersonData("open tasks counted by district"),
    "sla-board": NoPersonData(AGGREGATES),
    "capacity-planner": NoPersonData(AGGREGATES),
    "program-dashboard": NoPersonData(AGGREGATES),
    "spike-alerts": NoPersonData("overdoses counted per area and day, never a person"),
    "spike-check": NoPersonData("counts overdoses per area and records spike alerts"),
    "program-dashboard-section": NoPersonData(AGGREGATES),
    "program-evaluation": NoPersonData(AGGREGATES),
    "public-dashboard": NoPersonData(AGGREGATES),
    "public-dashboard-section": NoPersonData(AGGREGATES),
    "reports-quarterly": NoPersonData(AGGREGATES),
    "reports-quarterly-pdf": NoPersonData(AGGREGATES),
    "reports-export": NoPersonData(AGGREGATES),
    "reports-exports": NoPersonData("links to the files of aggregate figures"),
    "program-teams": NoPersonData(SHIFTS),
    "calendar-team": NoPersonData(SHIFTS),
    "calendar-user": NoPersonData(SHIFTS),
    "api:openapi-json": NoPersonData("the API's description"),
    "api:openapi-view": NoPersonData("the API's description"),
}

# Every operation of the API, as "METHOD /path" under /api/v1.
API: dict[str, Kind] = {
    # --- One person's record ---------------------------------------------------------
    "GET /persons/{person_id}": ShowsPerson(("coordinator",), _person),
    "GET /persons/{person_id}/timeline": ShowsPerson(("coordinator",), _person),
    "GET /persons/{person_id}/records-request": ShowsPerson(("coordinator",), _person),
    "GET /persons/{person_id}/contact-requests": ShowsPerson(("coordinator", "clinician"), _person),
    "GET /records-requests/{request_id}": ShowsPerson(
        ("coordinator",), lambda r: {"request_id": r.records_request.pk}
    ),
    "GET /persons/{person_id}/disclosures": ShowsPerson(("coordinator",), _person),
    "GET /persons/{person_id}/care-plans": ShowsPerson(("clinician",), _person),
    "GET /encounters/{encounter_id}": ShowsPerson(
        ("coordinator",), lambda r: {"encounter_id": r.encounter.pk}
    ),
    "GET /service-referrals/{referral_id}": ShowsPerson(
        ("coordinator", "provider"), lambda r: {"referral_id": r.service_referral.pk}
    ),
    # The bundle is the referral's Task, a Part 2 record: its provider reads it.
    "GET /service-referrals/{referral_id}/fhir": ShowsPerson(
        ("provider",), lambda r: {"referral_id": r.service_referral.pk}
    ),
    # --- Lists of people -------------------------------------------------------------
    "GET /persons": ListsPeople(("coordinator",), query=lambda r: {"q": r.person.family_name}),
    "GET /persons/matches": ListsPeople(
        ("coordinator",),
        query=lambda r: {"given_name": r.person.given_name, "family_name": r.person.family_name},
    ),
    "GET /match-candidates": ListsPeople(("coordinator",)),
    "GET /programs/{slug}/outreach-queue": ListsPeople(("coordinator",), _program),
    "GET /programs/{slug}/legal-holds": ListsPeople(("coordinator",), _program),
    "GET /service-referrals": ListsPeople(("coordinator", "provider")),
    "GET /break-glass": ListsPeople(("coordinator",)),
    "GET /programs/{slug}/amendments": ListsPeople(("coordinator",), _program),
    "GET /programs/{slug}/records-requests": ListsPeople(("coordinator",), _program),
    "GET /programs/{slug}/care-plans/orphaned": ListsPeople(("coordinator",), _program),
    # --- Writes ----------------------------------------------------------------------
    "POST /persons": WritesOnly("creates a person; answers with what was sent"),
    "PATCH /persons/{person_id}": WritesOnly(
        "changes a person; the record it answers with is an audited read "
        "(test_a_change_through_the_api_audits_the_record_it_answers_with)"
    ),
    "POST /match-candidates/{candidate_id}/decision": WritesOnly("decides a pair"),
    "POST /merges/{merge_id}/undo": WritesOnly("undoes a merge"),
    "POST /persons/{person_id}/amendments": WritesOnly("records a request to amend"),
    "POST /persons/{person_id}/contact-requests": WritesOnly(
        "records how the person asked to be reached"
    ),
    "POST /contact-requests/{request_id}/withdrawal": WritesOnly(
        "withdraws how the person asked to be reached"
    ),
    "POST /amendments/{amendment_id}/decision": WritesOnly("accepts or denies an amendment"),
    "POST /programs/{slug}/legal-holds": WritesOnly("sets a legal hold"),
    "POST /legal-holds/{hold_id}/release": WritesOnly("releases a legal hold"),
    "GET /programs/{slug}/spike-alerts": NoPersonData("overdoses counted per area and day"),
    "POST /amendments/{amendment_id}/disagreement": WritesOnly("keeps a disagreement"),
    "POST /amendments/{amendment_id}/extension": WritesOnly("extends the time to answer"),
    "POST /amendments/{amendment_id}/inclusion": WritesOnly(
        "records the person's asking that a denial go with disclosures"
    ),
    "POST /persons/{person_id}/records-requests": WritesOnly("logs a records request received"),
    "POST /records-requests/{request_id}/extension": WritesOnly("extends the time to answer"),
    "POST /records-requests/{request_id}/fulfilment": WritesOnly("marks a request fulfilled"),
    "POST /records-requests/{request_id}/denial": WritesOnly("denies a records request"),
    "POST /records-requests/{request_id}/partial-fulfilment": WritesOnly(
        "fulfils a records request in part"
    ),
    "POST /records-requests/{request_id}/review-request": WritesOnly(
        "records that a review of a denial was asked"
    ),
    "POST /records-requests/{request_id}/review": WritesOnly(
        "records the reviewing official's determination"
    ),
    "POST /persons/{person_id}/consents": WritesOnly("records a consent"),
    "POST /consents/{consent_id}/revoke": WritesOnly("revokes a consent"),
    "POST /persons/{person_id}/break-glass": WritesOnly("opens a record; audited as a read"),
    "POST /break-glass/{glass_id}/review": WritesOnly("marks an opening reviewed"),
    "POST /referrals": WritesOnly("records a referral"),
    "POST /referrals/{referral_id}/person": WritesOnly(
        "names the person of a referral that named no one; a referral naming someone already "
        "answers whom, as an audited read "
        "(test_naming_again_is_refused_saying_who_the_referral_names_and_no_one_else_is_named)"
    ),
    "POST /programs/{slug}/nemsis": WritesOnly("imports an EMS file; answers with counts"),
    "POST /programs/{slug}/cad-calls": WritesOnly("records 911 calls; answers with their triage"),
    # The team that took a call and its times: the call's record, read through the gate.
    "GET /calls/{call_id}/response": ShowsPerson(
        ("coordinator",), lambda r: {"call_id": r.call.pk}
    ),
    "PUT /calls/{call_id}/response": WritesOnly(
        "records the team that takes a call; answers with the team and its times"
    ),
    "GET /outreach-tasks/{task_id}": ShowsPerson(
        ("coordinator",), lambda r: {"task_id": r.task.pk}
    ),
    "POST /outreach-tasks/{task_id}/claim": WritesOnly("claims a task"),
    "POST /outreach-tasks/{task_id}/release": WritesOnly("gives a task back to the queue"),
    "POST /outreach-tasks/{task_id}/assign": WritesOnly("gives a task to a team"),
    "POST /outreach-tasks/{task_id}/attempts": WritesOnly("records an attempt"),
    "PATCH /outreach-tasks/{task_id}/checklist": WritesOnly("completes a checklist"),
    "POST /outreach-tasks/{task_id}/close": WritesOnly("closes a task with a reason"),
    "POST /encounters": WritesOnly("records an encounter"),
    "POST /persons/{person_id}/care-plans": WritesOnly("opens a plan"),
    "PATCH /care-plans/{plan_id}": WritesOnly("closes a plan"),
    "POST /care-plans/{plan_id}/owner": WritesOnly("hands a plan over"),
    "POST /care-plans/{plan_id}/handover": WritesOnly("hands over a plan without an owner"),
    "POST /care-plans/{plan_id}/goals": WritesOnly("adds a goal"),
    "PATCH /care-goals/{goal_id}": WritesOnly("marks a goal"),
    "POST /care-goals/{goal_id}/steps": WritesOnly("adds a step"),
    "PATCH /care-steps/{step_id}": WritesOnly("marks a step"),
    "POST /care-plans/{plan_id}/follow-ups": WritesOnly("schedules a follow-up"),
    "PATCH /follow-ups/{follow_up_id}": WritesOnly("records a follow-up"),
    "POST /service-referrals": WritesOnly("refers a person to a service"),
    "PATCH /service-referrals/{referral_id}": WritesOnly(
        "moves a referral; answers with an audited read of it"
    ),
    "POST /service-referrals/{referral_id}/warm-handoff": WritesOnly(
        "records a handoff; answers with an audited read of the referral"
    ),
    "PUT /service-referrals/{referral_id}/appointment": WritesOnly(
        "moves an appointment; answers with an audited read of the referral"
    ),
    "POST /services/{service_id}/capacity": WritesOnly("a provider's free places"),
    # --- No person's data ------------------------------------------------------------
    "GET /": NoPersonData("where the schema and the docs are"),
    "GET /programs": NoPersonData("the programs the user acts in"),
    "GET /programs/{slug}": NoPersonData("one program's settings"),
    "GET /programs/{slug}/on-duty": NoPersonData(SHIFTS),
    "GET /programs/{slug}/teams": NoPersonData(SHIFTS),
    "GET /services": NoPersonData("the service directory"),
    "GET /services/{service_id}": NoPersonData("the service directory"),
    "GET /programs/{slug}/metrics": NoPersonData(AGGREGATES),
    "GET /programs/{slug}/metrics/breakdown": NoPersonData(AGGREGATES),
    "GET /programs/{slug}/metrics/funnel": NoPersonData(AGGREGATES),
    "GET /programs/{slug}/evaluation": NoPersonData(AGGREGATES),
}


# --- Walking the site -----------------------------------------------------------------


def _web_patterns(
    resolver: URLResolver, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str]]:
    """(name, route) of every URL pattern, namespaced names as "ns:name"."""
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace or "") if n)
            yield from _web_patterns(entry, route, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
            yield name, route


def _api_operations() -> set[str]:
    """ "METHOD /path" of every API operation, from the OpenAPI description."""
    paths = api.get_openapi_schema()["paths"]
    return {
        f"{method.upper()} {path.removeprefix(API_ROOT)}"
        for path, operations in paths.items()
        for method in operations
    }


def _as_openapi(route: str) -> str:
    """ "api/v1/persons/<person_id>" as the OpenAPI path "/persons/{person_id}"."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", "/" + route).removeprefix(API_ROOT)


def test_every_url_and_operation_is_classified() -> None:
    operations = _api_operations()
    operation_paths = {op.split(" ", 1)[1] for op in operations}
    seen: set[str] = set()
    unclassified = []
    for name, route in _web_patterns(get_resolver()):
        if name.startswith("api:") and _as_openapi(route) in operation_paths:
            continue  # an API operation: classified in API
        seen.add(name)
        if name not in WEB:
            unclassified.append(f"{name} ({route})")
    unclassified += sorted(operations - set(API))
    stale = sorted((set(WEB) - seen) | (set(API) - operations))
    assert not unclassified, (
        "Classify each new URL in WEB or API of this module (does it show a person's data?): "
        + ", ".join(unclassified)
    )
    assert not stale, "Classified but no longer routed: " + ", ".join(stale)
    gets = [key for key, kind in API.items() if isinstance(kind, WritesOnly) and key[:4] == "GET "]
    assert not gets, f"A GET is a read, not WritesOnly: {gets}"


# --- The records ----------------------------------------------------------------------


def build_records() -> Records:
    load_programs(SYSTEM)
    pad = Program.objects.get(slug="pad")
    world = build_world(pad)
    person = world.person
    # Coordinates, so the service search measures from the person's address.
    person.latitude, person.longitude = 39.9917, -75.1300
    person.save(update_fields=["latitude", "longitude"])
    users = {
        "coordinator": reader(world, Role.COORDINATOR),
        "clinician": reader(world, Role.CLINICIAN),
        "provider": reader(world, Role.PROVIDER),
        "prosecutor": reader(world, Role.PROSECUTOR),
        "outsider": _coordinator_elsewhere(Program.objects.get(slug="pco")),
    }
    now = timezone.now()
    plan = CarePlan.objects.create(
        program=pad,
        person=person,
        title="Stable housing and treatment",
        opened_on=now.date(),
        owner=users["clinician"],
    )
    goal = CarePlanGoal.objects.create(plan=plan, need="housing", description="A shelter bed")
    other = PersonFactory.create()
    Participation.objects.create(person=other, program=pad, first_seen_at=now)
    referral = Referral.objects.get(person=person)
    return Records(
        program=pad,
        person=person,
        referral=referral,
        call=Call.objects.create(
            program=pad,
            referral=referral,
            person=person,
            received_at=referral.received_at,
            call_type=Call.CallType.SUICIDAL,
            co_responders_sent=True,
        ),
        task=OutreachTask.objects.get(person=person),
        encounter=Encounter.objects.get(person=person),
        plan=plan,
        goal=goal,
        step=CarePlanStep.objects.create(
            goal=goal, description="Call the shelter", owner=users["clinician"]
        ),
        follow_up=FollowUp.objects.create(
            plan=plan, due_at=now + dt.timedelta(days=2), kind="phone", owner=users["clinician"]
        ),
        service=world.service_referral.service,
        service_referral=world.service_referral,
        consent=consent_for(world, users["coordinator"]),
        candidate=MatchCandidate.objects.create(person_a=person, person_b=other, probability=0.9),
        merge=Merge.objects.create(kept=person, merged=other, at=now),
        amendment=Amendment.objects.create(
            person=person,
            program=pad,
            record_kind="person",
            record_id=person.pk,
            field="phone",
            proposed_value="215-555-0177",
            original_value=person.phone,
            received_on=now.date(),
        ),
        denied_amendment=Amendment.objects.create(
            person=person,
            program=pad,
            record_kind="person",
            record_id=person.pk,
            field="address",
            proposed_value="1 Elsewhere St",
            original_value=person.address,
            received_on=now.date(),
            status=Amendment.Status.DENIED,
            decided_at=now,
            denial_grounds="accurate_and_complete",
            denial_reason="The address is the one the person gave",
        ),
        records_request=RecordsRequest.objects.create(
            person=person, program=pad, received_on=now.date()
        ),
        denied_records_request=RecordsRequest.objects.create(
            person=person,
            program=pad,
            received_on=now.date(),
            status=RecordsRequest.Status.DENIED,
            denied_at=now,
            denial_grounds=["psychotherapy_notes"],
            denial_reason="The notes are the therapist's own",
        ),
        reviewed_records_request=RecordsRequest.objects.create(
            person=person,
            program=pad,
            received_on=now.date(),
            status=RecordsRequest.Status.DENIED,
            denied_at=now,
            denial_grounds=["endangers_life_or_safety"],
            denial_reason="Reading them now would put the person at risk",
            review_asked_on=now.date(),
            reviewed_at=now,
            reviewed_on=now.date(),
            review_determination="upheld",
            review_reason="The risk stands",
        ),
        contact_request=ContactRequest.objects.create(
            person=person,
            program=pad,
            limits=["no_home_visits"],
            phone="215-555-0188",
            asked_on=now.date(),
        ),
        users=users,
    )


def _coordinator_elsewhere(program: Program) -> User:
    """A coordinator of another program, from another organisation."""
    org = OrganizationFactory.create(slug="elsewhere", name="Elsewhere County", kind="county")
    user = UserFactory.create(username="elsewhere", role=Role.COORDINATOR.value, organization=org)
    MembershipFactory.create(user=user, program=program, role=Role.COORDINATOR.value)
    return user


class Visitor:
    """Signed-in clients, one per persona, for the site and for the API."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self._web: dict[str, Client] = {}
        self._api: dict[str, Client] = {}

    def web(self, who: str) -> Client:
        if who not in self._web:
            self._web[who] = Client()
            self._web[who].force_login(self.users[who])
        return self._web[who]

    def api(self, who: str) -> Client:
        if who not in self._api:
            token = issue_api_token(SYSTEM, self.users[who])
            self._api[who] = Client(headers={"Authorization": f"Bearer {token}"})
        return self._api[who]


def _url(base: str, query: dict[str, Any]) -> str:
    return f"{base}?{urlencode(query)}" if query else base


def _web_url(name: str, kind: ShowsPerson | Gated | ListsPeople | WritesOnly, r: Records) -> str:
    query = {} if isinstance(kind, WritesOnly) else kind.query(r)
    return _url(reverse(name, kwargs=kind.kwargs(r)), query)


def _api_url(key: str, kind: ShowsPerson | Gated | ListsPeople, r: Records) -> str:
    path = key.split(" ", 1)[1].format(**kind.kwargs(r))
    return _url(API_ROOT + path, kind.query(r))


def _last_event_id() -> int:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def _reads_of(r: Records, who: str, since: int) -> bool:
    return AuditEvent.objects.filter(
        id__gt=since,
        actor=r.users[who],
        action=AuditEvent.Action.READ,
        outcome=AuditEvent.Outcome.SUCCESS,
        person_id=r.person.pk,
    ).exists()


def _leaks(r: Records, body: bytes, asked: dict[str, Any] | None = None) -> bool:
    """True when the answer names the person (beyond any name the asker typed)."""
    text = body.decode("utf-8", "replace")
    typed = {str(value) for value in (asked or {}).values()}
    names = {r.person.given_name, r.person.family_name} - typed
    return any(name in text for name in names)


def _check_person_read(
    label: str, r: Records, get: Callable[[str], Any], who: str, expected: int
) -> list[str]:
    since = _last_event_id()
    response = get(who)
    problems = []
    if response.status_code != expected:
        problems.append(f"{label}: {who} got {response.status_code}, expected {expected}")
    elif not _reads_of(r, who, since):
        problems.append(f"{label}: {who}'s read left no audit event naming the person")
    return problems


def _check_outsider(label: str, r: Records, get: Callable[[str], Any]) -> list[str]:
    since = _last_event_id()
    response = get("outsider")
    problems = []
    if response.status_code != 404:
        problems.append(f"{label}: a coordinator of another program got {response.status_code}")
    if _leaks(r, response.content):
        problems.append(f"{label}: the outsider's answer names the person")
    if _reads_of(r, "outsider", since):
        problems.append(f"{label}: the outsider's attempt is audited as a successful read")
    return problems


def _body(response: Any) -> bytes:
    """What an answer carries, whether sent whole or streamed (a file download)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _check_list(label: str, r: Records, get: Callable[[str], Any], kind: ListsPeople) -> list[str]:
    problems = []
    for who in kind.readers:
        since = _last_event_id()
        response = get(who)
        if response.status_code != 200:
            problems.append(f"{label}: {who} got {response.status_code}")
            continue
        read = AuditEvent.objects.filter(
            id__gt=since,
            actor=r.users[who],
            action__in=[AuditEvent.Action.READ, AuditEvent.Action.EXPORT],
        ).exists()
        if not read:
            problems.append(f"{label}: {who}'s list read left no audit event")
    outsider = get("outsider")
    if _leaks(r, _body(outsider), kind.query(r)):
        problems.append(f"{label}: a coordinator of another program sees the person listed")
    return problems


@pytest.mark.django_db
def test_every_page_showing_a_person_is_gated_and_audited() -> None:
    r = build_records()
    visitor = Visitor(r.users)
    problems: list[str] = []
    for name, kind in WEB.items():
        if isinstance(kind, NoPersonData | WritesOnly):
            continue
        url = _web_url(name, kind, r)

        def get(who: str, url: str = url) -> Any:
            return visitor.web(who).get(url)

        problems += _check_outsider(name, r, get) if not isinstance(kind, ListsPeople) else []
        if isinstance(kind, ShowsPerson):
            for who in kind.readers:
                problems += _check_person_read(name, r, get, who, kind.status)
        elif isinstance(kind, Gated):
            for who in kind.readers:
                status = get(who).status_code
                if status != kind.status:
                    problems.append(f"{name}: {who} got {status}, expected {kind.status}")
        else:
            problems += _check_list(name, r, get, kind)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_every_endpoint_showing_a_person_is_gated_and_audited() -> None:
    r = build_records()
    visitor = Visitor(r.users)
    problems: list[str] = []
    for key, kind in API.items():
        if isinstance(kind, NoPersonData | WritesOnly):
            continue
        url = _api_url(key, kind, r)

        def get(who: str, url: str = url) -> Any:
            return visitor.api(who).get(url)

        if isinstance(kind, ShowsPerson):
            problems += _check_outsider(key, r, get)
            for who in kind.readers:
                problems += _check_person_read(key, r, get, who, kind.status)
        elif isinstance(kind, ListsPeople):
            problems += _check_list(key, r, get, kind)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_pages_that_only_write_answer_no_get_and_hide_the_person_from_outsiders() -> None:
    r = build_records()
    visitor = Visitor(r.users)
    problems: list[str] = []
    for name, kind in WEB.items():
        if not isinstance(kind, WritesOnly):
            continue
        url = _web_url(name, kind, r)
        status = visitor.web("coordinator").get(url).status_code
        if status != 405:
            problems.append(f"{name}: a GET got {status}; a page that shows data is no WritesOnly")
        if kind.names_a_person:
            since = _last_event_id()
            response = visitor.web("outsider").post(url, {})
            if response.status_code != 404:
                problems.append(f"{name}: an outsider's POST got {response.status_code}")
            trace = AuditEvent.objects.filter(id__gt=since, person_id=r.person.pk).exclude(
                outcome=AuditEvent.Outcome.DENIED
            )
            if trace.exists():
                problems.append(f"{name}: an outsider's POST left an event on the person")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_a_change_through_the_api_audits_the_record_it_answers_with() -> None:
    r = build_records()
    client = Visitor(r.users).api("coordinator")
    since = _last_event_id()
    response = client.patch(
        f"{API_ROOT}/persons/{r.person.pk}",
        {"phone": "215-555-0199", "version": r.person.version},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "215-555-0199"
    assert _reads_of(r, "coordinator", since)
