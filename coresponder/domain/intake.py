"""Intake rules: follow-up windows, one overdose from many reports, districts from places."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from coresponder.domain.linkage import (
    COMPARISONS_BY_NAME,
    MONTH_APART_CAUTION,
    NAME_AND_ADDRESS_CAUTION,
    PLACEHOLDER_CAUTION,
    Params,
    Record,
    comparison_vector,
    jaro_winkler,
    match_probability,
    match_weight,
    merge_caution,
    normalise,
    spelling_difference,
    sure_merge_guard,
    without_placeholder_names,
)

# One overdose reported by several sources: one person, within 2 hours and 500 metres
# (see `decide_overdose_join`).
SAME_OVERDOSE_WITHIN = dt.timedelta(hours=2)
SAME_OVERDOSE_METRES = 500.0
EARTH_RADIUS_M = 6_371_008.8


def outreach_window(
    anchor: dt.datetime, opens_after_hours: float, closes_after_hours: float
) -> tuple[dt.datetime, dt.datetime]:
    """The window in elapsed hours from the anchor (overdose or referral).

    Hours are elapsed time, so "72 h after" is the same span across a DST change.
    """
    if anchor.tzinfo is None:
        raise ValueError("anchor must be timezone-aware")
    # In UTC: Python adds a timedelta to a zoned datetime on the wall clock, which
    # would make "12 h after" 11 or 13 elapsed hours on the nights clocks change.
    utc = anchor.astimezone(dt.UTC)
    return utc + dt.timedelta(hours=opens_after_hours), utc + dt.timedelta(hours=closes_after_hours)


# A report this long after what it follows up is history (records loaded from before the
# program, a backlog), not a late notice: its window stays where the anchor puts it, closed.
LATE_REPORT_LIMIT = dt.timedelta(days=30)
# A referral or encounter typed on a form as this long ago is asked about before it is
# saved: a year typed wrong (1999, or last year for this) moves its program's figures.
LATE_ENTRY_LIMIT = dt.timedelta(days=365)


def follow_up_window(
    anchor: dt.datetime,
    learned_at: dt.datetime,
    opens_after_hours: float,
    closes_after_hours: float,
) -> tuple[dt.datetime, dt.datetime, bool]:
    """The follow-up window, and whether it counts from when the program learned of what it
    follows up rather than from the anchor.

    An overdose the program learns of after its window closed (a hospital's file sent a
    week later) cannot be followed up in time: its window, as long as the preset's, opens
    when the program learned of it, and says so, so the team still has the time the preset
    gives and the service levels do not count a miss nobody could have avoided. Learned of
    more than `LATE_REPORT_LIMIT` after the anchor, it is history, not follow-up to do.
    """
    start, end = outreach_window(anchor, opens_after_hours, closes_after_hours)
    if learned_at < end or learned_at - anchor > LATE_REPORT_LIMIT:
        return start, end, False
    learned = learned_at.astimezone(dt.UTC)
    return learned, learned + (end - start), True


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _in_ring(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        if (y1 > lat) != (y2 > lat):
            crossing = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < crossing:
                inside = not inside
    return inside


def _in_polygon(lon: float, lat: float, rings: Sequence[Sequence[Sequence[float]]]) -> bool:
    """Inside the outer ring and outside every hole."""
    if not rings or not _in_ring(lon, lat, rings[0]):
        return False
    return not any(_in_ring(lon, lat, hole) for hole in rings[1:])


def district_at(
    latitude: float, longitude: float, districts: Sequence[tuple[str, Mapping[str, Any]]]
) -> str | None:
    """The code of the first district whose GeoJSON boundary holds the point."""
    for code, boundary in districts:
        kind = boundary.get("type")
        coordinates = boundary.get("coordinates") or []
        polygons = [coordinates] if kind == "Polygon" else coordinates
        if any(_in_polygon(longitude, latitude, polygon) for polygon in polygons):
            return code
    return None


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    if birth_date is None:
        return None
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


# --- A birth year where only a year, or an age, is known ---------------------------------
#
# Police and EMS records often carry an age at the event, or a birth year, not a date.
# A year is stored only where the full date is not known: a birth date says its year.

# Years before this are typing errors (a 125-year-old overdose survivor is not one).
EARLIEST_BIRTH_YEAR = 1901
OLDEST_AGE = 120
# More naloxone doses than this for one overdose is a typing error, not a count.
MOST_NALOXONE_DOSES = 50


# How many digits a phone number has, from a local number to the longest international one.
PHONE_DIGITS = (7, 15)


def phone_digit_count(phone: str) -> int:
    return sum(character.isdigit() for character in phone)


def phone_problem(phone: str | None) -> str | None:
    """Why a person's phone as given is no number anyone could call ("abc", "12"), or None."""
    if not phone or not phone.strip():
        return None
    low, high = PHONE_DIGITS
    if low <= phone_digit_count(phone) <= high:
        return None
    return f"give a phone number with {low} to {high} digits"


