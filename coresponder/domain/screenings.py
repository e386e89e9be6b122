"""Screening instruments: validate the answers, score them, and say what to do now.

Answers are the raw responses in item order: yes = 1, no = 0, and a Likert
answer as the index of the option chosen. Item prompts here are short
paraphrases for forms, not the instruments' published wording.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from coresponder.domain.vocabulary import Disposition


class Instrument(StrEnum):
    DAST_10 = "dast10"
    AUDIT_C = "audit_c"
    CSSRS_SCREENER = "cssrs_screener"
    PHQ_2 = "phq2"
    PHQ_9 = "phq9"


INSTRUMENT_LABELS: dict[Instrument, str] = {
    Instrument.DAST_10: "DAST-10",
    Instrument.AUDIT_C: "AUDIT-C",
    Instrument.CSSRS_SCREENER: "C-SSRS screener",
    Instrument.PHQ_2: "PHQ-2",
    Instrument.PHQ_9: "PHQ-9",
}


class InvalidAnswers(ValueError):
    """Answers a form must not save; the message names the instrument and the item."""

    def __init__(self, instrument: Instrument, item: int | None, problem: str) -> None:
        where = f"item {item}" if item is not None else "answers"
        super().__init__(f"{INSTRUMENT_LABELS[instrument]} {where}: {problem}")
        self.instrument = instrument
        self.item = item


@dataclass(frozen=True)
class ScreeningResult:
    instrument: Instrument
    score: int
    band: str
    positive: bool  # the screen calls for follow-up
    escalation: tuple[str, ...]  # steps to take now; empty when none are called for
    flags: tuple[str, ...] = ()


SUICIDAL_IDEATION_ITEM9 = "suicidal_ideation_item9"

YES_NO = ("No", "Yes")
# PHQ-2 and PHQ-9 share one frequency scale over the past two weeks.
PHQ_FREQUENCY = ("Not at all", "Several days", "More than half the days", "Nearly every day")

DAST_10_ITEMS = (
    "Used drugs other than for medical reasons",
    "Used more than one drug at a time",
    "Can always stop using drugs when you want to",
    "Had blackouts or flashbacks from drug use",
    "Felt bad or guilty about drug use",
    "Partner or family complained about your drug use",
    "Neglected family because of drug use",
    "Did something illegal to get drugs",
    "Had withdrawal symptoms when stopping drugs",
    "Had medical problems from drug use (e.g. memory loss, hepatitis, seizures, bleeding)",
)
# Item 3 is worded so that "no" is the problem answer (Skinner 1982).
DAST_10_REVERSED_ITEM = 3

AUDIT_C_ITEMS = (
    "How often you have a drink containing alcohol",
    "Standard drinks on a typical drinking day",
    "How often you have six or more drinks on one occasion",
)
AUDIT_C_OPTIONS = (
    ("Never", "Monthly or less", "2 to 4 times a month", "2 to 3 times a week", "4 or more a week"),
    ("1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more"),
    ("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"),
)

CSSRS_ITEMS = (
    "Past month: wished to be dead, or to go to sleep and not wake up",
    "Past month: had thoughts of killing yourself",
    "Past month: thought about how you might do it",
    "Past month: had these thoughts with some intention of acting on them",
    "Past month: worked out details of how to do it, and intend to carry it out",
    "Ever done, started or prepared anything to end your life",
)
# Asked only after a yes on item 6; sent as an optional seventh answer.
CSSRS_RECENT_ITEM = 7
CSSRS_RECENT_PROMPT = "Was that within the past 3 months?"

PHQ_9_ITEMS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed or hopeless",
    "Trouble with sleep: falling or staying asleep, or sleeping too much",
    "Feeling tired or low on energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself, or like a failure to yourself or family",
    "Trouble concentrating, e.g. reading or watching TV",
    "Moving or speaking noticeably slowly, or being unusually restless",
    "Thoughts of being better off dead or of hurting yourself",
)
# The PHQ-2 is the PHQ-9's first two items (Kroenke, Spitzer & Williams 2003).
PHQ_2_ITEMS = PHQ_9_ITEMS[:2]

ITEMS: dict[Instrument, tuple[str, ...]] = {
    Instrument.DAST_10: DAST_10_ITEMS,
    Instrument.AUDIT_C: AUDIT_C_ITEMS,
    Instrument.CSSRS_SCREENER: CSSRS_ITEMS,
    Instrument.PHQ_2: PHQ_2_ITEMS,
    Instrument.PHQ_9: PHQ_9_ITEMS,
}

CSSRS_HIGH_ESCALATION = (
    "Do not leave the person alone",
    "Remove access to means (firearms, medications, other lethal means)",
    "Arrange an immediate behavioral-health evaluation (crisis center or emergency department)",
    "Tell the team's clinician now",
)
CSSRS_MODERATE_ESCALATION = (
    "Clinician assesses the person before the team leaves the scene",
    "Make a safety plan with the person",
    "Offer 988 and arrange follow-up within 24 hours",
)
CSSRS_LOW_ESCALATION = ("Offer 988 and a mental-health referral",)
ASK_CSSRS = "Ask the C-SSRS screener now"
PHQ_9_ITEM9_ESCALATION = (
    ASK_CSSRS,
    "Clinician reviews the answers now, before the team leaves",
)
# A positive PHQ-2 is a first step: the full PHQ-9 says how severe the depression is
# (Kroenke, Spitzer & Williams 2003; USPSTF 2016).
GIVE_PHQ_9 = "Give the PHQ-9 now"
PHQ_2_POSITIVE_ESCALATION = (GIVE_PHQ_9,)
# SBIRT practice over Skinner's DAST-10 bands: a moderate score gets a brief intervention
# and an offer of assessment; substantial and severe, a referral to specialised assessment
# and treatment, with medication and naloxone where opioids are used.
DAST_10_MODERATE_ESCALATION = (
    "Give a brief intervention: talk with the person about their drug use, its risks and "
    "what they want to change",
    "Offer a fuller assessment, or a referral to treatment",
)
DAST_10_SUBSTANTIAL_ESCALATION = (
    "Refer for a specialised substance-use assessment and treatment",
    "Where the person uses opioids, offer medication for opioid use disorder (MOUD) and naloxone",
    "Give a brief intervention that encourages them to take up the referral",
)
# A positive AUDIT-C: a brief intervention on drinking and an offer of the full AUDIT
# or a fuller assessment (NIAAA's clinician's guide; USPSTF 2018).
AUDIT_C_POSITIVE_ESCALATION = (
    "Give a brief intervention on drinking: talk with the person about how much they "
    "drink, its risks and what they want to change",
    "Offer a fuller alcohol assessment, and a referral to treatment if they want one",
)
# A step that asks for another instrument, and that instrument: when it was given at the
# same encounter, the step is done.
ASKS_FOR: dict[str, Instrument] = {
    ASK_CSSRS: Instrument.CSSRS_SCREENER,
    GIVE_PHQ_9: Instrument.PHQ_9,
}


# Endings that leave the person where they are, without the immediate evaluation a
# high-risk C-SSRS screen calls for: a clinician may judge that safe, but says so and why.
LEFT_WITHOUT_EVALUATION = frozenset(
    {Disposition.RESOLVED_ON_SCENE, Disposition.TRANSPORTED_HOME, Disposition.REFUSED}
)


def leaves_high_risk_alone(result: ScreeningResult, disposition: str) -> bool:
    """Whether an encounter ending this way skips the steps a high-risk C-SSRS calls for."""
    return (
        result.instrument is Instrument.CSSRS_SCREENER
        and result.band == "high"
        and disposition in LEFT_WITHOUT_EVALUATION
    )


def steps_now(result: ScreeningResult, asked: Iterable[Instrument | str]) -> tuple[str, ...]:
    """The result's steps, among the instruments asked at the same encounter: a C-SSRS
    screener or a PHQ-9 asked already is not asked for again; its own steps say what to do."""
    given = {instrument_of(i) for i in asked}
    return tuple(step for step in result.escalation if ASKS_FOR.get(step) not in given)


def instrument_of(instrument: Instrument | str) -> Instrument:
    try:
        return Instrument(instrument)
    except ValueError:
        raise ValueError(f"unknown screening instrument {instrument!r}") from None


def item_count(instrument: Instrument | str) -> int:
    """Items on the instrument (the C-SSRS item-6 recency follow-up is not counted)."""
    return len(ITEMS[instrument_of(instrument)])


def item_texts(instrument: Instrument | str) -> tuple[str, ...]:
    """Short paraphrased prompts, in item order."""
    return ITEMS[instrument_of(instrument)]


def answer_options(instrument: Instrument | str, item: int) -> tuple[str, ...]:
    """Labels of the allowed answers to one item (1-based); the index is the value given."""
    instrument = instrument_of(instrument)
    last = item_count(instrument)
    if instrument is Instrument.CSSRS_SCREENER:
        last = CSSRS_RECENT_ITEM
    if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= last:
        raise ValueError(f"{INSTRUMENT_LABELS[instrument]} has no item {item!r}")
    if instrument is Instrument.AUDIT_C:
        return AUDIT_C_OPTIONS[item - 1]
    if instrument in (Instrument.PHQ_2, Instrument.PHQ_9):
        return PHQ_FREQUENCY
    return YES_NO


def checked_answers(instrument: Instrument, answers: Sequence[int]) -> tuple[int, ...]:
    """The answers, once each is an int among the item's options and the count is right."""
    expected = item_count(instrument)
    allowed = {expected}
    if instrument is Instrument.CSSRS_SCREENER:
        allowed.add(CSSRS_RECENT_ITEM)
    if len(answers) < expected:
        missing = len(answers) + 1
        raise InvalidAnswers(instrument, missing, f"missing; {expected} answers expected")
    if len(answers) > max(allowed):
        extra = max(allowed) + 1
        raise InvalidAnswers(instrument, extra, f"extra; at most {max(allowed)} answers expected")
    for item, answer in enumerate(answers, start=1):
        # bool is an int subclass, but True/False from a form is not an option index.
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise InvalidAnswers(instrument, item, f"{answer!r} is not an option number")
        options = answer_options(instrument, item)
        if not 0 <= answer < len(options):
            raise InvalidAnswers(
                instrument, item, f"{answer} is out of range 0 to {len(options) - 1}"
            )
    return tuple(answers)


