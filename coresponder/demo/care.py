"""What the teams do with people: encounters, the screenings given there, service referrals."""

from __future__ import annotations

import datetime as dt

from coresponder.demo.context import ProgramContext
from coresponder.demo.draw import Weighted, chance, hours_later, pick
from coresponder.demo.intake import Reach
from coresponder.domain.policy import FieldGroup
from coresponder.domain.screenings import score_screening
from coresponder.domain.vocabulary import (
    TREATMENT_CATEGORIES,
    EncounterKind,
    OrganizationKind,
    Pathway,
    Role,
    TaskStatus,
)
from coresponder.domain.vocabulary import Disposition as D
from coresponder.encounters.models import Encounter, Screening
from coresponder.intake.models import Call
from coresponder.people.models import Person
from coresponder.privacy.actions import end_of_day
from coresponder.privacy.models import Consent, Disclosure
from coresponder.programs.models import Team, User
from coresponder.services.models import Service, ServiceReferral, ServiceReferralStatusChange
from coresponder.services.referral_consent import lets_refer

Instrument = Screening.Instrument
# How long a consent to a Part 2 referral runs: the year the team asks it for.
CONSENT_RUNS = dt.timedelta(days=365)

CRISIS = Weighted(
    {
        D.RESOLVED_ON_SCENE: 38,
        D.TRANSPORTED_CRISIS_CENTER: 14,
        D.TRANSPORTED_DETOX: 5,
        D.TRANSPORTED_HOSPITAL: 12,
        D.TRANSPORTED_HOME: 8,
        D.INVOLUNTARY_HOLD: 6,
        D.ARRESTED: 2,
        D.REFUSED: 9,
        D.OTHER: 6,
    }
)
VISIT = Weighted(
    {
        D.RESOLVED_ON_SCENE: 50,
        D.TRANSPORTED_DETOX: 8,
        D.TRANSPORTED_CRISIS_CENTER: 3,
        D.TRANSPORTED_HOSPITAL: 3,
        D.TRANSPORTED_HOME: 2,
        D.REFUSED: 12,
        D.OTHER: 22,
    }
)
PHONE = Weighted({D.RESOLVED_ON_SCENE: 60, D.OTHER: 25, D.REFUSED: 15})
FIELD_DIVERTED = Weighted(
    {
        D.RESOLVED_ON_SCENE: 45,
        D.TRANSPORTED_DETOX: 10,
        D.TRANSPORTED_CRISIS_CENTER: 6,
        D.TRANSPORTED_HOSPITAL: 4,
        D.TRANSPORTED_HOME: 5,
        D.REFUSED: 15,
        D.OTHER: 15,
    }
)
# A stop that is not eligible for diversion mostly ends the ordinary way.
FIELD_NOT_DIVERTED = Weighted({D.ARRESTED: 65, D.RESOLVED_ON_SCENE: 15, D.REFUSED: 10, D.OTHER: 10})

SERVICE_STATUSES = Weighted(
    {
        TaskStatus.COMPLETED: 22,
        TaskStatus.ACCEPTED: 12,
        TaskStatus.IN_PROGRESS: 12,
        TaskStatus.REQUESTED: 12,
        TaskStatus.FAILED: 9,
        TaskStatus.REJECTED: 7,
        TaskStatus.CANCELLED: 7,
        TaskStatus.ON_HOLD: 5,
        TaskStatus.DRAFT: 4,
        TaskStatus.ENTERED_IN_ERROR: 2,
    }
)
# The steps of the closed loop to each status, as the status buttons allow them.
S = TaskStatus
STATUS_PATHS: dict[TaskStatus, tuple[TaskStatus, ...]] = {
    S.DRAFT: (S.DRAFT,),
    S.REQUESTED: (S.REQUESTED,),
    S.ACCEPTED: (S.REQUESTED, S.ACCEPTED),
    S.IN_PROGRESS: (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS),
    S.COMPLETED: (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED),
    S.FAILED: (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.FAILED),
    S.ON_HOLD: (S.REQUESTED, S.ACCEPTED, S.ON_HOLD),
    S.REJECTED: (S.REQUESTED, S.REJECTED),
    S.CANCELLED: (S.REQUESTED, S.CANCELLED),
    S.ENTERED_IN_ERROR: (S.REQUESTED, S.ENTERED_IN_ERROR),
}
# Steps the referring team takes; the provider takes the rest.
REFERRING_STEPS = frozenset({S.DRAFT, S.REQUESTED, S.CANCELLED, S.ENTERED_IN_ERROR})

