"""Capacity planning: how many teams, on which shifts, answer how many calls.

Two estimates of the same question, from the same inputs (calls per hour of the
week, how long a call keeps a team busy, and the teams' weekly shifts):

* Erlang C (M/M/c), hour by hour: quick, and exact where its assumptions hold
  (Poisson arrivals, exponential service, teams waiting forever for a free team);
* a discrete-event simulation (simpy) of the teams on their shifts, calls arriving
  as a Poisson process whose rate changes each hour of the week, service times drawn
  from the program's own history, and the program's answer window.

The answer rule: a call is answered by a co-responder team when a team on shift is
free, or becomes free, within the answer window after the call came in; calls wait
for a team first come, first served. A call no team reaches within the window goes
to police or EMS alone (it never comes back to the team). A team on shift takes a
call even near the end of its shift and finishes it (the overtime counts as busy).

The simulator runs with the window infinite and every team always on duty as a
plain M/M/c queue, which is how the tests hold it to Erlang C.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import simpy

HOURS_PER_WEEK = 168
MINUTES_PER_HOUR = 60.0
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 10080
WEEKS_PER_YEAR = 52
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# A 911 call about a crisis cannot wait long: past a quarter of an hour the dispatcher
# sends police or EMS alone. Programs set their own window on the planning page.
DEFAULT_ANSWER_WINDOW_MINUTES = 15.0
# When a program has recorded no travel (call to arrival on scene), a team is assumed to
# take this long to get there.
DEFAULT_TRAVEL_MINUTES = 20.0
# When it has recorded no time on scene for a crisis response, this long on scene.
DEFAULT_ON_SCENE_MINUTES = 60.0
# How many arrivals per hour of the week make a count trustworthy on its own: with
# fewer, the hour leans on the day-of-week and hour-of-day pattern (see arrival_profile).
ARRIVALS_PER_HOUR_TRUSTED = 20.0


# --- Erlang C ------------------------------------------------------------------------


def offered_load(arrivals_per_minute: float, service_minutes: float) -> float:
    """Erlangs: how many teams the calls would keep busy on average."""
    return arrivals_per_minute * service_minutes


def erlang_b(load: float, servers: int) -> float:
    """Blocking probability with `servers` and no queue, by the stable recursion
    B(k) = a·B(k-1) / (k + a·B(k-1)); no factorials, so c of 50 and more are safe."""
    if servers <= 0:
        return 1.0
    if load <= 0:
        return 0.0
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(load: float, servers: int) -> float:
    """The probability that a call waits (M/M/c); 1 when the load is more than c teams."""
    if servers <= 0 or load >= servers:
        return 1.0
    if load <= 0:
        return 0.0
    blocking = erlang_b(load, servers)
    occupancy = load / servers
    return blocking / (1.0 - occupancy * (1.0 - blocking))


def erlang_c_mean_wait(arrivals_per_minute: float, service_minutes: float, servers: int) -> float:
    """Mean wait in minutes over all calls (M/M/c); infinite when the load is too high."""
    load = offered_load(arrivals_per_minute, service_minutes)
    if servers <= 0 or load >= servers:
        return math.inf
    if load <= 0:
        return 0.0
    return erlang_c(load, servers) * service_minutes / (servers - load)


def erlang_c_service_level(
    arrivals_per_minute: float, service_minutes: float, servers: int, within_minutes: float
) -> float:
    """The share of calls a team reaches within `within_minutes` (M/M/c, no one gives up)."""
    load = offered_load(arrivals_per_minute, service_minutes)
    if servers <= 0 or load >= servers:
        return 0.0
    if load <= 0:
        return 1.0
    spare = (servers - load) / service_minutes  # c·μ − λ, per minute
    return 1.0 - erlang_c(load, servers) * math.exp(-spare * within_minutes)


# --- Arrivals by hour of the week ------------------------------------------------


def hour_of_week(local: dt.datetime) -> int:
    """0 is Monday 00:00–01:00 on the program's clock, 167 Sunday 23:00–24:00."""
    return local.weekday() * 24 + local.hour


