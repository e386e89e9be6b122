"""Training the linkage model on Spark, for a registry too large for one machine.

With `LINKAGE_BACKEND=spark`, `linkage_model._linker` builds Splink's Linker on a
Spark session from here instead of on DuckDB. The model is the same: each level
below is the DuckDB level of `linkage_model.LEVEL_SQL` in Spark SQL, and where
Spark has no such function (Jaro-Winkler, Hamming) a Spark function calls the
pure core's own comparison, so the trained m and u belong to exactly the levels
the online scorer uses. The test suite checks every level against the core.

pyspark is imported only here and only inside the functions, so a deployment
training on DuckDB never loads it (it is the optional `spark` extra). The session
downloads nothing: no `spark.jars.packages`, and Splink's own Scala functions are
not used.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from coresponder.domain.linkage import (
    COMPARISONS_BY_NAME,
    WITHIN_A_MONTH,
    edit_distance,
    jaro_winkler,
)
from coresponder.identity.level_sql import (
    apart_sql,
    family_first_apart_sql,
    own_names_sql,
    swapped_own_sql,
    swapped_sql,
    unless,
)


# Each domain level as Spark SQL over the columns `linkage_model._rows` precomputes,
# in the domain's order (level 0 is null, the last is else), level for level the
# DuckDB SQL: list_has_any is arrays_overlap, len of a list is size, list_intersect
# is array_intersect, date_diff('day', a, b) is datediff(b, a); the functions
# Spark lacks are registered by `register_functions`.
def _two_names_sql(x: str, y: str) -> str:
    """`linkage_model._two_names_sql` in Spark SQL."""
    return (
        f"(({x}_known_l OR {y}_known_r) AND size({x}_read_l) > 0 AND size({y}_read_r) > 0"
        f" AND NOT arrays_overlap({x}_read_l, {y}_read_r))"
    )


def _own_names_sql(x: str, y: str) -> str:
    return own_names_sql(x, y, "size", "arrays_overlap")


def _close_sql(x: str, y: str, own_apart: bool = True) -> str:
    """`linkage_model._close_sql` in Spark SQL."""
    own = f" AND NOT {_own_names_sql(x, y)}" if own_apart else ""
    return (
        f"({x}_l = {y}_r OR arrays_overlap({x}_roots_l, {y}_roots_r)"
        f" OR (NOT {_two_names_sql(x, y)}{own}"
        f" AND (jaro_winkler_similarity({x}_l, {y}_r) >= 0.92"
        f" OR ({x}_sx_l = {y}_sx_r AND (jaro_winkler_similarity({x}_l, {y}_r) >= 0.80"
        f" OR damerau_levenshtein({x}_l, {y}_r) <= 1))"
        f" OR ((length({x}_l) = 1 OR length({y}_r) = 1) AND left({x}_l, 1) = left({y}_r, 1))"
        f" OR ((size({x}_parts_l) > 1 OR size({y}_parts_r) > 1)"
        f" AND arrays_overlap({x}_parts_l, {y}_parts_r)))))"
    )


SWAPPED_CLOSE_SQL = swapped_sql(_close_sql)
# The same, taking two names that may each be a name of their own as close: where only
# that makes it a swap, the given names are read as names of their own alike.
SWAPPED_LENIENT_SQL = swapped_sql(lambda x, y: _close_sql(x, y, own_apart=False))
SWAPPED_OWN_SQL = swapped_own_sql(_own_names_sql, SWAPPED_LENIENT_SQL)

# Placeholder names whose marks differ, born or seen together ("Twin A", "Twin B"): two
# people, not a blank (`linkage._other_patients`).
OTHER_PATIENTS_SQL = (
    "COALESCE(mark_l <> mark_r AND (birth_date_l = birth_date_r"
    " OR (facility_l = facility_r AND abs(datediff(event_date_r, event_date_l)) <= 1)), FALSE)"
)


# Records that may both write the family name first, for two people: the given names read
# as different, the family names as the same.
def _apart_sql(x: str, y: str) -> str:
    return apart_sql(_two_names_sql(x, y), _own_names_sql(x, y), x, y, "arrays_overlap")


FAMILY_FIRST_APART_SQL = family_first_apart_sql(_apart_sql, "size")


SPARK_LEVEL_SQL: Mapping[str, tuple[str, ...]] = {
    "given_name": unless(
        FAMILY_FIRST_APART_SQL,
        (
            "(given_l IS NULL AND NOT given_ph_l) OR (given_r IS NULL AND NOT given_ph_r)",
            "given_l = given_r",
            "family_l IS NOT NULL AND family_r IS NOT NULL"
            " AND given_l = family_r AND family_l = given_r",
            "arrays_overlap(given_roots_l, given_roots_r)",
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
        "(size(family_parts_l) > 1 OR size(family_parts_r) > 1)"
        " AND arrays_overlap(family_parts_l, family_parts_r)",
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
        "length(phone_l) = length(phone_r) AND hamming(phone_l, phone_r) = 1",
        "phone_l = phone_r OR (length(phone_l) >= 7 AND right(phone_l, 7) = right(phone_r, 7))",
    ),
    "address": (
        "address_l IS NULL OR address_r IS NULL",
        "address_l = address_r",
        "jaro_winkler_similarity(address_l, address_r) >= 0.90",
        "2 * size(array_intersect(address_words_l, address_words_r))"
        " >= size(address_words_l) + size(address_words_r)"
        " - size(array_intersect(address_words_l, address_words_r))",
    ),
    "event_facility": (
        "facility_l IS NULL OR facility_r IS NULL OR event_date_l IS NULL OR event_date_r IS NULL",
        "facility_l = facility_r AND event_date_l = event_date_r",
        "facility_l = facility_r AND abs(datediff(event_date_r, event_date_l)) = 1",
    ),
}

# The columns of `linkage_model._rows`, in order, with their Spark SQL types: given
# outright, so a column every record leaves empty still has its type.
COLUMNS: Sequence[tuple[str, str]] = (
    ("unique_id", "bigint"),
    ("given", "string"),
    ("family", "string"),
    ("given_ph", "boolean"),
    ("family_ph", "boolean"),
    ("mark", "string"),
    ("given_roots", "array<string>"),
    ("family_roots", "array<string>"),
    ("given_known", "boolean"),
    ("given_listed", "array<string>"),
    ("family_listed", "array<string>"),
    ("family_known", "boolean"),
    ("given_read", "array<string>"),
    ("family_read", "array<string>"),
    ("given_parts", "array<string>"),
    ("family_parts", "array<string>"),
    ("given_sx", "string"),
    ("family_sx", "string"),
    ("suffix", "string"),
    ("birth_date", "string"),
    ("birth_year", "int"),
    ("birth_month", "int"),
    ("birth_day", "int"),
    ("birth_digits", "string"),
    ("birth_ordinal", "int"),
    ("birth_ph", "boolean"),
    ("sex", "string"),
    ("phone", "string"),
    ("shared_phone", "boolean"),
    ("address", "string"),
    ("address_words", "array<string>"),
    ("facility", "string"),
    ("event_date", "date"),
)

# Every session: no web UI (it would show records to anyone reaching the port), no
# progress bars in the command's output.
SESSION_CONFIG: Mapping[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
}
# A local session (SPARK_MASTER=local[N]) on this machine alone, for trying the Spark
# path on small data (on one machine DuckDB trains faster): few shuffle partitions,
# queries interpreted rather than compiled (compiling each of Splink's many small
# queries takes longer than running it), the driver on the loopback address, and
# Spark's Python workers on this interpreter, which has the core installed. On a
# cluster these come from its own configuration (spark-defaults.conf), and its
# executors need Coresponder installed for the registered functions.
LOCAL_CONFIG: Mapping[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.memory": "2g",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}

MISSING_JAVA = (
    "LINKAGE_BACKEND=spark needs a Java runtime, 17 or later: install default-jre-headless "
    "(`make spark-deps`) or set JAVA_HOME to one."
)
MISSING_PYSPARK = (
    "LINKAGE_BACKEND=spark needs pyspark: install Coresponder with its spark extra "
    "(pip install -c constraints.txt 'coresponder[spark]')."
)


def java() -> str:
    """The java executable Spark will start, or ImproperlyConfigured naming what to install."""
    home = os.environ.get("JAVA_HOME", "")
    candidate = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not candidate or not os.access(candidate, os.X_OK):
        raise ImproperlyConfigured(MISSING_JAVA)
    return candidate


def session(master: str) -> Any:
    """The process's Spark session on `master`, with the level functions registered."""
    java()
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise ImproperlyConfigured(MISSING_PYSPARK) from error
    local = master.startswith("local")
    if local:
        # PySpark starts its Python workers with this, not with spark.pyspark.python.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    config = {**SESSION_CONFIG, **(LOCAL_CONFIG if local else {})}
    builder = SparkSession.builder.master(master).appName("coresponder-linkage")
    for key, value in config.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    register_functions(spark)
    return spark


