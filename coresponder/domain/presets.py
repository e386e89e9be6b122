"""Program presets: the typed schema every `presets/*.toml` file is checked against.

Everything that differs between programs lives in a preset, so a fifth program
is a new file and no code. Errors name the file, the key and the problem.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coresponder.domain.outreach import (
    ATTEMPT_SPACING_HOURS,
    CLOSING_OUTCOMES,
    CLOSING_SOON_HOURS,
    EXPIRES_AFTER_HOURS,
    MAX_ATTEMPTS,
    NEVER_CLOSING,
)
from coresponder.domain.policy import FieldGroup, works_in_the_field
from coresponder.domain.privacy_contact import PrivacyContact, read_privacy_contact
from coresponder.domain.recurrence import RRULE_RE, RuleProblem, rule_problem, wall_clock_rule
from coresponder.domain.referrals import DEFAULT_RESPONSE_HOURS
from coresponder.domain.surveillance import BASELINE_DAYS, MIN_BASELINE_DAYS, Method
from coresponder.domain.vocabulary import AttemptOutcome, OrganizationKind, Pathway, Role

SLUG_RE = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")

# What an eligibility condition may look at. Values come from the intake payload.
ELIGIBILITY_FIELDS: frozenset[str] = frozenset(
    {
        "offense.category",
        "offense.violent",
        "offense.weapon",
        "call.call_type",
        "call.weapons",
        "call.violence_in_progress",
        "overdose.fatal",
        "overdose.source",
        "district",
        "person.age",
    }
)
ELIGIBILITY_OPS: frozenset[str] = frozenset(
    {"in", "not_in", "equals", "at_least", "at_most", "in_active_districts"}
)
# The facts a referral on a pathway carries beside its district and its person: the one
# section a pathway requires (docs/api.md), and on a self-referral only who asked for help.
# A pathway not named here carries the one section its eligibility rules read, if any.
FACT_SECTIONS: tuple[str, ...] = ("offense", "overdose", "call")
PATHWAY_FACTS: Mapping[Pathway, str] = {
    Pathway.OFFICER_INTERVENTION: "offense",
    Pathway.NALOXONE_PLUS: "overdose",
    Pathway.COMMUNITY_RESPONSE: "call",
}
CARRIES = {"offense": "the offense", "overdose": "the overdose", "call": "the call"}
ANCHORS: frozenset[str] = frozenset({"overdose", "referral"})
PRIORITY_RULES: frozenset[str] = frozenset(
    {"never_contacted", "not_located_before", "declined_interested_later"}
)
PRIORITY_POLICIES: frozenset[str] = frozenset({"window", "tiers"})
FATAL_TARGETS: frozenset[str] = frozenset({"family", "none"})
METRIC_KEYS: frozenset[str] = frozenset(
    {
        "referrals",
        "people_referred_to_services",
        "people_engaged",
        "people_contacted",
        "people_accepted_treatment",
        "overdoses",
        "new_person_share",
        "follow_up_within_window_rate",
        "median_hours_to_first_contact",
        "dispositions",
    }
)
# What `[headline]` may rename: the preset's metric codes, and the figures the dashboard,
# the exports and the quarterly report name on their own (an overdose metric shows as its
# fatal and nonfatal counts, dispositions as the encounters that avoided jail or the ER).
HEADLINE_KEYS: frozenset[str] = METRIC_KEYS | {
    "overdoses_fatal",
    "overdoses_nonfatal",
    "jail_er_avoided",
}
SERVICE_CATEGORIES: frozenset[str] = frozenset(
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
        "recovery_housing",
        "drop_in_center",
        "recovery_center",
        "grief_support",
        "naloxone_training",
        "crisis_stabilization",
        "mental_health",
        "harm_reduction",
        "housing",
        "transportation",
    }
)


class PresetError(ValueError):
    """A preset file does not fit the schema; `problems` holds every (key, message)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {key}: {message}" for key, message in problems]
        super().__init__("\n".join(lines))


class PresetsError(PresetError):
    """Several preset files do not fit the schema; `errors` holds each file's PresetError.

    `source` and `problems` are the first file's, so a reader of one error reads on.
    """

    def __init__(self, errors: list[PresetError]) -> None:
        self.errors = errors
        super().__init__(errors[0].source, errors[0].problems)
        self.args = ("\n".join(str(error) for error in errors),)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    reason: str  # said when the condition does not hold
    met: str = ""  # said when it holds: why a call goes to the co-responder team


@dataclass(frozen=True)
class EligibilityRule:
    """Conditions that must all hold for a referral on one of `pathways`."""

    pathways: tuple[Pathway, ...]
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class FollowUp:
    """When outreach must happen, relative to the overdose or the referral."""

    pathways: tuple[Pathway, ...]
    anchor: str
    opens_after_hours: float
    closes_after_hours: float
    closing_soon_hours: float
    max_attempts: int
    attempt_spacing_hours: float
    fatal_overdose: str
    # Outcomes that close a task; defaults in domain/outreach.py.
    closing_outcomes: tuple[str, ...] = tuple(sorted(CLOSING_OUTCOMES))
    # Hours after the window closes that a task nobody closed leaves the queue as missed.
    expires_after_hours: float = EXPIRES_AFTER_HOURS


@dataclass(frozen=True)
class PriorityTier:
    tier: int
    rule: str
    label: str


@dataclass(frozen=True)
class Priority:
    policy: str
    tiers: tuple[PriorityTier, ...] = ()


@dataclass(frozen=True)
class TeamSlot:
    """One place on a team: any of `roles` fills it."""

    label: str
    roles: tuple[Role, ...]
    min_count: int = 1


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    name: str
    active: bool = True
    boundary: Mapping[str, Any] | None = None
    # The name the Spanish public pages give it; blank reads the name as it is.
    name_es: str = ""


