"""Every write of spike surveillance: alerts (audited, once per area, day and method), their
notices to coordinators and the teams on duty, and when each program was last checked.

Notices and emails count overdoses in an area; they never name a person.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import NotVisible
from coresponder.domain.surveillance import Method
from coresponder.domain.vocabulary import Role
from coresponder.outreach.actions import add_notice, mark_notice_emailed
from coresponder.outreach.models import Notice
from coresponder.privacy.access import spike_alerts_for
from coresponder.programs.duty import duties_between, seats_still_working
from coresponder.programs.local_time import format_date, today_in
from coresponder.programs.models import Membership, Program, TeamMember
from coresponder.surveillance.detection import (
    COUNTY,
    Finding,
    day_start,
    district_of,
    judge,
)
from coresponder.surveillance.models import SpikeAlert, SpikeCheck

log = logging.getLogger(__name__)

# How often the worker looks again at a program's day (and the day before it).
CHECK_EVERY = dt.timedelta(minutes=15)


@dataclass
class Detection:
    """What one check found and did."""

    program: str
    day: dt.date
    findings: list[Finding] = field(default_factory=list)
    new_alerts: list[SpikeAlert] = field(default_factory=list)
    notices: int = 0
    emailed: int = 0


def detect_spikes(actor: Actor, program: Program, day: dt.date, now: dt.datetime) -> Detection:
    """Judge every area of `program` on its local `day` (counting up to `now`) by the preset's
    method; record each new spike once, audited, and send its notices.

    An alert of the day nobody was told of yet (a check that stopped between recording it
    and its notices) is told now: the alert is written before its notices, so a check
    killed between the two would otherwise leave it recorded and never sent."""
    method = program.rules.surveillance.method
    detection = Detection(program.slug, day, judge(program, day, now))
    for finding in detection.findings:
        if finding.spike and finding.upper_bound is not None:
            alert = _record_alert(actor, program, day, method, finding, now)
            if alert is not None:
                detection.new_alerts.append(alert)
    untold = SpikeAlert.objects.filter(
        program=program, day=day, notified_at__isnull=True
    ).select_related("program")
    for alert in untold.order_by("id"):
        sent, emailed = _notify(actor, alert, now)
        detection.notices += sent
        detection.emailed += emailed
    return detection


def _record_alert(
    actor: Actor, program: Program, day: dt.date, method: str, finding: Finding, now: dt.datetime
) -> SpikeAlert | None:
    """The new alert, or None when this area, day and method already has one."""
    area = finding.area
    try:
        with transaction.atomic():
            alert = SpikeAlert.objects.create(
                program=program,
                area_kind=area.kind,
                area_code=area.code,
                area_name=area.name,
                district=district_of(program, area),
                day=day,
                method=method,
                observed=finding.observed,
                upper_bound=finding.upper_bound or 0.0,
                expected=finding.expected,
                created_at=now,
            )
            record_event(
                actor,
                "create",
                obj=alert,
                program_slug=program.slug,
                detail={
                    "area": area.name,
                    "area_kind": area.kind,
                    "day": day.isoformat(),
                    "method": method,
                    "observed": finding.observed,
                    "upper_bound": finding.upper_bound,
                    "rules": _rules_detail(program),
                },
            )
    except IntegrityError:
        return None  # another check recorded it first
    return alert


def _rules_detail(program: Program) -> dict[str, Any]:
    rules = program.rules.surveillance
    return {
        "alpha": rules.alpha,
        "baseline_days": rules.baseline_days,
        "min_sigma": rules.min_sigma,
        "min_count": rules.min_count,
        "threshold_24h": rules.threshold_24h,
    }


def message_for(alert: SpikeAlert) -> str:
    """What the notice (and email) says: the area, the day and the counts, never a person."""
    program = alert.program
    day = format_date(alert.day, program, weekday=True, with_year=True)
    count = f"{alert.observed} overdose{'s' if alert.observed != 1 else ''}"
    if alert.method == Method.THRESHOLD.value:
        held = f"at or above the threshold of {alert.upper_bound:g} in 24 hours"
    else:
        held = f"above the expected upper bound of {alert.bound_shown}"
    label = Method(alert.method).label
    return (
        f"{program.name}: overdose spike in {alert.area_name} on {day}: {count}, {held} ({label})."
    )


def recipients_of(alert: SpikeAlert) -> list[Any]:
    """The program's coordinators and everyone on the teams on duty in the area that day,
    of those who read the counts in the program (the message gives one).

    A team is on duty in a district when one of its shifts that day covers the district
    (a shift naming no district covers the whole area); every team on duty that day hears
    of a spike over the whole area.
    """
    program = alert.program
    start = day_start(program, alert.day)
    duties = duties_between(program, start, day_start(program, alert.day + dt.timedelta(days=1)))
    team_ids = {
        duty.team_id
        for duty in duties
        if duty.team_id is not None
        and (
            alert.area_kind == COUNTY
            or not duty.district_codes
            or alert.area_code in duty.district_codes
        )
    }
    users = [
        m.user
        for m in Membership.objects.filter(
            program=program, active=True, user__is_active=True, role=Role.COORDINATOR.value
        )
        .select_related("user")
        .order_by("user_id")
    ]
    users += [
        seat.user
        for seat in seats_still_working(
            program, TeamMember.objects.filter(team_id__in=team_ids, team__active=True)
        )
        .select_related("user")
        .order_by("user_id")
    ]
    unique = {user.pk: user for user in users}
    # A message gives the count: only to those who read it in the program today (a seat
    # outlives a membership that ended, and a team may seat a role given no counts).
    return [user for user in unique.values() if _reads_counts(user, program)]


def _reads_counts(user: Any, program: Program) -> bool:
    try:
        return spike_alerts_for(user, program.slug)[1]
    except NotVisible:
        return False


def _notify(actor: Actor, alert: SpikeAlert, now: dt.datetime) -> tuple[int, int]:
    """Claim the alert and leave its notices; email them where configured. (sent, emailed)"""
    recipients = recipients_of(alert)
    message = message_for(alert)
    notices: list[Notice] = []
    with transaction.atomic():
        claimed = SpikeAlert.objects.filter(pk=alert.pk, notified_at__isnull=True).update(
            notified_at=now
        )
        if not claimed:
            return 0, 0  # another worker told them
        for user in recipients:
            notices.append(add_notice(user, alert.program, Notice.Kind.SPIKE_ALERT, message, now))
        record_event(
            actor,
            "create",
            object_type="outreach.notice",
            program_slug=alert.program.slug,
            detail={Notice.Kind.SPIKE_ALERT.value: len(notices), "spike_alert": alert.pk},
        )
    return len(notices), sum(_email(notice, now) for notice in notices)


def _email(notice: Notice, now: dt.datetime) -> bool:
    email = getattr(notice.recipient, "email", "")
    if not (getattr(settings, "CORESPONDER_EMAIL_REMINDERS", False) and email):
        return False
    try:
        send_mail(
            subject=f"Coresponder: {notice.get_kind_display()}",
            message=notice.message,
            from_email=None,
            recipient_list=[email],
        )
    except Exception:  # a mail outage must not stop the alert in the app
        log.exception("spike notice %s could not be emailed", notice.pk)
        return False
    mark_notice_emailed(notice, now)
    return True


def _note_checked(program: Program, now: dt.datetime) -> None:
    if not SpikeCheck.objects.filter(program=program).update(checked_at=now):
        try:
            with transaction.atomic():
                SpikeCheck.objects.create(program=program, checked_at=now)
        except IntegrityError:
            SpikeCheck.objects.filter(program=program).update(checked_at=now)


def check_program(actor: Actor, program: Program, now: dt.datetime) -> list[Detection]:
    """Yesterday (now whole) and today so far, for one program; noted as its last check."""
    today = today_in(program, now)
    found = [
        detect_spikes(actor, program, day, now) for day in (today - dt.timedelta(days=1), today)
    ]
    _note_checked(program, now)
    return found


def detect_spikes_due(actor: Actor, now: dt.datetime) -> int:
    """The worker's step: each program not checked in the last CHECK_EVERY. New alerts."""
    recent = SpikeCheck.objects.filter(checked_at__gt=now - CHECK_EVERY)
    due = Program.objects.exclude(pk__in=recent.values("program_id")).order_by("slug")
    return sum(
        len(detection.new_alerts)
        for program in due
        for detection in check_program(actor, program, now)
    )
