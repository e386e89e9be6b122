"""Teams and shifts: who is on which team, when each shift runs, who is on duty now.

Also the iCalendar feeds, reached without sign-in through a secret URL.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.vocabulary import ROLE_LABELS
from coresponder.privacy.access import role_in
from coresponder.programs import form_tokens
from coresponder.programs.actions import (
    SCHEDULER_ROLES,
    add_shift,
    add_shift_exceptions,
    change_shift,
    reset_team_calendar_secret,
    reset_user_calendar_secret,
    seat_on_team,
    stand_down_team,
    start_team,
    team_calendar_secret,
    unseat_from_team,
    user_calendar_secret,
)
from coresponder.programs.duty import (
    describe_schedule,
    missing_for_team,
    on_duty,
    seat_note,
    seat_roles,
    seats_held_by,
    working_seats,
)
from coresponder.programs.ical import shifts_calendar
from coresponder.programs.labels import district_names
from coresponder.programs.middleware import open_program
from coresponder.programs.models import Membership, Program, Shift, Team, User
from coresponder.programs.shift_forms import ExceptionForm, ShiftChangeForm, ShiftForm, TeamForm

# token_urlsafe(32) gives 43 characters; anything much shorter was never issued.
MIN_SECRET_LENGTH = 32


def _on_duty_rows(program: Program, now: dt.datetime) -> list[dict[str, Any]]:
    """The shifts running now, each with its districts' names: one read of the names."""
    names = district_names([program.slug]).get(program.slug, {})
    return [
        {"duty": duty, "districts": [names.get(code, code) for code in duty.district_codes]}
        for duty in on_duty(program, now)
    ]


def _exception_form(shift: Shift, data: Any = None) -> ExceptionForm:
    return ExceptionForm(data, initial={"version": shift.version}, auto_id=f"id_shift{shift.pk}_%s")


def _teams_context(
    request: HttpRequest,
    program: Program,
    shift_form: ShiftForm | None = None,
    exception_forms: dict[int, ExceptionForm] | None = None,
    team_form: TeamForm | None = None,
) -> dict[str, Any]:
    user = request.user
    role = role_in(user, program)
    schedules = role in SCHEDULER_ROLES
    actor = actor_for(request)
    teams = list(
        Team.objects.filter(program=program, active=True)
        .select_related("program")
        .prefetch_related("members__user__memberships")
        .order_by("name")
    )
    shifts = list(
        Shift.objects.filter(program=program)
        .select_related("team")
        .prefetch_related("districts")
        .order_by("name", "id")
    )
    by_team: dict[int | None, list[dict[str, Any]]] = {}
    forms = exception_forms or {}
    today = timezone.localdate(timezone=ZoneInfo(program.timezone))
    for shift in shifts:
        by_team.setdefault(shift.team_id, []).append(
            {
                "shift": shift,
                "when": describe_schedule(shift.rrule, shift.starts_at, shift.duration_minutes),
                "districts": [d.name for d in shift.districts.all()],
                "exceptions": sorted(shift.exceptions or []),
                "ended": shift.ends_on is not None and shift.ends_on < today,
                "exception_form": forms.get(shift.pk) or _exception_form(shift),
            }
        )
    # Who a coordinator may put on a team: everyone working in the program in a role that
    # does field work, in their role (a prosecutor or an analyst never hears of its tasks).
    may_sit = seat_roles(program)
    workers = (
        list(
            Membership.objects.filter(
                program=program,
                active=True,
                user__is_active=True,
                role__in=[role.value for role in may_sit],
            )
            .select_related("user")
            .order_by("user__display_name", "user__username")
        )
        if schedules
        else []
    )
    rows = []
    # A team on shift that lacks a role is said so where it is on duty, too.
    missing: dict[int, list[str]] = {}
    for team in teams:
        missing[team.pk] = missing_for_team(team)
        members = list(team.members.all())
        seated = {m.user_id for m in members}
        on_team = any(m.user_id == user.pk for m in working_seats(team, may_sit))
        feed = None
        if schedules or on_team:
            secret = team_calendar_secret(actor, team)
            feed = request.build_absolute_uri(reverse("calendar-team", args=[secret]))
        rows.append(
            {
                "team": team,
                "members": [(m, seat_note(m, program.pk, may_sit)) for m in members],
                "missing": missing[team.pk],
                "shifts": by_team.get(team.pk, []),
                "feed": feed,
                "candidates": [w for w in workers if w.user_id not in seated],
            }
        )
    now = timezone.now()
    # A link is made for someone with shifts to subscribe to, or kept for one made before;
    # someone on no team in a program they act in is told so, and no link is made for them.
    my_feed = None
    reader = cast(User, user)
    if reader.calendar_secret or on_a_team(reader):
        my_secret = user_calendar_secret(actor, reader)
        my_feed = request.build_absolute_uri(reverse("calendar-user", args=[my_secret]))
    return {
        "program": program,
        "role_label": ROLE_LABELS.get(role, "") if role else "",
        "schedules": schedules,
        "rows": rows,
        "program_shifts": by_team.get(None, []),
        "on_duty": [
            {**duty, "missing": missing.get(duty["duty"].team_id, [])}
            for duty in _on_duty_rows(program, now)
        ],
        "now": now,
        "my_feed": my_feed,
        "shift_form": shift_form or ShiftForm(program),
        "team_form": team_form or TeamForm(),
        "stood_down": (
            list(Team.objects.filter(program=program, active=False).order_by("name"))
            if schedules
            else []
        ),
    }