@dataclass(frozen=True)
class ShiftSpec:
    name: str
    rrule: str
    starts_at: dt.time
    duration_hours: float
    districts: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    # Whose answer it is to read: an item about treatment is clinical detail, read and
    # answered only by roles that read clinical detail (or with the person's consent).
    group: FieldGroup = FieldGroup.OUTREACH


@dataclass(frozen=True)
class Area:
    """The program's service area: where demo data lands and maps centre."""

    name: str
    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True)
class RouteStart:
    """Where a team on shift sets out from and comes back to (`[route]`); the area's centre
    unless the preset names a base, and how long a visit takes."""

    name: str
    latitude: float
    longitude: float
    service_minutes: float = 30


@dataclass(frozen=True)
class DataSharing:
    """A data-sharing agreement: whose people this program's intake may link to, and who may.

    It holds only when both programs' presets name each other (an agreement has two
    signatures); each link it allows is audited as a cross-program link.
    """

    programs: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


# Retention defaults (days, and years for the audit trail). Programs set their own in
# `[retention]`; these are what a preset without the table keeps. HIPAA asks that
# documentation of its policies and actions be kept six years (45 CFR 164.316(b)(2)),
# so the audit trail, which is that documentation, may not be kept less.
PUBLIC_REQUESTS_DAYS = 180
CLOSED_TASKS_DAYS = 3 * 365
ENCOUNTERS_DAYS = 7 * 365
REFERRALS_DAYS = 7 * 365
OVERDOSES_DAYS = 7 * 365
CALLS_DAYS = 7 * 365
CARE_PLANS_DAYS = 7 * 365
# A signed Part 2 consent is documentation a covered entity keeps six years from when it
# was last in effect (45 CFR 164.508(b)(6) and 164.530(j)); it is also what an accounting
# of disclosures (three years, 42 CFR 2.24) points back to. Counted from its end.
CONSENTS_DAYS = 6 * 365
CONSENTS_MIN_DAYS = 6 * 365
# A record opened outside policy (break-glass) and the disclosures it made are what a
# person's accounting of disclosures lists, for the six years before they ask (45 CFR
# 164.528(a)): kept at least that long, counted from when the opening closed.
BREAK_GLASS_DAYS = 6 * 365
BREAK_GLASS_MIN_DAYS = 6 * 365
AUDIT_EVENTS_YEARS = 6
AUDIT_EVENTS_MIN_YEARS = 6
# A rule longer than a century is a typo, not a policy.
RETENTION_MAX_DAYS = 100 * 365


@dataclass(frozen=True)
class Retention:
    """How long each kind of record is kept after it ends, before the daily job deletes it.

    Days run from: a public help request's arrival (only one nobody took up), an outreach
    task's closing, an encounter's time (its screenings go with it), a referral's
    arrival (only once no outreach task of it is left), an overdose's time and a crisis
    call's arrival (each only once its referral and tasks are gone), a care plan's
    closing, a consent's end (revoked or expired; at least six years), and the end of a
    break-glass opening, with the disclosures it made (at least six years). Audit events
    are kept at least `audit_events_years` and never deleted or altered by the product
    (ADR 0013).
    """

    public_requests_days: int = PUBLIC_REQUESTS_DAYS
    closed_tasks_days: int = CLOSED_TASKS_DAYS
    encounters_days: int = ENCOUNTERS_DAYS
    referrals_days: int = REFERRALS_DAYS
    overdoses_days: int = OVERDOSES_DAYS
    calls_days: int = CALLS_DAYS
    care_plans_days: int = CARE_PLANS_DAYS
    consents_days: int = CONSENTS_DAYS
    break_glass_days: int = BREAK_GLASS_DAYS
    audit_events_years: int = AUDIT_EVENTS_YEARS


@dataclass(frozen=True)
class Surveillance:
    """How the daily job finds overdose spikes per district and over the program's area.

    `method` is EARS C1, C2 or C3 (`domain/surveillance.py`) or ODMAP's fixed
    `threshold_24h`. `alpha` left out takes the method's own (0.001 for C1 and C2,
    0.025 for C3). `min_sigma` keeps a quiet reference from making one overdose a
    spike, and no day with fewer than `min_count` overdoses alerts.
    """

    method: str = Method.C2.value
    alpha: float | None = None
    baseline_days: int = BASELINE_DAYS
    min_sigma: float = 0.5
    min_count: int = 3
    threshold_24h: int = 5


