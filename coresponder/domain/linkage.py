"""Linkage scoring: is this source record the same person as that one?

A person is a cluster of source records kept as reported. Two records are
compared field by field; each comparison lands on one *level* (exact, nickname,
day and month swapped, ...) and each level carries a match weight
log2(m/u) in the Fellegi–Sunter sense: m is how often true matches land there,
u how often unrelated pairs do. The weights come from a model trained on the
deployment's own records (see `coresponder.identity.linkage_model`);
`DEFAULT_PARAMS` are the priors used before any training.

Blocking keys decide which pairs are compared at all: a true match must share
at least one key with the records it belongs with, including the nickname,
typo, swapped-date and changed-surname cases, while no key may match more than
a few hundred records in a registry of a million people.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path

from coresponder.domain.placeholders import (
    Placeholders,
    conventions_with,
    is_placeholder_birth_date,
    is_placeholder_birth_year,
    is_year_only_birth_date,
    placeholder_mark,
    placeholder_parts,
)

_DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Record:
    """One source record as the comparisons see it."""

    given: str = ""
    family: str = ""
    birth_date: date | None = None
    # The birth year where only a year is known (reported, or estimated from an age at the
    # event); None when a full birth date is given or nothing is.
    birth_year: int | None = None
    sex: str = ""  # "female", "male" or "" (not reported)
    phone: str = ""
    # Set by the caller when this record's phone is one many people give (a shelter's, a
    # referrer's): agreeing on it then says little.
    shared_phone: bool = False
    address: str = ""
    event_date: date | None = None
    facility: str = ""
    # A generational suffix ("jr", "sr", "ii", "iii", "iv"): given by a source that keeps it
    # apart, else parsed off the end of the names by `normalise`.
    suffix: str = ""
    # Set by `normalise` (see `coresponder.domain.placeholders`): the part was a placeholder
    # ("John Doe", "Unknown", 1900-01-01) and is left blank, so it blocks and weighs nothing.
    given_placeholder: bool = False
    family_placeholder: bool = False
    birth_date_placeholder: bool = False
    # Set by `normalise`: what tells this placeholder name from another ("a" of "Twin A",
    # "alpha" of "Trauma Alpha"); "" when the name is no placeholder or has no mark.
    placeholder_mark: str = ""


@dataclass(frozen=True)
class Level:
    name: str
    description: str
    # A level that says nothing either way (a placeholder): weight 0, like "null".
    neutral: bool = False


@dataclass(frozen=True)
class Comparison:
    """levels[0] is "null" (either side missing); the last level is "else"."""

    name: str
    levels: tuple[Level, ...]

    def index(self, level_name: str) -> int:
        for i, level in enumerate(self.levels):
            if level.name == level_name:
                return i
        raise KeyError(level_name)


@dataclass(frozen=True)
class Params:
    """Per comparison, one m and one u probability per level; prior is P(match) of a pair."""

    m: Mapping[str, tuple[float, ...]]
    u: Mapping[str, tuple[float, ...]]
    prior: float


# --- normalisation -----------------------------------------------------------

# Letters and digits of every script: a name written in Cyrillic, Arabic or Chinese is a
# name to compare and to search, not a blank.
_NOT_WORD = re.compile(r"[^\w ]+")
_SPACES = re.compile(r"\s+")
_SEX = {
    "f": "female",
    "female": "female",
    "woman": "female",
    "w": "female",
    "m": "male",
    "male": "male",
    "man": "male",
}
# What a record may say of sex and the comparison leave out: another sex, or not known.
_SEX_UNCOMPARED = frozenset({"other", "unknown"})


def sex_is_read(text: str) -> bool:
    """Whether `text` is a sex a record holds or the comparison reads (F, man, unknown…),
    so that anything else is said back to whoever sent it rather than quietly ignored."""
    folded = _fold(text)
    return folded in _SEX or folded in _SEX_UNCOMPARED


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    """Lower-case, accents dropped, hyphens to spaces, other punctuation dropped; the
    letters of other scripts kept.

    Remembered: the same names, sexes and blanks come back on most records compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.replace("-", " ").replace("_", " ").replace("/", " ")
    return _SPACES.sub(" ", _NOT_WORD.sub("", plain)).strip()


# Words of a street address written several ways, each as one ("400 North Broad Street,
# Apt. 3" and "400 N Broad St #3" are one address to the help requests' repeat check and to
# the directory's place lookup). Matching compares addresses as written: read this way, a
# street word with a typo kept its length while its clean twin was shortened, and FEBRL's
# true pairs drew apart (docs/benchmarks.md).
STREET_WORDS = {
    "street": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr",
    "boulevard": "blvd", "lane": "ln", "place": "pl", "court": "ct", "terrace": "ter",
    "highway": "hwy", "parkway": "pkwy", "square": "sq",
    "north": "n", "south": "s", "east": "e", "west": "w",
    "apartment": "apt", "unit": "apt", "suite": "apt", "ste": "apt",
}  # fmt: skip


def street_words(words: Iterable[str]) -> list[str]:
    """Folded words of an address, each street word written the one way."""
    return [STREET_WORDS.get(word, word) for word in words if word]


def address_text(text: str) -> str:
    """An address folded, the street's words written one way."""
    return " ".join(street_words(_fold(text.replace("#", " apt ")).split(" ")))


# Words that name the kind of place rather than which place it is: "St Mary's Medical
# Center" and "Saint Mary Hospital" are one facility to the comparisons.
_FACILITY_KIND_WORDS = frozenset(
    {
        "the", "of", "and", "at", "hospital", "hosp", "medical", "med", "center", "centre",
        "ctr", "health", "healthcare", "emergency", "department", "dept", "ed", "er",
    }
)  # fmt: skip
_FACILITY_ABBREVIATIONS = {"st": "saint", "mt": "mount", "univ": "university", "u": "university"}
_POSSESSIVE = re.compile(r"(?<=\w)['’]s?\b", re.IGNORECASE)


