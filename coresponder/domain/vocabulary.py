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


# The kinds of organisation that run services people are referred to, so may be a directory
# entry's partner: its provider users read every referral sent to the entry's services. A
# police department, a district attorney, a defender, probation, an EMS agency or a
# university runs none.
SERVICE_PROVIDER_KINDS: frozenset[OrganizationKind] = frozenset(
    {
        OrganizationKind.PROVIDER,
        OrganizationKind.HOSPITAL,
        OrganizationKind.HEALTH_DEPARTMENT,
        OrganizationKind.COMMUNITY,
        OrganizationKind.FAITH,
    }
)


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


class ContactRole(StrEnum):
    """Who a visit or call reached."""

    PARTICIPANT = "participant"
    COLLATERAL = "collateral"


class Relationship(StrEnum):
    """A family member's or friend's relationship to the person, from a closed list."""

    MOTHER = "mother"
    FATHER = "father"
    PARENT = "parent"
    PARTNER = "partner"
    SPOUSE = "spouse"
    SIBLING = "sibling"
    CHILD = "child"
    GRANDPARENT = "grandparent"
    OTHER_RELATIVE = "other_relative"
    FRIEND = "friend"
    NEIGHBOR = "neighbor"
    ROOMMATE = "roommate"
    CAREGIVER = "caregiver"
    OTHER = "other"


class ConsentStatus(StrEnum):
    """Where the person's consent to share their record stands, as the closing checklist asks."""

    SIGNED = "signed"
    VERBAL = "verbal"
    DECLINED = "declined"
    NOT_ASKED = "not_asked"
    NOT_ABLE = "not_able"
    REVOKED = "revoked"


class CloseReason(StrEnum):
    """Why staff close a task by hand, outside of a recorded attempt."""

    REACHED_ELSEWHERE = "reached_elsewhere"
    IN_CUSTODY_OR_HOSPITAL = "in_custody_or_hospital"
    NO_WAY_TO_REACH = "no_way_to_reach"
    ASKED_NOT_TO_BE_CONTACTED = "asked_not_to_be_contacted"
    DUPLICATE = "duplicate"
    OTHER = "other"


CLOSE_REASON_LABELS: dict[CloseReason, str] = {
    CloseReason.REACHED_ELSEWHERE: "Reached by another team or service",
    CloseReason.IN_CUSTODY_OR_HOSPITAL: "In custody or in hospital",
    CloseReason.NO_WAY_TO_REACH: "No address or phone to reach them",
    CloseReason.ASKED_NOT_TO_BE_CONTACTED: "Asked not to be contacted",
    CloseReason.DUPLICATE: "Duplicate of another task",
    CloseReason.OTHER: "Other (say why)",
}


class AmendmentDenialGround(StrEnum):
    """The only grounds on which a request to amend a record may be denied (45 CFR
    164.526(a)(2)); the written denial states which (164.526(d)(1)(i))."""

    # (i) not created here, unless whoever created it can no longer act on the request
    NOT_CREATED_BY_US = "not_created_by_us"
    # (ii) not part of the designated record set
    NOT_IN_DESIGNATED_RECORD_SET = "not_in_designated_record_set"
    # (iii) not a record the person may inspect under 164.524
    NOT_AVAILABLE_FOR_INSPECTION = "not_available_for_inspection"
    # (iv) accurate and complete
    ACCURATE_AND_COMPLETE = "accurate_and_complete"


class ContactLimit(StrEnum):
    """A way the person asked not to be reached (45 CFR 164.522(b): a covered program
    accommodates reasonable requests to be reached by other means or at other places)."""

    NO_HOME_VISITS = "no_home_visits"
    NO_VISITS_AT_ADDRESS = "no_visits_at_address"  # at an address the person names
    NO_VOICEMAIL = "no_voicemail"
    NO_HOME_PHONE_CALLS = "no_home_phone_calls"
    NO_TEXTS = "no_texts"
    NO_HOME_MAIL = "no_home_mail"
    NO_CONTACT_THROUGH_FAMILY = "no_contact_through_family"