def readable_phone(phone: str) -> str:
    """A phone kept as bare digits, as a person reads it: "2155550100" → "(215) 555-0100".

    North American numbers of 10 digits (or 11 with the leading 1) and local numbers of
    7 are grouped ("+12155550100" keeps its +1); anything written with its own spacing
    or punctuation, or of another length, reads as written.
    """
    text = phone.strip()
    international = text.startswith("+1")
    digits = text[2:] if international else text
    if not digits.isdigit():
        return phone
    if not international and len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        grouped = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        return f"+1 {grouped}" if international else grouped
    if len(digits) == 7 and not international:
        return f"{digits[:3]}-{digits[3:]}"
    return phone


# An extension as people write it after the number: "ext. 12", "Ext: 5", "x 7", "#12",
# "extension 3", with or without words after it ("ext. 12 (intake)").
EXTENSION = re.compile(r"(?:\bext(?:ension)?\b\.?|(?<![a-z])x|#)\s*:?\s*(\d+)", re.IGNORECASE)
# A number as written: digits and the marks numbers are written with, so the words and a
# second number beside it ("215-555-0100 or 215-555-0199") are not dialled with it.
FIRST_NUMBER = re.compile(r"\+?[\d(][\d ()./-]*\d")


def phone_link(phone: str) -> str:
    """The tel: link a phone dials (RFC 3966): the number's digits, its leading +, and an
    extension as ";ext=": spaces and words in the link leave a phone nothing to dial."""
    text = phone.strip()
    extension = ""
    if found := EXTENSION.search(text):
        extension = f";ext={found.group(1)}"
        text = text[: found.start()]
    numbers = [match.group() for match in FIRST_NUMBER.finditer(text)]
    # The first that could be a phone number (seven digits or more), before a shorter one.
    number = next((n for n in numbers if sum(c.isdigit() for c in n) >= 7), "") or (
        numbers[0] if numbers else ""
    )
    international = number.startswith("+")
    if international:
        # "+44 (0)20 …": the (0) is dialled only from within the country, never after +44.
        number = number.replace("(0)", "")
    digits = "".join(character for character in number if character.isdigit())
    return f"tel:{'+' if international else ''}{digits}{extension}"


# What a phone written only in digits and the usual punctuation may hold.
PHONE_PUNCTUATION = frozenset("0123456789 ()+-./")


def stored_phone(phone: str) -> str:
    """A phone as the directory keeps it: a North American number as its bare digits
    ("(215) 555-0100" → "2155550100", "+1 215…" keeps its +1), which `readable_phone`
    groups and a phone dials as is; anything else (an extension, another country's
    spacing) as typed, its spaces tidied."""
    text = " ".join(phone.split())
    digits = "".join(character for character in text if character.isdigit())
    if not text or not set(text) <= PHONE_PUNCTUATION:
        return text
    if text.startswith("+1") and len(digits) == 11:
        return f"+{digits}"
    if text.startswith("+"):
        return text
    if len(digits) == 10 or (len(digits) == 11 and digits.startswith("1")):
        return digits[-10:]
    return text


def estimated_birth_year(age: int, event_date: dt.date) -> int:
    """The birth year of someone `age` years old on `event_date`: the event's year − age.

    Uncertain by one: a person 30 on 10 March 2025 was born between 11 March 1994 and
    10 March 1995, so the year is this one or the one before (before when their
    birthday had not yet come that year). Linkage compares such years as ±1.
    """
    return event_date.year - age


def birth_year_problem(year: int, today: dt.date) -> str | None:
    """What is wrong with a reported birth year, in words; None when it can be true."""
    if year < EARLIEST_BIRTH_YEAR:
        return f"must be after {EARLIEST_BIRTH_YEAR - 1}"
    if year > today.year:
        return "cannot be in the future"
    return None


