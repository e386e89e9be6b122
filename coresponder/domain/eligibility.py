"""Eligibility: does a referral fit its program's declared rules, and why (not)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coresponder.domain.presets import Condition, EligibilityRule
from coresponder.domain.vocabulary import Pathway


@dataclass(frozen=True)
class EligibilityDecision:
    """Whether a referral fits its pathway's rules, with the reasons read to staff."""

    eligible: bool
    reasons: tuple[str, ...]
    # The preset's words for each condition that held (`met`), in the rules' order.
    held: tuple[str, ...] = ()


def lookup(facts: Mapping[str, Any], dotted: str) -> Any:
    """`offense.category` from {"offense": {"category": ...}}; None when absent."""
    value: Any = facts
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def holds(condition: Condition, facts: Mapping[str, Any], active_districts: Sequence[str]) -> bool:
    """One condition against the facts; a missing fact never satisfies it."""
    value = lookup(facts, condition.field)
    if value is None:
        return False
    match condition.op:
        case "in":
            return bool(value in condition.value)
        case "not_in":
            return bool(value not in condition.value)
        case "equals":
            return bool(value == condition.value)
        case "at_least":
            return isinstance(value, int | float) and value >= condition.value
        case "at_most":
            return isinstance(value, int | float) and value <= condition.value
        case "in_active_districts":
            return str(value) in active_districts
    raise ValueError(f"unknown operator {condition.op!r}")


def needed_facts(pathway: Pathway, rules: Sequence[EligibilityRule]) -> tuple[str, ...]:
    """The facts the rules for `pathway` read, each once, in the order the rules name them.

    Without one of them a referral cannot be decided: intake asks for it, rather than
    recording the referral as ineligible for a fact nobody gave.
    """
    fields = [
        condition.field
        for rule in rules
        if pathway in rule.pathways
        for condition in rule.conditions
    ]
    return tuple(dict.fromkeys(fields))


def missing_facts(
    pathway: Pathway, facts: Mapping[str, Any], rules: Sequence[EligibilityRule]
) -> tuple[str, ...]:
    """The facts the rules for `pathway` read that `facts` does not give."""
    return tuple(name for name in needed_facts(pathway, rules) if lookup(facts, name) is None)


def decide(
    pathway: Pathway,
    facts: Mapping[str, Any],
    rules: Sequence[EligibilityRule],
    active_districts: Sequence[str] = (),
) -> EligibilityDecision:
    """Eligible when every condition of every rule for this pathway holds.

    The reasons list each failed condition, or say why the referral fits.
    """
    applicable = [rule for rule in rules if pathway in rule.pathways]
    failed = [
        condition.reason
        for rule in applicable
        for condition in rule.conditions
        if not holds(condition, facts, active_districts)
    ]
    if failed:
        return EligibilityDecision(eligible=False, reasons=tuple(failed))
    if not applicable:
        return EligibilityDecision(
            eligible=True, reasons=("No eligibility conditions apply to this pathway",)
        )
    held = tuple(
        condition.met for rule in applicable for condition in rule.conditions if condition.met
    )
    return EligibilityDecision(
        eligible=True, reasons=("Meets every eligibility condition for this pathway",), held=held
    )


# Said of a call that fits where the preset gives no words of its own for a condition held.
FITS_THE_TEAM = "Fits every triage condition for the co-responder team"
NO_TRIAGE_RULES = "No triage conditions narrow the calls the co-responder team takes"


def call_triage_words(decision: EligibilityDecision) -> tuple[str, ...]:
    """Why a 911 call goes to the co-responder team or not, in the triage rules' words: the
    conditions that kept the team back (police respond first), else those that send it,
    never the eligibility sentence the referral says already."""
    if not decision.eligible:
        return decision.reasons
    if decision.held:
        return decision.held
    if decision.reasons == ("No eligibility conditions apply to this pathway",):
        return (NO_TRIAGE_RULES,)
    return (FITS_THE_TEAM,)
