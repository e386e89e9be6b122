"""Retention of overdoses, crisis calls, care plans and ended consents: each goes on time
under its own rule, waits for what still points at it, a legal hold keeps it, and each
purge is one audit event naming the rule and no one."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest

from coresponder.care.models import CarePlan, CarePlanGoal, FollowUp
from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM, verify_chain
from coresponder.core.models import AuditEvent
from coresponder.domain.presets import CONSENTS_MIN_DAYS, PresetError, load_preset_file
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Call, Overdose, OverdoseReport, Referral
from coresponder.operations.retention.actions import PURGE, apply_retention, set_legal_hold
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.privacy.models import Consent, Disclosure
from coresponder.programs.models import Program, User
from coresponder.services.models import Service, ServiceOrganization, ServiceReferral

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
PRESETS = Path(__file__).resolve().parents[3] / "presets"
NEW_KINDS = ("overdoses", "calls", "care_plans", "consents")


def a_person(program: Program, at: dt.datetime) -> Person:
    person = PersonFactory.create()
    Participation.objects.create(person=person, program=program, first_seen_at=at)
    return person


def an_overdose(
    program: Program, person: Person, at: dt.datetime, referral: Referral | None = None
) -> Overdose:
    overdose = Overdose.objects.create(
        program=program, person=person, referral=referral, occurred_at=at, naloxone_doses=2
    )
    OverdoseReport.objects.create(overdose=overdose, source="ems", reported_at=at)
    return overdose


def a_call(
    program: Program, person: Person, at: dt.datetime, referral: Referral | None = None
) -> Call:
    return Call.objects.create(
        program=program,
        person=person,
        referral=referral,
        received_at=at,
        call_type=Call.CallType.SUICIDAL,
        narrative="Caller says her brother has pills and a note",
    )


def a_care_plan(
    program: Program, person: Person, owner: User, closed_at: dt.datetime | None
) -> CarePlan:
    opened = (closed_at or dt.datetime(2020, 1, 1, tzinfo=dt.UTC)) - 30 * DAY
    plan = CarePlan.objects.create(
        program=program,
        person=person,
        owner=owner,
        title="Housing and treatment",
        status=CarePlan.Status.CLOSED if closed_at else CarePlan.Status.ACTIVE,
        opened_on=opened.date(),
        closed_on=closed_at.date() if closed_at else None,
    )
    CarePlanGoal.objects.create(plan=plan, need=CarePlanGoal.Need.HOUSING)
    FollowUp.objects.create(plan=plan, due_at=opened + DAY, owner=owner, kind=FollowUp.Kind.PHONE)
    return plan


def a_consent(
    program: Program,
    person: Person,
    *,
    revoked_at: dt.datetime | None = None,
    expires_on: dt.date | None = None,
    expiry_event: str = "",
) -> Consent:
    signed = (revoked_at or dt.datetime(2015, 1, 1, tzinfo=dt.UTC)) - 400 * DAY
    consent = Consent.objects.create(
        person=person,
        program=program,
        discloser="Program staff",
        recipients=[{"role": "officer"}],
        information="Whether the person is in treatment",
        covers=["part2"],
        purpose="Coordinating care",
        signed_at=signed,
        signature_method=Consent.SignatureMethod.WRITTEN,
        revoked_at=revoked_at,
        expires_on=expires_on,
        expiry_event=expiry_event,
    )
    Disclosure.objects.create(
        person=person,
        consent=consent,
        disclosed_at=signed + DAY,
        recipient="Officer",
        information="In treatment",
        groups=["part2"],
    )
    return consent


def exists(record: object) -> bool:
    return type(record).objects.filter(pk=record.pk).exists()  # type: ignore[attr-defined]


@pytest.fixture
def world(pad: Program, coordinator: User, clock: Clock) -> dict[str, object]:
    """PAD's records either side of each new rule: 2555 days for overdoses, calls and care
    plans, 2190 for ended consents (presets/pad.toml)."""
    now = clock.now
    rules = pad.rules.retention
    assert (rules.overdoses_days, rules.calls_days, rules.care_plans_days) == (2555,) * 3
    assert rules.consents_days == 2190
    old, fresh = a_person(pad, now - 3000 * DAY), a_person(pad, now - 3000 * DAY)
    return {
        "old": old,
        "fresh": fresh,
        "old_overdose": an_overdose(pad, old, now - 2556 * DAY),
        "fresh_overdose": an_overdose(pad, fresh, now - 2554 * DAY),
        "old_call": a_call(pad, old, now - 2556 * DAY),
        "fresh_call": a_call(pad, fresh, now - 2554 * DAY),
        "old_plan": a_care_plan(pad, old, coordinator, now - 2557 * DAY),
        "fresh_plan": a_care_plan(pad, fresh, coordinator, now - 2554 * DAY),
        "open_plan": a_care_plan(pad, old, coordinator, None),
        "old_revoked": a_consent(pad, old, revoked_at=now - 2191 * DAY),
        "old_expired": a_consent(pad, old, expires_on=(now - 2200 * DAY).date()),
        "fresh_revoked": a_consent(pad, fresh, revoked_at=now - 2189 * DAY),
        "in_force": a_consent(pad, old, expires_on=(now + 30 * DAY).date()),
        "until_an_event": a_consent(pad, old, expiry_event="Discharge from treatment"),
    }


def test_each_new_kind_goes_after_its_rule_and_the_fresh_ones_stay(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    run = apply_retention(SYSTEM, pad, clock.now)

    for gone in ("old_overdose", "old_call", "old_plan", "old_revoked", "old_expired"):
        assert not exists(world[gone]), gone
    for kept in (
        "fresh_overdose",
        "fresh_call",
        "fresh_plan",
        "open_plan",
        "fresh_revoked",
        "in_force",
        "until_an_event",
    ):
        assert exists(world[kept]), kept
    deleted = {r.kind: r.deleted for r in run.kinds if r.kind in NEW_KINDS}
    assert deleted == {"overdoses": 1, "calls": 1, "care_plans": 1, "consents": 2}
    # What belonged to them went with them: the report, the plan's goal and follow-up,
    # and the disclosures made under the two consents.
    assert OverdoseReport.objects.count() == 1
    assert CarePlanGoal.objects.count() == 2 and FollowUp.objects.count() == 2
    assert Disclosure.objects.count() == 3
    # People are not deleted by these rules.
    assert exists(world["old"])


def test_days_a_record_keeps_are_compared_on_the_programs_clock(
    pad: Program, coordinator: User, clock: Clock
) -> None:
    """At 22:00 in Philadelphia it is already tomorrow in UTC: a plan closed, or a consent
    that ended, on the cut-off's own day in Philadelphia is not yet past the rule."""
    clock.now = dt.datetime(2026, 6, 10, 2, tzinfo=dt.UTC)  # 9 June, 22:00 EDT
    cutoff_day = dt.date(2026, 6, 9) - 2555 * DAY
    person = a_person(pad, clock.now - 3000 * DAY)
    plan = a_care_plan(pad, person, coordinator, None)
    CarePlan.objects.filter(pk=plan.pk).update(status=CarePlan.Status.CLOSED, closed_on=cutoff_day)
    consent = a_consent(pad, person, expires_on=dt.date(2026, 6, 9) - 2190 * DAY)
    apply_retention(SYSTEM, pad, clock.now)
    assert exists(plan) and exists(consent)
    clock.now += DAY
    apply_retention(SYSTEM, pad, clock.now)
    assert not exists(plan) and not exists(consent)