def on_a_team(user: User) -> bool:
    """Whether the user sits on a working team of a program they still act in: whether
    their calendar has shifts in it."""
    return (
        seats_held_by(user)
        .filter(
            team__active=True,
            team__program__memberships__user=user,
            team__program__memberships__active=True,
        )
        .exists()
    )


@login_required
@require_GET
def teams_page(request: HttpRequest, slug: str) -> HttpResponse:
    program = open_program(request, slug)
    return render(request, "programs/teams.html", _teams_context(request, program))


def _require_scheduler(request: HttpRequest, program: Program) -> None:
    if role_in(request.user, program) not in SCHEDULER_ROLES:
        raise PermissionDenied("Only the program's coordinators plan shifts.")


@login_required
@require_POST
def add_shift_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a shift once: the same form sent again (Back, a double click) shows the one added."""
    program = open_program(request, slug)
    _require_scheduler(request, program)
    earlier = form_tokens.already_saved(request, form_tokens.Kind.SHIFT)
    if earlier is not None:
        return earlier
    form = ShiftForm(program, request.POST)
    if form.is_valid():

        def save() -> HttpResponse:
            shift = add_shift(actor_for(request), program, form.shift_input())
            messages.success(request, f"Shift “{shift.name}” added.")
            teams = reverse("program-teams", kwargs={"slug": program.slug})
            return HttpResponseRedirect(f"{teams}#shift-{shift.pk}")

        try:
            return form_tokens.save_once(request, form_tokens.Kind.SHIFT, save)
        except ActionError as exc:
            add_action_errors(form, exc, renamed={"duration_minutes": "duration_hours"})
    context = _teams_context(request, program, shift_form=form)
    return render(request, "programs/teams.html", context, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def change_shift_page(request: HttpRequest, slug: str, shift_id: int) -> HttpResponse:
    """Change a planned shift or give it a last day, against the version the coordinator
    saw: a change someone made meanwhile is shown, not overwritten."""
    program = open_program(request, slug)
    _require_scheduler(request, program)
    shift = (
        Shift.objects.filter(program=program, pk=shift_id)
        .select_related("program", "team")
        .prefetch_related("districts")
        .first()
    )
    if shift is None:
        raise Http404("No such shift")
    if request.method != "POST":
        return _change_page(request, shift, ShiftChangeForm(shift))
    form = ShiftChangeForm(shift, request.POST)
    if not form.is_valid():
        return _change_page(request, shift, form, status=422)
    asked = form.shift_input()
    try:
        change_shift(
            actor_for(request), shift, asked, expected_version=form.cleaned_data["version"]
        )
    except StaleVersion:
        shift = Shift.objects.prefetch_related("districts").get(pk=shift.pk)
        if asked.stands_in(shift):
            return _shift_saved(request, shift)  # sent twice: the first sending saved it
        fresh = request.POST.copy()
        fresh["version"] = str(shift.version)
        form = ShiftChangeForm(shift, fresh)
        form.is_valid()
        form.add_error(
            None,
            "Someone changed this shift since you opened it: the page shows your changes "
            "over theirs; check and save again.",
        )
        return _change_page(request, shift, form, status=409)
    except ActionError as exc:
        add_action_errors(form, exc, renamed={"duration_minutes": "duration_hours"})
        return _change_page(request, shift, form, status=422)
    return _shift_saved(request, shift)


def _shift_saved(request: HttpRequest, shift: Shift) -> HttpResponse:
    ended = shift.ends_on is not None and shift.ends_on < timezone.localdate(
        timezone=ZoneInfo(shift.program.timezone)
    )
    said = "ended" if ended else "saved"
    messages.success(request, f"Shift “{shift.name}” {said}.")
    teams = reverse("program-teams", kwargs={"slug": shift.program.slug})
    return HttpResponseRedirect(f"{teams}#shift-{shift.pk}")


def _change_page(
    request: HttpRequest, shift: Shift, form: ShiftChangeForm, status: int = 200
) -> HttpResponse:
    context = {"program": shift.program, "shift": shift, "form": form}
    return render(request, "programs/shift_change.html", context, status=status)


@login_required
@require_POST
def add_exceptions_page(request: HttpRequest, slug: str, shift_id: int) -> HttpResponse:
    program = open_program(request, slug)
    _require_scheduler(request, program)
    shift = Shift.objects.filter(program=program, pk=shift_id).select_related("program").first()
    if shift is None:
        raise Http404("No such shift")
    form = _exception_form(shift, request.POST)
    status = 422
    if form.is_valid():
        try:
            add_shift_exceptions(
                actor_for(request),
                shift,
                form.cleaned_data["dates"],
                expected_version=form.cleaned_data["version"],
            )
        except StaleVersion:
            shift.refresh_from_db()
            asked = {day.isoformat() for day in form.cleaned_data["dates"]}
            if asked <= set(shift.exceptions or []):
                # Sent twice (a double click): the first sending added them already.
                messages.success(request, f"Days off added to “{shift.name}”.")
                return redirect("program-teams", slug=program.slug)
            form = _exception_form(shift, {**request.POST.dict(), "version": shift.version})
            form.is_valid()
            form.add_error(
                None,
                "Someone changed this shift since you loaded the page: "
                "check its days off and try again.",
            )
            status = 409
        except ActionError as exc:
            add_action_errors(form, exc, renamed={"exceptions": "dates"})
        else:
            messages.success(request, f"Days off added to “{shift.name}”.")
            return redirect("program-teams", slug=program.slug)
    context = _teams_context(request, program, exception_forms={shift.pk: form})
    return render(request, "programs/teams.html", context, status=status)


def _team_of(program: Program, team_id: int, *, at_work: bool = True) -> Team:
    """The program's team, 404 for any other; `at_work`, only one not stood down."""
    teams = Team.objects.filter(program=program, pk=team_id)
    team = (teams.filter(active=True) if at_work else teams).select_related("program").first()
    if team is None:
        raise Http404("No such team")
    return team


