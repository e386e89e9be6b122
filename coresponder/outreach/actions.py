"""The one write path for follow-up: a task's whole life (opened, escalated, claimed,
attempted, checked off, closed, expired), its priority tier, and the reminder notices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from coresponder.core.audit import Actor, record_event, record_list_read
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.clock import CLOCK_SKEW, zone_words
from coresponder.domain.intake import follow_up_window
from coresponder.domain.outreach import (
    NOT_REACHED,
    OVERRIDE_REASON_MIN_LENGTH,
    SpacingConflict,
    after_attempt,
    close_reason_problem,
    collaterals_problem,
    contacts_problem,
    died_on_problem,
    expiry_cutoff,
    follow_up_rules,
    missing_checklist,
    spacing_conflict,
)
from coresponder.domain.policy import TASK_ASSIGN_ROLES, RecordType
from coresponder.domain.vocabulary import CloseReason, label
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.access import CLOSE_NOTE_WITHHELD, close_note_read
from coresponder.outreach.checklist import unreadable_items
from coresponder.outreach.models import (
    OPEN_STATUSES,
    QUEUE_STATUSES,
    Attempt,
    AttemptContact,
    Notice,
    OutreachTask,
    still_due,
)
from coresponder.outreach.tiers import tier_changes, tier_for
from coresponder.people.models import Person
from coresponder.privacy.access import PersonAccess, role_in
from coresponder.programs.duty import seats_still_working, sits_on
from coresponder.programs.local_time import format_for_message, today_in
from coresponder.programs.models import Membership, Program, Team, TeamMember

# Staff may close by hand a task still in the queue, or one that expired unworked.
CLOSABLE_STATUSES = (*QUEUE_STATUSES, OutreachTask.Status.EXPIRED)
# One audit event names at most this many expired tasks; a longer batch takes several.
EXPIRY_EVENT_IDS = 500

RecordDeath = Callable[[Actor, Person, dt.date], None]

# Who writes a person's day of death: identity's `record_death`, which merges and imports
# use too. Identity's actions call outreach's, so outreach cannot import them back at the
# top of this module; the identity app hands its action over when it starts
# (`identity.apps`), as intake hands identity the placing of a death.
_DEATH_RECORDER: list[RecordDeath] = []


def record_deaths_with(recorder: RecordDeath) -> None:
    """The action that records a person's day of death, learned at a visit."""
    _DEATH_RECORDER[:] = [recorder]


def checklist_of(task: OutreachTask) -> list[tuple[str, str]]:
    return [(i.key, i.label) for i in task.program.rules.closing_checklist]


def follow_up_referral(
    actor: Actor,
    program: Program,
    person: Person,
    referral: Referral,
    overdose: Overdose | None,
    *,
    learned_at: dt.datetime | None = None,
) -> OutreachTask | None:
    """Follow-up on the preset's window for an eligible referral; after a fatal overdose,
    to the family. A repeat contact while a task is open escalates it rather than opening
    a second. None when the preset asks no follow-up for this referral.

    `learned_at` is when the program learned what calls for it, where that is not the
    referral's own arrival (a later report that the overdose was fatal)."""
    follow_up = program.rules.follow_up
    if follow_up is None or referral.pathway not in follow_up.pathways:
        return None
    target = OutreachTask.Target.PARTICIPANT
    if overdose is not None and overdose.fatal:
        if follow_up.fatal_overdose != "family":
            return None
        target = OutreachTask.Target.FAMILY
    anchor = (
        overdose.occurred_at
        if follow_up.anchor == "overdose" and overdose
        else (referral.received_at)
    )
    # A file is learned of when it is imported; a referral sent or typed says when it came.
    learned = learned_at or (
        timezone.now() if referral.channel == Referral.Channel.IMPORT else referral.received_at
    )
    start, end, late = follow_up_window(
        anchor, learned, follow_up.opens_after_hours, follow_up.closes_after_hours
    )
    already = OutreachTask.objects.filter(
        program=program, person=person, status__in=OPEN_STATUSES, target=target
    ).first()
    if already is not None:
        # The new contact gives the team its own window: a second overdose an hour before
        # the first one's window closes is not left an hour.
        return escalate_task(actor, already, window_end=end)
    return open_task(
        actor, program, person, referral, overdose, target, start, end, window_from_report=late
    )


def open_task(
    actor: Actor,
    program: Program,
    person: Person,
    referral: Referral | None,
    overdose: Overdose | None,
    target: str,
    window_start: dt.datetime,
    window_end: dt.datetime,
    *,
    window_from_report: bool = False,
) -> OutreachTask:
    """A new task in the queue, in the referral's district, at the person's priority tier."""
    with transaction.atomic():
        task = OutreachTask(
            program=program,
            person=person,
            referral=referral,
            overdose=overdose,
            target=target,
            window_start=window_start,
            window_end=window_end,
            window_from_report=window_from_report,
            district=referral.district if referral is not None else None,
            priority_tier=tier_for(program, person.pk),
        )
        save_tracked(task, actor.user)
        record_event(
            actor,
            "create",
            obj=task,
            person_id=person.pk,
            program_slug=program.slug,
            fields=["outreach"],
        )
    return task


