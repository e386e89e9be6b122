"""Batch scoring: a registry's candidate pairs and their comparison vectors, in bulk.

The pure core's comparators (`coresponder.domain.linkage`) are the definition of
every level. Scoring a registry of a hundred thousand people pair by pair in
Python takes minutes, so this module computes the same levels over arrays:
each record is normalised and keyed once by the core itself (`normalise`,
`blocking_keys`); candidate pairs come from one self-join of the (record, key)
table in DuckDB; equality tests compare integer codes; and what depends on two
strings alone (nicknames, Jaro-Winkler, Soundex, shared parts, shared words) is
worked out once per distinct pair of strings, not once per pair of records.

Jaro-Winkler is computed in bulk by DuckDB's `jaro_winkler_similarity`, the same
measure as the core's; it may differ from the core's arithmetic in the last bit,
so every value within a hair of a threshold is computed again by the core, and a
level never depends on which side of a threshold rounding fell.

Each comparison is mirrored here level by level, with the level names it was
written for. A comparison whose levels in the core no longer have those names is
scored by the core's own comparator, pair by pair: slower, never different. The
property test (`identity/tests/test_batch_scoring.py`) holds every mirror to the
core on random records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from coresponder.domain.linkage import (
    COMPARISONS,
    FAMILY_FIRST_SPELLED_APART,
    GIVEN_DIFFERS,
    HOUSEHOLD_FACTS,
    PHONE_SHARED,
    SEX_DIFFERS,
    SPELLED_SOMEWHAT_ALIKE,
    WITHIN_A_MONTH,
    Params,
    Record,
    blocking_keys,
    compare,
    edit_distance,
    given_name_read,
    is_given_name,
    jaro_winkler,
    known_roots,
    listed_reading,
    match_probability,
    normalise,
    prior_weight,
    soundex,
    weight_table,
)

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]

# The similarity thresholds the mirrored levels test. A bulk Jaro-Winkler value this
# close to one of them is computed again by the core, so rounding never moves a level.
JW_THRESHOLDS = (0.80, 0.90, 0.92)
_NEAR = 1e-9


_DATABASE: dict[str, Any] = {}


def _cursor() -> Any:
    """A cursor on this process's in-memory DuckDB (opening one costs far more than a cursor)."""
    import duckdb

    if "connection" not in _DATABASE:
        _DATABASE["connection"] = duckdb.connect()
    return _DATABASE["connection"].cursor()