def score_screening(
    instrument: Instrument | str, answers: Sequence[int], *, sex: str | None = None
) -> ScreeningResult:
    """Score one completed screen; `sex` matters only to the AUDIT-C threshold."""
    instrument = instrument_of(instrument)
    given = checked_answers(instrument, answers)
    if instrument is Instrument.DAST_10:
        return dast_10(given)
    if instrument is Instrument.AUDIT_C:
        return audit_c(given, sex)
    if instrument is Instrument.CSSRS_SCREENER:
        return cssrs_screener(given)
    if instrument is Instrument.PHQ_2:
        return phq_2(given)
    return phq_9(given)


def dast_10(answers: tuple[int, ...]) -> ScreeningResult:
    # One point per problem answer: "yes" on every item but 3, "no" on item 3.
    score = sum(
        1 - answer if item == DAST_10_REVERSED_ITEM else answer
        for item, answer in enumerate(answers, start=1)
    )
    # Skinner's published interpretation of the 10-item score.
    if score == 0:
        band = "none"
    elif score <= 2:
        band = "low"
    elif score <= 5:
        band = "moderate"
    elif score <= 8:
        band = "substantial"
    else:
        band = "severe"
    # Positive from "moderate" (3) up: where SBIRT practice moves from brief advice
    # to a brief intervention and referral for further assessment.
    escalation: tuple[str, ...] = ()
    if band == "moderate":
        escalation = DAST_10_MODERATE_ESCALATION
    elif band in ("substantial", "severe"):
        escalation = DAST_10_SUBSTANTIAL_ESCALATION
    return ScreeningResult(
        Instrument.DAST_10, score, band, positive=score >= 3, escalation=escalation
    )