class AccessDenialGround(StrEnum):
    """The grounds on which a request for access to one's records may be denied in whole
    (45 CFR 164.524(a)(2), (a)(3)); the written denial states them (164.524(d)(2)(i))."""

    # Unreviewable, (a)(2)(i): excepted from the right of access by (a)(1)(i) and (ii).
    PSYCHOTHERAPY_NOTES = "psychotherapy_notes"
    LEGAL_PROCEEDINGS = "legal_proceedings"
    # Unreviewable, (a)(2)(v): obtained from someone other than a health care provider under
    # a promise of confidentiality, where access would reveal the source.
    CONFIDENTIAL_SOURCE = "confidential_source"
    # Reviewable, (a)(3)(i)-(iii): a licensed health care professional's judgment that access
    # is reasonably likely to endanger life or safety, or to cause substantial harm.
    ENDANGERS_LIFE_OR_SAFETY = "endangers_life_or_safety"
    HARMS_PERSON_REFERRED_TO = "harms_person_referred_to"
    HARM_THROUGH_REPRESENTATIVE = "harm_through_representative"


# 164.524(a)(4): a denial on these grounds may be reviewed by a licensed health care
# professional who did not take part in the decision; one on the others may not.
REVIEWABLE_ACCESS_DENIAL_GROUNDS = frozenset(
    {
        AccessDenialGround.ENDANGERS_LIFE_OR_SAFETY,
        AccessDenialGround.HARMS_PERSON_REFERRED_TO,
        AccessDenialGround.HARM_THROUGH_REPRESENTATIVE,
    }
)


def is_reviewable(ground: str) -> bool:
    """Whether a denial of access on `ground` may be reviewed (45 CFR 164.524(a)(4))."""
    return ground in REVIEWABLE_ACCESS_DENIAL_GROUNDS


class AccessReviewDetermination(StrEnum):
    """What the reviewing official decides of a denial of access under review (45 CFR
    164.524(d)(4)): the program does as they decide."""

    UPHELD = "upheld"
    OVERTURNED = "overturned"


# What a denial decided before the grounds were asked says of them.
GROUNDS_NOT_RECORDED = "Not recorded"