class _Vocabulary:
    """Distinct strings as integer codes; the empty string is always code 0."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"": 0}
        self.values: list[str] = [""]

    def code(self, value: str) -> int:
        code = self.codes.get(value)
        if code is None:
            code = self.codes[value] = len(self.values)
            self.values.append(value)
        return code

    def array(self) -> npt.NDArray[np.object_]:
        return np.array(self.values, dtype=object)


@dataclass
class Table:
    """The records of one batch as compared: ids, normalised records, column arrays."""

    ids: list[str]
    records: list[Record]
    columns: dict[str, Any] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    key_records: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    key_codes: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


# The columns `build_table` keeps per record, in the order it reads them.
_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("given", np.int64),
    ("family", np.int64),
    ("given_placeholder", bool),
    ("family_placeholder", bool),
    ("mark", np.int64),
    ("suffix", np.int64),
    ("has_year", bool),
    ("year", np.int64),
    ("has_date", bool),
    ("month", np.int64),
    ("day", np.int64),
    ("birth_ordinal", np.int64),
    ("birth_placeholder", bool),
    ("sex", np.int64),
    ("phone", np.int64),
    ("last7", np.int64),
    ("shared_phone", bool),
    ("address", np.int64),
    ("facility", np.int64),
    ("event_day", np.int64),
)


def build_table(records: Iterable[tuple[str, Record]]) -> Table:
    """Each record normalised and keyed once by the core, its fields as arrays of codes.

    A record id given twice keeps its last record, as a mapping of ids would.
    """
    by_id = dict(records)
    ids = list(by_id)
    normalised: list[Record] = []
    names, suffixes, sexes, phones, last7s = (_Vocabulary() for _ in range(5))
    addresses, facilities, keys = _Vocabulary(), _Vocabulary(), _Vocabulary()
    marks = _Vocabulary()
    rows: list[tuple[Any, ...]] = []
    key_records: list[int] = []
    key_codes: list[int] = []
    for index, raw in enumerate(by_id.values()):
        r = normalise(raw)
        normalised.append(r)
        dob = r.birth_date
        year = dob.year if dob is not None else r.birth_year
        rows.append(
            (
                names.code(r.given),
                names.code(r.family),
                r.given_placeholder,
                r.family_placeholder,
                marks.code(r.placeholder_mark),
                suffixes.code(r.suffix),
                year is not None,
                year if year is not None else 0,
                dob is not None,
                dob.month if dob is not None else 0,
                dob.day if dob is not None else 0,
                dob.toordinal() if dob is not None else 0,
                r.birth_date_placeholder,
                sexes.code(r.sex),
                phones.code(r.phone),
                last7s.code(r.phone[-7:]),
                r.shared_phone,
                addresses.code(r.address),
                facilities.code(r.facility),
                r.event_date.toordinal() if r.event_date is not None else -1,
            )
        )
        for key in blocking_keys(raw):
            key_records.append(index)
            key_codes.append(keys.code(key))
    columns: dict[str, Any] = {}
    for (label, kind), values in zip(
        _COLUMNS, zip(*rows, strict=True) if rows else [()] * len(_COLUMNS), strict=True
    ):
        columns[label] = np.array(values, dtype=kind)
    columns["phone_values"] = phones.values
    return Table(
        ids=ids,
        records=normalised,
        columns=columns,
        names=names.values,
        addresses=addresses.values,
        key_records=np.array(key_records, dtype=np.int64),
        key_codes=np.array(key_codes, dtype=np.int64),
    )


# --- candidate pairs ------------------------------------------------------------


_PAIRS = """
    WITH kept AS (
        SELECT record, key, grp FROM keys
        WHERE key IN (SELECT key FROM keys GROUP BY key HAVING count(*) BETWEEN 2 AND ?)
    )
    SELECT DISTINCT a.record AS l, b.record AS r
    FROM kept a JOIN kept b ON a.key = b.key AND a.record < b.record
"""
# The same pairs, from different groups only (linking two sources).
_PAIRS_APART = _PAIRS.rstrip() + " AND a.grp <> b.grp\n"


def candidate_pairs(
    table: Table, max_block: int, group: Mapping[str, str] | None = None
) -> tuple[Ints, Ints]:
    """Row numbers (left < right) of each pair sharing a blocking key, once.

    A key shared by more than `max_block` records is skipped; with `group`, pairs within
    one group are left out.
    """
    import pandas as pd

    empty = np.zeros(0, dtype=np.int64)
    if len(table.ids) < 2 or not len(table.key_codes):
        return empty, empty
    groups = _Vocabulary()
    group_codes = (
        np.array([groups.code(group[i]) for i in table.ids], dtype=np.int64)
        if group is not None
        else np.zeros(len(table.ids), dtype=np.int64)
    )
    keys = pd.DataFrame(
        {
            "record": table.key_records,
            "key": table.key_codes,
            "grp": group_codes[table.key_records],
        }
    )
    con = _cursor()
    con.register("keys", keys)
    # Two fixed statements; the block size is a bound parameter.
    statement = _PAIRS_APART if group is not None else _PAIRS
    pairs = con.execute(
        statement,
        [max_block],
    ).fetchnumpy()
    con.close()
    left = np.asarray(pairs["l"], dtype=np.int64)
    right = np.asarray(pairs["r"], dtype=np.int64)
    order = np.lexsort((right, left))
    return left[order], right[order]


# --- string pairs in bulk ---------------------------------------------------------


def jaro_winkler_bulk(left: Sequence[str], right: Sequence[str]) -> Floats:
    """The core's Jaro-Winkler of each pair of strings, computed in bulk by DuckDB."""
    vocabulary = _Vocabulary()
    x = np.array([vocabulary.code(v) for v in left], dtype=np.int64)
    y = np.array([vocabulary.code(v) for v in right], dtype=np.int64)
    return jaro_winkler_codes(vocabulary.values, x, y)