def age_problem(age: int) -> str | None:
    """What is wrong with a reported age in years, in words; None when it can be true."""
    if not 0 <= age <= OLDEST_AGE:
        return f"must be a whole number of years from 0 to {OLDEST_AGE}"
    return None


def age_conflict(
    age: int, day: dt.date, birth_date: dt.date | None, year: int | None
) -> str | None:
    """Why an age on `day` cannot stand beside the birth date or year given, or cannot be
    stored as a year (it would mean a birth before EARLIEST_BIRTH_YEAR); None when it can."""
    if birth_date is not None:
        if age_on(birth_date, day) != age:
            return f"is not the age on {day.isoformat()} of someone born {birth_date.isoformat()}"
        return None
    estimated = estimated_birth_year(age, day)
    if year is not None:
        if year not in (estimated, estimated - 1):
            return f"is not the age on {day.isoformat()} of someone born in {year}"
        return None
    if estimated < EARLIEST_BIRTH_YEAR:
        return f"on {day.isoformat()} would mean born before {EARLIEST_BIRTH_YEAR}"
    return None


def birth_year_conflict(birth_date: dt.date | None, year: int | None) -> str | None:
    """Why a birth year cannot stand beside a birth date; None when they agree or one is missing."""
    if birth_date is None or year is None or birth_date.year == year:
        return None
    return f"{year} is not the year of the birth date {birth_date.isoformat()}"


def birth_year_from(birth_date: dt.date | None, year: int | None) -> int | None:
    """The year to store beside a birth date: none when the date is known (it says the year)."""
    return None if birth_date is not None else year


# --- One overdose, reported twice ------------------------------------------------------
#
# A police report and a hospital report of one overdose rarely spell the person
# alike ("O'Brien" / "OBrien", "Bill" / "William", a day and month swapped). A
# report joins an overdose already known when the times are within the window,
# the places do not contradict it, and the person evidence is strong: the same
# person record, or the linkage model's comparisons a likely match at least.

# Match probabilities of the linkage model (coresponder.domain.linkage): "sure" is
# where the registry's deduplication merges without review; "likely" is the
# least this join accepts.
SURE_MATCH = 0.99
LIKELY_MATCH = 0.90
# Two reports of one overdose place it within 500 m about nine times in ten (the
# scene, where the crew found the person); two unrelated overdoses in a program's
# area fall that close within two hours perhaps one time in fifty: log2(m/u).
PLACE_AGREES_WEIGHT = math.log2(0.9 / 0.02)
# Place names (free text) this close are one place ("12 Elm St" / "12 Elm Street").
PLACE_TEXT_SIMILARITY = 0.90
# A flat disagreement on any of these says "another person", whatever else agrees:
# twins share a family name, a birth date and an address, never a given name.
CONTRADICTIONS = ("given_name", "family_name", "birth_date")
# Each of these may differ a little (a typo, a nickname, day and month swapped), but
# only one of them at once: "Pat10 Lee, 1980-01-10" and "Pat11 Lee, 1980-01-11"
# are two people, however close each field is.
MOST_INEXACT = 1
# Name agreement strong enough for the place to count in the person's favour.
STRONG_GIVEN = frozenset({"exact", "swapped", "nickname", "jw92"})
STRONG_FAMILY = frozenset({"exact", "swapped", "part", "jw92", "soundex"})


class PersonAgreement(StrEnum):
    SAME_RECORD = "same_record"
    SURE = "sure"
    LIKELY = "likely"
    WEAK = "weak"
    CONTRADICTED = "contradicted"
    # As likely as a match, but the pair is what twins, a father and son or a placeholder
    # name look like (`linkage.sure_merge_guard`): joined only by a person who looked.
    HELD = "held"


JOINING = frozenset({PersonAgreement.SAME_RECORD, PersonAgreement.SURE, PersonAgreement.LIKELY})


class PersonWeighing(NamedTuple):
    """How a report's person compares with one person already known."""

    agreement: PersonAgreement
    probability: float
    words: tuple[str, ...]
    # Why a person should look before taking them for one (HELD), else "".
    caution: str = ""