def jaro_winkler_similarity(a: str | None, b: str | None) -> float | None:
    """The core's Jaro-Winkler similarity; null when either side is (as in DuckDB)."""
    if a is None or b is None:
        return None
    return jaro_winkler(a, b)


def damerau_levenshtein(a: str | None, b: str | None) -> int | None:
    """The core's edit distance (a swap of neighbours is one edit); null when either side is."""
    if a is None or b is None:
        return None
    return edit_distance(a, b)


def hamming(a: str | None, b: str | None) -> int | None:
    """Positions at which two strings of one length differ; null otherwise (as in DuckDB)."""
    if a is None or b is None or len(a) != len(b):
        return None
    return sum(x != y for x, y in zip(a, b, strict=True))


def register_functions(spark: Any) -> None:
    """The functions the level SQL calls that Spark SQL lacks, under DuckDB's names."""
    from pyspark.sql.types import DoubleType, IntegerType

    functions: dict[str, tuple[Any, Any]] = {
        "jaro_winkler_similarity": (jaro_winkler_similarity, DoubleType()),
        "hamming": (hamming, IntegerType()),
        "damerau_levenshtein": (damerau_levenshtein, IntegerType()),
    }
    for name, (function, kind) in functions.items():
        if not spark.catalog.functionExists(name):
            spark.udf.register(name, function, kind)


def frame(spark: Any, rows: Sequence[Mapping[str, Any]]) -> Any:
    """The rows of `linkage_model._rows` as a Spark DataFrame of the declared columns."""
    schema = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    return spark.createDataFrame(
        [tuple(row[name] for name, _ in COLUMNS) for row in rows], schema=schema
    )


def database_api(spark: Any) -> Any:
    """Splink's Spark backend on `spark`, keeping intermediate tables in the session.

    Splink writes each intermediate table to the checkpoint directory as Parquet when
    the session has one (set `spark.checkpoint.dir` on a cluster), or else persists
    it in the session's memory and local disk. Splink's Scala functions are not
    registered: the levels use only Spark SQL and `register_functions`.
    """
    from splink import SparkAPI

    checkpoints = spark.sparkContext.getCheckpointDir()
    return SparkAPI(
        spark_session=spark,
        break_lineage_method="parquet" if checkpoints else "persist",
        register_udfs_automatically=False,
    )