def jaro_winkler_codes(values: Sequence[str], x: Ints, y: Ints) -> Floats:
    """The core's Jaro-Winkler of values[x[k]] and values[y[k]], computed in bulk by DuckDB.

    The strings go to DuckDB once each, the pairs as codes. Values within a hair of a
    threshold the levels test are computed again by the core.
    """
    import pandas as pd

    result = np.zeros(len(x), dtype=np.float64)
    if not len(x):
        return result
    con = _cursor()
    con.register("strings", pd.DataFrame({"code": np.arange(len(values)), "value": values}))
    con.register("pairs", pd.DataFrame({"k": np.arange(len(x)), "x": x, "y": y}))
    found = con.execute(
        "SELECT p.k, jaro_winkler_similarity(s.value, t.value) AS jw FROM pairs p"
        " JOIN strings s ON s.code = p.x JOIN strings t ON t.code = p.y"
    ).fetchnumpy()
    con.close()
    result[np.asarray(found["k"], dtype=np.int64)] = np.asarray(found["jw"], dtype=np.float64)
    near = np.zeros(len(result), dtype=bool)
    for threshold in JW_THRESHOLDS:
        near |= np.abs(result - threshold) <= _NEAR
    for k in np.flatnonzero(near).tolist():
        result[k] = jaro_winkler(values[x[k]], values[y[k]])
    return result


def _distinct_pairs(x: Ints, y: Ints, size: int) -> tuple[Ints, Ints, Ints]:
    """The distinct unordered pairs of codes, and where each input pair falls among them."""
    import pandas as pd

    low, high = np.minimum(x, y), np.maximum(x, y)
    inverse, distinct = pd.factorize(low * size + high)
    distinct = np.asarray(distinct, dtype=np.int64)
    return distinct // size, distinct % size, np.asarray(inverse, dtype=np.int64)


@dataclass
class _NameRelations:
    """What two names have in common, per pair: the facts the name levels test."""

    nickname: Bools
    jw: Floats
    initial: Bools
    parts: Bools
    soundex: Bools
    one_edit: Bools  # one letter inserted, deleted, replaced or swapped (asked where sounds agree)
    two_names: Bools  # two given names, one known, the other known or misspelt; not nicknames
    own_names: Bools  # two different names people are given, neither two_names nor nicknames

    def spelled_alike(self, at_least: float, own_apart: bool = True) -> Bools:
        """Jaro-Winkler at least `at_least`, unless the two are two known given names or
        (with `own_apart`) may be two names of their own."""
        alike = (self.jw >= at_least) & ~self.two_names
        return alike & ~self.own_names if own_apart else alike

    def close(self, equal: Bools, own_apart: bool = True) -> Bools:
        """The core's `_close_names`: equal, nicknames, a typo (or a sound spelled somewhat
        alike), an initial, a part."""
        sound = self.soundex & ((self.jw >= 0.80) | self.one_edit)
        near = (self.jw >= 0.92) | sound | self.initial | self.parts
        apart = self.two_names | self.own_names if own_apart else self.two_names
        return equal | self.nickname | (near & ~apart)