# Labels of every code a person may read, by vocabulary name: the one place they live.
# Model choices elsewhere (statuses of plans, goals, triage) carry their own labels.
_ENGLISH: dict[str, dict[str, str]] = {
    "pathway": {str(k): v for k, v in PATHWAY_LABELS.items()},
    "role": {str(k): v for k, v in ROLE_LABELS.items()},
    "organization_kind": {str(k): v for k, v in ORGANIZATION_KIND_LABELS.items()},
    "task_status": {
        TaskStatus.DRAFT: "Draft",
        TaskStatus.REQUESTED: "Requested",
        TaskStatus.ACCEPTED: "Accepted",
        TaskStatus.REJECTED: "Rejected",
        TaskStatus.CANCELLED: "Cancelled",
        TaskStatus.ON_HOLD: "On hold",
        TaskStatus.IN_PROGRESS: "In progress",
        TaskStatus.FAILED: "Failed",
        TaskStatus.COMPLETED: "Completed",
        TaskStatus.ENTERED_IN_ERROR: "Entered in error",
    },
    "channel": {
        AttemptChannel.HOME_VISIT: "Home visit",
        AttemptChannel.PHONE: "Phone call",
        AttemptChannel.TEXT: "Text message",
        AttemptChannel.IN_PERSON: "In person",
        AttemptChannel.OTHER: "Other",
    },
    "outcome": {
        AttemptOutcome.CONTACTED: "Contacted",
        AttemptOutcome.CONTACTED_COLLATERAL_ONLY: "Contacted family or friends only",
        AttemptOutcome.NOT_LOCATED: "Not located",
        AttemptOutcome.DECLINED: "Declined",
        AttemptOutcome.DECLINED_INTERESTED_LATER: "Declined, interested later",
        AttemptOutcome.ACCEPTED_TREATMENT: "Accepted treatment",
        AttemptOutcome.ALREADY_IN_TREATMENT: "Already in treatment",
        AttemptOutcome.DECEASED: "Deceased",
        AttemptOutcome.MOVED_AWAY: "Moved away",
    },
    "encounter_kind": {
        EncounterKind.CRISIS_RESPONSE: "Crisis response",
        EncounterKind.OUTREACH_VISIT: "Outreach visit",
        EncounterKind.DROP_IN: "Drop-in",
        EncounterKind.PHONE: "Phone call",
        EncounterKind.FIELD_CONTACT: "Field contact",
    },
    "disposition": {
        Disposition.RESOLVED_ON_SCENE: "Resolved on scene",
        Disposition.TRANSPORTED_CRISIS_CENTER: "Transported to a crisis center",
        Disposition.TRANSPORTED_DETOX: "Transported to detox",
        Disposition.TRANSPORTED_HOSPITAL: "Transported to hospital",
        Disposition.TRANSPORTED_HOME: "Transported home",
        Disposition.INVOLUNTARY_HOLD: "Involuntary hold",
        Disposition.ARRESTED: "Arrested",
        Disposition.REFUSED: "Refused",
        Disposition.OTHER: "Other",
    },
    "source": {
        OverdoseSource.EMS: "EMS",
        OverdoseSource.POLICE: "Police",
        OverdoseSource.HOSPITAL: "Hospital",
        OverdoseSource.FAMILY: "Family or friends",
        OverdoseSource.SELF: "The person themself",
        OverdoseSource.OTHER: "Other",
    },
    "contact_role": {
        ContactRole.PARTICIPANT: "The person",
        ContactRole.COLLATERAL: "Family or friend",
    },
    "relationship": {
        Relationship.MOTHER: "Mother",
        Relationship.FATHER: "Father",
        Relationship.PARENT: "Parent",
        Relationship.PARTNER: "Partner",
        Relationship.SPOUSE: "Husband or wife",
        Relationship.SIBLING: "Brother or sister",
        Relationship.CHILD: "Son or daughter",
        Relationship.GRANDPARENT: "Grandparent",
        Relationship.OTHER_RELATIVE: "Other relative",
        Relationship.FRIEND: "Friend",
        Relationship.NEIGHBOR: "Neighbor",
        Relationship.ROOMMATE: "Roommate",
        Relationship.CAREGIVER: "Caregiver",
        Relationship.OTHER: "Someone else",
    },
    "consent_status": {
        ConsentStatus.SIGNED: "Signed consent on file",
        ConsentStatus.VERBAL: "Verbal consent, witnessed",
        ConsentStatus.DECLINED: "Declined to consent",
        ConsentStatus.NOT_ASKED: "Not asked yet",
        ConsentStatus.NOT_ABLE: "Not able to consent now",
        ConsentStatus.REVOKED: "Consent revoked",
    },
    "signature_method": {
        "written": "Signed on paper",
        "electronic": "Signed electronically",
        "verbal_witnessed": "Verbal, witnessed",
    },
    "instrument": {
        "dast10": "DAST-10",
        "audit_c": "AUDIT-C",
        "cssrs_screener": "C-SSRS screener",
        "phq2": "PHQ-2",
        "phq9": "PHQ-9",
    },
    # Screening bands and severities, as the instruments' scoring names them.
    "band": {
        "none": "None",
        "no_risk": "No risk found",
        "minimal": "Minimal",
        "low": "Low",
        "mild": "Mild",
        "moderate": "Moderate",
        "moderately_severe": "Moderately severe",
        "substantial": "Substantial",
        "severe": "Severe",
        "high": "High",
        "positive": "Positive",
        "negative": "Negative",
    },
    "language": {
        "ar": "Arabic",
        "en": "English",
        "es": "Spanish",
        "fr": "French",
        "ht": "Haitian Creole",
        "km": "Khmer",
        "pt": "Portuguese",
        "ru": "Russian",
        "vi": "Vietnamese",
        "zh": "Chinese",
    },
    "referral_channel": {
        "api": "API",
        "form": "Staff form",
        "import": "Import",
        "public": "Public help page",
        "demo": "Demo data",
    },
    "outreach_status": {
        "open": "Open",
        "claimed": "Claimed by a team",
        "collecting": "Waiting for the closing checklist",
        "closed": "Closed",
        "cancelled": "Cancelled",
        "expired": "Missed: expired unworked",
    },
    "due_state": {
        "not_yet_open": "Not yet open",
        "open": "Open",
        "closing_soon": "Closing soon",
        "overdue": "Overdue",
    },
    "outreach_target": {"participant": "The person", "family": "Family and friends"},
    # What an audit event is about where that is no stored record of one kind.
    "audit_object": {
        "audit_log": "Audit log",
        "backup": "Backup",
        "demo_data": "Demo data",
        "feeds.cad_batch": "911 dispatch batch",
        "intake.import": "Overdose file import",
        "outreach.sla": "Follow-up timeliness board",
        "people.linkagemodel": "Matching model",
        "people.matchcandidate": "Possible duplicate",
        "planning.capacity": "Capacity plan",
        "reports.dashboard": "Dashboard",
        "reports.evaluation": "Evaluation",
        "reports.metric_days": "Daily figures",
        "reports.metrics": "Program figures",
        "services.directory": "Service directory",
    },
    # How a sign-out came about, where it was not the button (an audit event's detail).
    "sign_out_end": {"idle": "Sign-out, idle too long"},
    "disclosure_channel": {
        "api": "Through the API",
        "web": "On a web page",
        "export": "In an export",
        "referral": "In a referral to a service",
    },
    "service_status": {
        "active": "Active",
        "inactive": "Inactive",
        "defunct": "Closed for good",
        "temporarily closed": "Temporarily closed",
    },
    "offense": {
        "drug_possession": "Drug possession",
        "prostitution": "Prostitution",
        "retail_theft": "Retail theft",
        "trespass": "Trespass",
        "disorderly_conduct": "Disorderly conduct",
        "drug_sale": "Drug sale",
        "assault": "Assault",
        "robbery": "Robbery",
        "other": "Other",
    },
    # Demographics as reported for disparity figures (OMB categories).
    "sex": {"female": "Female", "male": "Male", "other": "Another sex", "unknown": "Unknown"},
    "race": {
        "american_indian_alaska_native": "American Indian or Alaska Native",
        "asian": "Asian",
        "black": "Black or African American",
        "native_hawaiian_pacific_islander": "Native Hawaiian or Pacific Islander",
        "white": "White",
        "multiple": "More than one race",
        "unknown": "Unknown or declined",
    },
    "ethnicity": {
        "hispanic": "Hispanic or Latino",
        "not_hispanic": "Not Hispanic or Latino",
        "unknown": "Unknown or declined",
    },
    "amendment_denial_ground": {
        AmendmentDenialGround.NOT_CREATED_BY_US: (
            "Not created by this program, and whoever created it can still act on the request"
        ),
        AmendmentDenialGround.NOT_IN_DESIGNATED_RECORD_SET: (
            "Not part of the records the program uses to make decisions about the person"
        ),
        AmendmentDenialGround.NOT_AVAILABLE_FOR_INSPECTION: (
            "Not a record the person has the right to inspect"
        ),
        AmendmentDenialGround.ACCURATE_AND_COMPLETE: "Accurate and complete as it stands",
    },
    "contact_limit": {
        ContactLimit.NO_HOME_VISITS: "No visits at home",
        ContactLimit.NO_VISITS_AT_ADDRESS: "No visits at the address named",
        ContactLimit.NO_VOICEMAIL: "No voicemail",
        ContactLimit.NO_HOME_PHONE_CALLS: "No calls to the home phone",
        ContactLimit.NO_TEXTS: "No texts",
        ContactLimit.NO_HOME_MAIL: "No mail to the home address",
        ContactLimit.NO_CONTACT_THROUGH_FAMILY: "No contact through family or friends",
    },
    "access_denial_ground": {
        AccessDenialGround.PSYCHOTHERAPY_NOTES: "The records are psychotherapy notes",
        AccessDenialGround.LEGAL_PROCEEDINGS: (
            "The records were prepared for a court case or other legal proceeding"
        ),
        AccessDenialGround.CONFIDENTIAL_SOURCE: (
            "The records hold what someone who is not a health care provider told the program "
            "in confidence, and seeing them would reveal who"
        ),
        AccessDenialGround.ENDANGERS_LIFE_OR_SAFETY: (
            "A licensed health care professional judged that seeing the records is reasonably "
            "likely to endanger the life or physical safety of the person or someone else"
        ),
        AccessDenialGround.HARMS_PERSON_REFERRED_TO: (
            "The records refer to another person, and a licensed health care professional "
            "judged that seeing them is reasonably likely to cause that person substantial harm"
        ),
        AccessDenialGround.HARM_THROUGH_REPRESENTATIVE: (
            "A personal representative asked for the records, and a licensed health care "
            "professional judged that giving them to the representative is reasonably likely "
            "to cause the person or someone else substantial harm"
        ),
    },
    "access_review_determination": {
        AccessReviewDetermination.UPHELD: "Upheld: the denial stands",
        AccessReviewDetermination.OVERTURNED: "Overturned: the person is to be given access",
    },
    # The groups of a person's record that policy and consent speak of.
    "field_group": {
        "identity": "Identity",
        "contact": "Contact and location",
        "referral": "Referral and pathway facts",
        "outreach": "Outreach status",
        "engagement": "Engaged or not engaged",
        "clinical": (
            "Clinical detail (screenings, encounter notes, treatment outcomes and where "
            "the person was taken)"
        ),
        "part2": (
            "Substance use disorder treatment detail (42 CFR Part 2), such as the "
            "treatment program a referral went to"
        ),
        "justice": "Offense detail",
    },
}

