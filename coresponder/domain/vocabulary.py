"""The words every room shares: pathways, roles, organisation kinds, statuses."""

from __future__ import annotations

from enum import StrEnum


class Pathway(StrEnum):
    """PTACC deflection pathways; every referral has exactly one."""

    SELF_REFERRAL = "self_referral"
    ACTIVE_OUTREACH = "active_outreach"
    NALOXONE_PLUS = "naloxone_plus"
    OFFICER_PREVENTION = "officer_prevention"
    OFFICER_INTERVENTION = "officer_intervention"
    COMMUNITY_RESPONSE = "community_response"


PATHWAY_LABELS: dict[Pathway, str] = {
    Pathway.SELF_REFERRAL: "Self-referral",
    Pathway.ACTIVE_OUTREACH: "Active outreach",
    Pathway.NALOXONE_PLUS: "Naloxone plus (post-overdose)",
    Pathway.OFFICER_PREVENTION: "Officer prevention (no charge)",
    Pathway.OFFICER_INTERVENTION: "Officer intervention (in lieu of arrest)",
    Pathway.COMMUNITY_RESPONSE: "Community response (911 / crisis call)",
}


class Role(StrEnum):
    OFFICER = "officer"
    CLINICIAN = "clinician"
    RECOVERY_COACH = "recovery_coach"
    PEER_SPECIALIST = "peer_specialist"
    PARAMEDIC = "paramedic"
    SOCIAL_WORKER = "social_worker"
    FAITH_LEADER = "faith_leader"
    CASE_MANAGER = "case_manager"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    PROVIDER = "provider"
    PROSECUTOR = "prosecutor"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.OFFICER: "Officer",
    Role.CLINICIAN: "Clinician",
    Role.RECOVERY_COACH: "Recovery coach",
    Role.PEER_SPECIALIST: "Peer specialist",
    Role.PARAMEDIC: "Paramedic (EMS)",
    Role.SOCIAL_WORKER: "Social worker",
    Role.FAITH_LEADER: "Faith leader",
    Role.CASE_MANAGER: "Case manager",
    Role.COORDINATOR: "Program coordinator",
    Role.ANALYST: "Analyst",
    Role.PROVIDER: "Treatment or service provider",
    Role.PROSECUTOR: "Prosecutor",
    Role.ADMIN: "Administrator",
}

# Roles that go out on a team and record field work.
FIELD_ROLES: frozenset[Role] = frozenset(
    {
        Role.OFFICER,
        Role.CLINICIAN,
        Role.RECOVERY_COACH,
        Role.PEER_SPECIALIST,
        Role.PARAMEDIC,
        Role.SOCIAL_WORKER,
        Role.FAITH_LEADER,
        Role.CASE_MANAGER,
    }
)


class OrganizationKind(StrEnum):
    POLICE = "police"
    EMS = "ems"
    HOSPITAL = "hospital"
    PROVIDER = "provider"
    PROSECUTOR = "prosecutor"
    DEFENDER = "defender"
    PROBATION = "probation"
    UNIVERSITY = "university"
    FAITH = "faith"
    COMMUNITY = "community"
    HEALTH_DEPARTMENT = "health_department"


ORGANIZATION_KIND_LABELS: dict[OrganizationKind, str] = {
    OrganizationKind.POLICE: "Police department",
    OrganizationKind.EMS: "EMS agency",
    OrganizationKind.HOSPITAL: "Hospital",
    OrganizationKind.PROVIDER: "Treatment or service provider",
    OrganizationKind.PROSECUTOR: "District attorney",
    OrganizationKind.DEFENDER: "Public defender",
    OrganizationKind.PROBATION: "Probation",
    OrganizationKind.UNIVERSITY: "University",
    OrganizationKind.FAITH: "Faith organisation",
    OrganizationKind.COMMUNITY: "Community coalition",
    OrganizationKind.HEALTH_DEPARTMENT: "Health department",
}


class TaskStatus(StrEnum):
    """FHIR R4 Task.status, the closed-loop referral states."""

    DRAFT = "draft"
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ON_HOLD = "on-hold"
    IN_PROGRESS = "in-progress"
    FAILED = "failed"
    COMPLETED = "completed"
    ENTERED_IN_ERROR = "entered-in-error"


class AttemptChannel(StrEnum):
    HOME_VISIT = "home_visit"
    PHONE = "phone"
    TEXT = "text"
    IN_PERSON = "in_person"
    OTHER = "other"


class AttemptOutcome(StrEnum):
    CONTACTED = "contacted"
    CONTACTED_COLLATERAL_ONLY = "contacted_collateral_only"
    NOT_LOCATED = "not_located"
    DECLINED = "declined"
    DECLINED_INTERESTED_LATER = "declined_interested_later"
    ACCEPTED_TREATMENT = "accepted_treatment"
    ALREADY_IN_TREATMENT = "already_in_treatment"
    DECEASED = "deceased"
    MOVED_AWAY = "moved_away"


class EncounterKind(StrEnum):
    CRISIS_RESPONSE = "crisis_response"
    OUTREACH_VISIT = "outreach_visit"
    DROP_IN = "drop_in"
    PHONE = "phone"
    FIELD_CONTACT = "field_contact"


class Disposition(StrEnum):
    RESOLVED_ON_SCENE = "resolved_on_scene"
    TRANSPORTED_CRISIS_CENTER = "transported_crisis_center"
    TRANSPORTED_DETOX = "transported_detox"
    TRANSPORTED_HOSPITAL = "transported_hospital"
    TRANSPORTED_HOME = "transported_home"
    INVOLUNTARY_HOLD = "involuntary_hold"
    ARRESTED = "arrested"
    REFUSED = "refused"
    OTHER = "other"


class OverdoseSource(StrEnum):
    EMS = "ems"
    POLICE = "police"
    HOSPITAL = "hospital"
    FAMILY = "family"
    SELF = "self"
    OTHER = "other"


def humanize(value: str) -> str:
    """`transported_crisis_center` → `Transported crisis center`."""
    text = value.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


# Substance-use disorder treatment: programs bound by 42 CFR Part 2, so referring a
# person there needs their consent.
SUD_TREATMENT_CATEGORIES: frozenset[str] = frozenset(
    {
        "detox",
        "clinical_stabilization",
        "transitional_support",
        "moud_methadone",
        "moud_buprenorphine",
        "moud_naltrexone",
        "intensive_outpatient",
        "outpatient",
        "residential",
    }
)
# What counts as treatment (people_accepted_treatment); the rest are recovery and
# practical support.
TREATMENT_CATEGORIES: frozenset[str] = SUD_TREATMENT_CATEGORIES | {
    "crisis_stabilization",
    "mental_health",
}