@dataclass(frozen=True)
class ArrivalProfile:
    """Expected calls in each hour of the week (168 values, Monday 00:00 first)."""

    rates: tuple[float, ...]
    observed: int = 0  # arrivals the profile was drawn from
    weeks: float = 0.0

    def __post_init__(self) -> None:
        if len(self.rates) != HOURS_PER_WEEK:
            raise ValueError("an arrival profile has one rate per hour of the week")
        if any(rate < 0 or not math.isfinite(rate) for rate in self.rates):
            raise ValueError("arrival rates are finite and not negative")

    @property
    def per_week(self) -> float:
        return float(sum(self.rates))

    def by_hour_of_day(self) -> tuple[float, ...]:
        """Calls per week arriving in each hour of the day, all days together."""
        return tuple(sum(self.rates[day * 24 + hour] for day in range(7)) for hour in range(24))

    @classmethod
    def constant(cls, calls_per_hour: float) -> ArrivalProfile:
        return cls(rates=(calls_per_hour,) * HOURS_PER_WEEK)


def arrival_profile(local_times: Iterable[dt.datetime], weeks: float) -> ArrivalProfile:
    """Calls per hour of the week from arrival times on the program's clock over `weeks`.

    A small program sees a call in a given hour of the week only now and then, so each
    hour's own count is blended with what its day of the week and its hour of the day
    predict (the two shares multiplied): the more calls in the history, the more each
    hour stands on its own count (its weight is n / (n + 168 × 20) for n calls).
    """
    if weeks <= 0:
        raise ValueError("the history must span some weeks")
    counts = [0] * HOURS_PER_WEEK
    for moment in local_times:
        counts[hour_of_week(moment)] += 1
    total = sum(counts)
    if total == 0:
        return ArrivalProfile(rates=(0.0,) * HOURS_PER_WEEK, observed=0, weeks=weeks)
    day_share = [sum(counts[d * 24 : d * 24 + 24]) / total for d in range(7)]
    hour_share = [sum(counts[d * 24 + h] for d in range(7)) / total for h in range(24)]
    weight = total / (total + HOURS_PER_WEEK * ARRIVALS_PER_HOUR_TRUSTED)
    rates = []
    for index, count in enumerate(counts):
        pattern = total * day_share[index // 24] * hour_share[index % 24]
        rates.append((weight * count + (1 - weight) * pattern) / weeks)
    return ArrivalProfile(rates=tuple(rates), observed=total, weeks=weeks)


# --- Teams and their weekly shifts -------------------------------------------------


@dataclass(frozen=True)
class WeeklyShift:
    """A shift starting on `day` (0 Monday … 6 Sunday) at `start_minute` after midnight."""

    day: int
    start_minute: int
    minutes: int

    def __post_init__(self) -> None:
        if not 0 <= self.day <= 6:
            raise ValueError("a shift's day is 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start_minute < MINUTES_PER_DAY:
            raise ValueError("a shift starts within its day")
        if not 0 < self.minutes <= MINUTES_PER_WEEK:
            raise ValueError("a shift lasts more than nothing and at most a week")

    @property
    def start(self) -> int:
        return self.day * MINUTES_PER_DAY + self.start_minute


@dataclass(frozen=True)
class TeamPlan:
    name: str
    shifts: tuple[WeeklyShift, ...]

    def week_intervals(self) -> list[tuple[int, int]]:
        """On-shift minutes of one week as [start, end) pairs inside the week, merged;
        a shift past Sunday midnight continues at Monday 00:00."""
        pieces: list[tuple[int, int]] = []
        for shift in self.shifts:
            end = shift.start + shift.minutes
            if end <= MINUTES_PER_WEEK:
                pieces.append((shift.start, end))
            else:
                pieces.append((shift.start, MINUTES_PER_WEEK))
                pieces.append((0, end - MINUTES_PER_WEEK))
        return merge_intervals(pieces)

    @property
    def hours_per_week(self) -> float:
        return sum(end - start for start, end in self.week_intervals()) / MINUTES_PER_HOUR


def merge_intervals(pieces: Iterable[tuple[float, float]]) -> list[tuple[Any, Any]]:
    """Overlapping or touching intervals joined, in order."""
    merged: list[tuple[Any, Any]] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def teams_on_shift_by_hour(teams: Sequence[TeamPlan]) -> tuple[float, ...]:
    """Teams on shift in each hour of the week (a team there half the hour counts ½)."""
    cover = [0.0] * HOURS_PER_WEEK
    for team in teams:
        for start, end in team.week_intervals():
            for hour in range(start // 60, math.ceil(end / 60)):
                overlap = min(end, (hour + 1) * 60) - max(start, hour * 60)
                if overlap > 0:
                    cover[hour] += overlap / MINUTES_PER_HOUR
    return tuple(cover)


def every_day(
    start: dt.time, end: dt.time, days: Iterable[int] = range(7)
) -> tuple[WeeklyShift, ...]:
    """Shifts from `start` to `end` on each of `days`; an end at or before the start
    runs past midnight (22:00–06:00)."""
    begin = start.hour * 60 + start.minute
    finish = end.hour * 60 + end.minute
    minutes = finish - begin if finish > begin else finish + MINUTES_PER_DAY - begin
    return tuple(
        WeeklyShift(day=day, start_minute=begin, minutes=minutes) for day in sorted(set(days))
    )


# --- How long a call keeps a team busy ---------------------------------------------


@dataclass(frozen=True)
class ServiceTimes:
    """Minutes a call keeps a team: travel there plus time on scene.

    Each is drawn from the program's recorded values (with replacement); with none
    recorded, its stated default. `exponential_mean`, when set, replaces both with an
    exponential time of that mean (the M/M/c assumption).
    """

    on_scene_minutes: tuple[float, ...] = ()
    travel_minutes: tuple[float, ...] = ()
    default_on_scene: float = DEFAULT_ON_SCENE_MINUTES
    default_travel: float = DEFAULT_TRAVEL_MINUTES
    exponential_mean: float | None = None

    @property
    def mean_on_scene(self) -> float:
        if self.on_scene_minutes:
            return float(np.mean(self.on_scene_minutes))
        return self.default_on_scene

    @property
    def mean_travel(self) -> float:
        if self.travel_minutes:
            return float(np.mean(self.travel_minutes))
        return self.default_travel

    @property
    def mean(self) -> float:
        if self.exponential_mean is not None:
            return self.exponential_mean
        return self.mean_on_scene + self.mean_travel

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray[Any, Any]:
        if self.exponential_mean is not None:
            return rng.exponential(self.exponential_mean, count)
        on_scene = self._draw(rng, self.on_scene_minutes, self.default_on_scene, count)
        travel = self._draw(rng, self.travel_minutes, self.default_travel, count)
        total: np.ndarray[Any, Any] = on_scene + travel
        return total

    @staticmethod
    def _draw(
        rng: np.random.Generator, values: tuple[float, ...], default: float, count: int
    ) -> np.ndarray[Any, Any]:
        if not values:
            return np.full(count, default, dtype=float)
        return rng.choice(np.asarray(values, dtype=float), size=count, replace=True)


# --- The scenario and what it gives --------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    teams: tuple[TeamPlan, ...]
    answer_window_minutes: float = DEFAULT_ANSWER_WINDOW_MINUTES

    def __post_init__(self) -> None:
        if self.answer_window_minutes < 0:
            raise ValueError("the answer window is not negative")

    @property
    def team_hours_per_week(self) -> float:
        return sum(team.hours_per_week for team in self.teams)


@dataclass(frozen=True)
class TeamResult:
    name: str
    calls: int
    busy_minutes: float
    on_shift_minutes: float

    @property
    def utilisation(self) -> float | None:
        """Share of the team's shift time spent on calls (overtime on a call counts)."""
        if self.on_shift_minutes <= 0:
            return None
        return self.busy_minutes / self.on_shift_minutes


# Waits, in minutes, that the distribution is cut at: answered at once, within 5, …
WAIT_EDGES = (0.0, 5.0, 10.0)


@dataclass(frozen=True)
class SimulationResult:
    calls: int
    answered: int
    waited: int  # answered calls that had to wait for a team (wait > 0)
    wait_quantiles: dict[str, float | None]  # "p50", "p90", "p95" over answered calls
    mean_wait: float | None
    wait_counts: tuple[int, ...]  # at once, (0, 5], (5, 10], over 10, not answered
    teams: tuple[TeamResult, ...]
    calls_by_hour: tuple[int, ...]  # hour of day on the program's clock
    answered_by_hour: tuple[int, ...]
    weeks: int
    seed: int

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.calls if self.calls else None

    @property
    def waiting_share(self) -> float | None:
        """Share of all calls that found no team free (M/M/c's P(wait))."""
        return (self.waited + self.calls - self.answered) / self.calls if self.calls else None

    def answered_share_by_hour(self) -> tuple[float | None, ...]:
        return tuple(
            answered / calls if calls else None
            for calls, answered in zip(self.calls_by_hour, self.answered_by_hour, strict=True)
        )


def erlang_c_answered_share(
    profile: ArrivalProfile, scenario: Scenario, service_minutes: float
) -> float | None:
    """Erlang C's estimate of the share answered: each hour of the week on its own, with
    the teams on shift then, answered when reached within the window (no carry-over of
    waiting calls between hours, and no one giving up: an approximation). In an hour
    whose calls would keep more teams busy than are on shift, the teams' capacity
    (teams ÷ load) stands in, since Erlang C has no answer there."""
    total = profile.per_week
    if total <= 0:
        return None
    cover = teams_on_shift_by_hour(scenario.teams)
    answered = 0.0
    for rate, teams in zip(profile.rates, cover, strict=True):
        servers = math.floor(teams + 1e-9)
        if rate <= 0 or servers <= 0:
            continue
        load = offered_load(rate / MINUTES_PER_HOUR, service_minutes)
        if load >= servers:
            # No steady state: the queue grows without end where no one gives up. Calls
            # past the window do give up, so the teams answer what they can carry.
            answered += rate * servers / load
            continue
        level = erlang_c_service_level(
            rate / MINUTES_PER_HOUR, service_minutes, servers, scenario.answer_window_minutes
        )
        answered += rate * level
    return answered / total


# --- The simulation ----------------------------------------------------------------


def draw_arrivals(
    profile: ArrivalProfile, weeks: int, rng: np.random.Generator
) -> np.ndarray[Any, Any]:
    """Arrival minutes over `weeks`: each hour a Poisson count at its rate, spread evenly."""
    rates = np.tile(np.asarray(profile.rates, dtype=float), weeks)
    counts = rng.poisson(rates)
    starts = np.repeat(np.arange(rates.size, dtype=float) * MINUTES_PER_HOUR, counts)
    return np.sort(starts + rng.random(starts.size) * MINUTES_PER_HOUR)


def horizon_intervals(team: TeamPlan, weeks: int) -> list[tuple[float, float]]:
    """The team's on-shift intervals over the whole run, shifts running on from one week
    into the next joined into one."""
    week = team.week_intervals()
    return merge_intervals(
        (float(start + n * MINUTES_PER_WEEK), float(end + n * MINUTES_PER_WEEK))
        for n in range(weeks)
        for start, end in week
    )


@dataclass
class _Floor:
    """The dispatch floor: calls waiting, teams free, and what happened to each call."""

    env: simpy.Environment
    arrivals: list[float]
    services: list[float]
    window: float
    team_count: int
    waiting: deque[int] = field(default_factory=deque)
    idle: deque[int] = field(default_factory=deque)
    wake: list[simpy.Event | None] = field(default_factory=list)
    off_shift: list[bool] = field(default_factory=list)
    started: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    taken: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.wake = [None] * self.team_count
        self.off_shift = [True] * self.team_count
        self.started = [math.nan] * len(self.arrivals)
        self.busy = [0.0] * self.team_count
        self.taken = [0] * self.team_count

    def calls(self) -> Generator[simpy.Event, Any, None]:
        env, idle, wake, waiting = self.env, self.idle, self.wake, self.waiting
        for index, at in enumerate(self.arrivals):
            if at > env.now:
                yield env.timeout(at - env.now)
            if idle:
                team = idle.popleft()
                called = wake[team]
                wake[team] = None
                if called is not None:
                    called.succeed(index)
            else:
                waiting.append(index)

    def next_call(self) -> int | None:
        """The longest-waiting call still inside its window; older ones went elsewhere."""
        now, waiting, arrivals, window = self.env.now, self.waiting, self.arrivals, self.window
        while waiting:
            index = waiting.popleft()
            if arrivals[index] + window >= now:
                return index
        return None

    def shift_ends(self, number: int) -> None:
        """At the end of a shift a free team goes off duty; a busy one finishes its call."""
        self.off_shift[number] = True
        called = self.wake[number]
        if called is not None:
            self.idle.remove(number)
            self.wake[number] = None
            called.succeed(None)

    def shift_over(self, number: int, _event: simpy.Event) -> None:
        self.shift_ends(number)

    def team(self, number: int, intervals: list[tuple[float, float]]) -> Generator[Any, Any, None]:
        env = self.env
        for start, end in intervals:
            if start > env.now:
                yield env.timeout(start - env.now)
            self.off_shift[number] = False
            ends = env.timeout(end - env.now)
            ends.callbacks.append(partial(self.shift_over, number))
            while not self.off_shift[number]:
                index = self.next_call()
                if index is None:
                    called = env.event()
                    self.wake[number] = called
                    self.idle.append(number)
                    index = yield called
                    if index is None:
                        break
                service = self.services[index]
                self.started[index] = env.now
                self.busy[number] += service
                self.taken[number] += 1
                yield env.timeout(service)


def simulate(
    profile: ArrivalProfile,
    scenario: Scenario,
    service: ServiceTimes,
    *,
    weeks: int = WEEKS_PER_YEAR,
    seed: int = 0,
) -> SimulationResult:
    """Run `weeks` of calls through the scenario's teams; the same seed, the same result."""
    if weeks <= 0:
        raise ValueError("simulate at least one week")
    rng = np.random.default_rng(seed)
    arrivals = draw_arrivals(profile, weeks, rng)
    services = service.draw(rng, int(arrivals.size))
    env = simpy.Environment()
    floor = _Floor(
        env=env,
        arrivals=arrivals.tolist(),
        services=services.tolist(),
        window=scenario.answer_window_minutes,
        team_count=len(scenario.teams),
    )
    env.process(floor.calls())
    on_shift = []
    for number, team in enumerate(scenario.teams):
        intervals = horizon_intervals(team, weeks)
        on_shift.append(sum(end - start for start, end in intervals))
        env.process(floor.team(number, intervals))
    env.run()
    return _results(floor, scenario, on_shift, weeks, seed)


def _results(
    floor: _Floor, scenario: Scenario, on_shift: list[float], weeks: int, seed: int
) -> SimulationResult:
    arrivals = np.asarray(floor.arrivals, dtype=float)
    started = np.asarray(floor.started, dtype=float)
    answered = ~np.isnan(started)
    waits = started[answered] - arrivals[answered]
    waits = np.maximum(waits, 0.0)
    hours = (arrivals // MINUTES_PER_HOUR).astype(int) % 24
    calls_by_hour = np.bincount(hours, minlength=24)
    answered_by_hour = np.bincount(hours[answered], minlength=24)
    quantiles: dict[str, float | None] = {"p50": None, "p90": None, "p95": None}
    if waits.size:
        for name, q in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95)):
            quantiles[name] = float(np.quantile(waits, q))
    at_once = int(np.count_nonzero(waits <= 0))
    bounded = [int(np.count_nonzero((waits > low) & (waits <= high))) for low, high in _bands()]
    over = int(np.count_nonzero(waits > WAIT_EDGES[-1]))
    teams = tuple(
        TeamResult(
            name=plan.name,
            calls=floor.taken[number],
            busy_minutes=floor.busy[number],
            on_shift_minutes=on_shift[number],
        )
        for number, plan in enumerate(scenario.teams)
    )
    return SimulationResult(
        calls=int(arrivals.size),
        answered=int(np.count_nonzero(answered)),
        waited=int(waits.size) - at_once,
        wait_quantiles=quantiles,
        mean_wait=float(np.mean(waits)) if waits.size else None,
        wait_counts=(at_once, *bounded, over, int(arrivals.size) - int(waits.size)),
        teams=teams,
        calls_by_hour=tuple(int(n) for n in calls_by_hour),
        answered_by_hour=tuple(int(n) for n in answered_by_hour),
        weeks=weeks,
        seed=seed,
    )


def _bands() -> list[tuple[float, float]]:
    return list(zip(WAIT_EDGES[:-1], WAIT_EDGES[1:], strict=True))


def wait_band_labels() -> tuple[str, ...]:
    """Words for `SimulationResult.wait_counts`, in order."""
    labels = ["Answered at once"]
    labels += [
        f"Waited up to {high:g} minutes" if low == 0 else f"Waited {low:g} to {high:g} minutes"
        for low, high in _bands()
    ]
    labels.append(f"Waited more than {WAIT_EDGES[-1]:g} minutes")
    # The page states the window beside it; a chart label stays short enough to read.
    labels.append("Went to police or EMS alone")
    return tuple(labels)