STATUS_REASONS: dict[TaskStatus, tuple[str, ...]] = {
    TaskStatus.REJECTED: (
        "No capacity this week",
        "Outside the service area",
        "Needs medical clearance first",
    ),
    TaskStatus.FAILED: (
        "Did not attend intake",
        "Could not be reached",
        "Transportation fell through",
    ),
    TaskStatus.CANCELLED: ("Changed their mind", "Referred elsewhere instead"),
    TaskStatus.ON_HOLD: ("Waiting for a bed", "Waiting for insurance approval"),
    TaskStatus.ENTERED_IN_ERROR: ("Wrong service selected",),
}
CLINICAL_NOTES: dict[str, tuple[str, ...]] = {
    EncounterKind.CRISIS_RESPONSE: (
        "Calm after de-escalation; safety plan written with the person and family.",
        "Reports hearing voices; agreed to an evaluation at the crisis centre.",
        "Intoxicated and tearful; stayed until a relative arrived.",
    ),
    EncounterKind.OUTREACH_VISIT: (
        "Talked through treatment options; left naloxone and resource cards.",
        "Interested in buprenorphine; will call back after speaking with family.",
    ),
    EncounterKind.DROP_IN: ("Came in asking about detox beds; warm hand-off arranged.",),
    EncounterKind.PHONE: ("Follow-up call; doing better, attending outpatient groups.",),
    EncounterKind.FIELD_CONTACT: ("Accepted a ride to services instead of booking.",),
}


# Instruments and how many items each has, with the highest answer per item.
INSTRUMENT_ITEMS: dict[str, tuple[int, int]] = {
    Instrument.CSSRS_SCREENER: (6, 1),
    Instrument.PHQ_2: (2, 3),
    Instrument.PHQ_9: (9, 3),
    Instrument.DAST_10: (10, 1),
    Instrument.AUDIT_C: (3, 4),
}
SCREENINGS_BY_KIND: dict[str, tuple[float, tuple[tuple[str, ...], ...]]] = {
    # kind: (share of encounters screened, instrument sets to choose from)
    EncounterKind.CRISIS_RESPONSE: (
        0.45,
        ((Instrument.CSSRS_SCREENER, Instrument.PHQ_9), (Instrument.CSSRS_SCREENER,)),
    ),
    EncounterKind.OUTREACH_VISIT: (
        0.3,
        ((Instrument.DAST_10,), (Instrument.AUDIT_C,), (Instrument.PHQ_2, Instrument.DAST_10)),
    ),
    EncounterKind.DROP_IN: (0.2, ((Instrument.DAST_10,), (Instrument.PHQ_2,))),
    EncounterKind.PHONE: (0.05, ((Instrument.PHQ_2,),)),
    EncounterKind.FIELD_CONTACT: (0.05, ((Instrument.PHQ_2,),)),
}


