"""Placeholder identities: names and birth dates that stand for "not known".

An emergency department registers an unconscious patient before anyone knows
who they are, and EMS software wants a name and a birth date before it saves a
run. What they write instead follows conventions:

- US hospitals' unidentified-patient names: "John Doe" / "Jane Doe" (and "Baby
  Doe"; beside another given name Doe is a real surname), "Unknown Unknown",
  "Unk", "UNIDENTIFIED MALE"; trauma centres' alias
  series, "Trauma Alpha", "Trauma Zulu 12", "Trauma 4471" (NATO letters, colours,
  cities or numbers after "Trauma"), so a bay can order blood before a name is
  known;
- newborns before naming: "Baby Boy Smith", "Babygirl Jones", "Twin A";
- US federal and court records: FNU / LNU ("first/last name unknown"), NFN / NLN
  ("no first/last name"); European records: "NN" (nomen nescio);
- EMS patient-care reports and registration screens: "Patient", "No Name",
  "Refused", "Not Given", fillers such as "XXX";
- birth dates: 1900-01-01 and other dates before 1901 (a system's empty date,
  1899-12-31 or 1753-01-01 from spreadsheets and SQL Server); 1901-01-01, the
  earliest date the forms accept and the empty date of systems whose dates start
  there (no one helped today was born that day); the day of the event itself (EMS
  software's default); and 1 January of a year, which is what many forms store
  when only a year or an age was given: that keeps the year as evidence, no more.

A deployment adds its own conventions (an EHR's "ZZTEST", a county's alias
series) through the LINKAGE_PLACEHOLDER_NAMES setting, which the identity app
passes in; each such name marks the whole name a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

# A word that makes the whole name a placeholder, whatever the other part says
# ("Trauma Alpha", "Alpha Trauma", "Unidentified Male").
WHOLE_NAME_WORDS: frozenset[str] = frozenset(
    {
        "trauma",
        "unidentified",
        "unidentifed",
        "unident",
        "anonymous",
        "anon",
        "noname",
        "nn",
    }
)
# Doe is a real family name (Samuel Doe) as well as the hospitals' unidentified patient:
# it makes the whole name a placeholder only beside the given names the convention pairs
# it with ("John Doe", "Jane Doe 12", "Baby Doe"), a placeholder given name or none.
DOE = "doe"
DOE_GIVEN_NAMES: frozenset[str] = frozenset({"john", "jane", "johnny", "janie", "jon", "baby"})
# Words that, alone or with single letters and numbers, mark just their part of
# the name ("Unknown Smith": the family name may still be real; "Baby Girl A Jones";
# "Patient" where a form wanted a name).
PART_WORDS: frozenset[str] = frozenset(
    {
        "patient",
        "unknown",
        "unkown",
        "unknwn",
        "unknow",
        "unk",
        "unkn",
        "unkwn",
        "ukn",
        "pt",
        "fnu",
        "lnu",
        "nfn",
        "nln",
        "none",
        "refused",
        "declined",
        "xx",
        "xxx",
        "xxxx",
        "zz",
        "zzz",
    }
)
# The same, for a given name only: "Baby Boy Smith", "Twin A Jones", "Unknown, Male"
# (while Baby and Male are also real family names).
GIVEN_PART_WORDS: frozenset[str] = PART_WORDS | frozenset(
    {
        "baby",
        "babyboy",
        "babygirl",
        "boy",
        "girl",
        "infant",
        "newborn",
        "twin",
        "male",
        "female",
    }
)
# Phrases that are placeholders as a whole name or as either part.
PHRASES: frozenset[str] = frozenset(
    {
        "no name",
        "not given",
        "not provided",
        "not known",
        "not stated",
        "name unknown",
        "unknown name",
        "no first name",
        "no last name",
    }
)
# No one helped today was born before this year; earlier dates are a system's "empty".
FIRST_REAL_BIRTH_YEAR = 1901

_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Placeholders:
    """The conventions in force: the built-in ones plus a deployment's (folded, whole names)."""

    extra: frozenset[str] = field(default_factory=frozenset)


def _words(part: str) -> list[str]:
    return _DIGITS.sub(" ", part).split()


