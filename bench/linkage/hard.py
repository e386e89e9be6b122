"""A harder generated registry: the errors and conventions field records carry.

Seeded. Each person is reported one to four times; every report after the
first may use a nickname or another spelling of the given name, misspell a
name, swap given and family names (and
change one of them as well), take a hyphenated or a new surname, drop a part
of a hyphenated one, swap the birth day and month, be a year off, mistype a
digit, give a new phone or address, leave the birth date, sex, phone or
address blank, or stand behind a placeholder name ("John Doe", "Trauma
Alpha") or birth date (1900-01-01, the 1st of January of the year). Any
report may give only a birth year (an age at the event), a referrer's phone,
or a hospital and the event's date; a hospital's report of an event another
source reported carries the same hospital and the same or the next day.

People come in households as well as alone: twins (one family name, birth
date, address and phone, different given names, sometimes a different sex),
siblings and spouses at one address and phone, fathers and sons with one name
told apart by Jr/Sr (when the report keeps the suffix) and 20-35 years,
shelter residents who give the shelter's phone and address, unidentified
strangers only ever reported under a placeholder, and twins told apart by less:
newborns a birth hospital first named "Twin A" and "Twin B", twins whose given
names sound alike (one report writing the family name first), and twin sisters
one of whom is later reported under a married name at the family home.

Given names come from the nickname groups with a skewed (Zipf-like)
popularity, each a name given to the person's sex (or to either); family names
from a syllable generator with the same skew, so common names collide as they
do in a city. `python bench/linkage/hard.py`
prints the composition (bench/linkage/HARD_SET.md).
"""

from __future__ import annotations

import random
import string
import sys
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import accumulate, combinations
from pathlib import Path
from typing import Any

from dataset import Row, mark_shared_phones

from coresponder.domain.linkage import NICKNAME_GROUPS, Record, normalise, soundex

SEED = 20260501
PEOPLE = 2500
DATASHEET = Path(__file__).with_name("HARD_SET.md")
# True pairs by how many facts beyond names they share (see `beyond_names`).
SHARED_LABELS = ("names only", "one fact", "two facts", "three or more")

_SYLLABLES = (
    "al an ar ba be bo ca ce da de do el en er fa fe ga go ha he ja jo ka ke la le li lo lu "
    "ma me mi mo na ne no or pa pe ra re ri ro sa se si so ta te ti to va ve wa we ya za"
).split()
_ENDINGS = ["", "s", "son", "ez", "er", "ton", "ski", "ley", "man", "o", "a", "field", "well"]
_STREETS = ["main", "broad", "market", "oak", "pine", "walnut", "spruce", "girard", "lehigh"]
_HOSPITALS = [
    "temple university hospital",
    "jefferson frankford",
    "penn presbyterian",
    "einstein medical center",
    "episcopal campus",
    "nazareth hospital",
    "st christopher's",
    "chestnut hill hospital",
    "hahnemann",
    "mercy philadelphia",
    "lankenau",
    "pennsylvania hospital",
]
_NATO = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
# The names hospitals and EMS give someone they cannot identify: Doe by sex,
# "Unknown", a trauma alias (a letter word or a number), "Unidentified".
_PLACEHOLDER_NAMES = {
    "male": [("john", "doe"), ("unknown", "unknown"), ("trauma", ""), ("unidentified", "male")],
    "female": [("jane", "doe"), ("unknown", "unknown"), ("trauma", ""), ("unidentified", "female")],
}
PLACEHOLDER_BIRTH_DATE = date(1900, 1, 1)
# Spellings of one given name, as clerks write it one way or another. Kept here, not
# read from the nickname groups, so that the set would show a spelling they keep apart.
SPELLINGS = (
    ("caroline", "carolyn"),
    ("isabel", "isabella", "isabela"),
    ("kaitlin", "kaitlyn", "katelyn"),
    ("mervin", "mervyn"),
    ("jerald", "jerold", "jerrold"),
    ("zachary", "zachariah"),
    ("lenora", "lenore"),
    ("catherine", "katherine", "kathryn"),
    ("steven", "stephen"),
    ("brian", "bryan"),
    ("geoffrey", "jeffrey", "jeffery"),
    ("alan", "allan", "allen"),
    ("philip", "phillip"),
    ("sara", "sarah"),
    ("ann", "anne"),
    ("marc", "mark"),
    ("teresa", "theresa"),
    ("rebecca", "rebekah"),
    ("marci", "marcie", "marcy"),
    ("sean", "shawn", "shaun"),
    ("cheryl", "sheryl"),
)
_SPELLING_OF = {name: spellings for spellings in SPELLINGS for name in spellings}
# Twins given two names of their own spelled alike, one or both unknown to the nickname
# groups (names people are registered under: the 1990 Census's first names and those
# given since), with the twins' sex.
ALIKE_NAMED = (
    ("elise", "elsie", "female"),
    ("linda", "melinda", "female"),
    ("bonnie", "connie", "female"),
    ("tracy", "stacy", "female"),
    ("darlene", "marlene", "female"),
    ("irene", "renee", "female"),
    ("karen", "karin", "female"),
    ("larry", "barry", "male"),
    ("roy", "troy", "male"),
    ("lloyd", "floyd", "male"),
    ("kevin", "kelvin", "male"),
    ("warren", "darren", "male"),
    ("rylee", "kylee", "female"),
    ("haylee", "kaylee", "female"),
    ("ryker", "ryder", "male"),
    ("brody", "brady", "male"),
)
# Households of such twins per person of the set, drawn after the rest with a stream of
# their own, so the rest of the set is as it was without them.
ALIKE_NAMED_SHARE = 0.01