# Spanish, for every vocabulary a public page or a letter to a person can show.
_SPANISH: dict[str, dict[str, str]] = {
    "pathway": {
        Pathway.SELF_REFERRAL: "Autorremisión",
        Pathway.ACTIVE_OUTREACH: "Alcance activo",
        Pathway.NALOXONE_PLUS: "Naloxona plus (después de una sobredosis)",
        Pathway.OFFICER_PREVENTION: "Prevención policial (sin cargos)",
        Pathway.OFFICER_INTERVENTION: "Intervención policial (en lugar de arresto)",
        Pathway.COMMUNITY_RESPONSE: "Respuesta comunitaria (911 / llamada de crisis)",
    },
    "role": {
        Role.OFFICER: "Agente de policía",
        Role.CLINICIAN: "Profesional clínico",
        Role.RECOVERY_COACH: "Coach de recuperación",
        Role.PEER_SPECIALIST: "Especialista de pares",
        Role.PARAMEDIC: "Paramédico (EMS)",
        Role.SOCIAL_WORKER: "Trabajador social",
        Role.FAITH_LEADER: "Líder religioso",
        Role.CASE_MANAGER: "Administrador de casos",
        Role.COORDINATOR: "Coordinador del programa",
        Role.ANALYST: "Analista",
        Role.PROVIDER: "Proveedor de tratamiento o servicios",
        Role.PROSECUTOR: "Fiscal",
        Role.ADMIN: "Administrador",
    },
    "organization_kind": {
        OrganizationKind.POLICE: "Departamento de policía",
        OrganizationKind.EMS: "Servicio de emergencias médicas",
        OrganizationKind.HOSPITAL: "Hospital",
        OrganizationKind.PROVIDER: "Proveedor de tratamiento o servicios",
        OrganizationKind.PROSECUTOR: "Fiscalía",
        OrganizationKind.DEFENDER: "Defensoría pública",
        OrganizationKind.PROBATION: "Libertad condicional",
        OrganizationKind.UNIVERSITY: "Universidad",
        OrganizationKind.FAITH: "Organización religiosa",
        OrganizationKind.COMMUNITY: "Coalición comunitaria",
        OrganizationKind.HEALTH_DEPARTMENT: "Departamento de salud",
    },
    "task_status": {
        TaskStatus.DRAFT: "Borrador",
        TaskStatus.REQUESTED: "Enviada, esperando al proveedor",
        TaskStatus.ACCEPTED: "Aceptada",
        TaskStatus.REJECTED: "Rechazada",
        TaskStatus.CANCELLED: "Cancelada",
        TaskStatus.ON_HOLD: "En espera",
        TaskStatus.IN_PROGRESS: "En curso",
        TaskStatus.FAILED: "No se realizó",
        TaskStatus.COMPLETED: "Completada",
        TaskStatus.ENTERED_IN_ERROR: "Registrada por error",
    },
    "channel": {
        AttemptChannel.HOME_VISIT: "Visita a domicilio",
        AttemptChannel.PHONE: "Llamada telefónica",
        AttemptChannel.TEXT: "Mensaje de texto",
        AttemptChannel.IN_PERSON: "En persona",
        AttemptChannel.OTHER: "Otro",
    },
    "outcome": {
        AttemptOutcome.CONTACTED: "Se habló con la persona",
        AttemptOutcome.CONTACTED_COLLATERAL_ONLY: "Solo se habló con familiares o amigos",
        AttemptOutcome.NOT_LOCATED: "No se la encontró",
        AttemptOutcome.DECLINED: "Rechazó la ayuda",
        AttemptOutcome.DECLINED_INTERESTED_LATER: "Rechazó por ahora, con interés más adelante",
        AttemptOutcome.ACCEPTED_TREATMENT: "Aceptó tratamiento",
        AttemptOutcome.ALREADY_IN_TREATMENT: "Ya está en tratamiento",
        AttemptOutcome.DECEASED: "Fallecida",
        AttemptOutcome.MOVED_AWAY: "Se mudó",
    },
    "encounter_kind": {
        EncounterKind.CRISIS_RESPONSE: "Respuesta a crisis",
        EncounterKind.OUTREACH_VISIT: "Visita de alcance",
        EncounterKind.DROP_IN: "Visita sin cita",
        EncounterKind.PHONE: "Llamada telefónica",
        EncounterKind.FIELD_CONTACT: "Contacto en la calle",
    },
    "disposition": {
        Disposition.RESOLVED_ON_SCENE: "Resuelto en el lugar",
        Disposition.TRANSPORTED_CRISIS_CENTER: "Llevado a un centro de crisis",
        Disposition.TRANSPORTED_DETOX: "Llevado a desintoxicación",
        Disposition.TRANSPORTED_HOSPITAL: "Llevado al hospital",
        Disposition.TRANSPORTED_HOME: "Llevado a casa",
        Disposition.INVOLUNTARY_HOLD: "Internación involuntaria",
        Disposition.ARRESTED: "Arrestado",
        Disposition.REFUSED: "Rechazó la ayuda",
        Disposition.OTHER: "Otro",
    },
    "source": {
        OverdoseSource.EMS: "Servicio de emergencias médicas",
        OverdoseSource.POLICE: "Policía",
        OverdoseSource.HOSPITAL: "Hospital",
        OverdoseSource.FAMILY: "Familiares o amigos",
        OverdoseSource.SELF: "La propia persona",
        OverdoseSource.OTHER: "Otro",
    },
    "contact_role": {
        ContactRole.PARTICIPANT: "La persona",
        ContactRole.COLLATERAL: "Familiar o amigo",
    },
    "relationship": {
        Relationship.MOTHER: "Madre",
        Relationship.FATHER: "Padre",
        Relationship.PARENT: "Madre o padre",
        Relationship.PARTNER: "Pareja",
        Relationship.SPOUSE: "Esposo o esposa",
        Relationship.SIBLING: "Hermano o hermana",
        Relationship.CHILD: "Hijo o hija",
        Relationship.GRANDPARENT: "Abuelo o abuela",
        Relationship.OTHER_RELATIVE: "Otro familiar",
        Relationship.FRIEND: "Amigo o amiga",
        Relationship.NEIGHBOR: "Vecino o vecina",
        Relationship.ROOMMATE: "Compañero de vivienda",
        Relationship.CAREGIVER: "Cuidador",
        Relationship.OTHER: "Otra persona",
    },
    "consent_status": {
        ConsentStatus.SIGNED: "Consentimiento firmado en archivo",
        ConsentStatus.VERBAL: "Consentimiento verbal, con testigo",
        ConsentStatus.DECLINED: "No dio su consentimiento",
        ConsentStatus.NOT_ASKED: "Aún no se le preguntó",
        ConsentStatus.NOT_ABLE: "No puede dar su consentimiento ahora",
        ConsentStatus.REVOKED: "Consentimiento revocado",
    },
    "signature_method": {
        "written": "Firmado en papel",
        "electronic": "Firmado electrónicamente",
        "verbal_witnessed": "Verbal, con testigo",
    },
    "instrument": {
        "dast10": "DAST-10",
        "audit_c": "AUDIT-C",
        "cssrs_screener": "Evaluación C-SSRS",
        "phq2": "PHQ-2",
        "phq9": "PHQ-9",
    },
    "band": {
        "none": "Ninguno",
        "no_risk": "Sin riesgo",
        "minimal": "Mínimo",
        "low": "Bajo",
        "mild": "Leve",
        "moderate": "Moderado",
        "moderately_severe": "Moderadamente grave",
        "substantial": "Considerable",
        "severe": "Grave",
        "high": "Alto",
        "positive": "Positivo",
        "negative": "Negativo",
    },
    "language": {
        "ar": "Árabe",
        "en": "Inglés",
        "es": "Español",
        "fr": "Francés",
        "ht": "Criollo haitiano",
        "km": "Jemer",
        "pt": "Portugués",
        "ru": "Ruso",
        "vi": "Vietnamita",
        "zh": "Chino",
    },
    "referral_channel": {
        "api": "API",
        "form": "Formulario del personal",
        "import": "Importación",
        "public": "Página pública de ayuda",
        "demo": "Datos de demostración",
    },
    "outreach_status": {
        "open": "Abierta",
        "claimed": "Asignada a un equipo",
        "collecting": "Esperando la lista de cierre",
        "closed": "Cerrada",
        "cancelled": "Cancelada",
        "expired": "Perdida: venció sin atender",
    },
    "outreach_target": {"participant": "La persona", "family": "Familiares y amigos"},
    "sex": {"female": "Mujer", "male": "Hombre", "other": "Otro sexo", "unknown": "Desconocido"},
    "race": {
        "american_indian_alaska_native": "Indígena americano o nativo de Alaska",
        "asian": "Asiático",
        "black": "Negro o afroamericano",
        "native_hawaiian_pacific_islander": "Nativo de Hawái o de otras islas del Pacífico",
        "white": "Blanco",
        "multiple": "Más de una raza",
        "unknown": "Desconocida o no declarada",
    },
    "ethnicity": {
        "hispanic": "Hispano o latino",
        "not_hispanic": "No hispano ni latino",
        "unknown": "Desconocida o no declarada",
    },
    # The public dashboard's figures, funnel stages, breakdowns and age bands. Their
    # English lives beside the figures (reports, domain.metrics); Spanish is kept here.
    "metric": {
        "referrals": "Remisiones",
        "people_referred_to_services": "Personas remitidas a servicios",
        "people_engaged": "Personas que participan",
        "people_contacted": "Personas contactadas",
        "people_accepted_treatment": "Personas que aceptaron tratamiento",
        "overdoses_fatal": "Sobredosis mortales",
        "overdoses_nonfatal": "Sobredosis no mortales",
        "new_person_share": "Proporción de casos con personas nuevas",
        "follow_up_within_window_rate": "Seguimiento dentro del plazo",
        "median_hours_to_first_contact": "Mediana de horas hasta el primer intento",
        "jail_er_avoided": "Intervenciones que terminaron sin cárcel ni sala de emergencias",
    },
    "funnel_stage": {
        "notified": "Notificadas",
        "attempted": "Con intento de contacto",
        "contacted": "Contactadas",
        "accepted": "Aceptaron tratamiento",
        "entered_treatment": "Iniciaron tratamiento",
        "engaged_30": "Siguen participando a los 30 días",
        "engaged_90": "Siguen participando a los 90 días",
    },
    "breakdown": {
        "district": "Distrito",
        "source": "Origen de la remisión",
        "pathway": "Vía de acceso",
        "race": "Raza",
        "ethnicity": "Origen étnico",
        "sex": "Sexo",
        "age_band": "Grupo de edad",
    },
    "age_band": {
        "<18": "Menos de 18",
        "18-24": "18 a 24",
        "25-34": "25 a 34",
        "35-44": "35 a 44",
        "45-54": "45 a 54",
        "55-64": "55 a 64",
        "65+": "65 o más",
        "unknown": "Edad desconocida",
    },
    # The letters to a person about their rights: the grounds of a denial, the review's
    # determination and the groups of the record a denial names.
    "amendment_denial_ground": {
        AmendmentDenialGround.NOT_CREATED_BY_US: (
            "No lo creó este programa, y quien lo creó todavía puede atender la solicitud"
        ),
        AmendmentDenialGround.NOT_IN_DESIGNATED_RECORD_SET: (
            "No forma parte de los registros que el programa usa para tomar decisiones sobre "
            "la persona"
        ),
        AmendmentDenialGround.NOT_AVAILABLE_FOR_INSPECTION: (
            "No es un registro que la persona tenga derecho a examinar"
        ),
        AmendmentDenialGround.ACCURATE_AND_COMPLETE: "Es exacto y completo tal como está",
    },
    "access_denial_ground": {
        AccessDenialGround.PSYCHOTHERAPY_NOTES: "Los registros son notas de psicoterapia",
        AccessDenialGround.LEGAL_PROCEEDINGS: (
            "Los registros se prepararon para un caso judicial u otro procedimiento legal"
        ),
        AccessDenialGround.CONFIDENTIAL_SOURCE: (
            "Los registros contienen lo que alguien que no es proveedor de atención médica le "
            "dijo al programa de manera confidencial, y verlos revelaría quién fue"
        ),
        AccessDenialGround.ENDANGERS_LIFE_OR_SAFETY: (
            "Un profesional de la salud con licencia consideró que es razonablemente probable "
            "que ver los registros ponga en peligro la vida o la seguridad física de la persona "
            "o de otra persona"
        ),
        AccessDenialGround.HARMS_PERSON_REFERRED_TO: (
            "Los registros se refieren a otra persona, y un profesional de la salud con "
            "licencia consideró que es razonablemente probable que verlos le cause un daño "
            "considerable a esa persona"
        ),
        AccessDenialGround.HARM_THROUGH_REPRESENTATIVE: (
            "Un representante personal pidió los registros, y un profesional de la salud con "
            "licencia consideró que es razonablemente probable que entregárselos al "
            "representante le cause un daño considerable a la persona o a otra persona"
        ),
    },
    "access_review_determination": {
        AccessReviewDetermination.UPHELD: "Confirmada: la denegación se mantiene",
        AccessReviewDetermination.OVERTURNED: "Revocada: se dará acceso a la persona",
    },
    "field_group": {
        "identity": "Identidad",
        "contact": "Contacto y ubicación",
        "referral": "Datos de la remisión y de la vía de acceso",
        "outreach": "Estado del alcance",
        "engagement": "Participa o no participa",
        "clinical": (
            "Datos clínicos (evaluaciones, notas de las atenciones, resultados del tratamiento "
            "y adónde se llevó a la persona)"
        ),
        "part2": (
            "Datos del tratamiento de trastornos por consumo de sustancias (42 CFR Part 2), "
            "como el programa de tratamiento al que se remitió a la persona"
        ),
        "justice": "Datos del delito",
    },
    "due_state": {
        "not_yet_open": "Aún no abierta",
        "open": "Abierta",
        "closing_soon": "Cierra pronto",
        "overdue": "Atrasada",
    },
}