def test_an_overdose_and_a_call_wait_for_their_referral(pad: Program, clock: Clock) -> None:
    person = a_person(pad, clock.now)
    referral = Referral.objects.create(
        program=pad, person=person, pathway="naloxone_plus", received_at=clock.now - 10 * DAY
    )
    overdose = an_overdose(pad, person, clock.now - 3000 * DAY, referral)
    call = a_call(pad, person, clock.now - 3000 * DAY)
    Call.objects.filter(pk=call.pk).update(referral=referral)
    # An overdose with no referral, but an outreach task still open about it.
    followed = an_overdose(pad, person, clock.now - 3000 * DAY)
    OutreachTask.objects.create(
        program=pad,
        person=person,
        overdose=followed,
        window_start=clock.now - DAY,
        window_end=clock.now + DAY,
    )

    run = apply_retention(SYSTEM, pad, clock.now)

    assert exists(overdose) and exists(call) and exists(followed)
    assert {r.kind: r.expired for r in run.kinds if r.kind in NEW_KINDS}["overdoses"] == 0


def test_a_call_answered_by_an_encounter_goes_and_the_encounter_keeps_its_row(
    pad: Program, clock: Clock
) -> None:
    person = a_person(pad, clock.now)
    call = a_call(pad, person, clock.now - 2600 * DAY)
    encounter = Encounter.objects.create(
        program=pad,
        person=person,
        call=call,
        occurred_at=clock.now - 100 * DAY,
        kind="crisis_response",
        disposition="resolved_on_scene",
    )

    apply_retention(SYSTEM, pad, clock.now)

    encounter.refresh_from_db()
    assert not exists(call) and encounter.call_id is None