# The sex each given name is usually given (the nickname groups' first names and the
# spellings above): a person is given a name of their sex, or one given to either.
_FEMALE_NAMES = frozenset(
    """
    elizabeth margaret katherine alexandra christine frances jennifer jessica joan
    patricia susan victoria virginia abigail agnes alice allison amanda amelia
    andrea angela ann antonia barbara beatrice beverly bridget caroline carolyn
    cassandra cecilia charlotte cheryl cynthia deborah delores diana dorothy eleanor
    elena emily evelyn florence gabrielle gertrude gloria gwendolyn harriet isabella
    jacqueline janet jane judith julia kimberly laura lillian linda lucille lydia
    madeline marjorie martha mary matilda melanie melissa michelle mildred miriam
    nancy natalie olivia pamela pauline penelope priscilla rachel rebecca regina
    roberta rosalind rose rosemary ruth samantha sandra sarah sharon shirley sophia
    stephanie sylvia teresa tiffany valerie vanessa veronica wilhelmina winifred
    alberta clara claudia constance darlene dorothea edith ellen eloise ernestine
    esther eugenia felicia genevieve geraldine grace hannah helen irene jean
    jeanette jessamine joanna jocelyn josephine joyce juliana katelyn lenora
    lorraine louise loretta lucinda mabel magdalene marcia margarita marilyn
    millicent monica myra nicole phoebe phyllis prudence rebekah rhoda sabrina
    tabitha thelma vivian yolanda yvonne beatriz carmen concepcion consuelo cristina
    dolores esperanza estela francisca gabriela graciela isabel josefina leticia
    lourdes maria mercedes socorro alfreda bertha charity clarissa eliza hortense
    kathleen kendra lavinia mathilde meredith nadine nora pearl veronique wendy
    whitney zoe brianna kayla kaylee hailey ashley brittany courtney chelsea lindsay
    megan destiny jasmine amber crystal heather alyssa kelsey shelby mackenzie
    makayla ava chloe addison aubrey brooklyn savannah paige harper aaliyah nevaeh
    jada jayla keisha tanisha latoya ebony imani aisha yesenia maribel esmeralda
    marisol araceli danielle erica madison marci
    """.split()
)
_MALE_NAMES = frozenset(
    """
    william robert richard james john joseph charles thomas michael edward alexander
    albert alfred alan anthony andrew benjamin christopher daniel david donald
    douglas francis frederick george gerald gregory harold henry jacob joshua
    kenneth lawrence leonard louis mark matthew nathaniel nicholas patrick peter
    philip raymond ronald samuel stephen theodore timothy walter adam adrian arthur
    bartholomew bernard bradley brandon brian clarence clifford cornelius dennis
    dominic eugene gabriel gilbert howard isaac jeffrey jeremy jerome jonathan
    julian justin martin norman oliver paul reginald rodney roger russell stanley
    terence thaddeus vincent wallace wesley wilfred zachary aaron abraham agustin
    alfonso alonzo alvin ambrose amos angelo archibald arnold augustus barnabas
    basil benedict calvin casimir cecil chester clement conrad curtis cyrus delbert
    desmond earnest edgar edmund elias elmer emanuel ezekiel ferdinand gideon gordon
    harvey herbert hubert hugh ignatius jasper jesse kevin kristopher lamont leroy
    lester lincoln lucas maurice maxwell maximilian melvin mervyn mitchell
    montgomery morris moses nelson noah oswald otis owen percival quentin ralph
    randolph reuben roland rudolph rufus salvatore sebastian seymour sheldon silas
    simon solomon spencer sylvester tobias tristan ulysses wendell wilbur winston
    zachariah alejandro alfredo armando arturo eduardo enrique federico fernando
    gerardo guillermo ignacio javier jesus jorge jose juan luis manuel miguel pedro
    rafael ramon ricardo roberto rodrigo salvador santiago tomas vicente augustine
    caleb christian dwight elliot emmett ethan ferris franklin garrett gary geoffrey
    harrison hector horace jackson jerold joel leon lionel marvin nathan neil quincy
    reed scott stuart travis trevor tyler jason mason jalen aiden kaden braden logan
    dylan landon hunter cody dustin kyle ryan connor cole chase blake carter wyatt
    levi gavin colton jace grayson easton brody bryson kaleb shane shawn derek corey
    devin jared isaiah josiah micah malik darius terrell jamal dante omar ivan oscar
    cesar damian hamish
    """.split()
)
_EITHER_NAMES = frozenset(
    """
    leslie marion tracy dale loren sidney jordan morgan taylor riley peyton avery
    hayden jaden cameron guadalupe refugio rosario natividad
    """.split()
)

