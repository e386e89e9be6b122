"""Training and batch scoring of the linkage model.

Training runs Splink on DuckDB: each comparison of the pure core
(`coresponder.domain.linkage.COMPARISONS`) becomes a Splink comparison whose
levels call the core's own comparison through a DuckDB function, so the trained
m and u probabilities belong to exactly the levels the online scorer uses. u is
estimated by random sampling, m by expectation maximisation over blocked pairs:
no labels needed, the deployment's own records suffice.

Batch scoring does not go back to Splink: candidate pairs come from the same
blocking keys the online index holds and are scored with the trained weights,
so a batch run and an online lookup give one pair the same probability. The
work is done in bulk (`batch_scoring`: one DuckDB self-join for the pairs, the
core's levels over arrays), with the same answer as the core pair by pair.

Only `load_source_records` touches the ORM.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from coresponder.domain.linkage import (
    COMPARISONS,
    COMPARISONS_BY_NAME,
    DEFAULT_PARAMS,
    WITHIN_A_MONTH,
    Params,
    Record,
    digits,
    given_name_read,
    is_given_name,
    known_roots,
    listed_reading,
    normalise,
    soundex,
)
from coresponder.identity import batch_scoring, spark_backend
from coresponder.identity.actions import linkage_record
from coresponder.identity.level_sql import (
    apart_sql,
    family_first_apart_sql,
    own_names_sql,
    swapped_own_sql,
    swapped_sql,
    unless,
)
from coresponder.identity.matching import phone_key, shared_phone_keys
from coresponder.identity.models import LINKAGE_FIELDS, SourceRecord

# A blocking key shared by more records than this is too common to tell anyone
# apart (a placeholder birth date, a shared shelter phone); its pairs are skipped.
MAX_BLOCK = 400
# Random pairs for estimating u; enough for stable rare-level estimates.
U_SAMPLE_PAIRS = 1_000_000


@dataclass(frozen=True)
class ScoredPair:
    a: str
    b: str
    probability: float
    vector: Mapping[str, int]


# --- training with Splink on DuckDB ----------------------------------------------


# Each domain level as DuckDB SQL over the columns `_rows` precomputes, in the
# domain's order (level 0 is null, the last is else). DuckDB's
# jaro_winkler_similarity is the same measure as the domain's; the test suite
# checks every level against `compare` on random pairs.
# Swapped with one more change (`linkage._close_names` both ways across): each name
# lands equal, a nickname, a typo (or the same sound, spelled alike), an initial or a
# shared part of the other record's other name.
def _two_names_sql(x: str, y: str) -> str:
    """`linkage.two_given_names` across: one name known, each read as a known one, apart."""
    return (
        f"(({x}_known_l OR {y}_known_r) AND len({x}_read_l) > 0 AND len({y}_read_r) > 0"
        f" AND NOT list_has_any({x}_read_l, {y}_read_r))"
    )


def _own_names_sql(x: str, y: str) -> str:
    return own_names_sql(x, y, "len", "list_has_any")


def _close_sql(x: str, y: str, own_apart: bool = True) -> str:
    own = f" AND NOT {_own_names_sql(x, y)}" if own_apart else ""
    return (
        f"({x}_l = {y}_r OR list_has_any({x}_roots_l, {y}_roots_r)"
        f" OR (NOT {_two_names_sql(x, y)}{own}"
        f" AND (jaro_winkler_similarity({x}_l, {y}_r) >= 0.92"
        f" OR ({x}_sx_l = {y}_sx_r AND (jaro_winkler_similarity({x}_l, {y}_r) >= 0.80"
        f" OR damerau_levenshtein({x}_l, {y}_r) <= 1))"
        f" OR ((length({x}_l) = 1 OR length({y}_r) = 1) AND left({x}_l, 1) = left({y}_r, 1))"
        f" OR ((len({x}_parts_l) > 1 OR len({y}_parts_r) > 1)"
        f" AND list_has_any({x}_parts_l, {y}_parts_r)))))"
    )


SWAPPED_CLOSE_SQL = swapped_sql(_close_sql)
# The same, taking two names that may each be a name of their own as close: where only
# that makes it a swap, the given names are read as names of their own alike.
SWAPPED_LENIENT_SQL = swapped_sql(lambda x, y: _close_sql(x, y, own_apart=False))
SWAPPED_OWN_SQL = swapped_own_sql(_own_names_sql, SWAPPED_LENIENT_SQL)

# Placeholder names whose marks differ, born or seen together ("Twin A", "Twin B"): two
# people, not a blank (`linkage._other_patients`).
OTHER_PATIENTS_SQL = (
    "COALESCE(mark_l <> mark_r AND (birth_date_l = birth_date_r OR (facility_l = facility_r"
    " AND abs(date_diff('day', event_date_l, event_date_r)) <= 1)), FALSE)"
)


# Records that may both write the family name first, for two people: the given names read
# as different, the family names as the same.
def _apart_sql(x: str, y: str) -> str:
    return apart_sql(_two_names_sql(x, y), _own_names_sql(x, y), x, y, "list_has_any")


FAMILY_FIRST_APART_SQL = family_first_apart_sql(_apart_sql, "len")


LEVEL_SQL: Mapping[str, tuple[str, ...]] = {
    "given_name": unless(
        FAMILY_FIRST_APART_SQL,
        (
            "(given_l IS NULL AND NOT given_ph_l) OR (given_r IS NULL AND NOT given_ph_r)",
            "given_l = given_r",
            "family_l IS NOT NULL AND family_r IS NOT NULL"
            " AND given_l = family_r AND family_l = given_r",
            "list_has_any(given_roots_l, given_roots_r)",
            f"NOT {_two_names_sql('given', 'given')} AND NOT {_own_names_sql('given', 'given')}"
            " AND jaro_winkler_similarity(given_l, given_r) >= 0.92",
            f"NOT {_two_names_sql('given', 'given')} AND NOT {_own_names_sql('given', 'given')}"
            " AND jaro_winkler_similarity(given_l, given_r) >= 0.80",
            "(length(given_l) = 1 OR length(given_r) = 1) AND left(given_l, 1) = left(given_r, 1)",
            SWAPPED_CLOSE_SQL,
            f"(given_ph_l OR given_ph_r) AND NOT {OTHER_PATIENTS_SQL}",
            f"(NOT {_two_names_sql('given', 'given')} AND {_own_names_sql('given', 'given')}"
            f" AND jaro_winkler_similarity(given_l, given_r) >= 0.80) OR ({SWAPPED_OWN_SQL})",
        ),
        placeholder=COMPARISONS_BY_NAME["given_name"].index("placeholder"),
    ),
    "family_name": (
        "(family_l IS NULL AND NOT family_ph_l) OR (family_r IS NULL AND NOT family_ph_r)",
        f"family_l = family_r OR {FAMILY_FIRST_APART_SQL}",
        "given_l IS NOT NULL AND given_r IS NOT NULL AND given_l = family_r AND family_l = given_r",
        "(len(family_parts_l) > 1 OR len(family_parts_r) > 1)"
        " AND list_has_any(family_parts_l, family_parts_r)",
        "jaro_winkler_similarity(family_l, family_r) >= 0.92",
        "family_sx_l = family_sx_r",
        "jaro_winkler_similarity(family_l, family_r) >= 0.80",
        SWAPPED_LENIENT_SQL,
        f"(family_ph_l OR family_ph_r) AND NOT {OTHER_PATIENTS_SQL}",
    ),
    "name_suffix": (
        "suffix_l IS NULL AND suffix_r IS NULL",
        "suffix_l = suffix_r",
        "suffix_l IS NULL OR suffix_r IS NULL",
    ),
    "birth_date": (
        "(birth_year_l IS NULL AND NOT birth_ph_l) OR (birth_year_r IS NULL AND NOT birth_ph_r)",
        "birth_date_l = birth_date_r",
        "birth_year_l = birth_year_r AND birth_month_l = birth_day_r"
        " AND birth_day_l = birth_month_r",
        "birth_month_l = birth_month_r AND birth_day_l = birth_day_r"
        " AND abs(birth_year_l - birth_year_r) = 1",
        "hamming(birth_digits_l, birth_digits_r) = 1",
        "(birth_date_l IS NULL OR birth_date_r IS NULL) AND birth_year_l = birth_year_r",
        "(birth_date_l IS NULL OR birth_date_r IS NULL) AND abs(birth_year_l - birth_year_r) = 1",
        "(birth_date_l IS NULL OR birth_date_r IS NULL) AND abs(birth_year_l - birth_year_r) = 2",
        "birth_ph_l OR birth_ph_r",
        f"abs(birth_ordinal_l - birth_ordinal_r) <= {WITHIN_A_MONTH}",
    ),
    "sex": ("sex_l IS NULL OR sex_r IS NULL", "sex_l = sex_r"),
    "phone": (
        "phone_l IS NULL OR phone_r IS NULL",
        "phone_l = phone_r AND NOT (shared_phone_l OR shared_phone_r)",
        "length(phone_l) >= 7 AND right(phone_l, 7) = right(phone_r, 7)"
        " AND NOT (shared_phone_l OR shared_phone_r)",
        "length(phone_l) = length(phone_r) AND hamming("
        "left(phone_l, least(length(phone_l), length(phone_r))),"
        " left(phone_r, least(length(phone_l), length(phone_r)))) = 1",
        "phone_l = phone_r OR (length(phone_l) >= 7 AND right(phone_l, 7) = right(phone_r, 7))",
    ),
    "address": (
        "address_l IS NULL OR address_r IS NULL",
        "address_l = address_r",
        "jaro_winkler_similarity(address_l, address_r) >= 0.90",
        "2 * len(list_intersect(address_words_l, address_words_r))"
        " >= len(address_words_l) + len(address_words_r)"
        " - len(list_intersect(address_words_l, address_words_r))",
    ),
    "event_facility": (
        "facility_l IS NULL OR facility_r IS NULL OR event_date_l IS NULL OR event_date_r IS NULL",
        "facility_l = facility_r AND event_date_l = event_date_r",
        "facility_l = facility_r AND abs(date_diff('day', event_date_l, event_date_r)) = 1",
    ),
}


def _rows(records: Iterable[tuple[str, Record]]) -> list[dict[str, Any]]:
    """One row per record: the normalised fields and what the level SQL needs."""
    rows = []
    for index, (_, record) in enumerate(records):
        r = normalise(record)
        dob = r.birth_date
        rows.append(
            {
                "unique_id": index,
                "given": r.given or None,
                "family": r.family or None,
                "given_ph": r.given_placeholder,
                "family_ph": r.family_placeholder,
                "mark": r.placeholder_mark or None,
                "given_roots": sorted(known_roots(r.given)),
                "family_roots": sorted(known_roots(r.family)),
                "given_known": is_given_name(r.given),
                "given_listed": sorted(listed_reading(r.given)),
                "family_listed": sorted(listed_reading(r.family)),
                "family_known": is_given_name(r.family),
                "given_read": sorted(given_name_read(r.given)),
                "family_read": sorted(given_name_read(r.family)),
                "given_parts": sorted(set(r.given.split(" "))) if r.given else [],
                "family_parts": sorted(set(r.family.split(" "))) if r.family else [],
                "given_sx": soundex(r.given) or None,
                "family_sx": soundex(r.family) or None,
                "suffix": r.suffix or None,
                "birth_date": dob.isoformat() if dob else None,
                "birth_year": dob.year if dob else r.birth_year,
                "birth_month": dob.month if dob else None,
                "birth_day": dob.day if dob else None,
                "birth_digits": digits(dob) if dob else None,
                "birth_ordinal": dob.toordinal() if dob else None,
                "birth_ph": r.birth_date_placeholder,
                "sex": r.sex or None,
                "phone": r.phone or None,
                "shared_phone": r.shared_phone,
                "address": r.address or None,
                "address_words": sorted(set(r.address.split(" "))) if r.address else [],
                "facility": r.facility or None,
                "event_date": r.event_date,
            }
        )
    return rows


def _frame(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    frame = pd.DataFrame(rows)
    for column in ("birth_year", "birth_month", "birth_day", "birth_ordinal"):
        frame[column] = frame[column].astype("Int64")
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    return frame


def _splink_comparison(name: str, level_sql: Mapping[str, tuple[str, ...]] = LEVEL_SQL) -> Any:
    from splink import comparison_library as cl

    comparison = COMPARISONS_BY_NAME[name]
    conditions = level_sql[name]
    levels: list[Any] = [
        {"sql_condition": conditions[0], "label_for_charts": "null", "is_null_level": True}
    ]
    # A neutral level (a placeholder) is a null level to Splink too: weight 0, not trained.
    levels += [
        {
            "sql_condition": sql,
            "label_for_charts": comparison.levels[i].name,
            **({"is_null_level": True} if comparison.levels[i].neutral else {}),
        }
        for i, sql in enumerate(conditions[1:], start=1)
    ]
    levels.append({"sql_condition": "ELSE", "label_for_charts": "else"})
    return cl.CustomComparison(
        comparison_levels=levels, output_column_name=name, comparison_description=name
    )


def backend_label() -> str:
    """Where training runs, in words: the configured backend (LINKAGE_BACKEND)."""
    if settings.LINKAGE_BACKEND == "spark":
        return f"Spark ({settings.SPARK_MASTER})"
    return "DuckDB"


def _linker(rows: list[dict[str, Any]], blocking: list[Any] | None = None) -> Any:
    """Splink's Linker on the configured backend: DuckDB here, or Spark (`spark_backend`)."""
    from splink import DuckDBAPI, Linker, SettingsCreator

    on_spark = settings.LINKAGE_BACKEND == "spark"
    level_sql = spark_backend.SPARK_LEVEL_SQL if on_spark else LEVEL_SQL
    model_settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[_splink_comparison(c.name, level_sql) for c in COMPARISONS],
        blocking_rules_to_generate_predictions=blocking or ["l.birth_date = r.birth_date"],
        probability_two_random_records_match=DEFAULT_PARAMS.prior,
        retain_matching_columns=False,
    )
    logging.getLogger("splink").setLevel(logging.WARNING)
    if on_spark:
        spark = spark_backend.session(settings.SPARK_MASTER)
        return Linker(
            spark_backend.frame(spark, rows), model_settings, spark_backend.database_api(spark)
        )
    return Linker(_frame(rows), model_settings, DuckDBAPI())


