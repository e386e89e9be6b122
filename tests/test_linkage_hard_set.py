"""The linkage bench's hard set: reproducible, every pattern present, its datasheet current."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

LINKAGE_BENCH = Path(__file__).resolve().parent.parent / "bench" / "linkage"
if str(LINKAGE_BENCH) not in sys.path:
    sys.path.append(str(LINKAGE_BENCH))

import dataset  # noqa: E402
import hard  # noqa: E402

from coresponder.domain import linkage  # noqa: E402
from coresponder.domain.linkage import Record  # noqa: E402


def _row(n: int, family: str, phone: str, entity: str = "") -> dataset.Row:
    return dataset.Row(f"r{n}", Record(given="ann", family=family, phone=phone), "x", entity)


def test_the_same_seed_gives_the_same_rows_and_another_seed_others() -> None:
    first, again, other = hard.generate(300), hard.generate(300), hard.generate(300, seed=7)
    assert first == again
    assert first != other


def test_every_pattern_occurs_at_the_default_size() -> None:
    figures = hard.composition(hard.generate())
    assert set(hard.REPORT_PATTERNS) <= set(figures["records_by_pattern"])
    assert set(hard.PERSON_PATTERNS) <= set(figures["people_by_pattern"])
    assert set(hard.HOUSEHOLD_KINDS) <= set(figures["confusable_pairs"])
    twins = 2 * round(hard.PEOPLE * hard.ALIKE_NAMED_SHARE)
    assert figures["people"] == hard.PEOPLE + twins


def test_the_alike_named_twins_leave_the_rest_of_the_set_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = hard.generate(300)
    twins = [row for row in rows if "alike_named_twin" in row.tags]
    assert twins and rows[-len(twins) :] == twins
    monkeypatch.setattr(hard, "ALIKE_NAMED_SHARE", 0.0)
    assert hard.generate(300) == rows[: -len(twins)]


def test_the_alike_named_twins_names_are_two_names_of_their_own_spelled_alike() -> None:
    # Each pair tests what the set says it does: names the core cannot tell from a typo
    # by their spelling, and one or both unknown to the nickname groups.
    for one, other, sex in hard.ALIKE_NAMED:
        twin = Record(given=one, family="okoye", sex=sex)
        vector = linkage.comparison_vector(twin, Record(given=other, family="okoye", sex=sex))
        level = linkage.COMPARISONS_BY_NAME["given_name"].levels[vector["given_name"]].name
        assert level == "names_alike", (one, other)
        assert not (linkage.is_given_name(one) and linkage.is_given_name(other))


def test_the_datasheet_gives_the_generators_composition() -> None:
    assert hard.composition_markdown() in hard.DATASHEET.read_text(encoding="utf-8")


def test_a_phone_on_five_records_is_shared() -> None:
    rows = [_row(n, "smith", "215 555 0101") for n in range(5)]
    assert all(row.record.shared_phone for row in dataset.mark_shared_phones(rows))
    assert not any(row.record.shared_phone for row in dataset.mark_shared_phones(rows[:4]))


def test_a_phone_given_under_three_family_names_that_sound_different_is_shared() -> None:
    rows = [
        _row(0, "smith", "2155550101"),
        _row(1, "jones", "2155550101"),
        _row(2, "okafor", "2155550101"),
    ]
    assert all(row.record.shared_phone for row in dataset.mark_shared_phones(rows))


def test_one_persons_misspelt_and_hyphenated_surname_counts_once() -> None:
    rows = [
        _row(0, "smith", "2155550101"),
        _row(1, "smyth", "2155550101"),
        _row(2, "smith-jones", "2155550101"),
        _row(3, "Smith", "(215) 555-0101"),
    ]
    assert not any(row.record.shared_phone for row in dataset.mark_shared_phones(rows))


def test_the_shared_phone_rule_reads_no_truth() -> None:
    rows = [_row(n, name, "2155550101", entity="one") for n, name in enumerate(["a", "b", "c"])]
    apart = [_row(n, name, "2155550101", entity=str(n)) for n, name in enumerate(["a", "b", "c"])]
    assert [r.record for r in dataset.mark_shared_phones(rows)] == [
        r.record for r in dataset.mark_shared_phones(apart)
    ]


def test_look_alike_twins_carry_what_tells_them_apart() -> None:
    rows = hard.generate()
    homes: dict[str, list[dataset.Row]] = {}
    for row in rows:
        if row.household.split(":")[0] in ("lettered_twins", "sound_alike_twins", "married_twins"):
            homes.setdefault(row.household, []).append(row)
    kinds = {home.split(":")[0] for home in homes}
    assert kinds == {"lettered_twins", "sound_alike_twins", "married_twins"}
    for home, members in homes.items():
        people = {row.entity for row in members}
        assert len(people) == 2
        kind = home.split(":")[0]
        if kind == "lettered_twins":
            births = [r.record for r in members if r.record.given.split(" ")[0] in ("twin", "baby")]
            # Both twins' birth records: one hospital, one day, two letters.
            assert len({(r.facility, r.event_date) for r in births}) == 1
            assert {r.given.split(" ")[1] for r in births} == {"a", "b"}
        elif kind == "sound_alike_twins":
            firsts = {r.entity: r.record for r in members if r.id.endswith("-0")}
            names = {record.given for record in firsts.values()}
            assert len(names) == 2
            a, b = sorted(names)
            assert hard.soundex(a) == hard.soundex(b) and linkage.two_given_names(a, b)
        else:
            assert len({r.record.family for r in members}) >= 2  # a married name
            assert all(r.record.sex in ("female", "") for r in members)


def test_every_person_is_given_a_name_of_their_sex() -> None:
    for group in linkage.NICKNAME_GROUPS:
        hard.sex_of(group[0])  # raises for a name whose sex the generator does not know
    for spellings in hard.SPELLINGS:
        assert len({hard.sex_of(name) for name in spellings}) == 1, spellings
    # Reports that keep the person's own given name say the sex it is given.
    altered = {"nickname", "spelling", "given_typo", "swapped", "swapped_changed"}
    checked = 0
    for row in hard.generate():
        given = row.record.given.split(" ")[0]
        if row.tags & altered or "placeholder_name" in row.tags or not row.record.sex:
            continue  # a lettered twin's "Twin A" is a placeholder name
        assert hard.sex_of(given) in (row.record.sex, "either"), row
        checked += 1
    assert checked > 1000