def _back_to_team(program: Program, team: Team) -> HttpResponseRedirect:
    teams = reverse("program-teams", kwargs={"slug": program.slug})
    return HttpResponseRedirect(f"{teams}#team-{team.pk}")


@login_required
@require_POST
def seat_page(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    """Put someone who works in the program on a team; sent twice, it seats them once."""
    program = open_program(request, slug)
    _require_scheduler(request, program)
    team = _team_of(program, team_id)
    user_id = str(request.POST.get("user") or "")
    if not user_id.isdigit():
        messages.error(request, f"Choose who joins {team.name}.")
        return _back_to_team(program, team)
    try:
        seat, new = seat_on_team(actor_for(request), team, int(user_id))
    except ActionError as exc:
        why = " ".join(exc.errors.get("user", [])) or str(exc)
        messages.error(request, f"Nobody was put on {team.name}. {why}")
        return _back_to_team(program, team)
    said = "is on" if new else "was already on"
    messages.success(request, f"{seat.user} {said} {team.name} as {seat.get_role_display()}.")
    return _back_to_team(program, team)


@login_required
@require_POST
def unseat_page(request: HttpRequest, slug: str, team_id: int, seat_id: int) -> HttpResponse:
    """Take someone off a team; the page then says which places the team is missing."""
    program = open_program(request, slug)
    _require_scheduler(request, program)
    team = _team_of(program, team_id)
    seat = unseat_from_team(actor_for(request), team, seat_id)
    if seat is None:
        messages.info(request, f"That person is no longer on {team.name}.")
    else:
        messages.success(request, f"{seat.user} is no longer on {team.name}.")
    return _back_to_team(program, team)


@login_required
@require_POST
def start_team_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Start a team, or bring back one stood down under the name; sent twice, one team."""
    program = open_program(request, slug)
    _require_scheduler(request, program)
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            team, new = start_team(actor_for(request), program, form.cleaned_data["name"])
        except ActionError as exc:
            add_action_errors(form, exc)
        else:
            if new:
                messages.success(
                    request, f"{team.name} is at work. Put people on it and give it shifts."
                )
            else:
                messages.info(request, f"{team.name} is already at work in {program.name}.")
            return _back_to_team(program, team)
    context = _teams_context(request, program, team_form=form)
    return render(request, "programs/teams.html", context, status=422)


@login_required
@require_POST
def stand_down_page(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    """Take a team out of work once it holds no claimed task and works no shift."""
    program = open_program(request, slug)
    _require_scheduler(request, program)
    team = _team_of(program, team_id, at_work=False)
    version = str(request.POST.get("version") or "")
    teams = reverse("program-teams", kwargs={"slug": program.slug})
    try:
        stood = stand_down_team(
            actor_for(request), team, expected_version=int(version) if version.isdigit() else 0
        )
    except StaleVersion:
        team.refresh_from_db()
        if not team.active:
            messages.info(request, f"{team.name} has stood down.")
            return HttpResponseRedirect(f"{teams}#stood-down")
        messages.error(
            request, f"Someone changed {team.name} meanwhile: look again, then stand it down."
        )
        return _back_to_team(program, team)
    except ActionError as exc:
        problems = "; ".join(exc.errors.get("team", []))
        messages.error(request, f"{exc} {problems[:1].upper()}{problems[1:]}.")
        return _back_to_team(program, team)
    messages.success(
        request,
        f"{stood.name} has stood down: it keeps what it did, and no longer takes tasks or shifts.",
    )
    return HttpResponseRedirect(f"{teams}#stood-down")


@login_required
@require_POST
def reset_team_feed(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    program = open_program(request, slug)
    _require_scheduler(request, program)
    team = _team_of(program, team_id, at_work=False)
    reset_team_calendar_secret(actor_for(request), team)
    messages.success(request, f"{team.name} has a new calendar link; the old one no longer works.")
    return redirect("program-teams", slug=program.slug)


@login_required
@require_POST
def reset_my_feed(request: HttpRequest, slug: str) -> HttpResponse:
    program = open_program(request, slug)
    reset_user_calendar_secret(actor_for(request), cast(User, request.user))
    messages.success(request, "Your calendar has a new link; the old one no longer works.")
    return redirect("program-teams", slug=program.slug)


# --- Feeds: no sign-in, the secret in the URL is the credential. ------------------


def _by_secret(model: type[Team] | type[User], secret: str) -> Any:
    if len(secret) < MIN_SECRET_LENGTH:
        raise Http404("No such calendar")
    found = model._default_manager.filter(calendar_secret=secret).first()
    # The database finds the row; the comparison that decides runs in constant time.
    if found is None or not hmac.compare_digest(
        found.calendar_secret.encode("utf-8"), secret.encode("utf-8")
    ):
        raise Http404("No such calendar")
    return found


def _feed(name: str, shifts: Any) -> HttpResponse:
    body = shifts_calendar(name, shifts)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="shifts.ics"'
    return response


def _feed_shifts() -> Any:
    return Shift.objects.select_related("program", "team").prefetch_related("districts")


@never_cache
@require_safe
def team_feed(request: HttpRequest, secret: str) -> HttpResponse:
    team = _by_secret(Team, secret)
    if not team.active:
        raise Http404("No such calendar")
    shifts = _feed_shifts().filter(team=team).order_by("name", "id")
    return _feed(f"{team.name} shifts", shifts)


@never_cache
@require_safe
def user_feed(request: HttpRequest, secret: str) -> HttpResponse:
    user = _by_secret(User, secret)
    if not user.is_active or user.locked_at is not None:
        raise Http404("No such calendar")
    # Only the teams they hold a working seat on, of programs they still act in.
    shifts = (
        _feed_shifts()
        .filter(
            team__in=seats_held_by(user).values("team_id"),
            team__active=True,
            program__memberships__user=user,
            program__memberships__active=True,
        )
        .distinct()
        .order_by("program__slug", "name", "id")
    )
    return _feed(f"{user} — shifts", shifts)