def _params_from_model(model: Mapping[str, Any], fallback: Params) -> Params:
    """The trained m and u of each level, found by its label; null and neutral levels keep 1."""
    m, u = dict(fallback.m), dict(fallback.u)
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        domain = COMPARISONS_BY_NAME[name]
        trained_m, trained_u = list(fallback.m[name]), list(fallback.u[name])
        for lvl in comparison["comparison_levels"]:
            if lvl.get("is_null_level"):
                continue
            i = domain.index(lvl["label_for_charts"])
            trained_m[i] = float(lvl.get("m_probability") or trained_m[i])
            trained_u[i] = float(lvl.get("u_probability") or trained_u[i])
        m[name], u[name] = tuple(trained_m), tuple(trained_u)
    prior = float(model.get("probability_two_random_records_match") or fallback.prior)
    return Params(m=m, u=u, prior=prior)


def train_model(
    records: Iterable[tuple[str, Record]],
    *,
    seed: int = 42,
    u_pairs: int = U_SAMPLE_PAIRS,
    prior_recall: float = 0.8,
) -> Params:
    """Parameters trained on unlabelled records: u by random sampling, m by EM."""
    rows = _rows(records)
    if len(rows) < 10:
        return DEFAULT_PARAMS
    linker = _linker(rows)
    linker.training.estimate_probability_two_random_records_match(
        ["l.birth_date = r.birth_date and l.family = r.family and l.given = r.given"],
        recall=prior_recall,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    # Each session blocks on the columns of some comparisons and trains the
    # others; together every comparison is trained at least once.
    for rule in (
        "l.birth_date = r.birth_date",
        "l.given = r.given and l.family = r.family",
        "l.phone = r.phone",
    ):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception:  # a session with too few pairs trains nothing; others still do
            logging.getLogger(__name__).info("EM session %s skipped", rule, exc_info=True)
    return _params_from_model(linker.misc.save_model_to_json(), DEFAULT_PARAMS)


# --- batch scoring ---------------------------------------------------------------


def candidate_pairs(
    records: Mapping[str, Record], *, group: Mapping[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """Each pair of record ids sharing a blocking key, once; across groups only if given."""
    table = batch_scoring.build_table(records.items())
    left, right = batch_scoring.candidate_pairs(table, MAX_BLOCK, group)
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        a, b = table.ids[i], table.ids[j]
        yield (a, b) if a < b else (b, a)


def predict_pairs(
    records: Iterable[tuple[str, Record]],
    params: Params,
    threshold: float,
    *,
    group: Mapping[str, str] | None = None,
) -> list[ScoredPair]:
    """Candidate pairs scoring at least `threshold`, with their comparison vectors.

    The pairs and their vectors are the core's (`blocking_keys`, `comparison_vector`),
    worked out in bulk (`batch_scoring`); a pair's ids come in order, lower first.
    """
    table = batch_scoring.build_table(records)
    left, right = batch_scoring.candidate_pairs(table, MAX_BLOCK, group)
    return [
        ScoredPair(a, b, probability, vector)
        for a, b, probability, vector in batch_scoring.score(table, left, right, params, threshold)
    ]


def cluster(pairs: Iterable[ScoredPair], threshold: float) -> list[set[str]]:
    """Connected components of the pairs at or above `threshold` (singletons left out)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        if pair.probability >= threshold:
            ra, rb = find(pair.a), find(pair.b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, set[str]] = defaultdict(set)
    for x in parent:
        groups[find(x)].add(x)
    return [g for g in groups.values() if len(g) > 1]


# --- the thin ORM loader ----------------------------------------------------------


def load_source_records() -> list[tuple[str, Record, int]]:
    """Every source record as (id, linkage record, person id), for training and dedupe.

    A phone many people give is marked as online matching marks it (`shared_phone_keys`),
    so the batch weighs a shelter's number as weakly as the referral form does.
    """
    shared = shared_phone_keys()
    rows = SourceRecord.objects.filter(person__merged_into__isnull=True).only(
        "id", "person_id", *LINKAGE_FIELDS
    )
    loaded = []
    for row in rows.iterator():
        record = linkage_record(row)
        if phone_key(record) in shared:
            record = replace(record, shared_phone=True)
        loaded.append((str(row.pk), record, row.person_id))
    return loaded