# Record-level patterns: how a report departs from the person, or what its source gives.
REPORT_PATTERNS = {
    "nickname": "a nickname of the given name (Bill for William)",
    "spelling": "another spelling of the given name (Carolyn for Caroline), for people whose "
    "name is spelled more than one way (3% given one, and those the pool gives one)",
    "given_typo": "a letter of the given name swapped, dropped, doubled or replaced",
    "family_typo": "the same in the family name",
    "changed_surname": "another surname (marriage, an alias)",
    "hyphenated_surname": "a second surname added with a hyphen",
    "hyphen_part_dropped": "one part of a double surname left out",
    "swapped": "given and family names swapped",
    "swapped_changed": "swapped, and a nickname, spelling, typo, initial or dropped hyphen "
    "part too",
    "day_month_swapped": "birth day and month swapped",
    "year_off": "birth year one off",
    "date_off": "birth date 1 or 10 days off",
    "no_birth_date": "birth date left blank",
    "placeholder_name": "John/Jane Doe, Unknown Unknown, Trauma + a letter word or number, "
    "Unidentified Male/Female; born 1900-01-01 (40%) or blank",
    "placeholder_date": "born 1900-01-01 (40%) or on the 1st of January of the true year",
    "year_only": "no birth date, only a birth year (an age at the event)",
    "year_only_off": "of those, the year one off (as an age at the event gives it)",
    "suffix_dropped": "a father's or son's report without the Jr/Sr",
    "shared_phone": "a referrer's or a shelter's phone instead of one's own",
    "new_phone": "another phone number of one's own",
    "moved": "another address",
    "hospital": "a hospital and the event's date",
}
# Person-level patterns: who the person is among the others.
PERSON_PATTERNS = {
    "twin": "same family name, birth date, address, household phone; given names differ "
    "(never nicknames of each other); sex differs in 40%",
    "sibling": "same family name, address, household phone; born up to 12 years apart",
    "spouse": "same address and phone; same family name in 60%; born up to 8 years apart; "
    "sex differs in 90%",
    "junior_senior": "father and son: same names and address, phone shared in 50%, the son "
    "born 20-35 years later; Jr/Sr on the family (80%) or given name, or dropped (30%)",
    "shelter": "gives a shelter's phone and address (a shelter per 400 people, at least 3)",
    "unidentified": "reported 1-2 times, only ever under a placeholder name, at a hospital",
    "lettered_twin": "twins born 2023-2025, first reported by the birth hospital that day as "
    "Twin/Baby A and B with the family name, address and phone (the birth date, the event's "
    "day, reads as a placeholder); later by name",
    "sound_alike_twin": "twins whose given names sound alike and are not nicknames (Patrick "
    "and Patricia, John and Joan); the second's second report writes the family name first",
    "married_twin": "twin sisters; the second's later reports give another surname and the "
    "home written another way (street for st)",
    "alike_named_twin": "twins given two names of their own spelled alike, one or both "
    "unknown to the nickname groups (Elise and Elsie, Larry and Barry)",
}
HOUSEHOLD_KINDS = (
    "twins",
    "siblings",
    "spouses",
    "junior_senior",
    "lettered_twins",
    "sound_alike_twins",
    "married_twins",
    "alike_named_twins",
)


def _family_names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        parts = rng.randint(1, 3)
        names.add("".join(rng.choice(_SYLLABLES) for _ in range(parts)) + rng.choice(_ENDINGS))
    return sorted(n for n in names if len(n) > 2)


_WEIGHTS: dict[tuple[int, int], list[float]] = {}


def _zipf(rng: random.Random, items: list[str], offset: int) -> str:
    # Rank r is chosen with weight 1/(r + offset): a few names are common, as in
    # a city (the commonest given name about 5%, the commonest surname under 1%).
    key = (len(items), offset)
    if key not in _WEIGHTS:
        _WEIGHTS[key] = list(accumulate(1 / (r + offset) for r in range(len(items))))
    return rng.choices(items, cum_weights=_WEIGHTS[key])[0]


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text))
    action = rng.choice(["swap", "drop", "replace", "double"])
    if action == "swap" and i < len(text) - 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if action == "drop":
        return text[:i] + text[i + 1 :]
    if action == "double":
        return text[:i] + text[i] + text[i:]
    return text[:i] + rng.choice(string.ascii_lowercase) + text[i + 1 :]


_NICKNAMES = {n: g for g in NICKNAME_GROUPS for n in g}
_CHANGES = {"nickname", "spelling", "given_typo", "family_typo", "hyphen_part_dropped"}


@dataclass
class _Pools:
    given: list[str]
    family: list[str]
    shelters: list[tuple[str, str]]  # (phone, address)
    referrers: list[str]
    sound_alike: list[list[str]]


@dataclass
class _Person:
    truth: Record
    tags: frozenset[str]
    household: str = ""
    suffix: str = ""  # "jr" or "sr"
    mark: str = ""  # a lettered twin's letter ("a", "b")
    born_at: str = ""  # a lettered twin's birth hospital
    married: str = ""  # a married twin's later surname
    swap_second: bool = False  # the second report writes the family name first


def _sound_alike(pool: list[str]) -> list[list[str]]:
    """Given names that share a sound and are not nicknames of each other, in groups."""
    groups: dict[str, list[str]] = {}
    for name in sorted(pool):
        groups.setdefault(soundex(name), []).append(name)
    return [
        names
        for names in groups.values()
        if len(names) > 1
        and not any(b in _NICKNAMES.get(a, ()) for a in names for b in names if a != b)
    ]


def _born(rng: random.Random, first: int = 1940, years: int = 65) -> date:
    return date(first, 1, 1) + timedelta(days=rng.randrange(365 * years))


def sex_of(given: str) -> str:
    """ "female", "male" or "either": whom the name (or another spelling of it) is given."""
    for name in (given, *_SPELLING_OF.get(given, ())):
        for sex, names in (
            ("female", _FEMALE_NAMES),
            ("male", _MALE_NAMES),
            ("either", _EITHER_NAMES),
        ):
            if name in names:
                return sex
    for *names, sex in ALIKE_NAMED:
        if given in names:
            return sex
    raise KeyError(f"no sex is known for the given name {given!r}")