def test_a_consent_a_service_referral_names_is_kept(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    consent = world["old_revoked"]
    assert isinstance(consent, Consent)
    entry = ServiceOrganization.objects.create(hsds_id="org-sh", name="South Clinic")
    service = Service.objects.create(hsds_id="svc-sh", organization=entry, name="South detox")
    ServiceReferral.objects.create(
        program=pad,
        person=consent.person,
        service=service,
        consent=consent,
        requested_at=clock.now - 2500 * DAY,
        status_changed_at=clock.now - 2500 * DAY,
    )

    run = apply_retention(SYSTEM, pad, clock.now)

    assert exists(consent) and not exists(world["old_expired"])
    assert {r.kind: r.deleted for r in run.kinds}["consents"] == 1


def test_a_legal_hold_keeps_the_new_kinds(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    held = world["old"]
    assert isinstance(held, Person)
    set_legal_hold(SYSTEM, pad, "Wrongful-death claim", clock.now, held)

    run = apply_retention(SYSTEM, pad, clock.now)

    for kept in ("old_overdose", "old_call", "old_plan", "old_revoked", "old_expired"):
        assert exists(world[kept]), kept
    held_counts = {r.kind: r.held for r in run.kinds if r.kind in NEW_KINDS}
    assert held_counts == {"overdoses": 1, "calls": 1, "care_plans": 1, "consents": 2}
    assert not AuditEvent.objects.filter(object_type=PURGE, object_id__in=NEW_KINDS).exists()


def test_each_new_purge_is_one_event_naming_the_rule_and_no_one(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    apply_retention(SYSTEM, pad, clock.now)

    events = {
        e.object_id: e
        for e in AuditEvent.objects.filter(object_type=PURGE, object_id__in=NEW_KINDS)
    }
    assert sorted(events) == sorted(NEW_KINDS)
    consents = events["consents"].detail
    assert consents["rule"] == "retention.consents_days = 2190"
    assert consents["deleted"] == 2 and consents["with_them"] == {"privacy.Disclosure": 2}
    assert events["overdoses"].detail["with_them"] == {"intake.OverdoseReport": 1}
    assert events["care_plans"].detail["with_them"] == {
        "care.CarePlanGoal": 1,
        "care.FollowUp": 1,
    }
    people = list(Person.objects.all())
    for event in events.values():
        assert event.person_id is None and event.program_slug == "pad"
        assert event.detail["why"] and event.detail["cutoff"]
        text = json.dumps(event.detail)
        for person in people:
            assert person.family_name not in text and person.given_name not in text
        assert "pills" not in text and "Housing" not in text and "treatment" not in text
    checked, problem = verify_chain()
    assert problem is None and checked > 0


def test_a_dry_run_counts_the_new_kinds_and_deletes_nothing(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    events = AuditEvent.objects.count()

    run = apply_retention(SYSTEM, pad, clock.now, dry_run=True)

    expired = {r.kind: r.expired for r in run.kinds if r.kind in NEW_KINDS}
    assert expired == {"overdoses": 1, "calls": 1, "care_plans": 1, "consents": 2}
    assert exists(world["old_overdose"]) and exists(world["old_revoked"])
    assert AuditEvent.objects.count() == events


def test_every_shipped_preset_keeps_consents_at_least_six_years() -> None:
    for path in sorted(PRESETS.glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))["retention"]
        for key in ("overdoses_days", "calls_days", "care_plans_days", "consents_days"):
            assert key in raw, (path.name, key)
        assert load_preset_file(path).retention.consents_days >= CONSENTS_MIN_DAYS


def test_a_consent_rule_under_six_years_is_refused_by_file_and_key(tmp_path: Path) -> None:
    text = (PRESETS / "pad.toml").read_text(encoding="utf-8")
    path = tmp_path / "pad.toml"
    path.write_text(text.replace("consents_days = 2190", "consents_days = 365"), encoding="utf-8")

    with pytest.raises(PresetError) as caught:
        load_preset_file(path)

    message = str(caught.value)
    assert "retention.consents_days" in message and "2190" in message and "365" in message
