"""Ways in: one referral per contact, with the facts of its pathway, decided by the preset.

Officer pathways carry offense facts (mostly divertible, some violent, armed or
out of district), 911 calls carry call facts, post-overdose referrals carry an
overdose reported by one to three agencies, and some self-referrals come from
a family member asking on the person's behalf.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coresponder.demo.context import ProgramContext
from coresponder.demo.draw import Weighted, chance, hours_later, local_moment, near, pick
from coresponder.demo.draw import point_in_area as area_point
from coresponder.demo.people import Identity
from coresponder.domain.eligibility import call_triage_words, decide, needed_facts
from coresponder.domain.vocabulary import OrganizationKind as Kind
from coresponder.domain.vocabulary import OverdoseSource, Pathway, Role, label
from coresponder.intake.models import Call, Overdose, OverdoseReport, Referral
from coresponder.people.models import Collateral, Person, Sex

Offense = Referral.OffenseCategory
CallType = Call.CallType

# Officers mostly refer what the program diverts; the rest shows why rules matter.
OFFENSES = Weighted(
    {
        Offense.DRUG_POSSESSION: 55,
        Offense.RETAIL_THEFT: 20,
        Offense.PROSTITUTION: 10,
        Offense.TRESPASS: 4,
        Offense.DISORDERLY: 4,
        Offense.DRUG_SALE: 3,
        Offense.ASSAULT: 2,
        Offense.OTHER: 2,
    }
)
CALL_TYPES = Weighted(
    {
        CallType.MENTAL_HEALTH_CRISIS: 25,
        CallType.SUICIDAL: 15,
        CallType.SUBSTANCE_USE: 13,
        CallType.INTOXICATION: 11,
        CallType.WELFARE_CHECK: 18,
        CallType.OVERDOSE: 5,
        CallType.DISTURBANCE: 8,
        CallType.OTHER: 5,
    }
)
# Between 5 and 10 % of the overdoses programs hear about are fatal.
FATAL_SHARE = 0.07
NALOXONE_DOSES = Weighted({0: 8, 1: 35, 2: 35, 3: 15, 4: 7})
FATAL_NALOXONE_DOSES = Weighted({0: 30, 1: 30, 2: 25, 3: 15})
REPORT_COUNTS = Weighted({1: 45, 2: 35, 3: 20})
OVERDOSE_PLACES = Weighted(
    {
        "Street or sidewalk": 30,
        "Parked vehicle": 15,
        "Business": 12,
        "Public restroom": 10,
        "Park": 10,
        "Motel": 10,
        "Shelter": 8,
        "Vacant building": 5,
    }
)
# How often each source reports an overdose, doubled when the program has such a partner.
REPORT_SOURCES: dict[OverdoseSource, tuple[float, Kind | None, str, tuple[float, float]]] = {
    # source: (weight, partner kind, id prefix, hours after the overdose)
    OverdoseSource.EMS: (5, Kind.EMS, "EMS", (0.1, 1.5)),
    OverdoseSource.POLICE: (4, Kind.POLICE, "PD", (0.5, 6)),
    OverdoseSource.HOSPITAL: (3, Kind.HOSPITAL, "ED", (1, 18)),
    OverdoseSource.FAMILY: (1, None, "FAM", (6, 72)),
}
OPIOID_DIAGNOSES = Weighted(
    {"T40.411A": 50, "T40.1X1A": 25, "T40.2X1A": 10, "T40.601A": 8, "F11.220": 7}
)
CALL_NARRATIVES: dict[str, tuple[str, ...]] = {
    CallType.MENTAL_HEALTH_CRISIS: (
        "Caller says {who} has not slept for days and believes neighbours are watching the home.",
        "{Who} is shouting in the street and appears confused; no injuries reported.",
    ),
    CallType.SUICIDAL: (
        "Caller reports {who} sent a goodbye message and is not answering the phone.",
        "{Who} said they want to end their life; caller is staying on the line.",
    ),
    CallType.SUBSTANCE_USE: (
        "Caller worried about {who} using daily; asking how to get help with treatment.",
        "{Who} is using in a stairwell; building manager asks for outreach.",
    ),
    CallType.INTOXICATION: (
        "{Who} is unsteady and slurring outside a convenience store.",
        "{Who} is asleep at a bus shelter and hard to wake.",
    ),
    CallType.WELFARE_CHECK: (
        "Family has not heard from {who} in three days and asks for a welfare check.",
        "Landlord reports {who} has not left the apartment in a week.",
    ),
    CallType.OVERDOSE: (
        "{Who} was unresponsive; a bystander gave naloxone and breathing has returned.",
    ),
    CallType.DISTURBANCE: (
        "Loud argument at the residence; caller says {who} is throwing things.",
    ),
    CallType.OTHER: ("Caller asks for a check on {who}, sitting in a parked car for hours.",),
}
# Dispatch priority as a CAD system on a 1 (lights and siren) to 3 scale gives it.
URGENT_CALL_TYPES = frozenset({CallType.SUICIDAL, CallType.OVERDOSE})


def call_priority(call_type: str, *, weapons: bool, violence: bool) -> str:
    if weapons or violence or call_type in URGENT_CALL_TYPES:
        return "1"
    return "2" if call_type == CallType.MENTAL_HEALTH_CRISIS else "3"


@dataclass
class Reach:
    """One time a human came to the program: the record used and what was reported."""

    identity: Identity
    person: Person
    pathway: Pathway
    referral: Referral
    incident_at: dt.datetime
    is_last: bool
    overdose: Overdose | None = None
    call: Call | None = None

    @property
    def follow_up_anchor(self) -> dt.datetime:
        return self.overdose.occurred_at if self.overdose else self.referral.received_at


class IntakeMaker:
    """Makes the referral (and its overdose or call) for each contact."""

    def __init__(self, ctx: ProgramContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.cases = 0  # case numbers given so far, counted (no draw, so the rest is unchanged)
        self.builders: dict[Pathway, Callable[[Reach, dict[str, Any]], None]] = {
            Pathway.OFFICER_INTERVENTION: self.officer_referral,
            Pathway.OFFICER_PREVENTION: self.prevention_referral,
            Pathway.NALOXONE_PLUS: self.overdose_referral,
            Pathway.COMMUNITY_RESPONSE: self.call_referral,
            Pathway.SELF_REFERRAL: self.self_referral,
            Pathway.ACTIVE_OUTREACH: self.outreach_referral,
        }

    def reach(self, identity: Identity, person: Person, day: dt.date, is_last: bool) -> Reach:
        ctx = self.ctx
        pathway = ctx.decks.pathways.draw(self.rng, ctx.pathways)
        incident_at = local_moment(self.rng, day, ctx.zone)
        if incident_at >= ctx.anchor_at:
            # Late evening on the last day is already past midnight UTC: keep it in the past.
            incident_at -= dt.timedelta(days=1)
        referral = Referral(
            program_id=ctx.program.pk,
            person=person,
            pathway=pathway.value,
            received_at=incident_at,
            channel=Referral.Channel.DEMO,
        )
        reach = Reach(identity, person, pathway, referral, incident_at, is_last)
        facts: dict[str, Any] = {}
        if person.birth_date is not None:
            facts["person"] = {"age": identity.age_on(incident_at.date())}
        self.builders[pathway](reach, facts)
        decision = decide(pathway, facts, ctx.preset.eligibility, ctx.active_districts)
        referral.eligible = decision.eligible
        referral.eligibility_reasons = list(decision.reasons)
        if reach.call is not None:
            reach.call.co_responders_sent = decision.eligible
            reach.call.triage_reasons = list(call_triage_words(decision))
        # Recorded as it came in, so "new since you last looked" counts the story's arrivals.
        ctx.writer.add(referral, created_at=referral.received_at)
        identity.seen(person, min(incident_at, referral.received_at))
        return reach

    def set_district(self, reach: Reach, code: str | None, facts: dict[str, Any]) -> None:
        if code:
            facts["district"] = code
            reach.referral.district = self.ctx.district(code)

    def officer_district(self, needed: bool) -> str | None:
        """Mostly the districts the program serves; some stops happen elsewhere, and a few
        where the officer gave no district, unless the program's rules read it (`needed`):
        intake refuses such a referral, so the officer gives one of the program's districts."""
        ctx, roll = self.ctx, self.rng.random()
        if not ctx.active_districts:
            return None
        if roll < 0.93 or (roll < 0.97 and not ctx.inactive_districts):
            return pick(self.rng, ctx.active_districts)
        if roll < 0.97:
            return pick(self.rng, ctx.inactive_districts)
        if not needed:
            return None
        # From the same roll, so the draws after it are the ones they were.
        codes = ctx.inactive_districts or ctx.active_districts
        return codes[min(int((roll - 0.97) / 0.03 * len(codes)), len(codes) - 1)]

    def officer_referral(self, reach: Reach, facts: dict[str, Any]) -> None:
        rng, referral = self.rng, reach.referral
        category = OFFENSES.draw(rng)
        violent = chance(rng, 0.8) if category == Offense.ASSAULT else chance(rng, 0.02)
        weapon = chance(rng, 0.12) if category == Offense.DRUG_SALE else chance(rng, 0.03)
        referral.offense_category = category
        referral.offense_violent = violent
        referral.offense_weapon = weapon
        facts["offense"] = {"category": category.value, "violent": violent, "weapon": weapon}
        needed = needed_facts(reach.pathway, self.ctx.preset.eligibility)
        district = self.officer_district("district" in needed)
        self.set_district(reach, district, facts)
        if reach.pathway is Pathway.OFFICER_INTERVENTION:
            # An incident number as police write one: the year, the district, a sequence.
            self.cases += 1
            year = reach.incident_at.year % 100
            referral.case_number = f"{year:02d}-{district or '00'}-{self.cases:06d}"
        officer = self.ctx.staff(Role.OFFICER)
        referral.referred_by = officer
        referral.referring_organization_id = officer.organization_id
        referral.received_at = self.ctx.clamp(hours_later(reach.incident_at, rng.uniform(0.2, 2)))

    def prevention_referral(self, reach: Reach, facts: dict[str, Any]) -> None:
        """An officer refers someone they met, with no charge: no offense to weigh."""
        needed = needed_facts(reach.pathway, self.ctx.preset.eligibility)
        self.set_district(reach, self.officer_district("district" in needed), facts)
        officer = self.ctx.staff(Role.OFFICER)
        referral = reach.referral
        referral.referred_by = officer
        referral.referring_organization_id = officer.organization_id
        hours = self.rng.uniform(0.2, 2)
        referral.received_at = self.ctx.clamp(hours_later(reach.incident_at, hours))

    def outreach_referral(self, reach: Reach, facts: dict[str, Any]) -> None:
        worker = self.ctx.staff(
            Role.RECOVERY_COACH, Role.PEER_SPECIALIST, Role.OFFICER, Role.CLINICIAN
        )
        reach.referral.referred_by = worker
        reach.referral.referring_organization_id = worker.organization_id
        self.set_district(reach, self.ctx.area_district(), facts)

    def self_referral(self, reach: Reach, facts: dict[str, Any]) -> None:
        """Someone asks for help; four times in ten it is a relative or friend asking."""
        if not chance(self.rng, 0.4):
            return
        relative = self.relative(reach.identity)
        referral = reach.referral
        referral.referrer_relationship = relative.relationship
        referral.referrer_name = relative.name
        referral.referrer_phone = relative.phone
        facts["referrer"] = {"relationship": relative.relationship}

    def relative(self, identity: Identity) -> Collateral:
        if identity.collaterals:
            return pick(self.rng, identity.collaterals)
        return Collateral(relationship=pick(self.rng, ("mother", "sibling", "friend", "partner")))

    def call_referral(self, reach: Reach, facts: dict[str, Any]) -> None:
        rng, ctx = self.rng, self.ctx
        call_type = CALL_TYPES.draw(rng)
        caller, who = self.caller(reach.identity)
        latitude, longitude, at_home = self.incident_place(reach.identity)
        narrative = pick(rng, CALL_NARRATIVES[call_type]).format(who=who, Who=who.capitalize())
        weapons, violence = chance(rng, 0.04), chance(rng, 0.03)
        call = Call(
            program_id=ctx.program.pk,
            referral=reach.referral,
            person=reach.person,
            cad_number=f"{reach.incident_at.year}-{ctx.serial('cad'):06d}",
            received_at=reach.incident_at,
            call_type=call_type,
            priority=call_priority(call_type, weapons=weapons, violence=violence),
            address=reach.identity.address if at_home else "",
            narrative=narrative,
            weapons=weapons,
            violence_in_progress=violence,
            caller_name=caller.name,
            caller_phone=caller.phone,
            latitude=latitude,
            longitude=longitude,
        )
        reach.call = ctx.writer.add(call)
        reach.referral.received_at = ctx.clamp(
            hours_later(reach.incident_at, rng.uniform(0.03, 0.2))
        )
        facts["call"] = {
            "call_type": call_type.value,
            "weapons": call.weapons,
            "violence_in_progress": call.violence_in_progress,
        }
        self.set_district(reach, ctx.area_district(), facts)

    def caller(self, identity: Identity) -> tuple[Collateral, str]:
        """Who rang 911, and how the call taker wrote the person down."""
        roll = self.rng.random()
        if identity.collaterals and roll < 0.45:
            relative = pick(self.rng, identity.collaterals)
            return relative, f"their {label('relationship', relative.relationship).lower()}"
        if roll < 0.65:
            return Collateral(name=f"{identity.given_name} {identity.family_name}"), "the caller"
        described: dict[str, str] = {Sex.FEMALE: "a woman", Sex.MALE: "a man"}
        person = described.get(identity.sex, "a person")
        return Collateral(), person

    def incident_place(self, identity: Identity) -> tuple[float, float, bool]:
        """(latitude, longitude, at home): at home six times in ten, when there is a home."""
        area = self.ctx.preset.area
        if identity.latitude is not None and identity.longitude is not None:
            if chance(self.rng, 0.6):
                return (*near(self.rng, identity.latitude, identity.longitude, 0.05), True)
        return (*area_point(self.rng, area.latitude, area.longitude, area.radius_km), False)

    def overdose_referral(self, reach: Reach, facts: dict[str, Any]) -> None:
        rng, ctx = self.rng, self.ctx
        fatal = chance(rng, FATAL_SHARE)
        latitude, longitude, at_home = self.incident_place(reach.identity)
        doses = (FATAL_NALOXONE_DOSES if fatal else NALOXONE_DOSES).draw(rng)
        overdose = Overdose(
            program_id=ctx.program.pk,
            person=reach.person,
            referral=reach.referral,
            occurred_at=reach.incident_at,
            fatal=fatal,
            naloxone_doses=None if chance(rng, 0.1) else doses,
            latitude=latitude,
            longitude=longitude,
            place="Residence" if at_home else OVERDOSE_PLACES.draw(rng),
            district=ctx.district(ctx.area_district()),
        )
        reach.overdose = ctx.writer.add(overdose)
        first = self.reports(overdose, reach.identity)
        ctx.writer.record_at(overdose, first.reported_at)
        reach.referral.received_at = ctx.clamp(hours_later(first.reported_at, rng.uniform(0.05, 2)))
        reach.referral.referring_organization_id = first.organization_id
        facts["overdose"] = {"fatal": fatal, "source": first.source}
        if fatal:
            reach.identity.deceased = True
            reach.person.deceased_on = overdose.occurred_at.astimezone(ctx.zone).date()

    def reports(self, overdose: Overdose, identity: Identity) -> OverdoseReport:
        """One to three agencies' accounts of the same overdose; returns the earliest.

        Accounts that would arrive after the anchor have not arrived yet, except
        the first: the program heard of the overdose somehow.
        """
        rng, ctx = self.rng, self.ctx
        weights = {
            source: weight * (2 if kind and ctx.cast.partners_of(kind) else 1)
            for source, (weight, kind, _, _) in REPORT_SOURCES.items()
        }
        arrivals: list[tuple[dt.datetime, OverdoseSource]] = []
        for _ in range(REPORT_COUNTS.draw(rng)):
            source = Weighted(weights).draw(rng)
            del weights[source]
            soonest, latest = REPORT_SOURCES[source][3]
            arrivals.append(
                (hours_later(overdose.occurred_at, rng.uniform(soonest, latest)), source)
            )
        arrivals.sort()
        first = self.report(overdose, identity, arrivals[0][1], ctx.clamp(arrivals[0][0]))
        for reported_at, source in arrivals[1:]:
            if reported_at < ctx.anchor_at:
                self.report(overdose, identity, source, reported_at)
        return first

    def report(
        self, overdose: Overdose, identity: Identity, source: OverdoseSource, at: dt.datetime
    ) -> OverdoseReport:
        rng, ctx = self.rng, self.ctx
        _, kind, prefix, _ = REPORT_SOURCES[source]
        partners = ctx.cast.partners_of(kind) if kind else []
        external_id = f"{prefix}-{overdose.occurred_at.year}-{ctx.serial(prefix):06d}"
        report = OverdoseReport(
            overdose=overdose,
            source=source.value,
            organization=pick(rng, partners) if partners else None,
            external_id=external_id,
            reported_at=at,
            raw=self.raw_report(source, external_id, overdose, identity),
        )
        return ctx.writer.add(report)

    def raw_report(
        self, source: OverdoseSource, external_id: str, overdose: Overdose, identity: Identity
    ) -> dict[str, Any]:
        """A sliver of what each source sends, as it sends it (NEMSIS elements for EMS)."""
        rng = self.rng
        if source is OverdoseSource.EMS:
            return {
                "eRecord.01": external_id,
                "eSituation.11": OPIOID_DIAGNOSES.draw(rng),
                "eMedications.03": "7242" if overdose.naloxone_doses else "",
                "eMedications.07": "9916001" if overdose.naloxone_doses else "",
                "eDisposition.30": pick(rng, ("4230001", "4230003", "4230005", "4230013")),
            }
        if source is OverdoseSource.HOSPITAL:
            return {"encounter_type": "ED", "diagnosis_codes": [OPIOID_DIAGNOSES.draw(rng)]}
        if source is OverdoseSource.POLICE:
            return {"incident_type": "Overdose", "officer_gave_naloxone": chance(rng, 0.3)}
        relative = self.relative(identity)
        return {"reported_by": relative.relationship, "channel": "phone"}