@dataclass(frozen=True)
class Preset:
    slug: str
    name: str
    timezone: str
    description: str
    area: Area
    pathways: tuple[Pathway, ...]
    eligibility: tuple[EligibilityRule, ...]
    follow_up: FollowUp | None
    priority: Priority
    team: tuple[TeamSlot, ...]
    districts: tuple[DistrictSpec, ...]
    shifts: tuple[ShiftSpec, ...]
    partner_kinds: tuple[OrganizationKind, ...]
    service_categories: tuple[str, ...]
    closing_checklist: tuple[ChecklistItem, ...]
    metrics: tuple[str, ...]
    headline: Mapping[str, str] = field(default_factory=dict)
    # Hours a provider has to answer a service referral before the referring team is told.
    service_referral_response_hours: int = DEFAULT_RESPONSE_HOURS
    # Publish the suppressed figures of the last full quarter at /public/<slug>/dashboard/.
    public_dashboard: bool = False
    data_sharing: DataSharing = field(default_factory=DataSharing)
    retention: Retention = field(default_factory=Retention)
    route: RouteStart | None = None
    surveillance: Surveillance = field(default_factory=Surveillance)
    # Whom letters and notices tell a person to write to or call; None names the role only.
    privacy_contact: PrivacyContact | None = None
    # The slugs the program was loaded under before: `load_programs` renames the program
    # kept under one of them, and pages asked for under one are sent to this slug.
    formerly: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, stored beside the program row."""
        from dataclasses import asdict

        data = asdict(self)
        for shift in data["shifts"]:
            shift["starts_at"] = shift["starts_at"].isoformat(timespec="minutes")
        for district in data["districts"]:
            # A district without a Spanish name is stored as the file wrote it: without
            # the key, which a stored copy must read back as a file would be read.
            if not district["name_es"]:
                del district["name_es"]
        # Likewise a program never renamed: its stored copy (and digest) stay as they were.
        if not data["formerly"]:
            del data["formerly"]
        return data


class _Reader:
    """Walks a parsed TOML table, collecting problems keyed by dotted path."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def table(self, data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(path, f"must be a table, got {type(value).__name__}")
            return None
        return value

    def string(
        self, data: Mapping[str, Any], key: str, path: str, default: str | None = None
    ) -> str:
        value = data.get(key, default)
        if value is None:
            self.fail(path, "is required")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"must be a non-empty string, got {value!r}")
            return ""
        return value

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        default: float | None = None,
        minimum: float | None = 0,
        maximum: float | None = None,
    ) -> float:
        value = data.get(key, default)
        if value is None:
            self.fail(path, "is required")
            return 0.0
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"must be a number, got {value!r}")
            return 0.0
        if minimum is not None and value < minimum:
            self.fail(path, f"must be at least {minimum:g}, got {value!r}")
        if maximum is not None and value > maximum:
            self.fail(path, f"must be at most {maximum:g}, got {value!r}")
        return float(value)

    def strings(self, data: Mapping[str, Any], key: str, path: str) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(path, f"must be a list of strings, got {value!r}")
            return []
        return list(value)

    def tables(self, data: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            self.fail(path, "must be an array of tables")
            return []
        return list(value)

    def unknown_keys(self, data: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
        allowed_set = set(allowed)
        for key in data:
            if key not in allowed_set:
                where = f"{path}.{key}" if path else key
                self.fail(where, f"is not a known key (known: {', '.join(sorted(allowed_set))})")

    def pathways(self, data: Mapping[str, Any], key: str, path: str) -> tuple[Pathway, ...]:
        result: list[Pathway] = []
        for index, raw in enumerate(self.strings(data, key, path)):
            try:
                result.append(Pathway(raw))
            except ValueError:
                known = ", ".join(p.value for p in Pathway)
                self.fail(f"{path}[{index}]", f"unknown pathway {raw!r} (known: {known})")
        return tuple(result)


def _parse_condition(reader: _Reader, raw: Mapping[str, Any], path: str) -> Condition | None:
    reader.unknown_keys(raw, {"field", "op", "value", "reason", "met"}, path)
    name = reader.string(raw, "field", f"{path}.field")
    op = reader.string(raw, "op", f"{path}.op")
    reason = reader.string(raw, "reason", f"{path}.reason")
    # Optional; a stored preset read back carries it empty where the file gave none.
    met = reader.string(raw, "met", f"{path}.met") if raw.get("met", "") != "" else ""
    if name and name not in ELIGIBILITY_FIELDS:
        reader.fail(f"{path}.field", f"unknown field {name!r}")
    if op and op not in ELIGIBILITY_OPS:
        reader.fail(f"{path}.op", f"unknown operator {op!r}")
    value = raw.get("value")
    if op in {"in", "not_in"} and not isinstance(value, list):
        reader.fail(f"{path}.value", f"operator {op!r} needs a list")
    if op in {"at_least", "at_most"} and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        reader.fail(f"{path}.value", f"operator {op!r} needs a number")
    if op == "equals" and value is None:
        reader.fail(f"{path}.value", "is required")
    if not (name and op and reason):
        return None
    return Condition(field=name, op=op, value=value, reason=reason, met=met)


def _parse_follow_up(
    reader: _Reader, raw: Mapping[str, Any] | None, *, strict: bool = True
) -> FollowUp | None:
    if raw is None:
        return None
    path = "follow_up"
    reader.unknown_keys(
        raw,
        {
            "pathways",
            "anchor",
            "opens_after_hours",
            "closes_after_hours",
            "closing_soon_hours",
            "max_attempts",
            "attempt_spacing_hours",
            "fatal_overdose",
            "closing_outcomes",
            "expires_after_hours",
        },
        path,
    )
    anchor = reader.string(raw, "anchor", f"{path}.anchor", default="referral")
    if anchor and anchor not in ANCHORS:
        reader.fail(f"{path}.anchor", f"must be one of {sorted(ANCHORS)}, got {anchor!r}")
    opens = reader.number(raw, "opens_after_hours", f"{path}.opens_after_hours", default=0)
    closes = reader.number(raw, "closes_after_hours", f"{path}.closes_after_hours")
    if closes <= opens and closes >= 0 and opens >= 0:
        reader.fail(f"{path}.closes_after_hours", "must be later than opens_after_hours")
    fatal = reader.string(raw, "fatal_overdose", f"{path}.fatal_overdose", default="family")
    if fatal and fatal not in FATAL_TARGETS:
        reader.fail(f"{path}.fatal_overdose", f"must be one of {sorted(FATAL_TARGETS)}")
    max_attempts = reader.number(
        raw, "max_attempts", f"{path}.max_attempts", default=MAX_ATTEMPTS, minimum=1
    )
    closing_soon = reader.number(
        raw, "closing_soon_hours", f"{path}.closing_soon_hours", default=CLOSING_SOON_HOURS
    )
    window = closes - opens
    if strict and 0 < window <= closing_soon:
        # A warning as long as the window would mark every task closing soon from the start.
        given = "" if "closing_soon_hours" in raw else " (the default)"
        reader.fail(
            f"{path}.closing_soon_hours",
            f"must be shorter than the {window:g}-hour follow-up window"
            f" ({opens:g} to {closes:g} hours after the {anchor}), got {closing_soon:g}{given}",
        )
    return FollowUp(
        pathways=reader.pathways(raw, "pathways", f"{path}.pathways"),
        anchor=anchor,
        opens_after_hours=opens,
        closes_after_hours=closes,
        closing_soon_hours=closing_soon,
        max_attempts=int(max_attempts),
        attempt_spacing_hours=reader.number(
            raw,
            "attempt_spacing_hours",
            f"{path}.attempt_spacing_hours",
            default=ATTEMPT_SPACING_HOURS,
        ),
        fatal_overdose=fatal,
        closing_outcomes=_parse_closing_outcomes(reader, raw, f"{path}.closing_outcomes"),
        expires_after_hours=reader.number(
            raw,
            "expires_after_hours",
            f"{path}.expires_after_hours",
            default=EXPIRES_AFTER_HOURS,
            maximum=24 * 90,
        ),
    )


def _parse_closing_outcomes(reader: _Reader, raw: Mapping[str, Any], path: str) -> tuple[str, ...]:
    """The attempt outcomes that close a task; the domain's defaults when the key is absent."""
    if "closing_outcomes" not in raw:
        return tuple(sorted(CLOSING_OUTCOMES))
    names = reader.strings(raw, "closing_outcomes", path)
    known = {o.value for o in AttemptOutcome}
    for index, name in enumerate(names):
        if name not in known:
            reader.fail(f"{path}[{index}]", f"unknown outcome {name!r} (known: {sorted(known)})")
        elif name in NEVER_CLOSING:
            reader.fail(
                f"{path}[{index}]",
                f"{name!r} cannot close a task (not located closes when max_attempts run out;"
                " interested later sets a re-contact date)",
            )
    if "closing_outcomes" in raw and not names and isinstance(raw["closing_outcomes"], list):
        reader.fail(path, "name at least one outcome, or leave the key out for the defaults")
    return tuple(sorted(set(names)))


def _parse_priority(
    reader: _Reader, raw: Mapping[str, Any] | None, *, strict: bool = True
) -> Priority:
    if raw is None:
        return Priority(policy="window")
    reader.unknown_keys(raw, {"policy", "tiers"}, "priority")
    policy = reader.string(raw, "policy", "priority.policy", default="window")
    if policy and policy not in PRIORITY_POLICIES:
        reader.fail("priority.policy", f"must be one of {sorted(PRIORITY_POLICIES)}")
    tiers: list[PriorityTier] = []
    for index, tier_raw in enumerate(reader.tables(raw, "tiers", "priority.tiers")):
        path = f"priority.tiers[{index}]"
        reader.unknown_keys(tier_raw, {"tier", "rule", "label"}, path)
        rule = reader.string(tier_raw, "rule", f"{path}.rule")
        if rule and rule not in PRIORITY_RULES:
            reader.fail(f"{path}.rule", f"unknown rule {rule!r} (known: {sorted(PRIORITY_RULES)})")
        tier_number = reader.number(tier_raw, "tier", f"{path}.tier", minimum=1)
        if strict and int(tier_number) in {t.tier for t in tiers}:
            # Two tiers with one number leave the queue's order between them to chance.
            reader.fail(f"{path}.tier", f"tier {int(tier_number)} is listed twice")
        tiers.append(
            PriorityTier(
                tier=int(tier_number), rule=rule, label=reader.string(tier_raw, "label", path)
            )
        )
    if policy == "tiers" and not tiers:
        reader.fail("priority.tiers", "a tiered policy needs at least one tier")
    return Priority(policy=policy, tiers=tuple(sorted(tiers, key=lambda t: t.tier)))


def _parse_time(reader: _Reader, raw: Any, path: str) -> dt.time:
    if isinstance(raw, dt.time):
        return raw
    if isinstance(raw, str):
        try:
            return dt.time.fromisoformat(raw)
        except ValueError:
            pass
    reader.fail(path, f"must be a time of day like 09:00, got {raw!r}")
    return dt.time(0, 0)


TOP_LEVEL_KEYS = frozenset(
    {
        "slug",
        "formerly",
        "name",
        "timezone",
        "description",
        "area",
        "pathways",
        "eligibility",
        "follow_up",
        "priority",
        "team",
        "districts",
        "shifts",
        "partner_kinds",
        "service_categories",
        "closing_checklist",
        "metrics",
        "headline",
        "service_referral_response_hours",
        "public_dashboard",
        "data_sharing",
        "retention",
        "route",
        "surveillance",
        "privacy_contact",
    }
)


def _parse_identity(reader: _Reader, data: Mapping[str, Any]) -> tuple[str, str]:
    slug = reader.string(data, "slug", "slug")
    if slug and not SLUG_RE.match(slug):
        reader.fail("slug", f"must be 2–32 lowercase letters, digits, '-' or '_', got {slug!r}")
    timezone = reader.string(data, "timezone", "timezone")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            reader.fail("timezone", f"unknown time zone {timezone!r}")
    return slug, timezone


def _parse_formerly(reader: _Reader, data: Mapping[str, Any], slug: str) -> tuple[str, ...]:
    formerly = reader.strings(data, "formerly", "formerly")
    for index, old in enumerate(formerly):
        if not SLUG_RE.match(old) or old == slug:
            reader.fail(
                f"formerly[{index}]", f"must be a slug this program had before, got {old!r}"
            )
        elif old in formerly[:index]:
            reader.fail(f"formerly[{index}]", f"{old!r} is listed twice")
    return tuple(formerly)


def _parse_pathways(reader: _Reader, data: Mapping[str, Any]) -> tuple[Pathway, ...]:
    if "pathways" not in data:
        reader.fail("pathways", "is required")
        return ()
    if data["pathways"] == []:
        reader.fail("pathways", "at least one pathway is required")
    return reader.pathways(data, "pathways", "pathways")


def _parse_area(reader: _Reader, data: Mapping[str, Any]) -> Area:
    raw = reader.table(data, "area", "area") or {}
    if not raw:
        reader.fail("area", "is required")
    return Area(
        name=reader.string(raw, "name", "area.name"),
        latitude=reader.number(raw, "latitude", "area.latitude", minimum=-90, maximum=90),
        longitude=reader.number(raw, "longitude", "area.longitude", minimum=-180, maximum=180),
        radius_km=reader.number(raw, "radius_km", "area.radius_km", default=10),
    )


def _parse_route(reader: _Reader, data: Mapping[str, Any], area: Area) -> RouteStart:
    raw = reader.table(data, "route", "route") or {}
    reader.unknown_keys(raw, {"name", "latitude", "longitude", "service_minutes"}, "route")
    if ("latitude" in raw) != ("longitude" in raw):
        reader.fail("route", "give both latitude and longitude, or neither")
    return RouteStart(
        name=reader.string(raw, "name", "route.name", default=area.name or "start"),
        latitude=reader.number(
            raw, "latitude", "route.latitude", default=area.latitude, minimum=-90, maximum=90
        ),
        longitude=reader.number(
            raw, "longitude", "route.longitude", default=area.longitude, minimum=-180, maximum=180
        ),
        service_minutes=reader.number(
            raw, "service_minutes", "route.service_minutes", default=30, minimum=5, maximum=480
        ),
    )


def _parse_eligibility(
    reader: _Reader,
    data: Mapping[str, Any],
    offered: tuple[Pathway, ...],
    district_codes: set[str],
    *,
    strict: bool = True,
) -> tuple[EligibilityRule, ...]:
    rules: list[EligibilityRule] = []
    carried: dict[Pathway, str] = dict(PATHWAY_FACTS)
    for index, raw in enumerate(reader.tables(data, "eligibility", "eligibility")):
        path = f"eligibility[{index}]"
        reader.unknown_keys(raw, {"pathways", "conditions"}, path)
        pathways = reader.pathways(raw, "pathways", f"{path}.pathways")
        for pathway in pathways:
            if pathway not in offered:
                reader.fail(f"{path}.pathways", f"{pathway.value!r} is not offered by this program")
        conditions = [
            _parse_condition(reader, cond, f"{path}.conditions[{c}]")
            for c, cond in enumerate(reader.tables(raw, "conditions", f"{path}.conditions"))
        ]
        for c, condition in enumerate(conditions):
            if condition is not None and strict:
                where = f"{path}.conditions[{c}]"
                _check_carried(reader, condition.field, pathways, carried, where)
                _check_districts(reader, condition, district_codes, f"{where}.value")
        rules.append(
            EligibilityRule(
                pathways=pathways, conditions=tuple(c for c in conditions if c is not None)
            )
        )
    return tuple(rules)


def _check_districts(
    reader: _Reader, condition: Condition, district_codes: set[str], path: str
) -> None:
    """A condition on the district may name only districts the preset declares: a code
    misspelt in it would refuse, or let through, every referral from the real district."""
    if condition.field != "district" or condition.op not in {"in", "not_in", "equals"}:
        return
    named = condition.value if isinstance(condition.value, list) else [condition.value]
    known = ", ".join(sorted(district_codes)) or "none"
    for value in named:
        if not isinstance(value, str) or value not in district_codes:
            # Codes are strings: 22 unquoted is not district "22".
            reader.fail(path, f"district {value!r} is not declared (known: {known})")


def _check_carried(
    reader: _Reader,
    name: str,
    pathways: tuple[Pathway, ...],
    carried: dict[Pathway, str],
    path: str,
) -> None:
    """A condition may read only a fact its pathways' referrals carry: a fact no referral
    on the pathway is asked would refuse every one of them as missing it."""
    section = name.partition(".")[0]
    if section not in FACT_SECTIONS:
        return
    for pathway in pathways:
        if pathway is Pathway.SELF_REFERRAL:
            has = "who asked for help, not an offense, an overdose or a call"
        elif carried.setdefault(pathway, section) == section:
            continue
        elif pathway in PATHWAY_FACTS:
            has = CARRIES[carried[pathway]]
        else:
            has = (
                "one of the offense, the overdose or the call, and an earlier condition"
                f" reads {CARRIES[carried[pathway]]}"
            )
        reader.fail(
            f"{path}.field",
            f"{name!r} is not asked on the {pathway.value!r} pathway, whose referrals carry {has}",
        )


def _parse_team(reader: _Reader, data: Mapping[str, Any], *, strict: bool) -> tuple[TeamSlot, ...]:
    team: list[TeamSlot] = []
    for index, raw in enumerate(reader.tables(data, "team", "team")):
        path = f"team[{index}]"
        reader.unknown_keys(raw, {"label", "roles", "min_count"}, path)
        roles: list[Role] = []
        for r_index, raw_role in enumerate(reader.strings(raw, "roles", f"{path}.roles")):
            try:
                role = Role(raw_role)
            except ValueError:
                reader.fail(f"{path}.roles[{r_index}]", f"unknown role {raw_role!r}")
                continue
            if strict and not works_in_the_field(role):
                # A team's members are told of its tasks and hold them: a role that may
                # not work follow-up in the field (a prosecutor, an analyst) sits on none.
                reader.fail(
                    f"{path}.roles[{r_index}]", f"{raw_role!r} does no field work: no team seat"
                )
                continue
            roles.append(role)
        if not roles and "roles" in raw:
            reader.fail(f"{path}.roles", "at least one role is required")
        min_count = reader.number(raw, "min_count", f"{path}.min_count", default=1, minimum=1)
        team.append(
            TeamSlot(
                label=reader.string(raw, "label", f"{path}.label"),
                roles=tuple(roles),
                min_count=int(min_count),
            )
        )
    return tuple(team)


def _parse_districts(reader: _Reader, data: Mapping[str, Any]) -> tuple[DistrictSpec, ...]:
    districts: list[DistrictSpec] = []
    seen: set[str] = set()
    for index, raw in enumerate(reader.tables(data, "districts", "districts")):
        path = f"districts[{index}]"
        reader.unknown_keys(raw, {"code", "name", "name_es", "active", "boundary"}, path)
        code = reader.string(raw, "code", f"{path}.code")
        if code in seen:
            reader.fail(f"{path}.code", f"district {code!r} is listed twice")
        seen.add(code)
        active = raw.get("active", True)
        if not isinstance(active, bool):
            reader.fail(f"{path}.active", "must be true or false")
            active = True
        boundary = raw.get("boundary")
        if boundary is not None and not (
            isinstance(boundary, Mapping) and boundary.get("type") in {"Polygon", "MultiPolygon"}
        ):
            reader.fail(f"{path}.boundary", "must be a GeoJSON Polygon or MultiPolygon")
            boundary = None
        name = reader.string(raw, "name", f"{path}.name")
        name_es = ""
        if "name_es" in raw:
            name_es = reader.string(raw, "name_es", f"{path}.name_es")
        districts.append(
            DistrictSpec(code=code, name=name, active=active, boundary=boundary, name_es=name_es)
        )
    return tuple(districts)


def interval_problem(rrule: str) -> str | None:
    """Why a rule's INTERVAL cannot be kept, or None.

    dateutil takes INTERVAL=0 and then gives the first occurrence again and again without
    end, so every schedule read from such a rule (who is on duty, the feeds, the planner,
    spike notices) would never finish.
    """
    for part in rrule.upper().split(";"):
        name, _, value = part.partition("=")
        if name.strip() == "INTERVAL" and not (value.isdigit() and int(value) >= 1):
            return "INTERVAL must be a whole number: the rule repeats every 1 or more periods."
    return None


def _rrule_problem(rrule: str) -> str | None:
    """What is wrong with a rule the pattern let through (`BYDAY=XX`), in words, or None."""
    if problem := interval_problem(rrule) or rule_problem(rrule):
        return problem
    try:
        # Naive on purpose: shift rules run on local wall-clock time (see shifts.py).
        wall_clock_rule(rrule, dt.datetime.combine(dt.date(2024, 1, 1), dt.time()))
    except RuleProblem as exc:
        return str(exc)
    return None


def _parse_shifts(
    reader: _Reader, data: Mapping[str, Any], district_codes: set[str]
) -> tuple[ShiftSpec, ...]:
    shifts: list[ShiftSpec] = []
    for index, raw in enumerate(reader.tables(data, "shifts", "shifts")):
        path = f"shifts[{index}]"
        reader.unknown_keys(
            raw, {"name", "rrule", "starts_at", "duration_hours", "districts"}, path
        )
        rrule = reader.string(raw, "rrule", f"{path}.rrule")
        if rrule and not RRULE_RE.match(rrule):
            reader.fail(f"{path}.rrule", f"is not an RFC 5545 recurrence rule: {rrule!r}")
        elif rrule and (problem := _rrule_problem(rrule)):
            reader.fail(f"{path}.rrule", f"is not a valid recurrence rule: {problem}")
        codes = reader.strings(raw, "districts", f"{path}.districts")
        for code in codes:
            if code not in district_codes:
                reader.fail(f"{path}.districts", f"district {code!r} is not defined")
        duration = reader.number(raw, "duration_hours", f"{path}.duration_hours")
        if duration == 0 or duration > 24:
            reader.fail(f"{path}.duration_hours", "must be more than 0 and at most 24")
        shifts.append(
            ShiftSpec(
                name=reader.string(raw, "name", f"{path}.name"),
                rrule=rrule,
                starts_at=_parse_time(reader, raw.get("starts_at"), f"{path}.starts_at"),
                duration_hours=duration,
                districts=tuple(codes),
            )
        )
    return tuple(shifts)


def _parse_vocabularies(
    reader: _Reader, data: Mapping[str, Any]
) -> tuple[tuple[OrganizationKind, ...], tuple[str, ...], tuple[str, ...]]:
    """Partner organisation kinds, service categories and metrics: words from fixed lists."""
    kinds: list[OrganizationKind] = []
    for index, raw_kind in enumerate(reader.strings(data, "partner_kinds", "partner_kinds")):
        try:
            kinds.append(OrganizationKind(raw_kind))
        except ValueError:
            reader.fail(f"partner_kinds[{index}]", f"unknown organisation kind {raw_kind!r}")
    categories = reader.strings(data, "service_categories", "service_categories")
    for index, category in enumerate(categories):
        if category not in SERVICE_CATEGORIES:
            reader.fail(f"service_categories[{index}]", f"unknown service category {category!r}")
    metrics = reader.strings(data, "metrics", "metrics")
    for index, metric in enumerate(metrics):
        if metric not in METRIC_KEYS:
            reader.fail(f"metrics[{index}]", f"unknown metric {metric!r}")
    return tuple(kinds), tuple(categories), tuple(metrics)


# The field groups a closing checklist answer may be read as: the outreach record, or
# clinical detail (a treatment plan, say).
CHECKLIST_GROUPS = frozenset({FieldGroup.OUTREACH.value, FieldGroup.CLINICAL.value})


def _parse_checklist(
    reader: _Reader, data: Mapping[str, Any], *, strict: bool = True
) -> tuple[ChecklistItem, ...]:
    items: list[ChecklistItem] = []
    seen: set[str] = set()
    for index, raw in enumerate(reader.tables(data, "closing_checklist", "closing_checklist")):
        path = f"closing_checklist[{index}]"
        reader.unknown_keys(raw, {"key", "label", "group"}, path)
        key = reader.string(raw, "key", f"{path}.key")
        if strict and key and key in seen:
            # Answers are kept by key: the second item's answer would overwrite the first's.
            reader.fail(f"{path}.key", f"checklist item {key!r} is listed twice")
        seen.add(key)
        group = reader.string(raw, "group", f"{path}.group", default=FieldGroup.OUTREACH.value)
        if group not in CHECKLIST_GROUPS:
            allowed = ", ".join(sorted(CHECKLIST_GROUPS))
            reader.fail(f"{path}.group", f"must be one of {allowed}, got {group!r}")
            group = FieldGroup.OUTREACH.value
        items.append(
            ChecklistItem(
                key=key,
                label=reader.string(raw, "label", f"{path}.label"),
                group=FieldGroup(group),
            )
        )
    return tuple(items)


def _parse_headline(reader: _Reader, data: Mapping[str, Any], *, strict: bool) -> dict[str, str]:
    raw = reader.table(data, "headline", "headline") or {}
    if strict:
        # A misspelt figure's words would never be shown, and nothing would say why.
        reader.unknown_keys(raw, HEADLINE_KEYS, "headline")
    headline: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            headline[key] = value
        else:
            reader.fail(f"headline.{key}", "must be a string")
    # The dispositions metric shows on the headline as the encounters that avoided jail or
    # the ER: words given for the metric name that figure, unless it has its own.
    if "dispositions" in headline:
        headline.setdefault("jail_er_avoided", headline["dispositions"])
    return headline


def _parse_response_hours(reader: _Reader, data: Mapping[str, Any]) -> int:
    key = "service_referral_response_hours"
    value = data.get(key, DEFAULT_RESPONSE_HOURS)
    if isinstance(value, bool) or not isinstance(value, int):
        reader.fail(key, f"must be a whole number of hours, got {value!r}")
        return DEFAULT_RESPONSE_HOURS
    if not 1 <= value <= 24 * 30:
        reader.fail(key, f"must be from 1 to 720 hours, got {value!r}")
    return value


def _parse_public_dashboard(reader: _Reader, data: Mapping[str, Any]) -> bool:
    value = data.get("public_dashboard", False)
    if not isinstance(value, bool):
        reader.fail("public_dashboard", f"must be true or false, got {value!r}")
        return False
    return value


def _parse_data_sharing(reader: _Reader, data: Mapping[str, Any], slug: str) -> DataSharing:
    raw = reader.table(data, "data_sharing", "data_sharing")
    if raw is None:
        return DataSharing()
    reader.unknown_keys(raw, {"programs", "roles"}, "data_sharing")
    programs = reader.strings(raw, "programs", "data_sharing.programs")
    for index, other in enumerate(programs):
        if not SLUG_RE.match(other) or other == slug:
            reader.fail(
                f"data_sharing.programs[{index}]", f"must be another program's slug, got {other!r}"
            )
    roles = reader.strings(raw, "roles", "data_sharing.roles")
    known = {r.value for r in Role}
    for index, role in enumerate(roles):
        if role not in known:
            reader.fail(f"data_sharing.roles[{index}]", f"unknown role {role!r}")
    if programs and not roles:
        reader.fail("data_sharing.roles", "name the roles whose intake may link across programs")
    return DataSharing(programs=tuple(programs), roles=tuple(roles))


RETENTION_DAY_KEYS = (
    "public_requests_days",
    "closed_tasks_days",
    "encounters_days",
    "referrals_days",
    "overdoses_days",
    "calls_days",
    "care_plans_days",
    "consents_days",
    "break_glass_days",
)
# The least each key allows: a day, but six years for consents and break-glass openings,
# with the law that asks it.
RETENTION_MIN_DAYS = {"consents_days": CONSENTS_MIN_DAYS, "break_glass_days": BREAK_GLASS_MIN_DAYS}
RETENTION_MIN_WHY = {
    "consents_days": "a signed consent is kept six years, 45 CFR 164.530(j)",
    "break_glass_days": "an accounting of disclosures covers six years, 45 CFR 164.528",
}


def _whole_number(reader: _Reader, raw: Mapping[str, Any], key: str, default: int) -> int | None:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        reader.fail(f"retention.{key}", f"must be a whole number, got {value!r}")
        return None
    return value


def _parse_retention(reader: _Reader, data: Mapping[str, Any]) -> Retention:
    raw = reader.table(data, "retention", "retention")
    if raw is None:
        return Retention()
    reader.unknown_keys(raw, {*RETENTION_DAY_KEYS, "audit_events_years"}, "retention")
    defaults = Retention()
    values: dict[str, int] = {}
    for key in RETENTION_DAY_KEYS:
        days = _whole_number(reader, raw, key, getattr(defaults, key))
        if days is None:
            continue
        least = RETENTION_MIN_DAYS.get(key, 1)
        if not least <= days <= RETENTION_MAX_DAYS:
            why = f" ({RETENTION_MIN_WHY[key]})" if key in RETENTION_MIN_WHY else ""
            reader.fail(
                f"retention.{key}",
                f"must be from {least} to {RETENTION_MAX_DAYS} days{why}, got {days}",
            )
            continue
        values[key] = days
    years = _whole_number(reader, raw, "audit_events_years", AUDIT_EVENTS_YEARS)
    if years is not None:
        if not AUDIT_EVENTS_MIN_YEARS <= years <= 100:
            reader.fail(
                "retention.audit_events_years",
                f"must be from {AUDIT_EVENTS_MIN_YEARS} to 100 years (HIPAA keeps documentation"
                f" six years, 45 CFR 164.316(b)(2)), got {years}",
            )
        else:
            values["audit_events_years"] = years
    return Retention(**values)


SURVEILLANCE_KEYS = frozenset(
    {"method", "alpha", "baseline_days", "min_sigma", "min_count", "threshold_24h"}
)


def _parse_surveillance(reader: _Reader, data: Mapping[str, Any]) -> Surveillance:
    raw = reader.table(data, "surveillance", "surveillance")
    if raw is None:
        return Surveillance()
    reader.unknown_keys(raw, SURVEILLANCE_KEYS, "surveillance")
    defaults = Surveillance()
    method = raw.get("method", defaults.method)
    if method not in {m.value for m in Method}:
        reader.fail(
            "surveillance.method", f"must be one of c1, c2, c3 or threshold, got {method!r}"
        )
        method = defaults.method
    alpha = None
    if raw.get("alpha") is not None:
        alpha = reader.number(raw, "alpha", "surveillance.alpha", minimum=None)
        if not 0 < alpha < 1:
            reader.fail("surveillance.alpha", f"must be between 0 and 1, got {raw['alpha']!r}")
    whole: dict[str, int] = {}
    for key, least in (
        ("baseline_days", MIN_BASELINE_DAYS),
        ("min_count", 1),
        ("threshold_24h", 1),
    ):
        value = raw.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= 365:
            reader.fail(
                f"surveillance.{key}", f"must be a whole number from {least} to 365, got {value!r}"
            )
            continue
        whole[key] = value
    min_sigma = reader.number(
        raw, "min_sigma", "surveillance.min_sigma", default=defaults.min_sigma
    )
    return Surveillance(method=str(method), alpha=alpha, min_sigma=min_sigma, **whole)


def _parse_privacy_contact(reader: _Reader, data: Mapping[str, Any]) -> PrivacyContact | None:
    raw = reader.table(data, "privacy_contact", "privacy_contact")
    if raw is None:
        return None
    contact, problems = read_privacy_contact(raw, "privacy_contact")
    for key, message in problems:
        reader.fail(key, message)
    return contact


def parse_preset(data: Mapping[str, Any], source: str, *, stored: bool = False) -> Preset:
    """Check one parsed preset; raise PresetError naming every problem.

    A `stored` copy is read back without the checks made only when `strict` (each added
    after programs were first stored, such as that an eligibility condition reads a fact its
    pathways carry): a program stored before one keeps its pages until its file is loaded
    again, and refused there.
    """
    strict = not stored
    reader = _Reader()
    reader.unknown_keys(data, TOP_LEVEL_KEYS, "")
    slug, timezone = _parse_identity(reader, data)
    pathways = _parse_pathways(reader, data)
    follow_up = _parse_follow_up(
        reader, reader.table(data, "follow_up", "follow_up"), strict=strict
    )
    if follow_up is not None:
        for pathway in follow_up.pathways:
            if pathway not in pathways:
                reader.fail("follow_up.pathways", f"{pathway.value!r} is not offered")
    districts = _parse_districts(reader, data)
    partner_kinds, categories, metrics = _parse_vocabularies(reader, data)
    area = _parse_area(reader, data)
    preset = Preset(
        slug=slug,
        name=reader.string(data, "name", "name"),
        timezone=timezone,
        description=str(data.get("description", "")),
        area=area,
        pathways=pathways,
        eligibility=_parse_eligibility(
            reader, data, pathways, {d.code for d in districts}, strict=strict
        ),
        follow_up=follow_up,
        priority=_parse_priority(reader, reader.table(data, "priority", "priority"), strict=strict),
        team=_parse_team(reader, data, strict=strict),
        districts=districts,
        shifts=_parse_shifts(reader, data, {d.code for d in districts}),
        partner_kinds=partner_kinds,
        service_categories=categories,
        closing_checklist=_parse_checklist(reader, data, strict=strict),
        metrics=metrics,
        headline=_parse_headline(reader, data, strict=strict),
        service_referral_response_hours=_parse_response_hours(reader, data),
        public_dashboard=_parse_public_dashboard(reader, data),
        data_sharing=_parse_data_sharing(reader, data, slug),
        retention=_parse_retention(reader, data),
        route=_parse_route(reader, data, area),
        surveillance=_parse_surveillance(reader, data),
        privacy_contact=_parse_privacy_contact(reader, data),
        formerly=_parse_formerly(reader, data, slug),
    )
    if reader.problems:
        raise PresetError(source, reader.problems)
    return preset


def load_preset_file(path: Path) -> Preset:
    """Read and check one TOML preset; errors name the file."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PresetError(source, [("(file)", f"cannot be read: {exc}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(source, [("(syntax)", str(exc))]) from exc
    preset = parse_preset(data, source)
    if preset.slug != path.stem:
        raise PresetError(source, [("slug", f"must match the file name {path.stem!r}")])
    return preset


def load_preset_dir(directory: Path) -> list[Preset]:
    """Every preset in a folder, sorted by slug; every file is checked, and any bad one
    refuses the lot, with every bad file's problems."""
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise PresetError(str(directory), [("(folder)", "holds no *.toml preset")])
    presets: list[Preset] = []
    refused: list[PresetError] = []
    for path in files:
        try:
            presets.append(load_preset_file(path))
        except PresetError as exc:
            refused.append(exc)
    if refused:
        raise PresetsError(refused)
    return presets


def preset_from_stored(stored: Mapping[str, Any], source: str) -> Preset:
    """A stored preset (`Preset.as_dict()`, as kept beside a program) checked again.

    It goes through JSON first, as it would to and from the database, so a copy
    still in memory (tuples, enum members) reads the same as one loaded back.
    """
    return parse_preset(json.loads(json.dumps(stored, default=str)), source, stored=True)