@dataclass(frozen=True)
class ReportFacts:
    """What a new report says of the overdose and the person."""

    occurred_at: dt.datetime
    coordinates: tuple[float, float] | None = None
    place: str = ""
    person: Record | None = None
    # The person record the report already names (by id, or the same names and birth date).
    person_key: Hashable | None = None


@dataclass(frozen=True)
class KnownOverdoseFacts:
    """An overdose already known (or a row earlier in the same file) and its person's records."""

    key: Hashable
    occurred_at: dt.datetime
    coordinates: tuple[float, float] | None = None
    place: str = ""
    person_key: Hashable | None = None
    person_records: tuple[Record, ...] = ()


@dataclass(frozen=True)
class JoinEvidence:
    """How one overdose already known compares with the report, in words a user reads."""

    key: Hashable
    person_key: Hashable | None
    agreement: PersonAgreement
    probability: float
    minutes_apart: int
    metres_apart: float | None
    place_agrees: bool
    words: tuple[str, ...] = ()
    # The words about the person alone (no time or place).
    person_words: tuple[str, ...] = ()
    # Why the person is HELD (twins, a father and son, a placeholder name), else "".
    caution: str = ""

    @property
    def joins(self) -> bool:
        return self.agreement in JOINING


@dataclass(frozen=True)
class JoinDecision:
    """The overdose the report joins (or None), and the candidates a coordinator should see."""

    join: JoinEvidence | None
    candidates: tuple[JoinEvidence, ...] = ()
    # Overdoses of other people that would also have joined: put their people up for review.
    review: tuple[JoinEvidence, ...] = field(default=())
    # Overdoses whose person the report is as likely to be, but whom the sure-merge guard
    # holds back (HELD): joined by none, and the people put up for review too.
    held: tuple[JoinEvidence, ...] = field(default=())

    @property
    def to_review(self) -> tuple[JoinEvidence, ...]:
        """Every overdose whose person a coordinator should compare with the report's."""
        return (*self.review, *self.held)

    @property
    def ambiguous(self) -> bool:
        return self.join is None and len(self.review) > 1


def _place_text_agrees(a: str, b: str) -> bool:
    x, y = normalise(Record(address=a)).address, normalise(Record(address=b)).address
    return bool(x and y) and (x == y or jaro_winkler(x, y) >= PLACE_TEXT_SIMILARITY)


def _level(vector: Mapping[str, int], name: str) -> str:
    return COMPARISONS_BY_NAME[name].levels[vector[name]].name


def _contradicted(vector: Mapping[str, int]) -> bool:
    return any(_level(vector, name) == "else" for name in CONTRADICTIONS)


def _inexact(vector: Mapping[str, int]) -> int:
    """How many of the names and the birth date differ a little (a swap of names counts once)."""
    levels = {name: _level(vector, name) for name in CONTRADICTIONS}
    if levels["given_name"] == "swapped" and levels["family_name"] == "swapped":
        levels["family_name"] = "exact"
    elif "swapped_close" in (levels["given_name"], levels["family_name"]):
        # A swap with a nickname, typo, initial or part changed is one change, not two.
        levels["given_name"], levels["family_name"] = "swapped_close", "exact"
    return sum(level not in ("null", "exact") for level in levels.values())


def _names_strong(vector: Mapping[str, int]) -> bool:
    return _level(vector, "given_name") in STRONG_GIVEN and (
        _level(vector, "family_name") in STRONG_FAMILY
    )