class _Names:
    """Facts about each name of the vocabulary, worked out once per name."""

    def __init__(self, values: list[str]) -> None:
        self.names = values
        self.values = np.array(values, dtype=object)
        self.roots = [known_roots(v) for v in values]
        self.has_roots = np.array([bool(r) for r in self.roots], dtype=bool)
        self.given_name = np.array([is_given_name(v) for v in values], dtype=bool)
        self.listed = [listed_reading(v) for v in values]
        self.has_listed = np.array([bool(r) for r in self.listed], dtype=bool)
        self.read = [given_name_read(v) for v in values]
        self.has_read = np.array([bool(r) for r in self.read], dtype=bool)
        self.multipart = np.array([" " in v for v in values], dtype=bool)
        self.length = np.array([len(v) for v in values], dtype=np.int64)
        self.first = np.array([ord(v[0]) if v else -1 for v in values], dtype=np.int64)
        codes = _Vocabulary()
        # -1 for a name with no Latin letters, whose Soundex is none and matches nothing.
        self.soundex = np.array(
            [codes.code(sound) if (sound := soundex(v)) else -1 for v in values], dtype=np.int64
        )

    def relations(self, x: Ints, y: Ints) -> _NameRelations:
        """For each pair of (non-empty) name codes, what the name levels ask of it."""
        size = len(self.values)
        ux, uy, inverse = _distinct_pairs(x, y, size)
        nickname = np.zeros(len(ux), dtype=bool)
        for i in np.flatnonzero(self.has_roots[ux] & self.has_roots[uy]):
            nickname[i] = bool(self.roots[ux[i]] & self.roots[uy[i]])
        parts = np.zeros(len(ux), dtype=bool)
        for i in np.flatnonzero(self.multipart[ux] | self.multipart[uy]):
            x_parts, y_parts = set(self.names[ux[i]].split(" ")), set(self.names[uy[i]].split(" "))
            parts[i] = (len(x_parts) > 1 or len(y_parts) > 1) and bool(x_parts & y_parts)
        different = ux != uy
        two_names = np.zeros(len(ux), dtype=bool)
        either_known = self.given_name[ux] | self.given_name[uy]
        for i in np.flatnonzero(self.has_read[ux] & self.has_read[uy] & different & either_known):
            two_names[i] = not self.read[ux[i]] & self.read[uy[i]]
        own_names = np.zeros(len(ux), dtype=bool)
        maybe = self.has_listed[ux] & self.has_listed[uy] & different & ~nickname & ~two_names
        for i in np.flatnonzero(maybe):
            own_names[i] = not self.listed[ux[i]] & self.listed[uy[i]]
        jw = np.ones(len(ux), dtype=np.float64)
        jw[different] = jaro_winkler_codes(self.names, ux[different], uy[different])
        initial = ((self.length[ux] == 1) | (self.length[uy] == 1)) & (
            self.first[ux] == self.first[uy]
        )
        sound = (self.soundex[ux] == self.soundex[uy]) & (self.soundex[ux] >= 0)
        one_edit = np.zeros(len(ux), dtype=bool)
        for i in np.flatnonzero(sound & different):
            one_edit[i] = edit_distance(self.names[ux[i]], self.names[uy[i]]) <= 1
        return _NameRelations(
            nickname=nickname[inverse],
            jw=jw[inverse],
            initial=initial[inverse],
            parts=parts[inverse],
            soundex=sound[inverse],
            one_edit=one_edit[inverse],
            two_names=two_names[inverse],
            own_names=own_names[inverse],
        )


# --- the comparisons, mirrored ------------------------------------------------------


@dataclass
class _Pairs:
    """The pairs being scored: both sides' columns, and the name facts, computed once."""

    table: Table
    left: Ints
    right: Ints
    names: _Names

    gathered: dict[tuple[str, str], Any] = field(default_factory=dict)

    def a(self, column: str) -> Any:
        """The column's values on each pair's left record."""
        if (column, "a") not in self.gathered:
            self.gathered[column, "a"] = self.table.columns[column][self.left]
        return self.gathered[column, "a"]

    def b(self, column: str) -> Any:
        """The column's values on each pair's right record."""
        if (column, "b") not in self.gathered:
            self.gathered[column, "b"] = self.table.columns[column][self.right]
        return self.gathered[column, "b"]


def _swapped_close(p: _Pairs, which: Bools, own_apart: bool = True) -> Bools:
    """The core's `_swapped_close` for the pairs in `which` (False elsewhere)."""
    ga, fa, gb, fb = p.a("given"), p.a("family"), p.b("given"), p.b("family")
    result = np.zeros(len(ga), dtype=bool)
    todo = np.flatnonzero(which & (ga != 0) & (fa != 0) & (gb != 0) & (fb != 0))
    if not len(todo):
        return result
    first = p.names.relations(ga[todo], fb[todo]).close(ga[todo] == fb[todo], own_apart)
    ahead = todo[first]
    if len(ahead):
        second = p.names.relations(fa[ahead], gb[ahead]).close(fa[ahead] == gb[ahead], own_apart)
        result[ahead[second]] = True
    return result


def _select(levels: Ints, todo: Bools, conditions: Sequence[tuple[Bools, int]]) -> None:
    """Give each pair still in `todo` the first level whose condition holds (in place)."""
    for condition, level in conditions:
        hit = todo & condition
        levels[hit] = level
        todo &= ~hit