def _without_s(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def facility_name(text: str) -> str:
    """A facility's name as the comparisons and blocking keys read it: folded, a possessive
    dropped (with or without its apostrophe), "St" read as "Saint", and words naming the
    kind of place ("Hospital", "Medical Center", "ED") left out, unless nothing else is
    left."""
    words = _fold(_POSSESSIVE.sub("", text)).split()
    # "Saint Marys" as "Saint Mary's": a possessive written without its apostrophe (not
    # "ss", so that reading a name twice reads it as once: "Deaconess" stays).
    words = [_without_s(word) for word in words]
    words = [_FACILITY_ABBREVIATIONS.get(word, word) for word in words]
    named = [word for word in words if word not in _FACILITY_KIND_WORDS]
    return " ".join(named or words)


def normalise_phone(phone: str) -> str:
    """Digits only, the last ten (a leading country code is dropped)."""
    return "".join(c for c in phone if c.isdigit())[-10:]


# Generational suffixes as written -> as compared. "V" is left alone: it is more often a
# middle initial than a fifth generation.
SUFFIXES: Mapping[str, str] = {
    "jr": "jr",
    "jnr": "jr",
    "junior": "jr",
    "sr": "sr",
    "snr": "sr",
    "senior": "sr",
    "ii": "ii",
    "2nd": "ii",
    "iii": "iii",
    "3rd": "iii",
    "iv": "iv",
    "4th": "iv",
}
SUFFIX_LABELS: Mapping[str, str] = {"jr": "Jr", "sr": "Sr", "ii": "II", "iii": "III", "iv": "IV"}


def _split_suffix(name: str) -> tuple[str, str]:
    """("smith", "jr") from "smith jr"; a name that is only a suffix is left as it is."""
    words = name.split(" ")
    if len(words) > 1 and words[-1] in SUFFIXES:
        return " ".join(words[:-1]), SUFFIXES[words[-1]]
    return name, ""


# The placeholder conventions in force: the built-in ones until the deployment's are
# passed in (`use_placeholder_names`).
_conventions: dict[str, Placeholders] = {"current": Placeholders()}


def use_placeholder_names(names: Iterable[str]) -> None:
    """Add a deployment's placeholder names (LINKAGE_PLACEHOLDER_NAMES) to the built-in ones."""
    conventions = conventions_with(names, _fold)
    if conventions != _conventions["current"]:
        _conventions["current"] = conventions
        normalise.cache_clear()
        blocking_keys.cache_clear()


@lru_cache(maxsize=65536)
def normalise(record: Record) -> Record:
    """The record as compared: folded text, digits-only phone, a known sex or "".

    Suffixes come off the names into `suffix`; a placeholder name part or birth date is
    blanked and flagged; a 1 January birth date keeps only its year (`birth_year`), as
    forms store that date when only a year or an age was given.
    """
    given, given_suffix = _split_suffix(_fold(record.given))
    family, family_suffix = _split_suffix(_fold(record.family))
    suffix = SUFFIXES.get(_fold(record.suffix), "") or family_suffix or given_suffix
    given_placeholder, family_placeholder = placeholder_parts(
        given, family, _conventions["current"]
    )
    mark = record.placeholder_mark or placeholder_mark(
        given if given_placeholder else "", family if family_placeholder else ""
    )
    given_placeholder = given_placeholder or record.given_placeholder
    family_placeholder = family_placeholder or record.family_placeholder
    birth, year = record.birth_date, record.birth_year
    birth_placeholder = record.birth_date_placeholder
    if birth is not None:
        year = None
        if is_placeholder_birth_date(birth, record.event_date):
            birth, birth_placeholder = None, True
        elif is_year_only_birth_date(birth):
            year = birth.year
            birth = None
    if year is not None and is_placeholder_birth_year(year):
        year, birth_placeholder = None, True
    if birth_placeholder:
        birth, year = None, None
    return replace(
        record,
        given="" if given_placeholder else given,
        family="" if family_placeholder else family,
        birth_date=birth,
        birth_year=year,
        sex=_SEX.get(_fold(record.sex), ""),
        phone=normalise_phone(record.phone),
        address=_fold(record.address),
        facility=facility_name(record.facility),
        suffix=suffix,
        given_placeholder=given_placeholder,
        family_placeholder=family_placeholder,
        birth_date_placeholder=birth_placeholder,
        placeholder_mark=mark,
    )


# --- nicknames ----------------------------------------------------------------


def _load_nickname_groups() -> tuple[tuple[str, ...], ...]:
    """Groups by canonical name; two lines with the same first name are one group. A line
    of one name is a group of one: a given name the groups know, with no nickname."""
    groups: dict[str, dict[str, None]] = {}
    with (_DATA / "nicknames.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            if not row or row[0].startswith("#"):
                continue
            names = [_fold(n) for n in row if _fold(n)]
            if names:
                groups.setdefault(names[0], {}).update(dict.fromkeys(names))
    return tuple(tuple(group) for group in groups.values())


NICKNAME_GROUPS: tuple[tuple[str, ...], ...] = _load_nickname_groups()


def _index_nicknames() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    equivalents: dict[str, set[str]] = {}
    roots: dict[str, set[str]] = {}
    for group in NICKNAME_GROUPS:
        for name in group:
            equivalents.setdefault(name, set()).update(group)
            roots.setdefault(name, set()).add(group[0])
    return (
        {k: frozenset(v) for k, v in equivalents.items()},
        {k: frozenset(v) for k, v in roots.items()},
    )


_EQUIVALENTS, _ROOTS = _index_nicknames()
# Given name -> every name it may stand for (Bill -> William, Will, Billy, Wm, ...).
NICKNAMES: Mapping[str, frozenset[str]] = _EQUIVALENTS


def known_roots(given: str) -> frozenset[str]:
    """The canonical names of the groups the first given name belongs to (none if unknown)."""
    return _ROOTS.get(given.split(" ")[0], frozenset()) if given else frozenset()


def nickname_roots(given: str) -> frozenset[str]:
    """The canonical names a (folded) given name may stand for; itself when unknown."""
    first = given.split(" ")[0] if given else ""
    return _ROOTS.get(first, frozenset({first})) if first else frozenset()


def are_nicknames(a: str, b: str) -> bool:
    """Both first given names belong to one nickname group."""
    return bool(known_roots(a) & known_roots(b))


def _one_letter_out(name: str) -> set[str]:
    return {name[:i] + name[i + 1 :] for i in range(len(name))}


def _index_known_spellings() -> dict[str, frozenset[str]]:
    """Each known given name, whole and with any one letter left out -> the names."""
    index: dict[str, set[str]] = {}
    for name in _ROOTS:
        for variant in {name} | _one_letter_out(name):
            index.setdefault(variant, set()).add(name)
    return {variant: frozenset(names) for variant, names in index.items()}


_KNOWN_SPELLINGS = _index_known_spellings()
# A shorter name is a letter away from too many others to say which was meant.
MISSPELT_NAME_MIN_LENGTH = 4


@lru_cache(maxsize=65536)
def given_name_read(name: str) -> frozenset[str]:
    """The nickname groups a (folded) given name is read as: its own when the groups know
    it whole; for one they do not know, the groups every known name a letter away
    (inserted, left out, replaced or swapped with its neighbour) shares: "lorrainne" is
    Lorraine misspelt, "isabell" one of Isabel, Isabela and Isabella, all one group; none
    when no known name is that close, or the close ones are names of no group in common
    ("jeromy": Jeremy or Jerome).

    Read so, a name only ever keeps two names apart (`two_given_names`) or gives a key;
    it never makes two names one: many names of their own are a letter from a known one
    (Elise from Elsie, Otto from Toto, Ross from Ros), and twins are given such."""
    if name in _ROOTS:
        return _ROOTS[name]
    if len(name) < MISSPELT_NAME_MIN_LENGTH or " " in name:
        return frozenset()
    near = [
        _ROOTS[known]
        for known in {
            known
            for variant in {name} | _one_letter_out(name)
            for known in _KNOWN_SPELLINGS.get(variant, ())
        }
        if edit_distance(name, known) <= 1
    ]
    return frozenset.intersection(*near) if near else frozenset()


def is_given_name(name: str) -> bool:
    """A (folded) name the nickname groups know as a given name, written whole."""
    return name in _ROOTS


# The lists of given names people are registered under: the 1990 Census's first names, and
# the names given since that it lacks (Liam, Jayden, Rylee), from the SSA's counts.
GIVEN_NAME_LISTS = ("given_names.txt", "given_names_since_1990.txt")


def _load_listed_given_names() -> frozenset[str]:
    names: set[str] = set()
    for listing in GIVEN_NAME_LISTS:
        with (_DATA / listing).open(encoding="utf-8") as handle:
            names.update(
                _fold(line) for line in handle if line.strip() and not line.startswith("#")
            )
    return frozenset(names)


# Given names people are registered under, beyond the nickname groups' (the lists above):
# Elise, Elsie and Eloise each a name of its own.
LISTED_GIVEN_NAMES: frozenset[str] = _load_listed_given_names() | frozenset(_ROOTS)


@cache
def _listed_spellings() -> dict[str, frozenset[str]]:
    """Each listed given name, whole and with any one letter left out -> the names; made
    on first use, not at import."""
    index: dict[str, set[str]] = {}
    for name in LISTED_GIVEN_NAMES:
        for variant in {name} | _one_letter_out(name):
            index.setdefault(variant, set()).add(name)
    return {variant: frozenset(names) for variant, names in index.items()}


@lru_cache(maxsize=65536)
def listed_reading(name: str) -> frozenset[str]:
    """The given names people are given that a (folded) first given name ("Elise" of
    "Elise Marie") may be written for: itself when listed; for a name of one word that
    is not, every listed name a letter away (inserted, left out, replaced or swapped with
    its neighbour): "larryy" is Larry, "karn" Karen or Karin; none when no listed name is
    that close, or it is too short or a part of a word ("soph ie") to say."""
    first = name.split(" ")[0] if name else ""
    if first in LISTED_GIVEN_NAMES:
        return frozenset({first})
    if len(first) < MISSPELT_NAME_MIN_LENGTH or first != name:
        # Too short to say, or a part of a name split in two ("soph ie"): spelling decides.
        return frozenset()
    return frozenset(
        known
        for variant in {first} | _one_letter_out(first)
        for known in _listed_spellings().get(variant, ())
        if edit_distance(first, known) <= 1
    )


def names_of_their_own(x: str, y: str) -> bool:
    """Two different (folded) given names that may be two names people are given, which
    the groups do not make one: Elise and Elsie, Micheal and Michael, Larry and "Barryy".
    Spelled alike, they are one name misspelt or two people's, twins' often; only a person
    can tell which. Either may be written for a name the other is, or may be ("Shelly" and
    "Shellw", "Karin" and "Karn"): then they are one name misspelt, as far as spelling
    can say."""
    if x.split(" ")[0] == y.split(" ")[0] or are_nicknames(x, y):
        return False
    x_read, y_read = listed_reading(x), listed_reading(y)
    return bool(x_read) and bool(y_read) and not x_read & y_read


def two_given_names(x: str, y: str) -> bool:
    """Two different given names, one known to the groups and the other known too or a
    misspelling of one known name, neither a nickname of the other (Patrick and Patricia,
    Jeremy and Jerome, Loren and "Lorrainne"): two people's names, not one name
    misspelled, however alike they are written. Twins are often given such. Two names
    neither of which the groups know are left to their spelling: each read as a known
    name says too little ("Trey" and "Trye" are not Trevor and Tyler)."""
    if x == y or not (is_given_name(x) or is_given_name(y)):
        return False
    x_read, y_read = given_name_read(x), given_name_read(y)
    return bool(x_read) and bool(y_read) and not x_read & y_read


# Names spelled at least this alike (Jaro-Winkler) are compared by their spelling.
SPELLED_SOMEWHAT_ALIKE = 0.80


# --- search -------------------------------------------------------------------


def search_text(given: str, family: str, aliases: Sequence[str] = ()) -> str:
    """A person's names as search reads them: case, accents and punctuation folded.

    "Núñez" is found as "nunez", "O'Brien" as "obrien"; spaces bound each word.
    """
    words = " ".join(_fold(name) for name in (given, family, *aliases) if name)
    return f" {words} " if words else ""


def search_alternatives(term: str) -> frozenset[str]:
    """What one typed word may match: itself folded, and the names it is a nickname of."""
    folded = _fold(term)
    if not folded:
        return frozenset()
    return frozenset({folded}) | NICKNAMES.get(folded, frozenset())


# --- string similarity --------------------------------------------------------


def jaro(s: str, t: str) -> float:
    if s == t:
        return 1.0
    ls, lt = len(s), len(t)
    if not ls or not lt:
        return 0.0
    window = max(max(ls, lt) // 2 - 1, 0)
    s_hit = [False] * ls
    t_hit = [False] * lt
    matches = 0
    for i, c in enumerate(s):
        for j in range(max(0, i - window), min(i + window + 1, lt)):
            if not t_hit[j] and t[j] == c:
                s_hit[i] = t_hit[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    k = transpositions = 0
    for i in range(ls):
        if s_hit[i]:
            while not t_hit[k]:
                k += 1
            if s[i] != t[k]:
                transpositions += 1
            k += 1
    return (matches / ls + matches / lt + (matches - transpositions // 2) / matches) / 3


@lru_cache(maxsize=262144)
def edit_distance(a: str, b: str) -> int:
    """Letters to insert, delete, replace or swap with a neighbour to turn `a` into `b`
    (optimal string alignment; DuckDB's `damerau_levenshtein` on names this short)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def jaro_winkler(a: str, b: str) -> float:
    """Jaro–Winkler similarity (prefix scale 0.1, up to 4 characters, boost above 0.7)."""
    s, t = (a, b) if a <= b else (b, a)  # the same answer either way round
    j = jaro(s, t)
    if j <= 0.7:
        return j
    prefix = 0
    for x, y in zip(s[:4], t[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return j + prefix * 0.1 * (1 - j)


_SOUNDEX = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


@lru_cache(maxsize=65536)
def soundex(name: str) -> str:
    """American Soundex of the letters of a name ("" when it has none)."""
    letters = [c for c in name if "a" <= c <= "z"]
    if not letters:
        return ""
    code = letters[0].upper()
    previous = _SOUNDEX.get(letters[0], "")
    for c in letters[1:]:
        digit = _SOUNDEX.get(c, "")
        if digit and digit != previous:
            code += digit
        if c not in "hw":  # h and w do not separate equal codes
            previous = digit
    return (code + "000")[:4]


def sound_alike(a: str, b: str) -> bool:
    """The same Soundex: never for names with no Latin letters, which have none."""
    code = soundex(a)
    return bool(code) and code == soundex(b)


def digits(value: date) -> str:
    """YYYYMMDD, always eight characters."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _hamming_one(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


# --- comparisons ---------------------------------------------------------------

NULL = Level("null", "one record or both leave it blank")
ELSE = Level("else", "different")
PLACEHOLDER_NAME = Level(
    "placeholder", "a placeholder name, such as John Doe or Unknown, which says nothing", True
)

# New levels go just before "else", so the levels earlier models were trained on keep
# their numbers; a level's conditions never overlap an earlier level's, so the order
# the comparators test them in is the numbers' order (as Splink tests them).
COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "given_name",
        (
            NULL,
            Level("exact", "same given name"),
            Level("swapped", "given and family names swapped"),
            Level("nickname", "nickname of the same name, like Bill and William"),
            Level("jw92", "spelled almost the same, like Lorraine and Lorrainne"),
            Level("jw80", "spelled somewhat alike, like Kristin and Krsitn"),
            Level("initial", "an initial that agrees"),
            Level(
                "swapped_close",
                "given and family names swapped, with a nickname, typo, initial or part changed",
            ),
            PLACEHOLDER_NAME,
            Level(
                "names_alike",
                "two given names of their own spelled alike, like Elise and Elsie",
            ),
            ELSE,
        ),
    ),
    Comparison(
        "family_name",
        (
            NULL,
            Level("exact", "same family name"),
            Level("swapped", "given and family names swapped"),
            Level("part", "one part of a hyphenated or double surname agrees"),
            Level("jw92", "spelled almost the same, like Thompson and Thomson"),
            Level("soundex", "sounds the same, like Smith and Smyth"),
            Level("jw80", "spelled somewhat alike, like Philips and Filips"),
            Level(
                "swapped_close",
                "given and family names swapped, with a nickname, typo, initial or part changed",
            ),
            PLACEHOLDER_NAME,
            ELSE,
        ),
    ),
    Comparison(
        "name_suffix",
        (
            Level("null", "neither record gives a suffix such as Jr, Sr or II"),
            Level("exact", "same suffix, such as Jr, Sr or II"),
            Level("one_only", "only one record gives a suffix such as Jr, Sr or II"),
            Level("else", "different suffixes, such as Jr and Sr: could be father and son"),
        ),
    ),
    Comparison(
        "birth_date",
        (
            NULL,
            Level("exact", "same birth date"),
            Level("day_month_swapped", "day and month swapped"),
            Level("year_off_by_one", "same day and month, year one apart"),
            Level("one_digit", "one digit different"),
            Level("year_same", "born the same year, only a year known"),
            Level("year_1", "born a year apart, only a year known, as an age gives"),
            Level("year_2", "born two years apart, only a year known, as an age gives"),
            Level(
                "placeholder",
                "a placeholder birth date, such as 1 January 1900, which says nothing",
                True,
            ),
            Level("within_month", "birth dates a month apart at most: a date misread or mistyped"),
            ELSE,
        ),
    ),
    Comparison("sex", (NULL, Level("exact", "same sex"), ELSE)),
    Comparison(
        "phone",
        (
            NULL,
            Level("exact", "same phone number"),
            Level("last7", "same last seven digits"),
            Level("one_digit", "one digit different"),
            Level(
                "shared",
                "same phone, but one many people give, such as a shelter's or a referrer's",
            ),
            ELSE,
        ),
    ),
    Comparison(
        "address",
        (
            NULL,
            Level("exact", "same address"),
            Level("jw90", "spelled almost the same, like 22 Maple Road and 22 Mapel Road"),
            Level("tokens", "at least half the words shared"),
            ELSE,
        ),
    ),
    Comparison(
        "event_facility",
        (
            NULL,
            Level("same_day", "same facility, same day"),
            Level("within_1_day", "same facility, a day apart"),
            ELSE,
        ),
    ),
)
COMPARISONS_BY_NAME: Mapping[str, Comparison] = {c.name: c for c in COMPARISONS}
_GIVEN_ELSE = len(COMPARISONS_BY_NAME["given_name"].levels) - 1
# (comparison, level index) of the levels that weigh nothing.
NEUTRAL_LEVELS: frozenset[tuple[str, int]] = frozenset(
    (c.name, i) for c in COMPARISONS for i, level in enumerate(c.levels) if level.neutral
)


def _close_names(x: str, y: str, *, own_apart: bool = True) -> bool:
    """Two names one change apart: equal, nicknames, a typo, an initial, a shared part.

    A shared sound counts only when spelled alike too (Smyth and Smith, Sam and Sma): Ann
    and Amy, Sean and Sam sound alike to Soundex, and twins written family name first
    would read as one person's swapped names. For the same reason two different given
    names the groups know (Lucille and Leslie) are never close, however alike they are;
    nor, unless `own_apart` is False, two that may be names of their own (Kevin and
    Kelvin).
    """
    if x == y or are_nicknames(x, y):
        return True
    if two_given_names(x, y) or (own_apart and names_of_their_own(x, y)):
        return False
    similarity = jaro_winkler(x, y)
    if similarity >= 0.92:
        return True
    if sound_alike(x, y) and (similarity >= 0.80 or edit_distance(x, y) <= 1):
        return True
    if (len(x) == 1 or len(y) == 1) and x[0] == y[0]:
        return True
    x_parts, y_parts = set(x.split(" ")), set(y.split(" "))
    return (len(x_parts) > 1 or len(y_parts) > 1) and bool(x_parts & y_parts)


def _swapped_close(a: Record, b: Record, *, own_apart: bool = True) -> bool:
    """Given and family names swapped, each landing close to the other record's."""
    if not (a.given and a.family and b.given and b.family):
        return False
    return _close_names(a.given, b.family, own_apart=own_apart) and _close_names(
        a.family, b.given, own_apart=own_apart
    )


def _name_present(name: str, placeholder: bool) -> bool:
    return bool(name) or placeholder


def _other_patients(a: Record, b: Record) -> bool:
    """Placeholder names whose marks differ, born or seen together: "Twin A" and "Twin B"
    of one birth date, "Trauma Alpha" and "Trauma Bravo" of one night at one hospital are
    two people. (Another visit's alias says nothing: each visit is given a new one.)"""
    if not (a.placeholder_mark and b.placeholder_mark) or a.placeholder_mark == b.placeholder_mark:
        return False
    born_together = a.birth_date is not None and a.birth_date == b.birth_date
    seen_together = (
        bool(a.facility)
        and a.facility == b.facility
        and a.event_date is not None
        and b.event_date is not None
        and abs((a.event_date - b.event_date).days) <= 1
    )
    return born_together or seen_together


# Family names spelled at least this alike (Jaro-Winkler) may be one surname misspelt.
FAMILY_FIRST_SPELLED_APART = 0.92


def family_name_first_apart(a: Record, b: Record) -> bool:
    """Records that may both write the family name first, for two people: the given-name
    fields agree, and the family-name fields hold two given names, one perhaps misspelt
    ("Lilunea Bill" and "Lilunea Wilfred", twins; "Williams Bill" and "Williams Wilfred";
    "Laloboo Lorrraine" and "Laloboo Lorenzo"). Read that way round, the given names differ
    and the family names agree, and the levels say so: the guard holds the pair as twins,
    however many of them a home, a birth date and a phone would otherwise merge. A person
    whose surname changed from one given name to another ("Mary Thomas", "Mary James")
    reads so too, and waits for a coordinator rather than merging. Two such family names
    spelled almost alike (Francis and Frances) are read so only beside a given-name field
    no group reads as a given name: after "Marie" they are one surname misspelt."""
    if not (
        len(a.given) > 1
        and a.given == b.given
        and (two_given_names(a.family, b.family) or names_of_their_own(a.family, b.family))
    ):
        return False
    if jaro_winkler(a.family, b.family) < FAMILY_FIRST_SPELLED_APART:
        return True
    return not known_roots(a.given) and not given_name_read(a.given)


def _compare_given(a: Record, b: Record) -> int:
    if not _name_present(a.given, a.given_placeholder) or not _name_present(
        b.given, b.given_placeholder
    ):
        return 0
    if a.given_placeholder or b.given_placeholder:
        # A blank side: no level before this one can hold.
        return _GIVEN_ELSE if _other_patients(a, b) else 8
    if a.given == b.given:
        return _GIVEN_ELSE if family_name_first_apart(a, b) else 1
    if a.family and b.family and a.given == b.family and a.family == b.given:
        return 2
    if are_nicknames(a.given, b.given):
        return 3
    # Two known given names are two names, not a typo; two names of their own spelled
    # alike may be either ("spelled alike" levels skipped for both).
    two_names = two_given_names(a.given, b.given)
    own = not two_names and names_of_their_own(a.given, b.given)
    similarity = jaro_winkler(a.given, b.given)
    if not (two_names or own):
        if similarity >= 0.92:
            return 4
        if similarity >= SPELLED_SOMEWHAT_ALIKE:
            return 5
    if (len(a.given) == 1 or len(b.given) == 1) and a.given[0] == b.given[0]:
        return 6
    if _swapped_close(a, b):
        return 7
    # Names of their own alike, as written or across a swap ("Kelvin Okoye", "Okoye Kevin").
    if (own and similarity >= SPELLED_SOMEWHAT_ALIKE) or _swapped_own(a, b):
        return 9
    return _GIVEN_ELSE


def _swapped_own(a: Record, b: Record) -> bool:
    """Swapped, and close only taking two names of their own as one name."""
    return (
        names_of_their_own(a.given, b.family) or names_of_their_own(a.family, b.given)
    ) and _swapped_close(a, b, own_apart=False)


def _compare_family(a: Record, b: Record) -> int:
    if not _name_present(a.family, a.family_placeholder) or not _name_present(
        b.family, b.family_placeholder
    ):
        return 0
    if a.family_placeholder or b.family_placeholder:
        return 9 if _other_patients(a, b) else 8
    if a.family == b.family or family_name_first_apart(a, b):
        return 1
    if a.given and b.given and a.given == b.family and a.family == b.given:
        return 2
    a_parts, b_parts = set(a.family.split(" ")), set(b.family.split(" "))
    if (len(a_parts) > 1 or len(b_parts) > 1) and a_parts & b_parts:
        return 3
    similarity = jaro_winkler(a.family, b.family)
    if similarity >= 0.92:
        return 4
    if sound_alike(a.family, b.family):
        return 5
    if similarity >= 0.80:
        return 6
    if _swapped_close(a, b, own_apart=False):
        return 7
    return 9


def _compare_suffix(a: Record, b: Record) -> int:
    if not a.suffix and not b.suffix:
        return 0
    if a.suffix == b.suffix:
        return 1
    if not a.suffix or not b.suffix:
        return 2
    return 3


def _birth_year(record: Record) -> int | None:
    return record.birth_date.year if record.birth_date is not None else record.birth_year


# Full birth dates this many days apart or fewer, and no nearer level, are "within a month".
WITHIN_A_MONTH = 31


def _compare_birth_date(a: Record, b: Record) -> int:
    x_year, y_year = _birth_year(a), _birth_year(b)
    if (x_year is None and not a.birth_date_placeholder) or (
        y_year is None and not b.birth_date_placeholder
    ):
        return 0
    if x_year is None or y_year is None:
        return 8  # a placeholder, with something on the other side
    x, y = a.birth_date, b.birth_date
    if x is None or y is None:
        # Only a year on one side at least: years, as an age at the event gives them.
        apart = abs(x_year - y_year)
        return 5 + apart if apart <= 2 else 10
    if x == y:
        return 1
    if x.year == y.year and x.month == y.day and x.day == y.month:
        return 2
    if x.month == y.month and x.day == y.day and abs(x.year - y.year) == 1:
        return 3
    if _hamming_one(digits(x), digits(y)):
        return 4
    # A month either way (the 25th of June written the 5th of July): one person or
    # twins, never a parent, a child or a sibling, who are born further apart.
    if abs((x - y).days) <= WITHIN_A_MONTH:
        return 9
    return 10


def _compare_sex(a: Record, b: Record) -> int:
    if not a.sex or not b.sex:
        return 0
    return 1 if a.sex == b.sex else 2


def _compare_phone(a: Record, b: Record) -> int:
    if not a.phone or not b.phone:
        return 0
    shared = a.shared_phone or b.shared_phone
    last7 = len(a.phone) >= 7 and a.phone[-7:] == b.phone[-7:]
    if a.phone == b.phone and not shared:
        return 1
    if last7 and not shared:
        return 2
    if _hamming_one(a.phone, b.phone):
        return 3
    if a.phone == b.phone or last7:
        return 4  # a shared phone agrees: it says little
    return 5


def _compare_address(a: Record, b: Record) -> int:
    if not a.address or not b.address:
        return 0
    if a.address == b.address:
        return 1
    if jaro_winkler(a.address, b.address) >= 0.90:
        return 2
    a_words, b_words = set(a.address.split(" ")), set(b.address.split(" "))
    if len(a_words & b_words) * 2 >= len(a_words | b_words):
        return 3
    return 4


def _compare_event_facility(a: Record, b: Record) -> int:
    if not a.facility or not b.facility or a.event_date is None or b.event_date is None:
        return 0
    if a.facility == b.facility:
        days = abs((a.event_date - b.event_date).days)
        if days == 0:
            return 1
        if days == 1:
            return 2
    return 3


_COMPARATORS: Mapping[str, Callable[[Record, Record], int]] = {
    "given_name": _compare_given,
    "family_name": _compare_family,
    "name_suffix": _compare_suffix,
    "birth_date": _compare_birth_date,
    "sex": _compare_sex,
    "phone": _compare_phone,
    "address": _compare_address,
    "event_facility": _compare_event_facility,
}


def compare(name: str, a: Record, b: Record) -> int:
    """The level index of one comparison; both records already normalised."""
    return _COMPARATORS[name](a, b)


def comparison_vector(a: Record, b: Record) -> dict[str, int]:
    """Comparison name -> level index, for two records as reported."""
    x, y = normalise(a), normalise(b)
    return {c.name: _COMPARATORS[c.name](x, y) for c in COMPARISONS}


_IN_ORDER: tuple[Callable[[Record, Record], int], ...] = tuple(
    _COMPARATORS[c.name] for c in COMPARISONS
)


def comparison_levels(x: Record, y: Record) -> tuple[int, ...]:
    """Each comparison's level index, in COMPARISONS order, for two records already
    normalised: `comparison_vector` without normalising or naming, for scoring many."""
    return tuple(compare_pair(x, y) for compare_pair in _IN_ORDER)


# --- weights -------------------------------------------------------------------

_FLOOR = 1e-9


def _params(table: Mapping[str, tuple[tuple[float, float], ...]], prior: float) -> Params:
    return Params(
        m={name: tuple(pair[0] for pair in levels) for name, levels in table.items()},
        u={name: tuple(pair[1] for pair in levels) for name, levels in table.items()},
        prior=prior,
    )


# (m, u) per level, null first. u of a date level is roughly its chance between
# two unrelated people (a shared birth date is about 1 in 30,000); m says how
# often a true match is recorded that way in field data.
DEFAULT_PARAMS: Params = _params(
    {
        "given_name": (
            (1.0, 1.0),
            (0.785, 0.01),
            (0.01, 0.0001),
            (0.06, 0.001),
            (0.055, 0.003),
            (0.03, 0.02),
            (0.02, 0.03),
            (0.005, 0.0002),
            (1.0, 1.0),
            (0.02, 0.002),
            (0.015, 0.9337),
        ),
        "family_name": (
            (1.0, 1.0),
            (0.80, 0.005),
            (0.01, 0.0001),
            (0.02, 0.0005),
            (0.06, 0.002),
            (0.04, 0.004),
            (0.02, 0.02),
            (0.005, 0.0002),
            (1.0, 1.0),
            (0.045, 0.9682),
        ),
        # Where either record gives a suffix: true matches give the same one or drop it on
        # one record, seldom two different ones; between strangers (a few in a hundred
        # give one) it is nearly always on one record only.
        "name_suffix": ((1.0, 1.0), (0.555, 0.017), (0.4449, 0.97), (0.0001, 0.013)),
        # The year levels come up only where a record gives just a year: same year
        # about 1 in 60 between strangers, an age's year one either way twice that.
        "birth_date": (
            (1.0, 1.0),
            (0.85, 0.00004),
            (0.02, 0.00002),
            (0.03, 0.0004),
            (0.04, 0.002),
            (0.02, 0.0006),
            (0.01, 0.0011),
            (0.0015, 0.0011),
            (1.0, 1.0),
            (0.01, 0.002),
            (0.0185, 0.99274),
        ),
        "sex": ((1.0, 1.0), (0.97, 0.5), (0.03, 0.5)),
        # A shared phone (a shelter's, a referrer's) agreeing says little: about three bits.
        "phone": (
            (1.0, 1.0),
            (0.70, 0.0001),
            (0.05, 0.0003),
            (0.05, 0.0005),
            (0.02, 0.002),
            (0.18, 0.9971),
        ),
        "address": ((1.0, 1.0), (0.50, 0.001), (0.15, 0.003), (0.10, 0.02), (0.25, 0.976)),
        "event_facility": ((1.0, 1.0), (0.60, 0.001), (0.15, 0.002), (0.25, 0.997)),
    },
    prior=1e-4,
)


# --- stored parameters -----------------------------------------------------------


def params_to_json(params: Params) -> dict[str, object]:
    """Parameters as a linkage model stores them (JSON), for `params_from_json` to read."""
    return {
        "m": {k: list(v) for k, v in params.m.items()},
        "u": {k: list(v) for k, v in params.u.items()},
        "prior": params.prior,
    }


def _levels(values: object, size: int) -> tuple[float, ...] | None:
    """A comparison's stored probabilities, or None unless there are `size` positive numbers."""
    if not isinstance(values, list | tuple) or len(values) != size:
        return None
    levels = []
    for value in values:
        if isinstance(value, bool):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(number) or number <= 0:
            return None
        levels.append(number)
    return tuple(levels)


# Levels added to a comparison since models were first stored, each just before "else":
# a model stored without them keeps every level it was trained on and takes the
# domain's defaults for these until it is trained again.
ADDED_LEVELS: Mapping[str, frozenset[str]] = {
    "birth_date": frozenset({"within_month"}),
    "given_name": frozenset({"names_alike"}),
}


def _stored_levels(
    comparison: Comparison, m_values: object, u_values: object
) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """A comparison's stored (m, u), as trained or in an earlier layout, or None."""
    size = len(comparison.levels)
    m_levels, u_levels = _levels(m_values, size), _levels(u_values, size)
    if m_levels is not None and u_levels is not None:
        return m_levels, u_levels
    added = ADDED_LEVELS.get(comparison.name, frozenset())
    older = size - len(added)
    m_levels, u_levels = _levels(m_values, older), _levels(u_values, older)
    if not added or m_levels is None or u_levels is None:
        return None
    m_trained, u_trained = iter(m_levels), iter(u_levels)
    default_m, default_u = DEFAULT_PARAMS.m[comparison.name], DEFAULT_PARAMS.u[comparison.name]
    m_new, u_new = [], []
    for index, level in enumerate(comparison.levels):
        if level.name in added:
            m_new.append(default_m[index])
            u_new.append(default_u[index])
        else:
            m_new.append(next(m_trained))
            u_new.append(next(u_trained))
    return tuple(m_new), tuple(u_new)


def params_from_json(data: object) -> Params:
    """Parameters as a linkage model stores them, for online matching and batch runs alike.

    Each comparison whose stored m or u levels are missing, of the wrong count or not
    positive numbers takes the domain's defaults for both; the others keep what was
    trained. One stored before the levels `ADDED_LEVELS` names keeps its trained levels
    and takes the defaults for those. A missing or malformed prior is the default prior.
    """
    if not isinstance(data, Mapping) or not data:
        return DEFAULT_PARAMS
    stored_m, stored_u = data.get("m"), data.get("u")
    stored_m = stored_m if isinstance(stored_m, Mapping) else {}
    stored_u = stored_u if isinstance(stored_u, Mapping) else {}
    m, u = dict(DEFAULT_PARAMS.m), dict(DEFAULT_PARAMS.u)
    for comparison in COMPARISONS:
        stored = _stored_levels(
            comparison, stored_m.get(comparison.name), stored_u.get(comparison.name)
        )
        if stored is not None:
            m[comparison.name], u[comparison.name] = stored
    prior = _levels([data.get("prior")], 1)
    return Params(
        m=m, u=u, prior=prior[0] if prior is not None and prior[0] < 1 else DEFAULT_PARAMS.prior
    )


def level_weight(params: Params, name: str, level: int) -> float:
    if level == 0 or (name, level) in NEUTRAL_LEVELS:
        return 0.0
    m = max(params.m[name][level], _FLOOR)
    u = max(params.u[name][level], _FLOOR)
    return math.log2(m / u)


# --- one household's facts, counted once ---------------------------------------------

# The comparisons are weighed as if independent, but two people of one household share a
# surname, an address and a phone together: summed, the three outweigh everything else.
# Where the given names clearly differ and the sexes recorded differ too (a husband and
# wife, a brother and sister) or the phone that agrees is one many people give (a shelter's),
# the pair is most likely two people of one home, so of these facts only the strongest
# that agrees counts. The order breaks a tie: the first listed counts. Each sign is a
# (comparison, level index).
HOUSEHOLD_FACTS: tuple[str, ...] = ("family_name", "address", "phone")
GIVEN_DIFFERS = ("given_name", COMPARISONS_BY_NAME["given_name"].index("else"))
SEX_DIFFERS = ("sex", COMPARISONS_BY_NAME["sex"].index("else"))
PHONE_SHARED = ("phone", COMPARISONS_BY_NAME["phone"].index("shared"))
_POSITION = {c.name: i for i, c in enumerate(COMPARISONS)}
_GIVEN_AT, _SEX_AT, _PHONE_AT = (_POSITION[name] for name in ("given_name", "sex", "phone"))


def one_household(vector: Mapping[str, int]) -> bool:
    """Given names that clearly differ, with sexes that differ or a phone many people give:
    two people of one home, whatever surname, address and phone they share."""
    return vector.get(GIVEN_DIFFERS[0]) == GIVEN_DIFFERS[1] and (
        vector.get(SEX_DIFFERS[0]) == SEX_DIFFERS[1]
        or vector.get(PHONE_SHARED[0]) == PHONE_SHARED[1]
    )


def counted_once(weights: Mapping[str, float]) -> frozenset[str]:
    """Of the household's facts whose weights agree (> 0), all but the strongest: the ones a
    pair of `one_household` does not count again."""
    agreeing = [name for name in HOUSEHOLD_FACTS if weights.get(name, 0.0) > 0]
    if len(agreeing) < 2:
        return frozenset()
    strongest = max(agreeing, key=lambda name: weights[name])  # the first, on a tie
    return frozenset(agreeing) - {strongest}


COUNTED_ONCE = "not counted again, as the given names differ: one household shares it"


def set_aside(vector: Mapping[str, int], name: str, weight: float) -> bool:
    """Whether a comparison of `explain`, weighing 0 though its level agrees, is a household
    fact `counted_once` set aside: what the review screen says as `COUNTED_ONCE`."""
    comparison = COMPARISONS_BY_NAME.get(name)
    index = vector.get(name)
    if comparison is None or index is None or not 0 <= index < len(comparison.levels):
        return False
    agrees = comparison.levels[index].name not in ("null", "else")
    return (
        weight == 0
        and agrees
        and name in HOUSEHOLD_FACTS
        and (name, index) not in NEUTRAL_LEVELS
        and one_household(vector)
    )


def field_weights(vector: Mapping[str, int], params: Params) -> dict[str, float]:
    """log2(m/u) per comparison as it counts; 0 for a null level, and for a household fact
    a pair of `one_household` does not count again."""
    weights = {name: level_weight(params, name, level) for name, level in vector.items()}
    if one_household(vector):
        for name in counted_once(weights):
            weights[name] = 0.0
    return weights


def prior_weight(params: Params) -> float:
    prior = min(max(params.prior, _FLOOR), 1 - _FLOOR)
    return math.log2(prior / (1 - prior))


def match_weight(vector: Mapping[str, int], params: Params) -> float:
    return sum(field_weights(vector, params).values()) + prior_weight(params)


WeightTable = tuple[tuple[float, ...], ...]


def weight_table(params: Params) -> WeightTable:
    """Every level's weight, one row per comparison in COMPARISONS order."""
    return tuple(
        tuple(level_weight(params, c.name, level) for level in range(len(c.levels)))
        for c in COMPARISONS
    )


def levels_weight(levels: Sequence[int], table: WeightTable, prior: float) -> float:
    """`match_weight` of `comparison_levels`, read off `weight_table` and `prior_weight`:
    summed in the same order, so equal to the last bit."""
    if levels[_GIVEN_AT] != GIVEN_DIFFERS[1] or (
        levels[_SEX_AT] != SEX_DIFFERS[1] and levels[_PHONE_AT] != PHONE_SHARED[1]
    ):  # not `one_household`, as nearly every pair: the plain sum
        return sum(row[level] for row, level in zip(table, levels, strict=True)) + prior
    weights = [row[level] for row, level in zip(table, levels, strict=True)]
    household = {name: weights[_POSITION[name]] for name in HOUSEHOLD_FACTS}
    for name in counted_once(household):
        weights[_POSITION[name]] = 0.0
    return sum(weights) + prior


def match_probability(weight: float) -> float:
    if weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -weight))
    odds = math.pow(2.0, weight)
    return odds / (1.0 + odds)


def explain(vector: Mapping[str, int], params: Params) -> list[tuple[str, str, float]]:
    """(comparison, level name, weight) per comparison, for the review screen."""
    weights = field_weights(vector, params)
    return [
        (c.name, c.levels[vector[c.name]].name, weights[c.name])
        for c in COMPARISONS
        if c.name in vector
    ]


# --- the sure-merge guard ---------------------------------------------------------

# What the independence of the comparisons cannot see: twins share a surname, a birth
# date, an address and the household phone, so every field but the given name agrees
# and the sum of the weights says "same person". A father and son (Jr and Sr) do the
# same with one given name. Such pairs are never merged without a person looking.


def _level_name(vector: Mapping[str, int], name: str) -> str:
    """The level a vector gives one comparison, by name ("" when the vector has none)."""
    comparison = COMPARISONS_BY_NAME.get(name)
    index = vector.get(name)
    if comparison is None or index is None or not 0 <= index < len(comparison.levels):
        return ""
    return comparison.levels[index].name


def _strong_without_names(vector: Mapping[str, int]) -> bool:
    """The same birth date, a phone of this person alone and the same address: a record
    under a placeholder name may join the person these say, and no stranger can."""
    return (
        _level_name(vector, "birth_date") == "exact"
        and _level_name(vector, "phone") == "exact"
        and _level_name(vector, "address") in ("exact", "jw90")
    )


# Birth-date levels on which two full dates agree, bar a slip; and every level on which
# the birth dates agree at all (a year from an age is a year or two out).
_FULL_DATES_AGREE = frozenset({"exact", "day_month_swapped", "year_off_by_one", "one_digit"})
_BIRTH_DATES_AGREE = _FULL_DATES_AGREE | {"year_same", "year_1", "year_2", "within_month"}
_PHONE_AGREES = frozenset({"exact", "last7", "one_digit", "shared"})


def _home_in_common(vector: Mapping[str, int]) -> bool:
    """Either sign of one home: the address (as written, or spelled almost so: "22 Maple
    Road", "22 Maple Rd", an apartment added) or a phone agrees."""
    return (
        _level_name(vector, "address") in ("exact", "jw90")
        or _level_name(vector, "phone") in _PHONE_AGREES
    )


def _not_a_household_member(vector: Mapping[str, int]) -> bool:
    """Given names differ, but not as twins' or siblings' do: the family names differ too,
    a full birth date agrees (so not a spouse of about the same age), and the records
    give no sign of one home, neither the address nor a phone (a twin reported under a
    new surname, or written family name first, gives one or both)."""
    return (
        _level_name(vector, "family_name") == "else"
        and _level_name(vector, "birth_date") in _FULL_DATES_AGREE
        and not _home_in_common(vector)
    )


PLACEHOLDER_CAUTION = "Placeholder name: the record names no one (such as John Doe or Unknown)"


def without_placeholder_names(vector: Mapping[str, int]) -> dict[str, int]:
    """The vector with placeholder names read as blank: what the rest of the pair says."""
    return {
        name: 0 if _level_name(vector, name) == "placeholder" else level  # 0 is "null"
        for name, level in vector.items()
    }


GIVEN_NAMES_DIFFER = "Given names differ: could be twins or siblings"
NAME_AND_ADDRESS_CAUTION = (
    "Only the name and the address (as written, or nearly) agree, and no birth date, phone of"
    " the person's own or hospital visit does: could be a father and son of one name"
)
MONTH_APART_CAUTION = (
    "The birth dates are up to a month apart, and no address, phone of the person's own or"
    " hospital visit agrees: could be two people of the same or a similar name"
)
NAMES_ALIKE_CAUTION = (
    "The given names are spelled alike but each is a name of its own (such as Elise and"
    " Elsie): could be one name misspelt, or twins"
)
TWINS_APART_CAUTION = (
    "The birth dates are close but not the same, and the given names are not written the"
    " same: could be twins born either side of midnight"
)


def _own_phone_or_visit(vector: Mapping[str, int]) -> bool:
    """A phone no one else gives agrees, or the same hospital visit."""
    return _level_name(vector, "phone") in ("exact", "last7", "one_digit") or _level_name(
        vector, "event_facility"
    ) in ("same_day", "within_1_day")


def _seen_at_one_place(vector: Mapping[str, int]) -> bool:
    """A fact beside the names that is the person's own: the address as written (one
    spelled almost alike may be a neighbour's, 60 and 62 Walnut St), a phone no one else
    gives, or the same hospital visit."""
    return _level_name(vector, "address") == "exact" or _own_phone_or_visit(vector)


SHELTER_CAUTION = (
    "The phone is one many people give, and neither a family name nor a full birth date"
    " agrees: could be two people staying at one place, such as a shelter"
)
# Family-name levels that say nothing of one person: different, only somewhat alike, or
# blank on one record.
_FAMILY_NAMES_APART = frozenset({"else", "jw80", "null"})
FAMILY_NAME_FIRST = (
    "Both records may write the family name first, and read so the given names differ:"
    " could be twins or siblings, or one person whose surname changed"
)


def merge_caution(a: Record, b: Record, vector: Mapping[str, int]) -> str | None:
    """`sure_merge_guard`'s reason, said of these two records: where they were compared
    family name first (`family_name_first_apart`), it says so, since the given names the
    reason speaks of are written in the family name's place."""
    reason = sure_merge_guard(vector)
    if reason == GIVEN_NAMES_DIFFER and family_name_first_apart(normalise(a), normalise(b)):
        return FAMILY_NAME_FIRST
    return reason


def sure_merge_guard(vector: Mapping[str, int]) -> str | None:
    """None when a pair may be merged without review, else why a person should look first."""
    given = _level_name(vector, "given_name")
    family = _level_name(vector, "family_name")
    birth = _level_name(vector, "birth_date")
    if (given == "placeholder" or family == "placeholder") and not _strong_without_names(vector):
        return PLACEHOLDER_CAUTION
    suffix = _level_name(vector, "name_suffix")
    if suffix == "else":
        return "Name suffixes differ (such as Jr and Sr): could be father and son"
    if given == "else" and not _not_a_household_member(vector):
        return GIVEN_NAMES_DIFFER
    if _level_name(vector, "sex") == "else":
        return "Sex differs: could be twins, siblings or spouses"
    if birth == "else":
        return "Birth dates differ: could be a parent and child, or others at one address"
    if given == "names_alike":
        return NAMES_ALIKE_CAUTION
    # A shelter's residents give its phone and address; a given name beside them, and
    # nothing of the person's own (a family name, a full birth date), is not one person.
    if (
        family in _FAMILY_NAMES_APART
        and _level_name(vector, "phone") == "shared"
        and birth not in _FULL_DATES_AGREE
    ):
        return SHELTER_CAUTION
    # Dates a month apart are one date misread, or two people's. Twins born either side
    # of midnight are a day apart, and twins' names may be written alike (Jaden and
    # Jayden): only the given name written the same rules them out.
    if birth == "within_month" and given not in ("exact", "swapped"):
        return TWINS_APART_CAUTION
    # Beside the names alone, such dates do not say which.
    if birth == "within_month" and not _seen_at_one_place(vector):
        return MONTH_APART_CAUTION
    # A father and son of one name at one home, neither record saying which (no Jr or
    # Sr, and no birth date, phone of their own or hospital visit that agrees): nothing
    # tells them apart.
    if (
        given == "exact"
        and family == "exact"
        and suffix == "null"
        and _level_name(vector, "address") in ("exact", "jw90")
        and birth not in _BIRTH_DATES_AGREE
        and not _own_phone_or_visit(vector)
    ):
        return NAME_AND_ADDRESS_CAUTION
    # A Jr and a Sr are a generation apart: birth dates that agree at all rule that out.
    if suffix == "one_only" and birth not in _BIRTH_DATES_AGREE:
        return "Only one record gives a suffix (such as Jr) and the birth dates do not confirm it"
    return None


# --- blocking ------------------------------------------------------------------


def _family_codes(family: str) -> set[str]:
    """Soundex of the whole surname and of each part (hyphenated, double, changed)."""
    codes = {soundex(family.replace(" ", ""))}
    codes.update(soundex(part) for part in family.split(" ") if len(part) > 1)
    codes.discard("")
    return codes


def _street_key(address: str) -> str:
    """House number and the street's first four letters ("264:ains"), or ""."""
    words = address.split(" ")
    for i, word in enumerate(words):
        if word.isdigit():
            street = next((w for w in words[i + 1 :] if w.isalpha() and len(w) > 2), "")
            return f"{word}:{street[:4]}" if street else ""
    return ""


@lru_cache(maxsize=65536)
def blocking_keys(record: Record) -> frozenset[str]:
    """Keys such that true matches share at least one with high probability."""
    r = normalise(record)
    keys: set[str] = set()
    dob = r.birth_date
    # Placeholder names and birth dates were blanked by normalise: they give no key.
    year = _birth_year(r)  # a birth date's year, or the only year known
    families = _family_codes(r.family) if r.family else set()
    # A given name misspelt is keyed as written and as the known name it reads as.
    roots = nickname_roots(r.given) | given_name_read(r.given.split(" ")[0])
    if dob is not None:
        keys.add(f"dob:{dob.isoformat()}")
        if dob.day <= 12 and dob.day != dob.month:
            low, high = sorted((dob.month, dob.day))
            keys.add(f"dmy:{dob.year}:{low:02d}{high:02d}")  # a day/month swap shares it
        for code in families:
            keys.add(f"md:{code}:{dob.month:02d}{dob.day:02d}")  # year off by one
    if year is not None:
        # A birth date's year meets a record giving only that year; a year from an age
        # is a year out as often as not, so a year-only record is keyed under its
        # neighbours too.
        years = (year,) if dob is not None else (year - 1, year, year + 1)
        for each in years:
            for code in families:
                keys.add(f"fam:{code}:{each}")
            for root in roots:
                keys.add(f"giv:{root}:{each}")
    for root in roots:
        for code in families:
            keys.add(f"gf:{root}:{code}")  # birth date missing or wrong
    if r.given and r.family and year is not None:
        # First and last name swapped: the same pair of sounds either way round; and
        # swapped with a nickname, the same pair of names.
        pair = sorted((soundex(r.given.split(" ")[0]), soundex(r.family.replace(" ", ""))))
        if all(pair):  # names of other scripts have no Soundex
            keys.add(f"nm:{pair[0]}:{pair[1]}:{year}")
        for first in roots:
            for second in nickname_roots(r.family):
                low_name, high_name = sorted((first, second))
                keys.add(f"sw:{low_name}:{high_name}:{year}")
    if len(r.phone) >= 7:
        keys.add(f"ph:{r.phone[-7:]}")
    street = _street_key(r.address)
    if street:
        keys.add(f"ad:{street}")
    if r.facility and r.event_date is not None:
        # The day seen and the next, so that two records of one visit a day apart (seen
        # before midnight, admitted after) share a key. The sex is compared, not blocked
        # on: a hospital's record of an unidentified patient may not give it.
        for day in (r.event_date, r.event_date + timedelta(days=1)):
            keys.add(f"fac:{r.facility}:{day.isoformat()}")
    return frozenset(keys)


# --- how two spellings differ ------------------------------------------------------


def spelling_difference(a: str, b: str) -> str:
    """How two spellings of one name differ, when folding makes them equal.

    "same" (as written, ignoring case and spaces), "accents" ("Núñez" / "Nunez"),
    "punctuation" ("O'Brien" / "OBrien"), or "" when they differ in letters.
    """
    plain_a, plain_b = _SPACES.sub(" ", a).strip().lower(), _SPACES.sub(" ", b).strip().lower()
    if plain_a == plain_b:
        return "same"
    if _fold(a) != _fold(b):
        return ""

    def unaccented(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    if unaccented(plain_a) == unaccented(plain_b):
        return "accents"
    return "punctuation"