def follow_up_death(
    actor: Actor,
    program: Program,
    person: Person,
    referral: Referral | None,
    overdose: Overdose | None,
    *,
    learned_at: dt.datetime | None = None,
) -> OutreachTask | None:
    """A later report says the overdose was fatal: the person's open follow-ups in the
    program close (nobody is to visit someone reported dead, whichever overdose a visit
    was opened for) and, for an eligible referral where the preset follows up fatal
    overdoses with the family, the family's opens. Inside the action that learned it.

    Without a referral and an overdose of this person (a death a coordinator placed on
    another record than the overdose's), the follow-ups close and no family's opens. The
    family's window counts from `learned_at`, when the death was learned, where the
    referral's own window closed before that: a death reported days later is not followed
    up in a window that had closed."""
    close_visits_of_the_dead(
        actor, program, person, "A later report of this overdose says it was fatal."
    )
    if referral is None or overdose is None or not referral.eligible:
        return None
    return follow_up_referral(actor, program, person, referral, overdose, learned_at=learned_at)


def close_visits_of_the_dead(actor: Actor, program: Program, person: Person, note: str) -> None:
    """The person died: their open follow-ups in the program close, whichever overdose or
    referral opened them (nobody is to visit someone reported dead). The family's stay."""
    for task in OutreachTask.objects.filter(
        program=program,
        person=person,
        target=OutreachTask.Target.PARTICIPANT,
        status__in=QUEUE_STATUSES,
    ):
        _close(actor, task, CloseReason.OTHER.value, note)


def close_follow_ups_of_the_dead(
    actor: Actor, person: Person, *, but: int | None = None
) -> list[TaskAsItWas]:
    """A person now recorded as dead (a merge with the record of their death, a visit that
    learned it): their open follow-ups in every program close, the family's aside, and
    `but` (the visit's own task, which its outcome settles). Returns each as it was, so the
    merge can be undone."""
    before: list[TaskAsItWas] = []
    tasks = OutreachTask.objects.filter(
        person=person, target=OutreachTask.Target.PARTICIPANT, status__in=QUEUE_STATUSES
    )
    if but is not None:
        tasks = tasks.exclude(pk=but)
    for task in tasks.select_related("program"):
        before.append(_as_it_is(task.pk, task.status, task.escalations, task.window_end))
        _close(actor, task, CloseReason.OTHER.value, "The person is recorded as dead.")
    return before


def _task_changed(actor: Actor, task: OutreachTask, detail: dict[str, Any]) -> None:
    """The change to a task, audited under its program and person."""
    record_event(
        actor,
        "change",
        obj=task,
        person_id=task.person_id,
        program_slug=task.program.slug,
        fields=["outreach"],
        detail=detail,
    )


def escalate_task(
    actor: Actor,
    task: OutreachTask,
    by: int = 1,
    *,
    window_end: dt.datetime | None = None,
) -> OutreachTask:
    """Someone came to notice again while the task is open: it counts one more escalation,
    and its window stays open at least until `window_end`, the new contact's own."""
    with transaction.atomic():
        task.escalations += by
        detail: dict[str, Any] = {"escalated": True}
        if window_end is not None and window_end > task.window_end:
            detail["window_end"] = {
                "from": task.window_end.isoformat(),
                "to": window_end.isoformat(),
            }
            task.window_end = window_end
        save_tracked(task, actor.user)
        _task_changed(actor, task, detail)
    return task


class TaskAsItWas(TypedDict):
    """A follow-up's state before a merge changed it (kept in the merge, as JSON). Merges
    recorded before the window end was kept have none."""

    pk: int
    status: str
    escalations: int
    window_end: NotRequired[str]


def _as_it_is(pk: int, status: str, escalations: int, window_end: dt.datetime) -> TaskAsItWas:
    return {
        "pk": pk,
        "status": status,
        "escalations": escalations,
        "window_end": window_end.isoformat(),
    }


AS_IT_IS = ("pk", "status", "escalations", "window_end")