def _together(p: _Pairs) -> Bools:
    """Born on one date, or seen at one facility a day apart at most (`_other_patients`)."""
    born = p.a("has_date") & p.b("has_date") & (p.a("year") == p.b("year"))
    born &= (p.a("month") == p.b("month")) & (p.a("day") == p.b("day"))
    da, db = p.a("event_day"), p.b("event_day")
    seen = (p.a("facility") != 0) & (p.a("facility") == p.b("facility"))
    seen &= (da != -1) & (db != -1) & (np.abs(da - db) <= 1)
    result: Bools = born | seen
    return result


def _family_first_apart(p: _Pairs) -> Bools:
    """The core's `family_name_first_apart`: perhaps both written family name first, two
    people."""
    if ("family_first_apart", "pair") in p.gathered:
        return p.gathered["family_first_apart", "pair"]  # type: ignore[no-any-return]
    names = p.names
    ga, gb, fa, fb = p.a("given"), p.b("given"), p.a("family"), p.b("family")
    result = np.zeros(len(ga), dtype=bool)
    todo = np.flatnonzero((ga == gb) & (names.length[ga] > 1) & (fa != 0) & (fb != 0))
    if len(todo):
        family = names.relations(fa[todo], fb[todo])
        # Family names spelled almost alike count only after a name no group reads as given.
        unread = ~names.has_roots[ga[todo]] & ~names.has_read[ga[todo]]
        two = family.two_names | family.own_names
        result[todo] = two & ((family.jw < FAMILY_FIRST_SPELLED_APART) | unread)
    p.gathered["family_first_apart", "pair"] = result
    return result


def _name_level(p: _Pairs, own: str, other: str, placeholder: str) -> Ints:
    """given_name / family_name: the levels up to the name's own tail."""
    oa, ob = p.a(own), p.b(own)
    xa, xb = p.a(other), p.b(other)
    pa, pb = p.a(placeholder), p.b(placeholder)
    ma, mb = p.a("mark"), p.b("mark")
    different = len(NAME_LEVELS) - 1 if own == "given" else len(FAMILY_LEVELS) - 1
    levels = np.zeros(len(oa), dtype=np.int64)
    present = ((oa != 0) | pa) & ((ob != 0) | pb)
    todo = present.copy()
    other_patients = (ma != 0) & (mb != 0) & (ma != mb) & _together(p)  # "Twin A", "Twin B"
    apart = _family_first_apart(p)  # read the right way round: given names differ
    same = (oa == ob) & ~apart if own == "given" else (oa == ob) | apart
    _select(
        levels,
        todo,
        [((pa | pb) & other_patients, different), (pa | pb, 8), (same, 1), (apart, different)],
    )
    swapped = (xa != 0) & (xb != 0) & (oa == xb) & (xa == ob)
    _select(levels, todo, [(swapped, 2)])
    rest = np.flatnonzero(todo)
    if len(rest):
        relations = p.names.relations(oa[rest], ob[rest])
        tail = np.full(len(rest), -1, dtype=np.int64)
        open_ = np.ones(len(rest), dtype=bool)
        # Two names of their own spelled alike: a level of their own, after the swaps.
        alike = np.zeros(len(rest), dtype=bool)
        if own == "given":
            _select(
                tail,
                open_,
                [
                    (relations.nickname, 3),
                    (relations.spelled_alike(0.92), 4),
                    (relations.spelled_alike(0.80), 5),
                    (relations.initial, 6),
                ],
            )
            alike = relations.own_names & (relations.jw >= SPELLED_SOMEWHAT_ALIKE)
        else:
            _select(
                tail,
                open_,
                [
                    (relations.parts, 3),
                    (relations.jw >= 0.92, 4),
                    (relations.soundex, 5),
                    (relations.jw >= 0.80, 6),
                ],
            )
        levels[rest] = tail
        unresolved = np.zeros(len(oa), dtype=bool)
        unresolved[rest[open_]] = True
        # Given names: a swap that is close only taking names of their own as one reads
        # as names of their own alike; family names take it as a swap.
        close = _swapped_close(p, unresolved, own_apart=own == "given")
        names_alike = np.zeros(len(oa), dtype=bool)
        names_alike[rest] = alike
        if own == "given":
            # Only where a name of one record and the other name of the other may both be
            # names of their own can taking them as one make a swap.
            listed = p.names.has_listed
            maybe = (listed[oa] & listed[xb]) | (listed[xa] & listed[ob])
            names_alike |= _swapped_close(p, unresolved & ~close & maybe, own_apart=False)
        levels[unresolved] = np.where(
            close[unresolved], 7, np.where(names_alike[unresolved], 9, different)
        )
    return levels