def weigh_person(
    probe: Record, records: Sequence[Record], params: Params, *, place_agrees: bool = False
) -> PersonWeighing:
    """The best agreement of `probe` with any of one person's records, and why, in words.

    A place that agrees adds its weight only where the names already agree well:
    the same surname and the same scene is a family, not one person. A pair the
    sure-merge guard holds back (suffixes or sexes that differ, a placeholder name)
    is HELD however high it scores: the registry would not merge it without review.
    """
    best: tuple[float, dict[str, int], Record] | None = None
    for record in records:
        vector = comparison_vector(probe, record)
        weight = match_weight(vector, params)
        if best is None or weight > best[0]:
            best = (weight, vector, record)
    if best is None:
        return PersonWeighing(PersonAgreement.WEAK, 0.0, ())
    weight, vector, record = best
    if place_agrees and _names_strong(vector):
        weight += PLACE_AGREES_WEIGHT
    probability = match_probability(weight)
    words = tuple(person_words(probe, record, vector))
    if _contradicted(vector):
        return PersonWeighing(PersonAgreement.CONTRADICTED, probability, words)
    if _inexact(vector) > MOST_INEXACT:
        return PersonWeighing(PersonAgreement.WEAK, probability, words)
    if probability < LIKELY_MATCH:
        return PersonWeighing(PersonAgreement.WEAK, probability, words)
    caution = merge_caution(probe, record, vector)
    if caution == PLACEHOLDER_CAUTION and place_agrees:
        # The same scene at the same time is the strong other evidence a record under a
        # placeholder name needs; what else the pair says still holds it back.
        caution = sure_merge_guard(without_placeholder_names(vector))
    if caution in (NAME_AND_ADDRESS_CAUTION, MONTH_APART_CAUTION) and place_agrees:
        # Two people of one name are not both at this scene this hour: the scene is the
        # fact beside the names (and the address, or a birth date a little out) that
        # tells them apart.
        caution = None
    if caution is not None:
        return PersonWeighing(PersonAgreement.HELD, probability, words, caution)
    if probability >= SURE_MATCH:
        return PersonWeighing(PersonAgreement.SURE, probability, words)
    return PersonWeighing(PersonAgreement.LIKELY, probability, words)


def weigh_join(
    report: ReportFacts,
    known: KnownOverdoseFacts,
    params: Params,
    *,
    within: dt.timedelta = SAME_OVERDOSE_WITHIN,
    metres: float = SAME_OVERDOSE_METRES,
) -> JoinEvidence | None:
    """The evidence that `report` is of `known`; None when time or place rule it out."""
    gap = abs(report.occurred_at - known.occurred_at)
    if gap > within:
        return None
    distance = None
    if report.coordinates is not None and known.coordinates is not None:
        distance = metres_between(*report.coordinates, *known.coordinates)
        if distance > metres:
            return None
    place_agrees = distance is not None or _place_text_agrees(report.place, known.place)
    same_record = report.person_key is not None and report.person_key == known.person_key
    agreement, probability, caution = PersonAgreement.WEAK, 0.0, ""
    words: tuple[str, ...] = ()
    if report.person is not None:
        agreement, probability, words, caution = weigh_person(
            report.person, known.person_records, params, place_agrees=place_agrees
        )
    if same_record:
        agreement, probability, caution = PersonAgreement.SAME_RECORD, 1.0, ""
        words = ("the same person record", *words)
    minutes = round(gap.total_seconds() / 60)
    return JoinEvidence(
        key=known.key,
        person_key=known.person_key,
        agreement=agreement,
        probability=probability,
        minutes_apart=minutes,
        metres_apart=distance,
        place_agrees=place_agrees,
        words=(*words, *_place_words(distance, place_agrees), time_apart(minutes)),
        person_words=words,
        caution=caution,
    )


def _rank(evidence: JoinEvidence) -> tuple[int, float, int, str]:
    same = evidence.agreement is PersonAgreement.SAME_RECORD
    return (0 if same else 1, -evidence.probability, evidence.minutes_apart, str(evidence.key))


def decide_overdose_join(
    report: ReportFacts,
    known: Sequence[KnownOverdoseFacts],
    params: Params,
    *,
    within: dt.timedelta = SAME_OVERDOSE_WITHIN,
    metres: float = SAME_OVERDOSE_METRES,
) -> JoinDecision:
    """Which overdose already known a report joins, if any: the one rule of web, API and import.

    The report's own person record wins; otherwise the candidates must all be one
    person. Candidates of two people are ambiguous: the report joins none of them,
    and the people are put up for a coordinator's review.
    """
    weighed = [weigh_join(report, k, params, within=within, metres=metres) for k in known]
    joining = sorted((e for e in weighed if e is not None and e.joins), key=_rank)
    held = tuple(
        sorted(
            (e for e in weighed if e is not None and e.agreement is PersonAgreement.HELD),
            key=_rank,
        )
    )
    if not joining:
        return JoinDecision(join=None, held=held)
    best = joining[0]
    held = tuple(e for e in held if e.person_key != best.person_key)
    others = tuple(e for e in joining if e.person_key != best.person_key)
    if best.agreement is PersonAgreement.SAME_RECORD or not others:
        return JoinDecision(join=best, candidates=tuple(joining), review=others, held=held)
    return JoinDecision(join=None, candidates=tuple(joining), review=tuple(joining), held=held)