def escalate_duplicate_tasks(actor: Actor, person: Person) -> list[TaskAsItWas]:
    """Two open follow-ups for the now-same person: keep the earliest open, escalate it,
    cancel the others. Returns each changed task as it was, so a merge can be undone."""
    changes: list[TaskAsItWas] = []
    with transaction.atomic():
        open_tasks = OutreachTask.objects.filter(person=person, status__in=OPEN_STATUSES).order_by(
            "window_start", "id"
        )
        groups: dict[tuple[int, str], list[OutreachTask]] = {}
        for task in open_tasks:
            groups.setdefault((task.program_id, task.target), []).append(task)
        for tasks in groups.values():
            if len(tasks) < 2:
                continue
            kept, *duplicates = tasks
            changes.append(_as_it_is(kept.pk, kept.status, kept.escalations, kept.window_end))
            escalate_task(actor, kept, by=len(duplicates))
            for task in duplicates:
                changes.append(_as_it_is(task.pk, task.status, task.escalations, task.window_end))
                task.status = OutreachTask.Status.CANCELLED
                save_tracked(task, actor.user)
                record_event(
                    actor,
                    "change",
                    obj=task,
                    person_id=person.pk,
                    detail={"cancelled": "duplicate after merge", "kept_task": kept.pk},
                )
    return changes


def tasks_as_they_are(program: Program, person: Person) -> list[TaskAsItWas]:
    """The person's follow-ups in the program still in the queue, as they are: what a change
    that may close or escalate them keeps, to be undone."""
    return [
        _as_it_is(*row)
        for row in OutreachTask.objects.filter(
            program=program, person=person, status__in=QUEUE_STATUSES
        )
        .order_by("id")
        .values_list(*AS_IT_IS)
    ]


def changed_since(before: list[TaskAsItWas]) -> list[TaskAsItWas]:
    """Those of `before` that no longer stand as they were."""
    now = {
        row[0]: _as_it_is(*row)
        for row in OutreachTask.objects.filter(pk__in=[t["pk"] for t in before]).values_list(
            *AS_IT_IS
        )
    }
    return [t for t in before if now.get(t["pk"]) != t]


def cancel_tasks(actor: Actor, ids: list[int], person_id: int, why: str) -> None:
    """Follow-ups opened by a change now undone leave the queue, audited."""
    for task in OutreachTask.objects.filter(pk__in=ids, status__in=QUEUE_STATUSES):
        task.status = OutreachTask.Status.CANCELLED
        save_tracked(task, actor.user)
        record_event(actor, "change", obj=task, person_id=person_id, detail={"cancelled": why})


def restore_tasks(actor: Actor, changes: list[TaskAsItWas], person_id: int) -> None:
    """Undo `escalate_duplicate_tasks` (or a death's closing): each task back to the status
    and escalations it had, the last change first, so an undone merge leaves the follow-ups
    as they were. A task back in the queue is no longer closed."""
    with transaction.atomic():
        for change in reversed(changes):
            task = OutreachTask.objects.get(pk=change["pk"])
            task.status = change["status"]
            task.escalations = change["escalations"]
            if "window_end" in change:
                task.window_end = dt.datetime.fromisoformat(change["window_end"])
            if task.status in QUEUE_STATUSES:
                task.closed_at = None
                task.close_reason = ""
                task.close_note = ""
            save_tracked(task, actor.user)
            record_event(
                actor,
                "change",
                obj=task,
                person_id=person_id,
                detail={"restored": "merge undone", "status": task.status},
            )


def refresh_priority_tiers(program: Program, person_ids: Iterable[int] | None = None) -> int:
    """Recompute the tier of queued tasks (of some people, or all); returns tasks changed.

    A derived value: it moves no `version` and writes no audit event of its own.
    """
    with transaction.atomic():
        moves = tier_changes(program, person_ids)
        for tier, pks in moves.items():
            for start in range(0, len(pks), 5000):
                OutreachTask.objects.filter(pk__in=pks[start : start + 5000]).update(
                    priority_tier=tier
                )
    return sum(len(pks) for pks in moves.values())


def refresh_tiers_of_people(person_ids: list[int]) -> None:
    """Recompute the tiers of these people's queued tasks in every program they have one."""
    program_ids = set(
        OutreachTask.objects.filter(person_id__in=person_ids).values_list("program_id", flat=True)
    )
    for program in Program.objects.filter(pk__in=program_ids):
        refresh_priority_tiers(program, person_ids)


def _must_write(access: PersonAccess) -> None:
    if not access.may_write(RecordType.OUTREACH):
        raise Forbidden("Your role may not record follow-up.")


def claim_task(actor: Actor, access: PersonAccess, task: OutreachTask, team: Team) -> OutreachTask:
    """A team takes a task, claimed by one of its members. Two teams can never both win:
    the update is conditional."""
    _must_write(access)
    if team.program_id != task.program_id:
        raise ActionError("That team is not in this program.", {"team_id": ["not in this program"]})
    if not sits_on(team, actor.user_or_none):
        raise ActionError(
            "Choose one of your teams.", {"team_id": ["you are not a member of this team"]}
        )
    claimable = Q(claimed_by__isnull=True, status=OutreachTask.Status.OPEN)
    _change_claim(actor, task, task.version, team, {"claimed_by": team.pk}, when=claimable)
    return task


def may_assign(user: Any, program: Program) -> bool:
    """Whether the user gives the program's tasks to teams and takes them back."""
    return role_in(user, program) in TASK_ASSIGN_ROLES


