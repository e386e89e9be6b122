"""Follow-up: outreach tasks with their preset windows, and the attempts to reach people.

Windows come from the preset's follow-up rule (anchored on the overdose or the
referral). Each attempt settles the task by the product's own rule (`after_attempt`):
one of the preset's closing outcomes closes it, as does the last of the preset's
`max_attempts` tries that found nobody; a conversation that closes nothing uses none of
them up. A few old tasks never got an attempt at all.
A task nobody closed ends the load expired (missed) once its window closed longer
ago than the preset allows, as the worker would have left it; the queue then opens
on the tasks due now. A team never records a try after that moment (the product
refuses it): a task they reach too late is expired instead.
"""

from __future__ import annotations

import datetime as dt

from coresponder.demo.care import PHONE, VISIT, CareMaker
from coresponder.demo.context import ProgramContext
from coresponder.demo.draw import Weighted, chance, hours_later, pick
from coresponder.demo.intake import Reach
from coresponder.domain.outreach import (
    NOT_REACHED,
    AttemptEffect,
    after_attempt,
    died_on_problem,
    expires_at,
    expiry_due,
    follow_up_rules,
    has_expired,
)
from coresponder.domain.presets import FollowUp
from coresponder.domain.vocabulary import AttemptChannel as Channel
from coresponder.domain.vocabulary import AttemptOutcome as Outcome
from coresponder.domain.vocabulary import EncounterKind
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.programs.models import Team, User

Target = OutreachTask.Target

REACHED_PARTICIPANT: frozenset[Outcome] = frozenset(
    {
        Outcome.CONTACTED,
        Outcome.DECLINED,
        Outcome.DECLINED_INTERESTED_LATER,
        Outcome.ACCEPTED_TREATMENT,
        Outcome.ALREADY_IN_TREATMENT,
    }
)
_PARTICIPANT_WEIGHTS: dict[Outcome, float] = {
    Outcome.NOT_LOCATED: 30,
    Outcome.CONTACTED: 17,
    Outcome.ACCEPTED_TREATMENT: 15,
    Outcome.CONTACTED_COLLATERAL_ONLY: 11,
    Outcome.DECLINED: 8,
    Outcome.DECLINED_INTERESTED_LATER: 7,
    Outcome.ALREADY_IN_TREATMENT: 6,
    Outcome.MOVED_AWAY: 2.5,
}
PARTICIPANT_OUTCOMES = Weighted(_PARTICIPANT_WEIGHTS)
# Only someone never seen again can turn out to have died.
LAST_CONTACT_OUTCOMES = Weighted({**_PARTICIPANT_WEIGHTS, Outcome.DECEASED: 1.2})
# After a fatal overdose the team reaches out to the family, not the person.
FAMILY_OUTCOMES = Weighted(
    {
        Outcome.CONTACTED_COLLATERAL_ONLY: 60,
        Outcome.NOT_LOCATED: 22,
        Outcome.DECLINED: 12,
        Outcome.MOVED_AWAY: 6,
    }
)
CHANNELS = Weighted(
    {
        Channel.HOME_VISIT: 45,
        Channel.PHONE: 25,
        Channel.IN_PERSON: 17,
        Channel.TEXT: 8,
        Channel.OTHER: 5,
    }
)
FAMILY_CHANNELS = Weighted({Channel.HOME_VISIT: 55, Channel.PHONE: 40, Channel.OTHER: 5})
KITS_LEFT = Weighted({0: 45, 1: 40, 2: 15})
FACE_TO_FACE = frozenset({Channel.HOME_VISIT, Channel.IN_PERSON})
# Most first attempts land inside the window; some teams run late, a few never go.
ON_TIME_SHARE = 0.85
MISSED_SHARE = 0.04
FALLBACK_CONTACTS = ("neighbor", "friend", "other")


# What a closed case's checklist says in the demo, by the presets' item keys.
DEMO_ANSWERS = {
    "treatment_plan": "Referred to the buprenorphine clinic; intake booked",
    "consent_status": "signed",
    "contact_preference": "Phone call in the afternoon",
    "long_term_plan": "Weekly check-ins with the recovery coach",
    "family_support": "Grief and naloxone resources left with the family",
}


