"""Eligibility: a referral fits its program's declared rules, and the reasons say why."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coresponder.domain.eligibility import call_triage_words, decide
from coresponder.domain.presets import EligibilityRule, Preset, load_preset_file
from coresponder.domain.vocabulary import Pathway

PRESETS = Path(__file__).resolve().parents[3] / "presets"
PAD = load_preset_file(PRESETS / "pad.toml")
CORE = load_preset_file(PRESETS / "core.toml")

PAD_DIVERTIBLE = ("drug_possession", "prostitution", "retail_theft")
CORE_CALL_TYPES = (
    "mental_health_crisis",
    "suicidal",
    "substance_use",
    "intoxication",
    "welfare_check",
)


def active_districts(preset: Preset) -> tuple[str, ...]:
    return tuple(district.code for district in preset.districts if district.active)


def pad_offense(
    *,
    category: str = "drug_possession",
    violent: bool = False,
    weapon: bool = False,
    district: str = "22",
) -> dict[str, Any]:
    return {
        "offense": {"category": category, "violent": violent, "weapon": weapon},
        "district": district,
    }


def decide_pad(facts: dict[str, Any], pathway: Pathway = Pathway.OFFICER_INTERVENTION) -> Any:
    return decide(pathway, facts, PAD.eligibility, active_districts(PAD))


def core_call(*, call_type: str = "suicidal", weapons: bool = False) -> dict[str, Any]:
    return {"call": {"call_type": call_type, "weapons": weapons, "violence_in_progress": False}}


def test_pad_diverts_nonviolent_drug_possession_in_district_22() -> None:
    decision = decide_pad(pad_offense())

    assert decision.eligible is True
    assert decision.reasons == ("Meets every eligibility condition for this pathway",)


def test_pad_does_not_divert_a_violent_offense() -> None:
    decision = decide_pad(pad_offense(violent=True))

    assert decision.eligible is False
    assert decision.reasons == ("A violent offense is not eligible for diversion",)


def test_pad_does_not_divert_an_offense_with_a_weapon() -> None:
    decision = decide_pad(pad_offense(weapon=True))

    assert decision.eligible is False
    assert decision.reasons == ("An offense involving a weapon is not eligible for diversion",)


def test_pad_does_not_divert_in_district_25_which_is_not_active_yet() -> None:
    decision = decide_pad(pad_offense(district="25"))

    assert decision.eligible is False
    assert decision.reasons == ("PAD operates only in police districts 22, 39 and 24",)


def test_pad_does_not_divert_in_a_district_it_does_not_serve() -> None:
    decision = decide_pad(pad_offense(district="18"))

    assert decision.eligible is False
    assert decision.reasons == ("PAD operates only in police districts 22, 39 and 24",)


def test_pad_does_not_divert_an_assault() -> None:
    decision = decide_pad(pad_offense(category="assault"))

    assert decision.eligible is False
    assert decision.reasons == (
        "Only low-level drug possession, prostitution and retail theft are diverted",
    )


def test_pad_does_not_divert_on_missing_facts_and_names_every_gap() -> None:
    decision = decide_pad({})

    assert decision.eligible is False
    assert len(decision.reasons) == 4


def test_a_fact_that_is_present_but_empty_does_not_satisfy_a_condition() -> None:
    facts = pad_offense()
    facts["offense"]["violent"] = None

    assert decide_pad(facts).eligible is False


def test_a_pathway_with_no_rules_is_eligible() -> None:
    decision = decide_pad({}, pathway=Pathway.ACTIVE_OUTREACH)

    assert decision.eligible is True
    assert decision.reasons == ("No eligibility conditions apply to this pathway",)


def test_core_answers_a_suicidal_call_with_no_weapons() -> None:
    decision = decide(Pathway.COMMUNITY_RESPONSE, core_call(), CORE.eligibility)

    assert decision.eligible is True


def test_core_lets_police_respond_first_when_weapons_are_reported() -> None:
    decision = decide(Pathway.COMMUNITY_RESPONSE, core_call(weapons=True), CORE.eligibility)

    assert decision.eligible is False
    assert any("police respond first" in reason for reason in decision.reasons)


def test_core_does_not_answer_a_call_type_it_does_not_serve() -> None:
    decision = decide(Pathway.COMMUNITY_RESPONSE, core_call(call_type="burglary"), CORE.eligibility)

    assert decision.eligible is False


def test_rules_for_other_pathways_do_not_apply() -> None:
    rules = (EligibilityRule(pathways=(Pathway.NALOXONE_PLUS,), conditions=()),)

    decision = decide(Pathway.SELF_REFERRAL, {}, rules)

    assert decision.eligible is True
    assert decision.reasons == ("No eligibility conditions apply to this pathway",)


maybe_bool = st.one_of(st.none(), st.booleans())


@settings(deadline=None, database=None)
@given(
    category=st.one_of(
        st.none(), st.sampled_from((*PAD_DIVERTIBLE, "assault", "burglary", "dui")), st.text()
    ),
    violent=maybe_bool,
    weapon=maybe_bool,
    district=st.one_of(st.none(), st.sampled_from(("22", "39", "24", "25", "18")), st.text()),
    pathway=st.sampled_from((Pathway.OFFICER_INTERVENTION, Pathway.OFFICER_PREVENTION)),
)
def test_pad_is_eligible_exactly_when_every_condition_holds(
    category: str | None,
    violent: bool | None,
    weapon: bool | None,
    district: str | None,
    pathway: Pathway,
) -> None:
    facts = {
        "offense": {"category": category, "violent": violent, "weapon": weapon},
        "district": district,
    }

    decision = decide_pad(facts, pathway)

    in_district = district in ("22", "39", "24")
    if pathway is Pathway.OFFICER_PREVENTION:
        # No charge, so the offense is not weighed; only where PAD serves.
        every_condition_holds = in_district
    else:
        every_condition_holds = (
            category in PAD_DIVERTIBLE and violent is False and weapon is False and in_district
        )
    assert decision.eligible is every_condition_holds
    assert decision.reasons


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
facts_strategy = st.dictionaries(
    st.sampled_from(("offense", "call", "overdose", "district", "person")),
    st.one_of(
        json_scalars,
        st.dictionaries(
            st.sampled_from(
                ("category", "violent", "weapon", "call_type", "weapons", "fatal", "age")
            ),
            json_scalars,
        ),
    ),
)


@settings(deadline=None, database=None)
@given(
    preset=st.sampled_from([load_preset_file(path) for path in sorted(PRESETS.glob("*.toml"))]),
    pathway=st.sampled_from(list(Pathway)),
    facts=facts_strategy,
)
def test_every_decision_gives_reasons_and_a_refusal_cites_only_declared_reasons(
    preset: Preset, pathway: Pathway, facts: dict[str, Any]
) -> None:
    decision = decide(pathway, facts, preset.eligibility, active_districts(preset))

    assert decision.reasons
    declared = {
        condition.reason
        for rule in preset.eligibility
        if pathway in rule.pathways
        for condition in rule.conditions
    }
    if not decision.eligible:
        assert set(decision.reasons) <= declared


def test_a_call_the_team_takes_says_why_in_the_preset_s_own_words() -> None:
    decision = decide(Pathway.COMMUNITY_RESPONSE, core_call(), CORE.eligibility)

    assert call_triage_words(decision) == (
        "The call type is one the co-responder team answers",
        "No weapons reported",
        "No violence in progress",
    )


def test_a_call_police_go_to_first_says_why_the_team_does_not_go() -> None:
    decision = decide(Pathway.COMMUNITY_RESPONSE, core_call(weapons=True), CORE.eligibility)

    assert call_triage_words(decision) == ("Weapons reported: police respond first",)


def test_a_call_under_rules_that_give_no_words_for_a_fit_still_says_why() -> None:
    rules = tuple(
        EligibilityRule(
            pathways=rule.pathways,
            conditions=tuple(replace(c, met="") for c in rule.conditions),
        )
        for rule in CORE.eligibility
    )
    decision = decide(Pathway.COMMUNITY_RESPONSE, core_call(), rules)

    words = call_triage_words(decision)
    assert words == ("Fits every triage condition for the co-responder team",)
    assert words != decision.reasons