def _fits(given: str, sex: str) -> bool:
    return sex_of(given) in (sex, "either")


def _given_name(rng: random.Random, pool: list[str], sex: str) -> str:
    """A given name of `sex` (or given to either), as popular as the pool's skew says."""
    while True:
        given = _zipf(rng, pool, 5)
        if rng.random() < 0.03:
            given = rng.choice(rng.choice(SPELLINGS))  # a name spelled more than one way
        if _fits(given, sex):
            return given


def _sex_for(rng: random.Random, given: str) -> str:
    sex = sex_of(given)
    return rng.choice(["female", "male"]) if sex == "either" else sex


def person(
    rng: random.Random, given_pool: list[str], family_pool: list[str], sex: str = ""
) -> Record:
    born = _born(rng)
    sex = sex or rng.choice(["female", "male"])
    given = _given_name(rng, given_pool, sex)
    family = _zipf(rng, family_pool, 50)
    if rng.random() < 0.05:
        family = f"{family}-{_zipf(rng, family_pool, 50)}"  # a double surname of one's own
    return Record(
        given=given,
        family=family,
        birth_date=born,
        sex=sex,
        phone=f"215{rng.randrange(10**7):07d}",
        address=f"{rng.randrange(1, 9999)} {rng.choice(_STREETS)} st",
    )


def _other_given(rng: random.Random, pool: list[str], given: str, sex: str) -> str:
    """A given name of `sex` that is neither `given` nor one of its nicknames."""
    while True:
        other = _zipf(rng, pool, 5)
        if other != given and given not in _NICKNAMES.get(other, ()) and _fits(other, sex):
            return other


def _other_sex(sex: str) -> str:
    return "male" if sex == "female" else "female"


def _shifted(rng: random.Random, born: date, low: int, high: int) -> date:
    """A birth date `low` to `high` years later (earlier if negative), on another day."""
    return born + timedelta(days=rng.randint(low * 365, high * 365) + rng.randrange(1, 300))


def _household(rng: random.Random, pools: _Pools, number: int) -> list[_Person]:
    """One household: a person alone, or two people sharing an address and phone."""
    roll = rng.random()
    base = person(rng, pools.given, pools.family)
    if roll < 0.015:
        sex = base.sex if rng.random() < 0.6 else _other_sex(base.sex)
        other = replace(base, given=_other_given(rng, pools.given, base.given, sex), sex=sex)
        home = f"twins:{number}"
        return [_Person(base, frozenset({"twin"}), home), _Person(other, frozenset({"twin"}), home)]
    if roll < 0.035:
        born = base.birth_date or _born(rng)
        sex = rng.choice(["female", "male"])
        other = replace(
            base,
            given=_other_given(rng, pools.given, base.given, sex),
            sex=sex,
            birth_date=_shifted(rng, born, -12, 12),
        )
        home = f"siblings:{number}"
        tags = frozenset({"sibling"})
        return [_Person(base, tags, home), _Person(other, tags, home)]
    if roll < 0.055:
        sex = _other_sex(base.sex) if rng.random() < 0.9 else base.sex
        mate = person(rng, pools.given, pools.family, sex)
        born = base.birth_date or _born(rng)
        other = replace(
            mate,
            given=_other_given(rng, pools.given, base.given, sex),
            family=base.family if rng.random() < 0.6 else mate.family,
            birth_date=_shifted(rng, born, -8, 7),
            phone=base.phone,
            address=base.address,
        )
        home = f"spouses:{number}"
        tags = frozenset({"spouse"})
        return [_Person(base, tags, home), _Person(other, tags, home)]
    if roll < 0.07:
        given = base.given if _fits(base.given, "male") else _given_name(rng, pools.given, "male")
        senior = replace(base, given=given, sex="male", birth_date=_born(rng, 1940, 35))
        junior = replace(
            senior,
            birth_date=_shifted(rng, senior.birth_date or _born(rng), 20, 34),
            phone=senior.phone if rng.random() < 0.5 else f"267{rng.randrange(10**7):07d}",
        )
        home = f"junior_senior:{number}"
        tags = frozenset({"junior_senior"})
        return [_Person(senior, tags, home, "sr"), _Person(junior, tags, home, "jr")]
    if roll < 0.09:
        return [_Person(base, frozenset({"unidentified"}))]
    if roll < 0.13:
        phone, address = rng.choice(pools.shelters)
        sheltered = replace(base, phone=phone, address=address)
        return [_Person(sheltered, frozenset({"shelter"}))]
    if roll >= 0.97:
        return _look_alike_twins(rng, pools, number, base)
    return [_Person(base, frozenset())]