def _given(p: _Pairs) -> Ints:
    return _name_level(p, "given", "family", "given_placeholder")


def _family(p: _Pairs) -> Ints:
    return _name_level(p, "family", "given", "family_placeholder")


def _suffix(p: _Pairs) -> Ints:
    sa, sb = p.a("suffix"), p.b("suffix")
    levels = np.full(len(sa), 3, dtype=np.int64)
    levels[(sa == 0) | (sb == 0)] = 2
    levels[sa == sb] = 1
    levels[(sa == 0) & (sb == 0)] = 0
    return levels


def _date_digits(table: Table) -> Ints:
    """YYYYMMDD of each record's birth date as eight digits (the core's `digits`)."""
    if "date_digits" not in table.columns:
        year, month, day = table.columns["year"], table.columns["month"], table.columns["day"]
        table.columns["date_digits"] = np.stack(
            [year // 1000 % 10, year // 100 % 10, year // 10 % 10, year % 10]
            + [month // 10, month % 10, day // 10, day % 10],
            axis=1,
        )
    digits: Ints = table.columns["date_digits"]
    return digits


def _birth_date(p: _Pairs) -> Ints:
    ya, yb = p.a("year"), p.b("year")
    ha, hb = p.a("has_year"), p.b("has_year")
    da, db = p.a("has_date"), p.b("has_date")
    ma, mb, dya, dyb = p.a("month"), p.b("month"), p.a("day"), p.b("day")
    pa, pb = p.a("birth_placeholder"), p.b("birth_placeholder")
    levels = np.zeros(len(ya), dtype=np.int64)
    todo = (ha | pa) & (hb | pb)
    _select(levels, todo, [(~ha | ~hb, 8)])
    apart = np.abs(ya - yb)
    year_only = todo & ~(da & db)
    levels[year_only] = np.where(apart[year_only] <= 2, 5 + apart[year_only], 10)
    todo &= ~year_only
    one_digit = np.zeros(len(ya), dtype=bool)
    rest = np.flatnonzero(todo)
    digits = _date_digits(p.table)
    one_digit[rest] = np.count_nonzero(digits[p.left[rest]] != digits[p.right[rest]], axis=1) == 1
    _select(
        levels,
        todo,
        [
            ((ya == yb) & (ma == mb) & (dya == dyb), 1),
            ((ya == yb) & (ma == dyb) & (dya == mb), 2),
            ((ma == mb) & (dya == dyb) & (apart == 1), 3),
            (one_digit, 4),
            (np.abs(p.a("birth_ordinal") - p.b("birth_ordinal")) <= WITHIN_A_MONTH, 9),
        ],
    )
    levels[todo] = 10
    return levels


def _sex(p: _Pairs) -> Ints:
    sa, sb = p.a("sex"), p.b("sex")
    levels = np.where(sa == sb, 1, 2)
    levels[(sa == 0) | (sb == 0)] = 0
    return levels.astype(np.int64)


def _phone_hamming_one(p: _Pairs, which: Bools) -> Bools:
    """The core's `_hamming_one` on the phones of the pairs in `which`."""
    values = p.table.columns["phone_values"]
    result = np.zeros(len(which), dtype=bool)
    todo = np.flatnonzero(which)
    if not len(todo):
        return result
    ux, uy, inverse = _distinct_pairs(p.a("phone")[todo], p.b("phone")[todo], len(values))
    width = max(len(v) for v in values)
    digits = np.zeros((len(values), width), dtype=np.uint32)
    lengths = np.array([len(v) for v in values], dtype=np.int64)
    for code, value in enumerate(values):
        digits[code, : len(value)] = [ord(c) for c in value]
    one = (lengths[ux] == lengths[uy]) & (np.count_nonzero(digits[ux] != digits[uy], axis=1) == 1)
    result[todo] = one[inverse]
    return result


def _phone(p: _Pairs) -> Ints:
    pa, pb = p.a("phone"), p.b("phone")
    values = p.table.columns["phone_values"]
    lengths = np.array([len(v) for v in values], dtype=np.int64)
    shared = p.a("shared_phone") | p.b("shared_phone")
    last7 = (lengths[pa] >= 7) & (p.a("last7") == p.b("last7"))
    levels = np.zeros(len(pa), dtype=np.int64)
    todo = (pa != 0) & (pb != 0)
    _select(levels, todo, [((pa == pb) & ~shared, 1), (last7 & ~shared, 2)])
    _select(levels, todo, [(_phone_hamming_one(p, todo), 3), ((pa == pb) | last7, 4)])
    levels[todo] = 5
    return levels


class _Words:
    """The distinct words of each address, as a matrix of word codes (-1 pads)."""

    WIDTH = 8  # addresses of more words are compared by the core's sets, one by one

    def __init__(self, values: Sequence[str]) -> None:
        vocabulary = _Vocabulary()
        self.sets = [set(v.split(" ")) if v else set() for v in values]
        self.counts = np.array([len(w) for w in self.sets], dtype=np.int64)
        self.matrix = np.full((len(values), self.WIDTH), -1, dtype=np.int64)
        for row, words in enumerate(self.sets):
            if len(words) <= self.WIDTH:
                self.matrix[row, : len(words)] = [vocabulary.code(w) for w in words]

    def half_shared(self, x: Ints, y: Ints) -> Bools:
        """The core's test: the words both share are at least half of all their words."""
        shared = np.zeros(len(x), dtype=np.int64)
        mx, my = self.matrix[x], self.matrix[y]
        for column in range(self.WIDTH):
            word = mx[:, column : column + 1]
            shared += ((my == word) & (word >= 0)).any(axis=1)
        result = 2 * shared >= self.counts[x] + self.counts[y] - shared
        wide = np.flatnonzero((self.counts[x] > self.WIDTH) | (self.counts[y] > self.WIDTH))
        for k in wide.tolist():
            a, b = self.sets[x[k]], self.sets[y[k]]
            result[k] = len(a & b) * 2 >= len(a | b)
        return result


def _address(p: _Pairs) -> Ints:
    aa, ab = p.a("address"), p.b("address")
    levels = np.zeros(len(aa), dtype=np.int64)
    todo = (aa != 0) & (ab != 0)
    _select(levels, todo, [(aa == ab, 1)])
    rest = np.flatnonzero(todo)
    if len(rest):
        values = p.table.addresses
        ux, uy, inverse = _distinct_pairs(aa[rest], ab[rest], len(values))
        jw = jaro_winkler_codes(values, ux, uy)
        tail = np.where(jw >= 0.90, 2, 4)
        words = _Words(values)
        rest_of_tail = np.flatnonzero(tail == 4)
        half = words.half_shared(ux[rest_of_tail], uy[rest_of_tail])
        tail[rest_of_tail[half]] = 3
        levels[rest] = tail[inverse]
    return levels


def _event_facility(p: _Pairs) -> Ints:
    fa, fb = p.a("facility"), p.b("facility")
    ea, eb = p.a("event_day"), p.b("event_day")
    levels = np.full(len(fa), 3, dtype=np.int64)
    days = np.abs(ea - eb)
    same = fa == fb
    levels[same & (days == 1)] = 2
    levels[same & (days == 0)] = 1
    levels[(fa == 0) | (fb == 0) | (ea < 0) | (eb < 0)] = 0
    return levels


NAME_LEVELS = (
    "null",
    "exact",
    "swapped",
    "nickname",
    "jw92",
    "jw80",
    "initial",
    "swapped_close",
    "placeholder",
    "names_alike",
    "else",
)
FAMILY_LEVELS = (
    "null",
    "exact",
    "swapped",
    "part",
    "jw92",
    "soundex",
    "jw80",
    "swapped_close",
    "placeholder",
    "else",
)
# Each mirror with the level names it was written for.
MIRRORS: Mapping[str, tuple[tuple[str, ...], Callable[[_Pairs], Ints]]] = {
    "given_name": (NAME_LEVELS, _given),
    "family_name": (FAMILY_LEVELS, _family),
    "name_suffix": (("null", "exact", "one_only", "else"), _suffix),
    "birth_date": (
        (
            "null",
            "exact",
            "day_month_swapped",
            "year_off_by_one",
            "one_digit",
            "year_same",
            "year_1",
            "year_2",
            "placeholder",
            "within_month",
            "else",
        ),
        _birth_date,
    ),
    "sex": (("null", "exact", "else"), _sex),
    "phone": (("null", "exact", "last7", "one_digit", "shared", "else"), _phone),
    "address": (("null", "exact", "jw90", "tokens", "else"), _address),
    "event_facility": (("null", "same_day", "within_1_day", "else"), _event_facility),
}


def mirrored() -> frozenset[str]:
    """The comparisons scored in bulk; the others fall back to the core, pair by pair."""
    return frozenset(
        c.name
        for c in COMPARISONS
        if c.name in MIRRORS and MIRRORS[c.name][0] == tuple(level.name for level in c.levels)
    )


def comparison_levels(table: Table, left: Ints, right: Ints) -> dict[str, Ints]:
    """Comparison name -> the level of each pair (left[k], right[k]), as the core gives it."""
    pairs = _Pairs(table, left, right, _Names(table.names))
    fast = mirrored()
    levels: dict[str, Ints] = {}
    for comparison in COMPARISONS:
        if comparison.name in fast:
            levels[comparison.name] = MIRRORS[comparison.name][1](pairs)
        else:
            recs = table.records
            levels[comparison.name] = np.array(
                [
                    compare(comparison.name, recs[i], recs[j])
                    for i, j in zip(left, right, strict=True)
                ],
                dtype=np.int64,
            )
    return levels


# --- weights ------------------------------------------------------------------------


def _count_household_once(levels: Mapping[str, Ints], parts: dict[str, Floats]) -> None:
    """The core's `counted_once` for every pair of `one_household`: of the household's facts
    that agree, all but the strongest (the first listed, on a tie) weigh nothing."""

    def sign(comparison: str, level: int) -> Bools:
        return np.asarray(levels[comparison] == level, dtype=np.bool_)

    household = sign(*GIVEN_DIFFERS) & (sign(*SEX_DIFFERS) | sign(*PHONE_SHARED))
    if not household.any():
        return
    agreeing = np.stack(
        [np.where(parts[name] > 0, parts[name], -np.inf) for name in HOUSEHOLD_FACTS]
    )
    strongest = agreeing.argmax(axis=0)
    for k, name in enumerate(HOUSEHOLD_FACTS):
        aside = household & (parts[name] > 0) & (strongest != k)
        parts[name] = np.where(aside, 0.0, parts[name])


def match_weights(levels: Mapping[str, Ints], params: Params) -> Floats:
    """The core's `match_weight` of each pair, summed in the core's order (so bit for bit)."""
    parts = {
        comparison.name: np.array(row, dtype=np.float64)[levels[comparison.name]]
        for comparison, row in zip(COMPARISONS, weight_table(params), strict=True)
    }
    _count_household_once(levels, parts)
    total: Floats | None = None
    for comparison in COMPARISONS:
        part = parts[comparison.name]
        total = part + 0.0 if total is None else total + part
    if total is None:
        raise ValueError("the core defines no comparisons")
    return total + prior_weight(params)


def score(
    table: Table, left: Ints, right: Ints, params: Params, threshold: float
) -> list[tuple[str, str, float, dict[str, int]]]:
    """(id, id, probability, vector) of each pair scoring at least `threshold`, ids in order."""
    # Each pair is compared with its lower id first, as the core's callers compare it.
    rank = np.empty(len(table.ids), dtype=np.int64)
    rank[np.argsort(np.array(table.ids, dtype=object), kind="stable")] = np.arange(len(table.ids))
    flip = rank[left] > rank[right]
    left, right = np.where(flip, right, left), np.where(flip, left, right)
    levels = comparison_levels(table, left, right)
    weights = match_weights(levels, params)
    # Bulk probabilities pick the pairs; the core's own arithmetic gives the figure kept.
    with np.errstate(over="ignore"):
        bulk = 1.0 / (1.0 + np.power(2.0, -weights))
    scored = []
    names = [c.name for c in COMPARISONS]
    columns = [levels[name] for name in names]
    for k in np.flatnonzero(bulk >= threshold - 1e-9):
        probability = match_probability(float(weights[k]))
        if probability < threshold:
            continue
        vector = {name: int(column[k]) for name, column in zip(names, columns, strict=True)}
        scored.append((table.ids[left[k]], table.ids[right[k]], probability, vector))
    scored.sort(key=lambda s: (s[0], s[1]))
    return scored
