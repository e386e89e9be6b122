"""Pieces of the comparison levels' SQL that DuckDB and Spark share, given each dialect's
own spelling of what differs (`linkage_model.LEVEL_SQL`, `spark_backend.SPARK_LEVEL_SQL`)."""

from __future__ import annotations

from collections.abc import Callable

from coresponder.domain.linkage import FAMILY_FIRST_SPELLED_APART


def own_names_sql(x: str, y: str, size: str, overlap: str) -> str:
    """`linkage.names_of_their_own` where the levels before have ruled out one name and
    nicknames: each may be a listed given name, and none that either may be is the
    other's. `size` and `overlap` are the dialect's length of a list and its test of two
    lists sharing an item."""
    return (
        f"({size}({x}_listed_l) > 0 AND {size}({y}_listed_r) > 0"
        f" AND NOT {overlap}({x}_listed_l, {y}_listed_r))"
    )


def apart_sql(two_names: str, own_names: str, x: str, y: str, overlap: str) -> str:
    """Two given names, by the groups (`two_names`, the dialect's `two_given_names`) or as
    names of their own (`own_names`), neither a nickname of the other."""
    return f"({two_names} OR (NOT {overlap}({x}_roots_l, {y}_roots_r) AND {own_names}))"


def swapped_sql(close: Callable[[str, str], str]) -> str:
    """Given and family names swapped, each close to the other record's by `close` (the
    dialect's `linkage._close_names`, strict or taking names of their own as one)."""
    return (
        "given_l IS NOT NULL AND family_l IS NOT NULL AND given_r IS NOT NULL"
        f" AND family_r IS NOT NULL AND {close('given', 'family')} AND {close('family', 'given')}"
    )


def swapped_own_sql(own_names: Callable[[str, str], str], lenient: str) -> str:
    """`linkage._swapped_own`: the cheap test of names of their own first, then the swap
    taking them as one (`lenient`)."""
    return f"({own_names('given', 'family')} OR {own_names('family', 'given')}) AND {lenient}"


def family_first_apart_sql(two_names_sql: Callable[[str, str], str], size: str) -> str:
    """`linkage.family_name_first_apart`: the given-name fields agree and the family-name
    fields hold two given names, spelled apart or after a given-name field no group reads
    as a given name, so the records are read as written family name first. `size` is the
    dialect's length of a list."""
    return (
        "COALESCE(given_l = given_r AND length(given_l) > 1 AND family_l <> family_r"
        f" AND {two_names_sql('family', 'family')}"
        f" AND (jaro_winkler_similarity(family_l, family_r) < {FAMILY_FIRST_SPELLED_APART}"
        f" OR ({size}(given_roots_l) = 0 AND {size}(given_read_l) = 0)), FALSE)"
    )


def unless(apart_sql: str, conditions: tuple[str, ...], placeholder: int) -> tuple[str, ...]:
    """The given-name levels with none after null holding where `apart_sql` does: such a
    pair falls to else, given names that differ. Only given names written the same are
    ever apart, and the core gives them the exact level or else, so every level but exact
    and the placeholder's (`placeholder`, whose names are blank) asks that they differ:
    the long test is written once, in the exact level."""
    gated = []
    for index, sql in enumerate(conditions):
        if index == 0 or index == placeholder:
            gated.append(sql)
        elif index == 1:
            gated.append(f"NOT {apart_sql} AND ({sql})")
        else:
            gated.append(f"given_l <> given_r AND ({sql})")
    return tuple(gated)
