"""The encounter form and page: validation as typed, drafts sent twice, the gate."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import Team, TeamMember

pytestmark = pytest.mark.django_db


def form_url(world: World) -> str:
    return f"/programs/core/encounters/new/?person={world.person.pk}"


def filled(**extra: str) -> dict[str, str]:
    now = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(-420))
    return {
        "kind": "crisis_response",
        "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
        "disposition": "transported_crisis_center",
        "destination": "Crisis center",
        "client_key": "k-1",
        **extra,
    }


def test_the_form_is_offered_to_the_clinical_team_and_not_to_officers(
    world: World, client: Any
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    page = client.get(form_url(world))
    assert page.status_code == 200
    assert b'data-draft="encounter-core-' in page.content
    assert b"C-SSRS screener" in page.content
    person_page = client.get(f"/people/{world.person.pk}/").content.decode()
    assert "Record an encounter" in person_page
    client.force_login(reader(world, Role.OFFICER))
    assert client.get(form_url(world)).status_code == 404
    assert "Record an encounter" not in client.get(f"/people/{world.person.pk}/").content.decode()


def test_a_half_answered_screening_is_refused_and_what_was_typed_is_kept(
    world: World, client: Any
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    before = Encounter.objects.count()
    page = client.post(form_url(world), filled(phq2_1="2", destination="Mind Springs"))
    assert page.status_code == 422
    text = page.content.decode()
    assert "Answer this item, or clear the screening." in text
    assert 'value="Mind Springs"' in text
    assert Encounter.objects.count() == before


def test_cssrs_items_3_to_5_need_a_yes_to_item_2(world: World, client: Any) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    answers = {f"cssrs_screener_{n}": "0" for n in range(1, 7)}
    page = client.post(form_url(world), filled(**{**answers, "cssrs_screener_4": "1"}))
    assert page.status_code == 422
    assert "Asked only after a yes to item 2." in page.content.decode()


def test_a_saved_encounter_shows_its_scores_and_a_resent_draft_adds_nothing(
    world: World, client: Any
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    before = Encounter.objects.count()
    answers = {"phq2_1": "3", "phq2_2": "1"}
    first = client.post(form_url(world), filled(**answers))
    again = client.post(form_url(world), filled(**answers))
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Encounter.objects.count() == before + 1
    page = client.get(first["Location"]).content.decode()
    assert "PHQ-2: Positive (score 4)" in page
    # Each item and its answer in words, not the option numbers kept.
    assert "<dt>Little interest or pleasure in doing things</dt><dd>Nearly every day</dd>" in page


def test_a_prosecutor_cannot_open_an_encounter_page(world: World, client: Any) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    made = client.post(form_url(world), filled())
    client.force_login(reader(world, Role.PROSECUTOR))
    assert client.get(made["Location"]).status_code == 404


def test_a_time_the_clocks_repeat_is_asked_which_and_then_recorded_as_chosen(
    world: World, client: Any
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    before = Encounter.objects.count()
    # Longmont's clocks go back from 02:00 MDT to 01:00 MST on November's first Sunday:
    # the last one before today, so the form does not ask about a date a year back.
    day = last_fall_back(timezone.localdate())
    repeated = filled(occurred_at=f"{day.isoformat()}T01:30", destination="Mind Springs")
    page = client.post(form_url(world), repeated)
    assert page.status_code == 422
    text = page.content.decode()
    assert f"01:30 on {day.day} Nov {day.year} happened twice" in text
    assert "01:30, the second, MST" in text
    assert 'value="Mind Springs"' in text
    assert Encounter.objects.count() == before

    saved = client.post(form_url(world), {**repeated, "occurred_at_which": "1"})
    assert saved.status_code == 302, saved.content.decode()
    encounter = Encounter.objects.latest("pk")
    assert encounter.occurred_at.isoformat() == f"{day.isoformat()}T08:30:00+00:00"  # MST


def last_fall_back(today: dt.date) -> dt.date:
    """The last first Sunday of November before `today`, when the US clocks go back."""
    for year in (today.year, today.year - 1):
        first = dt.date(year, 11, 1)
        sunday = first + dt.timedelta(days=(6 - first.weekday()) % 7)
        if sunday < today:
            return sunday
    raise AssertionError("a November is always within a year")


def test_a_time_the_clocks_skip_is_refused_in_words(world: World, client: Any) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    page = client.post(form_url(world), filled(occurred_at="2026-03-08T02:30"))
    assert page.status_code == 422
    assert "02:30 on 8 Mar 2026 never happened here" in page.content.decode()


def test_each_error_is_tied_to_its_field_for_screen_readers(world: World, client: Any) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    page = client.post(form_url(world), filled(minutes_on_scene="-4", phq2_1="2"))
    assert page.status_code == 422
    html = page.content.decode()
    described = {
        name for names in re.findall(r'aria-describedby="([^"]+)"', html) for name in names.split()
    }
    assert "id_minutes_on_scene_error" in described
    missing = [name for name in described if f'id="{name}"' not in html]
    assert missing == []


def test_cssrs_items_the_screener_skips_read_not_asked(world: World, client: Any) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    answers = {f"cssrs_screener_{n}": "0" for n in range(1, 7)}
    saved = client.post(form_url(world), filled(**{**answers, "cssrs_screener_1": "1"}))
    assert saved.status_code == 302, saved.content.decode()
    page = client.get(saved["Location"]).content.decode()
    assert (
        "<dt>Past month: wished to be dead, or to go to sleep and not wake up</dt><dd>Yes</dd>"
        in page
    )
    assert page.count("<dd>Not asked</dd>") == 3


def test_an_encounter_before_the_person_was_born_is_refused(world: World, client: Any) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    before = Encounter.objects.count()
    # Confirmed as long ago, it is still refused: no one was met before they were born.
    typed = filled(occurred_at="1900-01-01T10:00", occurred_long_ago="on")
    page = client.post(form_url(world), typed)
    assert page.status_code == 422
    assert "Is before the person was born" in page.content.decode()
    assert Encounter.objects.count() == before


def test_an_encounter_typed_years_back_is_questioned_until_confirmed(
    world: World, client: Any
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    before = Encounter.objects.count()
    assert 'name="occurred_long_ago"' not in client.get(form_url(world)).content.decode()
    typed = filled(occurred_at="1999-12-05T10:00")
    page = client.post(form_url(world), typed)
    assert page.status_code == 422
    html = page.content.decode()
    assert "more than a year ago: check the year" in html
    assert 'name="occurred_long_ago"' in html and 'value="1999-12-05T10:00"' in html
    assert Encounter.objects.count() == before
    saved = client.post(form_url(world), {**typed, "occurred_long_ago": "on"})
    assert saved.status_code == 302
    assert Encounter.objects.count() == before + 1


def test_a_started_screening_can_be_cleared_and_the_encounter_saved_without_it(
    world: World, client: Any
) -> None:
    # A radio once chosen cannot be unchosen: the person stopped after one item.
    client.force_login(reader(world, Role.CLINICIAN))
    assert 'name="leave_out_phq9"' in client.get(form_url(world)).content.decode()
    before = Encounter.objects.count()
    saved = client.post(form_url(world), filled(phq9_1="2", leave_out_phq9="on"))
    assert saved.status_code == 302, saved.content.decode()
    assert Encounter.objects.count() == before + 1
    assert not Encounter.objects.get(client_key="k-1").screenings.exists()


def test_each_unanswered_screening_item_is_tied_to_its_error_for_screen_readers(
    world: World, client: Any
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    refused = client.post(form_url(world), filled(phq9_1="2"))
    assert refused.status_code == 422
    html = refused.content.decode()
    described = re.findall(r'<fieldset[^>]*aria-describedby="([^"]+)"', html)
    assert described, "no item points to its error"
    for element_id in described:
        assert f'id="{element_id}"' in html, element_id
    # One alert for the form; the items' errors are read with their items.
    assert html.count('role="alert"') == 1


def test_a_positive_screen_shows_its_next_steps_on_the_encounter_page(
    world: World, client: Any
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    phq_2 = {"phq2_1": "2", "phq2_2": "2"}
    # DAST-10: yes to items 1, 2, 4 and 5, and "no" to item 3 (reverse-scored): 5, moderate.
    dast = {f"dast10_{n}": "1" if n in (1, 2, 4, 5) else "0" for n in range(1, 11)}
    alone = client.post(form_url(world), filled(**phq_2, **dast, client_key="k-phq2"))
    page = client.get(alone["Location"]).content.decode()
    assert "Give the PHQ-9 now" in page
    assert "brief intervention" in page
    phq_9 = {f"phq9_{n}": "0" for n in range(1, 10)}
    both = client.post(form_url(world), filled(**phq_2, **phq_9, client_key="k-phq9"))
    assert "Give the PHQ-9 now" not in client.get(both["Location"]).content.decode()


def test_a_seat_held_in_a_role_that_does_no_field_work_offers_no_team_on_the_form(
    world: World, client: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    team = Team.objects.create(program=world.program, name="CORE Blue")
    # Seated as a prosecutor, as data from before the rule holds it, then made a clinician.
    TeamMember.objects.create(team=team, user=clinician, role=Role.PROSECUTOR.value)
    client.force_login(clinician)

    page = client.get(form_url(world)).content.decode()

    assert "CORE Blue" not in page
