"""The demo data command, against one tiny load shared by this module and rolled back after."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import shutil
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models, transaction
from django.db.models import Count, Max
from django.test import Client
from django.urls import reverse

from coresponder.care.actions import orphaned_plans
from coresponder.care.models import CarePlan
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.demo.cast import DEMO_PASSWORD, DEMO_TOTP_SECRET, PERSONA_ROLES, persona_username
from coresponder.demo.directory import CATEGORIES
from coresponder.demo.review import DEMO_NEIGHBOURS, DEMO_SOURCE
from coresponder.demo.writer import BULK_MODELS
from coresponder.domain.linkage import COUNTED_ONCE
from coresponder.domain.outreach import (
    after_attempt,
    contacts_problem,
    died_on_problem,
    expires_at,
    expiry_due,
    follow_up_rules,
    has_expired,
    spacing_conflict,
)
from coresponder.domain.presets import load_preset_file
from coresponder.domain.vocabulary import (
    AttemptOutcome,
    Disposition,
    Relationship,
    Role,
    TaskStatus,
    is_reviewable,
)
from coresponder.encounters.models import Encounter, Screening
from coresponder.identity.actions import merge_people
from coresponder.identity.models import MatchCandidate
from coresponder.intake.models import Call, Overdose, OverdoseReport, Referral
from coresponder.intake.shift_cover import busy_for_call, cover_for_call
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.people.models import Collateral, Participation, Person, RecordsRequest
from coresponder.people.records_request_log import is_overdue, review_pending
from coresponder.people.tests.factories import PersonFactory
from coresponder.privacy.models import Consent
from coresponder.programs.duty import cover_at, running_shifts
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Membership, Organization, Program, Shift, Team, User
from coresponder.services.models import Location, Service, ServiceReferral, TaxonomyTerm

ANCHOR = dt.date(2025, 6, 1)
pytestmark = pytest.mark.django_db


def load(*flags: str, seed: int = 1) -> str:
    out = StringIO()
    call_command(
        "demo_data",
        "--seed",
        str(seed),
        "--scale",
        "tiny",
        "--anchor",
        ANCHOR.isoformat(),
        *flags,
        stdout=out,
    )
    return out.getvalue()


def rows_digest() -> str:
    """A digest of the generated rows' values: no ids, no insert times."""
    tables: list[models.QuerySet[Any, Any]] = [
        Person.objects.values_list(
            "given_name", "family_name", "birth_date", "sex", "race", "ethnicity", "phone",
            "address", "latitude", "longitude", "deceased_on", "aliases",
        ),
        Collateral.objects.values_list("person__family_name", "relationship", "name", "phone"),
        Referral.objects.values_list(
            "program__slug", "person__given_name", "person__family_name", "pathway",
            "received_at", "district__code", "offense_category", "offense_violent",
            "offense_weapon", "referrer_relationship", "referrer_name", "eligible",
            "eligibility_reasons", "referred_by__username",
        ),
        Call.objects.values_list(
            "cad_number", "received_at", "call_type", "narrative", "weapons", "team__name",
            "team_sent_at", "team_arrived_at", "team_cleared_at",
        ),
        Overdose.objects.values_list("occurred_at", "fatal", "naloxone_doses", "latitude", "place"),
        OverdoseReport.objects.values_list(
            "source", "organization__slug", "external_id", "reported_at", "raw"
        ),
        OutreachTask.objects.values_list(
            "person__family_name", "target", "window_start", "window_end", "status",
            "close_reason", "claimed_by__name",
        ),
        Attempt.objects.values_list(
            "task__window_start", "attempted_at", "channel", "outcome", "recorded_by__username"
        ),
        Encounter.objects.values_list(
            "person__family_name", "occurred_at", "kind", "disposition", "destination",
            "minutes_on_scene",
        ),
        Screening.objects.values_list("encounter__occurred_at", "instrument", "answers"),
        ServiceReferral.objects.values_list(
            "person__family_name", "service__hsds_id", "status", "requested_at",
            "status_changed_at",
        ),
        Service.objects.values_list("hsds_id", "name", "organization__name", "phone"),
        Consent.objects.values_list(
            "person__family_name", "recipients", "signed_at", "expires_at", "purpose"
        ),
    ]  # fmt: skip
    digest = hashlib.sha256()
    for table in tables:
        for row in sorted(repr(row) for row in table):
            digest.update(row.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """One tiny load for the whole module; its digest; rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        load()
        yield rows_digest()
        transaction.set_rollback(True)


def snapshot() -> dict[str, tuple[int, int | None]]:
    tracked: list[type[models.Model]] = [
        *BULK_MODELS,
        Organization,
        User,
        Team,
        Shift,
        Service,
        AuditEvent,
    ]
    return {
        model._meta.label: (
            model._default_manager.count(),
            model._default_manager.aggregate(m=Max("pk"))["m"],
        )
        for model in tracked
    }


def test_it_gives_the_same_data_for_the_same_seed(demo: str) -> None:
    load("--replace")
    assert rows_digest() == demo


def test_a_fresh_load_removes_the_shelters_residents_and_no_one_else(demo: str) -> None:
    resident = Person.objects.filter(given_name="Denise", family_name="Park").first()
    assert resident is not None
    pairs = MatchCandidate.objects.filter(evidence__source=DEMO_SOURCE)
    [pair] = [p for p in pairs if resident.pk in p.evidence.get(DEMO_NEIGHBOURS, [])]
    with transaction.atomic():
        # Staff corrected both residents' phones, and added someone giving the old one.
        Person.objects.filter(pk__in=(pair.person_a_id, pair.person_b_id)).update(phone="")
        stranger = PersonFactory.create(phone=resident.phone)
        load("--replace")
        assert not Person.objects.filter(pk=resident.pk).exists()
        assert Person.objects.filter(pk=stranger.pk).exists()
        transaction.set_rollback(True)


def test_a_fresh_load_follows_a_pair_merged_while_trying_the_review_queue(demo: str) -> None:
    pair = MatchCandidate.objects.filter(evidence__source=DEMO_SOURCE).first()
    assert pair is not None
    with transaction.atomic():
        merge_people(SYSTEM, pair.person_a, pair.person_b, pair.evidence)
        load("--replace")
        assert not Person.objects.filter(pk__in=(pair.person_a_id, pair.person_b_id)).exists()
        transaction.set_rollback(True)


def test_it_gives_different_data_for_a_different_seed(demo: str) -> None:
    load("--replace", seed=2)
    assert rows_digest() != demo


def test_if_empty_leaves_loaded_data_untouched(demo: str) -> None:
    before = snapshot()
    output = load("--if-empty")
    assert "already loaded" in output
    assert snapshot() == before


def test_it_refuses_to_load_over_existing_data_without_a_flag(demo: str) -> None:
    before = snapshot()
    with pytest.raises(CommandError, match="--replace"):
        load()
    assert snapshot() == before


def test_every_program_has_referrals_on_every_pathway_it_offers(demo: str) -> None:
    for program in Program.objects.all():
        found = set(program.referrals.values_list("pathway", flat=True))
        assert found == set(program.preset["pathways"]), program.slug


def test_each_diversion_in_lieu_of_arrest_has_a_case_number_and_nothing_else_does(
    demo: str,
) -> None:
    diversions = Referral.objects.filter(pathway="officer_intervention")
    assert diversions.exists() and not diversions.filter(case_number="").exists()
    numbers = list(diversions.values_list("case_number", flat=True))
    assert len(set(numbers)) == len(numbers)
    assert not Referral.objects.exclude(pathway="officer_intervention").exclude(case_number="")


def test_some_referrals_are_ineligible_and_say_why(demo: str) -> None:
    ineligible = Referral.objects.filter(eligible=False)
    assert ineligible.exists()
    assert all(reasons for reasons in ineligible.values_list("eligibility_reasons", flat=True))
    assert not OutreachTask.objects.filter(referral__eligible=False).exists()
    assert Referral.objects.filter(eligible=True).count() > ineligible.count()


def test_every_attempt_outcome_and_disposition_appears(demo: str) -> None:
    outcomes = set(Attempt.objects.values_list("outcome", flat=True))
    dispositions = set(Encounter.objects.values_list("disposition", flat=True))
    assert outcomes == {outcome.value for outcome in AttemptOutcome}
    assert dispositions == {disposition.value for disposition in Disposition}


def test_service_referrals_reach_every_fhir_task_status(demo: str) -> None:
    statuses = set(ServiceReferral.objects.values_list("status", flat=True))
    assert statuses == {status.value for status in TaskStatus}


def test_each_service_referral_has_the_history_that_brought_it_to_its_status(demo: str) -> None:
    for referral in ServiceReferral.objects.prefetch_related("status_changes"):
        steps = list(referral.status_changes.all())
        assert steps and steps[-1].status == referral.status, referral.pk
        assert steps[0].at == referral.requested_at
        assert steps[-1].at == referral.status_changed_at
        assert [s.at for s in steps] == sorted(s.at for s in steps)
        assert all(s.by_id is not None for s in steps)


def test_every_taxonomy_category_has_a_service(demo: str) -> None:
    counted = TaxonomyTerm.objects.annotate(n=Count("services")).filter(n__gt=0)
    assert set(counted.values_list("code", flat=True)) == set(CATEGORIES)


def test_each_program_has_services_near_it_in_every_category_it_lists(demo: str) -> None:
    for program in Program.objects.all():
        area = program.preset["area"]
        for code in program.preset["service_categories"]:
            places = Location.objects.filter(services_here__service__taxonomy_terms__code=code)
            assert any(
                distance_km(area, place.latitude, place.longitude) <= area["radius_km"]
                for place in places
            ), (program.slug, code)


def distance_km(area: dict[str, float], latitude: float | None, longitude: float | None) -> float:
    assert latitude is not None and longitude is not None
    d_lat = (latitude - area["latitude"]) * 111.32
    d_lon = (longitude - area["longitude"]) * 111.32 * math.cos(math.radians(area["latitude"]))
    return math.hypot(d_lat, d_lon)


def test_there_is_one_persona_per_role_in_each_program_with_the_demo_password(
    demo: str, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    for program in Program.objects.all():
        for role in PERSONA_ROLES:
            user = User.objects.get(username=persona_username(program.slug, role))
            membership = Membership.objects.get(user=user, program=program)
            assert (user.role, membership.role) == (role.value, role.value)
            assert user.organization is not None
            assert check_password(DEMO_PASSWORD, user.password)
    assert User.objects.get(username="admin").role == Role.ADMIN


def test_a_persona_signs_in_with_the_demo_password(demo: str, settings: Any) -> None:
    # Django's default hasher: the one a real sign-in uses.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = authenticate(username="pco-recovery-coach", password=DEMO_PASSWORD)
    assert user is not None and user.username == "pco-recovery-coach"


def test_the_provider_persona_works_for_a_provider_in_the_directory(demo: str) -> None:
    for program in Program.objects.all():
        provider = User.objects.get(username=persona_username(program.slug, Role.PROVIDER))
        assert provider.organization is not None
        assert provider.organization.kind == "provider"
        assert provider.organization.directory_entries.exists()


def test_teams_fill_the_preset_slots_and_work_its_shifts(demo: str) -> None:
    for program in Program.objects.all():
        teams = Team.objects.filter(program=program).order_by("name")
        assert [team.name for team in teams] == [f"{program.slug.upper()} Team {n}" for n in (1, 2)]
        slot_roles = {role for slot in program.preset["team"] for role in slot["roles"]}
        first = set(teams[0].members.values_list("user__username", flat=True))
        assert {persona_username(program.slug, Role(r)) for r in slot_roles} <= first
        templates = Shift.objects.filter(program=program, from_preset=True)
        # The first team works the preset's shifts, the others the same shifts as copies.
        assert set(templates.values_list("team", flat=True)) == {teams[0].pk}
        for team in teams:
            worked = Shift.objects.filter(team=team)
            assert sorted(s.rrule for s in worked) == sorted(s.rrule for s in templates)


def district_of(call: Call) -> str | None:
    referral = call.referral
    return referral.district.code if referral and referral.district else None


def test_teams_take_most_calls_that_fit_a_free_team_on_shift_in_order_and_in_time(
    demo: str,
) -> None:
    core = Program.objects.get(slug="core")
    shifts = running_shifts(core)
    anchor_at = dt.datetime.combine(ANCHOR, dt.time(0), tzinfo=dt.UTC)
    calls = list(Call.objects.filter(program=core).select_related("referral__district"))
    taken = [call for call in calls if call.team_id is not None]
    assert not [call for call in taken if not call.co_responders_sent]
    fitting = [
        call
        for call in calls
        if call.co_responders_sent
        and cover_at(core, call.received_at, district_of(call), shifts=shifts).running
    ]
    assert len(fitting) >= 5
    assert len(fitting) / 2 <= len(taken) < len(fitting)
    minute = dt.timedelta(minutes=1)
    for call in taken:
        cover = cover_at(core, call.received_at, district_of(call), shifts=shifts)
        assert call.team_id in {duty.team_id for duty in cover.running}
        assert call.team_sent_at is not None
        assert minute <= call.team_sent_at - call.received_at <= 6 * minute
        if call.team_arrived_at is not None:
            assert 5 * minute <= call.team_arrived_at - call.team_sent_at <= 20 * minute
        if call.team_cleared_at is not None:
            assert call.team_arrived_at is not None
            assert 20 * minute <= call.team_cleared_at - call.team_arrived_at <= 90 * minute
            assert call.team_cleared_at < anchor_at
    # A team is sent to one call at a time: the next after it cleared the last.
    for team in Team.objects.filter(program=core):
        mine = sorted((c for c in taken if c.team_id == team.pk), key=lambda c: c.received_at)
        for before, after in itertools.pairwise(mine):
            assert before.team_cleared_at is not None
            assert after.team_sent_at is not None
            assert before.team_cleared_at <= after.team_sent_at
    # A team still on a call when the demo ends is on its latest, sent too recently to
    # have cleared it; an older one is cleared.
    open_calls = [call for call in taken if call.team_cleared_at is None]
    assert len({call.team_id for call in open_calls}) == len(open_calls)
    for call in open_calls:
        assert call.team_sent_at is not None
        assert call.team_sent_at >= anchor_at - 110 * minute
        mine = [c for c in taken if c.team_id == call.team_id]
        assert call == max(mine, key=lambda c: c.team_sent_at or anchor_at)


def test_a_call_page_says_every_team_on_shift_is_busy_while_each_is_on_its_latest_call(
    demo: str,
) -> None:
    core = Program.objects.get(slug="core")
    with transaction.atomic():
        # As at the end of a busy shift: each team still on the last call it was sent to.
        for team in Team.objects.filter(program=core):
            latest = Call.objects.filter(team=team).order_by("-team_sent_at").first()
            assert latest is not None
            Call.objects.filter(pk=latest.pk).update(team_cleared_at=None)
        waiting = [
            call
            for call in Call.objects.filter(program=core, co_responders_sent=True, team=None)
            if busy_for_call(core, call, cover_for_call(core, call)) is not None
        ]
        assert waiting
        client = Client()
        client.force_login(User.objects.get(username=persona_username("core", Role.COORDINATOR)))
        page = client.get(reverse("referral-result", args=["core", waiting[0].referral_id]))
        assert "on another call" in page.content.decode()
        transaction.set_rollback(True)


def test_outreach_windows_follow_each_preset(demo: str) -> None:
    for program in Program.objects.all():
        rule = program.preset["follow_up"]
        for task in OutreachTask.objects.filter(program=program).select_related(
            "referral", "overdose"
        ):
            anchor = task.referral.received_at if task.referral else None
            if rule["anchor"] == "overdose" and task.overdose is not None:
                anchor = task.overdose.occurred_at
            assert anchor is not None
            opens = dt.timedelta(hours=rule["opens_after_hours"])
            closes = dt.timedelta(hours=rule["closes_after_hours"])
            assert (task.window_start, task.window_end) == (anchor + opens, anchor + closes)


def test_every_relationship_the_demo_records_is_one_people_choose_from(demo: str) -> None:
    closed = {code.value for code in Relationship} | {""}
    kept = set(Collateral.objects.values_list("relationship", flat=True))
    kept |= set(AttemptContact.objects.values_list("relationship", flat=True))
    kept |= set(Referral.objects.values_list("referrer_relationship", flat=True))
    assert kept - closed == set()


def test_each_follow_up_opened_when_its_referral_came_in_not_when_the_demo_loaded(
    demo: str,
) -> None:
    tasks = OutreachTask.objects.select_related("referral")
    assert tasks.exists()
    for task in tasks:
        assert task.referral is not None
        assert task.created_at == task.referral.received_at


def test_referrals_overdoses_and_service_referrals_are_recorded_when_they_came_in(
    demo: str,
) -> None:
    """So a coordinator's home counts as new what arrived lately, not the whole demo."""
    referrals = Referral.objects.all()
    assert referrals.exists()
    for referral in referrals:
        assert referral.created_at == referral.received_at
    overdoses = Overdose.objects.annotate(first=models.Min("reports__reported_at"))
    assert overdoses.exists()
    for overdose in overdoses:
        assert overdose.created_at == overdose.first
    service_referrals = ServiceReferral.objects.all()
    assert service_referrals.exists()
    for service_referral in service_referrals:
        assert service_referral.created_at == service_referral.requested_at


def test_attempts_keep_each_presets_spacing(demo: str) -> None:
    for program in Program.objects.all():
        hours = program.preset["follow_up"]["attempt_spacing_hours"]
        by_task: dict[int, list[tuple[dt.datetime, str]]] = {}
        for task_id, at, outcome in Attempt.objects.filter(task__program=program).values_list(
            "task_id", "attempted_at", "outcome"
        ):
            by_task.setdefault(task_id, []).append((at, outcome))
        assert by_task
        for attempts in by_task.values():
            for index, (at, outcome) in enumerate(attempts):
                others = attempts[:index] + attempts[index + 1 :]
                assert spacing_conflict(outcome, at, others, hours) is None


def test_each_task_closes_on_the_attempt_its_presets_rules_close_it_on(demo: str) -> None:
    """Replayed through the product's own rule, a task's attempts close it exactly at its
    last attempt, with that outcome, or not at all; and each attempt reached whom it says."""
    checked: dict[str, int] = {}
    for program in Program.objects.all():
        rules = follow_up_rules(program.rules.follow_up)
        tasks = OutreachTask.objects.filter(program=program).prefetch_related("attempts__contacts")
        for task in tasks:
            attempts = sorted(task.attempts.all(), key=lambda a: (a.attempted_at, a.pk))
            closes_at: list[int] = []
            not_located = 0
            for index, attempt in enumerate(attempts):
                roles = [contact.role for contact in attempt.contacts.all()]
                to_family = task.target == OutreachTask.Target.FAMILY
                assert contacts_problem(attempt.outcome, roles, to_family=to_family) is None
                not_located += attempt.outcome == AttemptOutcome.NOT_LOCATED
                effect = after_attempt(
                    attempt.outcome,
                    not_located,
                    rules.max_attempts,
                    rules.attempt_spacing_hours,
                    attempt.attempted_at,
                    rules.closing_outcomes,
                )
                if effect.closes:
                    closes_at.append(index)
            if task.status == OutreachTask.Status.CLOSED and attempts:
                assert closes_at == [len(attempts) - 1], (program.slug, task.close_reason)
                assert task.close_reason == attempts[-1].outcome
                checked[program.slug] = checked.get(program.slug, 0) + 1
            else:
                assert closes_at == [], (program.slug, task.status, task.close_reason)
    assert checked


def test_no_attempt_comes_after_the_worker_would_have_expired_its_task(demo: str) -> None:
    """Replayed through the product's own rules, every attempt finds its task still in the
    queue, and a task nobody closed is expired exactly as the worker leaves it."""
    at_anchor = dt.datetime.combine(ANCHOR, dt.time(), tzinfo=dt.UTC)
    expired = 0
    for program in Program.objects.all():
        rules = follow_up_rules(program.rules.follow_up)
        tasks = OutreachTask.objects.filter(program=program).prefetch_related("attempts")
        for task in tasks:
            recontact_on: dt.date | None = None
            next_try: dt.datetime | None = None
            not_located = 0
            for attempt in sorted(task.attempts.all(), key=lambda a: (a.attempted_at, a.pk)):
                due = expiry_due(task.window_end, recontact_on, next_try)
                assert not has_expired(due, attempt.attempted_at, rules.expires_after_hours), (
                    program.slug,
                    task.pk,
                )
                not_located += attempt.outcome == AttemptOutcome.NOT_LOCATED
                effect = after_attempt(
                    attempt.outcome,
                    not_located,
                    rules.max_attempts,
                    rules.attempt_spacing_hours,
                    attempt.attempted_at,
                    rules.closing_outcomes,
                )
                if effect.next_attempt_after is not None and next_try is not None:
                    next_try = max(next_try, effect.next_attempt_after)
                else:
                    next_try = effect.next_attempt_after
                recontact_on = effect.recontact_on or recontact_on
            if task.status == OutreachTask.Status.EXPIRED:
                expired += 1
                due = expiry_due(task.window_end, recontact_on, next_try)
                assert task.closed_at == expires_at(due, rules.expires_after_hours)
                assert task.close_reason == ""
                assert task.next_attempt_after is None
            elif task.status != OutreachTask.Status.CLOSED:
                assert not has_expired(
                    expiry_due(task.window_end, task.recontact_on, task.next_attempt_after),
                    at_anchor,
                    rules.expires_after_hours,
                ), (program.slug, task.pk, task.status)
    assert expired


def test_fatal_overdoses_open_outreach_to_the_family_where_the_preset_says_so(demo: str) -> None:
    fatal = OutreachTask.objects.filter(overdose__fatal=True)
    assert fatal.exists()
    for task in fatal.select_related("program"):
        assert task.program.preset["follow_up"]["fatal_overdose"] == "family"
        assert task.target == OutreachTask.Target.FAMILY


def review_pair_people() -> set[int]:
    """The people the demo added beside the records: the review queue's pairs, and the
    shelter's other residents named in a pair's evidence."""
    pairs = MatchCandidate.objects.filter(evidence__source=DEMO_SOURCE)
    found = {pk for pair in pairs.values_list("person_a_id", "person_b_id") for pk in pair}
    for evidence in pairs.values_list("evidence", flat=True):
        found.update(evidence.get(DEMO_NEIGHBOURS, []))
    return found


def test_participation_starts_at_each_records_first_event(demo: str) -> None:
    found = Participation.objects.select_related("person").exclude(
        person_id__in=review_pair_people()
    )
    for participation in found[:200]:
        referrals = Referral.objects.filter(person=participation.person)
        first = referrals.order_by("received_at").first()
        assert first is not None
        assert participation.first_seen_at <= first.received_at


def test_some_humans_are_recorded_more_than_once_spelled_differently(demo: str) -> None:
    assert Person.objects.filter(birth_date__isnull=True).exists()
    same_birth = (
        Person.objects.exclude(birth_date__isnull=True)
        .values("family_name", "birth_date")
        .annotate(names=Count("given_name", distinct=True))
        .filter(names__gt=1)
    )
    assert same_birth.exists()


def test_it_writes_one_audit_event_per_program(demo: str) -> None:
    events = AuditEvent.objects.filter(object_type="demo_data", action="create")
    assert sorted(events.values_list("program_slug", flat=True)) == sorted(
        Program.objects.values_list("slug", flat=True)
    )
    assert all(event.detail["counts"]["intake.referral"] > 0 for event in events)


def test_a_fifth_preset_gets_demo_data_too(demo: str, settings: Any, tmp_path: Path) -> None:
    presets = tmp_path / "presets"
    shutil.copytree(django_settings.PRESETS_DIR, presets)
    text = (presets / "qrt.toml").read_text(encoding="utf-8")
    text = text.replace('slug = "qrt"', 'slug = "spr"').replace("Huntington, WV", "Springfield, IL")
    (presets / "spr.toml").write_text(text, encoding="utf-8")
    load_preset_file(presets / "spr.toml")
    settings.PRESETS_DIR = presets
    load("--replace")
    fifth = Program.objects.get(slug="spr")
    assert set(fifth.referrals.values_list("pathway", flat=True)) == set(fifth.preset["pathways"])
    assert fifth.partners.filter(name="Springfield Police Department").exists()
    assert User.objects.filter(username="spr-faith-leader").exists()
    assert Team.objects.filter(program=fifth).count() == 2


def test_every_persona_has_the_published_demo_second_factor(demo: str) -> None:
    personas = User.objects.filter(username__in=["admin", "pco-recovery-coach", "qrt-paramedic"])

    assert {(u.mfa_secret, u.mfa_enrolled_at is not None) for u in personas} == {
        (DEMO_TOTP_SECRET, True)
    }


def test_a_persona_signs_in_with_the_demo_password_and_the_demo_code(
    demo: str, settings: Any, client: Client
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    client.post(reverse("login"), {"username": "pad-officer", "password": DEMO_PASSWORD})
    code = StringIO()
    call_command("demo_totp", stdout=code, stderr=StringIO())

    response = client.post(reverse("mfa"), {"code": code.getvalue().strip()})

    assert response.status_code == 302
    assert client.get("/")["Location"] == "/programs/pad/"


def test_the_personas_command_shows_how_to_sign_in(demo: str) -> None:
    out = StringIO()
    call_command("demo_personas", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/accounts/login/" in text
    assert DEMO_PASSWORD in text
    assert DEMO_TOTP_SECRET in text and "coresponder demo_totp" in text
    assert "pco-recovery-coach" in text and "Brockton Police Department" in text


def test_it_loads_only_the_programs_named(demo: str) -> None:
    load("--replace", "--program", "qrt")
    with_referrals = set(Referral.objects.values_list("program__slug", flat=True).distinct())
    assert with_referrals == {"qrt"}
    load("--replace")
    assert rows_digest() == demo


def test_an_unknown_program_is_refused_and_nothing_changes(demo: str) -> None:
    before = snapshot()
    with pytest.raises(CommandError, match="no such program: nowhere"):
        load("--replace", "--program", "nowhere")
    assert snapshot() == before


def test_each_programs_review_queue_shows_the_pairs_field_records_bring(demo: str) -> None:
    for program in Program.objects.all():
        pairs = MatchCandidate.objects.filter(
            evidence__source=DEMO_SOURCE,
            person_a__participations__program=program,
            status=MatchCandidate.Status.PENDING,
        )
        reasons = sorted(str(p.evidence.get("held_back", "")) for p in pairs)
        assert len(reasons) == 9, program.slug
        assert [r.split(":")[0] for r in reasons if r] == [
            "Given names differ",
            "Given names differ",
            "Name suffixes differ (such as Jr and Sr)",
            "Only the name and the address (as written, or nearly) agree, and no birth date,"
            " phone of the person's own or hospital visit does",
            "Placeholder name",
            "The birth dates are up to a month apart, and no address, phone of the person's own"
            " or hospital visit agrees",
            "The given names are spelled alike but each is a name of its own (such as Elise and"
            " Elsie)",
            "The phone is one many people give, and neither a family name nor a full birth"
            " date agrees",
        ], program.slug
        # Two residents of one shelter: its phone, which five of them give, weighs little.
        shelter = [p for p in pairs if p.evidence.get("held_back", "").startswith("The phone")]
        phone = [row for row in shelter[0].evidence["rows"] if row["comparison"] == "phone"]
        assert phone[0]["level"] == "shared", program.slug
        # Jeremy and Jerome, twins at one home: two names, however alike they are written.
        alike = [
            p
            for p in pairs
            if {p.person_a.given_name, p.person_b.given_name} == {"Jeremy", "Jerome"}
        ]
        assert len(alike) == 1 and alike[0].evidence["held_back"].startswith("Given names differ")
        given = [row for row in alike[0].evidence["rows"] if row["comparison"] == "given_name"]
        assert given[0]["level"] == "else", program.slug
        # Elise and Elsie, twin sisters: spelled alike, each a name of its own.
        sisters = [
            p for p in pairs if {p.person_a.given_name, p.person_b.given_name} == {"Elise", "Elsie"}
        ]
        given = [row for row in sisters[0].evidence["rows"] if row["comparison"] == "given_name"]
        assert given[0]["level"] == "names_alike", program.slug
        year_only = [
            row["level"]
            for p in pairs
            for row in p.evidence["rows"]
            if row["comparison"] == "birth_date"
        ]
        assert "year_same" in year_only, program.slug
        # Nadia Rahman's birth date a month out, with nothing but her name beside it.
        assert "within_month" in year_only, program.slug
        # The twin brother's surname, address and phone are one home's: counted once.
        described = [str(row.get("description")) for p in pairs for row in p.evidence["rows"]]
        assert sum(COUNTED_ONCE in words for words in described) == 2, program.slug


def test_a_death_learned_on_a_visit_is_dated_as_the_visit_form_takes_it(demo: str) -> None:
    """A visit recorded as Deceased gives a day of death the product accepts: on the
    program's calendar, before the visit and after the person was born."""
    deceased = Attempt.objects.filter(outcome=AttemptOutcome.DECEASED).select_related(
        "task__person", "task__program"
    )
    assert deceased
    for attempt in deceased:
        person, zone = attempt.task.person, ZoneInfo(attempt.task.program.timezone)
        visit_day = attempt.attempted_at.astimezone(zone).date()
        assert person.deceased_on is not None
        assert (
            died_on_problem(
                attempt.outcome,
                person.deceased_on,
                today=ANCHOR,
                attempted_on=visit_day,
                born_on=person.birth_date,
                born_in=person.birth_year,
            )
            is None
        ), (person.pk, person.deceased_on, visit_day)


def test_a_care_owner_who_left_leaves_plans_with_open_follow_ups_for_the_coordinator(
    demo: str,
) -> None:
    for program in Program.objects.all():
        orphans = list(orphaned_plans(program))
        assert 1 <= len(orphans) <= 2, program.slug
        [owner] = {plan.owner for plan in orphans}
        assert not Membership.objects.get(user=owner, program=program).active
        for plan in orphans:
            assert plan.follow_ups.filter(done_at=None, owner=owner).exists()
            assert plan.person.referrals.filter(channel=Referral.Channel.DEMO).exists()
            assert plan.person.deceased_on is None


def test_records_requests_show_each_stage_of_an_answer(demo: str) -> None:
    for program in Program.objects.all():
        requests = list(RecordsRequest.objects.filter(program=program))
        today = today_in(program)
        assert all(r.received_on <= today for r in requests), program.slug
        open_ = [r for r in requests if r.status == RecordsRequest.Status.OPEN]
        assert any(is_overdue(r, today) for r in open_), program.slug
        assert any(not is_overdue(r, today) for r in open_), program.slug
        assert any(r.extended_at is not None for r in open_), program.slug
        statuses = {r.status for r in requests}
        assert RecordsRequest.Status.FULFILLED in statuses, program.slug
        denied = [r for r in requests if r.denied_at is not None]
        assert any(review_pending(r) for r in denied), program.slug
        reviewed = [r for r in denied if r.review_determination]
        assert len(reviewed) == 1, program.slug
        assert all(is_reviewable(g) for r in denied for g in r.denial_grounds), program.slug
        # A program answers in time: each denial came within the 30 days the rule gives.
        in_time = [(today_in(program, r.denied_at) - r.received_on).days <= 30 for r in denied]
        assert all(in_time), program.slug
        assert all(r.person.referrals.filter(channel=Referral.Channel.DEMO) for r in requests)


def test_a_fresh_load_replaces_the_care_plans_and_records_requests(demo: str) -> None:
    with transaction.atomic():
        before = (CarePlan.objects.count(), RecordsRequest.objects.count())
        load("--replace")
        assert (CarePlan.objects.count(), RecordsRequest.objects.count()) == before
        for program in Program.objects.all():
            assert orphaned_plans(program).exists(), program.slug
        transaction.set_rollback(True)
