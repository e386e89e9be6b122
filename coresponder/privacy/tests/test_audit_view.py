"""/audit/: coordinators review their programs' trail, administrators all of it, nobody else;
/audit/export.csv downloads what it lists, every page of it.

These tests sign in with `client.force_login`, which skips the sign-in form
and its second factor, and stamp the session as a finished sign-in would; they
test the page, not the sign-in. If the sign-in's session stamp changes, so
must `signed_in` below.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from coresponder.core.audit import Actor, record_event
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.people.models import Participation, Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.privacy.views import EXPORT_COLUMNS, PAGE_SIZE
from coresponder.programs.models import Program, User
from coresponder.programs.signin import SIGNED_IN_AT
from coresponder.programs.tests.factories import MembershipFactory

AUDIT = "/audit/"
EXPORT = "/audit/export.csv"
MARCH_10 = dt.datetime(2025, 3, 10, 12, 0, 0, 123456, tzinfo=dt.UTC)

Recorder = Callable[..., AuditEvent]


@pytest.fixture
def record(officer: User) -> Recorder:
    """`record(**fields)`: one event by the officer from 10.1.2.3, at a frozen time if `at`."""

    def make(at: dt.datetime | None = None, **fields: Any) -> AuditEvent:
        fields.setdefault("object_type", "people.person")
        actor = Actor(user=fields.pop("user", officer), where="10.1.2.3")
        action = fields.pop("action", "read")
        with mock.patch("coresponder.core.audit.timezone.now", return_value=at or timezone.now()):
            return record_event(actor, action, **fields)

    return make


def participant_of(program: Program) -> Person:
    person = PersonFactory.create()
    Participation.objects.create(person=person, program=program, first_seen_at=MARCH_10)
    return person


def signed_in(client: Client, user: User) -> Client:
    """The client, signed in as `user` as though both factors had just been given."""
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    return client


def event_ids(response: Any) -> list[int]:
    """The ids of the events listed, in page order, read from the rendered rows."""
    return [row["id"] for row in response.context["rows"]]


def reviews(user: User) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="audit_log", actor=user).order_by("id"))


def test_the_program_home_links_a_coordinator_to_the_audit_log(
    coordinator: User, client: Client
) -> None:
    page = signed_in(client, coordinator).get("/programs/pad/").content.decode()

    assert f'href="{reverse("audit-log")}?program=pad"' in page


def test_the_program_home_shows_an_officer_no_audit_link(officer: User, client: Client) -> None:
    page = signed_in(client, officer).get("/programs/pad/").content.decode()

    assert reverse("audit-log") not in page


def test_a_coordinator_sees_their_programs_events_and_events_about_their_participants(
    coordinator: User, pad: Program, pco: Program, record: Recorder, client: Client
) -> None:
    filed_under_pad = record(program_slug="pad")
    about_a_pad_participant = record(person_id=participant_of(pad).pk)
    filed_under_pco = record(program_slug="pco")
    about_a_pco_participant = record(person_id=participant_of(pco).pk)
    unfiled = record(object_type="programs.organization")

    response = signed_in(client, coordinator).get(AUDIT)

    assert response.status_code == 200
    shown = set(event_ids(response))
    assert {filed_under_pad.pk, about_a_pad_participant.pk} <= shown
    assert not {filed_under_pco.pk, about_a_pco_participant.pk, unfiled.pk} & shown


def test_an_administrator_sees_every_event(
    admin: User, pco: Program, record: Recorder, client: Client
) -> None:
    elsewhere = record(program_slug="pco", person_id=participant_of(pco).pk)
    unfiled = record(object_type="programs.organization")

    response = signed_in(client, admin).get(AUDIT)

    assert response.status_code == 200
    assert {elsewhere.pk, unfiled.pk} <= set(event_ids(response))
    assert response.context["page"].paginator.count == AuditEvent.objects.count() - 1


@pytest.mark.parametrize(
    "persona", ["officer", "clinician", "provider", "prosecutor", "analyst", "outsider"]
)
def test_everyone_else_is_told_the_page_does_not_exist(
    persona: str, request: pytest.FixtureRequest, client: Client
) -> None:
    user: User = request.getfixturevalue(persona)

    response = signed_in(client, user).get(AUDIT)

    assert response.status_code == 404
    (denied,) = reviews(user)
    assert (denied.action, denied.outcome) == ("read", "denied")


def test_a_coordinator_of_another_program_is_not_a_coordinator_here(
    officer: User, pco: Program, record: Recorder, client: Client
) -> None:
    MembershipFactory.create(user=officer, program=pco, role=Role.COORDINATOR.value)
    in_pad = record(program_slug="pad")
    in_pco = record(program_slug="pco")

    response = signed_in(client, officer).get(AUDIT)
    asking_for_pad = client.get(AUDIT, {"program": "pad"})

    assert response.status_code == 200
    assert in_pco.pk in event_ids(response)
    assert in_pad.pk not in event_ids(response)
    assert asking_for_pad.status_code == 200
    assert asking_for_pad.context["valid"] is False
    assert asking_for_pad.context["rows"] == []


def test_an_anonymous_visitor_is_sent_to_sign_in(db: None, client: Client) -> None:
    response = client.get(AUDIT)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_each_row_shows_the_time_to_a_hundredth_of_a_second_and_every_column(
    coordinator: User, record: Recorder, client: Client
) -> None:
    record(
        at=MARCH_10,
        program_slug="pad",
        object_type="people.person",
        object_id=42,
        fields=["phone", "given_name"],
        purpose="follow-up visit",
        outcome="denied",
    )

    page = signed_in(client, coordinator).get(AUDIT, {"object_type": "people.person"})
    html = page.content.decode()

    # Noon UTC is 08:00 in Philadelphia, the coordinator's program, on daylight time.
    assert (
        '<time datetime="2025-03-10T08:00:00-04:00">Mon 10 Mar 2025, 08:00:00.12 EDT</time>' in html
    )
    for text in ("officer", "Read", "Person 42", "Given name; Phone", "follow-up visit"):
        assert text in html
    assert "people.person" in html  # the type as the filter takes it
    assert "Denied" in html
    assert "10.1.2.3" in html


def test_merges_and_records_read_by_name_not_by_code(
    coordinator: User, record: Recorder, client: Client
) -> None:
    record(program_slug="pad", action="merge", object_type="operations.legalhold", object_id=7)
    record(program_slug="pad", action="unmerge", object_type="privacy.breakglass")
    record(program_slug="pad", object_type="audit_log")
    page = signed_in(client, coordinator).get(AUDIT)
    actions = [row["action"] for row in page.context["rows"]]
    objects = [row["object_label"] for row in page.context["rows"]]
    assert "Merge of two records" in actions and "Merge undone" in actions
    assert {"Legal hold", "Break glass", "Audit log"} <= set(objects)
    assert "Legal hold 7" in page.content.decode()
    merges = signed_in(client, coordinator).get(AUDIT, {"action": "merge"})
    assert [row["action"] for row in merges.context["rows"]] == ["Merge of two records"]


def test_a_sign_out_when_idle_reads_in_words_beside_other_sign_outs(
    admin: User, officer: User, record: Recorder, client: Client
) -> None:
    record(action="logoff", object_type="programs.user", object_id=officer.pk)
    record(
        action="logoff",
        object_type="programs.user",
        object_id=officer.pk,
        detail={"ended": "idle"},
    )
    page = signed_in(client, admin).get(AUDIT, {"action": "logoff"})
    actions = [row["action"] for row in page.context["rows"]]
    assert actions == ["Sign-out, idle too long", "Sign-out"]
    assert '<td data-label="Action">Sign-out, idle too long</td>' in page.content.decode()


def test_events_about_no_stored_record_and_their_programs_read_in_words(
    coordinator: User, record: Recorder, client: Client
) -> None:
    record(program_slug="pad", object_type="planning.capacity")
    record(program_slug="pad", object_type="outreach.sla")
    page = signed_in(client, coordinator).get(AUDIT)
    html = page.content.decode()
    objects = {row["object_label"] for row in page.context["rows"]}
    assert {"Capacity plan", "Follow-up timeliness board"} <= objects
    assert "Planning.capacity" not in html and "Outreach.sla" not in html
    # The program by its name; the kind of record chosen from a list in words.
    assert "Philadelphia" in html and "program pad" not in html
    assert '<option value="planning.capacity">Capacity plan</option>' in html
    chosen = signed_in(client, coordinator).get(AUDIT, {"object_type": "outreach.sla"})
    assert [row["object_label"] for row in chosen.context["rows"]] == ["Follow-up timeliness board"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"actor": "COORDINATOR"}, {"by_coordinator"}),
        ({"action": "change"}, {"changed"}),
        ({"outcome": "failed"}, {"failed"}),
        ({"object_type": "encounters.encounter"}, {"encounter"}),
        ({"date_from": "2025-03-11", "date_to": "2025-03-11"}, {"march_11"}),
        ({"date_to": "2025-03-09"}, {"march_9"}),
        ({"date_from": "2025-03-12"}, {"by_coordinator"}),
    ],
)
def test_the_filters_narrow_the_list(
    filters: dict[str, str],
    expected: set[str],
    coordinator: User,
    record: Recorder,
    client: Client,
) -> None:
    # Dates are days on the coordinator's clock: Philadelphia's.
    philadelphia = ZoneInfo("America/New_York")
    march_9 = dt.datetime(2025, 3, 9, 23, 59, 59, 990000, tzinfo=philadelphia)
    march_11 = dt.datetime(2025, 3, 11, 0, 0, 0, 0, tzinfo=philadelphia)
    march_13 = dt.datetime(2025, 3, 13, 9, 0, tzinfo=dt.UTC)
    events = {
        "march_9": record(at=march_9, program_slug="pad"),
        "march_11": record(at=march_11, program_slug="pad"),
        "changed": record(at=MARCH_10, program_slug="pad", action="change"),
        "failed": record(at=MARCH_10, program_slug="pad", outcome="failed"),
        "encounter": record(at=MARCH_10, program_slug="pad", object_type="encounters.encounter"),
        "by_coordinator": record(at=march_13, program_slug="pad", user=coordinator),
    }
    names = {event.pk: name for name, event in events.items()}

    response = signed_in(client, coordinator).get(AUDIT, filters)

    assert response.status_code == 200
    assert {names[pk] for pk in event_ids(response) if pk in names} == expected


def test_the_person_and_program_filters_follow_participation(
    coordinator: User, pco: Program, record: Recorder, client: Client
) -> None:
    MembershipFactory.create(user=coordinator, program=pco, role=Role.COORDINATOR.value)
    pad_person = participant_of(Program.objects.get(slug="pad"))
    about_pad_person = record(person_id=pad_person.pk)
    about_someone_else = record(person_id=participant_of(pco).pk)
    filed_under_pco = record(program_slug="pco")

    by_person = signed_in(client, coordinator).get(AUDIT, {"person": pad_person.pk})
    by_program = client.get(AUDIT, {"program": "pad"})

    assert event_ids(by_person) == [about_pad_person.pk]
    assert about_pad_person.pk in event_ids(by_program)
    assert not {about_someone_else.pk, filed_under_pco.pk} & set(event_ids(by_program))


def test_events_are_listed_newest_first(
    coordinator: User, record: Recorder, client: Client
) -> None:
    older = record(at=MARCH_10, program_slug="pad")
    newer = record(at=MARCH_10 + dt.timedelta(milliseconds=10), program_slug="pad")

    response = signed_in(client, coordinator).get(AUDIT, {"object_type": "people.person"})

    assert event_ids(response)[:2] == [newer.pk, older.pk]


@pytest.mark.parametrize(
    "filters",
    [
        {"person": "abc"},
        {"person": str(2**63)},
        {"date_from": "2025-13-01"},
        {"date_from": "2025-03-12", "date_to": "2025-03-11"},
        {"action": "explode"},
        {"program": "qrt"},
    ],
)
def test_a_bad_filter_is_explained_and_shows_no_events(
    filters: dict[str, str], coordinator: User, record: Recorder, client: Client
) -> None:
    record(program_slug="pad")

    response = signed_in(client, coordinator).get(AUDIT, filters)

    assert response.status_code == 200
    assert response.context["rows"] == []
    html = response.content.decode()
    assert "usa-error-message" in html
    assert 'aria-invalid="true"' in html


def test_the_last_possible_date_is_accepted(
    coordinator: User, record: Recorder, client: Client
) -> None:
    event = record(program_slug="pad")

    response = signed_in(client, coordinator).get(AUDIT, {"date_to": "9999-12-31"})

    assert response.status_code == 200
    assert event.pk in event_ids(response)


def test_fifty_events_a_page_with_counts_and_links_that_keep_the_filters(
    coordinator: User, record: Recorder, client: Client
) -> None:
    for n in range(120):
        record(at=MARCH_10 + dt.timedelta(seconds=n), program_slug="pad", object_id=n)

    first = signed_in(client, coordinator).get(AUDIT, {"object_type": "people.person"})
    last = client.get(AUDIT, {"object_type": "people.person", "page": "3"})

    assert len(first.context["rows"]) == 50
    html = first.content.decode()
    assert "Showing events 1–50 of 120, newest first." in html
    assert 'href="?object_type=people.person&amp;page=2"' in html
    assert len(last.context["rows"]) == 20
    assert "Showing events 101–120 of 120" in last.content.decode()


def test_the_page_makes_the_same_few_queries_however_many_events_it_lists(
    coordinator: User,
    pad: Program,
    record: Recorder,
    client: Client,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(60):
        record(program_slug="pad", person_id=participant_of(pad).pk if n % 2 else None)
    signed_in(client, coordinator)

    # Session, user, scope, count, page, the review (5), the program switcher, session save.
    with django_assert_max_num_queries(15):
        response = client.get(AUDIT, {"program": "pad", "action": "read"})

    assert len(response.context["rows"]) == 50


def test_opening_the_page_is_itself_recorded_with_the_filters(
    coordinator: User, client: Client
) -> None:
    signed_in(client, coordinator).get(
        AUDIT, {"actor": "officer", "date_from": "2025-03-01", "page": "1"}
    )

    (review,) = reviews(coordinator)
    assert (review.action, review.object_type, review.outcome) == ("read", "audit_log", "success")
    assert review.program_slug == "pad"
    assert review.detail == {
        "filters": {"actor": "officer", "date_from": "2025-03-01"},
        "page": 1,
    }
    assert review.where == "127.0.0.1"


def test_a_review_with_bad_filters_is_recorded_too(coordinator: User, client: Client) -> None:
    signed_in(client, coordinator).get(AUDIT, {"person": "abc"})

    (review,) = reviews(coordinator)
    assert review.detail == {"filters": {}, "page": 1, "invalid": ["person"]}


def test_the_page_is_labelled_captioned_and_free_of_inline_script_and_style(
    coordinator: User, record: Recorder, client: Client
) -> None:
    record(program_slug="pad")

    html = signed_in(client, coordinator).get(AUDIT).content.decode()

    for name in ("actor", "action", "outcome", "person", "object_type", "date_from", "date_to"):
        assert f'<label class="usa-label" for="id_{name}">' in html
    assert '<label class="usa-label" for="id_program">' in html
    assert "<caption" in html
    assert '<th scope="col">Source address</th>' in html
    assert '<th scope="row"' in html
    assert 'type="date"' in html
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


# The download: every page of what the page lists, as a file.
def rows_of(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "spreadsheets need the byte-order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(body[1:])))


def exports(user: User) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="audit_log", actor=user, action="export").order_by(
            "id"
        )
    )


def test_a_coordinator_downloads_every_page_of_their_programs_events(
    coordinator: User, pad: Program, pco: Program, record: Recorder, client: Client
) -> None:
    for n in range(PAGE_SIZE + 5):
        record(program_slug="pad", object_id=f"ours-{n}")
    about_a_participant = record(person_id=participant_of(pad).pk, object_id="participant")
    record(program_slug="pco", object_id="theirs")

    response = signed_in(client, coordinator).get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-events-')
    assert "no-store" in response["Cache-Control"]
    rows = rows_of(response)
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    ids = {row["Record id"]: row for row in rows}
    assert {f"ours-{n}" for n in range(PAGE_SIZE + 5)} <= set(ids)
    assert ids["participant"]["Person id"] == str(about_a_participant.person_id)
    assert "theirs" not in ids


def test_each_row_reads_in_words_on_the_programs_clock_with_the_codes_beside(
    coordinator: User, record: Recorder, client: Client
) -> None:
    record(
        at=MARCH_10,
        program_slug="pad",
        action="change",
        object_type="encounters.encounter",
        object_id="42",
        fields=["disposition"],
        purpose="treatment",
    )

    (row,) = [
        r
        for r in rows_of(signed_in(client, coordinator).get(EXPORT, {"action": "change"}))
        if r["Record id"] == "42"
    ]

    assert row["Time"] == "Mon 10 Mar 2025, 08:00:00.12 EDT"
    assert row["Zone"] == "America/New_York"
    assert row["Time (UTC)"] == "2025-03-10T12:00:00.123456+00:00"
    assert (row["Action"], row["Action code"]) == ("Change", "change")
    assert (row["Kind of record"], row["Kind code"]) == ("Encounter", "encounters.encounter")
    assert (row["Program"], row["Program code"]) == (
        "Philadelphia Police-Assisted Diversion",
        "pad",
    )
    assert (row["Outcome"], row["Outcome code"]) == ("Success", "success")
    assert row["Actor"] == "officer"
    assert row["Source address"] == "10.1.2.3"
    assert row["Purpose"] == "treatment"


def test_a_time_in_the_file_carries_its_year_even_this_year(
    coordinator: User, record: Recorder, client: Client
) -> None:
    now = timezone.now()
    record(at=now, program_slug="pad", object_id="today")

    (row,) = [
        r for r in rows_of(signed_in(client, coordinator).get(EXPORT)) if r["Record id"] == "today"
    ]

    assert str(now.astimezone(ZoneInfo("America/New_York")).year) in row["Time"]


def test_the_file_holds_what_the_filters_choose(
    coordinator: User, record: Recorder, client: Client
) -> None:
    record(program_slug="pad", action="change", object_id="kept")
    record(program_slug="pad", action="read", object_id="left")

    rows = rows_of(signed_in(client, coordinator).get(EXPORT, {"action": "change", "page": "3"}))

    assert {r["Record id"] for r in rows} == {"kept"}


def test_text_a_spreadsheet_would_run_is_quoted(
    coordinator: User, record: Recorder, client: Client
) -> None:
    record(program_slug="pad", object_id="=HYPERLINK(1)", purpose="@SUM(A1)")

    (row,) = [
        r for r in rows_of(signed_in(client, coordinator).get(EXPORT)) if "HYPER" in r["Record id"]
    ]

    assert row["Record id"] == "'=HYPERLINK(1)"
    assert row["Purpose"] == "'@SUM(A1)"


def test_the_download_is_itself_recorded_with_its_filters_and_count(
    coordinator: User, record: Recorder, client: Client
) -> None:
    record(program_slug="pad", action="change")
    record(program_slug="pad", action="change")

    rows = rows_of(signed_in(client, coordinator).get(EXPORT, {"action": "change"}))

    (export,) = exports(coordinator)
    assert export.outcome == "success"
    assert export.program_slug == "pad"
    assert export.detail["filters"] == {"action": "change"}
    assert export.detail["events"] == len(rows) == 2


def test_bad_filters_download_nothing_and_say_why(
    coordinator: User, record: Recorder, client: Client
) -> None:
    record(program_slug="pad")

    response = signed_in(client, coordinator).get(EXPORT, {"date_from": "not a date"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "usa-error-message" in response.content.decode()
    (export,) = exports(coordinator)
    assert export.outcome == "failed"
    assert export.detail["invalid"] == ["date_from"]


@pytest.mark.parametrize(
    "persona", ["officer", "clinician", "provider", "prosecutor", "analyst", "outsider"]
)
def test_no_one_else_can_download_the_trail(
    persona: str, request: pytest.FixtureRequest, client: Client
) -> None:
    user: User = request.getfixturevalue(persona)

    response = signed_in(client, user).get(EXPORT)

    assert response.status_code == 404
    (denied,) = AuditEvent.objects.filter(object_type="audit_log", actor=user)
    assert (denied.action, denied.outcome) == ("read", "denied")


def test_the_audit_page_links_the_download_with_its_filters_and_not_its_page(
    coordinator: User, record: Recorder, client: Client
) -> None:
    for _ in range(3):
        record(program_slug="pad", action="change")

    html = (
        signed_in(client, coordinator)
        .get("/audit/", {"action": "change", "page": "1"})
        .content.decode()
    )

    assert 'href="/audit/export.csv?action=change' in html
    assert "page=1" not in html.split('href="/audit/export.csv', 1)[1].split('"', 1)[0]
    assert "Download all 3 events under these filters (CSV)" in html


def test_an_administrator_downloads_every_program(
    admin: User, pco: Program, record: Recorder, client: Client
) -> None:
    record(program_slug="pco", object_id="elsewhere")
    record(object_type="programs.organization", object_id="unfiled")

    ids = {r["Record id"] for r in rows_of(signed_in(client, admin).get(EXPORT))}

    assert {"elsewhere", "unfiled"} <= ids