# Keyed by the plain code, so a lookup by the stored string finds it.
_ENGLISH = {name: {str(k): text for k, text in words.items()} for name, words in _ENGLISH.items()}
_SPANISH = {name: {str(k): text for k, text in words.items()} for name, words in _SPANISH.items()}

LANGUAGES: tuple[str, ...] = ("en", "es")
VOCABULARIES: tuple[str, ...] = (*_ENGLISH, "close_reason")


def _english(vocabulary: str) -> dict[str, str]:
    if vocabulary == "close_reason":
        # A task closes on an attempt's outcome or on a reason given by hand.
        hand = {str(code): text for code, text in CLOSE_REASON_LABELS.items()}
        return {**_ENGLISH["outcome"], **hand}
    return _ENGLISH.get(vocabulary, {})


def labels_of(vocabulary: str, lang: str = "en") -> dict[str, str]:
    """Every code of `vocabulary` and its label in `lang` (English where none is kept)."""
    english = _english(vocabulary)
    return {**english, **_SPANISH.get(vocabulary, {})} if lang == "es" else dict(english)


# The code a reader is given in place of a value they may not see (an attempt's outcome
# that is treatment detail, say: `policy.value_group`), and what it reads as, by vocabulary.
WITHHELD_CODE = "withheld"
WITHHELD_LABELS: dict[str, str] = {
    "outcome": "Reached (outcome withheld)",
    "close_reason": "Person reached (outcome withheld)",
    "disposition": "Transported (destination withheld)",
    "task_status": "Withheld",
}