def audit_c(answers: tuple[int, ...], sex: str | None) -> ScreeningResult:
    score = sum(answers)
    # Validated cut points (Bush et al. 1998; Bradley et al. 2007): 4 or more for men,
    # 3 or more for women. When sex is unknown or other, the lower cut point: a missed
    # risky drinker costs more than one extra conversation.
    threshold = 4 if (sex or "").strip().lower() == "male" else 3
    positive = score >= threshold
    band = "positive" if positive else "negative"
    escalation = AUDIT_C_POSITIVE_ESCALATION if positive else ()
    return ScreeningResult(
        Instrument.AUDIT_C, score, band, positive=positive, escalation=escalation
    )


def cssrs_screener(answers: tuple[int, ...]) -> ScreeningResult:
    wish_dead, thoughts, method, intent, plan, behavior = (a == 1 for a in answers[:6])
    # Items 3-5 are asked only after a yes on item 2 (the screener's skip rule).
    if not thoughts:
        for item, said_yes in ((3, method), (4, intent), (5, plan)):
            if said_yes:
                raise InvalidAnswers(
                    Instrument.CSSRS_SCREENER,
                    item,
                    "yes, but item 2 is no and items 3 to 5 are skipped after a no on item 2",
                )
    if len(answers) == CSSRS_RECENT_ITEM:
        recent = answers[CSSRS_RECENT_ITEM - 1] == 1
        if recent and not behavior:
            raise InvalidAnswers(
                Instrument.CSSRS_SCREENER,
                CSSRS_RECENT_ITEM,
                "yes (within the past 3 months), but item 6 is no",
            )
    else:
        # Recency not asked: a yes on item 6 is taken as recent, the safer reading.
        recent = behavior
    # The screener's published triage: intent or a plan, or behavior in the past
    # 3 months, is high risk; a method, or older behavior, moderate; a wish to be
    # dead or thoughts of suicide alone, low.
    escalation: tuple[str, ...]
    if intent or plan or (behavior and recent):
        band, escalation = "high", CSSRS_HIGH_ESCALATION
    elif method or behavior:
        band, escalation = "moderate", CSSRS_MODERATE_ESCALATION
    elif wish_dead or thoughts:
        band, escalation = "low", CSSRS_LOW_ESCALATION
    else:
        band, escalation = "no_risk", ()
    score = sum(answers[:6])
    return ScreeningResult(
        Instrument.CSSRS_SCREENER, score, band, positive=band != "no_risk", escalation=escalation
    )