def _look_alike_twins(
    rng: random.Random, pools: _Pools, number: int, base: Record
) -> list[_Person]:
    """Twins told apart by less than the plain twins are: a birth hospital's letters, given
    names that sound alike, or a married name."""
    kind = rng.choice(["lettered", "married", "sound_alike"])
    home = f"{kind}_twins:{number}"
    tags = frozenset({f"{kind}_twin"})
    if kind == "lettered":
        first = replace(base, birth_date=date(2023, 1, 1) + timedelta(days=rng.randrange(3 * 365)))
        sex = first.sex if rng.random() < 0.6 else _other_sex(first.sex)
        second = replace(first, given=_other_given(rng, pools.given, base.given, sex), sex=sex)
        hospital = rng.choice(_HOSPITALS)
        return [
            _Person(first, tags, home, mark="a", born_at=hospital),
            _Person(second, tags, home, mark="b", born_at=hospital),
        ]
    if kind == "married":
        given = (
            base.given if _fits(base.given, "female") else _given_name(rng, pools.given, "female")
        )
        first = replace(base, given=given, sex="female")
        second = replace(first, given=_other_given(rng, pools.given, given, "female"))
        married = _zipf(rng, pools.family, 50)
        return [_Person(first, tags, home), _Person(second, tags, home, married=married)]
    given, other = rng.sample(rng.choice(pools.sound_alike), 2)
    first = replace(base, given=given, sex=_sex_for(rng, given))
    second = replace(first, given=other, sex=_sex_for(rng, other))
    return [_Person(first, tags, home), _Person(second, tags, home, swap_second=True)]


def _placeholder(rng: random.Random, sex: str) -> tuple[str, str]:
    given, family = rng.choice(_PLACEHOLDER_NAMES[sex or rng.choice(["female", "male"])])
    if given == "trauma":
        family = rng.choice(_NATO) if rng.random() < 0.7 else str(rng.randrange(1, 100))
    return given, family


def _drop_a_part(family: str, rng: random.Random) -> str:
    parts = family.split("-")
    return rng.choice(parts) if len(parts) > 1 else family


def corrupt(rng: random.Random, truth: Record, family_pool: list[str]) -> Record:
    """A later report of the person `truth` describes."""
    return Record(**corrupt_fields(rng, truth, family_pool)[0])


def corrupt_fields(
    rng: random.Random, truth: Record, family_pool: list[str]
) -> tuple[dict[str, Any], set[str]]:
    """A later report's fields and the patterns it shows."""
    r = dict(truth.__dict__)
    tags: set[str] = set()
    spellings = _SPELLING_OF.get(r["given"], ())
    if spellings and rng.random() < 0.5:
        r["given"] = rng.choice([s for s in spellings if s != r["given"]])
        tags.add("spelling")
    elif rng.random() < 0.35 and r["given"] in _NICKNAMES:
        nickname = rng.choice(_NICKNAMES[r["given"]])
        if nickname != r["given"]:
            r["given"] = nickname
            tags.add("nickname")
    if rng.random() < 0.15:
        r["given"] = _typo(rng, r["given"])
        tags.add("given_typo")
    if rng.random() < 0.15:
        r["family"] = _typo(rng, r["family"])
        tags.add("family_typo")
    roll = rng.random()
    if roll < 0.08:
        r["family"] = rng.choice(family_pool)  # a changed surname
        tags.add("changed_surname")
    elif roll < 0.16:
        r["family"] = f"{r['family']}-{rng.choice(family_pool)}"
        tags.add("hyphenated_surname")
    elif roll < 0.30 and "-" in r["family"]:
        r["family"] = _drop_a_part(r["family"], rng)
        tags.add("hyphen_part_dropped")
    roll = rng.random()
    if roll < 0.05:
        r["given"], r["family"] = r["family"], r["given"]
        tags.add("swapped")
    elif roll < 0.08:
        # Swapped and changed: the swap alone is not all that went wrong.
        change = rng.choice(["nickname", "typo", "initial", "hyphen"])
        if change == "nickname" and len(_NICKNAMES.get(truth.given, ())) > 1:
            r["given"] = rng.choice([n for n in _NICKNAMES[truth.given] if n != truth.given])
        elif change == "hyphen" and "-" in r["family"]:
            r["family"] = _drop_a_part(r["family"], rng)
        elif change == "initial":
            r["given"] = r["given"][:1]
        else:
            r["given"] = _typo(rng, r["given"])
        r["given"], r["family"] = r["family"], r["given"]
        tags.update({"swapped", "swapped_changed"})
    if "swapped" in tags and tags & _CHANGES:
        tags.add("swapped_changed")
    dob = r["birth_date"]
    roll = rng.random()
    if dob is not None:
        if roll < 0.10 and dob.day <= 12 and dob.day != dob.month:
            r["birth_date"] = date(dob.year, dob.day, dob.month)
            tags.add("day_month_swapped")
        elif 0.10 <= roll < 0.18:
            try:
                r["birth_date"] = dob.replace(year=dob.year + rng.choice([-1, 1]))
                tags.add("year_off")
            except ValueError:
                pass
        elif 0.18 <= roll < 0.24:
            r["birth_date"] = dob + timedelta(days=rng.choice([-1, 1, 10, -10]))
            tags.add("date_off")
        elif 0.24 <= roll < 0.34:
            r["birth_date"] = None
            tags.add("no_birth_date")
        elif 0.34 <= roll < 0.38:
            r["birth_date"] = PLACEHOLDER_BIRTH_DATE if rng.random() < 0.4 else date(dob.year, 1, 1)
            tags.add("placeholder_date")
    if rng.random() < 0.25:
        r["sex"] = ""
    if rng.random() < 0.45:
        r["phone"] = ""
    elif rng.random() < 0.08:
        r["phone"] = f"267{rng.randrange(10**7):07d}"  # a new number
        tags.add("new_phone")
    if rng.random() < 0.45:
        r["address"] = ""
    elif rng.random() < 0.10:
        r["address"] = f"{rng.randrange(1, 9999)} {rng.choice(_STREETS)} st"  # moved
        tags.add("moved")
    if rng.random() < 0.03:
        # A report that could not name the person: an emergency department's alias.
        r["given"], r["family"] = _placeholder(rng, r["sex"] or truth.sex)
        r["birth_date"] = PLACEHOLDER_BIRTH_DATE if rng.random() < 0.4 else None
        r["phone"] = r["phone"] if rng.random() < 0.5 else ""
        tags -= {"nickname", "given_typo", "family_typo", "swapped", "swapped_changed"}
        tags.add("placeholder_name")
    return r, tags