class FollowUpMaker:
    """Opens a task for each referral the preset follows up, and works it."""

    def __init__(self, ctx: ProgramContext, care: CareMaker) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.care = care

    def follow_up(self, reach: Reach) -> OutreachTask | None:
        rule = self.ctx.preset.follow_up
        if rule is None or reach.pathway not in rule.pathways or not reach.referral.eligible:
            return None
        target = Target.PARTICIPANT
        if reach.overdose is not None and reach.overdose.fatal:
            if rule.fatal_overdose != "family":
                return None
            target = Target.FAMILY
        anchor = reach.follow_up_anchor if rule.anchor == "overdose" else reach.referral.received_at
        task = OutreachTask(
            program_id=self.ctx.program.pk,
            person=reach.person,
            referral=reach.referral,
            overdose=reach.overdose,
            target=target,
            window_start=hours_later(anchor, rule.opens_after_hours),
            window_end=hours_later(anchor, rule.closes_after_hours),
            status=OutreachTask.Status.OPEN,
            district=reach.referral.district,
        )
        # The follow-up opened as the referral came in, not when the demo was loaded.
        self.ctx.writer.add(task, created_at=reach.referral.received_at)
        self.work(task, reach, rule)
        return task

    def first_attempt_at(self, task: OutreachTask) -> dt.datetime:
        rng = self.rng
        if chance(rng, ON_TIME_SHARE):
            length = (task.window_end - task.window_start).total_seconds()
            return task.window_start + dt.timedelta(seconds=length * rng.uniform(0.05, 0.9))
        return hours_later(task.window_end, rng.uniform(2, 72))

    def work(self, task: OutreachTask, reach: Reach, rule: FollowUp) -> None:
        """Attempts until one closes the task by the preset's rules, the preset's number of
        tries, or the anchor date."""
        ctx, rng = self.ctx, self.rng
        if task.window_end < ctx.anchor_at and chance(rng, MISSED_SHARE):
            self.expire_if_due(task, rule)
            return
        rules = follow_up_rules(rule)
        crew = ctx.crew()
        at = self.first_attempt_at(task)
        attempts: list[Attempt] = []
        not_reached = 0
        closes = False
        # A demo team makes at most the preset's number of tries, whatever they found; a
        # task they leave open stays in the queue, or expires, as it would in the product.
        while (
            len(attempts) < rules.max_attempts
            and at < ctx.anchor_at
            # The worker has moved a task out of the queue by then: `record_attempt`
            # refuses an attempt on it, so a team that came too late finds it expired.
            and not has_expired(self.expiry_due(task), at, rule.expires_after_hours)
        ):
            attempt = self.attempt(task, reach, at, crew)
            attempts.append(attempt)
            not_reached += attempt.outcome in NOT_REACHED
            effect = after_attempt(
                attempt.outcome,
                not_reached,
                rules.max_attempts,
                rules.attempt_spacing_hours,
                # On the program's clock, as `record_attempt` settles it.
                at.astimezone(ctx.zone),
                rules.closing_outcomes,
            )
            if effect.closes:
                closes = True
                break
            self.await_next(task, effect)
            # Never sooner than the preset's spacing (record_attempt refuses that), counted
            # in UTC so a DST night cannot shorten it; teams often come back a bit later.
            at = hours_later(
                at.astimezone(dt.UTC), rule.attempt_spacing_hours * rng.uniform(1, 1.6)
            )
        self.settle(task, attempts, closes, rule, crew[0])

    @staticmethod
    def await_next(task: OutreachTask, effect: AttemptEffect) -> None:
        """The next try and re-contact an attempt leaves on the task, as the product keeps
        them: a late entry cannot pull the next try forward, a re-contact date stays."""
        next_try = effect.next_attempt_after
        if next_try is not None and task.next_attempt_after is not None:
            next_try = max(next_try, task.next_attempt_after)
        task.next_attempt_after = next_try
        task.recontact_on = effect.recontact_on or task.recontact_on

    def attempt(
        self, task: OutreachTask, reach: Reach, at: dt.datetime, crew: tuple[Team | None, User]
    ) -> Attempt:
        ctx, rng = self.ctx, self.rng
        family = task.target == Target.FAMILY
        outcome = ctx.decks.outcomes.draw(rng, self.outcomes(reach, family))
        channel = (FAMILY_CHANNELS if family else CHANNELS).draw(rng)
        face_to_face = channel in FACE_TO_FACE
        attempt = Attempt(
            task=task,
            attempted_at=at,
            channel=channel.value,
            outcome=outcome.value,
            recorded_by=crew[1],
            team=crew[0],
            naloxone_kits_left=KITS_LEFT.draw(rng) if face_to_face else 0,
            resource_cards_left=rng.randint(0, 3) if face_to_face else 0,
        )
        ctx.writer.add(attempt)
        self.contacts(attempt, reach, outcome, family)
        if outcome is Outcome.DECEASED:
            reach.identity.deceased = True
            reach.person.deceased_on = self.died_on(reach, at)
        elif not family:
            self.aftermath(reach, attempt, outcome, channel, crew)
        return attempt

    def died_on(self, reach: Reach, at: dt.datetime) -> dt.date:
        """The day of death a visit recorded as Deceased gives, as the visit form takes it
        (`died_on_problem`): some days before the visit on the program's calendar, never
        before the person was born (then the day of the visit)."""
        visit_day = at.astimezone(self.ctx.zone).date()
        day = visit_day - dt.timedelta(days=self.rng.randint(1, 20))
        person = reach.person
        problem = died_on_problem(
            Outcome.DECEASED,
            day,
            today=visit_day,
            attempted_on=visit_day,
            born_on=person.birth_date,
            born_in=person.birth_year,
        )
        return visit_day if problem is not None else day

    def outcomes(self, reach: Reach, family: bool) -> Weighted[Outcome]:
        if family:
            return FAMILY_OUTCOMES
        return LAST_CONTACT_OUTCOMES if reach.is_last else PARTICIPANT_OUTCOMES

    def contacts(self, attempt: Attempt, reach: Reach, outcome: Outcome, family: bool) -> None:
        """Who was reached: the person, a relative or friend, or nobody."""
        rng, writer = self.rng, self.ctx.writer
        reached_person = outcome in REACHED_PARTICIPANT and not family
        if reached_person:
            writer.add(AttemptContact(attempt=attempt, role=AttemptContact.Role.PARTICIPANT))
        collateral = {
            Outcome.CONTACTED_COLLATERAL_ONLY: 1.0,
            Outcome.DECEASED: 0.8,
            Outcome.MOVED_AWAY: 0.4,
        }.get(outcome, 0.25 if reached_person else 0.0)
        if family and outcome is Outcome.DECLINED:
            collateral = 1.0
        if chance(rng, collateral):
            writer.add(self.collateral_contact(attempt, reach))

    def collateral_contact(self, attempt: Attempt, reach: Reach) -> AttemptContact:
        known = reach.identity.collaterals
        if known:
            relative = pick(self.rng, known)
            return AttemptContact(
                attempt=attempt,
                role=AttemptContact.Role.COLLATERAL,
                collateral=relative,
                relationship=relative.relationship,
                name=relative.name,
            )
        return AttemptContact(
            attempt=attempt,
            role=AttemptContact.Role.COLLATERAL,
            relationship=pick(self.rng, FALLBACK_CONTACTS),
        )

    def aftermath(
        self,
        reach: Reach,
        attempt: Attempt,
        outcome: Outcome,
        channel: Channel,
        crew: tuple[Team | None, User],
    ) -> None:
        """A visit that reached the person is an encounter; acceptance means a referral."""
        rng, care, at = self.rng, self.care, attempt.attempted_at
        if outcome in REACHED_PARTICIPANT:
            if channel in FACE_TO_FACE and chance(rng, 0.45):
                care.encounter(reach, EncounterKind.OUTREACH_VISIT, at, VISIT, crew=crew)
            elif channel is Channel.PHONE and chance(rng, 0.15):
                care.encounter(reach, EncounterKind.PHONE, at, PHONE, crew=crew)
        if outcome is Outcome.ACCEPTED_TREATMENT and chance(rng, 0.85):
            care.refer(reach, at, crew[1], care.treatment)
            if chance(rng, 0.3):
                care.refer(reach, at, crew[1], care.support)
        elif outcome in (Outcome.CONTACTED, Outcome.DECLINED_INTERESTED_LATER) and chance(rng, 0.2):
            care.refer(reach, at, crew[1], care.support)

    def settle(
        self,
        task: OutreachTask,
        attempts: list[Attempt],
        closes: bool,
        rule: FollowUp,
        team: Team | None,
    ) -> None:
        """Close on the attempt that closed the task; expire what is past its time."""
        if not attempts:
            if task.window_end >= self.ctx.anchor_at and team is not None and chance(self.rng, 0.4):
                task.status = OutreachTask.Status.CLAIMED
                task.claimed_by = team
            self.expire_if_due(task, rule)
            return
        last = attempts[-1]
        outcome = Outcome(last.outcome)
        if closes:
            task.status = OutreachTask.Status.CLOSED
            task.next_attempt_after = None
            task.closed_at = last.attempted_at
            task.close_reason = outcome.value
            task.checklist = {
                item.key: DEMO_ANSWERS.get(item.key, "Recorded at the visit")
                for item in self.ctx.preset.closing_checklist
            }
            task.checklist["outcome"] = outcome.value
            return
        task.status = OutreachTask.Status.CLAIMED if team is not None else OutreachTask.Status.OPEN
        task.claimed_by = team
        self.expire_if_due(task, rule)

    @staticmethod
    def expiry_due(task: OutreachTask) -> dt.datetime:
        """From when the task's grace counts, as the worker reckons it: a person who asked
        to be contacted later keeps the task until that re-contact."""
        return expiry_due(task.window_end, task.recontact_on, task.next_attempt_after)

    def expire_if_due(self, task: OutreachTask, rule: FollowUp) -> None:
        """Still open at the end of the load: expire it if the worker would have by then."""
        due = self.expiry_due(task)
        if has_expired(due, self.ctx.anchor_at, rule.expires_after_hours):
            task.status = OutreachTask.Status.EXPIRED
            task.closed_at = expires_at(due, rule.expires_after_hours)
            task.next_attempt_after = None