def label(vocabulary: str, code: object, lang: str = "en") -> str:
    """The words a person reads for `code`: its label, or free text as it was typed.

    A code no vocabulary knows (a value typed before the list was closed, say) reads
    as itself, with underscores turned into spaces, never as a bare code.
    """
    if code is None or code == "":
        return ""
    text = str(code)
    if text == WITHHELD_CODE and vocabulary in WITHHELD_LABELS:
        return WITHHELD_LABELS[vocabulary]
    if lang == "es":
        spanish = _SPANISH.get(vocabulary, {}).get(text)
        if spanish is not None:
            return spanish
    known = _english(vocabulary).get(text)
    if known is None and vocabulary == "language" and "-" in text:
        # A regional tag (es-MX) reads as its language.
        return label(vocabulary, text.split("-")[0], lang)
    return known if known is not None else humanize(text) if "_" in text else text


def choices(vocabulary: str, lang: str = "en") -> list[tuple[str, str]]:
    """(code, label) pairs for a closed-list form field, in the vocabulary's order."""
    return list(labels_of(vocabulary, lang).items())


def humanize(value: str) -> str:
    """`transported_crisis_center` → `Transported crisis center`."""
    text = value.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def field_words(field: str) -> str:
    """A group of a record's fields by its label, a single field by its name in words
    (as an audit event names what was read or changed)."""
    return labels_of("field_group").get(field) or humanize(field)


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