def phq_2(answers: tuple[int, ...]) -> ScreeningResult:
    score = sum(answers)
    # Cut point 3 (Kroenke, Spitzer & Williams 2003): then the full PHQ-9 follows.
    positive = score >= 3
    band = "positive" if positive else "negative"
    escalation = PHQ_2_POSITIVE_ESCALATION if positive else ()
    return ScreeningResult(Instrument.PHQ_2, score, band, positive=positive, escalation=escalation)


def phq_9(answers: tuple[int, ...]) -> ScreeningResult:
    score = sum(answers)
    # Severity bands of Kroenke, Spitzer & Williams 2001.
    if score <= 4:
        band = "minimal"
    elif score <= 9:
        band = "mild"
    elif score <= 14:
        band = "moderate"
    elif score <= 19:
        band = "moderately_severe"
    else:
        band = "severe"
    # 10 or more: the cut point with the best balance of sensitivity and specificity
    # for major depression (Kroenke 2001; Manea, Gilbody & McMillan 2012).
    positive = score >= 10
    # Any answer above "not at all" on item 9 needs a suicide-risk assessment now,
    # whatever the total: the total can be low while item 9 is not.
    if answers[8] > 0:
        return ScreeningResult(
            Instrument.PHQ_9,
            score,
            band,
            positive=positive,
            escalation=PHQ_9_ITEM9_ESCALATION,
            flags=(SUICIDAL_IDEATION_ITEM9,),
        )
    return ScreeningResult(Instrument.PHQ_9, score, band, positive=positive, escalation=())


NOT_ASKED = "Not asked"


def answers_in_words(instrument: Instrument | str, answers: Sequence[int]) -> list[tuple[str, str]]:
    """Each item's prompt and the answer given, as a reader of the record sees them; the
    C-SSRS items its skip rules leave out say "Not asked". Answers stored before they
    were checked read as recorded."""
    instrument = instrument_of(instrument)
    prompts = list(item_texts(instrument))
    if instrument is Instrument.CSSRS_SCREENER and len(answers) == CSSRS_RECENT_ITEM:
        prompts.append(CSSRS_RECENT_PROMPT)
    said = []
    for item, (prompt, answer) in enumerate(zip(prompts, answers, strict=False), start=1):
        if instrument is Instrument.CSSRS_SCREENER and _skipped(item, answers):
            said.append((prompt, NOT_ASKED))
            continue
        try:
            options = answer_options(instrument, item)
            text = options[answer] if 0 <= answer < len(options) else str(answer)
        except (ValueError, TypeError):
            text = str(answer)
        said.append((prompt, text))
    return said


def _skipped(item: int, answers: Sequence[int]) -> bool:
    """Items 3 to 5 after a no on item 2, and the recency follow-up after a no on item 6."""
    if 3 <= item <= 5:
        return len(answers) > 1 and answers[1] != 1
    return item == CSSRS_RECENT_ITEM and len(answers) > 5 and answers[5] != 1


def answers_said(instrument: Instrument | str, answers: Sequence[int]) -> str:
    """`answers_in_words` as one line: "Prompt: answer; prompt: answer"."""
    return "; ".join(
        f"{prompt}: {answer}" for prompt, answer in answers_in_words(instrument, answers)
    )