def _unidentified_report(rng: random.Random, truth: Record) -> tuple[dict[str, Any], set[str]]:
    given, family = _placeholder(rng, truth.sex)
    roll = rng.random()
    birth_date, birth_year = None, None
    if roll < 0.3:
        birth_date = PLACEHOLDER_BIRTH_DATE
    elif roll < 0.5 and truth.birth_date is not None:
        birth_year = truth.birth_date.year + rng.randint(-2, 2)  # an age guessed at the scene
    fields = {
        **truth.__dict__,
        "given": given,
        "family": family,
        "birth_date": birth_date,
        "birth_year": birth_year,
        "sex": truth.sex if rng.random() < 0.9 else "",
        "phone": "",
        "address": "",
    }
    return fields, {"placeholder_name"} | ({"year_only"} if birth_year else set())


def _event(rng: random.Random) -> tuple[str, date]:
    return rng.choice(_HOSPITALS), date(2024, 1, 1) + timedelta(days=rng.randrange(3 * 365))


def _reports(rng: random.Random, who: _Person, pools: _Pools) -> list[tuple[Record, set[str]]]:
    """Every report of one person, each with the patterns it shows."""
    unidentified = "unidentified" in who.tags
    count = rng.choice([1, 1, 1, 2]) if unidentified else rng.choice([1, 1, 2, 2, 2, 3, 4])
    if who.mark or who.married or who.swap_second:
        count = max(count, 2)  # the look-alike twins' reports that tell them apart, and one more
    reports: list[tuple[dict[str, Any], set[str]]] = []
    for n in range(count):
        if unidentified:
            fields, tags = _unidentified_report(rng, who.truth)
        elif n == 0:
            fields, tags = dict(who.truth.__dict__), set()
        else:
            fields, tags = corrupt_fields(rng, who.truth, pools.family)
        if who.suffix and "placeholder_name" not in tags:
            if rng.random() < 0.3:
                tags.add("suffix_dropped")
            elif rng.random() < 0.8:
                fields["family"] = f"{fields['family']} {who.suffix}"
            else:
                fields["given"] = f"{fields['given']} {who.suffix}"
        dob = fields["birth_date"]
        if dob is not None and dob != PLACEHOLDER_BIRTH_DATE and rng.random() < 0.07:
            # Only an age or a year known; an age at the event is a year off about as often.
            fields["birth_date"] = None
            fields["birth_year"] = dob.year
            tags.add("year_only")
            if rng.random() < 0.4:
                fields["birth_year"] = dob.year + rng.choice([-1, 1])
                tags.add("year_only_off")
        if "shelter" in who.tags and rng.random() < 0.2:
            fields["phone"] = ""
        elif rng.random() < 0.03:
            fields["phone"] = rng.choice(pools.referrers)  # the referrer's number, not theirs
            tags.add("shared_phone")
        if "shelter" in who.tags and fields["phone"]:
            tags.add("shared_phone")
        same_event = n > 0 and (
            rng.random() < (0.7 if "placeholder_name" in tags or unidentified else 0.2)
        )
        if same_event:
            # The hospital's record of the event the previous report is about.
            before, before_tags = reports[-1]
            if not before["facility"]:
                before["facility"], before["event_date"] = _event(rng)
                before_tags.add("hospital")
            fields["facility"] = before["facility"]
            fields["event_date"] = before["event_date"] + timedelta(days=rng.choice([0, 0, 1]))
            tags.add("hospital")
        elif unidentified or rng.random() < 0.12:
            fields["facility"], fields["event_date"] = _event(rng)
            tags.add("hospital")
        _tell_twins_apart(who, n, fields, tags)
        reports.append((fields, tags))
    return [(Record(**fields), tags) for fields, tags in reports]


def _tell_twins_apart(who: _Person, n: int, fields: dict[str, Any], tags: set[str]) -> None:
    """What only the look-alike twins' reports carry."""
    if who.mark and n == 0:
        # The birth hospital's record, the day they were born, before they had names. Its
        # birth date is the event's day, which the core reads as a placeholder date, so the
        # twins are told apart as seen together (one hospital, one day), not born together.
        fields["given"] = f"{'baby' if who.truth.sex == 'male' else 'twin'} {who.mark}"
        fields["facility"], fields["event_date"] = who.born_at, who.truth.birth_date
        tags.update({"placeholder_name", "hospital"})
    elif who.married and n > 0 and "placeholder_name" not in tags:
        # Her married name in the family name's place (the given name's, if swapped).
        fields["given" if "swapped" in tags else "family"] = who.married
        if fields["address"] == who.truth.address:  # the family home, written another way
            fields["address"] = fields["address"].replace(" st", " street")
        tags.add("changed_surname")
    elif who.swap_second and n == 1 and "placeholder_name" not in tags and "swapped" not in tags:
        fields["given"], fields["family"] = fields["family"], fields["given"]
        tags.add("swapped")


