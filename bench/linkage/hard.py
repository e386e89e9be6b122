"""A harder generated registry: the errors field records actually carry.

Seeded. Each person is reported one to four times; every report after the
first may use a nickname, misspell a name, swap given and family names, take a
hyphenated or a new surname, swap the birth day and month, be a year off, mistype
a digit, or leave the birth date, sex, phone or address blank. Given names come
from the nickname groups with a skewed (Zipf-like) popularity, family names from
a syllable generator with the same skew, so common names collide as they do in
a city.
"""

from __future__ import annotations

import random
import string
from dataclasses import replace
from datetime import date, timedelta
from itertools import accumulate

from pipelines import Row

from coresponder.domain.linkage import NICKNAME_GROUPS, Record

_SYLLABLES = (
    "al an ar ba be bo ca ce da de do el en er fa fe ga go ha he ja jo ka ke la le li lo lu "
    "ma me mi mo na ne no or pa pe ra re ri ro sa se si so ta te ti to va ve wa we ya za"
).split()
_ENDINGS = ["", "s", "son", "ez", "er", "ton", "ski", "ley", "man", "o", "a", "field", "well"]
_STREETS = ["main", "broad", "market", "oak", "pine", "walnut", "spruce", "girard", "lehigh"]


def _family_names(rng: random.Random, count: int) -> list[str]:
    names = set()
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


def person(rng: random.Random, given_pool: list[str], family_pool: list[str]) -> Record:
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
    return Record(
        given=_zipf(rng, given_pool, 5),
        family=_zipf(rng, family_pool, 50),
        birth_date=born,
        sex=rng.choice(["female", "male"]),
        phone=f"215{rng.randrange(10**7):07d}",
        address=f"{rng.randrange(1, 9999)} {rng.choice(_STREETS)} st",
    )


_NICKNAMES = {n: g for g in NICKNAME_GROUPS for n in g}


def corrupt(rng: random.Random, truth: Record, family_pool: list[str]) -> Record:
    r = truth
    if rng.random() < 0.35 and r.given in _NICKNAMES:
        r = replace(r, given=rng.choice(_NICKNAMES[r.given]))
    if rng.random() < 0.15:
        r = replace(r, given=_typo(rng, r.given))
    if rng.random() < 0.15:
        r = replace(r, family=_typo(rng, r.family))
    roll = rng.random()
    if roll < 0.08:
        r = replace(r, family=rng.choice(family_pool))  # a changed surname
    elif roll < 0.16:
        r = replace(r, family=f"{r.family}-{rng.choice(family_pool)}")
    if rng.random() < 0.05:
        r = replace(r, given=r.family, family=r.given)
    dob = r.birth_date
    roll = rng.random()
    if dob is not None:
        if roll < 0.10 and dob.day <= 12:
            r = replace(r, birth_date=date(dob.year, dob.day, dob.month))
        elif roll < 0.18:
            try:
                r = replace(r, birth_date=dob.replace(year=dob.year + rng.choice([-1, 1])))
            except ValueError:
                pass
        elif roll < 0.24:
            r = replace(r, birth_date=dob + timedelta(days=rng.choice([-1, 1, 10, -10])))
        elif roll < 0.34:
            r = replace(r, birth_date=None)
    if rng.random() < 0.25:
        r = replace(r, sex="")
    if rng.random() < 0.45:
        r = replace(r, phone="")
    if rng.random() < 0.45:
        r = replace(r, address="")
    return r


def pools(rng: random.Random) -> tuple[list[str], list[str]]:
    given = [g[0] for g in NICKNAME_GROUPS]
    rng.shuffle(given)
    family = _family_names(rng, 30000)
    rng.shuffle(family)
    return given, family


def generate(people: int = 2500, seed: int = 20260501) -> list[Row]:
    rng = random.Random(seed)
    given_pool, family_pool = pools(rng)
    rows = []
    for entity in range(people):
        truth = person(rng, given_pool, family_pool)
        reports = rng.choice([1, 1, 2, 2, 2, 3, 4])
        for n in range(reports):
            record = truth if n == 0 else corrupt(rng, truth, family_pool)
            rows.append(Row(f"h{entity}-{n}", record, "x", str(entity)))
    rng.shuffle(rows)
    return rows
