"""What an import will do with each row, before it does it: reads only.

Each row goes, in file order, through the rule the commit applies
(`coresponder.domain.intake.decide_overdose_join`, fed by the same gathering
functions in `intake.actions`): it joins an overdose already known, joins a row
earlier in the file, or is a new overdose. Rows the commit would record become
candidates for the rows after them, as they will be when the commit records them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.utils import timezone

from coresponder.core.errors import ActionError
from coresponder.domain.intake import (
    JOINING,
    SAME_OVERDOSE_WITHIN,
    JoinDecision,
    KnownOverdoseFacts,
    PersonAgreement,
    ReportFacts,
    decide_overdose_join,
    follow_up_window,
    weigh_person,
)
from coresponder.domain.linkage import Params, Record
from coresponder.identity.actions import decided_apart, linkage_record
from coresponder.identity.matching import active_params, possible_matches, with_shared_phones
from coresponder.intake.actions import (
    known_overdoses,
    record_as_sent,
    report_facts,
    reported_already,
    resolve_person,
    says_who,
)
from coresponder.intake.inputs import PersonInput, ReferralInput
from coresponder.intake.models import Overdose
from coresponder.people.models import Person
from coresponder.privacy.access import linkable, people_may_link
from coresponder.programs.models import Program

# A row looks like a person already known on the evidence that would join their overdose.
KNOWN_PERSON = JOINING


@dataclass
class RowPlan:
    """One row's fate: which overdose it joins (or none) and whom it looks like."""

    number: int
    decision: JoinDecision
    joins_overdose: Overdose | None = None
    joins_row: int | None = None
    # Overdoses already known (or row numbers) it might be of, when it joins none of them.
    ambiguous_overdoses: tuple[Overdose, ...] = ()
    ambiguous_rows: tuple[int, ...] = ()
    person_id: int | None = None  # a person already known the row looks like
    person_words: tuple[str, ...] = ()
    # Overdoses already known (or row numbers) whose person the row is as likely to be, but
    # whom the sure-merge guard holds back (twins, a father and son): joined by none.
    held_overdoses: tuple[Overdose, ...] = ()
    held_rows: tuple[int, ...] = ()
    # A person already known the row is as likely to be, held back the same way, and why.
    held_person_id: int | None = None
    caution: str = ""
    # It joins an overdose known (or a row) as survived, and says the person died.
    reports_death: bool = False
    # It names another record than the person of the overdose already known it joins.
    names_another: bool = False
    # The same source sent this record before, as it is: the commit adds nothing of it.
    sent_before: bool = False
    # A new overdose (or a death of one already known, for the family) whose follow-up
    # window closed before the file came: any follow-up it opens has its window from the
    # commit.
    late_report: bool = False

    @property
    def new_overdose(self) -> bool:
        return self.joins_overdose is None and self.joins_row is None


