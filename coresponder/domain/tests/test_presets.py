"""Every preset file is checked against the schema; a bad one is refused by file and key."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from coresponder.domain.presets import (
    HEADLINE_KEYS,
    PresetError,
    load_preset_dir,
    load_preset_file,
    parse_preset,
    preset_from_stored,
)
from coresponder.domain.vocabulary import Pathway, Role, labels_of

PRESETS = Path(__file__).resolve().parents[3] / "presets"


def preset_text(slug: str) -> str:
    return (PRESETS / f"{slug}.toml").read_text(encoding="utf-8")


def altered(slug: str, old: str, new: str) -> str:
    """A shipped preset's text with the first `old` replaced by `new`."""
    text = preset_text(slug)
    assert old in text, f"{old!r} is not in {slug}.toml"
    return text.replace(old, new, 1)


def write_preset(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def rejection(path: Path) -> PresetError:
    with pytest.raises(PresetError) as caught:
        load_preset_file(path)
    return caught.value


def assert_names_file_and_key(error: PresetError, path: Path, key: str) -> None:
    keys = [problem_key for problem_key, _ in error.problems]
    assert key in keys, f"{key!r} not among {keys}"
    assert error.source == str(path)
    assert f"{path}: {key}: " in str(error)


def test_every_shipped_preset_parses() -> None:
    presets = load_preset_dir(PRESETS)

    assert [preset.slug for preset in presets] == ["core", "pad", "pco", "qrt"]
    for preset in presets:
        assert preset.name
        assert preset.pathways
        assert preset.team


def test_a_shipped_preset_round_trips_to_a_json_ready_dict() -> None:
    preset = load_preset_file(PRESETS / "pad.toml")

    data = preset.as_dict()

    assert data["slug"] == "pad"
    assert data["shifts"][0]["starts_at"] == "10:00"
    assert data["follow_up"]["closes_after_hours"] == 72


def test_pco_visits_between_twelve_and_seventy_two_hours_after_the_overdose() -> None:
    preset = load_preset_file(PRESETS / "pco.toml")

    assert preset.follow_up is not None
    assert preset.follow_up.anchor == "overdose"
    assert (preset.follow_up.opens_after_hours, preset.follow_up.closes_after_hours) == (12, 72)
    assert Pathway.NALOXONE_PLUS in preset.follow_up.pathways


def test_qrt_works_its_queue_in_three_priority_tiers() -> None:
    preset = load_preset_file(PRESETS / "qrt.toml")

    assert preset.priority.policy == "tiers"
    assert [tier.rule for tier in preset.priority.tiers] == [
        "never_contacted",
        "not_located_before",
        "declined_interested_later",
    ]


def test_core_sends_a_clinician_a_paramedic_and_an_officer() -> None:
    preset = load_preset_file(PRESETS / "core.toml")

    assert [slot.roles for slot in preset.team] == [
        (Role.CLINICIAN,),
        (Role.PARAMEDIC,),
        (Role.OFFICER,),
    ]


def test_it_rejects_a_preset_with_an_unknown_pathway(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path,
        "pad",
        altered(
            "pad",
            'pathways = ["officer_intervention", "officer_prevention"',
            'pathways = ["officer_intervention", "officer_teleportation"',
        ),
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "pathways[1]")
    assert "officer_teleportation" in str(error)


def test_it_rejects_a_follow_up_window_that_opens_before_the_anchor(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path, "pad", altered("pad", "opens_after_hours = 0", "opens_after_hours = -1")
    )

    assert_names_file_and_key(rejection(path), path, "follow_up.opens_after_hours")


def test_it_rejects_a_follow_up_window_that_closes_before_it_opens(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path, "pco", altered("pco", "closes_after_hours = 72", "closes_after_hours = 6")
    )

    assert_names_file_and_key(rejection(path), path, "follow_up.closes_after_hours")


def test_it_rejects_an_unknown_top_level_key(tmp_path: Path) -> None:
    path = write_preset(tmp_path, "pad", 'mascot = "owl"\n' + preset_text("pad"))

    error = rejection(path)

    assert_names_file_and_key(error, path, "mascot")
    assert "is not a known key" in str(error)


def test_it_rejects_an_unknown_key_inside_a_table(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path, "pad", altered("pad", "[follow_up]\n", '[follow_up]\ncolour = "blue"\n')
    )

    assert_names_file_and_key(rejection(path), path, "follow_up.colour")


def test_it_rejects_an_unknown_time_zone(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path,
        "pad",
        altered("pad", 'timezone = "America/New_York"', 'timezone = "Mars/Olympus_Mons"'),
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "timezone")
    assert "Mars/Olympus_Mons" in str(error)


@pytest.mark.parametrize(
    "rrule",
    [
        "every monday",
        "FREQ=FORTNIGHTLY",
        "FREQ=WEEKLY;byday=MO",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;INTERVAL=0;BYDAY=MO",
    ],
)
def test_it_rejects_a_shift_whose_recurrence_is_not_an_rrule(tmp_path: Path, rrule: str) -> None:
    path = write_preset(
        tmp_path,
        "pad",
        altered("pad", 'rrule = "FREQ=WEEKLY;BYDAY=MO,WE,FR"', f'rrule = "{rrule}"'),
    )

    assert_names_file_and_key(rejection(path), path, "shifts[0].rrule")


def test_it_rejects_a_shift_in_a_district_the_preset_does_not_define(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path,
        "pad",
        altered("pad", 'districts = ["22", "39", "24"]', 'districts = ["22", "39", "99"]'),
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "shifts[0].districts")
    assert "'99'" in str(error)


def test_a_district_may_give_a_spanish_name_and_a_blank_one_is_refused(tmp_path: Path) -> None:
    pad = next(p for p in load_preset_dir(PRESETS) if p.slug == "pad")
    assert {d.code: d.name_es for d in pad.districts}["24"] == "Distrito 24"
    path = write_preset(tmp_path, "pad", altered("pad", 'name_es = "Distrito 22"', 'name_es = " "'))

    assert_names_file_and_key(rejection(path), path, "districts[0].name_es")


def test_it_rejects_a_team_slot_with_an_unknown_role(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path, "pad", altered("pad", 'roles = ["officer"]', 'roles = ["sheriff"]')
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "team[0].roles[0]")
    assert "sheriff" in str(error)


@pytest.mark.parametrize("role", ["prosecutor", "analyst", "provider", "admin"])
def test_it_rejects_a_team_slot_for_a_role_that_does_no_field_work(
    tmp_path: Path, role: str
) -> None:
    path = write_preset(
        tmp_path, "pad", altered("pad", 'roles = ["officer"]', f'roles = ["{role}"]')
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "team[0].roles[0]")
    assert "does no field work" in str(error)


def test_a_program_stored_with_a_team_slot_for_a_prosecutor_still_reads_back() -> None:
    data = tomllib.loads(preset_text("pad"))
    data["team"][0]["roles"] = ["prosecutor"]

    preset = preset_from_stored(data, "the stored preset of program 'pad'")

    assert preset.team[0].roles == (Role.PROSECUTOR,)


def test_it_rejects_an_unknown_service_category(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path,
        "pad",
        altered(
            "pad", 'service_categories = ["detox", ', 'service_categories = ["detox", "spa_day", '
        ),
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "service_categories[1]")
    assert "spa_day" in str(error)


def test_it_rejects_a_preset_whose_slug_does_not_match_its_file_name(tmp_path: Path) -> None:
    path = write_preset(tmp_path, "philly", preset_text("pad"))

    error = rejection(path)

    assert_names_file_and_key(error, path, "slug")
    assert "'philly'" in str(error)


def test_it_rejects_a_file_that_is_not_toml(tmp_path: Path) -> None:
    path = write_preset(tmp_path, "pad", preset_text("pad") + "\n[[unclosed\n")

    assert_names_file_and_key(rejection(path), path, "(syntax)")


def test_it_reports_every_problem_in_a_preset_at_once(tmp_path: Path) -> None:
    text = altered("pad", 'timezone = "America/New_York"', 'timezone = "Nowhere/Special"')
    text = text.replace('roles = ["officer"]', 'roles = ["sheriff"]', 1)
    path = write_preset(tmp_path, "pad", text)

    error = rejection(path)

    assert {"timezone", "team[0].roles[0]"} <= {key for key, _ in error.problems}


def test_it_rejects_an_eligibility_rule_for_a_pathway_the_program_does_not_offer() -> None:
    data = {
        "slug": "tiny",
        "name": "Tiny",
        "timezone": "UTC",
        "area": {"name": "Here", "latitude": 0, "longitude": 0},
        "pathways": ["self_referral"],
        "eligibility": [
            {
                "pathways": ["naloxone_plus"],
                "conditions": [
                    {"field": "overdose.fatal", "op": "equals", "value": False, "reason": "Alive"}
                ],
            }
        ],
    }

    with pytest.raises(PresetError) as caught:
        parse_preset(data, "tiny.toml")

    assert "eligibility[0].pathways" in {key for key, _ in caught.value.problems}


def test_a_minimal_preset_needs_no_follow_up_window() -> None:
    data = {
        "slug": "tiny",
        "name": "Tiny",
        "timezone": "UTC",
        "area": {"name": "Here", "latitude": 0, "longitude": 0},
        "pathways": ["self_referral"],
    }

    preset = parse_preset(data, "tiny.toml")

    assert preset.follow_up is None
    assert preset.priority.policy == "window"


def test_it_rejects_a_folder_with_no_presets(tmp_path: Path) -> None:
    with pytest.raises(PresetError) as caught:
        load_preset_dir(tmp_path)

    assert caught.value.problems == [("(folder)", "holds no *.toml preset")]


def test_public_dashboard_must_be_true_or_false() -> None:
    data = tomllib.loads((PRESETS / "pad.toml").read_text(encoding="utf-8"))
    data["public_dashboard"] = "yes"
    with pytest.raises(PresetError, match="public_dashboard: must be true or false"):
        parse_preset(data, "pad.toml")


def test_no_shipped_preset_shares_people_with_another_program() -> None:
    for preset in load_preset_dir(PRESETS):
        assert preset.data_sharing.programs == ()


def test_a_data_sharing_agreement_names_programs_and_the_roles_that_may_link(
    tmp_path: Path,
) -> None:
    text = preset_text("pco") + '\n[data_sharing]\nprograms = ["qrt"]\nroles = ["coordinator"]\n'
    preset = load_preset_file(write_preset(tmp_path, "pco", text))
    assert preset.data_sharing.programs == ("qrt",)
    assert preset_from_stored(preset.as_dict(), "stored").data_sharing.roles == ("coordinator",)


def test_every_shipped_preset_reads_back_the_same_from_its_stored_copy() -> None:
    for preset in load_preset_dir(PRESETS):
        stored = json.loads(json.dumps(preset.as_dict()))
        assert preset_from_stored(stored, preset.slug) == preset
        assert preset_from_stored(preset.as_dict(), preset.slug) == preset


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('programs = ["pco"]\nroles = ["officer"]', "data_sharing.programs[0]"),
        ('programs = ["Not A Slug"]\nroles = ["officer"]', "data_sharing.programs[0]"),
        ('programs = ["qrt"]\nroles = ["sheriff"]', "data_sharing.roles[0]"),
        ('programs = ["qrt"]', "data_sharing.roles"),
        ('programs = ["qrt"]\nroles = ["officer"]\nwith = "all"', "data_sharing.with"),
    ],
    ids=["itself", "bad-slug", "unknown-role", "no-roles", "unknown-key"],
)
def test_it_rejects_a_data_sharing_agreement_that_is_not_clear(
    tmp_path: Path, table: str, key: str
) -> None:
    path = write_preset(tmp_path, "pco", preset_text("pco") + f"\n[data_sharing]\n{table}\n")
    assert_names_file_and_key(rejection(path), path, key)