def release_task(
    actor: Actor, access: PersonAccess, task: OutreachTask, version: int
) -> OutreachTask:
    """A claimed task goes back to the queue for any team, against the version the user
    saw: by a member of the team that claimed it, or by one who assigns the program's tasks."""
    _must_write(access)
    if task.version != version:
        raise StaleVersion(task, version)  # who may give it back depends on who has it now
    team = task.claimed_by
    if task.status != OutreachTask.Status.CLAIMED or team is None:
        raise ActionError("No team has claimed this task.", {"task": ["not claimed"]})
    member = sits_on(team, actor.user_or_none)
    if not member and not may_assign(actor.user, task.program):
        raise Forbidden("Only its team or the program's coordinator gives this task back.")
    by = str(actor.user_or_none or actor.name)
    message = (
        f"{task.program.name}: outreach task {task.pk} was given back to the queue by {by}; "
        f"{team.name} no longer has it."
    )
    with transaction.atomic():
        _change_claim(actor, task, version, None, detail={"released_from": team.pk})
        # The team that had it, and whoever gives the program's tasks to teams, are told.
        seats = seats_still_working(task.program, TeamMember.objects.filter(team=team))
        givers = Membership.objects.filter(
            program=task.program,
            active=True,
            user__is_active=True,
            role__in=[role.value for role in TASK_ASSIGN_ROLES],
        )
        told = {*seats.values_list("user", flat=True), *givers.values_list("user", flat=True)}
        for user_id in sorted(told - {getattr(actor.user_or_none, "pk", None)}):
            _tell(user_id, task, message)
    return task


def assign_task(
    actor: Actor, access: PersonAccess, task: OutreachTask, team: Team, version: int
) -> OutreachTask:
    """The program's coordinator gives a task still to be worked to one of its teams (from
    the queue, or from the team that claimed it), against the version they saw. The new
    team's members are told."""
    _must_write(access)
    if not may_assign(actor.user, task.program):
        raise Forbidden("Only the program's coordinator gives tasks to teams.")
    if team.program_id != task.program_id or not team.active:
        raise ActionError("That team is not in this program.", {"team_id": ["not in this program"]})
    if task.status not in OPEN_STATUSES:
        raise ActionError("This task is no longer in the queue.", {"task": ["not in the queue"]})
    if task.claimed_by_id == team.pk:
        raise ActionError(f"{team.name} has this task already.", {"team_id": ["has it already"]})
    was = task.claimed_by
    closes = format_for_message(task.window_end, task.program)
    by = str(actor.user_or_none or actor.name)
    message = (
        f"{task.program.name}: outreach task {task.pk} was given to {team.name} by {by}; "
        f"its window closes at {closes}."
    )
    with transaction.atomic():
        detail = {"assigned_to": team.pk, "taken_from": was.pk if was else None}
        _change_claim(actor, task, version, team, detail=detail)
        # The team that has it now and the team that had it are both told, each time.
        teams = [team, *([was] if was else [])]
        told = seats_still_working(task.program, TeamMember.objects.filter(team__in=teams))
        for user_id in sorted(
            set(told.exclude(user=actor.user_or_none).values_list("user", flat=True))
        ):
            _tell(user_id, task, message)
    return task


def _tell(user_id: int, task: OutreachTask, message: str) -> None:
    """The one notice a user has about a task given to a team: the latest, unread again."""
    Notice.objects.update_or_create(
        recipient_id=user_id,
        task=task,
        kind=Notice.Kind.ASSIGNED,
        defaults={
            "program": task.program,
            "message": message,
            "created_at": timezone.now(),
            "read_at": None,
            "emailed_at": None,
        },
    )


def _change_claim(
    actor: Actor,
    task: OutreachTask,
    version: int,
    team: Team | None,
    detail: dict[str, Any],
    *,
    when: Q | None = None,
) -> None:
    """Who holds the task, changed only if no one changed it since `version`, or, `when`
    given, only while the stored task meets it (else 409): two teams claiming at once
    cannot both win."""
    condition = when if when is not None else Q(version=version, status__in=OPEN_STATUSES)
    with transaction.atomic():
        changed = OutreachTask.objects.filter(condition, pk=task.pk).update(
            claimed_by=team,
            status=OutreachTask.Status.CLAIMED if team else OutreachTask.Status.OPEN,
            version=version + 1,
            modified_by=actor.user_or_none,
            modified_at=timezone.now(),
        )
        if not changed:
            raise StaleVersion(task, version)
        task.refresh_from_db()
        _task_changed(actor, task, detail)