def _hour(moment: dt.datetime) -> int:
    return int(moment.timestamp() // 3600)


def _hour_span(window: dt.timedelta) -> int:
    return int(window.total_seconds() // 3600) + 1


def _row_key(number: int) -> tuple[str, int]:
    return ("row", number)


def _exact_key(data: PersonInput) -> tuple[str, str, dt.date] | None:
    """What `privacy.access.exact_match` compares: both names (any case) and the birth date."""
    birth = data.birth_date
    if not isinstance(birth, dt.date) or not says_who(data):
        return None
    given = str(data.given_name or "").strip().lower()
    family = str(data.family_name or "").strip().lower()
    return (given, family, birth)


def _records_of(person: Person, program: Program) -> tuple[Record, ...]:
    """A person's own fields and what this program's sources reported, as the commit weighs them."""
    sources = [s for s in person.source_records.all() if s.program_id == program.pk]
    # A shelter's phone says little of who this is (`matching.with_shared_phones`).
    return tuple(with_shared_phones([linkage_record(person), *map(linkage_record, sources)]))


class _Planner:
    def __init__(self, user: Any, program: Program, referrals: Sequence[tuple[int, ReferralInput]]):
        self.user, self.program = user, program
        self.params: Params = active_params()
        self.linkable_to = linkable(user, program)
        self.linkable = self.linkable_to.people
        self.known: dict[Hashable, KnownOverdoseFacts] = {}
        # Keys by the hour they happened, so each row looks only at its own few hours.
        self.by_hour: dict[int, list[Hashable]] = {}
        self.overdoses: dict[Hashable, Overdose] = {}
        # People earlier rows create, as the commit's exact match would find them.
        self.created: dict[tuple[str, str, dt.date], Hashable] = {}
        # Overdose key -> the records earlier rows add to it, as `reported_already` compares
        # them: a row the file holds twice adds nothing the second time.
        self.sent: dict[Hashable, set[Hashable]] = {}
        times = [
            r.overdose.occurred_at for _n, r in referrals if r.overdose and r.overdose.occurred_at
        ]
        if times:
            span = (min(times) - SAME_OVERDOSE_WITHIN, max(times) + SAME_OVERDOSE_WITHIN)
            for overdose, facts in known_overdoses(user, program, *span, self.linkable):
                self._add(facts)
                self.overdoses[facts.key] = overdose

    def plan(self, number: int, referral: ReferralInput) -> RowPlan | None:
        data = referral.person
        if data is None:
            return None  # only a report naming a person joins an overdose
        try:
            person = resolve_person(self.user, self.program, data, self.linkable)
        except ActionError:
            return None  # an unknown person id: the preview names that row's error
        report = report_facts(referral, person)
        exact = _exact_key(data) if data.id is None else None
        person_key: Hashable | None = person.pk if person is not None else None
        if person_key is None and exact is not None:
            person_key = self.created.get(exact)
            report = replace(report, person_key=person_key)
        decision = decide_overdose_join(report, self._around(report), self.params)
        row = RowPlan(number=number, decision=decision)
        sent = record_as_sent(referral)
        if decision.join is not None and self._death_apart(decision.join.key, referral, person):
            self._new(row, number, report, person, exact)
            if sent is not None:
                self.sent[_row_key(number)] = {sent}
        elif decision.join is not None:
            self._joined(row, decision.join.key, report, referral, person)
            row.sent_before = row.sent_before or sent in self.sent.get(decision.join.key, ())
            if sent is not None and not row.sent_before:
                self.sent.setdefault(decision.join.key, set()).add(sent)
        else:
            self._new(row, number, report, person, exact)
            if sent is not None:
                self.sent[_row_key(number)] = {sent}
            for evidence in decision.review:
                if evidence.key in self.overdoses:
                    row.ambiguous_overdoses += (self.overdoses[evidence.key],)
                elif isinstance(evidence.key, tuple):
                    row.ambiguous_rows += (int(evidence.key[1]),)
        for evidence in decision.held:
            row.caution = row.caution or evidence.caution
            if evidence.key in self.overdoses:
                row.held_overdoses += (self.overdoses[evidence.key],)
            elif isinstance(evidence.key, tuple):
                row.held_rows += (int(evidence.key[1]),)
        self._person(row, report, person)
        return row

    def _death_apart(self, key: Hashable, referral: ReferralInput, named: Person | None) -> bool:
        """The row says an overdose known as survived was fatal, naming a record that is
        someone else than its person (decided apart, or of a program that does not share):
        the commit makes the death that record's own overdose, joining none."""
        known = self.overdoses.get(key)
        if known is None or known.fatal or known.person is None or named is None:
            return False
        if referral.overdose is None or not referral.overdose.fatal:
            return False
        other = known.person
        return named.pk != other.pk and (
            decided_apart(named, other) or not people_may_link(named, other)
        )

    def _add(self, facts: KnownOverdoseFacts) -> None:
        self.known[facts.key] = facts
        self.by_hour.setdefault(_hour(facts.occurred_at), []).append(facts.key)

    def _around(self, report: ReportFacts) -> list[KnownOverdoseFacts]:
        hour, reach = _hour(report.occurred_at), _hour_span(SAME_OVERDOSE_WITHIN)
        keys = [k for h in range(hour - reach, hour + reach + 1) for k in self.by_hour.get(h, [])]
        return [self.known[k] for k in keys]

    def _joined(
        self,
        row: RowPlan,
        key: Hashable,
        report: ReportFacts,
        referral: ReferralInput,
        named: Person | None,
    ) -> None:
        facts = self.known[key]
        if report.person is not None:
            # The commit keeps this report's account of the person for the rows after it.
            self.known[key] = replace(facts, person_records=(*facts.person_records, report.person))
        if key in self.overdoses:
            row.joins_overdose = self.overdoses[key]
            row.sent_before = reported_already(self.user, row.joins_overdose, referral)
            row.person_id = int(str(facts.person_key))
            row.names_another = named is not None and named.pk != row.person_id
            row.person_words = row.decision.join.person_words if row.decision.join else ()
        elif isinstance(key, tuple):
            row.joins_row = int(key[1])

    def _new(
        self,
        row: RowPlan,
        number: int,
        report: ReportFacts,
        person: Person | None,
        exact: tuple[str, str, dt.date] | None,
    ) -> None:
        person_key = report.person_key
        records: tuple[Record, ...] = (report.person,) if report.person is not None else ()
        if person is not None:
            records = (*_records_of(person, self.program), *records)
        if person_key is None:
            person_key = _row_key(number)
            if exact is not None:
                self.created[exact] = person_key
        self._add(
            KnownOverdoseFacts(
                key=_row_key(number),
                occurred_at=report.occurred_at,
                coordinates=report.coordinates,
                place=report.place,
                person_key=person_key,
                person_records=records,
            )
        )

    def _person(self, row: RowPlan, report: ReportFacts, person: Person | None) -> None:
        """Whether the row looks like a person already known, and why."""
        if row.person_id is not None or report.person is None:
            return
        if person is not None:
            weighed = weigh_person(report.person, _records_of(person, self.program), self.params)
            row.person_id, row.person_words = person.pk, weighed.words
            return
        best = possible_matches(self.user, report.person, limit=1, among=self.linkable_to)
        if not best:
            return
        found = (
            self.linkable.filter(pk=best[0].person_id).prefetch_related("source_records").first()
        )
        if found is None:
            return
        weighed = weigh_person(report.person, _records_of(found, self.program), self.params)
        if weighed.agreement in KNOWN_PERSON:
            row.person_id, row.person_words = found.pk, weighed.words
        elif weighed.agreement is PersonAgreement.HELD:
            row.held_person_id, row.person_words = found.pk, weighed.words
            row.caution = row.caution or weighed.caution


def plan_rows(
    user: Any, program: Program, referrals: Sequence[tuple[int, ReferralInput]]
) -> dict[int, RowPlan]:
    """Row number -> what the commit will do with that overdose report; writes nothing."""
    usable = [(n, r) for n, r in referrals if r.overdose and r.person]
    planner = _Planner(user, program, usable)
    fatal = {n: bool(r.overdose and r.overdose.fatal) for n, r in usable}
    now = timezone.now()
    plans = {}
    for number, referral in usable:
        plan = planner.plan(number, referral)
        if plan is not None:
            joined_fatal = (
                plan.joins_overdose.fatal
                if plan.joins_overdose is not None
                else fatal.get(plan.joins_row or 0, True)
            )
            plan.reports_death = fatal[number] and not joined_fatal and not plan.sent_before
            # A new overdose opens a follow-up; a death it reports of one already known opens
            # the family's (unless it waits on a coordinator's decision of whose it is).
            opens = plan.new_overdose or (plan.reports_death and not plan.names_another)
            plan.late_report = (
                opens
                and not plan.sent_before
                and _arrives_late(program, referral, now, plan.joins_overdose)
            )
            plans[number] = plan
    return plans


def _arrives_late(
    program: Program, referral: ReferralInput, now: dt.datetime, joins: Overdose | None
) -> bool:
    """Whether the follow-up this row may open would have had its window closed by `now`.
    A death reported of an overdose already known opens the family's follow-up on that
    overdose's referral and times, not the row's."""
    follow_up = program.rules.follow_up
    overdose = referral.overdose
    if follow_up is None or overdose is None:
        return False
    if overdose.fatal and follow_up.fatal_overdose != "family":
        return False  # opens no follow-up at all
    pathway, occurred_at, received_at = referral.pathway, overdose.occurred_at, referral.received_at
    if joins is not None and joins.referral is not None:
        pathway, occurred_at = joins.referral.pathway, joins.occurred_at
        received_at = joins.referral.received_at
    if pathway not in follow_up.pathways:
        return False
    anchor = occurred_at if follow_up.anchor == "overdose" and occurred_at else received_at
    if anchor is None:
        return False
    opens, closes = follow_up.opens_after_hours, follow_up.closes_after_hours
    return follow_up_window(anchor, now, opens, closes)[2]


@dataclass(frozen=True)
class PlanCounts:
    rows: int
    new: int
    join_known: int
    join_rows: int
    known_people: int
    sent_before: int = 0

    def sentence(self, row_numbers: Sequence[int]) -> str:
        """'12 rows: 9 new overdoses, 2 join overdoses already known, 1 joins row 4; ...'."""
        parts = [_count(self.new, "new overdose", "new overdoses")]
        if self.join_known:
            parts.append(
                _count(
                    self.join_known,
                    "joins an overdose already known",
                    "join overdoses already known",
                )
            )
        if self.sent_before:
            parts.append(
                _count(
                    self.sent_before,
                    "the source sent before, as it is (nothing will be added)",
                    "the source sent before, as they are (nothing will be added)",
                )
            )
        if self.join_rows:
            rows = ", ".join(str(n) for n in row_numbers)
            which = f"row {rows}" if len(row_numbers) == 1 else f"rows {rows}"
            verb = "joins" if self.join_rows == 1 else "join"
            parts.append(f"{self.join_rows} {verb} {which}")
        people = (
            "1 looks like a person already known"
            if self.known_people == 1
            else f"{self.known_people} look like people already known"
        )
        return f"{_count(self.rows, 'row', 'rows')}: {', '.join(parts)}; {people}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def count_plans(rows: int, plans: dict[int, RowPlan]) -> tuple[PlanCounts, list[int]]:
    """The counts the preview states, and the rows that others join."""
    adding = [p for p in plans.values() if not p.sent_before]
    joined_rows = sorted({p.joins_row for p in adding if p.joins_row is not None})
    counts = PlanCounts(
        rows=rows,
        new=sum(p.new_overdose for p in plans.values()) + (rows - len(plans)),
        join_known=sum(p.joins_overdose is not None for p in adding),
        join_rows=sum(p.joins_row is not None for p in adding),
        known_people=sum(p.person_id is not None for p in plans.values()),
        sent_before=sum(p.sent_before for p in plans.values()),
    )
    return counts, joined_rows