def _pad_with_rule(pathways: str, *conditions: str) -> str:
    listed = ",\n  ".join(conditions)
    return (
        preset_text("pad")
        + f"\n[[eligibility]]\npathways = {pathways}\nconditions = [\n  {listed},\n]\n"
    )


NO_CALL_WEAPONS = '{ field = "call.weapons", op = "equals", value = false, reason = "No weapons" }'
NOT_VIOLENT = '{ field = "offense.violent", op = "equals", value = false, reason = "Not violent" }'


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        # A diversion carries its offense, not a call: the form never asks one.
        (
            _pad_with_rule('["officer_intervention"]', NO_CALL_WEAPONS),
            "eligibility[2].conditions[0].field",
            "'call.weapons' is not asked on the 'officer_intervention' pathway",
        ),
        # A self-referral carries who asked for help, and no offense, overdose or call.
        (
            _pad_with_rule('["self_referral"]', NOT_VIOLENT),
            "eligibility[2].conditions[0].field",
            "'offense.violent' is not asked on the 'self_referral' pathway",
        ),
        # Outreach may carry one of them, the one its rules read: not two.
        (
            _pad_with_rule('["active_outreach"]', NOT_VIOLENT, NO_CALL_WEAPONS),
            "eligibility[2].conditions[1].field",
            "'call.weapons' is not asked on the 'active_outreach' pathway",
        ),
    ],
    ids=["diversion", "self_referral", "outreach"],
)
def test_a_condition_on_a_fact_its_pathway_does_not_carry_is_refused(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    path = write_preset(tmp_path, "pad", text)

    error = rejection(path)

    assert_names_file_and_key(error, path, key)
    assert words in str(error)


def test_a_pathway_without_facts_of_its_own_may_read_one_section(tmp_path: Path) -> None:
    path = write_preset(tmp_path, "pad", _pad_with_rule('["officer_prevention"]', NOT_VIOLENT))

    preset = load_preset_file(path)

    assert preset.eligibility[2].pathways == (Pathway.OFFICER_PREVENTION,)


def test_a_program_stored_before_the_check_still_reads_back(tmp_path: Path) -> None:
    data = tomllib.loads(_pad_with_rule('["self_referral"]', NOT_VIOLENT))
    with pytest.raises(PresetError):
        parse_preset(data, "pad.toml")

    preset = preset_from_stored(data, "the stored preset of program 'pad'")

    assert preset.eligibility[2].pathways == (Pathway.SELF_REFERRAL,)


def test_it_rejects_a_misspelled_headline_key_and_lists_the_known_ones(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path,
        "pco",
        altered("pco", "people_contacted = ", "people_contactd = "),
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "headline.people_contactd")
    assert "is not a known key" in str(error)
    assert "people_contacted" in str(error)


def test_a_headline_may_rename_every_figure_a_dashboard_shows() -> None:
    named = {key: key.replace("_", " ") for key in HEADLINE_KEYS}
    data = {**tomllib.loads(preset_text("core")), "headline": named}

    assert parse_preset(data, "core.toml").headline == named
    assert {"overdoses_fatal", "overdoses_nonfatal", "jail_er_avoided"} <= HEADLINE_KEYS
    assert set(labels_of("metric", "es")) <= HEADLINE_KEYS


def test_words_for_the_dispositions_metric_name_its_headline_figure() -> None:
    core = parse_preset(tomllib.loads(preset_text("core")), "core.toml")
    own = {
        **tomllib.loads(preset_text("core")),
        "headline": {"dispositions": "A", "jail_er_avoided": "B"},
    }

    assert core.headline["jail_er_avoided"] == "Dispositions (jail and ER avoided)"
    assert parse_preset(own, "core.toml").headline["jail_er_avoided"] == "B"


def test_it_rejects_an_eligibility_condition_on_a_district_the_preset_does_not_declare(
    tmp_path: Path,
) -> None:
    in_districts = '{ field = "district", op = "in", value = ["22", "93"], reason = "Served" }'
    path = write_preset(tmp_path, "pad", _pad_with_rule('["officer_prevention"]', in_districts))

    error = rejection(path)

    assert_names_file_and_key(error, path, "eligibility[2].conditions[0].value")
    assert "district '93' is not declared" in str(error)
    assert "(known: 22, 24, 25, 39)" in str(error)
    assert "'22'" not in str(error)


def test_it_rejects_a_district_equals_condition_on_an_undeclared_district(
    tmp_path: Path,
) -> None:
    equals = '{ field = "district", op = "equals", value = "north", reason = "North only" }'
    path = write_preset(tmp_path, "pad", _pad_with_rule('["officer_prevention"]', equals))

    error = rejection(path)

    assert_names_file_and_key(error, path, "eligibility[2].conditions[0].value")
    assert "district 'north' is not declared" in str(error)


def test_an_unquoted_district_code_is_not_the_district(tmp_path: Path) -> None:
    unquoted = '{ field = "district", op = "in", value = [22], reason = "Served" }'
    path = write_preset(tmp_path, "pad", _pad_with_rule('["officer_prevention"]', unquoted))

    error = rejection(path)

    assert_names_file_and_key(error, path, "eligibility[2].conditions[0].value")
    assert "district 22 is not declared" in str(error)


def test_a_condition_on_declared_districts_loads(tmp_path: Path) -> None:
    not_in = '{ field = "district", op = "not_in", value = ["25"], reason = "Not yet served" }'
    path = write_preset(tmp_path, "pad", _pad_with_rule('["officer_prevention"]', not_in))

    preset = load_preset_file(path)

    assert preset.eligibility[2].conditions[0].value == ["25"]


@pytest.mark.parametrize("hours", ["72", "90"])
def test_it_rejects_a_closing_soon_warning_as_long_as_the_window(
    tmp_path: Path, hours: str
) -> None:
    path = write_preset(
        tmp_path, "pad", altered("pad", "closing_soon_hours = 12", f"closing_soon_hours = {hours}")
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "follow_up.closing_soon_hours")
    assert "must be shorter than the 72-hour follow-up window" in str(error)


def test_the_closing_soon_warning_is_measured_against_the_window_not_the_anchor(
    tmp_path: Path,
) -> None:
    # PCO's window runs from hour 12 to hour 72: 60 hours long.
    path = write_preset(
        tmp_path, "pco", altered("pco", "closing_soon_hours = 12", "closing_soon_hours = 60")
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "follow_up.closing_soon_hours")
    assert "60-hour follow-up window" in str(error)


def test_it_rejects_a_closing_checklist_key_listed_twice(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path, "pco", altered("pco", 'key = "family_support"', 'key = "outcome"')
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "closing_checklist[1].key")
    assert "'outcome' is listed twice" in str(error)


def test_it_rejects_a_priority_tier_number_used_twice(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path,
        "qrt",
        altered("qrt", '{ tier = 3, rule = "declined', '{ tier = 2, rule = "declined'),
    )

    error = rejection(path)

    assert_names_file_and_key(error, path, "priority.tiers[2].tier")
    assert "tier 2 is listed twice" in str(error)


def test_a_program_stored_before_the_newer_checks_still_reads_back() -> None:
    data = tomllib.loads(preset_text("qrt"))
    data["headline"]["people_engagd"] = "Encountered"
    data["follow_up"]["closing_soon_hours"] = 72
    data["closing_checklist"][1]["key"] = data["closing_checklist"][0]["key"]
    data["priority"]["tiers"][2]["tier"] = 2
    with pytest.raises(PresetError):
        parse_preset(data, "qrt.toml")

    preset = preset_from_stored(data, "the stored preset of program 'qrt'")

    assert preset.headline["people_engagd"] == "Encountered"


def test_it_reports_every_bad_file_in_a_folder_at_once(tmp_path: Path) -> None:
    write_preset(
        tmp_path,
        "pad",
        altered("pad", 'timezone = "America/New_York"', 'timezone = "Nowhere/Special"'),
    )
    write_preset(tmp_path, "pco", preset_text("pco"))
    write_preset(tmp_path, "qrt", altered("qrt", 'roles = ["paramedic"]', 'roles = ["sheriff"]'))

    with pytest.raises(PresetError) as caught:
        load_preset_dir(tmp_path)

    message = str(caught.value)
    assert f"{tmp_path / 'pad.toml'}: timezone: " in message
    assert f"{tmp_path / 'qrt.toml'}: team[0].roles[0]: " in message
    assert "pco.toml" not in message


def test_a_preset_may_name_the_slugs_it_was_formerly_known_by() -> None:
    data = tomllib.loads(altered("pad", 'slug = "pad"', 'slug = "pad"\nformerly = ["phl-pad"]'))

    preset = parse_preset(data, "pad.toml")

    assert preset.formerly == ("phl-pad",)
    assert list(preset.as_dict()["formerly"]) == ["phl-pad"]
    assert parse_preset(json.loads(json.dumps(preset.as_dict())), "x", stored=True) == preset


def test_a_preset_never_renamed_stores_no_former_slugs() -> None:
    preset = load_preset_file(PRESETS / "pad.toml")

    assert preset.formerly == ()
    assert "formerly" not in preset.as_dict()


@pytest.mark.parametrize(
    ("formerly", "problem"),
    [
        ('"phl-pad"', "formerly: must be a list of strings"),
        ('["Not A Slug"]', "formerly[0]: must be a slug this program had before"),
        ('["pad"]', "formerly[0]: must be a slug this program had before, got 'pad'"),
        ('["old", "old"]', "formerly[1]: 'old' is listed twice"),
    ],
)
def test_it_rejects_former_slugs_that_are_not_other_slugs(formerly: str, problem: str) -> None:
    data = tomllib.loads(altered("pad", 'slug = "pad"', f'slug = "pad"\nformerly = {formerly}'))

    with pytest.raises(PresetError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        parse_preset(data, "pad.toml")