def _part_is_placeholder(part: str, markers: frozenset[str]) -> bool:
    words = _words(part)
    if not words:
        return bool(part)  # only digits: a record number typed where the name goes
    if " ".join(words) in PHRASES:
        return True
    return any(word in markers for word in words) and all(
        word in markers or len(word) == 1 for word in words
    )


def _is_doe(given: str, family: str) -> bool:
    """ "John Doe", "Jane Doe 12", "Baby Girl Doe", "Doe": not "Samuel Doe" or "Doe-Smith";
    also the whole name typed in one part ("Doe, John")."""
    family_words = _words(family)
    if not given and DOE in family_words and len(family_words) > 1:
        return _is_doe(" ".join(w for w in family_words if w != DOE), DOE)
    if DOE not in family_words or not all(w == DOE or len(w) == 1 for w in family_words):
        return False
    return all(
        word in DOE_GIVEN_NAMES or word in GIVEN_PART_WORDS or len(word) == 1
        for word in _words(given)
    )


def _whole_is_placeholder(given: str, family: str, conventions: Placeholders) -> bool:
    words = _words(given) + _words(family)
    if any(word in WHOLE_NAME_WORDS for word in words):
        return True
    if _is_doe(given, family) or _is_doe(family, given):
        return True
    joined = " ".join(words)
    reverse = " ".join(_words(family) + _words(given))
    if joined in PHRASES or reverse in PHRASES:
        return True
    extra = conventions.extra
    if not extra:
        return False
    parts = {" ".join(_words(given)), " ".join(_words(family)), joined, reverse}
    return bool(parts & extra) or any(word in extra for word in words)


def placeholder_parts(
    given: str, family: str, conventions: Placeholders = Placeholders()
) -> tuple[bool, bool]:
    """(the given name is a placeholder, the family name is), for folded names."""
    if (given or family) and _whole_is_placeholder(given, family, conventions):
        return bool(given), bool(family)
    return (
        _part_is_placeholder(given, GIVEN_PART_WORDS),
        _part_is_placeholder(family, PART_WORDS),
    )


# Words that only say "not known" (or "a newborn", and which sex, that the sex compared
# says): what is left of a placeholder name besides them is its mark, the letter, number
# or alias that tells one such patient from another ("Twin A" and "Twin B", "Trauma
# Alpha" and "Trauma Bravo").
FILLER_WORDS: frozenset[str] = (
    WHOLE_NAME_WORDS
    | PART_WORDS
    | DOE_GIVEN_NAMES
    | frozenset({DOE, "baby", "babyboy", "babygirl", "boy", "girl", "infant", "newborn"})
    | frozenset({"twin", "male", "female", "name", "no", "not", "given"})
)


def placeholder_mark(*parts: str) -> str:
    """The mark of a placeholder name's parts (folded): its letters, numbers and alias words
    beside the words that only say "not known"; "" when there is none ("Unknown Male",
    "John Doe"). Two placeholder names with different marks, born or seen together, are
    two patients."""
    words = " ".join(parts).split()
    return " ".join(w for w in words if w not in FILLER_WORDS)


def conventions_with(names: Iterable[str], fold: Callable[[str], str]) -> Placeholders:
    """The built-in conventions plus a deployment's names, folded as the comparisons fold."""
    extra = frozenset(" ".join(_words(fold(name))) for name in names)
    return Placeholders(extra=frozenset(name for name in extra if name))


def is_placeholder_birth_date(birth: date, event: date | None = None) -> bool:
    """A date that stands for "not known": before 1901, 1901-01-01 itself (the earliest
    date forms accept, another system's empty date), or the day of the event itself."""
    return (
        birth.year < FIRST_REAL_BIRTH_YEAR
        or (birth.year == FIRST_REAL_BIRTH_YEAR and birth.month == 1 and birth.day == 1)
        or (event is not None and birth == event)
    )


def is_year_only_birth_date(birth: date) -> bool:
    """1 January: what forms store when only a year or an age was given."""
    return birth.month == 1 and birth.day == 1


def is_placeholder_birth_year(year: int) -> bool:
    return year < FIRST_REAL_BIRTH_YEAR
