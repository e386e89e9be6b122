"""The web shell: health check, sign-in, and each program's home page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from coresponder.conftest import member_of, sign_in
from coresponder.domain.vocabulary import Role
from coresponder.programs.models import Program, User
from coresponder.programs.tests.factories import (
    MembershipFactory,
    TeamFactory,
    TeamMemberFactory,
    UserFactory,
)


def test_the_health_check_answers_without_sign_in(db: None, client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_the_health_check_only_answers_get(db: None, client: Client) -> None:
    assert client.post("/healthz").status_code == 405


def test_an_anonymous_visitor_is_sent_to_sign_in(db: None, client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_an_anonymous_visitor_cannot_open_a_program_home(
    programs: dict[str, Program], client: Client
) -> None:
    response = client.get("/programs/pad/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_coordinator_signs_in_and_lands_on_their_program_home_with_the_roster(
    coordinator: User, officer: User, clinician: User, client: Client
) -> None:
    sign_in(client, coordinator)

    signed_in = client.get("/", follow=True)

    assert signed_in.redirect_chain[-1] == ("/programs/pad/", 302)
    page = signed_in.content.decode()
    assert "Philadelphia Police-Assisted Diversion" in page
    assert 'id="roster-heading"' in page
    for member in (officer, clinician, coordinator):
        assert member.display_name in page


def test_a_wrong_password_does_not_sign_in(coordinator: User, client: Client) -> None:
    response = client.post(reverse("login"), {"username": "coordinator", "password": "wrong"})

    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_the_program_switcher_form_takes_the_user_to_the_chosen_program(
    officer: User, pco: Program, client: Client
) -> None:
    MembershipFactory.create(user=officer, program=pco)
    client.force_login(officer)

    response = client.get(reverse("program-switch"), {"program": "pco"})

    assert response.status_code == 302
    assert response["Location"] == "/programs/pco/"


@pytest.mark.parametrize("slug", ["pco", "atlantis", ""])
def test_the_program_switcher_form_answers_404_for_a_program_not_theirs(
    slug: str, officer: User, client: Client
) -> None:
    client.force_login(officer)

    assert client.get(reverse("program-switch"), {"program": slug}).status_code == 404


def test_the_program_switcher_needs_a_sign_in(programs: dict[str, Program], client: Client) -> None:
    response = client.get(reverse("program-switch"), {"program": "pad"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_officers_program_home_does_not_show_the_roster(
    officer: User, clinician: User, client: Client
) -> None:
    client.force_login(officer)

    response = client.get("/programs/pad/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Philadelphia Police-Assisted Diversion" in page
    assert 'id="roster-heading"' not in page
    assert clinician.display_name not in page


@pytest.mark.parametrize("persona", ["clinician", "provider", "prosecutor", "analyst"])
def test_no_one_below_coordinator_sees_the_roster(
    persona: str, request: pytest.FixtureRequest, client: Client
) -> None:
    client.force_login(request.getfixturevalue(persona))

    response = client.get("/programs/pad/")

    assert response.status_code == 200
    assert 'id="roster-heading"' not in response.content.decode()


def test_an_administrator_sees_any_programs_roster(
    admin: User, pco: Program, client: Client
) -> None:
    member = UserFactory.create(display_name="Rory Recovery-Coach", role=Role.RECOVERY_COACH.value)
    MembershipFactory.create(user=member, program=pco)
    client.force_login(admin)

    response = client.get("/programs/pco/")

    assert response.status_code == 200
    assert "Rory Recovery-Coach" in response.content.decode()


def test_a_user_not_in_a_program_gets_404_on_its_home(outsider: User, client: Client) -> None:
    client.force_login(outsider)

    assert client.get("/programs/pad/").status_code == 404


def test_a_program_of_someone_elses_looks_like_a_missing_one(officer: User, client: Client) -> None:
    client.force_login(officer)

    assert client.get("/programs/pco/").status_code == 404
    assert client.get("/programs/atlantis/").status_code == 404


def test_home_returns_a_user_to_the_program_they_last_opened(
    officer: User, pco: Program, client: Client
) -> None:
    MembershipFactory.create(user=officer, program=pco)
    client.force_login(officer)
    assert client.get("/")["Location"] == "/programs/pad/"

    client.get("/programs/pco/")

    assert client.get("/")["Location"] == "/programs/pco/"


def test_a_user_in_no_program_is_told_so_at_home(outsider: User, client: Client) -> None:
    client.force_login(outsider)

    response = client.get("/")

    assert response.status_code == 200
    assert "programs/no_program.html" in [t.name for t in response.templates]


def add_staff(program: Program, count: int, start: int = 0) -> None:
    """`count` more members, and a team of them, so the roster and team lists grow."""
    team = TeamFactory.create(program=program, name=f"Team {start}")
    for n in range(start, start + count):
        user = UserFactory.create(username=f"staff{n}", display_name=f"Staff {n}")
        MembershipFactory.create(user=user, program=program)
        TeamMemberFactory.create(team=team, user=user)


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_program_home_runs_as_many_queries_for_thirty_staff_as_for_two(
    coordinator: User, pad: Program, client: Client
) -> None:
    client.force_login(coordinator)
    add_staff(pad, 2)
    few = queries_for(client, "/programs/pad/")

    add_staff(pad, 30, start=2)

    assert queries_for(client, "/programs/pad/") == few


def test_the_program_home_stays_under_its_query_budget(
    coordinator: User,
    pad: Program,
    client: Client,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    add_staff(pad, 30)
    client.force_login(coordinator)

    # The coordinator's pending work counts amendment requests past their 60 days,
    # records requests past their due date and care plans without an owner: one query each.
    # Whether each team member still works in the program: one query for every team.
    with django_assert_max_num_queries(34):
        response = client.get("/programs/pad/")

    assert "Staff 29" in response.content.decode()


@pytest.mark.parametrize(
    ("slug", "said"),
    [
        ("qrt", "Outreach opens at the overdose and closes 72 hours after it"),
        ("pco", "Outreach opens 12 hours after the overdose and closes 72 hours after it"),
        ("pad", "Outreach opens when the referral arrives and closes 72 hours after it"),
        ("core", "Outreach opens when the referral arrives and closes 72 hours after it"),
    ],
)
def test_the_program_home_says_when_outreach_opens_in_words(
    programs: dict[str, Program], client: Client, slug: str, said: str
) -> None:
    client.force_login(member_of(programs[slug], Role.COORDINATOR, f"{slug}-lead"))

    page = client.get(f"/programs/{slug}/").content.decode()

    assert f"<p>{said}, with up to 3 attempts.</p>" in page
    assert " 0 h " not in page