@dataclass(frozen=True)
class ContactInput:
    """Someone an attempt reached: the person (`participant`), or family or a friend
    (`collateral`), with who they are to the person and their name when known."""

    role: str
    relationship: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class AttemptInput:
    """One try at reaching someone, as given; `record_attempt` checks it against the task.

    `checklist` fills closing checklist items, keyed as the program's preset names them.
    `spacing_override_reason` records a try that reached nobody inside the preset's spacing.
    """

    attempted_at: dt.datetime
    channel: str
    outcome: str
    contacted: tuple[ContactInput, ...] = ()
    naloxone_kits_left: int | None = None
    resource_cards_left: int | None = None
    note: str | None = None
    checklist: dict[str, str] | None = None
    spacing_override_reason: str | None = None
    # The day the person died, on the program's calendar: given with "deceased" alone.
    died_on: dt.date | None = None


def record_attempt(
    actor: Actor, access: PersonAccess, task: OutreachTask, data: AttemptInput
) -> Attempt:
    """One try at reaching someone, and what it settles for the task."""
    _must_write(access)
    if task.status not in OPEN_STATUSES:
        raise visits_no_more(task, access)
    if data.attempted_at > timezone.now() + CLOCK_SKEW:
        raise ActionError(
            "An attempt is recorded after it happens.",
            {"attempted_at": ["cannot be in the future"]},
        )
    # Nobody is reached about a referral before it came in, or an overdose before it.
    began = [
        moment
        for moment in (
            task.referral.received_at if task.referral is not None else None,
            task.overdose.occurred_at if task.overdose is not None else None,
        )
        if moment is not None
    ]
    if began and data.attempted_at < min(began) - CLOCK_SKEW:
        raise ActionError(
            "An attempt comes after what it follows up.",
            {"attempted_at": ["cannot be before the referral or the overdose it follows up"]},
        )
    to_family = task.target == OutreachTask.Target.FAMILY
    if problem := contacts_problem(
        data.outcome, (c.role for c in data.contacted), to_family=to_family
    ):
        raise ActionError(problem, {"contacted": [problem]})
    collaterals = (c.relationship for c in data.contacted if c.role == "collateral")
    if problem := collaterals_problem(collaterals):
        raise ActionError(problem, {"contacted": [problem]})
    if problem := died_on_problem(
        data.outcome,
        data.died_on,
        today=today_in(task.program),
        attempted_on=today_in(task.program, data.attempted_at),
        born_on=task.person.birth_date,
        born_in=task.person.birth_year,
    ):
        raise ActionError(problem, {"died_on": [problem]})
    _check_checklist(access, task, data.checklist or {})
    with transaction.atomic():
        # The task's row alone is locked: who last changed it (for a refusal's words) is
        # read beside it, and PostgreSQL locks no row of an outer join's nullable side.
        task = (
            OutreachTask.objects.select_for_update(of=("self",))
            .select_related("program", "modified_by")
            .get(pk=task.pk)
        )
        # Closed by someone else since the checks above: refused as if closed before.
        if task.status not in OPEN_STATUSES:
            raise visits_no_more(task, access)
        # Checked under the task's lock, so two attempts sent at once cannot both pass.
        override = _spacing_override(task, data)
        attempt = Attempt(
            task=task,
            attempted_at=data.attempted_at,
            channel=data.channel,
            outcome=data.outcome,
            recorded_by=actor.user_or_none,
            team=task.claimed_by,
            naloxone_kits_left=data.naloxone_kits_left or 0,
            resource_cards_left=data.resource_cards_left or 0,
            note=data.note or "",
        )
        save_tracked(attempt, actor.user)
        for contact in data.contacted:
            AttemptContact.objects.create(
                attempt=attempt,
                role=contact.role,
                relationship=contact.relationship or "",
                name=contact.name or "",
            )
        _settle(actor, task, attempt, data.checklist or {})
        death = _learn_death(actor, task, data.died_on) if data.died_on is not None else {}
        # The attempt is part of the person's history: their queued tasks may change tier.
        refresh_priority_tiers(task.program, [task.person_id])
        record_event(
            actor,
            "create",
            obj=attempt,
            person_id=task.person_id,
            program_slug=task.program.slug,
            fields=["outreach"],
            detail={
                "outcome": attempt.outcome,
                "channel": attempt.channel,
                # What the attempt did to the task: closed it, or left it waiting or open.
                "task_status": task.status,
                **({"spacing_override": override} if override else {}),
                **death,
            },
        )
    return attempt


class VisitsNoMore(ActionError):
    """A visit refused because its task takes no more visits. It says why as the reader
    reads it (what settled or closed the task, the note given then), so what it shows
    under a consent naming them is a disclosure for the caller to record."""