def pools(rng: random.Random) -> tuple[list[str], list[str]]:
    given = [g[0] for g in NICKNAME_GROUPS]
    rng.shuffle(given)
    family = _family_names(rng, 30000)
    rng.shuffle(family)
    return given, family


def generate(people: int = PEOPLE, seed: int = SEED) -> list[Row]:
    """Reports of `people` people, shuffled; the same rows for the same arguments."""
    rng = random.Random(seed)
    given_pool, family_pool = pools(rng)
    shared = _Pools(
        given_pool,
        family_pool,
        shelters=[
            (f"215{rng.randrange(10**7):07d}", f"{rng.randrange(1, 9999)} {street} st")
            for street in rng.choices(_STREETS, k=max(3, people // 400))
        ],
        referrers=[f"215{rng.randrange(10**7):07d}" for _ in range(max(5, people // 250))],
        sound_alike=_sound_alike(given_pool),
    )
    rows = []
    entity = household = 0
    while entity < people:
        members = _household(rng, shared, household)
        household += 1
        for who in members[: people - entity]:
            rows += _person_rows(rng, who, shared, entity)
            entity += 1
    rows = mark_shared_phones(rows)
    rng.shuffle(rows)
    return rows + _alike_named_twins(random.Random(seed + 1), shared, entity, household, people)


def _person_rows(rng: random.Random, who: _Person, pools: _Pools, entity: int) -> list[Row]:
    """Every report of one person as rows of the set, the person numbered `entity`."""
    return [
        Row(f"h{entity}-{n}", record, "x", str(entity), frozenset(tags) | who.tags, who.household)
        for n, (record, tags) in enumerate(_reports(rng, who, pools))
    ]


def _alike_named_twins(
    rng: random.Random, pools: _Pools, entity: int, household: int, people: int
) -> list[Row]:
    """The reports of twins given names of their own spelled alike (`ALIKE_NAMED`), shuffled;
    numbered on from the `entity` and `household` the rest of the set reached."""
    rows = []
    for number in range(household, household + round(people * ALIKE_NAMED_SHARE)):
        one, other, sex = rng.choice(ALIKE_NAMED)
        if rng.random() < 0.5:
            one, other = other, one
        first = replace(person(rng, pools.given, pools.family), given=one, sex=sex)
        home, tags = f"alike_named_twins:{number}", frozenset({"alike_named_twin"})
        for who in (_Person(first, tags, home), _Person(replace(first, given=other), tags, home)):
            rows += _person_rows(rng, who, pools, entity)
            entity += 1
    rows = mark_shared_phones(rows)
    rng.shuffle(rows)
    return rows


# --- what a pair shows ------------------------------------------------------------


def pair_patterns(a: Row, b: Row) -> set[str]:
    """The patterns a true pair (two reports of one person) shows; {"clean"} if none."""
    found = set(a.tags | b.tags)
    ra, rb = a.record, b.record
    if (
        ra.facility
        and ra.facility == rb.facility
        and ra.event_date is not None
        and rb.event_date is not None
        and abs((ra.event_date - rb.event_date).days) <= 1
    ):
        found.add("same_event")
    found.discard("hospital")
    return found or {"clean"}


def relation(a: Row, b: Row) -> str:
    """Who two reports of different people are to each other, for counting false merges."""
    if a.household and a.household == b.household:
        return a.household.split(":")[0]
    tags = a.tags | b.tags
    if tags & {"placeholder_name", "placeholder_date", "unidentified"}:
        return "placeholder"
    if a.record.shared_phone and b.record.shared_phone and a.record.phone == b.record.phone:
        return "shared_phone"
    return "strangers"


# --- the datasheet's figures -----------------------------------------------------------


def beyond_names(a: Row, b: Row) -> int:
    """How many facts other than names two reports of one person share: the same full
    birth date, the same phone of this person alone, the same address, one hospital event."""
    x, y = normalise(a.record), normalise(b.record)
    return sum(
        [
            x.birth_date is not None and x.birth_date == y.birth_date,
            bool(x.phone) and x.phone == y.phone and not (x.shared_phone or y.shared_phone),
            bool(x.address) and x.address == y.address,
            bool(x.facility)
            and x.facility == y.facility
            and x.event_date is not None
            and y.event_date is not None
            and abs((x.event_date - y.event_date).days) <= 1,
        ]
    )


def composition(rows: list[Row]) -> dict[str, Any]:
    """Counts per pattern: people, records, true pairs, and look-alike pairs of two people."""
    people_tags: dict[str, frozenset[str]] = {}
    by_entity: dict[str, list[Row]] = {}
    for row in rows:
        people_tags[row.entity] = people_tags.get(row.entity, frozenset()) | (
            row.tags & set(PERSON_PATTERNS)
        )
        by_entity.setdefault(row.entity, []).append(row)
    reports = Counter(tag for row in rows for tag in row.tags if tag in REPORT_PATTERNS)
    reports["shared_phone_flag"] = sum(row.record.shared_phone for row in rows)
    pairs: Counter[str] = Counter()
    shared: Counter[str] = Counter()
    true_pairs = 0
    for members in by_entity.values():
        for a, b in combinations(members, 2):
            true_pairs += 1
            pairs.update(pair_patterns(a, b))
            shared[SHARED_LABELS[min(beyond_names(a, b), 3)]] += 1
    households = {row.household for row in rows if row.household}
    return {
        "people": len(by_entity),
        "records": len(rows),
        "true_pairs": true_pairs,
        "people_by_pattern": dict(
            Counter(tag for tags in people_tags.values() for tag in tags).most_common()
        ),
        "households": dict(Counter(h.split(":")[0] for h in households).most_common()),
        "records_by_pattern": dict(reports.most_common()),
        "true_pairs_by_pattern": dict(pairs.most_common()),
        "true_pairs_by_shared_facts": {label: shared[label] for label in SHARED_LABELS},
        "reports_per_person": dict(sorted(Counter(len(m) for m in by_entity.values()).items())),
        "confusable_pairs": confusable_pairs(rows),
    }


def confusable_pairs(rows: list[Row]) -> dict[str, int]:
    """Pairs of records of two different people that look alike by construction."""
    counts: Counter[str] = Counter()
    by_household: dict[str, list[Row]] = {}
    by_phone: dict[str, list[Row]] = {}
    placeholders = []
    for row in rows:
        if row.household:
            by_household.setdefault(row.household, []).append(row)
        if row.record.shared_phone:
            by_phone.setdefault(row.record.phone, []).append(row)
        if "placeholder_name" in row.tags:
            placeholders.append(row)
    for home, members in by_household.items():
        kind = home.split(":")[0]
        counts[kind] += sum(a.entity != b.entity for a, b in combinations(members, 2))
    for members in by_phone.values():
        counts["shared_phone"] += sum(a.entity != b.entity for a, b in combinations(members, 2))
    per_entity = Counter(row.entity for row in placeholders)
    same = sum(n * (n - 1) // 2 for n in per_entity.values())
    counts["placeholder_name"] = len(placeholders) * (len(placeholders) - 1) // 2 - same
    return dict(counts.most_common())


def _table(title: str, counts: dict[str, int], notes: dict[str, str] | None = None) -> str:
    head = f"| {title} | count |" + (" what |" if notes else "")
    rule = "|---|---|" + ("---|" if notes else "")
    body = [
        f"| {key} | {value:,} |" + (f" {notes.get(key, '')} |" if notes else "")
        for key, value in counts.items()
    ]
    return "\n".join([head, rule, *body])


def sure_merge_ceiling(figures: dict[str, Any]) -> tuple[float, float]:
    """The best sure-merge recall and F1 that never merges on names alone: every pair
    sharing at least one fact beyond names merged, none of the others, no false merge."""
    recall = 1 - figures["true_pairs_by_shared_facts"]["names only"] / figures["true_pairs"]
    return recall, 2 * recall / (1 + recall)


def ceiling_sentence(figures: dict[str, Any]) -> str:
    recall, f1 = sure_merge_ceiling(figures)
    names_only = figures["true_pairs_by_shared_facts"]["names only"]
    return (
        f"{names_only:,} true pairs ({names_only / figures['true_pairs']:.1%}) share nothing "
        f"beyond names (often altered) and at best a near birth date. Merging none of them "
        f"without review, a sure merge can reach at most recall {recall:.3f} and F1 {f1:.3f}, "
        f"even with no false merge."
    )


def composition_markdown(people: int = PEOPLE) -> str:
    """The datasheet's composition section, as `composition` counts it."""
    figures = composition(generate(people))
    alone = figures["people"] - sum(figures["people_by_pattern"].values())
    records_notes = {
        **REPORT_PATTERNS,
        "shared_phone_flag": "shared_phone set by the bench's rule (records alone, no truth)",
    }
    pair_notes = {
        **REPORT_PATTERNS,
        **PERSON_PATTERNS,
        "same_event": "both at one hospital, the same or the next day",
        "clean": "neither record shows any pattern",
    }
    return "\n\n".join(
        [
            f"{figures['people']:,} people, {figures['records']:,} records, "
            f"{figures['true_pairs']:,} true pairs (two records of one person); "
            f"`generate({people})`, seed {SEED}.",
            _table(
                "reports per person", {str(k): v for k, v in figures["reports_per_person"].items()}
            ),
            _table("people", {"alone": alone, **figures["people_by_pattern"]}, PERSON_PATTERNS),
            _table("records by pattern", figures["records_by_pattern"], records_notes),
            _table("true pairs by pattern", figures["true_pairs_by_pattern"], pair_notes),
            _table("look-alike record pairs of two people", figures["confusable_pairs"]),
            _table(
                "true pairs by the facts beyond names they share",
                figures["true_pairs_by_shared_facts"],
            ),
            ceiling_sentence(figures),
        ]
    )


def write_datasheet(path: Path = DATASHEET) -> None:
    """Rewrites the composition section of the datasheet between its markers."""
    text = path.read_text(encoding="utf-8")
    begin, end = "<!-- composition: begin -->", "<!-- composition: end -->"
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    large = composition(generate(100_000))
    people = ", ".join(f"{n:,} {k}" for k, n in large["people_by_pattern"].items())
    at_scale = (
        f"At `generate(100_000)`: {large['records']:,} records, {large['true_pairs']:,} "
        f"true pairs; people by pattern: {people}."
    )
    block = f"{composition_markdown()}\n\n{at_scale}"
    path.write_text(f"{head}{begin}\n{block}\n{end}{tail}", encoding="utf-8")


if __name__ == "__main__":
    # `hard.py` prints the composition, `hard.py 100000` at that size, `hard.py --write`
    # rewrites it into HARD_SET.md.
    if sys.argv[1:] == ["--write"]:
        write_datasheet()
    else:
        print(composition_markdown(int(sys.argv[1]) if len(sys.argv) > 1 else PEOPLE))