class CareMaker:
    """Encounters at intake and on visits; screenings; closed-loop service referrals."""

    def __init__(self, ctx: ProgramContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        categories = [c for c in ctx.preset.service_categories if ctx.services.get(c)]
        treatment = [c for c in categories if c in TREATMENT_CATEGORIES]
        self.treatment = treatment or categories
        self.support = [c for c in categories if c not in TREATMENT_CATEGORIES] or categories
        self.destinations = self.destination_names()
        # Each record's consents by the provider they name, to refer there again under.
        self.consents: dict[tuple[int, int | str], Consent] = {}

    def destination_names(self) -> dict[str, list[str]]:
        ctx = self.ctx

        def services_of(category: str) -> list[str]:
            return sorted({service.organization.name for service in ctx.services.get(category, [])})

        hospitals = [org.name for org in ctx.cast.partners_of(OrganizationKind.HOSPITAL)]
        police = [org.name for org in ctx.cast.partners_of(OrganizationKind.POLICE)]
        return {
            D.TRANSPORTED_CRISIS_CENTER: services_of("crisis_stabilization")
            or hospitals
            or ["Regional crisis centre"],
            D.TRANSPORTED_DETOX: services_of("detox") or ["Withdrawal management unit"],
            D.TRANSPORTED_HOSPITAL: hospitals or ["Emergency department"],
            D.INVOLUNTARY_HOLD: hospitals or ["Emergency department"],
            D.TRANSPORTED_HOME: ["Home"],
            D.ARRESTED: police or ["Police station"],
        }

    def intake_encounter(self, reach: Reach) -> None:
        """The response that came with the referral, where the pathway has one."""
        rng, pathway, eligible = self.rng, reach.pathway, reach.referral.eligible
        at = reach.referral.received_at
        if pathway is Pathway.COMMUNITY_RESPONSE and reach.call is not None and eligible:
            arrived = hours_later(reach.incident_at, rng.uniform(0.15, 0.5))
            self.encounter(reach, EncounterKind.CRISIS_RESPONSE, arrived, CRISIS, call=reach.call)
        elif pathway in (Pathway.OFFICER_INTERVENTION, Pathway.OFFICER_PREVENTION):
            if chance(rng, 0.85):
                weights = FIELD_DIVERTED if eligible else FIELD_NOT_DIVERTED
                self.encounter(reach, EncounterKind.FIELD_CONTACT, reach.incident_at, weights)
        elif pathway is Pathway.ACTIVE_OUTREACH and chance(rng, 0.7):
            kind = EncounterKind.FIELD_CONTACT if chance(rng, 0.6) else EncounterKind.DROP_IN
            self.encounter(reach, kind, at, VISIT)
        elif pathway is Pathway.SELF_REFERRAL and chance(rng, 0.5):
            if chance(rng, 0.5):
                self.encounter(reach, EncounterKind.DROP_IN, at, VISIT)
            else:
                self.encounter(reach, EncounterKind.PHONE, at, PHONE)

    def encounter(
        self,
        reach: Reach,
        kind: EncounterKind,
        at: dt.datetime,
        dispositions: Weighted[D],
        *,
        call: Call | None = None,
        crew: tuple[Team | None, User] | None = None,
    ) -> Encounter | None:
        ctx, rng = self.ctx, self.rng
        if at >= ctx.anchor_at:
            return None
        team, worker = crew or ctx.crew()
        disposition = ctx.decks.dispositions.draw(rng, dispositions)
        crisis = kind is EncounterKind.CRISIS_RESPONSE
        encounter = Encounter(
            program_id=ctx.program.pk,
            person=reach.person,
            team=team,
            call=call,
            referral=reach.referral,
            occurred_at=at,
            kind=kind.value,
            disposition=disposition.value,
            destination=pick(rng, self.destinations[disposition])
            if disposition in self.destinations
            else "",
            minutes_on_scene=self.minutes_on_scene(kind),
            deescalation_used=chance(rng, 0.55 if crisis else 0.1),
            naloxone_given=call is not None and call.call_type == Call.CallType.OVERDOSE,
            clinical_note=pick(rng, CLINICAL_NOTES[kind]) if chance(rng, 0.4) else "",
        )
        ctx.writer.add(encounter)
        self.screen(encounter, kind)
        if disposition in (D.RESOLVED_ON_SCENE, D.TRANSPORTED_HOME) and chance(rng, 0.2):
            self.refer(reach, at, worker, self.support)
        elif disposition is D.TRANSPORTED_DETOX:
            self.refer(reach, at, worker, self.treatment)
        return encounter

    def minutes_on_scene(self, kind: EncounterKind) -> int:
        low, high = {
            EncounterKind.CRISIS_RESPONSE: (15, 150),
            EncounterKind.OUTREACH_VISIT: (10, 75),
            EncounterKind.DROP_IN: (10, 60),
            EncounterKind.PHONE: (5, 40),
            EncounterKind.FIELD_CONTACT: (10, 90),
        }[kind]
        # Most visits are short, a few run long: the minimum of two draws skews low.
        return min(self.rng.randint(low, high), self.rng.randint(low, high))

    def screen(self, encounter: Encounter, kind: EncounterKind) -> None:
        share, choices = SCREENINGS_BY_KIND[kind]
        if not chance(self.rng, share):
            return
        severity = self.rng.random()
        for instrument in pick(self.rng, choices):
            items, highest = INSTRUMENT_ITEMS[instrument]
            answers = [self.answer(severity, highest) for _ in range(items)]
            if instrument == Instrument.CSSRS_SCREENER and answers[1] == 0:
                answers[2:5] = [0, 0, 0]  # items 3-5 follow only a yes to item 2
            sex = encounter.person.sex if encounter.person else None
            result = score_screening(instrument, answers, sex=sex)
            self.ctx.writer.add(
                Screening(
                    encounter=encounter,
                    instrument=instrument,
                    answers=answers,
                    score=result.score,
                    band=result.band,
                    positive=result.positive,
                    flags=list(result.flags),
                )
            )

    def answer(self, severity: float, highest: int) -> int:
        """One item's answer, higher when the person is worse off."""
        rng = self.rng
        if highest == 1:
            return int(rng.random() < severity * 0.8)
        return min(highest, int(rng.random() * (highest + 1) * severity * 1.3))

    def refer(
        self, reach: Reach, at: dt.datetime, worker: User, categories: list[str]
    ) -> ServiceReferral | None:
        """A referral to a nearby service in one of `categories`, in some FHIR Task state."""
        ctx, rng = self.ctx, self.rng
        requested_at = hours_later(at, rng.uniform(0.1, 6))
        if not categories or requested_at >= ctx.anchor_at:
            return None
        service = pick(rng, ctx.services[pick(rng, categories)])
        status = ctx.decks.statuses.draw(rng, SERVICE_STATUSES)
        changed = requested_at
        if status not in (TaskStatus.DRAFT, TaskStatus.REQUESTED):
            latest = ctx.anchor_at - dt.timedelta(minutes=1)
            changed = min(hours_later(requested_at, rng.uniform(2, 21 * 24)), latest)
        reasons = STATUS_REASONS.get(status)
        consent = None
        if service.part2_program:
            consent = self.consent(reach.person, service, at, requested_at, worker)
        referral = ServiceReferral(
            program_id=ctx.program.pk,
            person=reach.person,
            service=service,
            status=status.value,
            status_reason=pick(rng, reasons) if reasons else "",
            referred_by=worker,
            requested_at=requested_at,
            status_changed_at=changed,
            consent=consent,
        )
        ctx.writer.add(referral, created_at=requested_at)
        self.history(referral, status, worker)
        if consent is not None:
            self.account_for(referral, consent, worker)
        return referral

    def account_for(self, referral: ServiceReferral, consent: Consent, worker: User) -> None:
        """The release a Part 2 referral is, in the person's accounting of disclosures, as
        the referral form records it (`privacy.actions.record_referral_disclosure`)."""
        service = referral.service
        partner = service.organization.partner
        disclosure = Disclosure(
            person=referral.person,
            consent=consent,
            program_id=referral.program_id,
            disclosed_at=referral.requested_at,
            disclosed_by=worker,
            recipient=(partner.name if partner is not None else service.organization.name)[:200],
            recipient_organization=partner,
            groups=[FieldGroup.PART2.value],
            purpose=consent.purpose,
            channel="referral",
            notice_included=True,
        )

        def told() -> None:  # the referral's number is known once it is inserted
            disclosure.information = (
                f"Referral {referral.pk} to {service.name}: "
                "that the person seeks substance use treatment"
            )

        self.ctx.writer.add(disclosure, finish=told)

    def meet_someone_new(self) -> None:
        """Consents are one human's: forget the last one's before the next one's story."""
        self.consents.clear()

    def consent(
        self,
        person: Person,
        service: Service,
        signed_at: dt.datetime,
        requested_at: dt.datetime,
        worker: User,
    ) -> Consent:
        """The person's consent naming the provider, as a referral to a Part 2 program needs
        (`services.actions.refer_to_service`): the one they signed earlier while it still
        lets the team refer, else one signed with the worker who met them (drawing nothing,
        so the rest of the demo is as it was). Checked by the rule the referral form applies,
        so the demo refers no one the product would refuse to."""
        program, provider = self.ctx.program, service.organization
        key = (id(person), provider.partner_id or provider.hsds_id)
        earlier = self.consents.get(key)
        if (
            earlier is not None
            and earlier.person is person
            and lets_refer(earlier, program, service, requested_at)
        ):
            return earlier
        day = signed_at.astimezone(self.ctx.zone).date()
        named = provider.partner or provider
        recipient = (
            {"organization": provider.partner.slug}
            if provider.partner is not None
            else {"name": provider.name}
        )
        consent = Consent(
            person=person,
            program_id=program.pk,
            discloser=program.name,
            recipients=[recipient],
            information="That the person seeks substance use treatment, and what they need from it",
            covers=[FieldGroup.PART2.value],
            purpose=f"Referral to treatment at {named}",
            right_to_revoke_explained=True,
            expires_at=end_of_day(day + CONSENT_RUNS, self.ctx.zone),
            expires_on=day + CONSENT_RUNS,
            signed_at=signed_at,
            signature_method=Consent.SignatureMethod.WRITTEN,
            created_by=worker,
            modified_by=worker,
        )
        if not lets_refer(consent, program, service, requested_at):
            raise ValueError(f"the demo's consent would not let {program.slug} refer to {named}")
        self.consents[key] = consent
        self.ctx.writer.add(consent, created_at=signed_at)
        return consent

    def history(self, referral: ServiceReferral, status: TaskStatus, worker: User) -> None:
        """The steps that brought the referral to `status`, evenly between its request and
        its last change, each by the side that takes it (drawing nothing, so the rest of
        the demo is as it was)."""
        steps = STATUS_PATHS[status]
        provider = self.ctx.cast.personas.get(Role.PROVIDER)
        start, end = referral.requested_at, referral.status_changed_at
        for number, step in enumerate(steps):
            at = start + (end - start) * (number / (len(steps) - 1)) if len(steps) > 1 else start
            self.ctx.writer.add(
                ServiceReferralStatusChange(
                    referral=referral,
                    status=step.value,
                    reason=referral.status_reason if step is status else "",
                    at=at,
                    by=worker if step in REFERRING_STEPS else provider,
                )
            )