def visits_no_more(task: OutreachTask, access: PersonAccess) -> VisitsNoMore:
    """Why a task takes no more visits, said to whoever's visit came after it stopped: who
    closed it, when on the program's clock, and for what reason, as `access` reads the
    reason (a treatment outcome is clinical detail: `PersonAccess.value`)."""
    zone = ZoneInfo(task.program.timezone)
    when = format_for_message(task.closed_at or task.modified_at, zone)
    who = f" by {task.modified_by}" if task.modified_by is not None else ""
    if task.status == OutreachTask.Status.EXPIRED:
        return VisitsNoMore(
            f"Not saved: this task expired unworked at {when} and is on the Missed list.",
            {"task": ["expired; close it with a reason, or open a new one"]},
        )
    if task.status == OutreachTask.Status.COLLECTING:
        # The visit that settled it, not a checklist answer given since.
        settled = (
            task.attempts.filter(outcome=task.close_reason)
            .select_related("recorded_by")
            .order_by("-id")
            .first()
        )
        if settled is not None:
            when = format_for_message(settled.attempted_at, zone)
            who = f" by {settled.recorded_by}" if settled.recorded_by is not None else ""
        outcome = label("outcome", access.value("outcome", task.close_reason, task.program_id))
        return VisitsNoMore(
            f"Not saved: a visit recorded{who} at {when} ({outcome}) settled this task;"
            " it waits for its closing checklist.",
            {"task": ["the person was reached; complete the closing checklist to close it"]},
        )
    reason = label(
        "close_reason", access.value("close_reason", task.close_reason, task.program_id)
    ).removesuffix(" (say why)")
    # The close note may tell of treatment: as this reader reads it (`close_note_read`).
    note = close_note_read(task, access)
    note = f"note {CLOSE_NOTE_WITHHELD}" if note is None else note
    why = f"{reason}: {note}" if reason and note else reason
    done = "cancelled" if task.status == OutreachTask.Status.CANCELLED else "closed"
    return VisitsNoMore(
        f"Not saved: this task was {done}{who} at {when}{f' ({why})' if why else ''}.",
        {"task": [f"{done}; open a new one instead"]},
    )


def _learn_death(actor: Actor, task: OutreachTask, died_on: dt.date) -> dict[str, str]:
    """The visit learned the person died: their day of death recorded (a day recorded
    already stands: a visit's word does not overwrite it), and their follow-ups in every
    program close, nobody is to knock on the family's door about them; the family's own
    follow-ups stay. Inside `record_attempt`'s transaction. Returns what its audit event
    adds."""
    if not _DEATH_RECORDER:
        raise RuntimeError("No action records deaths: the identity app is not installed.")
    # The person's row locked (on databases that lock rows), so two deaths learned at once
    # cannot both find no day recorded.
    person = (
        OutreachTask.objects.select_related("person")
        .select_for_update(of=("person",))
        .get(pk=task.pk)
        .person
    )
    learned = {"died_on": died_on.isoformat()}
    if person.deceased_on is None:
        _DEATH_RECORDER[0](actor, person, died_on)
    elif person.deceased_on != died_on:
        learned["death_recorded_before"] = person.deceased_on.isoformat()
    # The visit's own task is settled by its outcome: it may wait for its closing checklist.
    waits = task.status == OutreachTask.Status.COLLECTING
    close_follow_ups_of_the_dead(actor, person, but=task.pk if waits else None)
    task.refresh_from_db()
    return learned


def _spacing_override(task: OutreachTask, data: AttemptInput) -> dict[str, Any] | None:
    """Refuse a try too soon after (or before) another, unless a reason is given.

    Returns what the audit event records when the reason overrides the spacing.
    """
    hours = follow_up_rules(task.program.rules.follow_up).attempt_spacing_hours
    others = list(task.attempts.values_list("attempted_at", "outcome"))
    conflict = spacing_conflict(data.outcome, data.attempted_at, others, hours)
    if conflict is None:
        return None
    reason = str(data.spacing_override_reason or "").strip()
    if len(reason) >= OVERRIDE_REASON_MIN_LENGTH:
        return {
            "reason": reason,
            "too_close_to": conflict.too_close_to.isoformat(),
            "spacing_hours": hours,
        }
    raise ActionError(
        f"Attempts that reach nobody are spaced {_hours(conflict)} apart on this task.",
        _spacing_errors(task, conflict, given=bool(reason)),
    )


def _spacing_errors(
    task: OutreachTask, conflict: SpacingConflict, *, given: bool
) -> dict[str, list[str]]:
    zone = ZoneInfo(task.program.timezone)
    spacing = _hours(conflict)
    short = (
        f"Too short: give at least {OVERRIDE_REASON_MIN_LENGTH} characters."
        if given
        else "Required to record an attempt inside the spacing."
    )
    before, after = _local(conflict.too_close_to, zone), _local(conflict.next_allowed, zone)
    return {
        "attempted_at": [
            f"This time is within {spacing} of the attempt at {before}; attempts"
            f" that reach nobody are spaced {spacing} apart. The next attempt may be made from"
            f" {after}. To record this one anyway, give a reason for recording it inside the"
            f" spacing (at least {OVERRIDE_REASON_MIN_LENGTH} characters)."
        ],
        "spacing_override_reason": [short],
    }


def _hours(conflict: SpacingConflict) -> str:
    return f"{conflict.spacing.total_seconds() / 3600:g} h"