def time_apart(minutes: int) -> str:
    """'at the same time', '25 minutes apart', '1 hour 5 minutes apart'."""
    if minutes == 0:
        return "at the same time"
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if rest:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts) + " apart"


def _place_words(distance: float | None, place_agrees: bool) -> list[str]:
    if distance is not None:
        # Coordinates a few metres apart are one spot, as far as a GPS fix can tell.
        return ["same place" if distance < 10 else f"same place ({round(distance)} m apart)"]
    return ["same place named"] if place_agrees else []


_GIVEN_WORDS = {
    "swapped": "given and family names swapped",
    "nickname": "given names are forms of one name (as Bill and William)",
    "jw92": "given name spelled slightly differently",
    "jw80": "given name spelled differently",
    "initial": "given name only as an initial",
    "swapped_close": "given and family names swapped, one of them spelled differently",
    "placeholder": "given name a placeholder (such as Unknown), which says nothing",
    "names_alike": "given names spelled alike, each a name of its own (as Elise and Elsie)",
    "else": "a different given name",
}
_FAMILY_WORDS = {
    "part": "one part of the family name agrees",
    "jw92": "family name spelled slightly differently",
    "soundex": "family name sounds the same",
    "jw80": "family name spelled differently",
    "swapped_close": "given and family names swapped, one of them spelled differently",
    "placeholder": "family name a placeholder (such as Unknown), which says nothing",
    "else": "a different family name",
}
_OTHER_WORDS = {
    ("birth_date", "exact"): "same birth date",
    ("birth_date", "day_month_swapped"): "birth date with day and month swapped",
    ("birth_date", "year_off_by_one"): "birth date a year apart",
    ("birth_date", "one_digit"): "birth date one digit different",
    ("birth_date", "year_same"): "born the same year (only a year known)",
    ("birth_date", "year_1"): "born a year apart (only a year known)",
    ("birth_date", "year_2"): "born two years apart (only a year known)",
    ("birth_date", "placeholder"): "a placeholder birth date (such as 1 January 1900)",
    ("birth_date", "within_month"): "birth dates a month apart at most",
    ("birth_date", "else"): "a different birth date",
    ("address", "exact"): "same home address",
    ("address", "jw90"): "home address spelled slightly differently",
    ("address", "tokens"): "home address partly the same",
    ("address", "else"): "a different home address",
    ("phone", "exact"): "same phone number",
    ("phone", "last7"): "phone number's last seven digits the same",
    ("phone", "one_digit"): "phone number one digit different",
    ("phone", "shared"): "same phone, but one many people give (a shelter's or a referrer's)",
    ("sex", "else"): "a different sex",
    ("name_suffix", "exact"): "same suffix (such as Jr)",
    ("name_suffix", "one_only"): "only one report gives a suffix (such as Jr)",
    ("name_suffix", "else"): "different suffixes (such as Jr and Sr)",
    ("event_facility", "same_day"): "seen at the same facility the same day",
    ("event_facility", "within_1_day"): "seen at the same facility a day apart",
}


def _name_words(a: Record, b: Record, given: str, family: str) -> list[str]:
    if given == "exact" and family == "exact":
        ways = {spelling_difference(a.given, b.given), spelling_difference(a.family, b.family)}
        ways.discard("same")
        if not ways:
            return ["same name"]
        return [f"name differs only by {' and '.join(sorted(ways))}"]
    if given == "swapped" or family == "swapped":
        return [_GIVEN_WORDS["swapped"]]
    words = []
    if given == "exact":
        words.append("same given name")
    elif given in _GIVEN_WORDS:
        words.append(_GIVEN_WORDS[given])
    if family == "exact":
        words.append("same family name")
    elif family in _FAMILY_WORDS:
        words.append(_FAMILY_WORDS[family])
    return list(dict.fromkeys(words))  # a swap with a change is said once


def person_words(a: Record, b: Record, vector: Mapping[str, int]) -> list[str]:
    """What agrees and what differs between two accounts of a person, in plain words."""
    words = _name_words(a, b, _level(vector, "given_name"), _level(vector, "family_name"))
    for name in ("name_suffix", "birth_date", "address", "phone", "sex", "event_facility"):
        phrase = _OTHER_WORDS.get((name, _level(vector, name)))
        if phrase:
            words.append(phrase)
    return words
