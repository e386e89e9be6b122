"""The access policy: role × record type × field group × action, as one table.

The `access_*` gates consult this table for every read of person-identifying
data; nothing else decides who sees what. Changing who may see a field group
is a change to this table, reviewed like any other rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from coresponder.domain.vocabulary import AttemptOutcome, Disposition, Role


class FieldGroup(StrEnum):
    IDENTITY = "identity"  # names, aliases, birth date, sex, race and ethnicity
    CONTACT = "contact"  # phone, address, location
    REFERRAL = "referral"  # referral and pathway facts, service referral requests
    OUTREACH = "outreach"  # outreach tasks, attempts, encounters took place
    ENGAGEMENT = "engagement"  # engaged / not engaged, and nothing more
    CLINICAL = "clinical"  # screenings, encounter notes, diagnoses, treatment detail
    PART2 = "part2"  # what a treatment provider says about SUD treatment (42 CFR Part 2)
    JUSTICE = "justice"  # offense detail, and a diversion's case or docket number


class Access(StrEnum):
    ALLOW = "allow"
    CONSENT = "consent"  # only with a valid consent naming the reader
    DENY = "deny"


class Scope(StrEnum):
    """Which people a role may learn of at all, within the programs the user is in."""

    PROGRAM = "program"  # everyone the program has met
    REFERRED_TO_ORGANIZATION = "referred_to_organization"  # people referred to my organisation
    DIVERTED = "diverted"  # people diverted in lieu of arrest (officer_intervention)
    NONE = "none"  # aggregates only


class RecordType(StrEnum):
    PERSON = "person"
    REFERRAL = "referral"
    OUTREACH = "outreach"
    ENCOUNTER = "encounter"
    SCREENING = "screening"
    SERVICE_REFERRAL = "service_referral"
    CONSENT = "consent"


class GroupVisibility(StrEnum):
    """What a reader gets of one field group: shown, withheld for want of consent, or hidden."""

    SHOWN = "shown"
    WITHHELD = "withheld"  # exists, but needs a consent the reader lacks
    HIDDEN = "hidden"  # never part of what this role sees


WITHHELD_TEXT = "status withheld: no consent in force names you"
# Why a reader is not told which service a referral went to, where that tells of
# treatment (a Part 2 program's): the field that holds it says what is withheld.
SERVICE_WITHHELD_TEXT = "no consent in force names you"

# Clinical detail among outreach facts: an attempt's outcome that gives the person's decision
# about treatment, either way (took it up, is in it already, declined, declined for now), and
# so the close reason it gives the task and the closing checklist's outcome answer; and an
# encounter's disposition that says the person was taken for care (to a hospital's emergency
# department, detox, a crisis center, or on an involuntary hold). The record they sit on is
# an outreach one, but these values are clinical detail: a reader who may not see the
# person's clinical detail reads `vocabulary.WITHHELD_CODE` in their place (`value_group`),
# and the outreach rules, the metrics and the worker keep using the values themselves.
# Each withheld word so stands for several values, a common one no treatment (a refusal, a
# trip to the ER), and never tells by itself that the person took treatment up.
DECISION_OUTCOMES: frozenset[str] = frozenset(
    {
        AttemptOutcome.DECLINED,
        AttemptOutcome.DECLINED_INTERESTED_LATER,
        AttemptOutcome.ACCEPTED_TREATMENT,
        AttemptOutcome.ALREADY_IN_TREATMENT,
    }
)
CARE_DISPOSITIONS: frozenset[str] = frozenset(
    {
        Disposition.TRANSPORTED_HOSPITAL,
        Disposition.TRANSPORTED_DETOX,
        Disposition.TRANSPORTED_CRISIS_CENTER,
        Disposition.INVOLUNTARY_HOLD,
    }
)
TREATMENT_DETAIL: Mapping[str, frozenset[str]] = {
    "outcome": DECISION_OUTCOMES,
    "close_reason": DECISION_OUTCOMES,
    "disposition": CARE_DISPOSITIONS,
}


def value_group(vocabulary: str, code: object) -> FieldGroup | None:
    """The field group a coded value of an outreach record reveals beyond the record's own:
    CLINICAL for the person's decision about treatment and where they were taken for care
    (`TREATMENT_DETAIL`), None for a value the record's group covers. The one rule every
    reading of outcomes, close reasons and dispositions asks, figures included."""
    if str(code or "") in TREATMENT_DETAIL.get(vocabulary, frozenset()):
        return FieldGroup.CLINICAL
    return None


# 42 CFR 2.32: the notice that accompanies every disclosure of Part 2 records.
REDISCLOSURE_NOTICE = (
    "This record which has been disclosed to you is protected by federal confidentiality "
    "rules (42 CFR part 2). The federal rules prohibit you from making any further "
    "disclosure of information in this record that identifies a patient as having or having "
    "had a substance use disorder either directly, by reference to publicly available "
    "information, or through verification of such identification by another person unless "
    "further disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed or as otherwise permitted by 42 CFR part 2. A general "
    "authorization for the release of medical or other information is NOT sufficient for "
    "this purpose (see 42 CFR 2.31). The federal rules restrict any use of the information "
    "to investigate or prosecute with regard to a crime any patient with a substance use "
    "disorder, except as provided at 42 CFR 2.12(c)(5) and 2.65."
)

# How long an opened break-glass record stays open to the clinician who opened it.
BREAK_GLASS_HOURS = 4
# Patients may ask for an accounting of disclosures for the past 3 years.
ACCOUNTING_YEARS = 3


@dataclass(frozen=True)
class RolePolicy:
    scope: Scope
    read: Mapping[FieldGroup, Access]
    write: frozenset[RecordType]
    may_break_glass: bool = False


def _reads(
    allow: Iterable[FieldGroup], consent: Iterable[FieldGroup] = ()
) -> dict[FieldGroup, Access]:
    table = {group: Access.DENY for group in FieldGroup}
    table.update({group: Access.ALLOW for group in allow})
    table.update({group: Access.CONSENT for group in consent})
    return table


G = FieldGroup
_FIELD_WORK = (G.IDENTITY, G.CONTACT, G.REFERRAL, G.OUTREACH, G.ENGAGEMENT)
_CLINICAL_TEAM = RolePolicy(
    scope=Scope.PROGRAM,
    read=_reads([*_FIELD_WORK, G.CLINICAL], consent=[G.PART2]),
    write=frozenset(
        {
            RecordType.PERSON,
            RecordType.REFERRAL,
            RecordType.OUTREACH,
            RecordType.ENCOUNTER,
            RecordType.SCREENING,
            RecordType.SERVICE_REFERRAL,
            RecordType.CONSENT,
        }
    ),
    may_break_glass=True,
)

POLICY: Mapping[Role, RolePolicy] = {
    # Officers: who and where, outreach status and engagement; clinical and Part 2
    # only with the person's consent. Offense detail is theirs to begin with.
    Role.OFFICER: RolePolicy(
        scope=Scope.PROGRAM,
        read=_reads([*_FIELD_WORK, G.JUSTICE], consent=[G.CLINICAL, G.PART2]),
        write=frozenset({RecordType.PERSON, RecordType.REFERRAL, RecordType.OUTREACH}),
    ),
    Role.CLINICIAN: _CLINICAL_TEAM,
    Role.RECOVERY_COACH: _CLINICAL_TEAM,
    Role.PEER_SPECIALIST: _CLINICAL_TEAM,
    Role.CASE_MANAGER: _CLINICAL_TEAM,
    Role.SOCIAL_WORKER: _CLINICAL_TEAM,
    Role.PARAMEDIC: _CLINICAL_TEAM,
    Role.FAITH_LEADER: RolePolicy(
        scope=Scope.PROGRAM,
        read=_reads(_FIELD_WORK, consent=[G.CLINICAL, G.PART2]),
        write=frozenset({RecordType.OUTREACH}),
    ),
    Role.COORDINATOR: RolePolicy(
        scope=Scope.PROGRAM,
        read=_reads([*_FIELD_WORK, G.JUSTICE], consent=[G.CLINICAL, G.PART2]),
        write=frozenset(
            {
                RecordType.PERSON,
                RecordType.REFERRAL,
                RecordType.OUTREACH,
                RecordType.SERVICE_REFERRAL,
                RecordType.CONSENT,
            }
        ),
    ),
    # Providers hold the Part 2 record of the people referred to them.
    Role.PROVIDER: RolePolicy(
        scope=Scope.REFERRED_TO_ORGANIZATION,
        read=_reads([G.IDENTITY, G.CONTACT, G.PART2], consent=[G.CLINICAL]),
        write=frozenset({RecordType.SERVICE_REFERRAL}),
    ),
    # Prosecutors learn engaged / not engaged of people diverted in lieu of arrest, and
    # nothing else: Part 2 records may never be used to investigate or prosecute.
    Role.PROSECUTOR: RolePolicy(
        scope=Scope.DIVERTED, read=_reads([G.ENGAGEMENT]), write=frozenset()
    ),
    Role.ANALYST: RolePolicy(scope=Scope.NONE, read=_reads([]), write=frozenset()),
    Role.ADMIN: RolePolicy(
        scope=Scope.PROGRAM,
        read=_reads([G.IDENTITY, G.REFERRAL, G.OUTREACH, G.ENGAGEMENT]),
        write=frozenset(),
    ),
}

# During break-glass the clinician reads as the clinical team does, Part 2 included.
BREAK_GLASS_READ: Mapping[FieldGroup, Access] = _reads([*_FIELD_WORK, G.CLINICAL, G.PART2])


def decide(access: Access, has_consent: bool) -> GroupVisibility:
    if access is Access.ALLOW:
        return GroupVisibility.SHOWN
    if access is Access.CONSENT:
        return GroupVisibility.SHOWN if has_consent else GroupVisibility.WITHHELD
    return GroupVisibility.HIDDEN


def merge_reads(tables: Iterable[Mapping[FieldGroup, Access]]) -> dict[FieldGroup, Access]:
    """The most open access any of the tables grants, group by group."""
    rank = {Access.DENY: 0, Access.CONSENT: 1, Access.ALLOW: 2}
    merged = {group: Access.DENY for group in FieldGroup}
    for table in tables:
        for group, access in table.items():
            if rank[access] > rank[merged[group]]:
                merged[group] = access
    return merged


def opened_by_consent(role: Role) -> frozenset[FieldGroup]:
    """What a consent naming a reader of this role opens to them: nothing for a prosecutor,
    an analyst or an administrator, whatever the consent says."""
    return frozenset(g for g, access in POLICY[role].read.items() if access is Access.CONSENT)


def may_write(role: Role, record: RecordType) -> bool:
    return record in POLICY[role].write


def works_in_the_field(role: Role) -> bool:
    """Whether the access policy lets the role work follow-up in the field: it may learn of
    everyone the program has met and record outreach. Prosecutors (diverted people's
    engagement only), providers (their own referrals), analysts (aggregates) and
    administrators (who record nothing) do not."""
    policy = POLICY[role]
    return policy.scope is Scope.PROGRAM and RecordType.OUTREACH in policy.write


# Who answers a person's request for everything a program holds about them (HIPAA right
# of access, 45 CFR 164.524): the program's coordinators, and administrators. What the
# export holds is still what the gate shows that reader (docs/security.md).
RECORDS_REQUEST_ROLES: frozenset[Role] = frozenset({Role.COORDINATOR, Role.ADMIN})
# The parts of the record a request may be fulfilled without (access denied in part, 45 CFR
# 164.524(d)(1)): those the grounds of 164.524(a)(2), (a)(3) speak of (psychotherapy and
# clinical notes, what a treatment provider says, what was prepared for a court case); the
# rest of the record is given, complete.
WITHHOLDABLE_GROUPS: tuple[FieldGroup, ...] = (
    FieldGroup.CLINICAL,
    FieldGroup.PART2,
    FieldGroup.JUSTICE,
)
# Who may be designated to review a denial of access on a ground 164.524(a)(3) makes
# reviewable: the rule asks for a licensed health care professional (164.524(a)(4)), so a
# member of the clinical team whose role is a licensed one (clinicians, social workers);
# peer specialists, recovery coaches and case managers read as the clinical team does but
# hold no such licence as a rule. That the reviewer took no part in the denial is checked
# against the request itself.
ACCESS_DENIAL_REVIEWER_ROLES: frozenset[Role] = frozenset({Role.CLINICIAN, Role.SOCIAL_WORKER})
# Who may give an amendment request its one 30-day extension (45 CFR 164.526(b)(2)(ii)),
# telling the person why in writing: the program's coordinators and administrators.
AMENDMENT_EXTENSION_ROLES: frozenset[Role] = frozenset({Role.COORDINATOR, Role.ADMIN})

# Who gives a program's follow-up tasks to its teams, and takes a claimed one back for
# another team: its coordinators (administrators record no follow-up). A team gives back
# its own claims.
TASK_ASSIGN_ROLES: frozenset[Role] = frozenset({Role.COORDINATOR})

# Who hands over a program's care plans whose owner may no longer own care there (they
# left it, their role changed, their account was disabled): its coordinators and
# administrators, who read no clinical detail. Of such a plan they learn who it is for,
# when it opened, who held it and why they no longer do, and how many follow-ups are open;
# never its goals, steps, notes or anything else the plan says.
CARE_HANDOVER_ROLES: frozenset[Role] = frozenset({Role.COORDINATOR, Role.ADMIN})

# Who plans the program's capacity (calls by hour of the week, teams, shifts): its
# coordinators, its analysts and administrators. The planner shows aggregates and model
# results only, never a person's data.
CAPACITY_PLANNING_ROLES: frozenset[Role] = frozenset({Role.COORDINATOR, Role.ANALYST, Role.ADMIN})


# Who reads a program's overdose spike alerts (counts per area, never a person): its
# coordinators, the field teams who respond, analysts (aggregates are theirs) and
# administrators. Prosecutors and providers work cases, not the program's map.
SPIKE_ALERT_READERS: frozenset[Role] = frozenset(
    {
        Role.COORDINATOR,
        Role.OFFICER,
        Role.CLINICIAN,
        Role.RECOVERY_COACH,
        Role.PEER_SPECIALIST,
        Role.PARAMEDIC,
        Role.SOCIAL_WORKER,
        Role.FAITH_LEADER,
        Role.CASE_MANAGER,
        Role.ANALYST,
        Role.ADMIN,
    }
)
# Who may run the spike check on demand (the worker runs it on its own rhythm).
SPIKE_CHECK_ROLES: frozenset[Role] = frozenset({Role.COORDINATOR, Role.ADMIN})