def _local(moment: dt.datetime, zone: ZoneInfo) -> str:
    """A time as the program's staff read it: local wall clock, with the zone named."""
    return f"{format_for_message(moment, zone)} ({zone_words(zone.key)})"


def _settle(actor: Actor, task: OutreachTask, attempt: Attempt, checklist: dict[str, Any]) -> None:
    rules = follow_up_rules(task.program.rules.follow_up)
    effect = after_attempt(
        attempt.outcome,
        # The preset's `max_attempts` counts the tries that found nobody, this one included:
        # a conversation with the person does not use one up.
        task.attempts.filter(outcome__in=NOT_REACHED).count(),
        rules.max_attempts,
        rules.attempt_spacing_hours,
        # On the program's clock, so a re-contact date is the staff's day, not UTC's.
        attempt.attempted_at.astimezone(ZoneInfo(task.program.timezone)),
        rules.closing_outcomes,
    )
    task.checklist = {**task.checklist, "outcome": attempt.outcome, **checklist}
    # A visit recorded late, earlier than one already made, cannot pull the next try forward.
    next_try = effect.next_attempt_after
    if next_try is not None and task.next_attempt_after is not None:
        next_try = max(next_try, task.next_attempt_after)
    task.next_attempt_after = next_try
    task.recontact_on = effect.recontact_on or task.recontact_on
    if effect.closes:
        task.close_reason = attempt.outcome
        _close_when_complete(task)
    save_tracked(task, actor.user)


def _close_when_complete(task: OutreachTask) -> None:
    """Close, or wait for the data-collection step when the checklist is incomplete."""
    if missing_checklist(checklist_of(task), task.checklist):
        task.status = OutreachTask.Status.COLLECTING
    else:
        task.status = OutreachTask.Status.CLOSED
        task.closed_at = timezone.now()


def _check_checklist(
    access: PersonAccess, task: OutreachTask, values: Mapping[str, Any], field: str = "checklist"
) -> None:
    """ActionError for answers to items the checklist does not have, or that the writer's
    role may not read (a treatment plan, for a role that reads no clinical detail): they
    would overwrite an answer they cannot see."""
    if not values:
        return
    known = {key for key, _label in checklist_of(task)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ActionError(
            "Unknown checklist items.",
            {field: [f"{k!r} is not on the checklist" for k in unknown]},
        )
    unread = dict(unreadable_items(task, access))
    theirs = [key for key in values if key in unread]
    if theirs:
        raise ActionError(
            "Some checklist items are answered by staff who read clinical detail.",
            {
                field: [
                    f"{unread[k]!r} is answered by staff who read clinical detail" for k in theirs
                ]
            },
        )


def complete_checklist(
    actor: Actor, access: PersonAccess, task: OutreachTask, values: Mapping[str, str], version: int
) -> OutreachTask:
    """The data-collection step: fill checklist items (each key with what was recorded);
    a waiting task closes when complete."""
    _must_write(access)
    _check_checklist(access, task, values, field="values")
    with transaction.atomic():
        task.checklist = {**task.checklist, **dict(values)}
        if task.status == OutreachTask.Status.COLLECTING:
            _close_when_complete(task)
        save_tracked(task, actor.user, expected_version=version)
        _task_changed(actor, task, {"checklist": sorted(values)})
    return task


def close_task(
    actor: Actor,
    access: PersonAccess,
    task: OutreachTask,
    reason: str,
    note: str,
    version: int,
) -> OutreachTask:
    """Close a task by hand, for one of the listed reasons, against the version the user saw."""
    _must_write(access)
    note = (note or "").strip()
    problem = close_reason_problem(reason, note)
    if problem is not None:
        field, message = problem
        raise ActionError(message, {field: [message]})
    if task.status not in CLOSABLE_STATUSES:
        raise ActionError("This task is already closed.", {"task": ["already closed"]})
    _close(actor, task, reason, note, version)
    return task


def _close(
    actor: Actor, task: OutreachTask, reason: str, note: str, version: int | None = None
) -> None:
    """The task closed for `reason`, audited; against `version` when a person closes it."""
    with transaction.atomic():
        task.status = OutreachTask.Status.CLOSED
        task.closed_at = timezone.now()
        task.close_reason = reason
        task.close_note = note
        task.next_attempt_after = None
        save_tracked(task, actor.user, expected_version=version)
        _task_changed(actor, task, {"closed": reason, **({"note": note} if note else {})})


def close_tasks_of_referral(actor: Actor, referral: Referral, note: str) -> int:
    """The referral's follow-up still in the queue closes, as "other" with `note` (a request
    a coordinator closed in triage is not to be visited); how many closed. Inside the
    action that decided it."""
    tasks = referral.tasks.filter(status__in=QUEUE_STATUSES).select_related("program")
    closed = 0
    for task in tasks:
        _close(actor, task, CloseReason.OTHER.value, note)
        closed += 1
    return closed


def expirable_tasks(program: Program, now: dt.datetime) -> Any:
    """Tasks nobody closed whose window closed longer ago than the program's preset allows."""
    hours = follow_up_rules(program.rules.follow_up).expires_after_hours
    return OutreachTask.objects.filter(program=program, status__in=OPEN_STATUSES).exclude(
        still_due(expiry_cutoff(now, hours))
    )


def expire_tasks(actor: Actor, now: dt.datetime, program: Program | None = None) -> int:
    """Move expired tasks out of the queue, one program at a time; returns how many moved.

    The update is conditional on the status, so two workers never expire a task twice
    and an attempt recorded meanwhile keeps its task. Each batch is one audit event per
    program naming the tasks, and one filed under each person whose task it was; a pass
    with nothing to expire writes nothing.
    """
    programs = [program] if program is not None else list(Program.objects.order_by("slug"))
    moved = 0
    for each in programs:
        with transaction.atomic():
            ids = list(
                expirable_tasks(each, now)
                .select_for_update()
                .order_by("window_end", "id")
                .values_list("pk", flat=True)
            )
            if not ids:
                continue
            for start in range(0, len(ids), EXPIRY_EVENT_IDS):
                batch = ids[start : start + EXPIRY_EVENT_IDS]
                found = list(
                    OutreachTask.objects.filter(pk__in=batch, status__in=OPEN_STATUSES)
                    .order_by("id")
                    .values_list("pk", "person_id")
                )
                done = [pk for pk, _person in found]
                OutreachTask.objects.filter(pk__in=done, status__in=OPEN_STATUSES).update(
                    status=OutreachTask.Status.EXPIRED,
                    closed_at=now,
                    next_attempt_after=None,
                    version=F("version") + 1,
                    modified_by=None,
                    modified_at=timezone.now(),
                )
                if done:
                    # Filed under each person whose task it was, so their trail shows it.
                    record_list_read(
                        actor,
                        action="change",
                        object_type="outreach.outreachtask",
                        ids=sorted({person for _pk, person in found if person is not None}),
                        program_slug=each.slug,
                        fields=["outreach"],
                        detail={"expired": done},
                    )
                moved += len(done)
    return moved


# --- Reminder notices ------------------------------------------------------------------


def add_notice(
    recipient: Any,
    program: Program,
    kind: str,
    message: str,
    now: dt.datetime,
    *,
    follow_up: Any = None,
    service_referral: Any = None,
    care_plan: Any = None,
) -> Notice:
    """A notice for `recipient` about what another app's worker found due (a care plan's
    follow-up, a service referral with no answer, a spike), or another app's action gave
    them (a care plan handed over). The worker claims what it notices first, so each is
    sent once, and records one audit event per pass naming them; an action's own audit
    event names the recipient.
    """
    return Notice.objects.create(
        recipient=recipient,
        program=program,
        kind=kind,
        message=message,
        created_at=now,
        follow_up=follow_up,
        service_referral=service_referral,
        care_plan=care_plan,
    )


def create_notice(
    recipient: Any,
    task: OutreachTask,
    kind: str,
    message: str,
    now: dt.datetime,
    *,
    window_end: dt.datetime | None = None,
) -> Notice | None:
    """The new notice, or None when it was already sent (by this or another worker).
    `window_end` names the window a closing or missed reminder is about."""
    try:
        with transaction.atomic():
            notice, created = Notice.objects.get_or_create(
                recipient=recipient,
                task=task,
                kind=kind,
                window_end=window_end,
                defaults={"program": task.program, "message": message, "created_at": now},
            )
    except IntegrityError:
        return None  # another worker inserted it between our read and our write
    return notice if created else None


def mark_notice_emailed(notice: Notice, now: dt.datetime) -> None:
    Notice.objects.filter(pk=notice.pk).update(emailed_at=now)


def record_reminder_pass(actor: Actor, counts: dict[str, int]) -> None:
    """One event per pass that sent anything; idle passes leave the chain alone."""
    if any(counts.values()):
        record_event(actor, "create", object_type="outreach.notice", detail=counts)


def mark_notices_read(actor: Actor, user: Any, newest: int | None = None) -> int:
    """The user read their reminders: every unread one is marked read; returns how many.

    With `newest` (the newest reminder the page showed), only those up to it: one that came
    while the page was open has not been read. The reminders name the tasks they are about,
    so their reading is an audited change.
    """
    with transaction.atomic():
        unread = Notice.objects.filter(recipient_id=user.pk, read_at__isnull=True)
        if newest is not None:
            unread = unread.filter(pk__lte=newest)
        ids = sorted(unread.values_list("pk", flat=True))
        if not ids:
            return 0
        count = Notice.objects.filter(pk__in=ids).update(read_at=timezone.now())
        record_event(actor, "change", object_type="outreach.notice", detail={"read": ids})
        return count
